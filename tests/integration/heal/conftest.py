"""
Self-healing and the key policy through the reactor, on real Salt daemons on this host.

The master runs the config salt.master writes (reactor map, runners from the checkout); its
auth-event hook accepts only the harness's own minion, so every other key
goes through the salt/auth reactor. The minion `compute1` runs the heal beacons that
salt.minion.config renders from its real pillar; its services are supervised by the
harness's test provider (this host has no systemd), so stopping one is a real kill.
"""

import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

from tests.support.harness import master_overrides, minion_overrides, shipped_master_config, stop_minion
from tests.support.processes import stop_process
from tests.support.states import summarize

HEAL_MINION = "compute1"
# A second harness minion that acts as a compromised host (tests/integration/heal/test_heal_hostile.py).
ATTACKER_MINION = "spare1"
# The flap guard, small enough for a test: a third break within the window is not healed.
HEAL_SETTINGS = {"enabled": True, "max_heals": 2, "window": 300, "hold": 900, "timeout": 90}


def _accept_only_harness_minions(master, payload):
    # salt-factories accepts every pending key by default: keep that for the harness's own
    # minion only, so the key policy under test decides everything else.
    if payload.get("act") == "pend" and payload.get("id") in (HEAL_MINION, ATTACKER_MINION):
        ret = master.salt_key_cli().run("--yes", "--accept", payload["id"])
        assert ret.returncode == 0, ret


@pytest.fixture(scope="package")
def allowed_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "allowed-keys.yaml"
    path.write_text("{}\n")
    return path


@pytest.fixture(scope="package")
def reactor_master(salt_factories, repo_root, tmp_path_factory, allowed_file):
    # The master's config as salt.master writes it (reactor map, runner dirs, heal and key
    # policy settings), with a flap guard small enough for a test and the test's allow-list.
    shipped = shipped_master_config(
        repo_root,
        tmp_path_factory.mktemp("shipped-reactor-master"),
        extra_pillar={"heal": HEAL_SETTINGS, "keys": {"allowed_file": str(allowed_file), "alert_every": 600}},
    )
    assert shipped["reactor"][-1] == {"salt/auth": ["salt://reactor/keys.sls"]}, shipped["reactor"]
    overrides = master_overrides(shipped)
    factory = salt_factories.salt_master_daemon(
        "stacksalt-reactor-master", overrides=overrides, on_auth_event_callback=_accept_only_harness_minions
    )
    with factory.started():
        yield factory


@pytest.fixture(scope="package")
def heal_minion_dir(tmp_path_factory):
    return tmp_path_factory.mktemp(f"host-{HEAL_MINION}")


@pytest.fixture(scope="package")
def heal_minion(reactor_master, repo_root, heal_minion_dir):
    factory = reactor_master.salt_minion_daemon(
        HEAL_MINION, overrides=minion_overrides(repo_root, HEAL_MINION, heal_minion_dir)
    )
    try:
        with factory.started():
            yield factory
    finally:
        stop_minion(factory, heal_minion_dir)  # and the services it started (its canary)


@pytest.fixture(scope="package")
def attacker_minion(reactor_master, repo_root, tmp_path_factory):
    """A minion with its own accepted key and no heal role: the sender of forged events."""
    state_dir = tmp_path_factory.mktemp(f"host-{ATTACKER_MINION}")
    factory = reactor_master.salt_minion_daemon(
        ATTACKER_MINION, overrides=minion_overrides(repo_root, ATTACKER_MINION, state_dir)
    )
    try:
        with factory.started():
            yield factory
    finally:
        stop_minion(factory, state_dir)  # and the services it started (its canary)


@pytest.fixture(scope="package")
def reactor_cli(reactor_master, heal_minion):
    cli = reactor_master.salt_cli(timeout=180)
    ret = cli.run("saltutil.sync_all", minion_tgt=HEAL_MINION)
    assert ret.returncode == 0, ret
    return cli


@pytest.fixture(scope="package")
def canary_service(reactor_cli, heal_minion_dir):
    """The canary service brought up by its own component, as the first highstate does."""
    ret = reactor_cli.run("state.apply", "salt.minion.canary", minion_tgt=HEAL_MINION, _timeout=120)
    assert ret.returncode == 0, summarize(ret.data[HEAL_MINION])
    return ServiceProbe(heal_minion_dir / "services", "stacksalt-canary")


@pytest.fixture(scope="package")
def heal_beacons(reactor_cli, canary_service):
    """
    The beacons salt.minion.config renders from the minion's pillar, loaded into the running
    minion (the harness minion keeps its own config file; a real host restarts to read them).
    """
    ret = reactor_cli.run("state.show_sls", "salt.minion.config", minion_tgt=HEAL_MINION)
    assert ret.returncode == 0, ret
    serialize = ret.data["salt-minion-config-beacons-managed"]["file"]
    dataset = next(arg["dataset"] for arg in serialize if isinstance(arg, dict) and "dataset" in arg)
    beacons = dataset["beacons"]
    assert "stacksalt_heal_services" in beacons, beacons
    for name in ("stacksalt_heal_services",):
        ret = reactor_cli.run("beacons.add", name, beacons[name], minion_tgt=HEAL_MINION)
        assert ret.returncode == 0 and ret.data.get("result") is True, ret
    return beacons


@pytest.fixture(scope="package")
def canary(canary_service, heal_beacons):
    """The canary, running and watched by the heal beacons."""
    return canary_service


class ServiceProbe:
    """The harness provider's view of one service: its stand-in process, killed for real."""

    def __init__(self, service_dir, name):
        self.pidfile = pathlib.Path(service_dir) / f"{name}.pid"
        self.name = name

    def pid(self):
        try:
            pid = int(self.pidfile.read_text().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                return pid if b"stacksalt-test-service" in fh.read() else None
        except (OSError, ValueError):
            return None

    def kill(self):
        pid = self.pid()
        assert pid, f"{self.name} is not running"
        os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            if self.pid() is None:
                return pid
            time.sleep(0.05)
        raise AssertionError(f"{self.name} (pid {pid}) did not die")

    def wait_running(self, other_than, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.pid()
            if pid and pid != other_than:
                return pid
            time.sleep(0.1)
        return None


class PendingMinion:
    """A plain salt-minion process with its own key, not known to the harness."""

    def __init__(self, root, minion_id, master, rejected_retry=False):
        self.root = pathlib.Path(root)
        self.id = minion_id
        self.pki = self.root / "pki"
        self.config = self.root / "minion"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "id": minion_id,
                    "master": "127.0.0.1",
                    "master_port": master.config["ret_port"],
                    "publish_port": master.config["publish_port"],
                    "pki_dir": str(self.pki),
                    "cachedir": str(self.root / "cache"),
                    # unix socket paths must stay short
                    "sock_dir": tempfile.mkdtemp(prefix="s-", dir=os.environ.get("TMPDIR")),
                    "pidfile": str(self.root / "minion.pid"),
                    "log_file": str(self.root / "minion.log"),
                    "log_level_logfile": "info",
                    "acceptance_wait_time": 1,
                    "acceptance_wait_time_max": 1,
                    # a host bootstrapped as docs/salt.md says (salt.minion writes it too)
                    "rejected_retry": rejected_retry,
                }
            )
        )
        self.proc = None

    def make_key(self):
        import salt.crypt
        import salt.utils.crypt

        self.pki.mkdir(parents=True, exist_ok=True)
        salt.crypt.write_keys(str(self.pki), "minion", 2048)
        # the master's form (salt-key -f): the whole stripped PEM text, as its key cache holds it
        text = (self.pki / "minion.pub").read_text().strip()
        return salt.utils.crypt.pem_finger(key=text, sum_type="sha256")

    def start(self):
        salt_minion = pathlib.Path(sys.executable).parent / "salt-minion"
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argument list
            [str(salt_minion), "-c", str(self.root), "-l", "quiet"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self):
        # The whole group, even when the minion's first process is gone: its workers may not be.
        stop_process(self.proc, timeout=15)
