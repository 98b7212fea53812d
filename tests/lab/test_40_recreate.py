"""One host destroyed and recreated from its image converges again on the next apply."""

import pytest

from .conftest import lab

pytestmark = pytest.mark.lab


def test_recreated_host_converges(lab_up, hosts, second_apply, timings):
    # compute1: a minion with a formula beyond the baseline (the Ceph client) and a small
    # package set, so the re-install stays short
    _, _, _, seconds = lab("recreate", "compute1")
    timings["recreate compute1"] = seconds
    # a brand-new root filesystem: nothing of the formula's work is left
    assert not hosts["compute1"].file("/etc/stacksalt/release.yaml").exists
    rc, out, err, seconds = lab("apply", check=False)
    timings["apply after recreate"] = seconds
    assert rc == 0, out[-6000:] + err[-3000:]
    assert "compute1" in out
    assert hosts["compute1"].file("/etc/stacksalt/release.yaml").exists
    rc, out, err, _ = lab("apply", check=False)
    assert rc == 0, out[-6000:]
    from .conftest import apply_summary

    assert all(s["changed"] == 0 for s in apply_summary(out).values()), out[-4000:]
