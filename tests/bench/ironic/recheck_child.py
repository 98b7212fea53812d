"""
One ``ironic_node.enrolled`` run of the re-check bench, in a process of its own so that its peak
memory is the state's and Salt's loader's, nothing of pytest's:

    python -m tests.bench.ironic.recheck_child --tmp DIR --clouds JSON --nodes N [--create]

Prints one JSON line: the state's seconds (the run alone, after the loader is built), its result
and changes summary, the process's RSS before the run and its peak RSS (KiB).
"""

import argparse
import json
import pathlib
import resource
import sys
import time

from tests.bench.ironic.nodes import node
from tests.support.loader import load_file

REPO = pathlib.Path(__file__).resolve().parents[3]
harness = load_file(REPO / "lab/services/ironic/harness.py", "stacksalt_ironic_harness")


def rss_kib():
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--tmp", required=True)
    parser.add_argument("--clouds", required=True, help="openstack:clouds as JSON")
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--create", action="store_true", help="the enrolment run (creates the nodes)")
    args = parser.parse_args(argv)
    loaders = harness.salt_loaders(args.tmp, json.loads(args.clouds))
    # Left in enroll: no provision step, the re-check compares fields, secrets and ports only.
    specs = [node("recheck", i, provision_state="enroll") for i in range(args.nodes)]
    enrolled = loaders.states.ironic_node.enrolled
    before = rss_kib()
    start = time.monotonic()
    ret = enrolled(name="recheck", nodes=specs, cloud="bench", concurrency=16)
    seconds = time.monotonic() - start
    out = {
        "seconds": round(seconds, 3),
        "result": ret.result,
        "changed_nodes": len((ret.changes or {}).get("created", []))
        + len((ret.changes or {}).get("updated", [])),
        "changes_empty": not ret.changes,
        "comment": str(ret.comment)[:500],
        "rss_before_kib": before,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print(json.dumps(out))
    return 0 if ret.result is True else 1


if __name__ == "__main__":
    sys.exit(main())
