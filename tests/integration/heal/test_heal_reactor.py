"""
Beacon -> reactor -> runner -> state.apply of the owning component, on real daemons: a
killed service comes back, every heal reports itself, flapping stops after max_heals with
an alert, and healing resumes after `stacksalt_heal.reset`.
"""

import json
import time

import pytest

from .conftest import HEAL_MINION, HEAL_SETTINGS

pytestmark = pytest.mark.integration

RESULT = "salt/stacksalt/heal/result"
GAVE_UP = "salt/stacksalt/heal/gave_up"
# beacon interval 5 s + reactor + a state run: well under this on an idle machine
HEAL_TIMEOUT = 40


def wait_event(event_listener, master, tag, after, timeout):
    events = event_listener.wait_for_events([(master.id, tag)], after_time=after, timeout=timeout)
    assert events.found_all_events, f"no {tag} event within {timeout} s"
    return [e.data for e in events.matches]


def test_beacons_come_from_the_pillar(heal_beacons):
    services = heal_beacons["stacksalt_heal_services"]
    assert {"beacon_module": "service"} in services
    assert {"disable_during_state_run": True} in services
    watched = next(item["services"] for item in services if "services" in item)
    assert watched == {"stacksalt-canary": {"is_running_state": False}}
    files = heal_beacons["stacksalt_heal_files"]
    dirs = next(item["files"] for item in files if "files" in item)
    assert list(dirs) == ["/etc/salt/minion.d"], "one inotify watch per directory of managed files"
    assert {"disable_during_state_run": True} in files


def test_killed_service_is_restarted_by_its_component(reactor_master, reactor_cli, canary, event_listener):
    reactor_master.salt_run_cli().run("stacksalt_heal.reset", HEAL_MINION)
    start = time.time()
    killed = canary.kill()
    pid = canary.wait_running(other_than=killed, timeout=HEAL_TIMEOUT)
    latency = time.time() - start
    assert pid, f"stacksalt-canary not restarted within {HEAL_TIMEOUT} s"
    (result, *more) = wait_event(event_listener, reactor_master, RESULT, start, 15)
    assert more == [], "one break, one heal"
    assert result["minion"] == HEAL_MINION and result["name"] == "stacksalt-canary"
    assert result["component"] == "salt.minion.canary"
    assert result["broken"] == "service stacksalt-canary is not running"
    assert result["done"] == f"state.apply salt.minion.canary queue=True on {HEAL_MINION}"
    assert result["result"] is True and result["failed"] == [], json.dumps(result)
    assert result["changed"] == ["salt-minion-canary-service-running"], result
    assert result["jid"], result
    print(f"heal latency (factories, beacon interval 5 s): {latency:.1f} s")


def test_undeclared_service_is_not_healed(reactor_master):
    # a beacon event naming a service the minion's pillar does not declare
    ret = reactor_master.salt_run_cli().run(
        "stacksalt_heal.react",
        f"tag=salt/beacon/{HEAL_MINION}/stacksalt_heal_services/sshd",
        'data={"service_name": "sshd", "sshd": {"running": false}}',
    )
    assert ret.returncode == 0, ret
    assert ret.data["verdict"] == "ignored", ret.data
    assert "not declared" in ret.data["reason"]


def test_flapping_service_is_given_up_with_an_alert(reactor_master, reactor_cli, canary, event_listener):
    run = reactor_master.salt_run_cli()
    run.run("stacksalt_heal.reset", HEAL_MINION)
    start = time.time()
    pid = canary.pid()
    for _ in range(HEAL_SETTINGS["max_heals"]):
        pid = canary.wait_running(other_than=canary.kill(), timeout=HEAL_TIMEOUT)
        assert pid, "a heal within the flap limit did not happen"
    canary.kill()
    (alert,) = wait_event(event_listener, reactor_master, GAVE_UP, start, HEAL_TIMEOUT)
    assert alert["minion"] == HEAL_MINION and alert["name"] == "stacksalt-canary"
    assert alert["heals"] == HEAL_SETTINGS["max_heals"]
    assert "stacksalt_heal.reset" in alert["done"]
    # given up: two more beacon intervals and it stays down, and no further alert
    time.sleep(12)
    assert canary.pid() is None, "healing went on after giving up"
    status = run.run("stacksalt_heal.status", HEAL_MINION).data
    entry = status[f"{HEAL_MINION}|service|stacksalt-canary"]
    assert entry["gave_up"] is not None and len(entry["heals"]) == HEAL_SETTINGS["max_heals"]
    events = event_listener.get_events([(reactor_master.id, GAVE_UP)], after_time=start)
    assert len(events) == 1, "the alert is fired once, not at every beacon interval"
    # the operator clears it: healing resumes
    run.run("stacksalt_heal.reset", HEAL_MINION, "stacksalt-canary")
    assert canary.wait_running(other_than=None, timeout=HEAL_TIMEOUT), "no heal after reset"
