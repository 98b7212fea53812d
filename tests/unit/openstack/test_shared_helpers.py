"""
The helpers of _utils/stacksalt_openstack.py that the modules' validation and planning and the
states' last steps share (one copy each: the modules and states call them through __utils__).
"""

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.loader import load, util

pytestmark = pytest.mark.unit

utils = util("stacksalt_openstack")


@pytest.mark.parametrize(
    ("value", "kind", "error"),
    [
        (True, ("true", "false"), None),
        ("dedicatd", ("shared", "dedicated"), "must be one of shared, dedicated, got 'dedicatd'"),
        (0, "int", "must be a positive integer, got '0'"),
        (0, "int0", None),
        (True, "int", "must be a positive integer, got 'true'"),
        ("maybe", "bool", "must be true or false, got 'maybe'"),
        ("0-3,^2,5", "cpuset", None),
        ("0-", "cpuset", "must be a CPU list such as '0-3,^2,5', got '0-'"),
        ("2MB", "pagesize", None),
        ("huge", "pagesize", "must be small, large, any or a size such as 2MB or 1GB, got 'huge'"),
        ("anything", "str", None),
    ],
)
def test_value_error_is_the_one_value_rule(value, kind, error):
    assert utils.value_error(value, kind) == error


def test_the_modules_use_the_shared_value_rule_with_their_own_hints():
    # The image module reports the shared message as it is; the flavor module adds the choice
    # a misspelt value was meant to be.
    image = load("modules", "openstack_image")
    flavor = load("modules", "openstack_flavor")
    assert image.validate({"os_type": "win"}) == [
        "properties:os_type: must be one of linux, windows, got 'win'"
    ]
    assert flavor.validate_extra_specs({"hw:cpu_policy": "dedicatd"}) == [
        "extra_specs:hw:cpu_policy: must be one of shared, dedicated, mixed, got 'dedicatd' "
        "(did you mean 'dedicated'?)"
    ]


def test_text_count_hint_item_and_pointer():
    assert [utils.as_text(v) for v in (True, False, 2, "x")] == ["true", "false", "2", "x"]
    assert [utils.is_count(v) for v in (0, "12", True, "-1", "1.5")] == [True, True, False, False, False]
    assert utils.did_you_mean("hw:numa_node", ["hw:numa_nodes", "hw:cpu_policy"]) == (
        " (did you mean 'hw:numa_nodes'?)"
    )
    assert utils.did_you_mean("zzz", ["hw:numa_nodes"]) == ""
    assert utils.plan_item() == {
        "action": "none",
        "changes": {},
        "comment": "",
        "create": None,
        "update": None,
    }
    assert utils.plan_item("create", {"created": {}}, create={"a": 1})["create"] == {"a": 1}
    assert utils.json_pointer("properties", "vendor/model~x") == "/properties/vendor~1model~0x"
    assert utils.json_pointer("extra", "stacksalt_secrets") == "/extra/stacksalt_secrets"


def test_invalid_lists_every_problem():
    ret = utils.invalid(
        {"name": "n", "result": False, "changes": {}, "comment": ""}, "flavor data", ["a", "b"]
    )
    assert ret["comment"] == "Invalid flavor data, nothing was changed:\n  - a\n  - b"
    assert ret["result"] is False


def _ret():
    return {"name": "m1", "result": False, "changes": {}, "comment": ""}


def test_carry_out_in_test_mode_changes_nothing():
    calls = []
    ret = utils.carry_out(_ret(), "Flavor 'm1'", "deleted", {"deleted": {"id": "1"}}, calls.append, True)
    assert ret == {
        "name": "m1",
        "result": None,
        "changes": {"deleted": {"id": "1"}},
        "comment": "Flavor 'm1' would be deleted",
    }
    assert calls == []


def test_carry_out_runs_and_reports():
    calls = []
    ret = utils.carry_out(
        _ret(), "Service 's'", "created", {"x": 1}, lambda: calls.append(1), False, suffix=" (note)"
    )
    assert ret == {"name": "m1", "result": True, "changes": {"x": 1}, "comment": "Service 's' created (note)"}
    assert calls == [1]


@pytest.mark.parametrize("error", [CommandExecutionError, SaltInvocationError])
@pytest.mark.parametrize(("retry_hint", "tail"), [(False, ""), (True, " (run the state again to finish)")])
def test_carry_out_failure_is_the_comment(error, retry_hint, tail):
    def apply():
        raise error("HTTP 409: busy")

    ret = utils.carry_out(_ret(), "Aggregate 'a'", "updated", {"x": 1}, apply, False, retry_hint=retry_hint)
    assert ret == {
        "name": "m1",
        "result": False,
        "changes": {},
        "comment": f"Aggregate 'a' could not be updated: HTTP 409: busy{tail}",
    }


def test_carry_out_lets_a_bug_through():
    def apply():
        raise KeyError("bug")

    with pytest.raises(KeyError):
        utils.carry_out(_ret(), "Flavor 'm1'", "deleted", {}, apply, False)
