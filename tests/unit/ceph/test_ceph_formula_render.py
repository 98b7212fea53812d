"""
The ceph formula renders with Salt's real compilers (no daemons): pillar.example gives every
component; keys reach only the hosts whose pillar carries them (master-side pillar by minion
id), so a compute host's highstate has no client.glance keyring and its pillar no glance key.
"""

import json
import pathlib

import pytest
import salt.config
import salt.pillar
import yaml
from saltfactories.utils.functional import Loaders

from tests.support.loaders import loader_opts

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
PILLAR_ROOT = pathlib.Path(__file__).resolve().parent / "data" / "pillar"
EXAMPLE = yaml.safe_load((REPO / "salt/ceph/pillar.example").read_text())
GLANCE_KEY = EXAMPLE["ceph"]["keys"]["clients"]["glance"]


def opts_for(tmp_path, minion_id):
    return loader_opts(tmp_path / minion_id, minion_id, pillar_roots=[PILLAR_ROOT])


def compiled_pillar(tmp_path, minion_id):
    opts = opts_for(tmp_path, minion_id)
    return salt.pillar.get_pillar(opts, {"id": minion_id}, minion_id, saltenv="base").compile_pillar()


@pytest.fixture
def render(tmp_path):
    def _render(minion_id, pillar):
        loaders = Loaders(opts_for(tmp_path, minion_id))
        try:
            ret = loaders.modules.state.show_sls("ceph", pillar=pillar)
        finally:
            loaders.reset_state()
        assert isinstance(ret, dict), ret
        return ret

    return _render


def test_pillar_example_renders_every_component(render):
    states = render("ceph1", EXAMPLE)
    ids = set(states)
    for expected in (
        "ceph-pillar-schema-validated",
        "ceph-client-conf-managed",
        "ceph-client-admin-keyring-managed",
        "ceph-mon-mkfs",
        "ceph-mon-service-running",
        "ceph-mgr-service-running",
        "ceph-osd-1f3c9127-fee8-45b4-89a0-9753606ea81d-created",
        "ceph-pools-images-present",
        "ceph-keyrings-client-glance-present",
    ):
        assert expected in ids, sorted(ids)
    # Keyring files are 0600/0640 and never shown in diffs.
    admin = states["ceph-client-admin-keyring-managed"]["file"]
    assert {"mode": "0600"} in admin and {"show_changes": False} in admin


def test_keys_reach_only_the_hosts_that_need_them(tmp_path, render):
    glance_host = compiled_pillar(tmp_path, "glance1")
    compute = compiled_pillar(tmp_path, "compute1")
    assert glance_host["ceph"]["keys"]["clients"] == {"glance": GLANCE_KEY}
    assert "glance" not in compute["ceph"]["keys"]["clients"]
    assert GLANCE_KEY not in json.dumps(compute)
    # The compute host's highstate manages its nova keyring and nothing of glance's.
    states = render("compute1", compute)
    assert "ceph-client-nova-keyring-managed" in states
    assert not [sid for sid in states if "glance" in sid]
    assert GLANCE_KEY not in json.dumps(states)
    states = render("glance1", glance_host)
    assert "ceph-client-glance-keyring-managed" in states


def test_wanted_keyring_without_its_key_fails_clearly(render):
    pillar = {
        "ceph": {
            "fsid": EXAMPLE["ceph"]["fsid"],
            "mon_host": ["10.0.0.1"],
            "client": {"keyrings": {"glance": {}}},
        }
    }
    states = render("compute1", pillar)
    assert "ceph-client-glance-keyring-key-missing" in states
