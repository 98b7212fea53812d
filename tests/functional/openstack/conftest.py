"""
Session fixtures for the OpenStack compute tests: one real Keystone, Glance (file store),
Placement, Neutron API, RabbitMQ and Nova (api, conductor, scheduler and two nova-compute hosts,
``compute1`` and ``controller1``, with Nova's fake virt driver) started once per session by
``lab/services/openstack/openstack-svc start DIR --compute`` and stopped at the session's end;
Salt loaders over the repository's _modules/_states/_utils with that cloud in
``openstack:clouds:admin``.

Subdirectories (e.g. the backup tests) reuse ``openstack_compute``, ``compute_conn`` and
``cloud_config`` and add their own fixtures.
"""

import os
import pathlib
import time

import openstack.exceptions
import pytest
from saltfactories.utils.functional import Loaders

from tests.support.functional import admin_cloud, modules, read_env, run, states  # noqa: F401 - shared
from tests.support.loaders import loader_opts

REPO = pathlib.Path(__file__).resolve().parents[3]
OPENSTACK_SVC = REPO / "lab" / "services" / "openstack" / "openstack-svc"


def _described(workdir, started):
    env = read_env(workdir / "env")
    return {
        "dir": str(workdir),
        "clouds_yaml": env["OS_CLIENT_CONFIG_FILE"],
        "cloud": "admin",
        "keystone_url": env["KEYSTONE_URL"],
        "glance_url": env["GLANCE_URL"],
        "nova_url": env["NOVA_URL"],
        "neutron_url": env["NEUTRON_URL"],
        "compute_hosts": env["NOVA_COMPUTE_HOSTS"].split(),
        "start_seconds": round(time.monotonic() - started, 1),
    }


#: What the session's start measured, for the terminal summary.
_MEASURED = []


def pytest_terminal_summary(terminalreporter):
    for line in _MEASURED:
        terminalreporter.write_line(f"[openstack-svc] {line}")


@pytest.fixture(scope="session")
def openstack_compute(tmp_path_factory):
    """
    The session's OpenStack with Nova: dir, clouds_yaml, cloud, urls, compute_hosts, start_seconds.

    STACKSALT_OPENSTACK_COMPUTE_DIR=DIR reuses services already started with
    ``openstack-svc start DIR --compute`` (while working on tests; they are left running).
    """
    started = time.monotonic()
    reuse = os.environ.get("STACKSALT_OPENSTACK_COMPUTE_DIR")
    if reuse:
        run([str(OPENSTACK_SVC), "status", reuse], 60)
        yield _described(pathlib.Path(reuse), started)
        return
    workdir = tmp_path_factory.mktemp("openstack-compute")
    try:
        # A failed start stops its own processes; stop also removes the directory.
        run([str(OPENSTACK_SVC), "start", str(workdir), "--compute"], 900)
        described = _described(workdir, started)
        _MEASURED.append(
            f"Keystone, Glance, Placement, Neutron, RabbitMQ, Nova up in {described['start_seconds']} s"
        )
        yield described
    finally:
        run([str(OPENSTACK_SVC), "stop", str(workdir)], 120)


@pytest.fixture(scope="session")
def cloud_config(openstack_compute):
    """`openstack:clouds:admin` as a site would put it in pillar/config."""
    return admin_cloud(openstack_compute["clouds_yaml"])


@pytest.fixture(scope="session")
def compute_conn(cloud_config):
    """An openstacksdk connection of the tests' own (setup and independent checks)."""
    import openstack.config
    import openstack.connection

    region = openstack.config.get_cloud_region(
        load_yaml_config=False, load_envvars=False, compute_api_version="2.88", **cloud_config["admin"]
    )
    conn = openstack.connection.Connection(config=region)
    yield conn
    conn.close()


def delete_servers(conn, servers, timeout=180):
    """
    Delete servers and wait until Nova has forgotten them: a server left behind keeps its host
    busy, and Nova then refuses to move that host into an aggregate with an availability zone.
    """
    for server in servers:
        for attempt in range(5):  # a busy Nova may answer 500 or 409 while the server is busy
            try:
                conn.compute.delete_server(server.id, ignore_missing=True)
                break
            except openstack.exceptions.HttpException:
                if attempt == 4:
                    raise
                time.sleep(1 + attempt)
    for server in servers:
        conn.compute.wait_for_delete(server, interval=0.3, wait=timeout)


def minion_opts(tmp_path, extra=None):
    """Minion opts for salt's loaders with the repository's _modules, _states and _utils."""
    return loader_opts(tmp_path / "salt", "functional-openstack", extra=extra)


@pytest.fixture(scope="module")
def loaders(tmp_path_factory, cloud_config):
    opts = minion_opts(
        tmp_path_factory.mktemp("loaders"), {"openstack": {"cloud": "admin", "clouds": cloud_config}}
    )
    return Loaders(opts)
