"""
The session's real OpenStack with Nova (lab/services/openstack/openstack-svc --compute) is what
the other tests rely on: every compute host registered and mapped, a server boots without
Neutron ports, concurrent boots and snapshots succeed (MariaDB), and nothing listens beyond
loopback.
"""

import concurrent.futures
import ipaddress
import os
import pathlib
import subprocess
import time

from tests.functional.openstack.conftest import delete_servers


def _listening_pids_and_addresses():
    out = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    for line in out.splitlines():
        fields = line.split()
        local, procs = fields[3], " ".join(fields[5:])
        for part in procs.split("pid=")[1:]:
            yield int(part.split(",")[0]), local.rsplit(":", 1)[0]


def _service_pids(openstack_compute):
    run = os.path.join(openstack_compute["dir"], "run")
    pids = set()
    for name in os.listdir(run):
        with open(os.path.join(run, name)) as fh:
            pids.add(int(fh.read().strip()))
    # uWSGI and rabbitmq-server fork workers: their children listen too.
    children = subprocess.run(
        ["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=True
    ).stdout  # noqa: S603, S607
    for line in children.splitlines():
        pid, ppid = map(int, line.split())
        if ppid in pids:
            pids.add(pid)
    return pids


def test_every_compute_host_is_up_and_a_hypervisor(openstack_compute, compute_conn):
    hosts = set(openstack_compute["compute_hosts"])
    assert hosts == {"compute1", "controller1"}
    services = {(s.binary, s.host): s.state for s in compute_conn.compute.services()}
    for host in hosts:
        assert services[("nova-compute", host)] == "up"
    assert "up" == next(state for (binary, _), state in services.items() if binary == "nova-scheduler")
    assert "up" == next(state for (binary, _), state in services.items() if binary == "nova-conductor")
    assert {h.name for h in compute_conn.compute.hypervisors()} >= hosts


def test_a_server_boots_without_network_and_is_deleted(compute_conn):
    flavor = compute_conn.compute.create_flavor(name="svc-test-tiny", ram=64, vcpus=1, disk=0)
    image = compute_conn.image.create_image(
        name="svc-test-image", data=b"\0" * 1024, disk_format="raw", container_format="bare", wait=True
    )
    try:
        server = compute_conn.compute.create_server(
            name="svc-test-vm", flavor_id=flavor.id, image_id=image.id, networks="none"
        )
        server = compute_conn.compute.wait_for_server(server, interval=0.3, wait=60)
        assert server.status == "ACTIVE"
        assert server.hypervisor_hostname in {"compute1", "controller1"}
        compute_conn.compute.delete_server(server)
        compute_conn.compute.wait_for_delete(server, interval=0.3, wait=60)
    finally:
        compute_conn.compute.delete_flavor(flavor, ignore_missing=True)
        compute_conn.image.delete_image(image, ignore_missing=True)


def test_services_listen_on_loopback_only(openstack_compute):
    pids = _service_pids(openstack_compute)
    addresses = {addr for pid, addr in _listening_pids_and_addresses() if pid in pids}
    assert addresses, "no listening socket found for the services' pids"
    # epmd adds ::1 to the address it is given; both are loopback.
    not_loopback = {a for a in addresses if a == "*" or not ipaddress.ip_address(a.strip("[]")).is_loopback}
    assert not not_loopback, f"listening beyond loopback: {sorted(addresses)}"


def test_nova_takes_concurrent_boots_and_snapshots(openstack_compute, compute_conn):
    """The compute profile runs on MariaDB: on SQLite, concurrent writes fail with HTTP 500."""
    env = (pathlib.Path(openstack_compute["dir"]) / "env").read_text()
    assert "export OPENSTACK_DB=mariadb" in env.splitlines()
    conn = compute_conn.compute
    conn.update_quota_set(compute_conn.current_project_id, instances=-1, cores=-1, ram=-1)
    flavor = conn.create_flavor(name="svc-test-parallel", ram=64, vcpus=1, disk=0)
    image = compute_conn.image.create_image(
        name="svc-test-parallel", data=b"\0" * 1024, disk_format="raw", container_format="bare", wait=True
    )
    servers, snapshots = [], []
    try:
        servers = [
            conn.create_server(name=f"svc-par-{i}", flavor_id=flavor.id, image_id=image.id, networks="none")
            for i in range(4)
        ]
        servers = [conn.wait_for_server(s, interval=0.5, wait=180) for s in servers]
        with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(lambda s: conn.backup_server(s, f"svc-par-{s.name}", "daily", 1), servers))
        deadline = time.monotonic() + 180
        while True:
            snapshots = [i for i in compute_conn.image.images() if i.name.startswith("svc-par-")]
            if len(snapshots) == len(servers) and all(i.status == "active" for i in snapshots):
                break
            assert time.monotonic() < deadline, [(i.name, i.status) for i in snapshots]
            time.sleep(0.5)
    finally:
        delete_servers(compute_conn, servers)
        for snap in snapshots:
            compute_conn.image.delete_image(snap, ignore_missing=True)
        compute_conn.image.delete_image(image, ignore_missing=True)
        conn.delete_flavor(flavor, ignore_missing=True)
