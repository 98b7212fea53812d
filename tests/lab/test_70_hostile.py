"""
The hostile-minion tier: the converged lab attacked from compute1 (a Ceph client) and spare1 (a
minion with no role and no secrets), each with its own minion key, as a compromised host would.
Every attempt must come back empty or refused, and the refusal must be the right one (the
channel works: a served file, the host's own pillar, its own events do come through).

The attempts run in one Salt process on the attacker (tests/support/hostile_probe.py, piped to
the host's Python); the module prints `N tried, M got anything` per kind and in total.
"""

import json
import subprocess
import threading
import time

import pytest
import yaml

from tests.support import hostile

from .conftest import REPO
from .test_60_heal import EventWatch, sh, wait_for

pytestmark = pytest.mark.lab

ATTACKERS = ("compute1", "spare1")
PYTHON = "/opt/saltstack/salt/bin/python3"
TALLY = {}
FORGED_ADDRESS = "10.66.6.6"
OTHER_HOSTS_KEYS = (
    "ceph:keys:admin",
    "ceph:keys:mon",
    "ceph:keys:bootstrap_osd",
    "ceph:keys:clients:glance",
    "ceph:keys:clients:cinder",
    "ceph:keys:clients:image-import",
    "ironic:node_secrets",
    "ironic:keystone_password",
    "nova:keystone_password",
    "nova:messaging_password",
    "openstack:clouds",
    "openstack:user_passwords",
)


def probe(name, attempts):
    run = subprocess.run(
        ["podman", "exec", "-i", name, PYTHON, "-c", hostile.PROBE.read_text(), "/etc/salt/minion"],
        input=json.dumps(attempts), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, f"{name}: probe failed: {run.stderr[-3000:]}"
    results = json.loads(run.stdout)
    assert len(results) == len(attempts)
    return results


def tally(kind, tried, got):
    TALLY[kind] = (tried, list(got))
    print(f"hostile {kind}: {tried} tried, {len(got)} got anything {got if got else ''}")


def others_secrets(attacker):
    """Secret values of pillar/secrets/*.sls that are not the attacker's own (a value two hosts
    hold, such as the compute hosts' RabbitMQ password, is the attacker's own if it holds it)."""
    owners = hostile.secret_owners(REPO)
    return {v: s for v, s in hostile.secret_values(REPO).items() if attacker not in owners[v]}


def others_keys(attacker):
    """OTHER_HOSTS_KEYS less the ones the attacker's own secrets file sets (compute1 holds its
    nova-compute's passwords): for those, `pillar.get` rightly answers, and the value check of
    others_secrets still catches another host's value under the same key."""
    path = REPO / "pillar" / "secrets" / f"{attacker}.sls"
    own = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}

    def has(key):
        node = own
        for part in key.split(":"):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    return [key for key in OTHER_HOSTS_KEYS if not has(key)]


@pytest.mark.parametrize("attacker", ATTACKERS)
def test_the_fileserver_serves_only_the_formulas_and_no_secret(second_apply, attacker):
    listed, control, *refused = probe(
        attacker,
        [hostile.attempt("cp.list_master"), hostile.attempt("cp.get_file_str", "salt://top.sls")]
        + [a for _, a in hostile.fileserver_attempts()],
    )
    assert set(listed["ret"]) == hostile.served_files(REPO)
    assert "I@roles:" in control["ret"], control
    tried = hostile.fileserver_attempts()
    got = [what for (what, _), result in zip(tried, refused, strict=True) if hostile.got_something(result)]
    contents = probe(attacker, [hostile.attempt("cp.get_file_str", f"salt://{p}") for p in listed["ret"]])
    secrets = hostile.secret_values(REPO)
    for path, content in zip(listed["ret"], contents, strict=True):
        assert isinstance(content.get("ret"), str), (path, content)
        got += [f"salt://{path} holds a value of {s}" for s in hostile.leaks(content["ret"], secrets)]
    tally(f"fileserver from {attacker}", len(tried) + len(listed["ret"]), got)
    assert got == []


@pytest.mark.parametrize("attacker", ATTACKERS)
def test_no_way_to_another_hosts_pillar_mine_or_jobs(second_apply, attacker):
    secrets = others_secrets(attacker)
    forged_grains = {"id": "ceph1", "host": "ceph1", "roles": ["ceph-mon", "ironic", "salt-master"]}
    tried = [
        ("pillar.items", hostile.attempt("pillar.items", unmask=True)),
        *[
            (f"pillar.get {key}", hostile.attempt("pillar.get", key, unmask=True))
            for key in others_keys(attacker)
        ],
        *[
            (f"grains.setval {k}", hostile.attempt("grains.setval", k, v))
            for k, v in forged_grains.items()
            if k != "id"
        ],
        ("saltutil.refresh_pillar with forged grains", hostile.attempt("saltutil.refresh_pillar", wait=True)),
        ("pillar.items with forged grains", hostile.attempt("pillar.items", unmask=True)),
        (
            "pillar.items with forged grains and pillar override",
            hostile.attempt("pillar.items", unmask=True, pillar={"roles": ["ceph-mon"]}),
        ),
        (
            "_pillar request claiming the id ceph1",
            {
                "raw": {
                    "cmd": "_pillar",
                    "id": "ceph1",
                    "grains": forged_grains,
                    "saltenv": "base",
                    "ver": "2",
                }
            },
        ),
        ("mine.get * *", hostile.attempt("mine.get", "*", "*")),
        ("mine.get ceph1 *", hostile.attempt("mine.get", "ceph1", "*")),
        # the mine is shared by design: every host's addresses, and nothing else
        ("mine.get * stacksalt_address", hostile.attempt("mine.get", "*", "stacksalt_address")),
        (
            "_mine request claiming the id ironic1",
            {"raw": {"cmd": "_mine", "id": "ironic1", "data": {"stacksalt_address": [FORGED_ADDRESS]}}},
        ),
        ("mine.get ironic1 stacksalt_address", hostile.attempt("mine.get", "ironic1", "stacksalt_address")),
        (
            "publish.publish ceph1 cmd.run",
            hostile.attempt("publish.publish", "ceph1", "cmd.run", "cat /etc/ceph/ceph.client.admin.keyring"),
        ),
        ("publish.publish * pillar.items", hostile.attempt("publish.publish", "*", "pillar.items")),
        ("publish.runner jobs.list_jobs", hostile.attempt("publish.runner", "jobs.list_jobs")),
        ("publish.runner stacksalt_heal.reset", hostile.attempt("publish.runner", "stacksalt_heal.reset")),
        ("publish.runner saltutil.sync_all", hostile.attempt("publish.runner", "saltutil.sync_all")),
        *[(f"grains.delkey {k}", hostile.attempt("grains.delkey", k)) for k in forged_grains if k != "id"],
        ("saltutil.refresh_pillar (back)", hostile.attempt("saltutil.refresh_pillar", wait=True)),
    ]
    results = probe(attacker, [a for _, a in tried])
    by_what = dict(zip([w for w, _ in tried], results, strict=True))
    # the channel works: the attacker does get its own pillar
    own = by_what["pillar.items"]["ret"]
    assert own["roles"] and "salt-minion" in own["roles"], own
    got = []
    for what, result in by_what.items():
        text = json.dumps(result)
        if hostile.leaks(text, secrets):
            got.append(f"{what}: {hostile.leaks(text, secrets)}")
        elif what.startswith("pillar.get") and result.get("ret") not in ("", None, {}):
            got.append(f"{what}: {result}")
        elif what.startswith("mine.") and not only_addresses(result.get("ret")):
            got.append(f"{what}: {str(result)[:200]}")
        elif what.startswith("publish.") and hostile.got_something(result):
            got.append(f"{what}: {str(result)[:200]}")
    # the mine holds no secret at all (not even the attacker's own), and every host's addresses
    assert hostile.leaks(json.dumps(by_what["mine.get * *"]), hostile.secret_values(REPO)) == []
    addresses = by_what["mine.get * stacksalt_address"]["ret"]
    assert set(addresses) >= {"ironic1", "controller1", "ceph1"}, addresses
    # nobody publishes under another host's id: ironic1's entry is still its own address
    assert FORGED_ADDRESS not in json.dumps(by_what["mine.get ironic1 stacksalt_address"]), by_what
    # the forged-grains pillar is still this host's own: its roles, never ceph1's
    assert by_what["pillar.items with forged grains"]["ret"]["roles"] == own["roles"]
    countable = [w for w in by_what if not w.startswith(("grains.", "saltutil.refresh_pillar"))]
    tally(f"pillar/mine/publish from {attacker}", len(countable), got)
    assert got == []


def only_addresses(ret):
    """Mine data that is nothing but `stacksalt_address` lists of IPv4 addresses, by host."""
    if ret in (None, False, "", [], {}):
        return True
    if not isinstance(ret, dict):
        return False
    for value in ret.values():
        # mine.get * *: {host: {function: data}}; mine.get * stacksalt_address: {host: data}
        if isinstance(value, dict) and set(value) == {"stacksalt_address"}:
            value = value["stacksalt_address"]
        if not isinstance(value, list) or not all(isinstance(a, str) and a.count(".") == 3 for a in value):
            return False
    return True


def master_events(seconds):
    """Every event on the master's bus for `seconds` (started now)."""
    return EventWatch("*", -1, seconds)


def state_jobs_for(events, minion):
    return [
        d
        for tag, d in events
        if tag.startswith("salt/job/") and tag.endswith("/new") and str(d.get("fun", "")).startswith("state.")
        and minion in (d.get("minions") or [])
    ]  # fmt: skip


def forged_beacon_event(victim, service="stacksalt-canary"):
    tag = f"salt/beacon/{victim}/stacksalt_heal_services/{service}"
    data = {"id": victim, "service_name": service, service: {"running": False}}
    return hostile.attempt("event.fire_master", data, tag, preload={"events": [{"tag": tag, "data": data}]})


@pytest.mark.parametrize(("attacker", "victim"), [("compute1", "ceph1"), ("spare1", "ironic1")])
def test_a_forged_beacon_event_runs_nothing_on_the_named_host(second_apply, hosts, attacker, victim):
    hosts["master"].run(f"salt-run stacksalt_heal.reset {victim}")
    assert hosts[victim].service("stacksalt-canary").is_running
    watch = master_events(25)
    (sent,) = probe(attacker, [forged_beacon_event(victim)])
    assert sent.get("ret") is True, sent
    events = watch.wait()
    verdicts = [d for tag, d in events if tag == "salt/stacksalt/heal/unconfirmed"]
    assert [(v["minion"], v["answer"]) for v in verdicts] == [(victim, "running")], events
    assert [t for t, _ in events if t == "salt/stacksalt/heal/result"] == []
    got = state_jobs_for(events, victim)
    tally(
        f"forged beacon event {attacker} -> {victim}",
        1,
        [f"state run {j['fun']} {j.get('arg')}" for j in got],
    )
    assert got == []


class EventStream(EventWatch):
    """An EventWatch read while it runs, so a test can wait for answers before going on."""

    def __init__(self, timeout):
        self.timeout = timeout
        super().__init__("*", -1, timeout)
        self.events = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            tag, _, data = line.rstrip("\n").partition("\t")
            if data.startswith("{"):
                self.events.append((tag, json.loads(data)))

    def stop(self):
        # the watcher runs inside the master container: end it there (`timeout` passes SIGTERM on)
        subprocess.run(["podman", "exec", "master", "pkill", "-TERM", "-f", f"^timeout {self.timeout} salt-run"],
                       check=False)  # fmt: skip
        self.proc.wait(30)
        self._reader.join(10)
        return list(self.events)


def heal_verdicts(events):
    returns = [d for tag, d in events if tag.startswith("salt/run/") and tag.endswith("/ret")]
    return [r["return"]["verdict"] for r in returns if r.get("fun") == "runner.stacksalt_heal.react"]


def test_a_flood_of_heal_events_is_cut_off(second_apply, hosts):
    """
    A sustained flood about one thing: 5 waves of 6 forged events, each wave answered before the
    next is sent. Events that arrive while a check is running are answered `busy`; each later
    wave finds the check done, so the flap guard must give up at the fourth wave at the latest
    (max_heals 3), alert once, and hold the rest. Sent all at once, every event may land while
    the first checks run and the give-up is never reached; the waves make the test about the
    guard, not about how fast the reactor drains a burst.
    """
    attacker, victim, waves, per_wave = "spare1", "compute1", 5, 6
    hosts["master"].run(f"salt-run stacksalt_heal.reset {victim}")
    watch = EventStream(300)
    start = time.monotonic()
    try:
        for wave in range(1, waves + 1):
            sent = probe(attacker, [forged_beacon_event(victim) for _ in range(per_wave)])
            assert all(r.get("ret") is True for r in sent), sent
            answered = wait_for(lambda w=wave: len(heal_verdicts(watch.events)) >= w * per_wave, 60, step=0.5)
            assert answered, (
                f"wave {wave}: {len(heal_verdicts(watch.events))} of {wave * per_wave} answered in 60 s"
            )
        time.sleep(3)  # a state job the guard let through would show up by now
    finally:
        events = watch.stop()
    checks = [d for tag, d in events if tag == "salt/stacksalt/heal/unconfirmed"]
    gave_up = [d for tag, d in events if tag == "salt/stacksalt/heal/gave_up"]
    verdicts = heal_verdicts(events)
    print(f"flood of {waves}x{per_wave} from {attacker} naming {victim}: {len(checks)} checks, verdicts "
          f"{ {v: verdicts.count(v) for v in sorted(set(verdicts))} }, in {time.monotonic() - start:.1f} s")  # fmt: skip
    hosts["master"].run(f"salt-run stacksalt_heal.reset {victim}")
    got = state_jobs_for(events, victim)
    tally(f"heal flood {attacker} -> {victim}", waves * per_wave, [f"state run {j['fun']}" for j in got])
    assert len(verdicts) == waves * per_wave
    assert len(checks) == 3 and len(gave_up) == 1, (checks, gave_up)
    assert verdicts.count("held") >= per_wave - 1, verdicts
    assert got == []


IMPOSTOR_DIR = "/root/impostor-compute1"


def start_impostor(hosts, master_ip):
    """A second salt-minion on spare1 that claims the id compute1, with a key of its own."""
    sh(hosts, "spare1", f"rm -rf {IMPOSTOR_DIR} && mkdir -p {IMPOSTOR_DIR}/pki")
    conf = {
        "id": "compute1", "master": master_ip, "pki_dir": f"{IMPOSTOR_DIR}/pki",
        "cachedir": f"{IMPOSTOR_DIR}/cache", "sock_dir": f"{IMPOSTOR_DIR}/sock",
        "pidfile": f"{IMPOSTOR_DIR}/minion.pid", "log_file": f"{IMPOSTOR_DIR}/minion.log",
        "acceptance_wait_time": 2, "acceptance_wait_time_max": 2, "rejected_retry": True,
    }  # fmt: skip
    hosts["spare1"].run(f"printf '%s' {json.dumps(json.dumps(conf))} > {IMPOSTOR_DIR}/minion")
    sh(hosts, "spare1", f"/opt/saltstack/salt/bin/salt-minion -c {IMPOSTOR_DIR} -d")


def stop_impostor(hosts):
    hosts["spare1"].run(f"kill $(cat {IMPOSTOR_DIR}/minion.pid) 2>/dev/null; sleep 1; rm -rf {IMPOSTOR_DIR}")


def key_lists(hosts):
    return json.loads(sh(hosts, "master", "salt-key --out json -L"))


def finger(hosts, minion):
    out = sh(hosts, "master", f"salt-key --out json -f {minion}")
    data = json.loads(out)
    return {state: keys[minion] for state, keys in data.items() if minion in keys}


def test_an_impostor_under_an_allowed_id_cannot_block_the_real_host(second_apply, hosts, lab_up):
    genuine = finger(hosts, "compute1")["minions"]
    master_ip = lab_up["master"]["ip"]
    got = []
    start_impostor(hosts, master_ip)
    try:
        # 1. the real key is accepted: the impostor is denied, the real host keeps answering
        assert wait_for(lambda: "compute1" in key_lists(hosts).get("minions_denied", []), 60, step=2), (
            key_lists(hosts)
        )
        assert finger(hosts, "compute1").get("minions") == genuine
        # 2. the real host is re-installed: its accepted key is gone, and while it is down the
        #    impostor claims the id first ...
        sh(hosts, "compute1", "systemctl stop salt-minion")
        watch = EventWatch("salt/stacksalt/keys/*", -1, 120)
        sh(hosts, "master", "salt-key --yes -d compute1")
        sh(hosts, "master", "salt-key --yes -d compute1 --include-denied", check=False)
        time.sleep(10)
        # ... then the real host starts: it must end up accepted with its own key
        sh(hosts, "compute1", "systemctl start salt-minion")
        accepted = wait_for(lambda: finger(hosts, "compute1").get("minions") == genuine, 90, step=2)
        if not accepted:
            got.append(f"the real compute1 was locked out: keys {finger(hosts, 'compute1')}")

        def deleted_alerts(events):
            return [
                d for tag, d in events if tag == "salt/stacksalt/keys/alert" and d.get("state") == "deleted"
            ]

        # the watch ends at the alert, not at its 120 s bound
        deleted = deleted_alerts(watch.until(deleted_alerts))
        assert deleted, "the impostor's key raised no alert within 120 s"
        assert wait_for(lambda: "compute1" in sh(hosts, "master", "salt --out txt -t 5 compute1 test.ping",
                                                 check=False), 60, step=3), "compute1 does not answer"  # fmt: skip
        if finger(hosts, "compute1").get("minions") != genuine:
            got.append("the impostor's key was accepted")
    finally:
        stop_impostor(hosts)
        hosts["compute1"].run("systemctl start salt-minion")
    tally("key under an allowed id (impostor on spare1)", 2, got)
    assert got == []


def test_report(second_apply):
    tried = sum(t for t, _ in TALLY.values())
    got = [g for _, gs in TALLY.values() for g in gs]
    print(f"hostile tier: {tried} attacks tried in {len(TALLY)} groups, {len(got)} succeeded")
    assert len(TALLY) >= 8, sorted(TALLY)
    assert got == []
