"""
Both install paths of stacksalt's modules on the converged lab: spare1 runs the stacksalt wheel
(salt:minion:modules_from: wheel; lab/lab pip-installs it before the first boot and syncs
nothing to it), every other minion runs synced copies, and the salt-ssh host edge1 runs a custom
module too. Each host's highstate is the proof that its modules work.
"""

import json
import re
import subprocess

import pytest

from .conftest import REPO

pytestmark = pytest.mark.lab

WHEEL_HOST = "spare1"
RELEASE = re.search(r'^VERSION = "([^"]+)"', (REPO / "_modules/stacksalt_release.py").read_text(), re.M)[1]


def podman(name, *cmd):
    proc = subprocess.run(
        ["podman", "exec", name, *cmd], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, (
        f"{name}: {' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    )
    return proc.stdout


def release(name):
    return json.loads(podman(name, "salt-call", "--out", "json", "stacksalt_release.version"))["local"]


def test_the_wheel_host_runs_the_installed_release_and_nothing_synced(second_apply):
    got = release(WHEEL_HOST)
    assert got["source"] == "wheel", got
    assert got["version"] == RELEASE
    assert "/site-packages/saltext/stacksalt/" in got["path"], got
    synced = podman(
        WHEEL_HOST, "sh", "-c", "ls /var/cache/salt/minion/extmods/*/ 2>/dev/null || true"
    ).split()
    ours = sorted({p.name for d in ("_modules", "_states", "_utils") for p in (REPO / d).glob("*.py")})
    assert not set(synced) & set(ours), f"copies synced over the wheel: {sorted(set(synced) & set(ours))}"
    conf = podman(WHEEL_HOST, "cat", "/etc/salt/minion.d/10-stacksalt.conf")
    assert "autoload_dynamic_modules: false" in conf


def test_the_wheel_host_converged_with_the_wheels_states(second_apply):
    returns = second_apply["returns"][WHEEL_HOST]
    # pillar_schema is one of the wheel's states: it ran, and so did the rest of the highstate
    validated = [
        ret for key, ret in returns.items() if key.startswith("pillar_schema_|-salt-pillar-schema-validated")
    ]
    assert validated and validated[0]["result"] is True, returns
    assert all(ret["result"] is True for ret in returns.values())


def test_the_other_minions_run_synced_copies(lab_up):
    for name, info in lab_up.items():
        if info["kind"] == "ssh" or name == WHEEL_HOST:
            continue
        got = release(name)
        assert got["source"] == "synced" and got["version"] == RELEASE, (name, got)


def test_the_salt_ssh_host_runs_a_custom_module(lab_up):
    out = podman("master", "salt-ssh", "edge1", "--out", "json", "--static", "stacksalt_release.version")
    got = json.loads(out)["edge1"]
    if isinstance(got, dict) and "return" in got and "retcode" in got:  # salt-ssh's wrapped form
        got = got["return"]
    assert got["version"] == RELEASE, got
    assert got["source"] in ("synced", "wheel"), got
