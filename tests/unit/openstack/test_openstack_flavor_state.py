"""
openstack_flavor.present when Nova's flavor must be recreated (an immutable field changed,
``recreate: true``) on a mocked execution module, in both modes (`testmode`): the delete
succeeds and the create fails, so the flavor is gone and the return must say so.
"""

from unittest.mock import MagicMock

import pytest
from salt.exceptions import CommandExecutionError

pytestmark = pytest.mark.unit

LIVE = {"id": "flavor-1", "name": "baremetal", "vcpus": 8, "ram": 16384, "disk": 100, "description": None}
CHANGES = {"vcpus": {"old": 8, "new": 16}}
CREATE_FAILED = "creating flavor 'baremetal' failed: HTTP 500: Internal Server Error"


@pytest.fixture
def execution():
    """Nova answers: the live flavor until it is deleted, none after; the create fails."""
    flavors = {"baremetal": dict(LIVE)}

    def delete(name, cloud=None):
        return flavors.pop(name, None) is not None

    return {
        "openstack_flavor.validate": MagicMock(return_value=[]),
        "openstack_flavor.resolve_projects": MagicMock(return_value=[]),
        "openstack_flavor.get": MagicMock(side_effect=lambda name, cloud=None: flavors.get(name)),
        "openstack_flavor.plan": MagicMock(
            return_value={
                "action": "recreate",
                "changes": CHANGES,
                "set_specs": {},
                "unset_specs": [],
                "add_projects": [],
                "remove_projects": [],
                "description": None,
            }
        ),
        "openstack_flavor.delete": MagicMock(side_effect=delete),
        "openstack_flavor.create": MagicMock(side_effect=CommandExecutionError(CREATE_FAILED)),
    }


@pytest.fixture
def state(salt_loader, execution, testmode):
    return salt_loader.state("openstack_flavor", salt=execution, opts={"test": testmode})


def _present(state):
    return state.present("baremetal", vcpus=16, ram=16384, disk=100, recreate=True, cloud="admin")


def test_recreate_whose_create_fails_reports_the_flavor_missing(state, execution, testmode):
    ret = _present(state)
    if testmode:
        assert ret == {
            "name": "baremetal",
            "result": None,
            "changes": CHANGES,
            "comment": "Flavor 'baremetal' would be deleted and created again",
        }
        execution["openstack_flavor.delete"].assert_not_called()
        execution["openstack_flavor.create"].assert_not_called()
        return
    assert ret == {
        "name": "baremetal",
        "result": False,
        "changes": {"deleted": {"id": "flavor-1"}},
        "comment": (
            f"Flavor 'baremetal' could not be deleted and created again: {CREATE_FAILED}"
            " (the old flavor is deleted: run the state again to create it)"
        ),
    }
    execution["openstack_flavor.delete"].assert_called_once_with("baremetal", cloud="admin")
    # the new flavor keeps the old id, so instances and scripts that name it still match
    assert execution["openstack_flavor.create"].call_args.kwargs["flavor_id"] == "flavor-1"


def test_recreate_whose_delete_fails_changes_nothing(state, execution, testmode):
    execution["openstack_flavor.delete"].side_effect = CommandExecutionError(
        "deleting flavor 'baremetal' failed"
    )
    ret = _present(state)
    if testmode:
        assert ret["result"] is None and ret["changes"] == CHANGES, ret
        return
    assert ret == {
        "name": "baremetal",
        "result": False,
        "changes": {},
        "comment": "Flavor 'baremetal' could not be deleted and created again: deleting flavor 'baremetal' failed",
    }
    execution["openstack_flavor.create"].assert_not_called()


def test_recreate_reports_the_delete_when_nova_stops_answering(salt_loader, execution):
    state = salt_loader.state("openstack_flavor", salt=execution)
    get = execution["openstack_flavor.get"].side_effect
    calls = []

    def flaky_get(name, cloud=None):
        calls.append(name)
        if len(calls) > 1:
            raise CommandExecutionError("reading flavor 'baremetal' failed: connection refused")
        return get(name, cloud)

    execution["openstack_flavor.get"].side_effect = flaky_get
    ret = _present(state)
    assert ret["result"] is False
    assert "deleted" in ret["comment"], ret
