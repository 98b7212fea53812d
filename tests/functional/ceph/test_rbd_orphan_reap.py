"""
glance_rbd_image against the real single-host Ceph and Glance: an import that fails after its
RBD image was created, and whose rollback cannot remove that image, leaves an orphan marked
``stacksalt.in_flight``; the next run reaps it before importing (test=True says so first), and
an RBD image without the mark is never touched.

The faults come from an `rbd` wrapper on PATH (as in test_glance_rbd_import.py): `snap protect`
fails with EIO and `rm` with EBUSY (an image with watchers), for the first run only.
"""

import json
import os
import subprocess

import pytest

pytestmark = [pytest.mark.functional, pytest.mark.timeout(600)]

FAULTY_RBD = """#!/bin/bash
for a in "$@"; do
  case $a in
    protect) echo "rbd: protecting snap failed: (5) Input/output error" >&2; exit 1 ;;
    rm) echo "rbd: error: image still has watchers" >&2; exit 16 ;;
  esac
done
exec /usr/bin/rbd "$@"
"""


def sh(*cmd):
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True).stdout  # noqa: S603


def rbd(ceph_cluster, *args):
    return sh("rbd", "--conf", ceph_cluster["conf"], *args)


def rbd_ls(ceph_cluster):
    return set(json.loads(rbd(ceph_cluster, "ls", "images", "--format", "json")))


def image_meta(ceph_cluster, image):
    return json.loads(rbd(ceph_cluster, "image-meta", "list", f"images/{image}", "--format", "json") or "{}")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("orphan-src") / "small.qcow2"
    sh("qemu-img", "create", "-q", "-f", "qcow2", str(path), str(16 << 20))
    sh("qemu-io", "-f", "qcow2", "-c", "write -P 0x3c 0 65536", str(path))
    return path


def present(states, name, source, **kwargs):
    return states.glance_rbd_image.present(name=name, source=str(source), **kwargs)


def glance_ids(modules, name):
    found = modules.glance_rbd_image.find(name=name)
    return [found["id"]] if found else []


def test_orphan_of_a_failed_rollback_is_reaped_by_the_next_run(
    states, modules, ceph_cluster, source, tmp_path, monkeypatch
):
    name = "func-orphan"
    before = rbd_ls(ceph_cluster)
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "rbd").write_text(FAULTY_RBD)
    (fake / "rbd").chmod(0o755)
    with monkeypatch.context() as m:
        m.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
        failed = present(states, name, source)
    assert failed.result is False
    assert "rollback" in failed.comment and "ALSO failed" in failed.comment, failed.comment
    assert "reaps it" in failed.comment
    orphans = rbd_ls(ceph_cluster) - before
    assert len(orphans) == 1, orphans
    orphan = orphans.pop()
    assert image_meta(ceph_cluster, orphan) == {"stacksalt.in_flight": f"glance_rbd_image {orphan}"}
    assert glance_ids(modules, name) == []

    planned = present(states, name, source, test=True)
    assert planned.result is None and planned.changes["reaped"] == [orphan]
    assert orphan in rbd_ls(ceph_cluster)  # test=True removed nothing

    ret = present(states, name, source)
    assert ret.result is True, ret.comment
    assert ret.changes["reaped"] == [orphan]
    new_id = ret.changes["new"]["id"]
    assert new_id == planned.changes["new"]["id"]  # test=True named the id the run used
    assert rbd_ls(ceph_cluster) == before | {new_id}  # the orphan is gone, nothing else left
    assert glance_ids(modules, name) == [new_id]
    assert image_meta(ceph_cluster, new_id) == {}  # the finished import is no longer in flight
    assert modules.glance_rbd_image.orphans(name) == []

    again = present(states, name, source)
    assert again.result is True and again.changes == {}
    modules.glance_rbd_image.delete(new_id)


def test_an_unmarked_image_with_a_derived_id_is_not_reaped(states, modules, ceph_cluster, source):
    """Only the module's in-flight mark makes an image debris: someone's own image stays."""
    name = "func-orphan-unmarked"
    theirs = modules.glance_rbd_image.planned_id(name)
    rbd(ceph_cluster, "create", "--size", "4M", f"images/{theirs}")
    try:
        assert modules.glance_rbd_image.orphans(name) == []
        ret = present(states, name, source)
        assert ret.result is True, ret.comment
        assert "reaped" not in ret.changes
        assert ret.changes["new"]["id"] != theirs
        assert theirs in rbd_ls(ceph_cluster)
        modules.glance_rbd_image.delete(ret.changes["new"]["id"])
    finally:
        rbd(ceph_cluster, "rm", "--no-progress", f"images/{theirs}")
