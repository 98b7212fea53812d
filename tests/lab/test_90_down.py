"""lab down leaves no container, network, mount or process behind."""

import subprocess

import pytest

from .conftest import LABDIR, MEMORY, lab

pytestmark = pytest.mark.lab


def podman(*args):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True).stdout


def test_memory_of_the_running_lab(lab_up, second_apply, timings):
    out = podman("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}")
    MEMORY.extend(out.splitlines())
    assert all(name in out for name in lab_up)


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
