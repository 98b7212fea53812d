"""
Render docs/benchmarks.md and its plots from the results of a `tools/bench-report` run.

    python tools/bench_report.py RESULTS_DIR DOCS_MD

RESULTS_DIR holds one directory per bench run (the TMPDIR it ran with), each with the
``bench-*.json`` the bench wrote and its ``command`` file. Nothing here is typed by hand: every
figure comes from those files. The plots (PNG) go to ``docs/benchmarks/`` beside DOCS_MD.
"""

import datetime
import json
import pathlib
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen

REPO = pathlib.Path(__file__).resolve().parent.parent
MIB = 1 << 20


def load(results, run, name):
    path = results / run / name
    return json.loads(path.read_text()) if path.exists() else None


def command(results, run):
    path = results / run / "command"
    return path.read_text().strip() if path.exists() else "(not run)"


def runs(results, prefix):
    """The runs named PREFIX-<number>, by number."""
    found = []
    for path in results.glob(f"{prefix}-*"):
        suffix = path.name[len(prefix) + 1 :]
        if suffix.isdigit():
            found.append((int(suffix), path.name))
    return sorted(found)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def x(value):
    return f"{value:.2f}x" if isinstance(value, int | float) else "n/a"


def plot(path, title, xlabel, ylabel, series, logy=False):
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for label, points in series.items():
        if points:
            xs, ys = zip(*sorted(points), strict=True)
            ax.plot(xs, ys, marker="o", label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def section_noop(results, out):
    data = load(results, "noop", "bench-noop-highstate.json")
    out.append("## No-op highstate against its floor (lab)\n")
    out.append(f"`{command(results, 'noop')}`\n")
    if not data:
        out.append("Not run.\n")
        return
    out.append(
        "Per lab host alone, then all of them, from the master (medians). Floor: `test.ping` plus "
        "`state.show_highstate`.\n"
    )
    out.append(data["table"] + "\n")


def section_enrol(results, out, plots):
    out.append("## Enrolment (P1) and its re-check (P1b)\n")
    p1 = load(results, "p1", "bench-ironic-p1.json")
    out.append(f"`{command(results, 'p1')}`\n")
    if p1:
        rows = []
        for scenario, r in p1.items():
            for method in ("raw", "sdk", "cli"):
                ratio = r["ratios_vs_state"][method]
                rows.append(
                    [
                        scenario,
                        method,
                        r[method]["n"],
                        f"{r['per_node'][method]['s_per_node']:.3f}",
                        f"{r['per_node']['state']['s_per_node']:.3f}",
                        x(ratio["time"]),
                        x(ratio["requests"]),
                    ]
                )
        out.append(
            table(
                [
                    "scenario",
                    "the alternative",
                    "its nodes",
                    "its s/node",
                    "ours s/node",
                    "time vs ours",
                    "requests",
                ],
                rows,
            )
            + "\n"
        )
    series = {"ours (ironic_node.enrolled)": [], "openstacksdk loop": [], "openstack CLI loop": []}
    keys = {"ours (ironic_node.enrolled)": "state", "openstacksdk loop": "sdk", "openstack CLI loop": "cli"}
    rows = []
    for n, run in runs(results, "p1-series"):
        data = (load(results, run, "bench-ironic-p1.json") or {}).get("cleaning-off")
        if not data:
            continue
        for label, key in keys.items():
            series[label].append((data[key]["n"], data[key]["seconds"]))
        rows.append([n, data["state"]["seconds"], data["sdk"]["seconds"], data["cli"]["seconds"]])
    if rows:
        out.append("Enrolment time against node count (cleaning off; every way enrols all N nodes):\n")
        out.append(table(["nodes", "ours s", "SDK loop s", "CLI loop s"], rows) + "\n")
        plot(plots / "enrol-time.png", "Enrolment time (cleaning off)", "nodes", "seconds", series, logy=True)
        out.append("![enrolment time against node count](benchmarks/enrol-time.png)\n")
    rows = []
    for _n, run in runs(results, "p1b"):
        r = load(results, run, "bench-ironic-recheck.json")
        if r:
            rows.append(
                [
                    r["nodes"],
                    r["recheck_requests"],
                    r["recheck_seconds"],
                    f"{r['peak_rss_kib'] / 1024:.0f}",
                    f"{r['state_rss_kib'] / 1024:.0f}",
                    r["ironic_max_limit"],
                ]
            )
    if rows:
        out.append(
            f"No-op re-check of unchanged nodes (`{command(results, runs(results, 'p1b')[-1][1])}`):\n"
        )
        out.append(
            table(
                [
                    "nodes",
                    "API requests",
                    "seconds",
                    "peak RSS MiB",
                    "of it, the run's MiB",
                    "Ironic max_limit",
                ],
                rows,
            )
            + "\n"
        )


def section_import(results, out, plots):
    out.append("## Image import into Glance on Ceph (P2)\n")
    out.append(f"`{command(results, 'p2')}`\n")
    data = load(results, "p2", "bench-ceph-import.json")
    if not data:
        out.append("Not run.\n")
        return
    rows, series = [], {"ours": [], "API upload": [], "rbd import": [], "floor (rbd bench)": []}
    for case, r in sorted(data.items(), key=lambda kv: kv[1]["allocated_bytes"]):
        alloc = r["allocated_bytes"] / MIB
        rows.append(
            [
                case,
                f"{alloc:.0f}",
                r["ours"]["seconds"],
                r["raw_upload"]["seconds"],
                r["rbd_import"]["seconds"],
                r["floor_rbd_bench"]["seconds"],
                x(r["ours_over_floor"]),
                x(r["ours_write_over_floor"]),
                x(r["upload_over_ours"]),
                r["ours_written_over_allocated"],
            ]
        )
        for label, key in (("ours", "ours"), ("API upload", "raw_upload"), ("rbd import", "rbd_import")):
            series[label].append((alloc, r[key]["seconds"]))
        series["floor (rbd bench)"].append((alloc, r["floor_rbd_bench"]["seconds"]))
    out.append(
        table(
            [
                "virtual",
                "allocated MiB",
                "ours s",
                "upload s",
                "rbd import s",
                "floor s",
                "ours / floor",
                "ours' write / floor",
                "upload / ours",
                "written / allocated",
            ],
            rows,
        )
        + "\n"
    )
    tuning = [[case, *r["qemu_img_convert_seconds"].values()] for case, r in data.items()]
    labels = list(next(iter(data.values()))["qemu_img_convert_seconds"])
    out.append("qemu-img convert straight into RBD, by its settings (seconds):\n")
    out.append(table(["virtual", *labels], tuning) + "\n")
    plot(plots / "import-time.png", "Import time against allocated bytes", "allocated MiB", "seconds", series)
    out.append("![import time against allocated bytes](benchmarks/import-time.png)\n")


def section_fleet(results, out, plots):
    out.append("## The master at fleet size (P5)\n")
    out.append(f"`{command(results, 'fleet')}`\n")
    data = load(results, "fleet", "bench-fleet.json")
    if not data:
        out.append("Not run.\n")
        return
    rows, series = [], {}
    for flavour in ("ours", "plain"):
        for size, r in sorted(data[flavour].items(), key=lambda kv: int(kv[0])):
            rows.append(
                [
                    flavour,
                    size,
                    r["pillar"]["master_cpu_s_per_minion"],
                    r["pillar"]["wall_s"],
                    r["highstate"]["master_cpu_s_per_minion"],
                    r["highstate"]["wall_s"],
                ]
            )
            for phase in ("pillar", "highstate"):
                series.setdefault(f"{flavour} {phase}", []).append(
                    (int(size), r[phase]["master_cpu_s_per_minion"])
                )
    out.append(
        table(
            [
                "master",
                "minions",
                "pillar CPU-s/minion",
                "pillar wall s",
                "highstate CPU-s/minion",
                "highstate wall s",
            ],
            rows,
        )
        + "\n"
    )
    ratios = [[size, x(r["pillar"]), x(r["highstate"])] for size, r in data["ratios"].items()]
    out.append("Ours against plain Salt, master CPU per minion:\n")
    out.append(table(["minions", "pillar", "highstate"], ratios) + "\n")
    variants = data.get("variants") or {}
    if len(variants) > 2:
        base = variants["baseline"]
        rows = []
        for label, r in variants.items():
            if label in ("size", "baseline"):
                continue
            rows.append(
                [
                    label,
                    r["pillar"]["master_cpu_s_per_minion"],
                    r["pillar"]["wall_s"],
                    r["highstate"]["master_cpu_s_per_minion"],
                    r["highstate"]["wall_s"],
                    x(r["highstate"]["wall_s"] / base["highstate"]["wall_s"]),
                ]
            )
        out.append(f"Each master setting alone, {variants['size']} minions (baseline: the shipped config):\n")
        out.append(
            table(
                [
                    "setting",
                    "pillar CPU-s/minion",
                    "pillar wall s",
                    "highstate CPU-s/minion",
                    "highstate wall s",
                    "highstate wall vs baseline",
                ],
                rows,
            )  # fmt: skip
            + "\n"
        )
    plot(plots / "fleet-cpu.png", "Master CPU per minion", "minions", "CPU-seconds per minion", series)
    out.append("![master CPU per minion against fleet size](benchmarks/fleet-cpu.png)\n")


def flat_ratios(data, prefix=""):
    """Every value under a key that names a ratio (``ratio``, ``_over_``, ``speedup``)."""
    found = []
    for key, value in data.items() if isinstance(data, dict) else ():
        path = f"{prefix}{key}"
        named = any(word in key for word in ("ratio", "_over_", "speedup"))
        if isinstance(value, dict):
            if named:
                found += [(f"{path}.{k}", v) for k, v in flat(value)]
            else:
                found += flat_ratios(value, f"{path}.")
        elif named and isinstance(value, int | float):
            found.append((path, value))
    return found


def flat(data, prefix=""):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


OTHERS = {
    "p3-poller": ("Provision polling: one listing per tick against the SDK's per-node waits (P3)", "bench-ironic-poller.json"),
    "p3-wait": ("Provision waits by shape (P3)", "bench-ironic-wait.json"),
    "p4": ("Scheduled backups with rotation against the 2017 script (P4)", "bench-backup-p4.json"),
}  # fmt: skip


def section_others(results, out):
    for run, (title, name) in OTHERS.items():
        out.append(f"## {title}\n")
        out.append(f"`{command(results, run)}`\n")
        data = load(results, run, name)
        if not data:
            out.append("Not run.\n")
            continue
        rows = [[path, x(value) if isinstance(value, float) else value] for path, value in flat_ratios(data)]
        out.append(table(["ratio (the alternative over ours)", "value"], rows) + "\n")


def main(argv):
    results, docs = pathlib.Path(argv[0]), pathlib.Path(argv[1])
    plots = docs.parent / "benchmarks"
    plots.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    day = datetime.date.today().isoformat()
    out = [
        "# Benchmarks\n",
        f"Generated by `tools/bench-report` on {day} at commit {commit}, on this 2-core machine; do not "
        "edit by hand (run the command again). Each bench compares ours with the tool an operator would "
        "otherwise use, in the same run, and where there is one with the floor (the least the work can "
        "cost). CI runs the same benches at smaller sizes (tools/run-tests); a timing is never a "
        "pass/fail assertion.\n",
    ]
    section_noop(results, out)
    section_enrol(results, out, plots)
    section_import(results, out, plots)
    section_fleet(results, out, plots)
    section_others(results, out)
    docs.write_text("\n".join(out))
    print(f"written: {docs} and {plots}/*.png")


if __name__ == "__main__":
    main(sys.argv[1:])
