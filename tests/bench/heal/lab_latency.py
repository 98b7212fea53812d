"""
Break-to-restore latency on the lab's systemd hosts: stop stacksalt-canary on a host, time
until systemd reports it active again (beacon -> reactor -> runner -> state.apply).

Needs a converged lab (`lab/lab main`); run under the lab lock:

    flock /var/tmp/stacksalt-lab.lock .venv/bin/python -m tests.bench.heal.lab_latency --trials 10

Prints every trial, the median and the worst. Extra units: `--unit ironic-conductor --host ironic1`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

LABDIR = os.environ.get("STACKSALT_LAB_DIR", "/var/tmp/stacksalt-lab")


def podman(*args, check=True):
    env = {
        **os.environ,
        "CONTAINERS_CONF": f"{LABDIR}/conf/containers.conf",
        "CONTAINERS_STORAGE_CONF": f"{LABDIR}/conf/storage.conf",
    }
    proc = subprocess.run(["podman", *args], capture_output=True, text=True, env=env, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"podman {' '.join(args)}: {proc.stderr or proc.stdout}")
    return proc.stdout.strip()


def active(host, unit):
    return podman("exec", host, "systemctl", "is-active", unit, check=False) == "active"


def trial(host, unit, timeout):
    podman("exec", "master", "salt-run", "stacksalt_heal.reset", host)
    if not active(host, unit):
        raise SystemExit(f"{unit} is not running on {host} before the trial")
    start = time.monotonic()
    podman("exec", host, "systemctl", "stop", unit)
    while time.monotonic() - start < timeout:
        if active(host, unit):
            return time.monotonic() - start
        time.sleep(0.1)
    raise SystemExit(f"{unit} on {host}: not restored within {timeout} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--host", action="append", help="lab hosts to break in turn (default: all minions)")
    parser.add_argument("--unit", default="stacksalt-canary")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args(argv)
    hosts = args.host or ["ironic1", "ceph1", "ceph2", "ceph3", "compute1", "master"]
    latencies = []
    for number in range(args.trials):
        host = hosts[number % len(hosts)]
        seconds = trial(host, args.unit, args.timeout)
        latencies.append(seconds)
        print(f"trial {number + 1}: {args.unit} on {host}: {seconds:.1f} s", flush=True)
        time.sleep(1)
    print(
        f"{args.unit}: {len(latencies)} trials, median {statistics.median(latencies):.1f} s, "
        f"worst {max(latencies):.1f} s (beacon interval 5 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
