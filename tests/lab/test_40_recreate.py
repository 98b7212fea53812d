"""One host destroyed and recreated from its image converges again on the next apply."""

import pytest

from .conftest import lab

pytestmark = pytest.mark.lab


def test_recreated_host_converges(lab_up, hosts, second_apply, timings):
    _, _, _, seconds = lab("recreate", "ironic1")
    timings["recreate ironic1"] = seconds
    # a brand-new root filesystem: nothing of the formula's work is left
    assert not hosts["ironic1"].file("/etc/stacksalt/release.yaml").exists
    rc, out, err, seconds = lab("apply", check=False)
    timings["apply after recreate"] = seconds
    assert rc == 0, out[-6000:] + err[-3000:]
    assert "ironic1" in out
    assert hosts["ironic1"].file("/etc/stacksalt/release.yaml").exists
    rc, out, err, _ = lab("apply", check=False)
    assert rc == 0, out[-6000:]
    from .conftest import apply_summary

    assert all(s["changed"] == 0 for s in apply_summary(out).values()), out[-4000:]
