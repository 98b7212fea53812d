"""
Real Salt daemons for the integration tier (pytest-salt-factories).

One salt-master runs the config the salt formula writes (tests/support/harness.py renders it
with the formula itself; the few test-only differences are named there) and two salt-minions
take ids from the demo site: `master` (roles salt-master, salt-minion, cloud-admin) and `compute1`
(roles salt-minion, compute), and `ceph1` only publishes its address in the mine (see
LOOPBACK_PUBLISHERS in tests/support/harness.py). All run on this host, so the harness gives each its own
Salt config dir and a test-only service provider (tests/support/extmods); the formulas
are used unchanged.
"""

import pytest

from tests.support.harness import (
    LOOPBACK_PUBLISHERS,
    master_overrides,
    minion_overrides,
    publish_loopback_addresses,
    shipped_master_config,
    stop_minion,
)
from tests.support.sshhost import SshHost

MINION_IDS = ("master", "compute1")


@pytest.fixture(scope="package")
def known_hosts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("salt-ssh") / "known_hosts"
    path.write_text("")
    return path


@pytest.fixture(scope="package")
def shipped_master(repo_root, tmp_path_factory):
    """What salt.master writes for the demo site's master (its master.d settings)."""
    return shipped_master_config(repo_root, tmp_path_factory.mktemp("shipped-master"))


@pytest.fixture(scope="package")
def salt_master(salt_factories, shipped_master, known_hosts_file):
    factory = salt_factories.salt_master_daemon(
        "stacksalt-master", overrides=master_overrides(shipped_master, known_hosts_file)
    )
    with factory.started():
        yield factory


@pytest.fixture(scope="package")
def minions(salt_master, repo_root, tmp_path_factory):
    started = {}
    factories = []
    for minion_id in (*MINION_IDS, *LOOPBACK_PUBLISHERS):
        state_dir = tmp_path_factory.mktemp(f"host-{minion_id}")
        factory = salt_master.salt_minion_daemon(
            minion_id, overrides=minion_overrides(repo_root, minion_id, state_dir)
        )
        factories.append((factory, state_dir))
    try:
        for factory, _ in factories:
            factory.start()
            started[factory.id] = factory
        yield started
    finally:
        # The services a minion started (salt-master, salt-minion stand-ins) run in their own
        # session: they outlive the minion unless stopped here (tests/support/processes.py).
        for factory, state_dir in factories:
            stop_minion(factory, state_dir)


@pytest.fixture(scope="package")
def salt_cli(salt_master, minions):
    cli = salt_master.salt_cli(timeout=180)
    ret = cli.run("saltutil.sync_all", minion_tgt="*")
    assert ret.returncode == 0, ret
    publish_loopback_addresses(cli)
    return cli


@pytest.fixture(scope="package")
def ssh_host(tmp_path_factory, known_hosts_file):
    host = SshHost(tmp_path_factory.mktemp("edge1"))
    try:
        host.start()
        known_hosts_file.write_text(host.known_hosts_line())
        yield host
    finally:
        host.stop()
