"""
ceph.pools, ceph.pools.clean and the cmd.script of ceph.mgr against a real Ceph
(lab/services/ceph/ceph-svc): rendered by Salt from the formula with a pillar, then run by
Salt's state system for real (state.high of the rendered pool states: ceph.client, which they
require, is left out because it would rewrite the test cluster's ceph.conf).

test=True foretells the first run exactly; the first run creates the pool with size/min_size,
a pinned pg_num, its application and `rbd pool init`; a second run and test=True change
nothing; a size changed behind Salt's back is set back; the clean removes the pool and a
second clean changes nothing. The mgr keyring script writes a 0600 keyring.
"""

import json
import os
import pathlib
import stat
import subprocess

import pytest

from tests.functional.ceph import services
from tests.support.loader import load_file

REPO = pathlib.Path(__file__).resolve().parents[3]
POOL = "stacksalt_quoted"


masterless = load_file(REPO / "tests/unit/pillar/masterless.py", "masterless")


@pytest.fixture(scope="module")
def cluster(request, tmp_path_factory):
    info = services.ceph(request)
    # The formula's CLI reads <conf_dir>/<cluster>.conf and <cluster>.client.admin.keyring.
    conf_dir = tmp_path_factory.mktemp("conf")
    (conf_dir / "ceph.conf").symlink_to(info["conf"])
    (conf_dir / "ceph.client.admin.keyring").symlink_to(info["admin_keyring"])
    return {**info, "conf_dir": conf_dir}


def _ceph(cluster, *args):
    cmd = ["ceph", "--conf", cluster["conf"], "--keyring", cluster["admin_keyring"], *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


def _pillar(cluster, tmp_path):
    return {
        "ceph": {
            "cluster": "ceph",
            "fsid": cluster["fsid"],
            "mon_host": ["127.0.0.1"],
            "lookup": {"conf_dir": str(cluster["conf_dir"]), "data_dir": str(tmp_path / "data")},
            "mgr": {"id": "quoted"},
            "pools": {"enabled": True, "items": {POOL: {"pg_num": 8, "size": 1, "min_size": 1}}},
        }
    }


def _high(states, prefix):
    """The rendered states whose id starts with ``prefix``, requisites on other SLS dropped."""
    high = {}
    for state_id, body in states.items():
        if not state_id.startswith(prefix):
            continue
        (module,) = [key for key in body if not key.startswith("__")]
        args = [arg for arg in body[module] if not (isinstance(arg, dict) and "require" in arg)]
        high[state_id] = {module: args, "__sls__": body["__sls__"], "__env__": body["__env__"]}
    assert high, states
    return high


def _results(result):
    assert result["ok"], result
    assert isinstance(result["ret"], dict), result["ret"]
    return result["ret"].values()


def _size(cluster):
    got = _ceph(cluster, "osd", "pool", "get", POOL, "size", "-f", "json")
    assert got.returncode == 0, got
    return json.loads(got.stdout)["size"]


def test_pools_converge_repair_drift_and_clean(cluster, tmp_path):
    pillar = _pillar(cluster, tmp_path)
    resized = _pillar(cluster, tmp_path)
    resized["ceph"]["pools"]["items"][POOL]["size"] = 2
    shown, shown_resized = masterless.run_calls(
        tmp_path / "render",
        [
            ["state.show_sls", ["ceph.pools,ceph.pools.clean"], {"pillar": pillar}],
            ["state.show_sls", ["ceph.pools"], {"pillar": resized}],
        ],
    )
    states = shown["ret"]
    assert isinstance(states, dict), states
    prefix = f"ceph-pools-{POOL}"
    create = _high({k: v for k, v in states.items() if v["__sls__"] == "ceph.pools"}, prefix)
    clean = _high({k: v for k, v in states.items() if v["__sls__"] == "ceph.pools.clean"}, prefix)
    create_resized = _high(shown_resized["ret"], prefix)
    assert list(create) == [f"{prefix}-present"] and list(clean) == [f"{prefix}-absent"]
    try:
        planned_first, first, second, planned, planned_resized = masterless.run_calls(
            tmp_path / "run",
            [
                ["state.high", [create], {"test": True}],
                ["state.high", [create], {}],
                ["state.high", [create], {}],
                ["state.high", [create], {"test": True}],
                ["state.high", [create_resized], {"test": True}],
            ],
        )
        (foretold,) = _results(planned_first)
        (ran,) = _results(first)
        assert ran["result"] is True, ran["comment"]
        assert foretold["result"] is None and foretold["changes"] == ran["changes"], (foretold, ran)
        assert ran["changes"] == {
            "pool": {
                "old": None,
                "new": {
                    "created": True,
                    "size": 1,
                    "min_size": 1,
                    "pg_autoscale_mode": "off",
                    "pg_num": 8,
                    "application": "rbd",
                    "rbd_init": True,
                },
            }
        }
        assert _size(cluster) == 1
        app = _ceph(cluster, "osd", "pool", "application", "get", POOL, "-f", "json")
        assert '"rbd"' in app.stdout, app
        mode = _ceph(cluster, "osd", "pool", "get", POOL, "pg_autoscale_mode", "-f", "json")
        assert json.loads(mode.stdout)["pg_autoscale_mode"] == "off", mode
        stat_rbd_info = ["rados", "--conf", cluster["conf"], "--keyring", cluster["admin_keyring"]]
        rbd_info = subprocess.run(  # noqa: S603 - fixed argument list
            [*stat_rbd_info, "--pool", POOL, "stat", "rbd_info"], capture_output=True, text=True, check=False
        )
        assert rbd_info.returncode == 0, rbd_info
        for result in (second, planned):
            assert all(r["result"] is True and r["changes"] == {} for r in _results(result)), result
        # A different size is seen as different: planned (test=True), not run.
        (pending,) = _results(planned_resized)
        assert pending["result"] is None and pending["changes"] == {"size": {"old": 1, "new": 2}}, pending
        assert _size(cluster) == 1
        # Drift behind Salt's back is set back, and reported as such.
        assert _ceph(cluster, "osd", "pool", "set", POOL, "size", "2").returncode == 0
        (repaired,) = masterless.run_calls(tmp_path / "repair", [["state.high", [create], {}]])
        (fixed,) = _results(repaired)
        assert fixed["result"] is True and fixed["changes"] == {"size": {"old": 2, "new": 1}}, fixed
        assert _size(cluster) == 1
        planned_clean, removed, removed_again = masterless.run_calls(
            tmp_path / "clean",
            [
                ["state.high", [clean], {"test": True}],
                ["state.high", [clean], {}],
                ["state.high", [clean], {}],
            ],
        )
        (would,) = _results(planned_clean)
        assert would["result"] is None and would["changes"] == {"old": POOL, "new": None}, would
        (gone,) = _results(removed)
        assert gone["result"] is True and gone["changes"] == would["changes"], gone
        assert _ceph(cluster, "osd", "pool", "get", POOL, "pg_num").returncode != 0, "pool still there"
        assert all(r["result"] is True and r["changes"] == {} for r in _results(removed_again))
    finally:
        _ceph(cluster, "tell", "mon.*", "config", "set", "mon_allow_pool_delete", "true")
        _ceph(cluster, "osd", "pool", "rm", POOL, POOL, "--yes-i-really-really-mean-it")


def test_mgr_keyring_script_writes_a_private_keyring(cluster, tmp_path):
    pillar = _pillar(cluster, tmp_path)
    (shown,) = masterless.run_calls(
        tmp_path / "render", [["state.show_sls", ["ceph.mgr"], {"pillar": pillar}]]
    )
    state = shown["ret"]["ceph-mgr-keyring-created"]
    high = _high({"ceph-mgr-keyring-created": state}, "ceph-mgr-keyring")
    mgr_dir = tmp_path / "data" / "mgr" / "ceph-quoted"
    mgr_dir.mkdir(parents=True)
    user = os.environ.get("USER", "root")
    # Owner: this test's user (a `ceph` user need not exist on this host).
    args = next(a for a in high["ceph-mgr-keyring-created"]["cmd"] if isinstance(a, dict) and "args" in a)
    args["args"][2:4] = [user, user]
    try:
        first, second = masterless.run_calls(
            tmp_path / "run", [["state.high", [high], {}], ["state.high", [high], {}]]
        )
        (ran,) = _results(first)
        assert ran["result"] is True, ran["comment"]
        keyring = mgr_dir / "keyring"
        assert "key = " in keyring.read_text()
        assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
        assert not (mgr_dir / "keyring.tmp").exists()
        (again,) = _results(second)
        assert again["result"] is True and again["changes"] == {}
    finally:
        _ceph(cluster, "auth", "rm", "mgr.quoted")
