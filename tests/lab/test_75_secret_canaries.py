"""
Secrets never leak, checked on the converged lab with canaries: every value of
pillar/secrets/*.sls is unique to this repository (a fake key or a FAKE-... password), so each
one is a canary. They are grepped in every state return the lab's applies printed (test=True
included), in a debug-level run of the highstate on the hosts that hold secrets, in the master's
job cache (every return and event payload the master stored) and in every log under
/var/log/salt; and every file on a lab host that holds one must be a file that needs it, unreadable
for other users.
"""

import json
import shlex
import subprocess

import pytest
import yaml

from tests.support import hostile

from .conftest import LABDIR, REPO

pytestmark = pytest.mark.lab

SECRET_HOLDERS = ("master", "ironic1", "ceph1", "compute1", "controller1")
# Where a host may keep its own secrets: the service configs and keyrings the formulas write,
# and Salt's own caches of the host's pillar and rendered states (root-only directories).
ALLOWED_HOMES = (
    "/var/lib/ironic/",
    "/etc/ceph/",
    "/etc/ironic/",
    "/etc/nova/",
    "/etc/salt/",
    "/var/lib/ceph/",
    "/var/cache/salt/minion/",
    "/var/cache/salt/master/",
    "/root/.config/openstack/",
)
# The one place where the lab differs from a site: the stand-in for the site's existing cloud
# (lab/services/openstack on the openstack-cloud host) is that cloud, so it knows the cloud's
# admin password, which the cloud-admin host's secrets hold (its services use the same value),
# and its RabbitMQ's password for the `openstack` user, which the compute hosts' secrets hold.
# Its files may hold those passwords, and only them; they stay closed like any other.
STAND_IN_HOMES = ("/etc/stacksalt-cloud/", "/var/lib/stacksalt-cloud/")


STAND_IN_DB = "/var/lib/stacksalt-cloud/state/mariadb/"


def ironic_node_secrets():
    ironic1 = yaml.safe_load((REPO / "pillar" / "secrets" / "ironic1.sls").read_text())
    return [v for entry in ironic1["ironic"]["node_secrets"].values() for v in entry.values()]


def stand_in_passwords():
    master = yaml.safe_load((REPO / "pillar" / "secrets" / "master.sls").read_text())
    ironic1 = yaml.safe_load((REPO / "pillar" / "secrets" / "ironic1.sls").read_text())
    return (
        master["openstack"]["clouds"]["demo"]["auth"]["password"],
        ironic1["nova"]["messaging_password"],
    )


def run_on(name, *cmd, timeout=600):
    # binary files (Salt's msgpack caches) are read too: undecodable bytes must not hide a canary
    proc = subprocess.run(
        ["podman", "exec", name, *cmd],
        capture_output=True, text=True, errors="replace", timeout=timeout, check=False,
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def canaries():
    return hostile.secret_values(REPO)


def test_no_state_return_holds_a_secret(second_apply, test_mode_apply, canaries):
    outputs = {p.name: p.read_text() for p in (LABDIR / "run").glob("apply-*.json")}
    outputs["first and second apply (stdout)"] = second_apply["stdout"] + second_apply["stderr"]
    outputs["test=True apply (stdout)"] = test_mode_apply["stdout"] + test_mode_apply["stderr"]
    hits = {name: hostile.leaks(text, canaries) for name, text in outputs.items()}
    assert {k: v for k, v in hits.items() if v} == {}
    print(f"state returns grepped: {len(outputs)} outputs, {len(canaries)} canaries, 0 hits")


@pytest.mark.parametrize("name", SECRET_HOLDERS)
def test_a_debug_level_highstate_prints_no_secret(second_apply, canaries, name):
    rc, out = run_on(name, "salt-call", "-l", "debug", "--out", "json", "state.apply", "test=True")
    assert rc == 0, out[-3000:]
    assert "[DEBUG   ]" in out, "not a debug-level run"
    assert hostile.leaks(out, canaries) == []
    # the rendered states (what show_highstate, the minion's state cache and a debug render
    # see) read secrets from pillar by path on the minion: they never carry one
    rc, out = run_on(name, "salt-call", "--out", "json", "state.show_highstate")
    assert rc == 0, out[-3000:]
    assert hostile.leaks(out, canaries) == [], "the rendered highstate carries a secret"


def grep_files(name, canaries, *roots):
    """Files under `roots` on host `name` that hold a canary: {path: (mode, owner, [sources])}."""
    patterns = "\n".join(canaries)
    # the pattern file lives outside every searched root
    script = (
        f"printf '%s\\n' {shlex.quote(patterns)} > /run/.stacksalt-canaries && "
        f"grep -rlF -f /run/.stacksalt-canaries {' '.join(shlex.quote(r) for r in roots)} 2>/dev/null | "
        "while read -r f; do stat -c '%a %U %n' \"$f\"; done; rm -f /run/.stacksalt-canaries"
    )
    _, out = run_on(name, "sh", "-c", script)
    found = {}
    for line in out.splitlines():
        mode, owner, path = line.split(" ", 2)
        _, text = run_on(name, "cat", path)
        found[path] = (mode, owner, hostile.leaks(text, canaries))
    return found


def test_no_log_and_no_job_cache_holds_a_secret(second_apply, lab_up, canaries):
    leaked = {}
    for name, info in lab_up.items():
        if info["kind"] == "ssh":
            continue
        for path, detail in grep_files(name, canaries, "/var/log").items():
            leaked[f"{name}:{path}"] = detail
    for path, detail in grep_files("master", canaries, "/var/cache/salt/master/jobs").items():
        leaked[f"master:{path}"] = detail
    assert leaked == {}


def test_secret_files_are_where_they_belong_and_closed(second_apply, lab_up, canaries):
    owners = hostile.secret_owners(REPO)
    wrong = {}
    for name in lab_up:
        found = grep_files(name, canaries, "/etc", "/var/lib", "/var/cache", "/root", "/tmp", "/opt", "/srv")
        for path, (mode, owner, _) in found.items():
            if path.startswith("/srv/stacksalt/"):
                continue  # the checkout itself, on the master (read-only mount, never served)
            _, text = run_on(name, "cat", path)
            if lab_up[name].get("cloud") and path.startswith(STAND_IN_HOMES):
                for password in stand_in_passwords():
                    text = text.replace(password, "")
            # the cloud's MariaDB holds Ironic's database, which stores the nodes' driver_info
            # (BMC passwords) as Ironic always does (on ironic1 it was /var/lib/ironic)
            if lab_up[name].get("cloud") and path.startswith(STAND_IN_DB):
                for password in ironic_node_secrets():
                    text = text.replace(password, "")
            foreign = sorted({h for v, hs in owners.items() if v in text and name not in hs for h in hs})
            # the master compiles every host's pillar: its own pillar cache may hold them all
            if name == "master" and path.startswith("/var/cache/salt/master/pillar/"):
                foreign = []
            # closed: nobody else can read it (its mode or a directory above it says so)
            readable, _ = run_on(name, "runuser", "-u", "nobody", "--", "test", "-r", path)
            homes = ALLOWED_HOMES + (STAND_IN_HOMES if lab_up[name].get("cloud") else ())
            if foreign or not path.startswith(homes) or readable == 0:
                wrong[f"{name}:{path}"] = {"mode": mode, "owner": owner, "other hosts' secrets": foreign}
    print(
        json.dumps(wrong, indent=1)
        if wrong
        else "every file holding a secret is its host's own and closed to others"
    )
    assert wrong == {}
