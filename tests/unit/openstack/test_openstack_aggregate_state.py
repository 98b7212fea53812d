"""
openstack_aggregate.present with a host that is registering in the same run (`await_hosts`):
test=True says the join cannot be known yet (result None, nothing called), a real run fails
with nothing changed (so the state's retry tries again); without await_hosts an unknown host is
an error in both modes. The module's own validate, select_hosts and plan; the API mocked.
"""

from unittest.mock import MagicMock

import pytest

pytestmark = pytest.mark.unit

HYPERVISORS = [{"name": "compute1", "host": "compute1"}]


@pytest.fixture
def execution(salt_loader):
    module = salt_loader.module("openstack_aggregate", salt={"config.get": MagicMock(return_value={})})
    return {
        "openstack_aggregate.validate": module.validate,
        "openstack_aggregate.select_hosts": module.select_hosts,
        "openstack_aggregate.plan": module.plan,
        "openstack_aggregate.hypervisors": MagicMock(return_value=list(HYPERVISORS)),
        "openstack_aggregate.get": MagicMock(
            return_value={"name": "baremetal-hosts", "availability_zone": None, "metadata": {}, "hosts": []}
        ),
        "openstack_aggregate.create": MagicMock(),
        "openstack_aggregate.update": MagicMock(),
    }


@pytest.fixture
def state(salt_loader, execution, testmode):
    return salt_loader.state("openstack_aggregate", salt=execution, opts={"test": testmode})


def _no_writes(execution):
    execution["openstack_aggregate.create"].assert_not_called()
    execution["openstack_aggregate.update"].assert_not_called()


def test_a_registering_host_is_awaited(state, execution, testmode):
    ret = state.present(
        "baremetal-hosts", hosts=["ironic1"], await_hosts=True, pillar_key="nova:compute:aggregates"
    )
    if testmode:
        assert ret["result"] is None, ret
        assert ret["comment"] == (
            "Aggregate 'baremetal-hosts': cannot be known before ironic1 registers (an earlier state "
            "of this run starts its nova-compute); it would then be joined"
        )
    else:
        assert ret["result"] is False, ret
        assert ret["comment"].startswith(
            "nova:compute:aggregates:hosts: no compute host named ironic1 (known: compute1); nothing was changed"
        )
        assert "awaited" in ret["comment"]
    assert ret["changes"] == {}
    _no_writes(execution)


def test_an_unknown_host_is_an_error_without_await(state, execution):
    ret = state.present("baremetal-hosts", hosts=["ironic1"])
    assert ret["result"] is False and "no compute host named ironic1" in ret["comment"], ret
    assert "awaited" not in ret["comment"]
    _no_writes(execution)


def test_a_registered_host_joins(state, execution, testmode):
    execution["openstack_aggregate.hypervisors"].return_value = [
        *HYPERVISORS,
        {"name": "n-1", "host": "ironic1"},
    ]
    ret = state.present("baremetal-hosts", hosts=["ironic1"], await_hosts=True)
    assert ret["result"] is (None if testmode else True), ret
    assert ret["changes"], ret
    if testmode:
        _no_writes(execution)
    else:
        kwargs = execution["openstack_aggregate.update"].call_args.kwargs
        assert kwargs["add_hosts"] == ["ironic1"] and kwargs["remove_hosts"] == []
