"""Pure logic of the heal and key runners: event parsing, owner lookup, the flap guard, the policy."""

import pathlib

import pytest

from tests.support.loader import load

REPO = pathlib.Path(__file__).resolve().parents[3]


heal = load("runners", "stacksalt_heal")
keys = load("runners", "stacksalt_keys")
SETTINGS = {"max_heals": 2, "window": 100, "hold": 50, "timeout": 30}
FINGER = ":".join(["ab"] * 32)


def test_service_down_event_is_parsed():
    tag = "salt/beacon/ironic1/stacksalt_heal_services/ironic-conductor"
    data = {"service_name": "ironic-conductor", "ironic-conductor": {"running": False}, "id": "ironic1"}
    assert heal.parse_event(tag, data) == ("ironic1", "service", "ironic-conductor")


@pytest.mark.parametrize(
    "tag, data",
    [
        ("salt/beacon/ironic1/stacksalt_heal_services/x", {"service_name": "x", "x": {"running": True}}),
        ("salt/beacon/ironic1/service/x", {"service_name": "x", "x": {"running": False}}),
        ("salt/beacon/*/stacksalt_heal_services/x", {"service_name": "x", "x": {"running": False}}),
        ("salt/beacon/ironic1/stacksalt_heal_files//etc", {"path": "relative/path"}),
        ("salt/job/1/ret/ironic1", {}),
    ],
)
def test_events_reporting_nothing_broken_are_ignored(tag, data):
    assert heal.parse_event(tag, data) is None


def test_file_event_names_the_changed_file():
    tag = "salt/beacon/master/stacksalt_heal_files//etc/salt/master.d"
    data = {"path": "/etc/salt/master.d/10-stacksalt.conf", "change": "IN_MODIFY"}
    assert heal.parse_event(tag, data) == ("master", "file", "/etc/salt/master.d/10-stacksalt.conf")


def test_owner_comes_only_from_the_declared_pillar():
    pillar = {
        "services": {"ironic-conductor": {"sls": "ironic.service"}},
        "files": {"/etc/a": {"sls": "a.config"}},
    }
    assert heal.owner(pillar, "service", "ironic-conductor") == "ironic.service"
    assert heal.owner(pillar, "file", "/etc/a") == "a.config"
    assert heal.owner(pillar, "service", "sshd") is None
    assert heal.owner(pillar, "file", "/etc/a.swp") is None
    assert heal.owner({}, "service", "ironic-conductor") is None


def test_flap_guard_heals_until_the_limit_then_gives_up_once_and_holds():
    entry = {}
    for now in (0, 10):
        verdict, entry = heal.decide(entry, now, SETTINGS)
        assert verdict == "heal"
        entry = heal.finish(entry, now + 1)
    verdict, entry = heal.decide(entry, 20, SETTINGS)
    assert verdict == "give_up" and entry["gave_up"] == 20
    assert heal.decide(entry, 30, SETTINGS)[0] == "held"
    # after the hold, healing starts over with an empty history
    verdict, entry = heal.decide(entry, 71, SETTINGS)
    assert verdict == "heal" and entry["heals"] == []


def test_heals_outside_the_window_do_not_count():
    entry = {"heals": [0, 10]}
    verdict, entry = heal.decide(entry, 105, SETTINGS)
    assert verdict == "heal" and entry["heals"] == [10]


def test_a_running_heal_makes_further_breaks_busy_until_its_timeout():
    verdict, entry = heal.decide({}, 0, SETTINGS)
    assert verdict == "heal"
    assert heal.decide(entry, 5, SETTINGS)[0] == "busy"
    assert heal.decide(entry, 31, SETTINGS)[0] == "heal", "a heal that never finished does not block forever"


def test_every_heal_counts_towards_the_limit_a_no_op_one_too():
    # a flood of events about a thing that is fine must run out of heals like a real flap
    _, entry = heal.decide({}, 0, SETTINGS)
    entry = heal.finish(entry, 1)
    assert entry == {"heals": [1], "in_flight": None, "gave_up": None}


@pytest.mark.parametrize(
    ("kind", "answer", "expected"),
    [
        ("service", False, True),
        ("service", True, False),
        ("service", None, False),
        ("service", "ERROR: no such unit", False),
        ("file", {"file_|-a_|-/etc/a_|-managed": {"result": None, "changes": {"diff": "x"}}}, True),
        ("file", {"file_|-a_|-/etc/a_|-managed": {"result": True, "changes": {}}}, False),
        ("file", None, False),
        ("file", ["Rendering SLS failed"], False),
    ],
)
def test_only_the_named_minions_own_answer_confirms_a_break(kind, answer, expected):
    assert heal.confirmed(kind, answer) is expected


def test_summary_lists_state_ids_without_values():
    states = {
        "file_|-a_|-/etc/a_|-managed": {
            "__id__": "a-managed",
            "result": True,
            "changes": {"diff": "password=x"},
        },
        "service_|-b_|-b_|-running": {
            "__id__": "b-running",
            "result": False,
            "changes": {},
            "comment": "boom",
        },
        "pkg_|-c_|-c_|-installed": {"__id__": "c", "result": True, "changes": {}},
    }
    assert heal.summarize(states) == (["a-managed"], ["b-running"])
    assert "password" not in repr(heal.summarize(states))


def test_summary_of_a_rendering_error_is_a_failure():
    changed, failed = heal.summarize(["Rendering SLS 'base:x' failed"])
    assert changed == [] and failed and "Rendering SLS" in failed[0]


@pytest.mark.parametrize(
    "minion_id, fingerprint, allowed, verdict, reason",
    [
        ("ironic1", FINGER, {"ironic1": FINGER}, "accept", "id allowed"),
        ("ironic1", FINGER, {"ironic1": ":".join(["cd"] * 32)}, "pending", "fingerprint differs"),
        ("stranger", FINGER, {"ironic1": FINGER}, "pending", "not on the allow-list"),
        ("web*", FINGER, {"web*": FINGER}, "pending", "not a plain minion id"),
        ("ironic1", FINGER, {"ironic1": "AB:CD"}, "pending", "not a salt-key sha256"),
    ],
)
def test_key_policy(minion_id, fingerprint, allowed, verdict, reason):
    got, why = keys.decide(minion_id, fingerprint, allowed)
    assert got == verdict and reason in why
