"""
The ceph.osd states hand pillar values to their scripts as separate arguments: Salt splits
cmd.script ``args`` with shlex and runs no shell, and each value is quoted, so a value holding
blanks or shell syntax stays one argument and is never parsed (rendered with Salt's compilers).
"""

import copy
import pathlib
import shlex

import pytest
import yaml
from saltfactories.utils.functional import Loaders

from tests.support.loaders import loader_opts

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
EXAMPLE = yaml.safe_load((REPO / "salt/ceph/pillar.example").read_text())
HOSTILE = "/var/lib/ceph/osd files/$(touch /tmp/pwned); x`id`.img"


def render(tmp_path, sls, pillar):
    loaders = Loaders(loader_opts(tmp_path / "salt", "ceph1"))
    try:
        ret = loaders.modules.state.show_sls(sls, pillar=pillar)
    finally:
        loaders.reset_state()
    assert isinstance(ret, dict), ret
    return ret


def args_of(state):
    return next(a["args"] for a in state["cmd"] if isinstance(a, dict) and "args" in a)


def test_osd_create_gets_each_value_as_one_argument(tmp_path):
    pillar = copy.deepcopy(EXAMPLE)
    dev = pillar["ceph"]["osd"]["devices"][0]
    dev["path"] = HOSTILE
    states = render(tmp_path, "ceph.osd", pillar)
    argv = shlex.split(args_of(states[f"ceph-osd-{dev['uuid']}-created"]))
    assert len(argv) == 8
    assert argv[1] == dev["uuid"] and argv[3] == HOSTILE
    assert argv[7].endswith(f"/osd/.stacksalt-{dev['uuid']}")


def test_osd_clean_purges_through_its_script_and_drops_a_pending_key(tmp_path):
    pillar = copy.deepcopy(EXAMPLE)
    dev = pillar["ceph"]["osd"]["devices"][0]
    states = render(tmp_path, "ceph.osd.clean", pillar)
    # No marker on this machine: nothing to purge, but the key a failed creation kept goes.
    assert f"ceph-osd-{dev['uuid']}-purged" not in states
    absent = states[f"ceph-osd-{dev['uuid']}-pending-key-absent"]["file"]
    assert {"name": f"/var/lib/ceph/osd/.stacksalt-{dev['uuid']}.key"} in absent
