"""Highstate across real minions: targeting, convergence, idempotence, honest test=True."""

import pathlib
import stat

import pytest

from tests.support.states import changed, failed, summarize

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
# The one difference from what the site deploys: this harness has no OpenStack cloud, so the
# formulas that work against the site's cloud are left out of its highstates here, every SLS of
# them and nothing else: the master's cloud-admin formula (openstack: Keystone registrations,
# networks, flavors, images) and compute1's nova-compute (nova: a service that joins the cloud's
# RabbitMQ and Keystone). They run against a real cloud in tests/functional/openstack and against
# the site's stand-in in the lab tier; test_top_gives_each_minion_exactly_its_formulas proves
# top.sls still gives them to these minions.
CLOUD_FORMULAS = ("openstack", "nova")
NO_CLOUD = sorted(
    ".".join((formula, *p.relative_to(REPO / "salt" / formula).with_suffix("").parts)).removesuffix(".init")
    for formula in CLOUD_FORMULAS
    for p in (REPO / "salt" / formula).rglob("*.sls")
    if p.stem != "clean"
)
EXCLUDE = "exclude=" + ",".join(NO_CLOUD)


def test_the_left_out_formulas_are_exactly_the_cloud_ones():
    assert {"openstack", "openstack.images", "nova", "nova.service"} <= set(NO_CLOUD), NO_CLOUD
    assert all(name.split(".")[0] in CLOUD_FORMULAS for name in NO_CLOUD), NO_CLOUD
    assert not any(name.endswith("clean") for name in NO_CLOUD), NO_CLOUD


@pytest.fixture(scope="module")
def first_run(salt_cli):
    return salt_cli.run("-L", "state.apply", EXCLUDE, minion_tgt="master,compute1", _timeout=300)


def test_sync_all_loads_custom_modules(salt_cli):
    ret = salt_cli.run("sys.list_functions", "pillar_schema", minion_tgt="compute1")
    assert ret.returncode == 0, ret
    assert "pillar_schema.validate" in ret.data
    ret = salt_cli.run("pillar_schema.validate", "salt", minion_tgt="compute1")
    assert ret.data == [], ret


def test_top_gives_each_minion_exactly_its_formulas(salt_cli):
    ret = salt_cli.run("-L", "state.show_top", minion_tgt="master,compute1")
    assert ret.returncode == 0, ret
    assert "base" in ret.data["master"], ret.data
    assert sorted(ret.data["master"]["base"]) == [
        "ceph",
        "host",
        "openstack",
        "salt.master",
        "salt.minion",
        "salt.ssh",
    ]
    assert sorted(ret.data["compute1"]["base"]) == ["ceph", "host", "nova", "salt.minion"]


def test_highstate_converges(first_run):
    assert first_run.returncode == 0, first_run
    for minion_id in ("master", "compute1"):
        states = first_run.data[minion_id]
        assert isinstance(states, dict), states
        assert not failed(states), summarize(states)
        assert changed(states), "a first run on a fresh host must change something"
    # the exclusion took out the cloud-admin formula and only it
    master_sls = {s["__sls__"] for s in first_run.data["master"].values()}
    assert not {name for name in master_sls if name.split(".")[0] == "openstack"}, master_sls
    assert {"salt", "host"} <= {name.split(".")[0] for name in master_sls}, master_sls


def test_second_run_reports_zero_changes(first_run, salt_cli):
    ret = salt_cli.run("-L", "state.apply", EXCLUDE, minion_tgt="master,compute1", _timeout=300)
    assert ret.returncode == 0, ret
    for minion_id in ("master", "compute1"):
        assert not changed(ret.data[minion_id]), summarize(ret.data[minion_id])


def test_test_mode_after_convergence_reports_nothing_pending(first_run, salt_cli):
    ret = salt_cli.run("-L", "state.apply", "test=True", EXCLUDE, minion_tgt="master,compute1", _timeout=300)
    assert ret.returncode == 0, ret
    for minion_id in ("master", "compute1"):
        states = ret.data[minion_id]
        pending = {k: v for k, v in states.items() if v["result"] is None or v["changes"]}
        assert not pending, summarize(states)


def test_services_really_run_under_the_harness_supervisor(first_run, salt_cli):
    ret = salt_cli.run("service.status", "salt-master", minion_tgt="master")
    assert ret.data is True
    ret = salt_cli.run("service.status", "salt-master", minion_tgt="compute1")
    assert ret.data is False, "compute1 has no salt-master role"


def test_compute_host_gets_only_its_own_ceph_keyring(first_run, minions):
    # compute1 is a Ceph client for the vms pool: client.nova's keyring, readable by its
    # group only, and no other client's keyring (nor the admin key) on the host.
    conf_dir = pathlib.Path(minions["compute1"].config["ceph"]["lookup"]["conf_dir"])
    assert sorted(p.name for p in conf_dir.iterdir()) == ["ceph.client.nova.keyring", "ceph.conf"]
    keyring = conf_dir / "ceph.client.nova.keyring"
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o640
    assert keyring.read_text().startswith("[client.nova]\n")
    conf = (conf_dir / "ceph.conf").read_text()
    assert "fsid = 9c4a1f0e-5b2d-4e8a-8f3b-6d1e2a7c9b40" in conf
    # the mon's address is its own mine entry (ceph1 publishes its loopback one here)
    assert "mon host = 127.0.0.1\n" in conf, conf
