"""
The seed's proof, as `lab/lab main` ends: an instance of flavor `baremetal` goes ACTIVE on an
Ironic node, placed there by the node's resource class (Placement) and by the `baremetal-hosts`
aggregate the Ironic host's nova-compute joined itself; beside it, an instance of flavor
`m1.small` goes ACTIVE on compute1, placed there by the `virtual-hosts` aggregate. `lab/lab boot`
makes both; the checks use the real `openstack` CLI and Ironic's API on controller1, not our
modules.
"""

import json

import pytest

from .cloudcli import cli, sdk
from .conftest import lab

pytestmark = pytest.mark.lab

SERVER = "lab-baremetal-1"
VIRTUAL = "lab-virtual-1"


@pytest.fixture(scope="module")
def booted(second_apply):
    rc, out, err, seconds = lab("boot", check=False, timeout=900)
    assert rc == 0, f"lab boot failed ({rc}) after {seconds:.0f} s\n{out[-3000:]}\n{err[-3000:]}"
    return {"stdout": out, "stderr": err, "seconds": seconds}


NODE = (
    "import json, sys, openstack\n"
    "n = openstack.connect(cloud='admin').baremetal.get_node(sys.argv[1])\n"
    "print(json.dumps({'name': n.name, 'provision_state': n.provision_state,"
    " 'instance_id': n.instance_id, 'resource_class': n.resource_class}))\n"
)


def test_the_baremetal_instance_is_active_on_an_ironic_node(hosts, booted):
    server = cli(hosts, "server", "show", SERVER)
    assert server["status"] == "ACTIVE", server
    assert server["OS-EXT-SRV-ATTR:host"] == "ironic1", server
    assert server["flavor"]["original_name"] == "baremetal", server["flavor"]
    assert server["image"].startswith("baremetal-instance "), server["image"]
    placed = sdk(hosts, NODE, server["OS-EXT-SRV-ATTR:hypervisor_hostname"])
    # the only available node with resource class baremetal in the pillar's enrolment
    assert placed["name"] == "lab-node1", placed
    assert (placed["provision_state"], placed["instance_id"]) == ("active", server["id"]), placed
    assert placed["resource_class"] == "baremetal", placed
    assert "lab-node1" in booted["stderr"] + booted["stdout"], "lab boot does not say where it landed"


def test_the_ironic_host_is_in_the_baremetal_aggregate(hosts, booted):
    aggregate = cli(hosts, "aggregate", "show", "baremetal-hosts")
    assert aggregate["hosts"] == ["ironic1"], aggregate
    assert aggregate["properties"] == {"baremetal": "true"}, aggregate


def test_boot_again_finds_the_instance_and_a_highstate_leaves_it(hosts, booted):
    rc, out, err, _ = lab("boot", check=False)
    assert rc == 0 and "exists" in err, err[-2000:]
    # the enrolment state leaves a node in use alone: the site's highstate changes nothing
    rc, out, err, _ = lab("apply", check=False)
    assert rc == 0, out[-3000:]
    rows = json.loads(out.strip().splitlines()[-1])
    assert {h: r["changed"] for h, r in rows.items() if r["changed"]} == {}, rows


def test_the_virtual_instance_is_active_on_the_compute_host_beside_it(hosts, booted):
    server = cli(hosts, "server", "show", VIRTUAL)
    assert server["status"] == "ACTIVE", server
    # placed by the aggregate: m1.small asks for baremetal=false, which only virtual-hosts has
    assert server["OS-EXT-SRV-ATTR:host"] == "compute1", server
    assert server["OS-EXT-SRV-ATTR:hypervisor_hostname"] == "compute1", server
    assert server["flavor"]["original_name"] == "m1.small", server["flavor"]
    assert f"{VIRTUAL} ACTIVE on compute host compute1" in booted["stderr"] + booted["stdout"]


def test_the_compute_host_is_up_and_in_the_virtual_aggregate(hosts, booted):
    services = cli(hosts, "compute", "service", "list", "--service", "nova-compute", "--host", "compute1")
    assert [(s["State"], s["Status"]) for s in services] == [("up", "enabled")], services
    aggregate = cli(hosts, "aggregate", "show", "virtual-hosts")
    assert aggregate["hosts"] == ["compute1"], aggregate
    assert aggregate["properties"] == {"baremetal": "false"}, aggregate
    hypervisors = {h["Hypervisor Hostname"]: h for h in cli(hosts, "hypervisor", "list")}
    assert hypervisors["compute1"]["State"] == "up", hypervisors
