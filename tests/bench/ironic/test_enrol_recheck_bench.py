"""
Benchmark P1b: the no-op re-check of many unchanged nodes by ``ironic_node.enrolled`` (issue 14:
5000 nodes in at most 5 API requests and 10 s; the peak memory of the process that ran it).

``STACKSALT_BENCH_RECHECK_NODES`` nodes (5000; tools/run-tests runs 200) are enrolled once by
the state itself, so that each carries the digest of its BMC password as a real site's nodes
do, and left in ``enroll`` (no provision step: only the re-check is measured). The re-check
then runs in a child process (``tests/bench/ironic/recheck_child.py``), whose peak RSS is its
own. API requests are counted from Ironic's access log.

Ironic pages its listings at ``[api]max_limit`` items (1000 by default): the re-check lists nodes
and ports, so it takes ``2 * (N // max_limit + 1)`` requests. At 5000 nodes the budget of 5 needs
``max_limit`` above N; this Ironic runs with 10000, which a site sets with pillar
``ironic:config:api:max_limit`` (docs/ironic.md). Results: ``$TMPDIR/bench-ironic-recheck.json``.

Run: ``tools/run-tests tests/bench/ironic/test_enrol_recheck_bench.py -s``
(full size: ``STACKSALT_BENCH_RECHECK_NODES=5000``)
"""

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

from tests.support.loader import load_file

pytestmark = [pytest.mark.bench, pytest.mark.timeout(1800)]

REPO = pathlib.Path(__file__).resolve().parents[3]
harness = load_file(REPO / "lab/services/ironic/harness.py", "stacksalt_ironic_harness")

NODES = int(os.environ.get("STACKSALT_BENCH_RECHECK_NODES", "5000"))
MAX_LIMIT = 10000


@pytest.fixture(scope="module")
def ironic(tmp_path_factory):
    inst = harness.IronicInstance.start(tmp_path_factory.mktemp("bench-recheck"), max_limit=MAX_LIMIT)
    yield inst
    inst.stop()


def child(inst, tmp, *extra):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.ironic.recheck_child",
            "--tmp",
            str(tmp),
            "--clouds",
            json.dumps({"bench": inst.cloud()}),
            "--nodes",
            str(NODES),
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1700,
        check=False,
    )
    assert proc.returncode == 0, f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_p1b_recheck_of_unchanged_nodes(ironic, tmp_path):
    start = time.monotonic()
    created = child(ironic, tmp_path / "create", "--create")
    create_s = time.monotonic() - start
    assert created["result"] is True and created["changed_nodes"] == NODES, created
    time.sleep(0.5)  # let the access log catch up
    before = ironic.request_count()
    recheck = child(ironic, tmp_path / "recheck")
    time.sleep(0.5)
    requests = ironic.request_log()[before:]
    results = {
        "nodes": NODES,
        "ironic_max_limit": MAX_LIMIT,
        "enrol_seconds": round(create_s, 1),
        "recheck_seconds": recheck["seconds"],
        "recheck_requests": len(requests),
        "recheck_request_paths": sorted({f"{m} {p.split('?')[0]}" for m, p, _ in requests}),
        "rss_before_kib": recheck["rss_before_kib"],
        "peak_rss_kib": recheck["peak_rss_kib"],
        "state_rss_kib": recheck["peak_rss_kib"] - recheck["rss_before_kib"],
        "peak_rss_kib_enrol": created["peak_rss_kib"],
    }
    out = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "bench-ironic-recheck.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nP1b re-check: {json.dumps(results, indent=1)}")
    # Behaviour, not speed: nothing changed, in one listing of nodes and one of ports. The time
    # and the memory are reported, never asserted.
    assert recheck["result"] is True and recheck["changes_empty"], recheck
    assert len(requests) <= 5, requests
