"""
The ceph formula applied for real on a systemd host (podman, the lab's salt image, Debian's
ceph 16.2): mon + mgr + a file-backed bluestore OSD + pools + cephx clients + client keyrings,
then HEALTH_OK, least-privilege caps, file modes, second apply 0 changes, test=True 0 changes,
and ceph.clean leaving no daemon, no data and no keyring behind.

Runs on its own throwaway host (lab/services/ceph/formula-host), independent of the lab's
ceph1..3 wiring (that needs the ceph roles in top.sls and pillar, see docs/ceph.md).
"""

import json
import pathlib
import subprocess
import tempfile
import time

import pytest
import yaml

pytestmark = [pytest.mark.lab, pytest.mark.timeout(1500)]

REPO = pathlib.Path(__file__).resolve().parents[3]
HOST = REPO / "lab" / "services" / "ceph" / "formula-host"
EXAMPLE = yaml.safe_load((REPO / "salt/ceph/pillar.example").read_text())["ceph"]


def run(*args, timeout=900, check=True):
    proc = subprocess.run([str(HOST), *map(str, args)], capture_output=True, text=True, timeout=timeout)  # noqa: S603
    if check and proc.returncode != 0:
        raise AssertionError(
            f"formula-host {' '.join(map(str, args))}: rc {proc.returncode}\n{proc.stderr[-3000:]}"
        )
    return proc


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="ceph-formula-", dir="/var/tmp"))
    try:
        name, addr = run("up", workdir, timeout=600).stdout.split()
        yield {"dir": workdir, "name": name, "addr": addr, "tmp": tmp_path_factory.mktemp("formula")}
    finally:
        run("down", workdir, check=False, timeout=120)


@pytest.fixture(scope="module")
def pillar_file(host):
    ceph = json.loads(json.dumps(EXAMPLE))
    ceph.update(
        {
            "mon_host": [host["addr"]],
            "public_network": host["addr"].rsplit(".", 2)[0] + ".0.0/16",
            "mon": {"enabled": True, "id": "cephlab", "addr": host["addr"]},
            "mgr": {"enabled": True, "id": "cephlab"},
        }
    )
    # One host: size-1 pools and no host-level failure domain.
    ceph["config"] = {
        "global": {
            "osd pool default size": 1,
            "osd pool default min size": 1,
            "mon allow pool size one": "true",
            "mon warn on pool no redundancy": "false",
            "osd crush chooseleaf type": 0,
            "mon data avail warn": 1,
            "mon data avail crit": 0,
        }
    }
    ceph["pools"]["items"] = {
        name: {"pg_num": 8, "size": 1} for name in ("images", "volumes", "vms", "backups")
    }
    ceph["client"]["keyrings"] = {"glance": {"owner": "root", "group": "root", "mode": "0640"}}
    path = host["tmp"] / "pillar.json"
    path.write_text(json.dumps({"ceph": ceph}))
    return path


def apply(host, pillar_file, sls="ceph", *extra):
    proc = run("apply", host["dir"], sls, pillar_file, *extra, check=False)
    data = json.loads(proc.stdout)["local"]
    assert isinstance(data, dict), data
    return data


def failures(data):
    return {v["__id__"]: v["comment"] for v in data.values() if v["result"] is False}


def changed(data):
    return sorted(v["__id__"] for v in data.values() if v["changes"])


def sh(host, *cmd):
    return run("exec", host["dir"], *cmd).stdout


@pytest.fixture(scope="module")
def first_apply(host, pillar_file):
    return apply(host, pillar_file)


def test_first_apply_converges(first_apply):
    assert failures(first_apply) == {}
    assert "ceph-mon-service-running" in changed(first_apply)


def test_cluster_is_healthy_with_pools_and_clients(host, first_apply):
    end = time.monotonic() + 90
    while True:
        status = json.loads(sh(host, "ceph", "-s", "-f", "json"))
        if status["health"]["status"] == "HEALTH_OK" or time.monotonic() > end:
            break
        time.sleep(2)
    assert status["health"]["status"] == "HEALTH_OK", status["health"]
    assert status["osdmap"]["num_up_osds"] == 1
    pools = set(sh(host, "ceph", "osd", "pool", "ls").split())
    assert {"images", "volumes", "vms", "backups"} <= pools
    caps = json.loads(sh(host, "ceph", "auth", "get", "client.glance", "-f", "json"))[0]["caps"]
    assert caps == EXAMPLE["keyrings"]["clients"]["glance"]["caps"]


def test_keyring_files_and_least_privilege(host, first_apply):
    modes = sh(
        host,
        "stat",
        "-c",
        "%n %a %U",
        "/etc/ceph/ceph.client.admin.keyring",
        "/etc/ceph/ceph.client.glance.keyring",
    )
    assert modes.split("\n")[:2] == [
        "/etc/ceph/ceph.client.admin.keyring 600 root",
        "/etc/ceph/ceph.client.glance.keyring 640 root",
    ]
    assert "cinder" not in sh(host, "ls", "/etc/ceph")
    sh(host, "rbd", "--id", "glance", "ls", "images")
    denied = run("exec", host["dir"], "rbd", "--id", "glance", "ls", "volumes", check=False)
    assert denied.returncode != 0 and "Operation not permitted" in denied.stderr


def test_second_apply_changes_nothing(host, pillar_file, first_apply):
    second = apply(host, pillar_file)
    assert failures(second) == {}
    assert changed(second) == []
    dry = apply(host, pillar_file, "ceph", "test=True")
    assert failures(dry) == {} and changed(dry) == []


def test_clean_removes_everything(host, pillar_file, first_apply):
    data = apply(host, pillar_file, "ceph.clean")
    assert failures(data) == {}
    units = sh(
        host,
        "systemctl",
        "list-units",
        "ceph-mon@*",
        "ceph-mgr@*",
        "ceph-osd@*",
        "--no-legend",
        "--state=active",
    )
    assert units.strip() == ""
    assert sh(host, "ls", "/etc/ceph").split() == ["rbdmap"]
    assert sh(host, "ls", "-A", "/var/lib/ceph/mon", "/var/lib/ceph/osd").split() == [
        "/var/lib/ceph/mon:",
        "/var/lib/ceph/osd:",
    ]
