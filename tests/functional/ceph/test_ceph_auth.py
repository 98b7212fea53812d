"""ceph_auth.present/absent against the real session cluster (least-privilege cephx clients)."""

import subprocess

import pytest

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]

GLANCE_CAPS = {"mon": "profile rbd", "osd": "profile rbd pool=images", "mgr": "profile rbd pool=images"}


def test_present_idempotent_caps_update_and_absent(states, modules):
    name = "client.func-auth"
    planned = states.ceph_auth.present(name=name, caps=GLANCE_CAPS, test=True)
    assert planned.result is None and modules.ceph_auth.get(name) is None
    ret = states.ceph_auth.present(name=name, caps=GLANCE_CAPS)
    assert ret.result is True and ret.changes["new"]["caps"] == GLANCE_CAPS
    assert ret.changes == planned.changes
    assert modules.ceph_auth.get(name)["caps"] == GLANCE_CAPS
    again = states.ceph_auth.present(name=name, caps=GLANCE_CAPS)
    assert again.result is True and again.changes == {}
    wider = dict(GLANCE_CAPS, osd="profile rbd pool=images, profile rbd-read-only pool=volumes")
    ret = states.ceph_auth.present(name=name, caps=wider)
    assert ret.changes == {"old": {"caps": GLANCE_CAPS}, "new": {"caps": wider}}
    assert modules.ceph_auth.get(name)["caps"] == wider
    gone = states.ceph_auth.absent(name=name)
    assert gone.result is True and gone.changes == {"old": name, "new": None}
    assert modules.ceph_auth.get(name) is None
    assert states.ceph_auth.absent(name=name).changes == {}


def test_key_from_pillar_is_imported_and_secret_masked(states, modules):
    key = subprocess.run(
        ["ceph-authtool", "--gen-print-key"], capture_output=True, text=True, check=True
    ).stdout.strip()
    name = "client.func-auth-key"
    ret = states.ceph_auth.present(name=name, caps={"mon": "profile rbd"}, key=key)
    assert ret.result is True
    assert key not in str(ret.changes)
    assert modules.ceph_auth.get(name)["key"] == key
    assert states.ceph_auth.present(name=name, caps={"mon": "profile rbd"}, key=key).changes == {}
    states.ceph_auth.absent(name=name)


def test_bad_entity_name_is_a_clear_error(states):
    ret = states.ceph_auth.present(name="glance", caps={"mon": "profile rbd"})
    assert ret.result is False and "cephx entity name" in ret.comment
