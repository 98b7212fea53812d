"""
The key policy on salt/auth, with real minion processes authenticating: an allowed id with
the recorded fingerprint is accepted by the reactor, an unknown id and a known id with
another key stay pending and raise salt/stacksalt/keys/alert.
"""

import json
import time

import pytest
import yaml

from .conftest import PendingMinion

pytestmark = pytest.mark.integration

ALERT = "salt/stacksalt/keys/alert"
ACCEPTED = "salt/stacksalt/keys/accepted"


def key_lists(master):
    ret = master.salt_key_cli().run("--list", "all")
    assert ret.returncode == 0, ret
    return ret.data if isinstance(ret.data, dict) else json.loads(ret.stdout)


@pytest.fixture
def pending_minions(tmp_path, reactor_master):
    started = []

    def start(minion_id, record=None):
        (tmp_path / minion_id).mkdir()
        minion = PendingMinion(tmp_path / minion_id, minion_id, reactor_master)
        fingerprint = minion.make_key()
        minion.start()
        started.append(minion)
        return minion, fingerprint

    yield start
    for minion in started:
        minion.stop()
        reactor_master.salt_key_cli().run("--yes", "--delete", minion.id)


def test_allowed_id_with_its_fingerprint_is_accepted_others_stay_pending(
    reactor_master, allowed_file, pending_minions, event_listener
):
    start = time.time()
    good, good_finger = pending_minions("newhost1")
    impostor, _ = pending_minions("newhost2")
    stranger, stranger_finger = pending_minions("stranger1")
    # newhost2 is allowed, but with the fingerprint of another key
    allowed_file.write_text(yaml.safe_dump({"newhost1": good_finger, "newhost2": stranger_finger}))
    accepted = event_listener.wait_for_events([(reactor_master.id, ACCEPTED)], after_time=start, timeout=60)
    assert accepted.found_all_events, "the reactor did not accept newhost1"
    assert [e.data["id"] for e in accepted.matches] == ["newhost1"]
    alerts = event_listener.wait_for_events(
        [(reactor_master.id, ALERT), (reactor_master.id, ALERT)], after_time=start, timeout=90
    )
    by_id = {
        e.data["id"]: e.data
        for e in event_listener.get_events([(reactor_master.id, ALERT)], after_time=start)
    }
    assert alerts.found_all_events and {"newhost2", "stranger1"} <= set(by_id), by_id
    assert by_id["stranger1"]["reason"].startswith("id not on the allow-list")
    assert by_id["newhost2"]["reason"] == "fingerprint differs from the recorded one"
    assert by_id["stranger1"]["fingerprint"] == stranger_finger
    # the accepted minion answers (its first answer can take a while on a loaded machine: it
    # re-authenticates, then loads its modules); the others never get in
    deadline = time.monotonic() + 120
    while True:
        ret = reactor_master.salt_cli(timeout=45).run("test.ping", minion_tgt="newhost1")
        if ret.returncode == 0 and ret.data is True:
            break
        log = good.root / "minion.log"
        assert time.monotonic() < deadline, (ret, log.read_text()[-3000:] if log.exists() else "no log")
        time.sleep(2)
    time.sleep(3)
    keys = key_lists(reactor_master)
    assert "newhost1" in keys["minions"]
    assert {"newhost2", "stranger1"} <= set(keys["minions_pre"]), keys
    assert not {"newhost2", "stranger1"} & set(keys["minions"])
    # one alert per id and key, although they keep retrying every second
    assert len([e for e in event_listener.get_events([(reactor_master.id, ALERT)], after_time=start)]) == 2
