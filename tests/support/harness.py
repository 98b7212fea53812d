"""
Configuration of the harness's real Salt daemons (the integration tier): the master runs the
config the salt formula writes (`shipped_master_config`), each minion on this host gets its own
release file and the test-only service provider.
"""

import json
import os
import pathlib
import subprocess
import sys

import yaml

from tests.support.processes import stop_stand_ins

SUPPORT = pathlib.Path(__file__).resolve().parent
SALT_BIN = pathlib.Path(sys.executable).parent

# Where the test master differs from the one salt.master configures, all of it, and why:
# - it listens on loopback only, on ports salt-factories picks (so no port is set here);
# - the formula's `salt:master:checkout` is this checkout and its view (`served_root`) is a
#   scratch directory of the test, instead of /srv/stacksalt and /srv/stacksalt-served;
# - Salt is the test venv's own (`install: preinstalled`);
# - salt-ssh checks host keys against the test's known_hosts file.
# Nothing here touches what the fileserver serves: tests/integration/test_fileserver.py proves
# that the served files are exactly those the shipped roots hold.
TEST_ONLY_MASTER_SETTINGS = {"interface": "127.0.0.1"}
SHIPPED_PORT_SETTINGS = ("publish_port", "ret_port")


def harness_master_pillar(repo_root, served_root, extra=None):
    """Pillar for the formula run that renders the test master's config (see above)."""
    pillar = {
        "salt": {
            "install": {"method": "preinstalled"},
            "lookup": {"bin_dir": str(SALT_BIN)},
            "master": {"checkout": str(repo_root), "served_root": str(served_root)},
        }
    }
    for key, value in (extra or {}).items():
        pillar["salt"]["master"][key] = value
    return pillar


def shipped_master_config(repo_root, workdir, extra_pillar=None):
    """
    The master config exactly as the salt formula writes it: `salt-call --local state.apply
    salt.master.config` (which includes salt.master.fileserver) with the demo site's pillar for
    the id `master` plus `harness_master_pillar`, into `workdir`. Returns the merged master.d
    settings (and the formula's served view is built at `workdir/served`).
    """
    repo_root, workdir = pathlib.Path(repo_root), pathlib.Path(workdir)
    conf_dir, served = workdir / "etc" / "salt", workdir / "served"
    conf_dir.mkdir(parents=True, exist_ok=True)
    caller = {
        "id": "master",
        "file_client": "local",
        "root_dir": str(workdir),
        "cachedir": str(workdir / "cache"),
        "pki_dir": str(workdir / "pki"),
        "sock_dir": str(workdir / "sock"),
        "log_file": str(workdir / "salt-call.log"),
        "file_roots": {"base": [str(repo_root / "salt")]},
        "pillar_roots": {"base": [str(repo_root / "pillar")]},
        "module_dirs": [str(repo_root / "_modules")],
        "states_dirs": [str(repo_root / "_states")],
        "utils_dirs": [str(repo_root / "_utils")],
    }
    (conf_dir / "minion").write_text(json.dumps(caller))
    pillar = harness_master_pillar(repo_root, served, extra_pillar)
    cmd = [
        str(SALT_BIN / "salt-call"), "-c", str(conf_dir), "--local", "--retcode-passthrough",
        "--out", "json", "state.apply", "salt.master.config", f"pillar={json.dumps(pillar)}",
    ]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"salt.master.config did not apply: {run.stdout[-4000:]}{run.stderr[-2000:]}")
    settings = {}
    for conf in sorted((conf_dir / "master.d").glob("*.conf")):
        settings.update(yaml.safe_load(conf.read_text()) or {})
    for key in SHIPPED_PORT_SETTINGS:
        settings.pop(key, None)
    return settings


def master_overrides(shipped, known_hosts_file=None):
    """The shipped settings plus the test-only ones (TEST_ONLY_MASTER_SETTINGS), nothing else."""
    return {
        **shipped,
        **TEST_ONLY_MASTER_SETTINGS,
        **({"known_hosts_file": str(known_hosts_file)} if known_hosts_file else {}),
    }


def minion_overrides(repo_root, minion_id, state_dir):
    """Per-minion config: where this "host" keeps its files and its supervised services."""
    state_dir = pathlib.Path(state_dir)
    return {
        "loop_interval": 1,
        "module_dirs": [str(SUPPORT / "extmods")],
        "stacksalt_test_service_dir": str(state_dir / "services"),
        # The minions share this machine: give each its own copy of host-wide paths.
        "host": {"lookup": {"release_file": str(state_dir / "etc" / "stacksalt" / "release.yaml")}},
        # units (salt.minion.canary) go to the "host's" own directory, never this machine's
        "salt": {
            "lookup": {"bin_dir": os.path.dirname(sys.executable), "unit_dir": str(state_dir / "systemd")}
        },
        "ceph": {"lookup": {"conf_dir": str(state_dir / "etc" / "ceph")}},
    }


# Where the harness's hosts differ from the site's: they all run on loopback, so their site-network
# mine entry (`stacksalt_address`, pillar mine_functions, cidr site:network) is empty. The demo
# site's mon host (ceph1, which compute1's ceph.conf names through the mine) is started as a
# minion of its own that publishes its loopback address under that same mine function, by its own
# authenticated id: the formulas read the mine exactly as on the site.
LOOPBACK_PUBLISHERS = ("ceph1",)


def publish_loopback_addresses(cli, minion_ids=LOOPBACK_PUBLISHERS):
    """Each of `minion_ids` publishes 127.0.0.1 as its `stacksalt_address` (see above)."""
    for minion_id in minion_ids:
        ret = cli.run(
            "mine.send", "stacksalt_address", "mine_function=network.ip_addrs", "cidr=127.0.0.0/8",
            "include_loopback=True", minion_tgt=minion_id,
        )  # fmt: skip
        if ret.returncode != 0 or ret.data is not True:
            raise RuntimeError(f"{minion_id}: mine.send stacksalt_address failed: {ret}")
        seen = cli.run("mine.get", minion_id, "stacksalt_address", "tgt_type=list", minion_tgt="compute1")
        if (seen.data or {}).get(minion_id) != ["127.0.0.1"]:
            raise RuntimeError(f"{minion_id}: its mine entry is not 127.0.0.1 as compute1 reads it: {seen}")


def service_dir(state_dir):
    """Where the test provider of the minion with `state_dir` keeps its services (see above)."""
    return pathlib.Path(state_dir) / "services"


def stop_minion(factory, state_dir):
    """
    Stop a harness minion and then the stand-in services it started: they run in their own
    session (a service outlives its minion, as on a real host), so terminating the minion
    leaves them behind. Safe when the minion never started or is already stopped.
    """
    try:
        if factory.is_running():
            factory.terminate()
    finally:
        stop_stand_ins(service_dir(state_dir))
