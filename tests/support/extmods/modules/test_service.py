"""
TEST-ONLY service provider for salt-minions that run on the CI host itself.

The CI host has no systemd as PID 1, yet /usr/bin/systemctl exists, so Salt's
systemd_service loads in offline mode and ``service.running`` returns True while doing
nothing: a formula's service states would prove nothing. This provider (loaded only by
the test harness's minions through ``module_dirs``) supervises a stand-in process per
service name, so start/stop/restart/enable are real, observable state changes.

Never shipped in formulas.
"""

import os
import signal
import subprocess
import sys
import time

__virtualname__ = "service"

STAND_IN = (
    "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); time.sleep(10**9)"
)


def __virtual__():
    if not __opts__.get("stacksalt_test_service_dir"):
        return (False, "test_service: only for the stacksalt test harness (stacksalt_test_service_dir unset)")
    return __virtualname__


def _dir():
    path = __opts__["stacksalt_test_service_dir"]
    os.makedirs(path, exist_ok=True)
    return path


def _pidfile(name):
    return os.path.join(_dir(), f"{name}.pid")


def _pid(name):
    try:
        with open(_pidfile(name)) as fh:
            pid = int(fh.read().strip())
        os.kill(pid, 0)
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            if b"stacksalt-test-service" not in fh.read():
                return None
        return pid
    except (OSError, ValueError):
        return None


def status(name, sig=None):
    return _pid(name) is not None


def start(name, **kwargs):
    if _pid(name):
        return True
    proc = subprocess.Popen(  # noqa: S603 - fixed argument list
        # The directory names whose stand-in it is: the suite's teardown and its session-end
        # check find the stand-ins by it (tests/support/processes.py).
        [sys.executable, "-c", STAND_IN, "stacksalt-test-service", name, _dir()],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    with open(_pidfile(name), "w") as fh:
        fh.write(str(proc.pid))
    # Until the child has exec'd, its cmdline is still the minion's: wait for the stand-in
    # (a loaded machine takes a while) so a status right after start tells the truth.
    for _ in range(100):
        if _pid(name):
            return True
        time.sleep(0.05)
    return False


def stop(name, **kwargs):
    pid = _pid(name)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if _pid(name) is None:
                break
            time.sleep(0.1)
    try:
        os.unlink(_pidfile(name))
    except FileNotFoundError:
        pass
    return True


def restart(name, **kwargs):
    stop(name)
    return start(name)


def reload_(name, **kwargs):
    return restart(name)


def _flag(name):
    return os.path.join(_dir(), f"{name}.enabled")


def enabled(name, **kwargs):
    return os.path.exists(_flag(name))


def disabled(name, **kwargs):
    return not enabled(name)


def enable(name, **kwargs):
    open(_flag(name), "w").close()
    return True


def disable(name, **kwargs):
    if os.path.exists(_flag(name)):
        os.unlink(_flag(name))
    return True


def available(name):
    return True


def missing(name):
    return False


def get_all():
    return sorted(f[:-4] for f in os.listdir(_dir()) if f.endswith(".pid"))


def get_enabled():
    return sorted(f[:-8] for f in os.listdir(_dir()) if f.endswith(".enabled"))


def systemctl_reload():
    return True


__func_alias__ = {"reload_": "reload"}
