#!/usr/bin/python3
"""
Wait until the Ironic API at URL answers and lists every given hardware type, that is, a
conductor has registered them (managed by Salt: stacksalt ironic formula).

usage: drivers-registered URL SECONDS HARDWARE_TYPE...   (exit 0: all listed; 1: not in time)
SECONDS 0 checks once: the formula's `unless`, so test=True sees a converged host as converged.
"""

import json
import sys
import time
import urllib.request


def listed_types(url):
    request = urllib.request.Request(
        url.rstrip("/") + "/v1/drivers", headers={"X-OpenStack-Ironic-API-Version": "1.78"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a URL from pillar
        return {driver["name"] for driver in json.load(response)["drivers"]}


def main(url, seconds, *wanted):
    deadline = time.monotonic() + float(seconds)
    missing, error = set(wanted), None
    while True:
        try:
            missing = set(wanted) - listed_types(url)
            error = None
        except (OSError, ValueError, KeyError) as exc:
            error = exc
        if not missing and error is None:
            return 0
        if time.monotonic() >= deadline:
            break
        time.sleep(1)
    why = f"the API did not answer ({error})" if error else f"not registered: {', '.join(sorted(missing))}"
    print(f"Ironic at {url} after {seconds} s: {why}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
