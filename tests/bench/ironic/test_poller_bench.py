"""
Benchmark: our one-list-call provision-state poller (``ironic_node._Watcher``) against
openstacksdk's own waiter, driving the same kind of nodes ``enroll`` -> ``manageable`` ->
``available`` (through automated cleaning) in the same real Ironic.

- ``ours``: ``ironic_node.enrolled`` (through Salt's loader, as a minion runs it) over nodes
  that already exist in ``enroll`` exactly as listed, so its work is manage + provide only (no
  create, patch or port call: asserted). Its waits are ``_Watcher`` ticks (every 0.3 s): one
  ``GET /v1/nodes?fields=...`` for all waiting nodes, or one ``GET /v1/nodes/<uuid>`` each when
  3 or fewer wait.
- ``sdk``: ``set_node_provision_state(node, "manage")`` for every node (no wait), then
  ``wait_for_nodes_provision_state(nodes, "manageable")``, the same with ``"provide"`` and
  ``"available"``: its waiter GETs each node still waiting once per tick (every 2 s).

The nodes (``STACKSALT_BENCH_POLL_NODES``, 60, the suite 30; fake-hardware, one port each, own name prefix and
MAC range per method) are created through the raw API before each method runs (not measured).
Per method: wall seconds, API requests (from Ironic's access log), polling requests (the GETs
that read provision states while waiting) and the server time Ironic spent on them (the access
log's ``(… ms)``), per node, and the ratios sdk/ours. ``ours`` runs first, so its list calls
carry only its own nodes (they list every node in Ironic, not only the waiting ones: the rows
per list call are reported). Ironic's ``max_concurrent_clean`` is raised to the node count so
the SDK's provide-all-at-once is not refused (ours holds its own limit, 50 by default).
Results: ``$TMPDIR/bench-ironic-poller.json``. Timings are reported, never asserted; asserted is
behaviour: every node ends ``available``, and, when at least ``STACKSALT_BENCH_POLL_CONCURRENCY``
(16, the state's workers) nodes wait, ours sends fewer polling requests per node than the SDK's
waiter. That part is structural only with many nodes: the SDK reads each node at least once per
wait (2 per node at best), ours' ticks follow the run's length (a few seconds at least), so with
few nodes ours reads more per node (2026-12-02, 2 cores: 6 nodes, ours 3.83 polls per node,
sdk 2.67; 16 nodes, 1.31 and 2.5; 60 nodes, 0.85 and 2.03): below that it is reported only.

Run: ``tools/run-tests tests/bench/ironic/test_poller_bench.py -s``
"""

import collections
import concurrent.futures
import json
import os
import pathlib
import re
import time

import pytest
import requests

from tests.support.loader import load_file

pytestmark = [pytest.mark.bench, pytest.mark.timeout(600)]

REPO = pathlib.Path(__file__).resolve().parents[3]
harness = load_file(REPO / "lab/services/ironic/harness.py", "stacksalt_ironic_harness")

NODES = int(os.environ.get("STACKSALT_BENCH_POLL_NODES", "60"))
#: workers of the state (P1's figure; the state's own default is 8)
CONCURRENCY = int(os.environ.get("STACKSALT_BENCH_POLL_CONCURRENCY", "16"))
MV = {"X-OpenStack-Ironic-API-Version": "1.78"}
#: an access-log line of Ironic's API, with the time it spent on the request
_API_LINE = re.compile(r" ironic\.api .* - (GET|POST|PUT|PATCH|DELETE) (\S+) - (\d{3}) \(([\d.]+)ms\)")
_NODE_PATH = re.compile(r"^/v1/nodes/([^/?]+)(\?.*)?$")
_PROVISION_PUT = re.compile(r"^/v1/nodes/[^/?]+/states/provision$")


def node(prefix, tag, i):
    """One node in the operator's format, with nothing Ironic masks (so a node created through
    the raw API is exactly what the state wants: its plan is provision verbs only)."""
    return {
        "name": f"{prefix}-{i}",
        "driver": "fake-hardware",
        "driver_info": {"ipmi_address": f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}"},
        "properties": {"cpus": 4, "memory_mb": 12288, "local_gb": 60},
        "ports": [{"address": f"{tag}:{i // 65536 % 256:02x}:{i // 256 % 256:02x}:{i % 256:02x}:00"}],
        "provision_state": "available",
    }


def api_log(inst):
    """Ironic's API requests so far: [(method, path, status, server ms)]."""
    out = []
    with open(inst.log, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = _API_LINE.search(line)
            if m:
                out.append((m.group(1), m.group(2), int(m.group(3)), float(m.group(4))))
    return out


def settled_log(inst, wait=0.5):
    time.sleep(wait)  # let the access log catch up
    return api_log(inst)


def create_raw(inst, specs):
    """Create the nodes (in ``enroll``) and their ports, 16 at a time, through the raw API."""
    retried = harness.raw_requester(MV)

    def one(spec):
        harness.create_node(retried, inst.url, spec)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(one, specs))


def states(inst, prefix):
    """{name: provision state} of the nodes named ``<prefix>-*`` (all with ``None``; one listing,
    not measured)."""
    rows = requests.get(f"{inst.url}/v1/nodes?fields=name,provision_state", headers=MV, timeout=60).json()
    return {
        r["name"]: r["provision_state"]
        for r in rows["nodes"]
        if prefix is None or (r.get("name") or "").startswith(f"{prefix}-")
    }


def kind(method, path):
    """What a request is, for the per-kind counts."""
    if method == "GET" and path.split("?")[0] == "/v1/nodes" and "target_provision_state" in path:
        return "poll_list"  # the watcher's one list call
    m = _NODE_PATH.match(path)
    if method == "GET" and m and m.group(1) != "detail":
        return "poll_get" if "target_provision_state" in (m.group(2) or "") else "node_get"
    if method == "PUT" and _PROVISION_PUT.match(path.split("?")[0]):
        return "provision_put"
    return f"{method} {path.split('?')[0]}"


def summarise(entries, seconds, n, polling_kinds, extra_polls=0):
    counts = collections.Counter(kind(m, p) for m, p, _, _ in entries)
    server_ms = collections.Counter()
    for m, p, _, ms in entries:
        server_ms[kind(m, p)] += ms
    polls = sum(counts[k] for k in polling_kinds) + extra_polls
    poll_ms = sum(server_ms[k] for k in polling_kinds)
    return {
        "n": n,
        "seconds": round(seconds, 2),
        "requests": len(entries),
        "polling_requests": polls,
        "polling_server_ms": round(poll_ms, 1),
        "server_ms": round(sum(ms for *_, ms in entries), 1),
        "per_node": {
            "seconds": round(seconds / n, 3),
            "requests": round(len(entries) / n, 2),
            "polling_requests": round(polls / n, 2),
            "polling_server_ms": round(poll_ms / n, 1),
        },
        "by_kind": dict(sorted(counts.items())),
    }


def run_ours(inst, loaders, specs):
    before = len(settled_log(inst))
    start = time.monotonic()
    ret = loaders.states.ironic_node.enrolled(
        name="bench", nodes=specs, cloud="bench", concurrency=CONCURRENCY
    )
    seconds = time.monotonic() - start
    entries = settled_log(inst)[before:]
    assert ret.result is True, ret.comment
    # The run's work was manage + provide of the existing nodes: nothing created or changed.
    assert "created" not in ret.changes and len(ret.changes.get("updated", [])) == len(specs), ret.changes
    assert not [e for e in entries if e[0] in ("POST", "PATCH", "DELETE")], entries
    out = summarise(entries, seconds, len(specs), ("poll_list", "poll_get"))
    out["concurrency"] = CONCURRENCY
    out["poll_list_calls"] = out["by_kind"].get("poll_list", 0)
    out["poll_node_gets"] = out["by_kind"].get("poll_get", 0)
    return out


def run_sdk(inst, conn, specs):
    before = len(settled_log(inst))
    waits = 0.0
    start = time.monotonic()
    nodes = [spec["name"] for spec in specs]
    for verb, want in (("manage", "manageable"), ("provide", "available")):
        nodes = [conn.baremetal.set_node_provision_state(n, verb) for n in nodes]
        t = time.monotonic()
        nodes = conn.baremetal.wait_for_nodes_provision_state(
            nodes, want, timeout=600, abort_on_failed_state=True
        )
        waits += time.monotonic() - t
    seconds = time.monotonic() - start
    entries = settled_log(inst)[before:]
    # The node GETs of the waits: all node GETs less the fetch set_node_provision_state does
    # after each accepted PUT.
    accepted = sum(1 for m, p, s, _ in entries if kind(m, p) == "provision_put" and s < 300)
    node_gets = sum(1 for m, p, _, _ in entries if kind(m, p) == "node_get")
    polls = node_gets - accepted
    out = summarise(entries, seconds, len(specs), (), extra_polls=polls)
    # Server time of the polls: the node GETs' share, by count (each GET costs about the same).
    node_get_ms = sum(ms for m, p, _, ms in entries if kind(m, p) == "node_get")
    out["polling_server_ms"] = round(node_get_ms * polls / max(node_gets, 1), 1)
    out["per_node"]["polling_server_ms"] = round(out["polling_server_ms"] / len(specs), 1)
    out["wait_seconds"] = round(waits, 2)
    out["set_seconds"] = round(seconds - waits, 2)  # the sequential PUT + fetch of each node
    return out


def test_poller_ours_vs_sdk(cleaning_ironic, tmp_path_factory, monkeypatch):
    import openstack

    inst = cleaning_ironic
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", inst.clouds_yaml)
    loaders = harness.salt_loaders(tmp_path_factory.mktemp("bench-salt"), {"bench": inst.cloud()})
    results = {"nodes": NODES, "automated_clean": True}

    ours_specs = [node("poll-ours", "52:60", i) for i in range(NODES)]
    create_raw(inst, ours_specs)
    assert set(states(inst, "poll-ours").values()) == {"enroll"}
    results["ours"] = run_ours(inst, loaders, ours_specs)
    results["ours"]["rows_per_list_call"] = len(states(inst, None))  # every node Ironic has
    ours_end = states(inst, "poll-ours")

    sdk_specs = [node("poll-sdk", "52:61", i) for i in range(NODES)]
    create_raw(inst, sdk_specs)
    assert set(states(inst, "poll-sdk").values()) == {"enroll"}
    conn = openstack.connect(cloud="ironic", baremetal_api_version="1.78")
    results["sdk"] = run_sdk(inst, conn, sdk_specs)
    sdk_end = states(inst, "poll-sdk")

    ours, sdk = results["ours"], results["sdk"]
    results["ratios_sdk_over_ours"] = {
        k: round(sdk[k] / ours[k], 2) if ours[k] else None
        for k in ("seconds", "requests", "polling_requests", "polling_server_ms")
    }
    results["ours_fewer_polls_per_node"] = (
        ours["per_node"]["polling_requests"] < sdk["per_node"]["polling_requests"]
    )
    out = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "bench-ironic-poller.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nIronic poller, {NODES} nodes, cleaning on: {json.dumps(results, indent=1)}")
    r = results["ratios_sdk_over_ours"]
    print(
        f"poller: ours {ours['seconds']} s, {ours['requests']} req, {ours['polling_requests']} polls "
        f"({ours['poll_list_calls']} list + {ours['poll_node_gets']} GET); sdk {sdk['seconds']} s, "
        f"{sdk['requests']} req, {sdk['polling_requests']} polls; sdk/ours: time {r['seconds']}, "
        f"requests {r['requests']}, polls {r['polling_requests']}, poll server time {r['polling_server_ms']}"
    )

    # Behaviour, not speed: every node ends available with both methods, and with many nodes
    # waiting one list call per tick needs fewer reads per node than the SDK's one GET per node
    # per tick (structural there; with few nodes it is not, see above). Times and ratios are
    # reported only.
    assert ours_end == {s["name"]: "available" for s in ours_specs}, ours_end
    assert sdk_end == {s["name"]: "available" for s in sdk_specs}, sdk_end
    if NODES >= CONCURRENCY:
        assert results["ours_fewer_polls_per_node"], results
