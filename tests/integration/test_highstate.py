"""Highstate across real minions: targeting, convergence, idempotence, honest test=True."""

import pathlib
import stat

import pytest

from tests.support.states import changed, failed, summarize

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def first_run(salt_cli):
    return salt_cli.run("-L", "state.apply", minion_tgt="master,compute1", _timeout=300)


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
    assert sorted(ret.data["master"]["base"]) == ["host", "salt.master", "salt.minion", "salt.ssh"]
    assert sorted(ret.data["compute1"]["base"]) == ["ceph", "host", "salt.minion"]


def test_highstate_converges(first_run):
    assert first_run.returncode == 0, first_run
    for minion_id in ("master", "compute1"):
        states = first_run.data[minion_id]
        assert isinstance(states, dict), states
        assert not failed(states), summarize(states)
        assert changed(states), "a first run on a fresh host must change something"


def test_second_run_reports_zero_changes(first_run, salt_cli):
    ret = salt_cli.run("-L", "state.apply", minion_tgt="master,compute1", _timeout=300)
    assert ret.returncode == 0, ret
    for minion_id in ("master", "compute1"):
        assert not changed(ret.data[minion_id]), summarize(ret.data[minion_id])


def test_test_mode_after_convergence_reports_nothing_pending(first_run, salt_cli):
    ret = salt_cli.run("-L", "state.apply", "test=True", minion_tgt="master,compute1", _timeout=300)
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
    assert "fsid = 9c4a1f0e-5b2d-4e8a-8f3b-6d1e2a7c9b40" in (conf_dir / "ceph.conf").read_text()
