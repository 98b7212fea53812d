"""Highstate on every lab host: converges, second run changes nothing, test=True plans nothing."""

import pytest

pytestmark = pytest.mark.lab


def test_every_host_of_the_topology_runs(lab_up):
    kinds = {name: row["kind"] for name, row in lab_up.items()}
    assert list(kinds.values()).count("master") == 1
    assert {"master", "ironic1", "ceph1", "ceph2", "ceph3", "compute1", "edge1"} <= set(kinds)
    assert kinds["edge1"] == "ssh"


def test_first_apply_converges_every_host(lab_up, first_apply):
    summary = first_apply["summary"]
    assert set(summary) == set(lab_up), f"hosts without a state return: {set(lab_up) - set(summary)}"
    failed = {h: s for h, s in summary.items() if s["failed"] or not s["states"]}
    assert not failed, first_apply["stdout"][-6000:]
    assert first_apply["rc"] == 0, first_apply["stderr"][-3000:]


def test_the_first_apply_installs_no_package_that_the_host_image_could_carry(first_apply):
    # Each host's image carries its roles' Debian packages (lab/hosts/role-packages.yaml), so a
    # first highstate waits on no apt: a formula that gains a package shows up here by name.
    installed = {
        host: {
            key.split("_|-")[1]: sorted(ret["changes"])
            for key, ret in result.items()
            if key.startswith("pkg_|-") and ret.get("changes")
        }
        for host, result in first_apply["returns"].items()
        if isinstance(result, dict)
    }
    assert not any(installed.values()), (
        f"the first apply installed packages (add them to lab/hosts/role-packages.yaml): {installed}"
    )


def test_the_fresh_sites_plan_foretold_the_first_apply(lab_up, fresh_plan, first_apply):
    # test=True before the first apply: nothing it called a failure, and every state the first
    # apply changed was pending in it (result None). A pending state that the apply then left
    # unchanged is allowed only when the plan said why it could not know (an earlier change).
    plan, applied = fresh_plan["returns"], first_apply["returns"]
    # an ssh-only host is reached through the roster that the master's first apply writes
    ssh_only = {name for name, row in lab_up.items() if row["kind"] == "ssh"}
    unplanned = set(applied) - set(plan) - ssh_only
    failed = {
        host: {
            key: str(ret.get("comment"))[:300] for key, ret in result.items() if ret.get("result") is False
        }
        for host, result in plan.items()
    }
    unforeseen = {
        host: [
            key
            for key, ret in result.items()
            if ret.get("changes") and plan.get(host, {}).get(key, {}).get("result") is not None
        ]
        for host, result in applied.items()
        if host in plan
    }
    assert not unplanned and not any(failed.values()) and not any(unforeseen.values()), (
        f"hosts without a plan: {sorted(unplanned)}; test=True on the fresh site fails: {failed}; "
        f"the first apply changed what test=True did not plan: {unforeseen}"
    )


def test_second_apply_changes_nothing(lab_up, second_apply):
    assert second_apply["rc"] == 0, second_apply["stdout"][-6000:]
    changed = {
        host: [key for key, ret in result.items() if ret.get("changes")]
        for host, result in second_apply["returns"].items()
    }
    assert not any(changed.values()), f"second apply changed: {changed}"
    assert set(second_apply["summary"]) == set(lab_up)


def test_test_mode_reports_nothing_pending(test_mode_apply):
    assert test_mode_apply["rc"] == 0, test_mode_apply["stdout"][-6000:] + test_mode_apply["stderr"][-3000:]
    pending = {
        host: [key for key, ret in result.items() if ret.get("result") is not True or ret.get("changes")]
        for host, result in test_mode_apply["returns"].items()
    }
    assert not any(pending.values()), f"test=True plans changes: {pending}"
