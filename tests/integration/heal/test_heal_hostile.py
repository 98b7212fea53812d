"""
A compromised minion against self-healing, on real daemons. It sends beacon events in the form
beacons use (the ``events`` form of ``_minion_event``, whose tag and data are its own claim)
naming another minion's declared service: the master asks that minion itself, over its own
channel, gets "running", and runs no state there. A flood of such events is cut off by the flap
guard after max_heals checks, with no runner held for long.
"""

import time

import pytest

from tests.support import hostile

from .conftest import HEAL_MINION, HEAL_SETTINGS

pytestmark = pytest.mark.integration

UNCONFIRMED = "salt/stacksalt/heal/unconfirmed"
RESULT = "salt/stacksalt/heal/result"
GAVE_UP = "salt/stacksalt/heal/gave_up"
CONFIRM_TIMEOUT = 60  # salt:master:heal:confirm_timeout (the formula's default)


def forged_beacon_event(victim, service):
    tag = f"salt/beacon/{victim}/stacksalt_heal_services/{service}"
    data = {"id": victim, "service_name": service, service: {"running": False}}
    # preload: the raw events form, exactly what a minion's beacons send
    return hostile.attempt("event.fire_master", data, tag, preload={"events": [{"tag": tag, "data": data}]})


def send(minion, attempts):
    results = hostile.probe_here(minion.config_file, attempts)
    assert all(r.get("ret") is True for r in results), results
    return results


def state_runs_on(event_listener, master, minion, after):
    """state.* jobs published to `minion` since `after` (from the master's job events)."""
    jobs = event_listener.get_events([(master.id, "salt/job/*/new")], after_time=after)
    return [
        e.data
        for e in jobs
        if str(e.data.get("fun", "")).startswith("state.") and minion in (e.data.get("minions") or [])
    ]


@pytest.fixture
def clean_ledger(reactor_master):
    reactor_master.salt_run_cli().run("stacksalt_heal.reset", HEAL_MINION)
    yield
    reactor_master.salt_run_cli().run("stacksalt_heal.reset", HEAL_MINION)


def test_a_forged_beacon_event_runs_no_state_on_the_named_minion(
    reactor_master, attacker_minion, canary, event_listener, clean_ledger
):
    assert canary.pid(), "the canary must be running for this attack"
    start = time.time()
    send(attacker_minion, [forged_beacon_event(HEAL_MINION, "stacksalt-canary")])
    events = event_listener.wait_for_events([(reactor_master.id, UNCONFIRMED)], after_time=start, timeout=60)
    assert events.found_all_events, "the runner never decided on the forged event"
    (verdict,) = [e.data for e in events.matches]
    assert verdict["minion"] == HEAL_MINION and verdict["answer"] == "running", verdict
    time.sleep(2)
    assert not event_listener.get_events([(reactor_master.id, RESULT)], after_time=start)
    assert state_runs_on(event_listener, reactor_master, HEAL_MINION, start) == []
    # what the master did ask the named minion: service.status, nothing else
    asked = [
        e.data["fun"]
        for e in event_listener.get_events([(reactor_master.id, "salt/job/*/new")], after_time=start)
        if HEAL_MINION in (e.data.get("minions") or [])
    ]
    assert asked == ["service.status"], asked
    print(f"forged beacon event from {attacker_minion.id} naming {HEAL_MINION}: 1 tried, 0 state runs")


def test_a_flood_of_forged_events_is_cut_off_by_the_flap_guard(
    reactor_master, attacker_minion, canary, event_listener, clean_ledger
):
    flood = 30
    start = time.time()
    send(attacker_minion, [forged_beacon_event(HEAL_MINION, "stacksalt-canary") for _ in range(flood)])
    gave_up = event_listener.wait_for_events([(reactor_master.id, GAVE_UP)], after_time=start, timeout=120)
    assert gave_up.found_all_events, "the flood was never cut off"
    # every runner call of the flood has returned (none waits on a minion for long)
    deadline = time.monotonic() + 60
    while True:
        runs = event_listener.get_events([(reactor_master.id, "salt/run/*/ret")], after_time=start)
        flood_runs = [e for e in runs if e.data.get("fun") == "runner.stacksalt_heal.react"]
        if len(flood_runs) >= flood or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert len(flood_runs) == flood, f"{len(flood_runs)} of {flood} runner calls returned"
    verdicts = [e.data["return"]["verdict"] for e in flood_runs]
    checks = event_listener.get_events([(reactor_master.id, UNCONFIRMED)], after_time=start)
    assert len(checks) <= HEAL_SETTINGS["max_heals"], "more minion checks than the flap limit allows"
    assert verdicts.count("gave_up") == 1, verdicts
    assert set(verdicts) <= {"unconfirmed", "busy", "gave_up", "held"}, verdicts
    assert state_runs_on(event_listener, reactor_master, HEAL_MINION, start) == []
    # how long each runner call held its reactor worker (from its new and ret events)
    started = {
        e.data.get("jid"): e.stamp
        for e in event_listener.get_events([(reactor_master.id, "salt/run/*/new")], after_time=start)
    }
    held = sorted((e.stamp - started[e.data["jid"]]).total_seconds() for e in flood_runs)
    print(
        f"flood of {flood} forged events: {len(checks)} minion checks, verdicts "
        f"{ {v: verdicts.count(v) for v in sorted(set(verdicts))} }, "
        f"runner time per event: median {held[len(held) // 2]:.2f} s, max {held[-1]:.2f} s"
    )
    # no worker waits longer than one minion check can take (generous: a loaded CI machine)
    assert held[-1] < CONFIRM_TIMEOUT + 30, held
