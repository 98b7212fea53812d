"""Pillar targeting, secret isolation and validation before any change, on real daemons."""

import json
import pathlib

import pytest

pytestmark = pytest.mark.integration

SECRET = "FAKE-demo-admin-password-do-not-use"


def test_each_minion_gets_its_own_roles(salt_cli):
    ret = salt_cli.run("-L", "pillar.get", "roles", "unmask=True", minion_tgt="master,compute1")
    assert ret.data == {
        "master": ["salt-master", "salt-minion", "cloud-admin"],
        "compute1": ["salt-minion", "compute", "nova-compute"],
    }


def test_minion_cannot_read_another_minions_secrets(salt_cli):
    owner = salt_cli.run("pillar.items", "unmask=True", minion_tgt="master")
    assert owner.data["openstack"]["clouds"]["demo"]["auth"]["password"] == SECRET
    other = salt_cli.run("pillar.items", "unmask=True", minion_tgt="compute1")
    assert other.returncode == 0, other
    # compute1's own cloud entry (its nova-compute's service user), never the admin's
    assert sorted(other.data.get("openstack", {}).get("clouds", {})) == ["compute"], other.data.get(
        "openstack"
    )
    assert "user_passwords" not in other.data.get("openstack", {})
    assert SECRET not in json.dumps(other.data)
    # Asking for the key by name does not reach the other minion's pillar either.
    other = salt_cli.run(
        "pillar.get", "openstack:clouds:demo:auth:password", "unmask=True", minion_tgt="compute1"
    )
    assert other.data == ""


def test_compute_host_cannot_read_other_ceph_clients_keys(salt_cli):
    # client.glance's key exists in the site (ceph1 creates it) but a compute host without
    # the glance role never receives it: not in its pillar, not by name.
    mon = salt_cli.run("pillar.get", "ceph:keys:clients", "unmask=True", minion_tgt="compute1")
    assert mon.returncode == 0, mon
    assert sorted(mon.data) == ["nova"], mon.data
    glance = salt_cli.run("pillar.get", "ceph:keys:clients:glance", "unmask=True", minion_tgt="compute1")
    assert glance.data == ""
    admin = salt_cli.run("pillar.get", "ceph:keys:admin", "unmask=True", minion_tgt="compute1")
    assert admin.data == ""


def test_secrets_are_masked_in_default_output(salt_cli):
    ret = salt_cli.run("pillar.get", "openstack:clouds:demo:auth:password", minion_tgt="master")
    assert SECRET not in ret.stdout


def test_bad_pillar_stops_the_run_before_any_change(salt_cli, minions, tmp_path):
    untouched = tmp_path / "release.yaml"
    minion_d = pathlib.Path(minions["compute1"].config_dir) / "minion.d"
    before = {p.name: p.read_bytes() for p in minion_d.glob("*.conf")} if minion_d.exists() else {}
    bad = {
        "host": {"release_file": str(untouched)},
        "salt": {"minion": {"master_port": "4506/tcp"}},
    }
    ret = salt_cli.run("state.apply", f"pillar={json.dumps(bad)}", minion_tgt="compute1", _timeout=300)
    assert ret.returncode != 0
    states = ret.data
    validation = next(v for v in states.values() if v["__id__"] == "salt-pillar-schema-validated")
    assert validation["result"] is False
    assert "salt:minion:master_port" in validation["comment"]
    assert not [v for v in states.values() if v["changes"]], "nothing may change on a bad pillar"
    assert not untouched.exists()
    after = {p.name: p.read_bytes() for p in minion_d.glob("*.conf")} if minion_d.exists() else {}
    assert after == before


def test_bad_pillar_error_never_prints_the_secret(salt_cli, tmp_path):
    bad = {"salt": {"minion": {"config": {"db_password": "FAKE-leak-canary"}}}}
    ret = salt_cli.run("state.apply", "salt.minion", f"pillar={json.dumps(bad)}", minion_tgt="compute1")
    assert ret.returncode != 0
    assert "salt:minion:config" in ret.stdout
    assert "FAKE-leak-canary" not in ret.stdout
