"""
Pure logic of _modules/openstack_network.py (validation, Neutron's defaults, plans) and the
branches of _states/openstack_network.py in both modes (`testmode`), on an execution module
whose API functions are mocks and whose validate/plan functions are the real ones. Last, the
module edge through Salt's own loader against a port nothing listens on.
"""

import copy
import socket
from unittest.mock import MagicMock

import pytest
from salt.exceptions import CommandExecutionError
from saltfactories.utils.functional import Loaders

from tests.support.loader import load
from tests.support.loaders import loader_opts

pytestmark = pytest.mark.unit

# Loaded as Salt's loader loads it: its pure logic shares the helpers of _utils/.
net_mod = load("modules", "openstack_network")

NETWORK = {
    "name": "baremetal",
    "provider_network_type": "flat",
    "provider_physical_network": "baremetal",
    "shared": False,
    "external": False,
    "admin_state_up": True,
}
LIVE_NETWORK = {
    "id": "net-1",
    "name": "baremetal",
    "provider_network_type": "flat",
    "provider_physical_network": "baremetal",
    "provider_segmentation_id": None,
    "shared": False,
    "external": False,
    "admin_state_up": True,
    "mtu": 1500,
    "description": None,
    "project": "proj-admin",
    "status": "ACTIVE",
    "subnets": [],
    "ports": [],
}
SUBNET = {
    "name": "baremetal-v4",
    "network": "baremetal",
    "cidr": "10.89.60.0/24",
    "gateway_ip": "none",
    "enable_dhcp": False,
    "allocation_pools": [{"start": "10.89.60.100", "end": "10.89.60.200"}],
}
LIVE_SUBNET = {
    "id": "sub-1",
    "name": "baremetal-v4",
    "network": "baremetal",
    "network_id": "net-1",
    "cidr": "10.89.60.0/24",
    "ip_version": 4,
    "gateway_ip": None,
    "enable_dhcp": False,
    "allocation_pools": [{"start": "10.89.60.100", "end": "10.89.60.200"}],
    "dns_nameservers": [],
    "host_routes": [],
    "description": None,
    "ports": [],
}


# ----------------------------------------------------------------------------- network data


def test_the_baremetal_network_is_valid():
    assert net_mod.validate(NETWORK) == []
    assert net_mod.validate(dict(NETWORK, mtu=9000, description="Ironic", project="admin")) == []
    vlan = {"name": "tenant", "provider_network_type": "vlan", "provider_physical_network": "physnet1"}
    assert net_mod.validate(dict(vlan, provider_segmentation_id=101)) == []
    assert net_mod.validate({"name": "overlay", "provider_network_type": "vxlan"}) == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"provider_network_type": "flatt"},
            "network:provider_network_type: unknown network type 'flatt' "
            "(known: flat, geneve, gre, local, vlan, vxlan) (did you mean 'flat'?)",
        ),
        ({"provider_network_type": ["flat"]}, "network:provider_network_type: unknown network type"),
        ({"provider_physical_network": None}, "network:provider_physical_network: a flat network needs"),
        ({"provider_physical_network": ""}, "network:provider_physical_network: a flat network needs"),
        ({"provider_segmentation_id": 5}, "network:provider_segmentation_id: a flat network has none"),
        ({"shared": "yes"}, "network:shared: must be true or false, got 'yes'"),
        ({"external": 1}, "network:external: must be true or false, got 1"),
        ({"mtu": 40}, "network:mtu: must be an integer from 68 to 65535, got 40"),
        ({"mtu": "1500"}, "network:mtu: must be an integer from 68 to 65535, got '1500'"),
        ({"description": 7}, "network:description: must be a string"),
        ({"project": ""}, "network:project: must be a project name or id"),
        ({"name": " "}, "network:name: must be a non-empty string"),
        ({"physical_network": "baremetal"}, "network:physical_network: unknown key"),
    ],
)
def test_bad_network_arguments_are_named(change, error):
    errors = net_mod.validate(dict(NETWORK, **change))
    assert any(e.startswith(error) for e in errors), errors


def test_segmentation_ids_and_physical_networks_follow_the_type():
    vlan = {"name": "t", "provider_network_type": "vlan", "provider_physical_network": "p"}
    assert net_mod.validate(dict(vlan, provider_segmentation_id=4095)) == [
        "network:provider_segmentation_id: must be an integer from 1 to 4094 for a vlan network, got 4095"
    ]
    vxlan = {"name": "t", "provider_network_type": "vxlan", "provider_physical_network": "baremetal"}
    assert net_mod.validate(vxlan) == [
        "network:provider_physical_network: a vxlan network has none: set it to null"
    ]


# ----------------------------------------------------------------------------- subnet data


def test_the_baremetal_subnet_is_valid():
    assert net_mod.validate_subnet(SUBNET) == []
    full = dict(
        SUBNET,
        gateway_ip="10.89.60.1",
        dns_nameservers=["10.89.60.1", "10.0.0.53"],
        host_routes=[{"destination": "10.89.0.0/16", "nexthop": "10.89.60.254"}],
        allocation_pools=[
            {"start": "10.89.60.100", "end": "10.89.60.149"},
            {"start": "10.89.60.150", "end": "10.89.60.200"},
        ],
    )
    assert net_mod.validate_subnet(full) == []
    assert (
        net_mod.validate_subnet({"name": "v6", "network": "n", "cidr": "2001:db8::/64", "ip_version": 6})
        == []
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"cidr": "10.89.60.0/33"}, "subnet:cidr: '10.89.60.0/33' is not a network in CIDR notation"),
        ({"cidr": "baremetal"}, "subnet:cidr: 'baremetal' is not a network in CIDR notation"),
        (
            {"cidr": "10.89.60.1/24"},
            "subnet:cidr: 10.89.60.1/24 has host bits set (the network is 10.89.60.0/24)",
        ),
        ({"cidr": None}, "subnet:cidr: is required"),
        ({"cidr": "10.89.60.0/31"}, "subnet:cidr: 10.89.60.0/31 is too small"),
        ({"ip_version": 6}, "subnet:ip_version: 6, but cidr 10.89.60.0/24 is an IPv4 network"),
        ({"ip_version": 5}, "subnet:ip_version: must be 4 or 6, got 5"),
        (
            {"gateway_ip": "10.89.61.1"},
            "subnet:gateway_ip: 10.89.61.1 is outside cidr 10.89.60.0/24",
        ),
        ({"gateway_ip": "10.89.60.255"}, "subnet:gateway_ip: 10.89.60.255 is outside cidr 10.89.60.0/24"),
        (
            {"gateway_ip": "gateway"},
            "subnet:gateway_ip: 'gateway' is not an IP address (or 'none' for no gateway)",
        ),
        ({"gateway_ip": "2001:db8::1"}, "subnet:gateway_ip: 2001:db8::1 is not an IPv4 address"),
        (
            {"gateway_ip": "10.89.60.150"},
            "subnet:gateway_ip: 10.89.60.150 is inside allocation_pools[0] (10.89.60.100-10.89.60.200)",
        ),
        (
            {"gateway_ip": None, "allocation_pools": [{"start": "10.89.60.1", "end": "10.89.60.50"}]},
            "subnet:gateway_ip: unset, so Neutron's default 10.89.60.1, which is inside allocation_pools[0]",
        ),
        (
            {"allocation_pools": [{"start": "10.89.61.10", "end": "10.89.61.20"}]},
            "subnet:allocation_pools[0]: 10.89.61.10-10.89.61.20 is outside cidr 10.89.60.0/24 "
            "(a pool may hold 10.89.60.1-10.89.60.254)",
        ),
        (
            {"allocation_pools": [{"start": "10.89.60.0", "end": "10.89.60.20"}]},
            "subnet:allocation_pools[0]: 10.89.60.0-10.89.60.20 is outside cidr",
        ),
        (
            {
                "allocation_pools": [
                    {"start": "10.89.60.100", "end": "10.89.60.200"},
                    {"start": "10.89.60.150", "end": "10.89.60.250"},
                ]
            },
            "subnet:allocation_pools[1]: 10.89.60.150-10.89.60.250 overlaps allocation_pools[0] "
            "(10.89.60.100-10.89.60.200)",
        ),
        (
            {"allocation_pools": [{"start": "10.89.60.200", "end": "10.89.60.100"}]},
            "subnet:allocation_pools[0]: start 10.89.60.200 is after end 10.89.60.100",
        ),
        (
            {"allocation_pools": [{"start": "10.89.60.300", "end": "10.89.60.310"}]},
            "subnet:allocation_pools[0]:start: '10.89.60.300' is not an IP address",
        ),
        ({"allocation_pools": [{"first": "10.89.60.1"}]}, "subnet:allocation_pools[0]: must be a mapping"),
        ({"allocation_pools": {"start": "10.89.60.1"}}, "subnet:allocation_pools: must be a list"),
        ({"dns_nameservers": ["dns1"]}, "subnet:dns_nameservers[0]: 'dns1' is not an IP address"),
        (
            {"dns_nameservers": ["2001:db8::53"]},
            "subnet:dns_nameservers[0]: 2001:db8::53 is not an IPv4 address",
        ),
        (
            {"dns_nameservers": ["10.0.0.53", "10.0.0.53"]},
            "subnet:dns_nameservers[1]: 10.0.0.53 is listed twice",
        ),
        (
            {"host_routes": [{"destination": "10.1.0.0/16", "gateway": "10.89.60.1"}]},
            "subnet:host_routes[0]: must be a mapping with exactly destination and nexthop",
        ),
        (
            {"host_routes": [{"destination": "10.1.0.0/16", "nexthop": "x"}]},
            "subnet:host_routes[0]:nexthop: 'x' is not an IP address",
        ),
        (
            {"host_routes": [{"destination": "10.1.0.1/16", "nexthop": "10.89.60.1"}]},
            "subnet:host_routes[0]:destination: 10.1.0.1/16 has host bits set",
        ),
        ({"enable_dhcp": "no"}, "subnet:enable_dhcp: must be true or false, got 'no'"),
        ({"network": ""}, "subnet:network: must be a non-empty string"),
        ({"allocation_pool": []}, "subnet:allocation_pool: unknown key (did you mean 'allocation_pools'?)"),
    ],
)
def test_bad_subnet_arguments_are_named(change, error):
    errors = net_mod.validate_subnet(dict(SUBNET, **change))
    assert any(e.startswith(error) for e in errors), errors


def test_errors_name_where_the_data_came_from():
    errors = net_mod.validate_subnet(
        dict(SUBNET, cidr="10.89.60.1/24"), where="openstack:subnets:baremetal-v4"
    )
    assert errors == [
        "openstack:subnets:baremetal-v4:cidr: 10.89.60.1/24 has host bits set (the network is 10.89.60.0/24)"
    ]


# ----------------------------------------------------------------------------- Neutron's defaults


@pytest.mark.parametrize(
    ("cidr", "gateway", "pools"),
    [
        ("10.89.60.0/24", "10.89.60.1", [("10.89.60.2", "10.89.60.254")]),
        ("10.89.60.0/24", None, [("10.89.60.1", "10.89.60.254")]),
        ("10.89.60.0/24", "10.89.60.254", [("10.89.60.1", "10.89.60.253")]),
        ("10.89.60.0/24", "10.89.60.100", [("10.89.60.1", "10.89.60.99"), ("10.89.60.101", "10.89.60.254")]),
        ("10.89.60.0/30", "10.89.60.1", [("10.89.60.2", "10.89.60.2")]),
        # IPv6: Neutron's default gateway is the subnet-router address, outside every pool
        ("2001:db8::/64", "2001:db8::", [("2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff")]),
    ],
)
def test_default_pools_are_neutrons(cidr, gateway, pools):
    assert net_mod.default_pools(cidr, gateway) == [{"start": s, "end": e} for s, e in pools]


def test_unset_gateway_and_pools_become_neutrons_defaults():
    wanted = net_mod.subnet_wanted({"name": "s", "network": "n", "cidr": "10.89.60.0/24"})
    assert wanted == {
        "cidr": "10.89.60.0/24",
        "ip_version": 4,
        "gateway_ip": "10.89.60.1",
        "enable_dhcp": False,
        "allocation_pools": [{"start": "10.89.60.2", "end": "10.89.60.254"}],
        "dns_nameservers": [],
        "host_routes": [],
    }
    v6 = net_mod.subnet_wanted({"name": "s", "network": "n", "cidr": "2001:DB8::/64", "ip_version": 6})
    assert v6["cidr"] == "2001:db8::/64" and v6["gateway_ip"] == "2001:db8::"
    assert net_mod.subnet_wanted(dict(SUBNET, gateway_ip="NONE"))["gateway_ip"] is None


# ----------------------------------------------------------------------------- network plans


def test_a_missing_network_is_created_with_what_the_state_says():
    item = net_mod.plan(dict(NETWORK, mtu=1500, project="admin"), None, project_id="proj-admin")
    assert item["action"] == "create"
    assert item["changes"] == {"created": dict(NETWORK, mtu=1500, project="admin")}
    assert item["create"] == {
        "provider_network_type": "flat",
        "provider_physical_network": "baremetal",
        "shared": False,
        "external": False,
        "admin_state_up": True,
        "mtu": 1500,
        "project": "proj-admin",
    }


def test_a_converged_network_needs_nothing():
    item = net_mod.plan(dict(NETWORK, project="admin"), LIVE_NETWORK, project_id="proj-admin")
    assert item["action"] == "none" and item["changes"] == {}
    # unset mtu and description are left alone
    assert net_mod.plan(NETWORK, dict(LIVE_NETWORK, mtu=9000, description="x"))["action"] == "none"


def test_mutable_fields_are_updated_in_place():
    spec = dict(NETWORK, shared=True, external=True, admin_state_up=False, mtu=1400, description="")
    item = net_mod.plan(spec, dict(LIVE_NETWORK, description="old"))
    assert item["action"] == "update"
    assert item["changes"] == {
        "shared": {"old": False, "new": True},
        "external": {"old": False, "new": True},
        "admin_state_up": {"old": True, "new": False},
        "mtu": {"old": 1500, "new": 1400},
        "description": {"old": "old", "new": None},
    }
    # an emptied description is sent as '' (an unset argument would leave it)
    assert item["update"] == {
        "shared": True,
        "external": True,
        "admin_state_up": False,
        "mtu": 1400,
        "description": "",
    }


def test_a_provider_change_is_refused_naming_the_attribute():
    item = net_mod.plan(dict(NETWORK, provider_physical_network="provisioning", mtu=1400), LIVE_NETWORK)
    assert item["action"] == "refuse" and item["changes"] == {}
    assert item["comment"].startswith(
        "Network 'baremetal' differs in provider_physical_network: baremetal -> provisioning, which Neutron "
        "cannot change in place: the network must be recreated (set recreate: true"
    )
    assert item["comment"].endswith("nothing was changed")
    project = net_mod.plan(dict(NETWORK, project="service"), LIVE_NETWORK, project_id="proj-service")
    assert "project: proj-admin -> proj-service" in project["comment"]


def test_recreate_keeps_what_the_state_leaves_unset_and_reports_the_subnets():
    live = dict(LIVE_NETWORK, mtu=1400, description="Ironic", subnets=["baremetal-v4"])
    item = net_mod.plan(dict(NETWORK, provider_physical_network="provisioning", recreate=True), live)
    assert item["action"] == "recreate"
    assert item["changes"] == {
        "recreated": {"provider_physical_network": {"old": "baremetal", "new": "provisioning"}},
        "subnets": {"deleted": ["baremetal-v4"]},
    }
    assert item["create"] == {
        "provider_network_type": "flat",
        "provider_physical_network": "provisioning",
        "shared": False,
        "external": False,
        "admin_state_up": True,
        "mtu": 1400,
        "description": "Ironic",
        "project": "proj-admin",
    }


def test_recreate_is_refused_while_ports_use_the_network():
    live = dict(LIVE_NETWORK, ports=["port-1", "port-2"])
    item = net_mod.plan(dict(NETWORK, provider_physical_network="provisioning", recreate=True), live)
    assert item["action"] == "refuse"
    assert "but ports use it (port-1, port-2): delete them first; nothing was changed" in item["comment"]


# ----------------------------------------------------------------------------- subnet plans


def test_a_missing_subnet_is_created_readably():
    item = net_mod.plan_subnet(dict(SUBNET, dns_nameservers=["10.0.0.53"]), None)
    assert item["action"] == "create"
    assert item["changes"] == {
        "created": {
            "name": "baremetal-v4",
            "network": "baremetal",
            "cidr": "10.89.60.0/24",
            "ip_version": 4,
            "gateway_ip": None,
            "enable_dhcp": False,
            "allocation_pools": ["10.89.60.100-10.89.60.200"],
            "dns_nameservers": ["10.0.0.53"],
            "host_routes": [],
        }
    }
    assert item["create"]["gateway_ip"] == "none"
    assert item["create"]["allocation_pools"] == [{"start": "10.89.60.100", "end": "10.89.60.200"}]


def test_a_converged_subnet_needs_nothing_whatever_the_order_of_pools_and_routes():
    pools = [
        {"start": "10.89.60.150", "end": "10.89.60.200"},
        {"start": "10.89.60.100", "end": "10.89.60.149"},
    ]
    routes = [
        {"destination": "10.2.0.0/16", "nexthop": "10.89.60.254"},
        {"destination": "10.1.0.0/16", "nexthop": "10.89.60.254"},
    ]
    spec = dict(SUBNET, allocation_pools=pools, host_routes=routes)
    live = dict(LIVE_SUBNET, allocation_pools=list(reversed(pools)), host_routes=list(reversed(routes)))
    assert net_mod.plan_subnet(spec, live)["action"] == "none"


def test_subnet_fields_are_updated_in_place():
    spec = dict(
        SUBNET,
        gateway_ip=None,
        enable_dhcp=True,
        allocation_pools=[{"start": "10.89.60.50", "end": "10.89.60.60"}],
        dns_nameservers=["10.0.0.53"],
        host_routes=[{"destination": "10.1.0.0/16", "nexthop": "10.89.60.5"}],
        description="provisioning",
    )
    item = net_mod.plan_subnet(spec, LIVE_SUBNET)
    assert item["action"] == "update"
    assert item["changes"] == {
        "gateway_ip": {"old": None, "new": "10.89.60.1"},
        "enable_dhcp": {"old": False, "new": True},
        "allocation_pools": {"old": ["10.89.60.100-10.89.60.200"], "new": ["10.89.60.50-10.89.60.60"]},
        "dns_nameservers": {"old": [], "new": ["10.0.0.53"]},
        "host_routes": {"old": [], "new": ["10.1.0.0/16 via 10.89.60.5"]},
        "description": {"old": None, "new": "provisioning"},
    }
    assert item["update"]["host_routes"] == [{"destination": "10.1.0.0/16", "nexthop": "10.89.60.5"}]
    # removing the gateway is sent as 'none', which update_subnet turns into null
    back = net_mod.plan_subnet(SUBNET, dict(LIVE_SUBNET, gateway_ip="10.89.60.1"))
    assert back["update"] == {"gateway_ip": "none"}


def test_a_cidr_change_is_refused_and_recreate_waits_for_free_addresses():
    spec = dict(SUBNET, cidr="10.89.61.0/24", allocation_pools=None)
    item = net_mod.plan_subnet(spec, LIVE_SUBNET)
    assert item["action"] == "refuse"
    assert item["comment"].startswith(
        "Subnet 'baremetal-v4' differs in cidr: 10.89.60.0/24 -> 10.89.61.0/24, which Neutron cannot change "
        "in place: the subnet must be recreated"
    )
    busy = net_mod.plan_subnet(dict(spec, recreate=True), dict(LIVE_SUBNET, ports=["port-1"]))
    assert "but ports have addresses on it (port-1)" in busy["comment"]
    item = net_mod.plan_subnet(dict(spec, recreate=True), dict(LIVE_SUBNET, description="kept"))
    assert item["action"] == "recreate"
    assert item["changes"]["recreated"] == {"cidr": {"old": "10.89.60.0/24", "new": "10.89.61.0/24"}}
    assert item["create"]["cidr"] == "10.89.61.0/24" and item["create"]["description"] == "kept"


# ----------------------------------------------------------------------------- state branches


@pytest.fixture
def neutron():
    """A Neutron of dicts behind mocked API functions; validate/plan are the module's own."""
    world = {"networks": {}, "subnets": {}, "project": "proj-admin"}

    def get(name, project=None, cloud=None):
        found = world["networks"].get(name) or next(
            (n for n in world["networks"].values() if n["id"] == name), None
        )
        return copy.deepcopy(found)

    def get_subnet(name, network=None, cloud=None):
        return copy.deepcopy(world["subnets"].get(name))

    def delete(name, cloud=None):
        world["networks"] = {k: v for k, v in world["networks"].items() if v["id"] != name}
        return True

    def create(name, cloud=None, **args):
        world["networks"][name] = dict(LIVE_NETWORK, id="net-2", name=name, **args)
        return world["networks"][name]

    execution = {
        f"openstack_network.{f}": getattr(net_mod, f)
        for f in ("validate", "validate_subnet", "plan", "plan_subnet", "subnet_wanted")
    }
    execution.update(
        {
            "openstack_network.resolve_project": MagicMock(return_value="proj-admin"),
            "openstack_network.get": MagicMock(side_effect=get),
            "openstack_network.get_subnet": MagicMock(side_effect=get_subnet),
            "openstack_network.create": MagicMock(side_effect=create),
            "openstack_network.update": MagicMock(return_value={"id": "net-1"}),
            "openstack_network.delete": MagicMock(side_effect=delete),
            "openstack_network.create_subnet": MagicMock(return_value={"id": "sub-2"}),
            "openstack_network.update_subnet": MagicMock(return_value={"id": "sub-1"}),
            "openstack_network.delete_subnet": MagicMock(return_value=True),
        }
    )
    return world, execution


@pytest.fixture
def state(salt_loader, neutron, testmode):
    return salt_loader.state("openstack_network", salt=neutron[1], opts={"test": testmode})


def _writes(execution):
    names = ("create", "update", "delete", "create_subnet", "update_subnet", "delete_subnet")
    return {
        n: execution[f"openstack_network.{n}"].call_count
        for n in names
        if execution[f"openstack_network.{n}"].called
    }


def test_present_creates_exactly_what_test_mode_reports(state, neutron, testmode):
    _, execution = neutron
    ret = state.present("baremetal", mtu=1500, project="admin", cloud="admin")
    changes = {"created": dict(NETWORK, mtu=1500, project="admin")}
    if testmode:
        assert ret == {
            "name": "baremetal",
            "result": None,
            "changes": changes,
            "comment": "Network 'baremetal' would be created",
        }
        assert _writes(execution) == {}
        return
    assert ret == {
        "name": "baremetal",
        "result": True,
        "changes": changes,
        "comment": "Network 'baremetal' created (id net-2)",
    }
    execution["openstack_network.create"].assert_called_once_with(
        "baremetal",
        cloud="admin",
        provider_network_type="flat",
        provider_physical_network="baremetal",
        shared=False,
        external=False,
        admin_state_up=True,
        mtu=1500,
        project="proj-admin",
    )


def test_present_updates_in_place_by_id(state, neutron, testmode):
    world, execution = neutron
    world["networks"]["baremetal"] = dict(LIVE_NETWORK)
    ret = state.present("baremetal", mtu=1400)
    assert ret["changes"] == {"mtu": {"old": 1500, "new": 1400}}
    if testmode:
        assert ret["result"] is None and _writes(execution) == {}
        return
    assert ret["result"] is True and ret["comment"] == "Network 'baremetal' updated (id net-1)"
    execution["openstack_network.update"].assert_called_once_with("net-1", cloud=None, mtu=1400)


def test_present_refuses_a_provider_change_in_both_modes(state, neutron):
    world, execution = neutron
    world["networks"]["baremetal"] = dict(LIVE_NETWORK)
    ret = state.present("baremetal", provider_physical_network="provisioning", mtu=1400)
    assert ret["result"] is False and ret["changes"] == {}
    assert "provider_physical_network: baremetal -> provisioning" in ret["comment"]
    assert "the network must be recreated" in ret["comment"]
    assert _writes(execution) == {}


def test_recreate_deletes_then_creates_and_says_what_went_with_it(state, neutron, testmode):
    world, execution = neutron
    world["networks"]["baremetal"] = dict(LIVE_NETWORK, subnets=["baremetal-v4"])
    ret = state.present("baremetal", provider_physical_network="provisioning", recreate=True)
    changes = {
        "recreated": {"provider_physical_network": {"old": "baremetal", "new": "provisioning"}},
        "subnets": {"deleted": ["baremetal-v4"]},
    }
    assert ret["changes"] == changes
    if testmode:
        assert ret["comment"] == (
            "Network 'baremetal' would be deleted and created again; its subnets baremetal-v4 would be "
            "deleted with it (their subnet_present states create them again)"
        )
        assert _writes(execution) == {}
        return
    assert ret["result"] is True
    assert ret["comment"].startswith("Network 'baremetal' deleted and created again (id net-2); its subnets")
    assert _writes(execution) == {"delete": 1, "create": 1}


def test_recreate_whose_create_fails_reports_the_network_gone(salt_loader, neutron):
    world, execution = neutron
    world["networks"]["baremetal"] = dict(LIVE_NETWORK)
    execution["openstack_network.create"].side_effect = CommandExecutionError(
        "creating network 'baremetal': HTTP 409: Physical network provisioning is in use"
    )
    state = salt_loader.state("openstack_network", salt=execution)
    ret = state.present("baremetal", provider_physical_network="provisioning", recreate=True)
    assert ret == {
        "name": "baremetal",
        "result": False,
        "changes": {"deleted": {"id": "net-1"}},
        "comment": (
            "Network 'baremetal' could not be deleted and created again: creating network 'baremetal': HTTP 409: "
            "Physical network provisioning is in use (the old network is deleted: run the state again to create it)"
        ),
    }


def test_bad_arguments_fail_before_any_api_call(state, neutron):
    _, execution = neutron
    ret = state.present("baremetal", provider_network_type="vlna")
    assert ret["result"] is False and ret["changes"] == {}
    assert ret["comment"].startswith(
        "Invalid network data, nothing was changed:\n  - openstack_network:baremetal:"
    )
    assert "provider_network_type: unknown network type 'vlna'" in ret["comment"]
    ret = state.subnet_present("baremetal-v4", "baremetal", "10.89.60.0/24", gateway_ip="10.89.61.1")
    assert "openstack_network:subnet:baremetal-v4:gateway_ip: 10.89.61.1 is outside cidr" in ret["comment"]
    for name, mock in execution.items():
        if isinstance(mock, MagicMock):
            assert not mock.called, name


def test_a_subnet_of_a_missing_network_fails(state, neutron):
    ret = state.subnet_present(**SUBNET)
    assert ret == {
        "name": "baremetal-v4",
        "result": False,
        "changes": {},
        "comment": (
            "openstack_network:subnet:baremetal-v4:network: network 'baremetal' does not exist: create it first "
            "(openstack_network.present, required by this state); nothing was changed"
        ),
    }
    assert _writes(neutron[1]) == {}


def _earlier(result, changes, name="baremetal"):
    return {
        f"openstack_network_|-net_|-{name}_|-present": {"name": name, "result": result, "changes": changes}
    }


def test_a_subnet_of_a_network_this_test_run_creates_would_be_created(salt_loader, neutron):
    _, execution = neutron
    state = salt_loader.state("openstack_network", salt=execution, opts={"test": True})
    state.__running__ = _earlier(None, {"created": dict(NETWORK)})
    ret = state.subnet_present(**SUBNET)
    assert ret["result"] is None
    assert ret["comment"] == (
        "Subnet 'baremetal-v4' would be created (its network 'baremetal' would be created by an earlier state "
        "of this run)"
    )
    assert ret["changes"]["created"]["network"] == "baremetal"
    # another network's plan, or a real run's result, is no excuse
    state.__running__ = _earlier(None, {"created": {}}, name="other")
    assert state.subnet_present(**SUBNET)["result"] is False
    state.__running__ = _earlier(True, {"created": {}})
    assert state.subnet_present(**SUBNET)["result"] is False
    assert _writes(execution) == {}


def test_a_subnet_of_a_network_this_test_run_recreates_would_be_created_again(salt_loader, neutron):
    world, execution = neutron
    world["networks"]["baremetal"] = dict(LIVE_NETWORK, subnets=["baremetal-v4"])
    world["subnets"]["baremetal-v4"] = dict(LIVE_SUBNET)
    state = salt_loader.state("openstack_network", salt=execution, opts={"test": True})
    assert state.subnet_present(**SUBNET)["changes"] == {}
    state.__running__ = _earlier(None, {"recreated": {}})
    ret = state.subnet_present(**SUBNET)
    assert ret["result"] is None and "created" in ret["changes"]
    assert ret["comment"].endswith(
        "(its network 'baremetal' would be deleted and created again by an earlier state of this run)"
    )


def test_subnet_updates_go_by_id(state, neutron, testmode):
    world, execution = neutron
    world["networks"]["baremetal"] = dict(LIVE_NETWORK)
    world["subnets"]["baremetal-v4"] = dict(LIVE_SUBNET)
    ret = state.subnet_present(**dict(SUBNET, dns_nameservers=["10.0.0.53"]))
    assert ret["changes"] == {"dns_nameservers": {"old": [], "new": ["10.0.0.53"]}}
    if testmode:
        assert ret["result"] is None and _writes(execution) == {}
        return
    execution["openstack_network.update_subnet"].assert_called_once_with(
        "sub-1", cloud=None, dns_nameservers=["10.0.0.53"]
    )


def test_absent_refuses_a_network_in_use(state, neutron):
    world, execution = neutron
    world["networks"]["baremetal"] = dict(LIVE_NETWORK, ports=["port-1"])
    ret = state.absent("baremetal")
    assert ret["result"] is False and ret["changes"] == {}
    assert ret["comment"] == (
        "Network 'baremetal' is in use by ports port-1: Neutron refuses to delete it before they are deleted; "
        "nothing was changed"
    )
    assert _writes(execution) == {}


def test_absent_deletes_the_network_and_its_subnets(state, neutron, testmode):
    world, execution = neutron
    world["networks"]["baremetal"] = dict(LIVE_NETWORK, subnets=["baremetal-v4"])
    ret = state.absent("baremetal")
    assert ret["changes"] == {"deleted": {"id": "net-1", "subnets": ["baremetal-v4"]}}
    assert ret["result"] is (None if testmode else True)
    assert _writes(execution) == ({} if testmode else {"delete": 1})
    again = state.absent("baremetal")
    if not testmode:
        assert again == {
            "name": "baremetal",
            "result": True,
            "changes": {},
            "comment": "Network 'baremetal' is already absent",
        }


def test_subnet_absent_of_a_missing_network_is_absent(state, neutron):
    ret = state.subnet_absent("baremetal-v4", network="baremetal")
    assert ret["result"] is True and ret["changes"] == {}
    assert ret["comment"] == "Subnet 'baremetal-v4' is already absent (network 'baremetal' does not exist)"


def test_a_service_that_fails_is_reported_not_raised(state, neutron):
    _, execution = neutron
    execution["openstack_network.get"].side_effect = CommandExecutionError(
        "reading network 'baremetal' from Neutron: HTTP 500: Internal Server Error"
    )
    for ret in (state.present("baremetal"), state.absent("baremetal"), state.subnet_present(**SUBNET)):
        assert ret["result"] is False and ret["changes"] == {}
        assert ret["comment"].startswith("Could not read ") and "HTTP 500" in ret["comment"]


# ----------------------------------------------------------------------------- the module edge


@pytest.fixture(scope="module")
def down(tmp_path_factory):
    """
    Salt's real loader with a cloud whose Neutron and Keystone refuse every connection: a port
    bound, never listening, and held for the module (no other process can take it meanwhile).
    """
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{held.getsockname()[1]}"
        cloud = {"auth_type": "none", "network_endpoint_override": url, "identity_endpoint_override": url}
        extra = {"openstack": {"cloud": "down", "clouds": {"down": dict(cloud, connect_retries=0)}}}
        yield Loaders(loader_opts(tmp_path_factory.mktemp("network-edge"), "network-edge", extra=extra))


@pytest.mark.parametrize(
    ("func", "kwargs", "what"),
    [
        ("get", {"name": "baremetal"}, "reading network 'baremetal' from Neutron"),
        ("get_subnet", {"name": "baremetal-v4"}, "reading subnet 'baremetal-v4' from Neutron"),
        ("delete", {"name": "baremetal"}, "deleting network 'baremetal'"),
        ("resolve_project", {"project": "admin"}, "looking up project 'admin' in Keystone"),
    ],
)
def test_a_client_error_becomes_a_command_error_naming_the_call(down, func, kwargs, what):
    with pytest.raises(CommandExecutionError) as info:
        down.modules[f"openstack_network.{func}"](**kwargs)
    assert str(info.value).startswith(f"{what}: "), info.value
    assert "Traceback" not in str(info.value)


def test_a_create_with_bad_arguments_makes_no_call(down):
    # the cloud is down: an API call would be a CommandExecutionError, not this
    with pytest.raises(Exception, match=r"subnet:cidr: 10.89.60.1/24 has host bits set") as info:
        down.modules["openstack_network.create_subnet"]("s", "baremetal", "10.89.60.1/24")
    assert type(info.value).__name__ == "SaltInvocationError"


@pytest.mark.parametrize("test_mode", [False, True], ids=["real", "test"])
def test_states_report_a_service_that_is_down(down, test_mode):
    down.opts["test"] = test_mode
    try:
        rets = [
            down.states.openstack_network.present(name="baremetal"),
            down.states.openstack_network.subnet_absent(name="baremetal-v4"),
        ]
    finally:
        down.opts["test"] = False
    for ret in rets:
        assert ret.result is False and ret.changes == {}
        assert ret.comment.startswith("Could not read "), ret.comment
