"""
A highstate that changes nothing, against its floor, per lab host (issue: fast when nothing
changes). On a converged lab (`lab/lab main`), for each minion alone and then for all of them:

- floor: `test.ping` (the round trip) plus `state.show_highstate` (pillar, top, render);
- `pillar.items`: the master's pillar compile for the host, with its round trip;
- `state.apply`: the no-op highstate, and the sum of its states' own durations;
- `state.apply state_events=True`: the same with an event per state, as `lab apply` runs it
  until the site has converged (its progress lines): each event is a request to the master.

Each command runs ROUNDS times from the master (timed there, so podman's exec is not in it);
the median is reported, and the ratio of the apply to its floor. Run under the lab lock:

    flock /var/tmp/stacksalt-lab.lock .venv/bin/python -m tests.bench.lab.noop_highstate --rounds 3

Prints a markdown table and writes it with the raw figures to $TMPDIR/bench-noop-highstate.json.
A timing is reported, never asserted.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[3]
LAB = REPO / "lab" / "lab"

# Runs in the master: every command of one round, timed with the master's clock.
ROUND_PY = r"""
import json, subprocess, sys, time
target = sys.argv[1]
def timed(*fun):
    start = time.monotonic()
    proc = subprocess.run(["salt", "--out", "json", "--static", "-t", "300", "-L", target, *fun],
                          capture_output=True, text=True)
    seconds = time.monotonic() - start
    try:
        out = json.loads(proc.stdout or "{}")
    except ValueError:
        out = {}
    return seconds, proc.returncode, out
row = {}
for name, fun in (("ping", ["test.ping"]), ("show_highstate", ["state.show_highstate"]),
                  ("pillar", ["pillar.items"]), ("apply", ["state.apply"]),
                  ("apply_events", ["state.apply", "state_events=True"])):
    seconds, rc, out = timed(*fun)
    row[name] = seconds
    if name == "apply_events":
        row["events_changed"] = sum(1 for ret in out.values() if isinstance(ret, dict)
                                   for s in ret.values() if isinstance(s, dict) and s.get("changes"))
    if name == "apply":
        states, changed, failed, by_fun, slowest = {}, {}, {}, {}, {}
        for minion, ret in out.items():
            ret = ret if isinstance(ret, dict) else {}
            states[minion] = sum(float(s.get("duration") or 0) for s in ret.values() if isinstance(s, dict)) / 1000
            funs, each = {}, []
            for key, s in ret.items():
                if not isinstance(s, dict):
                    continue
                parts = key.split("_|-")
                fun = parts[0] + "." + parts[-1]
                secs = float(s.get("duration") or 0) / 1000
                funs[fun] = funs.get(fun, 0.0) + secs
                each.append((round(secs, 3), parts[1]))
            by_fun[minion] = {k: round(v, 3) for k, v in sorted(funs.items(), key=lambda kv: -kv[1])}
            slowest[minion] = sorted(each, reverse=True)[:5]
            changed[minion] = sum(1 for s in ret.values() if isinstance(s, dict) and s.get("changes"))
            failed[minion] = sum(1 for s in ret.values() if isinstance(s, dict) and s.get("result") is False)
        row.update(states=states, changed=changed, failed=failed, minions=sorted(out), by_fun=by_fun, slowest=slowest)
print(json.dumps(row))
"""


def lab(*args):
    proc = subprocess.run([str(LAB), *args], capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise SystemExit(f"lab {' '.join(args[:3])}: {proc.stderr[-2000:] or proc.stdout[-2000:]}")
    return proc.stdout


def minions():
    """The lab's minion hosts (salt-ssh hosts have no minion to ask)."""
    keys = json.loads(lab("ssh", "master", "salt-key", "--list", "accepted", "--out", "json"))
    return sorted(keys.get("minions", []))


def one_round(hosts):
    """One round of every command for ``hosts`` (a list of minions) at once."""
    out = lab("ssh", "master", "/opt/saltstack/salt/bin/python3", "-c", ROUND_PY, ",".join(hosts))
    return json.loads(out.strip().splitlines()[-1])


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def summarize(rounds, minion=None):
    floor = [r["ping"] + r["show_highstate"] for r in rounds]
    apply = [r["apply"] for r in rounds]
    states = [sum(r["states"].values()) if minion is None else r["states"].get(minion, 0.0) for r in rounds]
    return {
        "ping": median([r["ping"] for r in rounds]),
        "show_highstate": median([r["show_highstate"] for r in rounds]),
        "pillar": median([r["pillar"] for r in rounds]),
        "floor": median(floor),
        "apply": median(apply),
        "apply_events": median([r["apply_events"] for r in rounds]),
        "ratio_events": median([r["apply_events"] / f for r, f in zip(rounds, floor, strict=True)]),
        "states": median(states),
        "ratio": median([a / f for a, f in zip(apply, floor, strict=True)]),
        "changed": max(
            max(sum(r["changed"].values()) for r in rounds), max(r["events_changed"] for r in rounds)
        ),
        "failed": max(sum(r["failed"].values()) for r in rounds),
    }


def table(rows):
    lines = [
        "| target | ping s | show_highstate s | floor s | pillar.items s | no-op apply s | states' own s "
        "| apply / floor | apply with state events s | its / floor | changed |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['ping']:.2f} | {r['show_highstate']:.2f} | {r['floor']:.2f} | {r['pillar']:.2f} "
            f"| {r['apply']:.2f} | {r['states']:.2f} | {r['ratio']:.2f}x | {r['apply_events']:.2f} "
            f"| {r['ratio_events']:.2f}x | {r['changed']} |"
        )
    return "\n".join(lines)


def breakdown(raw, hosts):
    """Where each host's states spend their time when alone: state functions (median seconds over
    the rounds, the five costliest) and its slowest states in the last round."""
    lines = [
        "| host | states' own s by function (median, top 5) | slowest states (last round) |",
        "|---|---|---|",
    ]
    for host in hosts:
        rounds = [r.get("by_fun", {}).get(host, {}) for r in raw[host]]
        funs = {fun for r in rounds for fun in r}
        med = sorted(((median([r.get(f, 0.0) for r in rounds]), f) for f in funs), reverse=True)[:5]
        slow = (raw[host][-1].get("slowest") or {}).get(host, [])
        lines.append(
            f"| {host} | {', '.join(f'{f} {v:.2f}' for v, f in med)} | {', '.join(f'{i} {v:.2f}' for v, i in slow)} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hosts", nargs="*", help="minions to measure alone (default: every minion)")
    args = parser.parse_args(argv)
    hosts = args.hosts or minions()
    rows, raw = {}, {}
    for host in hosts:
        raw[host] = [one_round([host]) for _ in range(args.rounds)]
        rows[host] = summarize(raw[host], host)
        print(f"{host}: {json.dumps(rows[host])}", file=sys.stderr)
    raw["*"] = [one_round(hosts) for _ in range(args.rounds)]
    rows[f"all {len(hosts)}"] = summarize(raw["*"])
    text = table(rows) + "\n\n" + breakdown(raw, hosts)
    print(text)
    out = pathlib.Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "bench-noop-highstate.json"
    out.write_text(json.dumps({"rows": rows, "raw": raw, "table": text}, indent=1))
    print(f"written: {out}", file=sys.stderr)
    failed = sum(r["failed"] for r in rows.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
