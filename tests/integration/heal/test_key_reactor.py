"""
The key policy on salt/auth, with real minion processes authenticating: an allowed id with
the recorded fingerprint is accepted by the reactor, an unknown id stays pending and a known id
with another key is deleted, both with salt/stacksalt/keys/alert; an impostor that claims an
allowed id first cannot lock the real host out.
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

    def start(minion_id, rejected_retry=False, name=None):
        root = tmp_path / (name or minion_id)
        root.mkdir()
        minion = PendingMinion(root, minion_id, reactor_master, rejected_retry=rejected_retry)
        fingerprint = minion.make_key()
        minion.start()
        started.append(minion)
        return minion, fingerprint

    try:
        yield start
    finally:
        for minion in started:  # every process first: a failing key delete must not leave one
            minion.stop()
        for minion in started:
            reactor_master.salt_key_cli().run("--yes", "--delete", minion.id)


def wait_for_ping(master, minion, timeout=120):
    # the first answer can take a while on a loaded machine: the minion re-authenticates, then
    # loads its modules
    deadline = time.monotonic() + timeout
    while True:
        ret = master.salt_cli(timeout=45).run("test.ping", minion_tgt=minion.id)
        if ret.returncode == 0 and ret.data is True:
            return
        log = minion.root / "minion.log"
        assert time.monotonic() < deadline, (ret, log.read_text()[-3000:] if log.exists() else "no log")
        time.sleep(2)


def wait_for_alerts(event_listener, master, after_time, ids, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        by_id = {
            e.data["id"]: e.data
            for e in event_listener.get_events([(master.id, ALERT)], after_time=after_time)
        }
        if ids <= set(by_id) or time.monotonic() > deadline:
            assert ids <= set(by_id), by_id
            return by_id
        time.sleep(1)


def test_allowed_id_with_its_fingerprint_is_accepted_others_are_refused(
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
    # wait_for_events counts a pattern once however often it is listed, so it would return at
    # the first alert: wait for both ids instead
    by_id = wait_for_alerts(event_listener, reactor_master, start, {"newhost2", "stranger1"})
    assert by_id["stranger1"]["reason"].startswith("id not on the allow-list")
    assert by_id["newhost2"]["reason"] == "fingerprint differs from the recorded one: key deleted"
    assert by_id["newhost2"]["state"] == "deleted"
    assert by_id["stranger1"]["fingerprint"] == stranger_finger
    # the accepted minion answers; the others never get in
    wait_for_ping(reactor_master, good)
    time.sleep(3)
    keys = key_lists(reactor_master)
    assert "newhost1" in keys["minions"]
    assert "stranger1" in keys["minions_pre"], keys
    assert not {"newhost2", "stranger1"} & set(keys["minions"])
    # one alert per id and key, although they keep retrying every second
    assert len([e for e in event_listener.get_events([(reactor_master.id, ALERT)], after_time=start)]) == 2


def test_an_impostor_under_an_allowed_id_cannot_lock_the_real_host_out(
    reactor_master, allowed_file, pending_minions, event_listener
):
    # The real host's accepted key is gone (a re-install, say) and an impostor claims its id
    # first, with its own key, and keeps retrying.
    start = time.time()
    impostor, impostor_finger = pending_minions("reinstalled1", name="impostor")
    real_root = impostor.root.parent / "real"
    real_root.mkdir()
    # its key is made (and recorded) before it starts, as the bootstrap flow does
    real = PendingMinion(real_root, "reinstalled1", reactor_master, rejected_retry=True)
    real_finger = real.make_key()
    allowed_file.write_text(yaml.safe_dump({"reinstalled1": real_finger}))
    deleted = event_listener.wait_for_events([(reactor_master.id, ALERT)], after_time=start, timeout=90)
    assert deleted.found_all_events, "the impostor's key raised no alert"
    assert [e.data["fingerprint"] for e in deleted.matches] == [impostor_finger]
    # the real host starts while the impostor keeps claiming the id
    real.start()
    try:
        accepted = event_listener.wait_for_events(
            [(reactor_master.id, ACCEPTED)], after_time=start, timeout=120
        )
        assert accepted.found_all_events, "the real host's key was never accepted"
        assert [e.data["fingerprint"] for e in accepted.matches] == [real_finger]
        wait_for_ping(reactor_master, real)
        ret = reactor_master.salt_key_cli().run("--finger", "reinstalled1")
        assert ret.returncode == 0, ret
        assert ret.data["minions"]["reinstalled1"] == real_finger, ret.data
        # the impostor keeps trying and stays out; the real host keeps answering
        time.sleep(5)
        assert "reinstalled1" not in key_lists(reactor_master).get("minions_pre", [])
        wait_for_ping(reactor_master, real, timeout=30)
    finally:
        real.stop()
