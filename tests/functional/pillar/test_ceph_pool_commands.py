"""
The quoted commands of ceph.pools and ceph.pools.clean, and the cmd.script of ceph.mgr, against
a real Ceph (lab/services/ceph/ceph-svc): rendered by Salt from the formula with a pillar, then
run by Salt's state system for real (state.high of the rendered cmd states: ceph.client, which
they require, is left out because it would rewrite the test cluster's ceph.conf). Creates a
pool with size/min_size/application and `rbd pool init`, then a second run and test=True change
nothing (the argv checks in `unless` see the pool as converged), then the clean removes the
pool and a second clean changes nothing. The mgr keyring script writes a 0600 keyring.
"""

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


def _cmd_high(states, prefix):
    """The rendered cmd states whose id starts with ``prefix``, requisites on other SLS dropped."""
    high = {}
    for state_id, body in states.items():
        if not state_id.startswith(prefix) or "cmd" not in body:
            continue
        args = []
        for arg in body["cmd"]:
            if isinstance(arg, dict) and "require" in arg:
                arg = {
                    "require": [r for r in arg["require"] if str(next(iter(r.values()))).startswith(prefix)]
                }
            args.append(arg)
        high[state_id] = {"cmd": args, "__sls__": body["__sls__"], "__env__": body["__env__"]}
    assert high, states
    return high


def _results(result):
    assert result["ok"], result
    assert isinstance(result["ret"], dict), result["ret"]
    return result["ret"].values()


def _by_id(result):
    assert result["ok"], result
    assert isinstance(result["ret"], dict), result["ret"]
    return {r["__id__"]: r for r in result["ret"].values()}


def test_pool_commands_converge_and_clean(cluster, tmp_path):
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
    create = _cmd_high({k: v for k, v in states.items() if v["__sls__"] == "ceph.pools"}, prefix)
    clean = _cmd_high({k: v for k, v in states.items() if v["__sls__"] == "ceph.pools.clean"}, prefix)
    create_resized = _cmd_high(shown_resized["ret"], prefix)
    try:
        first, second, planned, planned_resized = masterless.run_calls(
            tmp_path / "run",
            [
                ["state.high", [create], {}],
                ["state.high", [create], {}],
                ["state.high", [create], {"test": True}],
                ["state.high", [create_resized], {"test": True}],
            ],
        )
        ran = _by_id(first)
        assert all(r["result"] is True for r in ran.values()), ran
        changed = {i for i, r in ran.items() if r["changes"]}
        # size 1, min_size 1 and pg_num 8 are what the pool was created with: their argv check
        # (python3 -c ... in `unless`) sees them equal and nothing runs.
        assert changed == {f"{prefix}-created", f"{prefix}-application-enabled", f"{prefix}-rbd-initialized"}
        got = _ceph(cluster, "osd", "pool", "get", POOL, "size", "-f", "json")
        assert got.returncode == 0 and '"size":1' in got.stdout.replace(" ", ""), got
        app = _ceph(cluster, "osd", "pool", "application", "get", POOL, "-f", "json")
        assert '"rbd"' in app.stdout, app
        for result in (second, planned):
            assert all(r["result"] is True and r["changes"] == {} for r in _by_id(result).values()), result
        # A different size is seen as different: planned (test=True), not run.
        pending = {i for i, r in _by_id(planned_resized).items() if r["result"] is None}
        assert pending == {f"{prefix}-size-set"}, planned_resized
        removed, removed_again = masterless.run_calls(
            tmp_path / "clean", [["state.high", [clean], {}], ["state.high", [clean], {}]]
        )
        assert all(r["result"] is True for r in _by_id(removed).values()), [
            (i, r["comment"], r["changes"].get("stderr", "")[-300:]) for i, r in _by_id(removed).items()
        ]
        assert _ceph(cluster, "osd", "pool", "get", POOL, "pg_num").returncode != 0, "pool still there"
        assert all(r["result"] is True and r["changes"] == {} for r in _by_id(removed_again).values())
    finally:
        _ceph(cluster, "tell", "mon.*", "config", "set", "mon_allow_pool_delete", "true")
        _ceph(cluster, "osd", "pool", "rm", POOL, POOL, "--yes-i-really-really-mean-it")


def test_mgr_keyring_script_writes_a_private_keyring(cluster, tmp_path):
    pillar = _pillar(cluster, tmp_path)
    (shown,) = masterless.run_calls(
        tmp_path / "render", [["state.show_sls", ["ceph.mgr"], {"pillar": pillar}]]
    )
    state = shown["ret"]["ceph-mgr-keyring-created"]
    high = _cmd_high({"ceph-mgr-keyring-created": state}, "ceph-mgr-keyring")
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
        assert ran["result"] is True, ran
        keyring = mgr_dir / "keyring"
        assert "key = " in keyring.read_text()
        assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
        assert not (mgr_dir / "keyring.tmp").exists()
        (again,) = _results(second)
        assert again["result"] is True and again["changes"] == {}
    finally:
        _ceph(cluster, "auth", "rm", "mgr.quoted")
