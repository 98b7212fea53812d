"""
Benchmark P5: the master at fleet size (issue 14). Real Salt daemons (pytest-salt-factories):

  ours:   a salt-master with the config the salt formula writes (tests/support/harness.py, as the
          integration tier) and the site's pillar; its minions are hosts with role salt-minion
          (formulas host and salt.minion), each with a pillar host file of its own;
  plain:  a salt-master with Salt's defaults serving an empty pillar and a highstate of one
          ``test.nop`` (Salt calls a highstate with no state at all an error).

For each fleet size (``STACKSALT_BENCH_FLEET_SIZES``, default ``25,50,100,200``; tools/run-tests
runs ``3``) the fleet grows to that size and, from the master, these run against all of it:

  pillar:     ``pillar.items`` (each minion has the master compile its pillar afresh)
  highstate:  a no-op ``state.apply`` (ours: converged by a first apply before; plain: the
              empty state)

Measured: the master's CPU-seconds (its whole process tree, from /proc through psutil) per
minion, and the wall time of the run. The minions run on this machine too, so the wall time
includes their own CPU; the master's CPU per minion is what grows or stays flat with the fleet.
Then, at the largest size, ours again with each master setting of docs/salt.md changed alone.
Results: ``$TMPDIR/bench-fleet.json``.

Run: ``STACKSALT_BENCH_FLEET_SIZES=25,50,100,200 tools/run-tests tests/bench/fleet -s``
(about 20 minutes and 12 GB at 200 minions: take the lab down first).
"""

import concurrent.futures
import json
import os
import pathlib
import time

import psutil
import pytest

from tests.support.harness import master_overrides, minion_overrides, shipped_master_config, stop_minion

pytestmark = [pytest.mark.bench, pytest.mark.timeout(5400)]

SIZES = sorted(int(s) for s in os.environ.get("STACKSALT_BENCH_FLEET_SIZES", "25,50,100,200").split(",") if s)
#: Master settings changed one at a time at the largest size (docs/salt.md): the setting, its
#: value in the run, and the `salt` CLI options of the run.
VARIANTS = {
    "worker_threads=2": ({"worker_threads": 2}, []),
    "worker_threads=8": ({"worker_threads": 8}, []),
    "pillar_cache=True": (
        {"pillar_cache": True, "pillar_cache_ttl": 3600, "pillar_cache_backend": "disk"},
        [],
    ),
    "batch 25%": ({}, ["--batch-size=25%"]),
}
#: The fleet size of the settings' runs (each starts its own fleet)
VARIANT_SIZE = 100
START_THREADS = 8
#: The pillar host file of a fleet minion: the salt-minion role, as pillar/hosts/*.sls name it.
HOST_FILE = "include:\n  - roles.salt-minion\n\nroles: [salt-minion]\n"


def tree_cpu(pid):
    """CPU-seconds of a process, its live descendants and the children it reaped."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


class Fleet:
    """Minions of one master, started as the size grows and stopped at the end."""

    def __init__(self, master, prefix, overrides, tmp):
        self.master, self.prefix, self.overrides, self.tmp = master, prefix, overrides, tmp
        self.started = []  # (factory, state_dir)

    @property
    def ids(self):
        return [factory.id for factory, _ in self.started]

    def grow(self, size):
        new = []
        for i in range(len(self.started), size):
            minion_id = f"{self.prefix}-{i:03d}"
            state_dir = self.tmp / minion_id
            state_dir.mkdir(parents=True, exist_ok=True)
            factory = self.master.salt_minion_daemon(
                minion_id, overrides=self.overrides(minion_id, state_dir)
            )
            new.append((factory, state_dir))
        with concurrent.futures.ThreadPoolExecutor(START_THREADS) as pool:
            list(pool.map(lambda item: item[0].start(), new))
        self.started += new
        return [factory.id for factory, _ in new]

    def stop(self):
        with concurrent.futures.ThreadPoolExecutor(START_THREADS) as pool:
            list(pool.map(lambda item: stop_minion(*item), self.started))


def measure(master, cli, ids, fun, cli_opts=(), timeout=1800):
    """One ``salt -L IDS FUN`` from the master: its wall time and the master's CPU, and the returns."""
    batch = any(opt.startswith("--batch") for opt in cli_opts)
    cpu0, t0 = tree_cpu(master.pid), time.monotonic()
    ret = cli.run(
        *cli_opts, "-L", fun, minion_tgt=",".join(ids), merge_json_output=batch or None, _timeout=timeout
    )
    wall, cpu = time.monotonic() - t0, tree_cpu(master.pid) - cpu0
    data = ret.data if isinstance(ret.data, dict) else {}
    missing = sorted(set(ids) - set(data))
    assert ret.returncode == 0 and not missing, f"{fun}: rc {ret.returncode}, no return from {missing[:10]}"
    row = {
        "wall_s": round(wall, 2),
        "master_cpu_s": round(cpu, 2),
        "master_cpu_s_per_minion": round(cpu / len(ids), 4),
    }
    return row, data


def not_noop(returns):
    """The states of each minion's highstate that changed something or did not succeed."""
    return {
        mid: [key for key, state in states.items() if state.get("changes") or state.get("result") is not True]
        for mid, states in returns.items()
        if isinstance(states, dict)
    }


@pytest.fixture(scope="module")
def fleet_pillar(tmp_path_factory):
    """The site's own pillar root (salt:master:pillar_roots): a host file per fleet minion."""
    root = tmp_path_factory.mktemp("fleet-pillar")
    (root / "hosts").mkdir()
    for prefix in ("fleet", *(f"v{n}" for n in range(len(VARIANTS)))):
        for i in range(max(SIZES)):
            (root / "hosts" / f"{prefix}-{i:03d}.sls").write_text(HOST_FILE)
    return root


def ours_master(salt_factories, repo_root, workdir, fleet_pillar, extra=None):
    shipped = shipped_master_config(repo_root, workdir, extra_pillar={"pillar_roots": [str(fleet_pillar)]})
    return salt_factories.salt_master_daemon(
        f"fleet-ours-{workdir.name}", overrides={**master_overrides(shipped), **(extra or {})}
    )


def plain_master(salt_factories, workdir):
    states, pillar = workdir / "states", workdir / "pillar"
    states.mkdir(parents=True)
    pillar.mkdir()
    (states / "top.sls").write_text("base:\n  '*':\n    - noop\n")
    # One state that does nothing: a highstate with no state at all is an error (rc 1).
    (states / "noop.sls").write_text("plain-noop:\n  test.nop: []\n")
    return salt_factories.salt_master_daemon(
        "fleet-plain",
        overrides={
            "interface": "127.0.0.1",
            "file_roots": {"base": [str(states)]},
            "pillar_roots": {"base": [str(pillar)]},
        },
    )


def run_fleet(master, prefix, overrides, tmp, converge, cli_opts=(), sizes=SIZES):
    rows = {}
    cli = master.salt_cli(timeout=1800)
    fleet = Fleet(master, prefix, overrides, tmp)
    try:
        for size in sizes:
            start = time.monotonic()
            new = fleet.grow(size)
            started_s = time.monotonic() - start
            if converge and new:
                first = cli.run("-L", "state.apply", minion_tgt=",".join(new), _timeout=1800)
                assert first.returncode == 0, str(first.data)[:3000]
            row = {"start_s": round(started_s, 1)}
            row["pillar"], _ = measure(master, cli, fleet.ids, "pillar.items", cli_opts)
            row["highstate"], returns = measure(master, cli, fleet.ids, "state.apply", cli_opts)
            if converge:
                # Behaviour, not speed: the converged fleet's highstate changes and fails nothing.
                busy = {mid: keys for mid, keys in not_noop(returns).items() if keys}
                assert not busy, f"{prefix} {size}: the no-op highstate was not: {str(busy)[:3000]}"
            rows[size] = row
            print(f"\n{prefix} {size} minions: {json.dumps(row)}")
    finally:
        fleet.stop()
    return rows


def test_master_cost_per_minion_ours_against_plain_salt(salt_factories, repo_root, fleet_pillar, tmp_path):
    results = {"sizes": SIZES}

    def ours_overrides(minion_id, state_dir):
        return minion_overrides(repo_root, minion_id, state_dir)

    master = ours_master(salt_factories, repo_root, tmp_path / "ours", fleet_pillar)
    with master.started():
        results["ours"] = run_fleet(master, "fleet", ours_overrides, tmp_path / "ours-minions", converge=True)
    plain = plain_master(salt_factories, tmp_path / "plain")
    with plain.started():
        results["plain"] = run_fleet(
            plain, "plain", lambda mid, sd: {}, tmp_path / "plain-minions", converge=False
        )

    # Each setting alone, at the largest size up to VARIANT_SIZE (a full run only).
    size = max(s for s in SIZES if s <= VARIANT_SIZE) if min(SIZES) <= VARIANT_SIZE else min(SIZES)
    results["variants"] = {"size": size, "baseline": results["ours"][size]}
    for n, (label, (settings, cli_opts)) in enumerate(VARIANTS.items() if len(SIZES) > 1 else ()):
        master = ours_master(salt_factories, repo_root, tmp_path / f"variant-{n}", fleet_pillar, settings)
        with master.started():
            rows = run_fleet(
                master, f"v{n}", ours_overrides, tmp_path / f"variant-{n}-minions", True, cli_opts, [size]
            )
        results["variants"][label] = rows[size]

    results["ratios"] = {
        size: {
            phase: round(
                results["ours"][size][phase]["master_cpu_s_per_minion"]
                / max(results["plain"][size][phase]["master_cpu_s_per_minion"], 1e-4),
                1,
            )
            for phase in ("pillar", "highstate")
        }
        for size in SIZES
    }
    out = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "bench-fleet.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nP5 fleet: {json.dumps(results, indent=1)}")
