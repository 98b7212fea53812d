"""
salt/ceph/files/osd-create.sh (the script the ceph.osd state runs) against a real Ceph: a failed
OSD creation is undone or resumed, never left as an orphan id, and a re-run ends with exactly one
OSD for the device.

The faults are real: a block file too small for bluestore (its mkfs aborts) that the operator
then grows; an OSD registered with a key that is lost (what a killed run, or this script before
it kept the key, left behind); an OSD whose run died before its cleanup.

Own cluster (lab/services/ceph/ceph-svc, one OSD): the test OSDs change the CRUSH map, so they
stay away from the session cluster. The host has no systemd: the one test-only difference from a
formula host is ``systemctl`` (a stand-in on PATH that starts ``ceph-osd@ID`` as a daemon and
answers ``is-active``), written by the ``cluster`` fixture below.
"""

import json
import os
import pathlib
import subprocess
import time
import uuid

import pytest

from tests.functional.ceph import services

pytestmark = [pytest.mark.functional, pytest.mark.timeout(600)]

SCRIPT = services.REPO / "salt" / "ceph" / "files" / "osd-create.sh"
SIZE = "20G"

SYSTEMCTL = """#!/bin/sh
# Test-only stand-in for systemd (this host has none): ceph-osd@ID as a plain daemon.
unit=$(for a in "$@"; do case $a in ceph-osd@*) echo "${a#ceph-osd@}";; esac; done)
case $1 in
  enable) exec ceph-osd -i "$unit" ;;
  is-active) pid=$(cat "$OSD_RUN_DIR/osd.$unit.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null ;;
  *) echo "systemctl stand-in: $* not supported" >&2; exit 1 ;;
esac
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    workdir = services._workdir("ceph-osd-retry")
    try:
        services.run([str(services.CEPH_SVC), "up", str(workdir), "--pools", "rbdtest"], 300)
        env = services.read_env(workdir / "env")
        boot = workdir / "bootstrap-osd.keyring"
        admin(
            env,
            "auth",
            "get-or-create",
            "client.bootstrap-osd",
            "mon",
            "allow profile bootstrap-osd",
            "-o",
            boot,
        )
        shim = tmp_path_factory.mktemp("shim")
        (shim / "systemctl").write_text(SYSTEMCTL)
        (shim / "systemctl").chmod(0o755)
        run_env = dict(
            os.environ,
            CEPH_CONF=env["CEPH_CONF"],
            OSD_RUN_DIR=str(workdir / "run"),
            PATH=f"{shim}:{os.environ['PATH']}",
        )
        yield {"dir": workdir, "env": env, "boot": boot, "run_env": run_env}
    finally:
        services.run([str(services.CEPH_SVC), "down", str(workdir)], 120)


def admin(env, *args):
    cmd = ["ceph", "--conf", env["CEPH_CONF"], "--connect-timeout", "30", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout  # noqa: S603


def osds(cluster):
    return json.loads(admin(cluster["env"], "osd", "dump", "-f", "json"))["osds"]


def tree_ids(cluster):
    """Every OSD id `ceph osd tree` shows, in the CRUSH tree or stray."""
    tree = json.loads(admin(cluster["env"], "osd", "tree", "-f", "json"))
    return sorted(n["id"] for n in tree["nodes"] + tree.get("stray", []) if n["id"] >= 0)


def data_dir(cluster, osd_id):
    return cluster["dir"] / f"osd.{osd_id}"


def create(cluster, dev_uuid, block, marker):
    """The script with the arguments the ceph.osd state gives it (the user is root here)."""
    cmd = [
        "sh",
        str(SCRIPT),
        "ceph",
        dev_uuid,
        "file",
        str(block),
        SIZE,
        str(cluster["boot"]),
        "root",
        str(marker),
    ]
    return subprocess.run(
        cmd, capture_output=True, text=True, env=cluster["run_env"], timeout=300, check=False
    )  # noqa: S603


def with_uuid(cluster, dev_uuid):
    return [o for o in osds(cluster) if o["uuid"] == dev_uuid]


def wait_up(cluster, osd_id, timeout=120):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(o["osd"] == osd_id and o["up"] for o in osds(cluster)):
            return
        time.sleep(0.5)
    raise AssertionError(f"osd.{osd_id} not up after {timeout}s: {osds(cluster)}")


def assert_one_osd_up(cluster, dev_uuid, marker, before_ids):
    proc_id = int(marker.read_text())
    found = with_uuid(cluster, dev_uuid)
    assert [o["osd"] for o in found] == [proc_id]
    wait_up(cluster, proc_id)
    # No orphan: the cluster holds the OSDs it had plus this one, and nothing else.
    assert tree_ids(cluster) == sorted({*before_ids, proc_id})
    assert not pathlib.Path(f"{marker}.key").exists()
    return proc_id


def test_failed_mkfs_is_undone_and_a_rerun_makes_one_osd(cluster, tmp_path):
    dev_uuid, marker, block = str(uuid.uuid4()), tmp_path / "marker", tmp_path / "block"
    before = tree_ids(cluster)
    block.write_bytes(b"\0" * (1 << 20))  # a device too small for bluestore: mkfs aborts
    first = create(cluster, dev_uuid, block, marker)
    assert first.returncode != 0, first.stdout
    assert "the OSD id, its data dir and its key were removed" in first.stderr, first.stderr
    assert with_uuid(cluster, dev_uuid) == []
    assert tree_ids(cluster) == before
    assert not marker.exists() and not pathlib.Path(f"{marker}.key").exists()
    assert not any(data_dir(cluster, i).exists() for i in range(max(before) + 1, max(before) + 4))

    subprocess.run(["truncate", "-s", SIZE, str(block)], check=True)  # the operator fixes the device
    second = create(cluster, dev_uuid, block, marker)
    assert second.returncode == 0, second.stderr
    assert_one_osd_up(cluster, dev_uuid, marker, before)


def test_an_osd_registered_with_a_lost_key_is_replaced(cluster, tmp_path):
    """What the script left before it kept the key: `osd new` done, key gone, a half data dir."""
    dev_uuid, marker, block = str(uuid.uuid4()), tmp_path / "marker", tmp_path / "block"
    before = tree_ids(cluster)
    lost_key = subprocess.run(
        ["ceph-authtool", "--gen-print-key"], capture_output=True, text=True, check=True
    )
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"cephx_secret": lost_key.stdout.strip()}))
    orphan = int(admin(cluster["env"], "osd", "new", dev_uuid, "-i", secret))
    data_dir(cluster, orphan).mkdir()
    (data_dir(cluster, orphan) / "fsid").write_text("stale half-made data dir\n")

    proc = create(cluster, dev_uuid, block, marker)
    assert proc.returncode == 0, proc.stderr
    assert f"osd.{orphan} holds uuid {dev_uuid} but never booted" in proc.stderr
    osd_id = assert_one_osd_up(cluster, dev_uuid, marker, before)
    assert osd_id == orphan  # the purged id is the lowest free one again


def test_a_run_that_died_before_its_cleanup_is_resumed_with_its_key(cluster, tmp_path):
    """The key kept in MARKER.key lets the next run take over the same id."""
    dev_uuid, marker, block = str(uuid.uuid4()), tmp_path / "marker", tmp_path / "block"
    before = tree_ids(cluster)
    key = subprocess.run(["ceph-authtool", "--gen-print-key"], capture_output=True, text=True, check=True)
    pathlib.Path(f"{marker}.key").write_text(key.stdout)
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"cephx_secret": key.stdout.strip()}))
    registered = int(admin(cluster["env"], "osd", "new", dev_uuid, "-i", secret))
    data_dir(cluster, registered).mkdir()

    proc = create(cluster, dev_uuid, block, marker)
    assert proc.returncode == 0, proc.stderr
    assert "never booted" not in proc.stderr  # nothing was purged: the same key got the same id
    assert assert_one_osd_up(cluster, dev_uuid, marker, before) == registered
