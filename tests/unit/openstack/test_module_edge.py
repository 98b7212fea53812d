"""
Errors are converted at the module edge: every public OpenStack function that talks to a
service turns an openstacksdk or keystoneauth error into a CommandExecutionError naming what
failed, and the states catch only Salt's errors. Loaded by Salt's own loader, pointed at a
loopback port that nothing listens on (a refused connection is a keystoneauth ConnectFailure,
the first error an operator meets when a service is down).
"""

import socket

import pytest
from salt.exceptions import CommandExecutionError
from saltfactories.utils.functional import Loaders

from tests.support.loaders import loader_opts

pytestmark = pytest.mark.unit


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def loaders(tmp_path_factory):
    url = f"http://127.0.0.1:{closed_port()}"
    cloud = {
        "auth_type": "none",
        "baremetal_endpoint_override": url,
        "compute_endpoint_override": url,
        "image_endpoint_override": url,
        "identity_endpoint_override": url,
        # one attempt: the refusal is the answer
        "connect_retries": 0,
    }
    opts = loader_opts(
        tmp_path_factory.mktemp("edge"),
        "edge",
        extra={"openstack": {"cloud": "down", "clouds": {"down": cloud}}},
    )
    return Loaders(opts)


# (function, arguments, what the error says failed: the edge's words, or the more precise ones
# of the step inside that failed first)
CALLS = [
    ("ironic_node.inventory", {}, "reading the nodes from Ironic"),
    ("ironic_node.delete", {"name": "node-7"}, "deleting node 'node-7'"),
    ("openstack_flavor.get", {"name": "m1.small"}, "listing Nova flavors"),
    ("openstack_flavor.delete", {"name": "m1.small"}, "listing Nova flavors"),
    ("openstack_aggregate.hypervisors", {}, "listing Nova hypervisors"),
    ("openstack_aggregate.delete", {"name": "virtual-hosts"}, "listing Nova host aggregates"),
    ("openstack_image.get", {"name": "cirros"}, "looking up image 'cirros' in Glance"),
    ("instance_backup.list", {"server": "vm1"}, "listing the backups of server 'vm1'"),
    ("glance_rbd_image.find", {"name": "cirros"}, "looking up the image in Glance"),
]


@pytest.mark.parametrize(("func", "kwargs", "what"), CALLS, ids=[c[0] for c in CALLS])
def test_a_client_error_becomes_a_command_error_naming_the_call(loaders, func, kwargs, what):
    with pytest.raises(CommandExecutionError) as info:
        loaders.modules[func](**kwargs)
    text = str(info.value)
    assert text.startswith(f"{what}: DiscoveryFailure: "), text
    assert "Traceback" not in text


# (state, arguments): each reads the service first and must report, not raise
STATES = [
    ("ironic_node.absent", {"name": "node-7"}),
    ("openstack_flavor.absent", {"name": "m1.small"}),
    ("openstack_aggregate.absent", {"name": "virtual-hosts"}),
    ("openstack_image.properties_absent", {"name": "cirros", "keys": ["recommended"]}),
]


@pytest.mark.parametrize(("state", "kwargs"), STATES, ids=[s[0] for s in STATES])
@pytest.mark.parametrize("test_mode", [False, True], ids=["real", "test"])
def test_a_state_reports_a_service_that_is_down(loaders, state, kwargs, test_mode):
    loaders.opts["test"] = test_mode
    try:
        ret = loaders.states[state](**kwargs)
    finally:
        loaders.opts["test"] = False
    assert ret["result"] is False
    assert ret["changes"] == {}
    assert "Could not read" in ret["comment"], ret["comment"]
    assert "Traceback" not in ret["comment"]


def test_every_module_shares_one_connection_per_cloud(loaders):
    """instance_backup (compute 2.45) and the flavor module (2.88) name their microversion per
    request: one connection, one token and one discovery per cloud for the whole process."""
    reset = loaders.utils["stacksalt_openstack.reset"]
    reset()
    for func, kwargs in (
        ("instance_backup.list", {"server": "vm1"}),
        ("openstack_flavor.get", {"name": "m1.small"}),
        ("openstack_aggregate.hypervisors", {}),
        ("ironic_node.inventory", {}),
        ("openstack_image.get", {"name": "cirros"}),
    ):
        with pytest.raises(CommandExecutionError):
            loaders.modules[func](**kwargs)
    # the util's own cache (a test may look where an operator cannot)
    assert len(reset.__globals__["_CONNECTIONS"]) == 1
