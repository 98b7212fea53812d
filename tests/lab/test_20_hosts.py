"""What each role promises, checked on the hosts with testinfra (podman backend)."""

import json

import pytest

pytestmark = pytest.mark.lab


def minion_names(lab_up):
    return sorted(h for h, row in lab_up.items() if row["kind"] in ("master", "minion"))


def test_systemd_is_pid1_everywhere(hosts, second_apply):
    for name, h in hosts.items():
        assert h.file("/proc/1/comm").content_string.strip() == "systemd", name
        state = h.run("systemctl is-system-running").stdout.strip()
        assert state == "running", f"{name}: systemd {state}: {h.run('systemctl --failed --plain').stdout}"


def test_hostname_and_address_per_host(hosts, lab_up):
    for name, h in hosts.items():
        assert h.check_output("hostname") == name
        assert lab_up[name]["ip"] in h.check_output("ip -o -4 addr show"), name


def test_minions_run_under_systemd_with_managed_config(hosts, lab_up, second_apply):
    for name in minion_names(lab_up):
        h = hosts[name]
        service = h.service("salt-minion")
        assert service.is_running and service.is_enabled, name
        main_pid = h.check_output("systemctl show -p MainPID --value salt-minion")
        assert h.check_output(f"ps -o ppid= -p {main_pid}").strip() == "1", (
            f"{name}: salt-minion not a systemd child"
        )
        conf = h.file("/etc/salt/minion.d/10-stacksalt.conf")
        assert conf.exists and conf.user == "root" and conf.group == "root" and conf.mode == 0o640, name
        assert h.file("/etc/salt/minion.d").mode == 0o750, name
        assert f"id: {name}" in conf.content_string
        assert f"master: {lab_up['master']['ip']}" in conf.content_string, name
        release = h.file("/etc/stacksalt/release.yaml")
        assert release.exists and release.mode == 0o644, name


def test_every_minion_is_connected_and_accepted_by_the_policy(hosts, lab_up, second_apply):
    master = hosts["master"]
    pings = json.loads(master.check_output("salt '*' test.ping --out json --static -t 10"))
    assert sorted(h for h, ok in pings.items() if ok is True) == minion_names(lab_up)
    keys = json.loads(master.check_output("salt-key --list all --out json"))
    assert sorted(keys["minions"]) == minion_names(lab_up)
    assert keys["minions_pre"] == [] and keys["minions_rejected"] == [] and keys["minions_denied"] == []
    # no blanket acceptance anywhere in the master's config
    assert "auto_accept: true" not in master.check_output("cat /etc/salt/master.d/*.conf").lower()


def test_master_runs_its_formula_config(hosts, second_apply):
    master = hosts["master"]
    assert master.service("salt-master").is_running and master.service("salt-master").is_enabled
    conf = master.file("/etc/salt/master.d/10-stacksalt.conf")
    assert conf.exists and conf.user == "root" and conf.mode == 0o640
    assert "/srv/stacksalt/pillar" in conf.content_string
    # minions get the formulas and the view, never the checkout (pillar/secrets)
    assert (
        "- /srv/stacksalt-served" in conf.content_string and "- /srv/stacksalt\n" not in conf.content_string
    )
    roster = master.file("/etc/salt/roster")
    assert roster.exists and roster.mode == 0o640 and "edge1" in roster.content_string
    key = master.file("/etc/salt/pki/master/ssh/stacksalt_ed25519")
    assert key.exists and key.mode == 0o600
    # the repository is mounted read-only
    assert master.run("touch /srv/stacksalt/.lab-write-test").rc != 0


def test_edge_host_is_managed_only_over_ssh(hosts, lab_up, second_apply):
    edge = hosts["edge1"]
    assert edge.service("ssh").is_running
    assert not edge.file("/opt/saltstack").exists, "edge1 must have no Salt installed"
    # "[s]" keeps pgrep from matching the shell that runs it
    assert edge.run("pgrep -f '[s]alt-minion'").rc != 0
    # salt-ssh applied the host baseline: the release file names its roles
    release = edge.file("/etc/stacksalt/release.yaml")
    assert release.exists, "salt-ssh did not manage edge1"
    assert "edge" in release.content_string
    # the master reaches it with its salt-ssh key only (no passwords)
    assert "PasswordAuthentication no" in edge.file("/etc/ssh/sshd_config.d/lab.conf").content_string
    assert edge.file("/root/.ssh/authorized_keys").contains("salt-ssh@lab")


def test_master_cannot_be_joined_by_an_unknown_key(hosts, second_apply):
    """A key that is not on the allow-list stays pending after a highstate of the master."""
    master = hosts["master"]
    edge = hosts["edge1"]
    # edge1 has no Salt: a stray minion key is dropped straight into the master's pending dir
    pub = master.check_output("cat /etc/salt/pki/master/master.pub")
    master.run("install -m 600 /dev/null /etc/salt/pki/master/minions_pre/intruder")
    master.run(f"printf '%s' '{pub}' > /etc/salt/pki/master/minions_pre/intruder")
    try:
        out = json.loads(
            master.check_output("salt master state.apply salt.master.keys --out json --static -t 120")
        )
        comments = " ".join(r["comment"] for r in out["master"].values())
        keys = json.loads(master.check_output("salt-key --list all --out json"))
        assert "intruder" not in keys["minions"]
        assert "intruder" in comments
    finally:
        master.run("salt-key -y -d intruder")
    assert edge.run("true").rc == 0
