"""
The multi-host lab tier: podman hosts with systemd as PID 1, brought up by ``lab/lab up``,
converged by ``lab/lab apply`` (salt '*' state.apply + salt-ssh to the ssh-only hosts) and
checked with pytest-testinfra through the podman backend.

The session brings up a fresh lab (cold image build when lab/cache is empty) and takes it
down at the end. Nothing is skipped: a missing prerequisite fails ``lab up`` loudly.
"""

import fcntl
import json
import os
import pathlib
import subprocess
import time

import pytest
import testinfra

REPO = pathlib.Path(__file__).resolve().parents[2]
LAB = REPO / "lab" / "lab"
LABDIR = pathlib.Path(os.environ.get("STACKSALT_LAB_DIR", "/var/tmp/stacksalt-lab"))
# The lab's own podman configuration (lab/lab renders it; the podman backend of testinfra
# and the checks below must use the same storage and network config).
os.environ["CONTAINERS_CONF"] = str(LABDIR / "conf" / "containers.conf")
os.environ["CONTAINERS_STORAGE_CONF"] = str(LABDIR / "conf" / "storage.conf")

pytestmark = pytest.mark.lab


class LabError(AssertionError):
    pass


def lab(*args, check=True, timeout=900):
    """Run lab/lab with args; return (rc, stdout, stderr, seconds)."""
    start = time.monotonic()
    proc = subprocess.run([str(LAB), *args], capture_output=True, text=True, timeout=timeout, check=False)
    seconds = time.monotonic() - start
    if check and proc.returncode != 0:
        raise LabError(
            f"lab {' '.join(args)} failed ({proc.returncode}) after {seconds:.1f} s\n"
            f"--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc.returncode, proc.stdout, proc.stderr, seconds


def read_topology():
    rows, clouds = {}, []
    for line in (LABDIR / "topology").read_text().splitlines():
        name, value, *kind = line.split()
        if name == "cloud":
            clouds.append(value)  # the host runs the stand-in cloud (lab/lab)
        elif name not in ("network", "wheel", "venv", "pkgs"):
            rows[name] = {"ip": value, "kind": kind[0]}
    for name in clouds:
        rows[name]["cloud"] = True
    return rows


def apply_summary(stdout):
    """The JSON line lab/lab apply prints last: {host: {states, changed, failed, seconds}}."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise LabError(f"no summary in lab apply output:\n{stdout[-3000:]}")


def load_returns():
    """All state returns of the last lab apply: {host: {state_key: state_return}}."""
    returns = {}
    run = LABDIR / "run"
    for path in [run / "apply-salt.json", *sorted(run.glob("apply-ssh-*.json"))]:
        data = json.loads(path.read_text() or "{}")
        for host, result in data.items():
            if isinstance(result, dict) and "return" in result and "retcode" in result:
                result = result["return"]
            returns[host] = result
    return returns


class Timings(dict):
    def report(self):
        return "\n".join(f"lab timing {key}: {value:.1f} s" for key, value in self.items())


MEASURED = Timings()
MEMORY = []


@pytest.fixture(scope="session")
def timings():
    return MEASURED


def pytest_terminal_summary(terminalreporter):
    if MEASURED or MEMORY:
        terminalreporter.section("lab timings and memory")
        terminalreporter.write_line(MEASURED.report())
        for line in MEMORY:
            terminalreporter.write_line(f"lab memory {line}")


# Below the test timeout (pyproject.toml), which counts this wait in the first lab test.
PREPARE_WAIT_SECONDS = 840


@pytest.fixture(scope="session", autouse=True)
def prepared(timings):
    """Wait for the whole suite's background prepare step (tools/prepare), if one runs.

    It builds the lab's images with the very command `lab up` runs; a `lab down` meanwhile would
    remove its build directory. Whatever it failed, the lab's own commands then fail loudly.
    """
    lock = os.environ.get("STACKSALT_PREPARE_LOCK")
    if not lock:
        return
    start = time.monotonic()
    with open(lock, "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - start > PREPARE_WAIT_SECONDS:
                    log = pathlib.Path(lock).with_name("prepare.log")
                    tail = log.read_text()[-3000:] if log.exists() else "(no log)"
                    raise LabError(
                        f"tools/prepare still runs after {PREPARE_WAIT_SECONDS} s:\n{tail}"
                    ) from None
                time.sleep(2)
        fcntl.flock(handle, fcntl.LOCK_UN)
    timings["waited for tools/prepare"] = time.monotonic() - start


@pytest.fixture(scope="session")
def lab_up(timings):
    """A fresh lab for the session; taken down (and checked clean) by test_zz_down."""
    lab("down", check=False)
    try:
        _, out, err, seconds = lab("up")
    except LabError:
        # a failed setup has no teardown: the half-up lab (hosts, proxy) must not outlive it
        lab("down", check=False)
        raise
    timings["lab up (images included)"] = seconds
    for line in (LABDIR / "timings").read_text().splitlines():
        key, value = line.split()
        if key.startswith(("build-", "load-", "save-", "images")):
            timings[f"image {key}"] = float(value)
    yield read_topology()
    lab("down", check=False)


@pytest.fixture(scope="session")
def fresh_plan(lab_up, timings):
    """test=True on the fresh site, before anything is applied: what the first apply will do."""
    rc, out, err, seconds = lab("apply", "--test", check=False)
    timings["apply test=True on the fresh site (all hosts)"] = seconds
    return {"rc": rc, "stdout": out, "stderr": err, "returns": load_returns()}


@pytest.fixture(scope="session")
def first_apply(fresh_plan, timings):
    rc, out, err, seconds = lab("apply", check=False)
    timings["first apply (all hosts)"] = seconds
    return {"rc": rc, "stdout": out, "stderr": err, "summary": apply_summary(out), "returns": load_returns()}


@pytest.fixture(scope="session")
def second_apply(first_apply, timings):
    rc, out, err, seconds = lab("apply", check=False)
    timings["second apply (all hosts)"] = seconds
    return {"rc": rc, "stdout": out, "stderr": err, "summary": apply_summary(out), "returns": load_returns()}


@pytest.fixture(scope="session")
def test_mode_apply(second_apply, timings):
    """test=True on the converged site, once for the session (test_10 and test_75 read it)."""
    rc, out, err, seconds = lab("apply", "--test", check=False)
    timings["apply test=True (all hosts)"] = seconds
    return {"rc": rc, "stdout": out, "stderr": err, "returns": load_returns()}


def host(name):
    return testinfra.get_host(f"podman://{name}")


@pytest.fixture(scope="session")
def hosts(lab_up):
    return {name: host(name) for name in lab_up}
