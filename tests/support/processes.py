"""
Processes the suite starts, and the check that none outlives the session.

- `stop_process(popen)` / `stop_pid(pid)`: SIGTERM to the process group, wait, SIGKILL what is
  left: the one teardown every fixture that starts a process uses.
- `stop_stand_ins(service_dir)`: the stand-in services a harness minion's test provider
  started (tests/support/extmods/modules/test_service.py). They run in their own session,
  so stopping the minion leaves them running: each minion's teardown stops them.
- the session check (registered in tests/conftest.py): at `pytest_configure` the session
  puts a marker in its environment (`STACKSALT_TEST_SESSION`), which every process it starts
  inherits, daemons that detach into their own session included. At the session's end, after
  every fixture's teardown, a process still alive that carries the marker, descends from
  pytest, joined pytest's process group after the start, or is a stand-in service under this
  session's temporary directory fails the run: it is listed, then killed so that it does not
  outlive the report either.
"""

import os
import pathlib
import signal
import subprocess
import time
import uuid

import psutil
import pytest

MARKER = "STACKSALT_TEST_SESSION"
STAND_IN = "stacksalt-test-service"
#: Seconds a process that is shutting down gets before it counts as left behind.
GRACE = 10


def _alive(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stop_pid(pid, timeout=10, group=True):
    """SIGTERM `pid` (its whole process group if it leads one), wait `timeout`, then SIGKILL."""

    def send(sig):
        try:
            if group and os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    if not _alive(pid):
        return
    send(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        send(signal.SIGKILL)


def stop_process(proc, timeout=10):
    """Stop a `subprocess.Popen` started with `start_new_session=True` (it and its children)."""
    if proc is None:
        return
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = None
    if proc.poll() is None or pgid == proc.pid:
        # A leader that exited can leave its group's members behind: signal the group anyway.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                if pgid == proc.pid:
                    os.killpg(proc.pid, sig)
                else:
                    proc.send_signal(sig)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=timeout)
                break
            except subprocess.TimeoutExpired:
                continue
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    if pgid == proc.pid:
        # The members got the signal with their leader, but on a loaded machine they may not
        # have died yet when it is reaped: wait for them too, then SIGKILL what is left.
        members = []
        for member in psutil.process_iter(["pid"]):
            try:
                if os.getpgid(member.pid) == pgid and member.status() != psutil.STATUS_ZOMBIE:
                    members.append(member)
            except (ProcessLookupError, psutil.NoSuchProcess):
                continue
        _, alive = psutil.wait_procs(members, timeout=timeout)
        for member in alive:
            try:
                member.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=5)


def stand_ins(service_dir=None):
    """{pid: service name} of the stand-in services running (under `service_dir` if given)."""
    found = {}
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if STAND_IN not in cmdline or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        where = cmdline[cmdline.index(STAND_IN) + 2 :]
        if service_dir is not None and not _under(where[0] if where else None, service_dir):
            continue
        found[proc.pid] = " ".join(cmdline[cmdline.index(STAND_IN) + 1 : cmdline.index(STAND_IN) + 2])
    return found


def _under(path, root):
    if not path:
        return False
    try:
        return pathlib.Path(path).resolve().is_relative_to(pathlib.Path(root).resolve())
    except OSError:
        return False


def stop_stand_ins(service_dir, timeout=10):
    """
    Stop every stand-in service the test provider started in `service_dir`: from its pid
    files, and any stand-in whose command line names the directory (a pid file can be lost).
    """
    service_dir = pathlib.Path(service_dir)
    pids = set(stand_ins(service_dir))
    for pidfile in service_dir.glob("*.pid") if service_dir.is_dir() else ():
        try:
            pid = int(pidfile.read_text().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if STAND_IN.encode() in fh.read():
                    pids.add(pid)
        except (OSError, ValueError):
            pass
        pidfile.unlink(missing_ok=True)
    for pid in pids:
        stop_pid(pid, timeout=timeout)


# ------------------------------------------------------------------------- the session check
class SessionProcesses:
    """What the session started: its marker, and what its process group held at the start."""

    def __init__(self, basetemp=None):
        self.token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.pid = os.getpid()
        self.pgid = os.getpgid(0)
        self.basetemp = basetemp
        self.before = {p.pid for p in psutil.process_iter() if _pgid(p.pid) == self.pgid}
        outer = os.environ.get(MARKER)
        os.environ[MARKER] = f"{outer} {self.token}" if outer else self.token

    def left_behind(self):
        """{pid: (why, command line)} of the processes that outlive the session (see above)."""
        me = psutil.Process(self.pid)
        ancestors = {p.pid for p in me.parents()}
        children = {p.pid for p in me.children(recursive=True)}
        found = {}
        for proc in psutil.process_iter(["pid", "cmdline", "status"]):
            pid = proc.info["pid"]
            if pid == self.pid or pid in ancestors or proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            why = self._why(proc, pid, children)
            if why:
                found[pid] = (why, " ".join(proc.info["cmdline"] or [])[:300])
        return found

    def _why(self, proc, pid, children):
        if pid in children:
            return "a child of pytest"
        if _pgid(pid) == self.pgid and pid not in self.before:
            return "in pytest's process group"
        try:
            if self.token in (proc.environ().get(MARKER) or "").split():
                return f"started by this session ({MARKER}={self.token})"
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
        cmdline = proc.info["cmdline"] or []
        if STAND_IN in cmdline and self.basetemp:
            where = cmdline[cmdline.index(STAND_IN) + 2 :]
            if where and _under(where[0], self.basetemp):
                return "a stand-in service under this session's temporary directory"
        return None

    def settle(self, grace=GRACE):
        """Wait up to `grace` seconds for processes still shutting down; return what stays."""
        deadline = time.monotonic() + grace
        found = self.left_behind()
        while found and time.monotonic() < deadline:
            time.sleep(0.5)
            found = self.left_behind()
        return found


def _pgid(pid):
    try:
        return os.getpgid(pid)
    except (ProcessLookupError, PermissionError):
        return None


_SESSION = {}


def pytest_configure(config):
    if hasattr(config, "workerinput"):  # an xdist worker: the controller checks
        return
    basetemp = config.option.basetemp or None
    _SESSION["check"] = SessionProcesses(basetemp)


def pytest_sessionfinish(session, exitstatus):
    check = _SESSION.get("check")
    if check is None:
        return
    if check.basetemp is None and getattr(session.config, "_tmp_path_factory", None) is not None:
        factory = session.config._tmp_path_factory
        check.basetemp = getattr(factory, "_basetemp", None)
    found = check.settle()
    _SESSION["left"] = found
    if found:
        for pid in found:
            stop_pid(pid, timeout=5)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    found = _SESSION.get("left")
    if not found:
        return
    terminalreporter.section("processes left behind", sep="!", red=True, bold=True)
    terminalreporter.write_line(
        f"FAILED: {len(found)} process(es) started by the suite outlived the session "
        "(killed now); the fixture that started each must stop it:",
        red=True,
    )
    for pid, (why, cmdline) in sorted(found.items()):
        terminalreporter.write_line(f"  pid {pid} ({why}): {cmdline}", red=True)
