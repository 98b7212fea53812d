"""
The site's existing OpenStack cloud on controller1 (the lab's stand-in, lab/services/openstack:
Keystone, Glance, Placement, Nova's control plane, Neutron, RabbitMQ, MariaDB on the lab
address) and what stacksalt joins to it: the Ceph clients its services use, from the ceph
formula, and Glance storing its images in the lab's Ceph cluster. Checked with the real
`openstack` CLI against controller1, not through stacksalt's modules, except where the point is
that the site's pillar reaches it (the master's modules with the cloud-admin credentials).
"""

import json
import shlex

import pytest

pytestmark = pytest.mark.lab

CLOUD = "controller1"
CLOUD_DIR = "/var/lib/stacksalt-cloud"
CATALOG = {"identity": 5000, "image": 9292, "placement": 8778, "network": 9696, "compute": 8774}


def run(hosts, name, cmd):
    result = hosts[name].run(cmd)
    assert result.rc == 0, f"{name}: {cmd}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result.stdout


def venv(hosts):
    """The stand-in's venv on controller1 (mounted from the build host), from its unit."""
    unit = run(hosts, CLOUD, "systemctl show -p Environment --value stacksalt-cloud.service")
    for item in unit.split():
        if item.startswith("STACKSALT_OPENSTACK_VENV="):
            return item.split("=", 1)[1]
    raise AssertionError(f"no STACKSALT_OPENSTACK_VENV in the unit's environment: {unit}")


def openstack(hosts, *args):
    """The `openstack` command line on controller1, as the cloud's admin (its clouds.yaml)."""
    return (
        f"env OS_CLIENT_CONFIG_FILE={CLOUD_DIR}/clouds.yaml OS_CLOUD=admin "
        f"{shlex.quote(venv(hosts) + '/bin/openstack')} {shlex.join(args)}"
    )


def cli(hosts, *args):
    """`openstack <args> -f json` on controller1, parsed."""
    return json.loads(run(hosts, CLOUD, openstack(hosts, *args, "-f", "json")))


def test_the_stand_in_cloud_runs_on_its_host(hosts, lab_up):
    assert run(hosts, CLOUD, "systemctl is-active stacksalt-cloud.service").strip() == "active"


def test_every_service_is_in_the_catalog_at_the_cloud_address(hosts, lab_up):
    ip = lab_up[CLOUD]["ip"]
    catalog = {entry["Type"]: entry for entry in cli(hosts, "catalog", "list")}
    assert set(CATALOG) <= set(catalog), sorted(catalog)
    for service_type, port in CATALOG.items():
        urls = {e["url"] for e in catalog[service_type]["Endpoints"]}
        assert urls and all(u.startswith(f"http://{ip}:{port}") for u in urls), (service_type, urls)


def test_nova_control_plane_is_up(hosts, lab_up):
    services = {(s["Binary"], s["State"]) for s in cli(hosts, "compute", "service", "list")}
    assert {("nova-conductor", "up"), ("nova-scheduler", "up")} <= services, services


def test_the_site_pillar_reaches_the_cloud_from_the_master(hosts, lab_up, first_apply):
    # The cloud-admin host's modules, with the credentials of its secrets pillar, over the lab
    # network: what the openstack formula will use.
    out = run(hosts, "master", "salt-call --out json openstack_aggregate.hypervisors cloud=demo")
    assert isinstance(json.loads(out)["local"], list), out


def test_the_cloud_host_has_only_its_own_ceph_clients(hosts, first_apply):
    files = set(run(hosts, CLOUD, "ls /etc/ceph").split())
    assert {"ceph.conf", "ceph.client.glance.keyring", "ceph.client.cinder.keyring"} <= files, files
    assert "ceph.client.admin.keyring" not in files and "ceph.client.nova.keyring" not in files, files


def test_glance_stores_images_in_the_lab_ceph_cluster(hosts, first_apply):
    run(hosts, CLOUD, "head -c 1048576 /dev/urandom > /root/probe.raw")
    image = cli(
        hosts,
        *("image", "create", "--file", "/root/probe.raw", "--disk-format", "raw"),
        *("--container-format", "bare", "lab-cloud-probe"),
    )
    try:
        shown = cli(hosts, "image", "show", image["id"])
        assert shown["status"] == "active", shown
        # the image's data is an RBD image named by its id in pool `images`, seen from ceph1
        listed = run(hosts, "ceph1", "rbd -p images ls").split()
        assert image["id"] in listed, listed
    finally:
        hosts[CLOUD].run(openstack(hosts, "image", "delete", image["id"]) + "; rm -f /root/probe.raw")
