"""
The suite's process hygiene (tests/support/processes.py): the harness's stand-in services are
stopped by the teardown that stops their minion, and the session check sees a process that
detached from pytest.
"""

import os
import subprocess
import sys
import time

import pytest

from tests.support import processes
from tests.support.loader import REPO, load_file

pytestmark = pytest.mark.unit


@pytest.fixture
def provider(tmp_path):
    """The harness minions' test service provider, with its service directory in `tmp_path`."""
    module = load_file(REPO / "tests/support/extmods/modules/test_service.py")
    module.__opts__ = {"stacksalt_test_service_dir": str(tmp_path / "services")}
    yield module
    processes.stop_stand_ins(tmp_path / "services")


def test_stand_ins_outlive_their_starter_until_stopped(provider, tmp_path):
    assert provider.start("salt-master") and provider.start("salt-minion")
    pids = processes.stand_ins(tmp_path / "services")
    assert sorted(pids.values()) == ["salt-master", "salt-minion"]
    # each in its own session: what stopping the minion alone leaves behind
    assert all(processes._pgid(pid) == pid for pid in pids)
    processes.stop_stand_ins(tmp_path / "services")
    assert processes.stand_ins(tmp_path / "services") == {}
    assert not list((tmp_path / "services").glob("*.pid"))
    assert provider.status("salt-master") is False


def test_stop_stand_ins_finds_a_stand_in_whose_pid_file_is_lost(provider, tmp_path):
    assert provider.start("stacksalt-canary")
    (tmp_path / "services" / "stacksalt-canary.pid").unlink()
    assert list(processes.stand_ins(tmp_path / "services").values()) == ["stacksalt-canary"]
    processes.stop_stand_ins(tmp_path / "services")
    assert processes.stand_ins(tmp_path / "services") == {}


def test_stand_ins_of_another_directory_are_left_alone(provider, tmp_path):
    assert provider.start("salt-minion")
    processes.stop_stand_ins(tmp_path / "elsewhere")
    assert list(processes.stand_ins(tmp_path / "services").values()) == ["salt-minion"]


def test_the_session_check_sees_a_detached_process_and_stop_process_ends_a_group(monkeypatch):
    # a check of its own, whose marker is added to the environment for this test only
    monkeypatch.setenv(processes.MARKER, os.environ.get(processes.MARKER, ""))
    check = processes.SessionProcesses()
    # a grandchild in its own session, re-parented away from pytest: only the marker finds it
    launcher = (
        "import subprocess as s, sys; d = s.DEVNULL;"
        " p = s.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " start_new_session=True, stdin=d, stdout=d, stderr=d); print(p.pid)"
    )
    out = subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True, check=True)
    pid = int(out.stdout)
    try:
        found = check.left_behind()
        assert pid in found and found[pid][0].startswith("started by this session"), found
    finally:
        processes.stop_pid(pid)
    deadline = time.monotonic() + 5
    while pid in check.left_behind() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid not in check.left_behind()
    group = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)",
        ],
        start_new_session=True,
    )
    time.sleep(0.5)
    members = [p.pid for p in processes.psutil.Process(group.pid).children(recursive=True)]
    processes.stop_process(group, timeout=5)
    assert group.poll() is not None
    assert not [m for m in members if processes._alive(m)]
