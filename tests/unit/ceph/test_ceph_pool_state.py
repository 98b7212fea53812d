"""
ceph_pool.present/absent (pure logic: the ceph_pool execution module is a fake over a dict of
pools; the real cluster is tests/functional/ceph/test_ceph_pools_formula.py).
"""

import pathlib

import pytest

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
ceph_util = load_file(REPO / "_utils/stacksalt_ceph.py", "stacksalt_ceph_cp")

# A new pool as Ceph 16.2 makes it with the cluster defaults of a 3-OSD site.
DEFAULTS = {"size": 3, "min_size": 2, "pg_autoscale_mode": "on", "applications": []}


class FakePools:
    """The ceph_pool execution module over a dict of pools; records each call that changes."""

    def __init__(self, live=None, initialized=()):
        self.live = {name: dict(pool) for name, pool in (live or {}).items()}
        self.initialized = set(initialized)
        self.calls = []
        self.reads = 0

    def pools(self, **conn):
        self.reads += 1
        return {name: dict(pool) for name, pool in self.live.items()}

    def get(self, name, cached=False, **conn):
        found = self.pools().get(name)
        return None if found is None else dict(found)

    def create(self, name, pg_num=32, **conn):
        self.calls.append(("create", name, pg_num))
        self.live[name] = dict(DEFAULTS, pg_num=pg_num)

    def set_option(self, name, option, value, **conn):
        self.calls.append(("set", option, value))
        self.live[name][option] = value

    def enable_application(self, name, application, **conn):
        self.calls.append(("application", application))
        self.live[name]["applications"] = sorted({*self.live[name]["applications"], application})

    def rbd_initialized(self, name, **conn):
        return name in self.initialized

    def rbd_init(self, name, **conn):
        self.calls.append(("rbd_init", name))
        self.initialized.add(name)

    def remove(self, name, **conn):
        self.calls.append(("remove", name))
        del self.live[name]


def state(pools, test=False):
    mod = load_file(REPO / "_states/ceph_pool.py", "ceph_pool_state_ut")
    mod.__salt__ = {
        f"ceph_pool.{fun}": getattr(pools, fun)
        for fun in (
            "pools",
            "get",
            "create",
            "set_option",
            "enable_application",
            "rbd_initialized",
            "rbd_init",
            "remove",
        )
    }
    mod.__utils__ = {
        "stacksalt_ceph.failed_state": ceph_util.failed_state,
        "stacksalt_ceph.missing_tool_error": ceph_util.missing_tool_error,
    }
    mod.__opts__ = {"test": test}
    return mod


IMAGES = {"name": "images", "pg_num": 32, "size": 3, "application": "rbd"}


def test_a_new_pool_is_foretold_exactly_and_made_with_only_what_differs_from_the_defaults():
    pools = FakePools()
    planned = state(pools, test=True).present(**IMAGES)
    assert planned["result"] is None and pools.calls == []
    ran = state(pools).present(**IMAGES)
    assert ran["result"] is True and ran["changes"] == planned["changes"]
    assert ran["changes"] == {
        "pool": {
            "old": None,
            "new": {
                "created": True,
                "size": 3,
                "pg_autoscale_mode": "off",
                "pg_num": 32,
                "application": "rbd",
                "rbd_init": True,
            },
        }
    }
    # size 3 and pg_num 32 are what the pool was made with: only the autoscaler is set.
    assert pools.calls == [
        ("create", "images", 32),
        ("set", "pg_autoscale_mode", "off"),
        ("application", "rbd"),
        ("rbd_init", "images"),
    ]
    again = state(pools).present(**IMAGES)
    assert again["result"] is True and again["changes"] == {} and len(pools.calls) == 4


def test_drift_is_set_back_in_order_and_test_mode_names_it():
    live = {"images": {"size": 2, "min_size": 1, "pg_autoscale_mode": "on", "pg_num": 64, "applications": []}}
    pools = FakePools(live)
    planned = state(pools, test=True).present(**IMAGES, min_size=2)
    assert planned["result"] is None and pools.calls == []
    assert planned["changes"] == {
        "size": {"old": 2, "new": 3},
        "min_size": {"old": 1, "new": 2},
        "pg_autoscale_mode": {"old": "on", "new": "off"},
        "pg_num": {"old": 64, "new": 32},
        "application": {"old": [], "new": ["rbd"]},
        "rbd_init": {"old": False, "new": True},
    }
    ran = state(pools).present(**IMAGES, min_size=2)
    assert ran["changes"] == planned["changes"]
    # the autoscaler goes off before pg_num is set, else it would move pg_num back
    assert [c[1] for c in pools.calls if c[0] == "set"] == ["size", "min_size", "pg_autoscale_mode", "pg_num"]


def test_without_pg_num_the_autoscaler_keeps_the_pool_and_no_application_means_none():
    live = {
        "scratch": {"size": 3, "min_size": 2, "pg_autoscale_mode": "on", "pg_num": 128, "applications": []}
    }
    pools = FakePools(live)
    ret = state(pools).present(name="scratch", application=None)
    assert ret["result"] is True and ret["changes"] == {} and pools.calls == []


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"pg_num": 0}, "pg_num"),
        ({"pg_num": "32"}, "pg_num"),
        ({"size": 11}, "size"),
        ({"size": True}, "size"),
        ({"size": 2, "min_size": 3}, "min_size"),
        ({"application": "rbd; rm -rf /"}, "application"),
    ],
)
def test_bad_arguments_fail_naming_the_argument_before_anything_changes(args, named):
    pools = FakePools()
    for test in (True, False):
        ret = state(pools, test=test).present(name="images", **args)
        assert ret["result"] is False and ret["changes"] == {}, ret
        assert named in ret["comment"], ret
    assert pools.calls == [] and pools.live == {}


def test_absent_deletes_once_and_test_mode_says_so():
    pools = FakePools({"scratch": dict(DEFAULTS, pg_num=8)})
    planned = state(pools, test=True).absent("scratch")
    assert planned["result"] is None and planned["changes"] == {"old": "scratch", "new": None}
    assert "all its data" in planned["comment"] and pools.calls == []
    ran = state(pools).absent("scratch")
    assert ran["result"] is True and ran["changes"] == planned["changes"]
    assert state(pools).absent("scratch")["changes"] == {} and pools.calls == [("remove", "scratch")]


def test_without_its_module_test_mode_cannot_know_yet_and_the_real_run_names_the_package():
    mod = state(FakePools(), test=True)
    mod.__salt__ = {}
    planned = mod.present(**IMAGES)
    assert planned["result"] is None and "cannot be known before the earlier changes" in planned["comment"]
    mod.__opts__ = {"test": False}
    ran = mod.present(**IMAGES)
    assert ran["result"] is False and "ceph-common" in ran["comment"]
