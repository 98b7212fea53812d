"""
Benchmark: waiting for provision states, our one-list-call poller (``ironic_node._Watcher``)
against openstacksdk's own waiters, with everything else the same, in one run against one real
Ironic (the functional tier's: ``lab/services/ironic/harness.py``, fake-hardware, automated
cleaning on).

Each method moves its own ``STACKSALT_BENCH_WAIT_NODES`` nodes (50; 20 when ``CI=true``)
``enroll`` -> ``manageable`` -> ``available`` (manage, then provide with its cleaning). The
provision PUTs are the module's own (``ironic_node._request``) on one shared connection for every
method; only the waiting differs, in the two shapes a caller could use:

- ``pool``: ``apply``'s shape. ``STACKSALT_BENCH_WAIT_CONCURRENCY`` workers (8, the states'
  default), each node: PUT manage, wait, PUT provide, wait.
  ``ours``: ``_Watcher.wait`` (one shared watcher, as ``apply`` has);
  ``sdk``: the node's ``wait_for_provision_state(conn.baremetal, state)`` (what
  ``set_node_provision_state(..., wait=True)`` runs: one GET of the node every 2 s).
- ``phased``: every node's PUT (through the same pool), then one wait for them all, per verb.
  ``ours``: one ``_Watcher.wait`` per node, all at once (one thread each);
  ``sdk``: ``conn.baremetal.wait_for_nodes_provision_state(uuids, state)`` (one GET per node still
  waiting, every 2 s).

Each method's nodes are created through the raw API before it and deleted after it (neither
measured), so a list call of ours lists that method's nodes only. Per method: wall seconds, API
requests, polling requests (the GETs of the waits) and the time Ironic spent serving them (a list
call of ours reads every node, a GET of the SDK's one), all from Ironic's access log; the
ratios sdk/ours per shape are printed and written to ``$TMPDIR/bench-ironic-wait.json``.
Timings and counts are reported, never asserted: asserted is that every node of every method
reached ``manageable`` and then ``available``.

Run: ``tools/run-tests tests/bench/ironic/test_wait_bench.py -s``
"""

import concurrent.futures
import json
import os
import pathlib
import re
import time

import pytest
from openstack.baremetal.v1.node import Node

from tests.support.loader import load, load_file

pytestmark = [pytest.mark.bench, pytest.mark.timeout(1800)]

REPO = pathlib.Path(__file__).resolve().parents[3]
harness = load_file(REPO / "lab/services/ironic/harness.py", "stacksalt_ironic_harness")

NODES = int(os.environ.get("STACKSALT_BENCH_WAIT_NODES", "20" if os.environ.get("CI") == "true" else "50"))
CONCURRENCY = int(os.environ.get("STACKSALT_BENCH_WAIT_CONCURRENCY", "8"))
TIMEOUT = 600
MV = {"X-OpenStack-Ironic-API-Version": "1.78"}
STEPS = (("manage", "manageable"), ("provide", "available"))


def spec(prefix, i):
    return {
        "name": f"{prefix}-{i}",
        "driver": "fake-hardware",
        "driver_info": {"ipmi_address": f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}"},
        "properties": {"cpus": 4, "memory_mb": 12288, "local_gb": 60},
        "ports": [],
    }


def make_nodes(inst, request, prefix):
    specs = [spec(prefix, i) for i in range(NODES)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda s: harness.create_node(request, inst.url, s), specs))


def delete_nodes(inst, request, uuids):
    def one(uuid):
        r = request("DELETE", f"{inst.url}/v1/nodes/{uuid}")
        assert r.status_code in (204, 404), r.text

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(one, uuids))


def provision_states(inst, request, uuids):
    rows = request("GET", f"{inst.url}/v1/nodes?fields=uuid,provision_state").json()["nodes"]
    wanted = set(uuids)
    return {r["uuid"]: r["provision_state"] for r in rows if r["uuid"] in wanted}


def put(mod, conn, uuid, verb):
    mod._request(conn, "PUT", f"/nodes/{uuid}/states/provision", json={"target": verb})


def in_pool(func, items, workers):
    with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
        return list(pool.map(func, items))


def ours_wait(watcher, uuid, want):
    row = watcher.wait(uuid, {want}, TIMEOUT)
    assert row["provision_state"] == want, row
    return row["provision_state"]


def run_pool_ours(mod, conn, uuids):
    watcher = mod._Watcher(conn)
    reached = {want: [] for _, want in STEPS}

    def one(uuid):
        for verb, want in STEPS:
            put(mod, conn, uuid, verb)
            reached[want].append(ours_wait(watcher, uuid, want))

    try:
        in_pool(one, uuids, CONCURRENCY)
    finally:
        watcher.close()
    return reached


def run_pool_sdk(mod, conn, uuids):
    reached = {want: [] for _, want in STEPS}

    def one(uuid):
        for verb, want in STEPS:
            put(mod, conn, uuid, verb)
            # what set_node_provision_state(..., wait=True) runs: a GET of the node every 2 s
            node = Node(id=uuid).wait_for_provision_state(conn.baremetal, want, timeout=TIMEOUT)
            reached[want].append(node.provision_state)

    in_pool(one, uuids, CONCURRENCY)
    return reached


def run_phased_ours(mod, conn, uuids):
    watcher = mod._Watcher(conn)
    reached = {}
    try:
        for verb, want in STEPS:
            in_pool(lambda u, verb=verb: put(mod, conn, u, verb), uuids, CONCURRENCY)
            reached[want] = in_pool(lambda u, want=want: ours_wait(watcher, u, want), uuids, len(uuids))
    finally:
        watcher.close()
    return reached


def run_phased_sdk(mod, conn, uuids):
    reached = {}
    for verb, want in STEPS:
        in_pool(lambda u, verb=verb: put(mod, conn, u, verb), uuids, CONCURRENCY)
        nodes = conn.baremetal.wait_for_nodes_provision_state(uuids, want, timeout=TIMEOUT)
        reached[want] = [n.provision_state for n in nodes]
    return reached


METHODS = {
    ("pool", "ours"): run_pool_ours,
    ("pool", "sdk"): run_pool_sdk,
    ("phased", "ours"): run_phased_ours,
    ("phased", "sdk"): run_phased_sdk,
}


#: an access-log line of Ironic's API, with the time it spent on the request
_API_LINE = re.compile(r" ironic\.api .* - (GET|POST|PUT|PATCH|DELETE) (\S+) - (\d{3}) \(([\d.]+)ms\)")


def api_log(inst):
    """Ironic's API requests so far: [(method, path, server ms)]."""
    with open(inst.log, encoding="utf-8", errors="replace") as fh:
        return [(m[1], m[2], float(m[4])) for m in map(_API_LINE.search, fh) if m]


def is_poll(method, path):
    return method == "GET" and path.startswith("/v1/nodes")


def measure(inst, request, mod, conn, shape, waiter):
    uuids = make_nodes(inst, request, f"wait-{shape}-{waiter}")
    assert set(provision_states(inst, request, uuids).values()) == {"enroll"}
    time.sleep(0.5)  # let the access log catch up with the creates
    before = len(api_log(inst))
    start = time.monotonic()
    reached = METHODS[shape, waiter](mod, conn, uuids)
    seconds = time.monotonic() - start
    time.sleep(0.5)
    entries = api_log(inst)[before:]
    end = provision_states(inst, request, uuids)
    delete_nodes(inst, request, uuids)
    polls = [ms for m, p, ms in entries if is_poll(m, p)]
    return {
        "seconds": round(seconds, 2),
        "requests": len(entries),
        "polling_requests": len(polls),
        "polling_server_ms": round(sum(polls), 1),
        "provision_puts": sum(1 for m, p, _ in entries if m == "PUT" and p.endswith("/states/provision")),
        "per_node": {"seconds": round(seconds / NODES, 3), "polling_requests": round(len(polls) / NODES, 2)},
        "reached": {want: sorted(set(states)) + [len(states)] for want, states in reached.items()},
        "end": end,
    }


def test_wait_ours_vs_sdk(cleaning_ironic):
    inst = cleaning_ironic
    request = harness.raw_requester(MV)
    config = {"openstack": {"clouds": {"bench": inst.cloud()}}}
    mod = load(
        "modules", "ironic_node", salt={"config.get": lambda key, default=None: config.get(key, default)}
    )
    conn = mod._conn("bench")
    next(iter(conn.baremetal.nodes(limit=1)), None)  # version discovery, before any count
    results = {"nodes": NODES, "concurrency": CONCURRENCY, "automated_clean": True, "methods": {}}
    for shape, waiter in METHODS:
        results["methods"][f"{shape}/{waiter}"] = measure(inst, request, mod, conn, shape, waiter)

    m = results["methods"]
    results["ratios_sdk_over_ours"] = {
        shape: {
            k: round(m[f"{shape}/sdk"][k] / m[f"{shape}/ours"][k], 2) if m[f"{shape}/ours"][k] else None
            for k in ("seconds", "requests", "polling_requests", "polling_server_ms")
        }
        for shape in ("pool", "phased")
    }
    out = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "bench-ironic-wait.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nIronic provision waits, {NODES} nodes, concurrency {CONCURRENCY}, cleaning on:")
    for name, r in m.items():
        print(
            f"  {name:12} {r['seconds']:7.2f} s  {r['requests']:5} requests  "
            f"{r['polling_requests']:5} polls  ({r['per_node']['polling_requests']} polls/node, "
            f"{r['polling_server_ms']:.0f} ms of Ironic's time)"
        )
    for shape, r in results["ratios_sdk_over_ours"].items():
        print(
            f"  {shape} sdk/ours: time {r['seconds']}, requests {r['requests']}, polls {r['polling_requests']}, "
            f"polls' server time {r['polling_server_ms']}"
        )

    # Behaviour only: every node of every method reached manageable, then available.
    for name, r in m.items():
        assert r["reached"] == {"manageable": ["manageable", NODES], "available": ["available", NODES]}, name
        assert set(r["end"].values()) == {"available"} and len(r["end"]) == NODES, (name, r["end"])
        assert r["provision_puts"] == 2 * NODES, (name, r["provision_puts"])
