"""ceph_auth.present's key_pillar (pure logic: the ceph_auth module and pillar.get are fakes)."""

import pathlib

import pytest

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
KEY = "AQDqTQdrFAKEunitcanaryKEYxxxxxxxxxxxxxxx=="
OTHER = "AQDqTQdrFAKEotherlivekeyxxxxxxxxxxxxxxxx=="
CAPS = {"mon": "profile rbd"}


secrets_util = load_file(REPO / "_utils/stacksalt_secrets.py", "stacksalt_secrets_ca")
ceph_util = load_file(REPO / "_utils/stacksalt_ceph.py", "stacksalt_ceph_ca")


class FakeCeph:
    """The ceph_auth execution module over a dict of entities; records each change."""

    def __init__(self, live=None):
        self.live = dict(live or {})
        self.changed = []

    def get(self, name, **conn):
        return self.live.get(name)

    def create(self, name, caps, key=None, **conn):
        self.changed.append(("create", name))
        self.live[name] = {"key": key or "generated", "caps": dict(caps)}

    def set_caps(self, name, caps, **conn):
        self.changed.append(("set_caps", name))
        self.live[name]["caps"] = dict(caps)


def state(ceph, pillar, test=False):
    mod = load_file(REPO / "_states/ceph_auth.py", "ceph_auth_state_ut")

    def pillar_get(path, default=None, unmask=None):
        assert unmask is True, "a masked value would be imported as the key"
        node = pillar
        for part in path.split(":"):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    mod.__salt__ = {
        "ceph_auth.get": ceph.get,
        "ceph_auth.create": ceph.create,
        "ceph_auth.set_caps": ceph.set_caps,
        "pillar.get": pillar_get,
    }
    mod.__utils__ = {
        "stacksalt_secrets.mask_value": secrets_util.mask_value,
        "stacksalt_ceph.failed_state": ceph_util.failed_state,
    }
    mod.__opts__ = {"test": test}
    return mod


PILLAR = {"ceph": {"keys": {"clients": {"glance": KEY}}}}
ARGS = {"name": "client.glance", "caps": CAPS, "key_pillar": "ceph:keys:clients:glance"}


def test_key_pillar_creates_with_the_pillar_key_and_never_returns_it():
    ceph = FakeCeph()
    planned = state(ceph, PILLAR, test=True).present(**ARGS)
    assert planned["result"] is None and ceph.changed == []
    ret = state(ceph, PILLAR).present(**ARGS)
    assert ret["result"] is True and ret["changes"] == planned["changes"]
    assert ceph.live["client.glance"]["key"] == KEY
    assert KEY not in repr(ret) and KEY not in repr(planned)
    again = state(ceph, PILLAR).present(**ARGS)
    assert again["changes"] == {} and again["result"] is True
    assert state(ceph, PILLAR, test=True).present(**ARGS)["result"] is True


def test_key_pillar_replaces_a_different_live_key_test_mode_exact():
    ceph = FakeCeph({"client.glance": {"key": OTHER, "caps": CAPS}})
    planned = state(ceph, PILLAR, test=True).present(**ARGS)
    assert planned["result"] is None and ceph.changed == []
    ret = state(ceph, PILLAR).present(**ARGS)
    assert ret["changes"] == planned["changes"] and set(ret["changes"]["new"]) == {"key"}
    assert ceph.live["client.glance"]["key"] == KEY
    assert KEY not in repr(ret) and OTHER not in repr(ret)


@pytest.mark.parametrize("pillar", [{}, {"ceph": {"keys": {"clients": {"glance": ""}}}}])
def test_missing_pillar_key_is_an_error_naming_the_path_before_any_change(pillar):
    ceph = FakeCeph()
    ret = state(ceph, pillar).present(**ARGS)
    assert ret["result"] is False and ret["changes"] == {}
    assert "ceph:keys:clients:glance" in ret["comment"]
    assert ceph.changed == []


def test_key_and_key_pillar_together_are_refused_without_echoing_the_key():
    ceph = FakeCeph()
    ret = state(ceph, PILLAR).present(key=OTHER, **ARGS)
    assert ret["result"] is False and "key_pillar" in ret["comment"]
    assert OTHER not in ret["comment"] and ceph.changed == []


def test_explicit_key_still_works_for_salt_ssh():
    ceph = FakeCeph()
    ret = state(ceph, {}).present(name="client.glance", caps=CAPS, key=KEY)
    assert ret["result"] is True and ceph.live["client.glance"]["key"] == KEY
    assert KEY not in repr(ret)


def fresh_host_state(test):
    """The state on a host whose ceph CLI an earlier state of the run installs: no module yet."""
    mod = state(FakeCeph(), {"ceph": {"keys": {"clients": {"glance": KEY}}}}, test=test)
    for name in ("ceph_auth.get", "ceph_auth.create", "ceph_auth.set_caps"):
        del mod.__salt__[name]
    mod.__utils__["stacksalt_ceph.missing_tool_error"] = ceph_util.missing_tool_error
    return mod


def test_it_loads_without_its_module_and_test_mode_says_it_cannot_know_yet():
    mod = fresh_host_state(test=True)
    assert mod.__virtual__() == "ceph_auth"
    ret = mod.present("client.glance", CAPS, key_pillar="ceph:keys:clients:glance")
    assert ret["result"] is None and ret["changes"] == {}, ret
    assert "cannot be known before the earlier changes" in ret["comment"], ret
    assert "ceph-common" in ret["comment"] and KEY not in ret["comment"], ret


def test_the_real_run_without_the_ceph_cli_fails_naming_the_package():
    ret = fresh_host_state(test=False).present("client.glance", CAPS, key_pillar="ceph:keys:clients:glance")
    assert ret["result"] is False and "ceph-common" in ret["comment"], ret


def test_a_wrong_key_pillar_is_an_error_in_test_mode_too():
    ret = fresh_host_state(test=True).present("client.glance", CAPS, key_pillar="ceph:keys:clients:nope")
    assert ret["result"] is False and "names no key" in ret["comment"], ret
