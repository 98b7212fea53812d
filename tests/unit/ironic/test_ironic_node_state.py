"""
ironic_node.enrolled with prune, on a mocked execution module, in both modes (`testmode`):
the exact return (result, changes, comment) of a real run and of test=True.

The mocked ``ironic_node.delete`` behaves as the module's does: a node in use (``IN_USE``:
active, deploying...) is refused with a CommandExecutionError, any other is deleted.
"""

from unittest.mock import MagicMock

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.loader import load

pytestmark = pytest.mark.unit

MODULE = load("modules", "ironic_node")
IN_USE = MODULE.IN_USE
WANTED = [{"name": "node-1", "driver": "fake-hardware"}]
REFUSED = "node 'stale-active' is 'active': undeploy it (openstack baremetal node undeploy) first"


def _node(name, provision_state):
    return {"name": name, "uuid": f"uuid-{name}", "provision_state": provision_state, "ports": []}


def _delete(name, cloud=None):
    # ironic_node.delete: a node in use is refused, any other deleted (True).
    if LIVE[name]["provision_state"] in IN_USE:
        raise CommandExecutionError(
            f"node '{name}' is '{LIVE[name]['provision_state']}': undeploy it (openstack baremetal node undeploy) first"
        )
    return True


LIVE = {
    "node-1": _node("node-1", "available"),
    "stale-active": _node("stale-active", "active"),
    "stale-manageable": _node("stale-manageable", "manageable"),
}


@pytest.fixture
def execution():
    """The ironic_node execution functions the state calls, as mocks (node-1 needs nothing)."""
    return {
        "ironic_node.validate_many": MagicMock(return_value=[]),
        "ironic_node.check_supported": MagicMock(return_value=[]),
        "ironic_node.inventory": MagicMock(return_value=dict(LIVE)),
        "ironic_node.plan": MagicMock(
            side_effect=lambda spec, live, images=None: {
                "name": spec["name"],
                "action": "none",
                "provision": [],
                "changes": {},
            }
        ),
        "ironic_node.apply": MagicMock(
            return_value={
                "nodes": {},
                "summary": {"created": 0, "updated": 0, "total": 0, "seconds": 0.5},
            }
        ),
        "ironic_node.delete": MagicMock(side_effect=_delete),
        # pure: the module's own rule, as the state's test=True plan asks it
        "ironic_node.refusal": MODULE.refusal,
    }


@pytest.fixture
def state(salt_loader, execution, testmode):
    return salt_loader.state("ironic_node", salt=execution, opts={"test": testmode})


def test_prune_deletes_unlisted_nodes_and_refuses_those_in_use(state, execution, testmode):
    ret = state.enrolled("ironic-nodes", nodes=WANTED, prune=True, cloud="off")
    if testmode:
        assert ret == {
            "name": "ironic-nodes",
            "result": False,
            "changes": {"deleted": ["stale-manageable"]},
            "comment": "0 node(s) would be created, 0 updated, 1 deleted, 1 unchanged; "
            f"the run would refuse to delete:\n  - {REFUSED}",
        }
        execution["ironic_node.apply"].assert_not_called()
        execution["ironic_node.delete"].assert_not_called()
        return
    assert ret == {
        "name": "ironic-nodes",
        "result": False,
        "changes": {
            "deleted": ["stale-manageable"],
            "failed": {"stale-active": REFUSED},
            "summary": {
                "created": 0,
                "updated": 0,
                "total": 1,
                "seconds": 0.5,
                "unchanged": 1,
                "deleted": 1,
                "failed": 1,
            },
        },
        "comment": f"0 created, 0 updated, 1 unchanged, 1 deleted, 1 failed in 0.5 s\n  - stale-active: {REFUSED}",
    }
    assert [c.args for c in execution["ironic_node.delete"].call_args_list] == [
        ("stale-active",),
        ("stale-manageable",),
    ]


def test_prune_off_leaves_unlisted_nodes_alone(state, execution):
    ret = state.enrolled("ironic-nodes", nodes=WANTED, cloud="off")
    assert ret == {
        "name": "ironic-nodes",
        "result": True,
        "changes": {},
        "comment": "All 1 nodes are in the desired state",
    }
    execution["ironic_node.delete"].assert_not_called()


def test_prune_with_nothing_stale_is_in_the_desired_state(state, execution):
    execution["ironic_node.inventory"].return_value = {"node-1": LIVE["node-1"]}
    ret = state.enrolled("ironic-nodes", nodes=WANTED, prune=True, cloud="off")
    assert ret["result"] is True and ret["changes"] == {}, ret
    execution["ironic_node.delete"].assert_not_called()


def test_test_mode_plans_only_the_deletes_the_run_makes(salt_loader, execution):
    """test=True must tell the operator what the run will do: an in-use node is not deleted."""
    planned = salt_loader.state("ironic_node", salt=execution, opts={"test": True})
    done = salt_loader.state("ironic_node", salt=execution, opts={"test": False})
    plan = planned.enrolled("ironic-nodes", nodes=WANTED, prune=True, cloud="off")
    run = done.enrolled("ironic-nodes", nodes=WANTED, prune=True, cloud="off")
    assert plan["changes"]["deleted"] == run["changes"]["deleted"] == ["stale-manageable"]
    assert "stale-active" in plan["comment"], plan["comment"]


WITH_IMAGES = [{"name": "node-1", "driver": "fake-hardware", "deploy_kernel": "deploy-kernel"}]


def test_awaited_deploy_images_change_nothing_until_glance_has_them(state, execution, testmode):
    # the cloud-admin host uploads deploy-kernel in this very run: not there yet
    execution["ironic_node.resolve_images"] = MagicMock(return_value={})
    ret = state.enrolled("ironic-nodes", nodes=WITH_IMAGES, cloud="off", await_images=True)
    execution["ironic_node.resolve_images"].assert_called_once_with(
        ["deploy-kernel"], cloud="off", missing_ok=True
    )
    assert ret["changes"] == {}
    if testmode:
        assert ret["result"] is None
        assert ret["comment"] == (
            "1 nodes: cannot be known before the deploy images deploy-kernel are in Glance "
            "(another host uploads them in this run); they would then be enrolled"
        )
    else:
        assert ret["result"] is False
        assert (
            ret["comment"]
            == "The deploy images deploy-kernel are not in Glance yet, nothing was changed (awaited)"
        )
    execution["ironic_node.inventory"].assert_not_called()
    execution["ironic_node.apply"].assert_not_called()


def test_a_missing_deploy_image_not_awaited_fails_naming_it(state, execution, testmode):
    execution["ironic_node.resolve_images"] = MagicMock(
        side_effect=CommandExecutionError("deploy image 'deploy-kernel' was not found in Glance")
    )
    ret = state.enrolled("ironic-nodes", nodes=WITH_IMAGES, cloud="off")
    assert (ret["result"], ret["changes"]) == (False, {})
    assert ret["comment"] == (
        "Could not resolve the nodes' deploy images, nothing was changed: "
        "deploy image 'deploy-kernel' was not found in Glance"
    )
    execution["ironic_node.apply"].assert_not_called()
