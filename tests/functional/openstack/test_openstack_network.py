"""
openstack_network states against the session's real Neutron (ML2 with type_drivers flat and
flat_networks *, no agents): the flat provider network `baremetal` Ironic uses and its subnet
10.89.60.0/24 with a pool and no DHCP. First run changes, second run none; test=True exact on a
fresh and a converged cloud, also for a subnet whose network the same test run would create; in
place updates keep the ids; an immutable change is refused with nothing changed, and recreated
with recreate: true once no port uses the network; absent is idempotent; bad input names the
argument before any API call. Checked with openstacksdk and the real `openstack` CLI.
"""

import json
import os
import subprocess

import pytest
import yaml

from tests.functional.openstack.conftest import REPO

NET = "baremetal"
SUB = "baremetal-v4"
POOL = [{"start": "10.89.60.100", "end": "10.89.60.200"}]
SUBNET = {"network": NET, "cidr": "10.89.60.0/24", "gateway_ip": "none", "enable_dhcp": False}
SUBNET["allocation_pools"] = POOL
#: The networks these tests make (all removed before and after each test).
TEST_NETWORKS = (NET, "func-net-typo")

SLS = """
openstack-network-baremetal:
  openstack_network.present:
    - name: baremetal
    - provider_network_type: flat
    - provider_physical_network: baremetal
    - description: Ironic provisioning and cleaning

openstack-subnet-baremetal-v4:
  openstack_network.subnet_present:
    - name: baremetal-v4
    - network: baremetal
    - cidr: 10.89.60.0/24
    - gateway_ip: none
    - enable_dhcp: false
    - allocation_pools:
      - {start: 10.89.60.100, end: 10.89.60.200}
    - require:
      - openstack_network: openstack-network-baremetal
"""


def _network(conn, name=NET):
    return next(iter(conn.network.networks(name=name)), None)


def _subnet(conn, name=SUB):
    return next(iter(conn.network.subnets(name=name)), None)


def _remove_test_networks(conn):
    """Delete the test networks, the ports on them first (Neutron deletes the subnets with them)."""
    nets = [net for name in TEST_NETWORKS for net in conn.network.networks(name=name)]
    ports = [port for net in nets for port in conn.network.ports(network_id=net.id)]
    for port in ports:
        conn.network.delete_port(port)
    for net in nets:
        conn.network.delete_network(net)


@pytest.fixture(autouse=True)
def no_test_networks(compute_conn):
    """Every test starts and ends without the test networks (also against reused services)."""
    _remove_test_networks(compute_conn)
    yield
    _remove_test_networks(compute_conn)


@pytest.fixture
def openstack_cli(openstack_compute):
    """`openstack <args> -f json` with the real client and the session's clouds.yaml."""
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=openstack_compute["clouds_yaml"], OS_CLOUD="admin")

    def cli(*args):
        cmd = [str(REPO / ".venvs" / "openstack" / "bin" / "openstack"), *args, "-f", "json"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return cli


@pytest.fixture
def run_sls(modules):
    """Run SLS text as one state run (``state.high``: ``__running__`` as in a real state.apply)."""

    def run(text, test=False):
        high = {}
        for state_id, body in yaml.safe_load(text).items():
            ((function, args),) = body.items()
            module, fun = function.split(".")
            high[state_id] = {module: [fun, *args], "__env__": "base", "__sls__": "func_network"}
        return {r.state_id.split("_|-")[1]: r for r in modules.state.high(high, test=test)}

    return run


#: A cloud defined nowhere: the first API call of a state using it fails ("Could not read ...:
#: OpenStack cloud ... is not configured"), so an "Invalid ..." answer proves it made none.
NO_CLOUD = "func-net-no-such-cloud"


def test_the_baremetal_network_and_subnet_created_then_unchanged(states, compute_conn, openstack_cli):
    planned = states.openstack_network.present(name=NET, test=True)
    assert planned.result is None, planned.comment
    assert _network(compute_conn) is None
    ret = states.openstack_network.present(name=NET)
    assert ret.result is True, ret.comment
    assert (
        ret.changes
        == planned.changes
        == {
            "created": {
                "name": NET,
                "provider_network_type": "flat",
                "provider_physical_network": "baremetal",
                "shared": False,
                "external": False,
                "admin_state_up": True,
            }
        }
    )
    planned = states.openstack_network.subnet_present(name=SUB, test=True, **SUBNET)
    assert planned.result is None and _subnet(compute_conn) is None
    ret = states.openstack_network.subnet_present(name=SUB, **SUBNET)
    assert ret.result is True, ret.comment
    assert (
        ret.changes
        == planned.changes
        == {
            "created": {
                "name": SUB,
                "network": NET,
                "cidr": "10.89.60.0/24",
                "ip_version": 4,
                "gateway_ip": None,
                "enable_dhcp": False,
                "allocation_pools": ["10.89.60.100-10.89.60.200"],
                "dns_nameservers": [],
                "host_routes": [],
            }
        }
    )
    # what the real client reads back
    network = openstack_cli("network", "show", NET)
    assert network["provider:network_type"] == "flat"
    assert network["provider:physical_network"] == "baremetal"
    assert network["shared"] is False and network["router:external"] is False
    subnet = openstack_cli("subnet", "show", SUB)
    assert subnet["network_id"] == network["id"]
    assert subnet["cidr"] == "10.89.60.0/24" and subnet["gateway_ip"] is None
    assert subnet["enable_dhcp"] is False
    assert subnet["allocation_pools"] == POOL
    # second run and test=True on the converged cloud: nothing
    for test in (False, True):
        again = states.openstack_network.present(name=NET, test=test)
        assert again.result is True and again.changes == {}, again.changes
        again = states.openstack_network.subnet_present(name=SUB, test=test, **SUBNET)
        assert again.result is True and again.changes == {}, again.changes


def test_a_new_network_and_its_subnet_in_one_run(run_sls, compute_conn):
    planned = run_sls(SLS, test=True)
    assert planned["openstack-network-baremetal"].result is None
    sub = planned["openstack-subnet-baremetal-v4"]
    assert sub.result is None, sub.comment
    assert sub.comment == (
        "Subnet 'baremetal-v4' would be created (its network 'baremetal' would be created by an earlier "
        "state of this run)"
    )
    assert _network(compute_conn) is None and _subnet(compute_conn) is None
    done = run_sls(SLS)
    for state_id, ret in done.items():
        assert ret.result is True, ret.comment
        assert ret.changes == planned[state_id].changes
    assert _subnet(compute_conn).network_id == _network(compute_conn).id
    for ret in run_sls(SLS, test=True).values():
        assert ret.result is True and ret.changes == {}, ret.comment
    for ret in run_sls(SLS).values():
        assert ret.result is True and ret.changes == {}, ret.comment


def test_a_subnet_of_a_missing_network_is_a_clear_error(states, compute_conn):
    for test in (True, False):
        ret = states.openstack_network.subnet_present(name=SUB, test=test, **SUBNET)
        assert ret.result is False
        assert ret.comment.startswith(
            "openstack_network:subnet:baremetal-v4:network: network 'baremetal' does not exist: create it first"
        )
    assert _subnet(compute_conn) is None


def test_in_place_updates_keep_the_ids(states, compute_conn, openstack_cli):
    assert states.openstack_network.present(name=NET).result
    assert states.openstack_network.subnet_present(name=SUB, **SUBNET).result
    net_id, sub_id = _network(compute_conn).id, _subnet(compute_conn).id
    wanted = {"shared": True, "external": True, "admin_state_up": False, "mtu": 1400, "description": "Ironic"}
    planned = states.openstack_network.present(name=NET, test=True, **wanted)
    assert planned.result is None
    assert _network(compute_conn).mtu == 1500
    ret = states.openstack_network.present(name=NET, **wanted)
    assert ret.result is True, ret.comment
    assert (
        ret.changes
        == planned.changes
        == {
            "shared": {"old": False, "new": True},
            "external": {"old": False, "new": True},
            "admin_state_up": {"old": True, "new": False},
            "mtu": {"old": 1500, "new": 1400},
            "description": {"old": None, "new": "Ironic"},
        }
    )
    sub_wanted = dict(
        SUBNET,
        gateway_ip="10.89.60.1",
        allocation_pools=[
            {"start": "10.89.60.150", "end": "10.89.60.250"},
            {"start": "10.89.60.50", "end": "10.89.60.99"},
        ],
        dns_nameservers=["10.89.60.1", "10.0.0.53"],
        host_routes=[{"destination": "10.89.0.0/16", "nexthop": "10.89.60.254"}],
        description="provisioning",
    )
    planned = states.openstack_network.subnet_present(name=SUB, test=True, **sub_wanted)
    assert planned.result is None and _subnet(compute_conn).gateway_ip is None
    ret = states.openstack_network.subnet_present(name=SUB, **sub_wanted)
    assert ret.result is True, ret.comment
    assert (
        ret.changes
        == planned.changes
        == {
            "gateway_ip": {"old": None, "new": "10.89.60.1"},
            "allocation_pools": {
                "old": ["10.89.60.100-10.89.60.200"],
                "new": ["10.89.60.50-10.89.60.99", "10.89.60.150-10.89.60.250"],
            },
            "dns_nameservers": {"old": [], "new": ["10.89.60.1", "10.0.0.53"]},
            "host_routes": {"old": [], "new": ["10.89.0.0/16 via 10.89.60.254"]},
            "description": {"old": None, "new": "provisioning"},
        }
    )
    network = openstack_cli("network", "show", NET)
    assert network["id"] == net_id
    assert network["mtu"] == 1400 and network["shared"] is True and network["router:external"] is True
    assert network["admin_state_up"] is False and network["description"] == "Ironic"
    subnet = openstack_cli("subnet", "show", SUB)
    assert subnet["id"] == sub_id and subnet["gateway_ip"] == "10.89.60.1"
    assert subnet["dns_nameservers"] == ["10.89.60.1", "10.0.0.53"]
    assert subnet["host_routes"] == [{"destination": "10.89.0.0/16", "nexthop": "10.89.60.254"}]
    for test in (False, True):
        assert states.openstack_network.present(name=NET, test=test, **wanted).changes == {}
        assert states.openstack_network.subnet_present(name=SUB, test=test, **sub_wanted).changes == {}
    # and back: the gateway removed again, Neutron's default pool when none is listed
    back = dict(SUBNET, allocation_pools=None)
    ret = states.openstack_network.subnet_present(name=SUB, **back)
    assert ret.result is True, ret.comment
    assert ret.changes["allocation_pools"]["new"] == ["10.89.60.1-10.89.60.254"]
    assert _subnet(compute_conn).id == sub_id and _subnet(compute_conn).gateway_ip is None


def test_an_immutable_change_is_refused_then_recreated_without_ports(states, compute_conn, openstack_cli):
    assert states.openstack_network.present(name=NET, mtu=1400).result
    assert states.openstack_network.subnet_present(name=SUB, **SUBNET).result
    old = _network(compute_conn)
    moved = {"provider_physical_network": "provisioning", "mtu": 1400}
    for test in (True, False):
        ret = states.openstack_network.present(name=NET, test=test, **moved)
        assert ret.result is False and ret.changes == {}
        assert ret.comment.startswith(
            "Network 'baremetal' differs in provider_physical_network: baremetal -> provisioning, which Neutron "
            "cannot change in place: the network must be recreated"
        )
        assert ret.comment.endswith("nothing was changed")
    ret = states.openstack_network.subnet_present(
        name=SUB, **dict(SUBNET, cidr="10.89.61.0/24", allocation_pools=None)
    )
    assert ret.result is False and "cidr: 10.89.60.0/24 -> 10.89.61.0/24" in ret.comment
    assert openstack_cli("subnet", "show", SUB)["cidr"] == "10.89.60.0/24"
    # a port on it (unbound: this Neutron has no mechanism driver) blocks the recreate
    port = compute_conn.network.create_port(network_id=old.id, name="func-net-port")
    ret = states.openstack_network.present(name=NET, recreate=True, **moved)
    assert ret.result is False and ret.changes == {}
    assert f"but ports use it ({port.id}): delete them first" in ret.comment
    ret = states.openstack_network.absent(name=NET)
    assert ret.result is False and f"is in use by ports {port.id}" in ret.comment
    assert _network(compute_conn).id == old.id
    network = openstack_cli("network", "show", NET)
    assert network["provider:physical_network"] == "baremetal"
    compute_conn.network.delete_port(port)
    planned = states.openstack_network.present(name=NET, recreate=True, test=True, **moved)
    assert planned.result is None and _network(compute_conn).id == old.id
    ret = states.openstack_network.present(name=NET, recreate=True, **moved)
    assert ret.result is True, ret.comment
    assert (
        ret.changes
        == planned.changes
        == {
            "recreated": {"provider_physical_network": {"old": "baremetal", "new": "provisioning"}},
            "subnets": {"deleted": [SUB]},
        }
    )
    new = _network(compute_conn)
    assert new.id != old.id and new.provider_physical_network == "provisioning" and new.mtu == 1400
    assert _subnet(compute_conn) is None
    assert states.openstack_network.present(name=NET, recreate=True, **moved).changes == {}
    # the subnet state makes the subnet again; a cidr change with recreate: true replaces it
    assert "created" in states.openstack_network.subnet_present(name=SUB, **SUBNET).changes
    sub_id = _subnet(compute_conn).id
    v61 = dict(SUBNET, cidr="10.89.61.0/24", allocation_pools=None, recreate=True)
    planned = states.openstack_network.subnet_present(name=SUB, test=True, **v61)
    ret = states.openstack_network.subnet_present(name=SUB, **v61)
    assert ret.result is True and ret.changes == planned.changes
    assert ret.changes["recreated"] == {"cidr": {"old": "10.89.60.0/24", "new": "10.89.61.0/24"}}
    subnet = openstack_cli("subnet", "show", SUB)
    assert subnet["id"] != sub_id and subnet["cidr"] == "10.89.61.0/24"
    assert subnet["allocation_pools"] == [{"start": "10.89.61.1", "end": "10.89.61.254"}]


def test_absent_is_idempotent(states, compute_conn):
    assert states.openstack_network.present(name=NET).result
    assert states.openstack_network.subnet_present(name=SUB, **SUBNET).result
    net_id, sub_id = _network(compute_conn).id, _subnet(compute_conn).id
    planned = states.openstack_network.subnet_absent(name=SUB, network=NET, test=True)
    assert planned.result is None and _subnet(compute_conn) is not None
    ret = states.openstack_network.subnet_absent(name=SUB, network=NET)
    assert ret.result is True and ret.changes == planned.changes
    assert ret.changes == {"deleted": {"id": sub_id, "network": NET, "cidr": "10.89.60.0/24"}}
    assert _subnet(compute_conn) is None
    again = states.openstack_network.subnet_absent(name=SUB, network=NET)
    assert again.result is True and again.changes == {}
    # the network with a subnet again: absent deletes both
    assert states.openstack_network.subnet_present(name=SUB, **SUBNET).result
    planned = states.openstack_network.absent(name=NET, test=True)
    assert planned.result is None and _network(compute_conn) is not None
    ret = states.openstack_network.absent(name=NET)
    assert ret.result is True and ret.changes == planned.changes
    assert ret.changes == {"deleted": {"id": net_id, "subnets": [SUB]}}
    assert _network(compute_conn) is None and _subnet(compute_conn) is None
    for test in (False, True):
        assert states.openstack_network.absent(name=NET, test=test).changes == {}
        gone = states.openstack_network.subnet_absent(name=SUB, network=NET, test=test)
        assert gone.result is True and gone.comment.endswith("(network 'baremetal' does not exist)")


@pytest.mark.parametrize(
    ("kind", "args", "error"),
    [
        (
            "present",
            {"name": "func-net-typo", "provider_network_type": "flatt"},
            "openstack_network:func-net-typo:provider_network_type: unknown network type 'flatt'",
        ),
        (
            "subnet_present",
            {"cidr": "10.89.60.1/24"},
            "openstack_network:subnet:baremetal-v4:cidr: 10.89.60.1/24 has host bits set (the network is 10.89.60.0/24)",
        ),
        (
            "subnet_present",
            {"cidr": "10.89.60.0/24x"},
            "openstack_network:subnet:baremetal-v4:cidr: '10.89.60.0/24x' is not a network in CIDR notation",
        ),
        (
            "subnet_present",
            {"gateway_ip": "10.89.61.1"},
            "openstack_network:subnet:baremetal-v4:gateway_ip: 10.89.61.1 is outside cidr 10.89.60.0/24",
        ),
        (
            "subnet_present",
            {"allocation_pools": [{"start": "10.89.60.100", "end": "10.89.61.10"}]},
            "openstack_network:subnet:baremetal-v4:allocation_pools[0]: 10.89.60.100-10.89.61.10 is outside cidr",
        ),
        (
            "subnet_present",
            {"allocation_pools": [*POOL, {"start": "10.89.60.200", "end": "10.89.60.210"}]},
            "openstack_network:subnet:baremetal-v4:allocation_pools[1]: 10.89.60.200-10.89.60.210 overlaps "
            "allocation_pools[0] (10.89.60.100-10.89.60.200)",
        ),
    ],
)
def test_bad_input_names_the_argument_before_any_call(states, compute_conn, kind, args, error):
    if kind == "subnet_present":
        args = dict(SUBNET, name=SUB, **args)
    for test in (False, True):
        ret = getattr(states.openstack_network, kind)(cloud=NO_CLOUD, test=test, **args)
        assert ret.result is False and ret.changes == {}
        assert ret.comment.startswith("Invalid "), ret.comment
        assert f"  - {error}" in ret.comment, ret.comment
    assert _network(compute_conn, "func-net-typo") is None and _subnet(compute_conn) is None


def test_valid_input_on_an_unconfigured_cloud_fails_at_the_first_call(states):
    """The other half of the proof above: with valid data that cloud's first call fails."""
    ret = states.openstack_network.subnet_present(name=SUB, cloud=NO_CLOUD, **SUBNET)
    assert ret.result is False
    assert ret.comment.startswith(
        f"Could not read subnet 'baremetal-v4': OpenStack cloud '{NO_CLOUD}' is not configured"
    )
