"""
The salt.ssh formula against a real sshd in its own network namespace: key, roster, and a
real ssh login with that key. The full `salt-ssh edge1 state.apply` (custom module, second
run with 0 changes) is proven in the lab tier on a separate host (tests/lab, edge1).
"""

import json
import pathlib
import subprocess

import pytest
import yaml

from tests.support.states import failed, summarize

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def roster(salt_cli, minions, ssh_host):
    """Apply salt.ssh on the master host with the test host's address; authorize its key."""
    override = {"salt": {"ssh": {"roster": {"edge1": {"host": ssh_host.address, "port": 22}}}}}
    ret = salt_cli.run("state.apply", "salt.ssh", f"pillar={json.dumps(override)}", minion_tgt="master")
    assert ret.returncode == 0, ret
    assert not failed(ret.data), summarize(ret.data)
    config_dir = pathlib.Path(minions["master"].config_dir)
    roster_file = config_dir / "roster"
    key = config_dir / "pki" / "master" / "ssh" / "stacksalt_ed25519"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    ssh_host.authorize(key.with_suffix(".pub").read_text())
    return roster_file, key


def test_roster_rendered_from_pillar(roster, ssh_host):
    roster_file, key = roster
    data = yaml.safe_load(roster_file.read_text())
    assert data["edge1"]["host"] == ssh_host.address
    assert data["edge1"]["priv"] == str(key)
    assert data["edge1"]["set_path"] == "/usr/sbin:/usr/bin:/sbin:/bin"
    assert data["edge1"]["sudo"] is False


def test_master_key_logs_in_to_the_roster_host(roster, ssh_host, known_hosts_file):
    _roster_file, key = roster
    result = subprocess.run(  # noqa: S603 - argument list
        [
            "ssh",
            "-i",
            str(key),
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={known_hosts_file}",
            "-o",
            "StrictHostKeyChecking=yes",
            f"root@{ssh_host.address}",
            "echo",
            "reached-edge1",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "reached-edge1"
