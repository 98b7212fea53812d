"""
The site's existing OpenStack cloud on controller1 (the lab's stand-in, lab/services/openstack:
Keystone, Glance, Placement, Nova's control plane, Neutron, RabbitMQ, MariaDB on the lab
address) and what stacksalt joins to it: the Ceph clients its services use, from the ceph
formula, and Glance storing its images in the lab's Ceph cluster. Checked with the real
`openstack` CLI against controller1, not through stacksalt's modules, except where the point is
that the site's pillar reaches it (the master's modules with the cloud-admin credentials).
"""

import json
import pathlib
import time

import pytest
import yaml

from tests.support.loader import load_file

from .cloudcli import CLOUD, admin_token, cli, openstack, run

pytestmark = pytest.mark.lab

REPO = pathlib.Path(__file__).resolve().parents[2]
IMAGE_ID_FOR = load_file(REPO / "_utils/stacksalt_ceph.py").image_id_for
CATALOG = {"identity": 5000, "image": 9292, "placement": 8778, "network": 9696, "compute": 8774}


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


# What the cloud-admin role's pillar asks of the cloud (the openstack formula, applied to the
# master by `salt '*' state.apply`), read from the shipped pillar and checked with the CLI.
ADMIN_PILLAR = yaml.safe_load((REPO / "pillar/roles/cloud-admin.sls").read_text())["openstack"]


def test_ironic_is_in_the_catalog_at_the_address_its_host_publishes(hosts, lab_up, first_apply):
    ip = lab_up["ironic1"]["ip"]
    catalog = {entry["Type"]: entry for entry in cli(hosts, "catalog", "list")}
    assert catalog.get("baremetal", {}).get("Name") == "ironic", sorted(catalog)
    endpoints = {e["interface"]: e["url"] for e in catalog["baremetal"]["Endpoints"]}
    assert endpoints == {"public": f"http://{ip}:6385", "internal": f"http://{ip}:6385"}, endpoints


def test_the_ironic_service_user_has_its_roles_on_the_service_project(hosts, first_apply):
    user = cli(hosts, "user", "show", "ironic")
    assert user["enabled"] is True, user
    assignments = cli(
        hosts, "role", "assignment", "list", "--user", "ironic", "--project", "service", "--names"
    )
    roles = {a["Role"] for a in assignments}
    assert roles == set(ADMIN_PILLAR["identity"]["users"]["ironic"]["roles"]["service"]), assignments


def test_the_baremetal_network_and_subnet_are_as_the_pillar_says(hosts, first_apply):
    wanted = ADMIN_PILLAR["networks"]["baremetal"]
    network = cli(hosts, "network", "show", "baremetal")
    assert network["provider:network_type"] == wanted["provider_network_type"], network
    assert network["provider:physical_network"] == wanted["provider_physical_network"], network
    assert network["shared"] is wanted["shared"], network
    subnet_wanted = wanted["subnets"]["baremetal-v4"]
    subnet = cli(hosts, "subnet", "show", "baremetal-v4")
    assert subnet["network_id"] == network["id"], subnet
    assert subnet["cidr"] == subnet_wanted["cidr"], subnet
    assert subnet["enable_dhcp"] is False and subnet["gateway_ip"] is None, subnet
    pools = [{"start": p["start"], "end": p["end"]} for p in subnet["allocation_pools"]]
    assert pools == subnet_wanted["allocation_pools"], subnet


def test_the_flavors_carry_their_extra_specs(hosts, first_apply):
    for name, wanted in ADMIN_PILLAR["flavors"].items():
        flavor = cli(hosts, "flavor", "show", name)
        assert (flavor["vcpus"], flavor["ram"], flavor["disk"]) == (
            wanted["vcpus"],
            wanted["ram"],
            wanted["disk"],
        ), flavor
        specs = {k: str(v) for k, v in wanted.get("extra_specs", {}).items()}
        assert flavor["properties"] == specs, (name, flavor["properties"])


def test_the_aggregates_carry_their_metadata(hosts, first_apply):
    for name, wanted in ADMIN_PILLAR["aggregates"].items():
        aggregate = cli(hosts, "aggregate", "show", name)
        assert aggregate["properties"] == wanted["metadata"], (name, aggregate)


# The Nova side of Ironic: the ironic1 host's nova-compute (salt/nova, the ironic driver),
# joined to the cloud over its RabbitMQ and Keystone, reporting Ironic's nodes to Placement.
def placement(hosts, lab_up, token, path):
    # the stand-in binds its services to the cloud host's lab address, not loopback
    url = f"http://{lab_up[CLOUD]['ip']}:8778{path}"
    out = run(
        hosts, CLOUD, f"curl -sf -H 'X-Auth-Token: {token}' -H 'OpenStack-API-Version: placement 1.20' {url}"
    )
    return json.loads(out)


def ironic_api(hosts, lab_up, token, path):
    url = f"http://{lab_up['ironic1']['ip']}:6385{path}"
    return json.loads(
        run(
            hosts,
            CLOUD,
            f"curl -sf -H 'X-Auth-Token: {token}' -H 'X-OpenStack-Ironic-API-Version: 1.78' {url}",
        )
    )


def test_the_ironic_hosts_nova_compute_is_up_in_the_cloud(hosts, first_apply):
    services = cli(hosts, "compute", "service", "list", "--service", "nova-compute")
    rows = {(s["Host"], s["State"], s["Status"]) for s in services}
    assert ("ironic1", "up", "enabled") in rows, services


def test_placement_has_the_available_node_with_its_resource_class(hosts, lab_up, first_apply):
    token = admin_token(hosts)
    node = ironic_api(hosts, lab_up, token, "/v1/nodes/lab-node1?fields=uuid,resource_class,provision_state")
    assert (node["resource_class"], node["provision_state"]) == ("baremetal", "available"), node
    deadline = time.monotonic() + 180
    inventories = {}
    while time.monotonic() < deadline:
        providers = placement(hosts, lab_up, token, f"/resource_providers?name={node['uuid']}")[
            "resource_providers"
        ]
        if providers:
            inventories = placement(
                hosts, lab_up, token, f"/resource_providers/{providers[0]['uuid']}/inventories"
            )["inventories"]
            if "CUSTOM_BAREMETAL" in inventories:
                break
        time.sleep(5)
    assert inventories.get("CUSTOM_BAREMETAL", {}).get("total") == 1, inventories


def test_the_images_are_in_glance_as_the_pillar_says(hosts, first_apply):
    wanted = ADMIN_PILLAR["images"]
    shown = {name: cli(hosts, "image", "show", name) for name in wanted}
    for name, spec in wanted.items():
        image = shown[name]
        assert image["status"] == "active", image
        # an image imported into RBD is stored raw (its disk_format is the source's)
        assert image["disk_format"] == ("raw" if "rbd" in spec else spec["disk_format"]), image
        assert image["container_format"] == spec.get("container_format", "bare"), image
        assert image["visibility"] == spec["visibility"], image
    instance = shown["baremetal-instance"]["properties"]
    # {image: NAME} in the pillar: that image's id
    assert instance["kernel_id"] == shown["deploy-kernel"]["id"], instance
    assert instance["ramdisk_id"] == shown["deploy-ramdisk"]["id"], instance
    assert instance["os_distro"] == "debian", instance
    # every property the pillar gives a plain upload, as set (the Windows image: both os_type and
    # os_distro, so KVM gets the Hyper-V enlightenments)
    for name, spec in wanted.items():
        if "rbd" not in spec:
            got = shown[name].get("properties") or {}
            assert {k: got.get(k) for k in spec.get("properties", {})} == spec.get("properties", {}), (
                name,
                got,
            )
    windows = shown["windows-server-2022"]["properties"]
    assert (windows["os_type"], windows["os_distro"]) == ("windows", "windows"), windows


def test_the_instance_image_was_imported_straight_into_rbd(hosts, first_apply):
    # glance_rbd_image's marks, seen with the CLI and from ceph1: the id it derives from the name
    # (Glance would have made a random one) and no in-flight mark on its RBD image
    spec = ADMIN_PILLAR["images"]["baremetal-instance"]
    assert spec["rbd"]["pool"] == "images", spec
    image = cli(hosts, "image", "show", "baremetal-instance")
    assert image["id"] == IMAGE_ID_FOR("baremetal-instance"), image
    # rbd prints nothing at all, not {}, for an image without metadata
    meta = json.loads(
        run(hosts, "ceph1", f"rbd --format json image-meta list images/{image['id']}").strip() or "{}"
    )
    assert "stacksalt.in_flight" not in meta, meta
    # by the cloud-admin host's own cephx identity, which only it holds
    keyring = hosts["master"].file("/etc/ceph/ceph.client.image-import.keyring")
    assert keyring.exists and keyring.mode == 0o600
    for name in ("compute1", CLOUD, "ironic1"):
        assert not hosts[name].file("/etc/ceph/ceph.client.image-import.keyring").exists, name
    caps = {
        e["entity"]: e["caps"]
        for e in json.loads(run(hosts, "ceph1", "ceph auth ls --format json"))["auth_dump"]
    }
    assert caps["client.image-import"]["osd"] == "profile rbd pool=images", caps["client.image-import"]


def test_the_rbd_backed_image_clones_into_vms_as_client_nova(hosts, first_apply):
    # Glance's rbd store keeps the image as images/<id> with a protected snapshot `snap`; the
    # compute host's Ceph identity (client.nova: rbd on vms, read-only on images) clones it
    image_id = cli(hosts, "image", "show", "baremetal-instance")["id"]
    info = run(hosts, "compute1", f"rbd --id nova --format json snap ls images/{image_id}")
    snaps = {s["name"]: s for s in json.loads(info)}
    assert "snap" in snaps, snaps
    assert "protected: True" in run(hosts, "compute1", f"rbd --id nova info images/{image_id}@snap")
    clone = f"vms/lab-clone-{image_id[:8]}"
    try:
        run(hosts, "compute1", f"rbd --id nova clone images/{image_id}@snap {clone}")
        assert (
            json.loads(run(hosts, "compute1", f"rbd --id nova --format json info {clone}"))["parent"]["image"]
            == image_id
        )
    finally:
        hosts["compute1"].run(f"rbd --id nova rm {clone}")


def test_the_nodes_deploy_images_are_the_glance_images_of_those_names(hosts, lab_up, first_apply):
    # pillar ironic:nodes names them (deploy-kernel, deploy-ramdisk); Ironic holds their ids
    token = admin_token(hosts)
    node = ironic_api(hosts, lab_up, token, "/v1/nodes/lab-node1?fields=driver_info")
    for key, name in (("deploy_kernel", "deploy-kernel"), ("deploy_ramdisk", "deploy-ramdisk")):
        assert node["driver_info"].get(key) == cli(hosts, "image", "show", name)["id"], (key, node)


def test_addresses_in_the_configs_are_the_ones_the_hosts_publish(hosts, lab_up, first_apply):
    # typed nowhere in pillar: each comes from the named host's own mine entry
    ip = {name: lab_up[name]["ip"] for name in ("ceph1", "ironic1", "controller1")}
    for host in ("ceph1", "ceph2", "compute1", "controller1"):
        assert f"mon host = {ip['ceph1']}\n" in run(hosts, host, "cat /etc/ceph/ceph.conf"), host
    ironic_conf = run(hosts, "ironic1", "cat /etc/ironic/ironic.conf")
    assert f"deploy_kernel = http://{ip['ironic1']}:8088/ipa.kernel\n" in ironic_conf
    assert f"http_url = http://{ip['ironic1']}:8088\n" in ironic_conf
    assert f"auth_url = http://{ip['controller1']}:5000/v3\n" in ironic_conf
