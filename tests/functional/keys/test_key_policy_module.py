"""
salt_key_policy against Salt's own salt-key on a scratch master pki: a pending key is listed,
fingerprinted and accepted only with its recorded fingerprint (the key policy's building
blocks; the lab and the integration tier drive them through the reactor).
"""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest
from salt.exceptions import CommandExecutionError
from saltfactories.utils.functional import Loaders

from tests.support.loaders import loader_opts

pytestmark = pytest.mark.functional

SALT_KEY = str(pathlib.Path(sys.executable).parent / "salt-key")


@pytest.fixture
def master_dir(tmp_path):
    conf = tmp_path / "etc"
    pki = tmp_path / "pki"
    (pki / "minions_pre").mkdir(parents=True)
    conf.mkdir()
    (conf / "master").write_text(
        json.dumps(
            {
                "root_dir": str(tmp_path),
                "pki_dir": str(pki),
                "cachedir": str(tmp_path / "cache"),
                "sock_dir": str(tmp_path / "sock"),
                "log_file": str(tmp_path / "master.log"),
                "key_logfile": str(tmp_path / "key.log"),
            }
        )
    )
    keys = tmp_path / "keys"
    for minion in ("ironic1", "impostor"):
        subprocess.run(
            [SALT_KEY, "-c", str(conf), f"--gen-keys={minion}", f"--gen-keys-dir={keys}"],
            check=True,
            capture_output=True,
        )
    shutil.copy(keys / "ironic1.pub", pki / "minions_pre" / "ironic1")
    return conf, pki, keys


@pytest.fixture
def policy(tmp_path):
    return Loaders(loader_opts(tmp_path / "minion", "keys")).modules


def test_a_pending_key_is_accepted_with_its_fingerprint_only(policy, master_dir):
    conf, pki, _ = master_dir
    assert policy["salt_key_policy.pending"](config_dir=str(conf)) == ["ironic1"]
    finger = policy["salt_key_policy.fingerprint"]("ironic1", config_dir=str(conf))
    assert finger and finger.count(":") == 31
    wrong = ":".join(["00"] * 32)
    with pytest.raises(CommandExecutionError, match="does not match"):
        policy["salt_key_policy.accept"]("ironic1", wrong, config_dir=str(conf))
    assert not (pki / "minions" / "ironic1").exists()
    assert policy["salt_key_policy.accept"]("ironic1", finger, config_dir=str(conf)) is True
    assert (pki / "minions" / "ironic1").exists()
    assert policy["salt_key_policy.pending"](config_dir=str(conf)) == []


def test_no_pending_key_is_an_error_not_a_crash(policy, master_dir):
    conf, _, _ = master_dir
    with pytest.raises(CommandExecutionError, match="no pending key"):
        policy["salt_key_policy.accept"]("compute1", ":".join(["ab"] * 32), config_dir=str(conf))
