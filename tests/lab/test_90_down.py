"""lab down leaves no container, network, mount or process behind."""

import subprocess

import pytest

from .conftest import LABDIR, MEMORY, lab

pytestmark = pytest.mark.lab


def podman(*args):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True).stdout


#: The lab's memory budget (the existing-cloud issue): every host together.
MEMORY_BUDGET_GB = 12
UNITS = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}


def _bytes(text):
    """podman's '123.4MB' (or '1.2GiB') as bytes."""
    number = text.rstrip("".join(sorted({c for unit in UNITS for c in unit})))
    return float(number) * UNITS[text[len(number) :]]


def test_memory_of_the_running_lab(lab_up, second_apply, timings):
    out = podman("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}")
    MEMORY.extend(out.splitlines())
    assert all(name in out for name in lab_up)
    used = {line.split()[0]: _bytes(line.split()[1]) for line in out.splitlines() if line.strip()}
    total_gb = sum(used.values()) / 1e9
    MEMORY.append(f"total {total_gb:.2f} GB (budget {MEMORY_BUDGET_GB} GB)")
    assert total_gb <= MEMORY_BUDGET_GB, used


def test_down_leaves_nothing(lab_up, timings):
    _, _, _, seconds = lab("down")
    timings["lab down"] = seconds
    assert podman("ps", "-a", "-q", "--filter", "label=stacksalt.lab=1").strip() == ""
    assert "stacksalt-lab" not in podman("network", "ls", "--format", "{{.Name}}")
    mounts = subprocess.run(
        ["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True, check=True
    ).stdout
    assert [m for m in mounts.splitlines() if m.startswith(str(LABDIR))] == []
    procs = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert [p for p in procs.splitlines() if "tinyproxy" in p and str(LABDIR) in p] == []
    assert [
        p for p in procs.splitlines() if p.startswith(("conmon", "/usr/bin/conmon")) and "stacksalt" in p
    ] == []
