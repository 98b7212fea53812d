"""ceph_auth.present/absent against the real session cluster (least-privilege cephx clients)."""

import subprocess

import pytest
import yaml
from saltfactories.utils.functional import Loaders

from tests.support.loaders import loader_opts

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


def gen_key():
    return subprocess.run(
        ["ceph-authtool", "--gen-print-key"], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def pillar_loaders(tmp_path_factory, ceph_cluster):
    """Loaders whose pillar (a real pillar root) holds a client key, as ceph1's secrets file does."""
    tmp = tmp_path_factory.mktemp("auth-pillar")
    root = tmp / "pillar"
    root.mkdir()
    (root / "top.sls").write_text("base:\n  '*':\n    - keys\n")
    loaders = Loaders(
        loader_opts(
            tmp / "salt",
            "functional-ceph-auth",
            pillar_roots=[root],
            extra={
                "ceph": {"admin": {"conf": ceph_cluster["conf"], "keyring": ceph_cluster["admin_keyring"]}}
            },
        )
    )
    loaders.pillar_root = root
    yield loaders
    loaders.reset_state()


def set_pillar_key(loaders, name, key):
    text = yaml.safe_dump({"ceph": {"keys": {"clients": {name: key}}}})
    (loaders.pillar_root / "keys.sls").write_text(text)
    loaders.refresh_pillar()


def test_key_pillar_reads_the_key_on_the_minion_test_mode_exact(pillar_loaders):
    states, modules = pillar_loaders.states, pillar_loaders.modules
    name, path = "client.func-auth-pillar", "ceph:keys:clients:func-auth-pillar"
    key = gen_key()
    set_pillar_key(pillar_loaders, "func-auth-pillar", key)
    args = {"name": name, "caps": {"mon": "profile rbd"}, "key_pillar": path}
    try:
        planned = states.ceph_auth.present(test=True, **args)
        assert planned.result is None and modules.ceph_auth.get(name) is None
        ret = states.ceph_auth.present(**args)
        assert ret.result is True and ret.changes == planned.changes
        assert modules.ceph_auth.get(name)["key"] == key
        assert key not in str(ret.raw) and key not in str(planned.raw)
        assert states.ceph_auth.present(**args).changes == {}
        quiet = states.ceph_auth.present(test=True, **args)
        assert quiet.result is True and quiet.changes == {}
        # a rotated key in pillar replaces the live one, and test=True says so exactly
        rotated = gen_key()
        set_pillar_key(pillar_loaders, "func-auth-pillar", rotated)
        planned = states.ceph_auth.present(test=True, **args)
        assert planned.result is None and modules.ceph_auth.get(name)["key"] == key
        ret = states.ceph_auth.present(**args)
        assert ret.changes == planned.changes and list(ret.changes["new"]) == ["key"]
        assert modules.ceph_auth.get(name)["key"] == rotated
        assert rotated not in str(ret.raw) and key not in str(ret.raw)
        # a path with no key: refused, naming the path, before anything changes
        missing = states.ceph_auth.present(
            name="client.func-auth-none", caps={"mon": "profile rbd"}, key_pillar="ceph:keys:clients:none"
        )
        assert missing.result is False and "ceph:keys:clients:none" in missing.comment
        assert modules.ceph_auth.get("client.func-auth-none") is None
    finally:
        states.ceph_auth.absent(name=name)


@pytest.mark.parametrize("state", ["ceph_auth", "ceph_pool"])
def test_the_cli_without_its_conf_is_pending_in_test_mode_and_a_failure_for_real(states, tmp_path, state):
    # A host whose image carries ceph-common has the CLI before ceph.config writes the conf: the
    # real CLI then says "unable to open config file". test=True cannot know yet (pending, as
    # for a missing CLI); a real run with no conf is a failure that names the missing conf.
    missing = str(tmp_path / "ceph.conf")
    name = "client.func-no-conf" if state == "ceph_auth" else "func_no_conf"
    args = {"name": name, "conf": missing, "keyring": str(tmp_path / "keyring")}
    if state == "ceph_auth":
        args["caps"] = GLANCE_CAPS
    planned = getattr(states, state).present(test=True, **args)
    assert planned.result is None and planned.changes == {}, planned.comment
    assert "cannot be known before" in planned.comment and "conf file is missing" in planned.comment
    real = getattr(states, state).present(**args)
    assert real.result is False and real.changes == {}
    assert "conf file is missing" in real.comment, real.comment
