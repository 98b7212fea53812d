"""
glance_rbd_image.present against a real single-host Ceph and a real Keystone + Glance (rbd
store): content equality, protected snapshot, location + active, idempotence, exact test=True,
injected failures leave nothing behind, clear errors.
"""

import hashlib
import http.server
import json
import os
import shutil
import subprocess
import threading

import openstack
import pytest

pytestmark = [pytest.mark.functional, pytest.mark.timeout(600)]

VIRTUAL = 64 * 1024 * 1024


def sh(*cmd, **kw):
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True, **kw).stdout


def make_qcow2(path, pattern_writes):
    """A sparse qcow2 with data written at given (offset, length, byte) spots."""
    sh("qemu-img", "create", "-q", "-f", "qcow2", str(path), str(VIRTUAL))
    for offset, length, byte in pattern_writes:
        sh("qemu-io", "-f", "qcow2", "-c", f"write -P {byte} {offset} {length}", str(path))
    return path


def raw_sha256(qcow2, tmp_path):
    raw = tmp_path / (qcow2.name + ".raw")
    sh("qemu-img", "convert", "-f", "qcow2", "-O", "raw", str(qcow2), str(raw))
    digest = hashlib.sha256()
    with open(raw, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    raw.unlink()
    return digest.hexdigest()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("src")
    return make_qcow2(
        tmp / "cirros-like.qcow2", [(0, 65536, "0x11"), (8 << 20, 3 << 20, "0xab"), (60 << 20, 4096, "0x5c")]
    )


@pytest.fixture(scope="module")
def conn(openstack_cloud, cloud_config):
    return openstack.connect(load_yaml_config=False, load_envvars=False, **cloud_config["admin"])


def rbd_ls(ceph_cluster, pool="images"):
    return set(json.loads(sh("rbd", "--conf", ceph_cluster["conf"], "ls", pool, "--format", "json")))


def glance_names(conn):
    return {img.name for img in conn.image.images()}


def rbd_snaps(ceph_cluster, spec):
    return json.loads(sh("rbd", "--conf", ceph_cluster["conf"], "snap", "ls", spec, "--format", "json"))


def present(states, name, source, **kwargs):
    kwargs.setdefault("properties", {"os_distro": "cirros", "hw_disk_bus": "scsi"})
    return states.glance_rbd_image.present(name=name, source=str(source), **kwargs)


def test_import_content_snapshot_location_active(states, modules, conn, ceph_cluster, source, tmp_path):
    ret = present(states, "func-basic", source)
    assert ret.result is True, ret.comment
    new = ret.changes["new"]
    image_id = new["id"]
    assert new["location"] == f"rbd://{ceph_cluster['fsid']}/images/{image_id}/snap"
    # Data: the RBD image (and its snapshot) equal the source's raw content, byte for byte.
    expected = raw_sha256(source, tmp_path)
    assert modules.rbd_image.export_sha256("images", image_id) == expected
    assert modules.rbd_image.export_sha256("images", image_id, snap="snap") == expected
    snaps = rbd_snaps(ceph_cluster, f"images/{image_id}")
    assert [(s["name"], s["protected"]) for s in snaps] == [("snap", "true")]
    # Glance: same id, raw/bare, active, the rbd location, the properties.
    img = conn.image.get_image(image_id)
    assert (img.name, img.status, img.disk_format, img.container_format) == (
        "func-basic",
        "active",
        "raw",
        "bare",
    )
    assert img.direct_url == new["location"]
    assert img.size == VIRTUAL
    raw = conn.image.get(f"/images/{image_id}").json()
    assert (raw["os_distro"], raw["hw_disk_bus"]) == ("cirros", "scsi")


def test_reapply_is_a_no_op(states, source):
    first = present(states, "func-idem", source)
    assert first.result is True, first.comment
    second = present(states, "func-idem", source)
    assert second.result is True, second.comment
    assert second.changes == {}


def test_test_mode_is_exact(states, conn, ceph_cluster, source):
    before_rbd, before_glance = rbd_ls(ceph_cluster), glance_names(conn)
    planned = present(states, "func-testmode", source, visibility="shared", min_disk=1, test=True)
    assert planned.result is None, planned.comment
    # Nothing was touched by the plan.
    assert rbd_ls(ceph_cluster) == before_rbd and glance_names(conn) == before_glance
    applied = present(states, "func-testmode", source, visibility="shared", min_disk=1)
    assert applied.result is True, applied.comment
    assert applied.changes == planned.changes
    # A property change: planned exactly, then applied, then nothing left to do.
    planned = present(
        states,
        "func-testmode",
        source,
        visibility="shared",
        min_disk=1,
        properties={"os_distro": "debian"},
        test=True,
    )
    assert planned.result is None
    assert planned.changes == {"old": {"os_distro": "cirros"}, "new": {"os_distro": "debian"}}
    applied = present(
        states, "func-testmode", source, visibility="shared", min_disk=1, properties={"os_distro": "debian"}
    )
    assert applied.result is True and applied.changes == planned.changes
    again = present(
        states, "func-testmode", source, visibility="shared", min_disk=1, properties={"os_distro": "debian"}
    )
    assert again.result is True and again.changes == {}


def test_unprotected_snapshot_is_repaired(states, ceph_cluster, source):
    ret = present(states, "func-protect", source)
    assert ret.result is True, ret.comment
    image_id = ret.changes["new"]["id"]
    sh("rbd", "--conf", ceph_cluster["conf"], "snap", "unprotect", f"images/{image_id}@snap")
    ret = present(states, "func-protect", source)
    assert ret.result is True, ret.comment
    assert ret.changes == {
        "old": {"snapshot": {"name": "snap", "protected": False}},
        "new": {"snapshot": {"name": "snap", "protected": True}},
    }
    assert rbd_snaps(ceph_cluster, f"images/{image_id}")[0]["protected"] == "true"


# --- sources ------------------------------------------------------------------------------


def test_http_source(states, modules, source, tmp_path):
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=str(source.parent), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{source.name}"
        ret = present(states, "func-http", url)
    finally:
        server.shutdown()
    assert ret.result is True, ret.comment
    assert modules.rbd_image.export_sha256("images", ret.changes["new"]["id"]) == raw_sha256(source, tmp_path)


def test_salt_source(states, modules, source, salt_files, tmp_path):
    (salt_files / "images").mkdir(exist_ok=True)
    shutil.copy(source, salt_files / "images" / source.name)
    ret = present(states, "func-saltsrc", f"salt://images/{source.name}")
    assert ret.result is True, ret.comment
    assert modules.rbd_image.export_sha256("images", ret.changes["new"]["id"]) == raw_sha256(source, tmp_path)


# --- injected failures: nothing left behind -------------------------------------------------


def fake_bin(tmp_path, name, script):
    fake = tmp_path / "fakebin"
    fake.mkdir(exist_ok=True)
    path = fake / name
    path.write_text("#!/bin/bash\n" + script)
    path.chmod(0o755)
    return str(fake)


def assert_nothing_left(conn, ceph_cluster, name, before_rbd):
    assert name not in glance_names(conn)
    assert rbd_ls(ceph_cluster) == before_rbd


@pytest.mark.parametrize(
    "binary,script,message",
    [
        (
            "rbd",
            'for a in "$@"; do [ "$a" = protect ] && { echo "rbd: protecting snap failed: (5) Input/output error" >&2; exit 1; }; done\n'
            'exec /usr/bin/rbd "$@"\n',
            "protect",
        ),
        (
            "rbd",
            'case "$*" in *"snap create"*) echo "rbd: failed to create snapshot: (28) No space left on device" >&2; exit 1 ;; esac\n'
            'exec /usr/bin/rbd "$@"\n',
            "No space left",
        ),
        (
            # qemu-img writes part of the data, then dies: the partial RBD image must go.
            "qemu-img",
            'if [ "$1" = convert ]; then /usr/bin/qemu-img "$@" >/dev/null; echo "qemu-img: error while writing sector 4096: Input/output error" >&2; exit 1; fi\n'
            'exec /usr/bin/qemu-img "$@"\n',
            "Input/output error",
        ),
    ],
    ids=["snap-protect", "snap-create", "qemu-convert"],
)
def test_failed_step_rolls_back(
    states, conn, ceph_cluster, source, tmp_path, monkeypatch, binary, script, message
):
    before = rbd_ls(ceph_cluster)
    monkeypatch.setenv("PATH", fake_bin(tmp_path, binary, script) + os.pathsep + os.environ["PATH"])
    name = f"func-fail-{binary}-{len(message)}"
    ret = present(states, name, source)
    assert ret.result is False
    assert "rolled back" in ret.comment and message in ret.comment, ret.comment
    assert_nothing_left(conn, ceph_cluster, name, before)


def test_glance_location_failure_rolls_back(states, conn, ceph_cluster, source, monkeypatch):
    before = rbd_ls(ceph_cluster)

    def refuse(self, image, url, **kwargs):
        raise openstack.exceptions.HttpException("injected: 500 Internal Server Error from Glance")

    monkeypatch.setattr("openstack.image.v2._proxy.Proxy.add_image_location", refuse)
    ret = present(states, "func-fail-location", source)
    assert ret.result is False
    assert "rolled back" in ret.comment and "injected" in ret.comment, ret.comment
    assert_nothing_left(conn, ceph_cluster, "func-fail-location", before)


def test_killed_import_leftover_is_replaced(states, modules, conn, ceph_cluster, source, tmp_path):
    """A run killed after creating the queued Glance image and part of the RBD data."""
    leftover = modules.glance_rbd_image.planned_id("func-leftover")
    conn.image.create_image(name="func-leftover", id=leftover, disk_format="raw", container_format="bare")
    sh("rbd", "--conf", ceph_cluster["conf"], "create", "--size", "4M", f"images/{leftover}")
    ret = present(states, "func-leftover", source)
    assert ret.result is True, ret.comment
    assert ret.changes["removed_leftover"] == leftover
    new_id = ret.changes["new"]["id"]
    assert new_id != leftover
    assert leftover not in rbd_ls(ceph_cluster)
    assert [i.id for i in conn.image.images() if i.name == "func-leftover"] == [new_id]
    assert modules.rbd_image.export_sha256("images", new_id) == raw_sha256(source, tmp_path)


# --- clear errors, nothing created ---------------------------------------------------------


def test_missing_pool(states, conn, ceph_cluster, source):
    before = rbd_ls(ceph_cluster)
    ret = present(states, "func-nopool", source, pool="no-such-pool")
    assert ret.result is False
    assert "pool does not exist" in ret.comment, ret.comment
    assert_nothing_left(conn, ceph_cluster, "func-nopool", before)


def test_missing_caps(states, conn, ceph_cluster, source):
    before = rbd_ls(ceph_cluster)
    ret = present(states, "func-nocaps", source, user="nocaps")
    assert ret.result is False
    assert "lacks the caps" in ret.comment, ret.comment
    assert_nothing_left(conn, ceph_cluster, "func-nocaps", before)


def test_caps_for_another_pool_only(states, conn, ceph_cluster, source):
    """client.glance may write `images` only: importing into `volumes` fails cleanly."""
    before = rbd_ls(ceph_cluster, "volumes")
    ret = present(states, "func-wrongpool", source, pool="volumes")
    assert ret.result is False
    assert "lacks the caps" in ret.comment, ret.comment
    assert "func-wrongpool" not in glance_names(conn)
    assert rbd_ls(ceph_cluster, "volumes") == before


def test_qemu_without_rbd_driver(states, conn, ceph_cluster, source, tmp_path, monkeypatch):
    before = rbd_ls(ceph_cluster)
    script = 'if [ "$1" = --help ]; then /usr/bin/qemu-img --help | sed "s/ rbd//"; exit 0; fi\nexec /usr/bin/qemu-img "$@"\n'
    monkeypatch.setenv("PATH", fake_bin(tmp_path, "qemu-img", script) + os.pathsep + os.environ["PATH"])
    ret = present(states, "func-noblock", source)
    assert ret.result is False
    assert "qemu-block-extra" in ret.comment, ret.comment
    assert_nothing_left(conn, ceph_cluster, "func-noblock", before)


def test_missing_source(states, conn, tmp_path):
    ret = present(states, "func-nosource", tmp_path / "nope.qcow2")
    assert ret.result is False
    assert "does not exist" in ret.comment
    assert "func-nosource" not in glance_names(conn)


def test_progress_events_on_the_bus(loaders, modules, source):
    """import_qcow2 reports progress on salt/stacksalt/rbd_image/progress, ending with done."""
    events = []

    def fire(data, tag):
        events.append((tag, data))
        return True

    original = loaders.modules["event.fire"]
    loaders.modules["event.fire"] = fire
    try:
        ret = modules.rbd_image.import_qcow2(str(source), "images", "func-progress", progress_step=1)
    finally:
        loaders.modules["event.fire"] = original
        modules.rbd_image.remove("images", "func-progress")
    assert ret["size"] == VIRTUAL
    assert events, "no progress event"
    assert {tag for tag, _ in events} == {"salt/stacksalt/rbd_image/progress"}
    assert events[-1][1]["done"] is True and events[-1][1]["percent"] == 100.0
    percents = [data["percent"] for _, data in events]
    assert percents == sorted(percents)


# --- existing images that do not match: reported, never silently replaced --------------------


def test_existing_non_raw_image_is_reported_not_replaced(states, conn, source):
    img = conn.image.create_image(
        name="func-uploaded-qcow2",
        filename=str(source),
        disk_format="qcow2",
        container_format="bare",
        wait=True,
    )
    ret = present(states, "func-uploaded-qcow2", source)
    assert ret.result is False
    assert "disk_format is qcow2, not raw" in ret.comment and "does not replace" in ret.comment, ret.comment
    assert conn.image.get_image(img.id).status == "active"


def test_missing_snapshot_is_reported(states, ceph_cluster, source):
    ret = present(states, "func-nosnap", source)
    assert ret.result is True, ret.comment
    image_id = ret.changes["new"]["id"]
    conf = ceph_cluster["conf"]
    sh("rbd", "--conf", conf, "snap", "unprotect", f"images/{image_id}@snap")
    sh("rbd", "--conf", conf, "snap", "rm", "--no-progress", f"images/{image_id}@snap")
    ret = present(states, "func-nosnap", source)
    assert ret.result is False
    assert f"images/{image_id}@snap is missing" in ret.comment, ret.comment


def test_image_references_are_the_named_images_ids(states, conn, ceph_cluster, source, tmp_path):
    kernel = tmp_path / "kernel"
    kernel.write_bytes(b"k" * 4096)
    aki = conn.image.create_image(
        name="func-ref-kernel", filename=str(kernel), disk_format="aki", container_format="aki", wait=True
    )
    refs = {"kernel_id": {"image": "func-ref-kernel"}, "os_distro": "debian"}
    planned = present(states, "func-ref", source, properties=refs, test=True)
    assert planned.result is None, planned.comment
    ret = present(states, "func-ref", source, properties=refs)
    assert ret.result is True, ret.comment
    assert ret.changes == planned.changes
    image = conn.image.get(f"/images/{ret.changes['new']['id']}").json()  # Glance's flat JSON
    assert image["kernel_id"] == aki.id and image["os_distro"] == "debian", image
    again = present(states, "func-ref", source, properties=refs)
    assert again.result is True and again.changes == {}, again


def test_a_missing_reference_or_a_bad_property_changes_nothing(states, conn, ceph_cluster, source):
    before_rbd, before_glance = rbd_ls(ceph_cluster), glance_names(conn)
    ret = present(
        states,
        "func-badref",
        source,
        properties={"ramdisk_id": {"image": "func-no-such-ramdisk"}},
        pillar_key="openstack:images:func-badref",
    )
    assert ret.result is False
    assert (
        "openstack:images:func-badref:properties:ramdisk_id: no image 'func-no-such-ramdisk'" in ret.comment
    )
    ret = present(states, "func-badprop", source, properties={"hw_disk_bus": "floppy-tape"})
    assert ret.result is False and "nothing was changed" in ret.comment, ret.comment
    assert "hw_disk_bus" in ret.comment, ret.comment
    ret = present(states, "func-badformat", source, source_format="vmdk")
    assert ret.result is False and "qcow2 or raw" in ret.comment, ret.comment
    assert rbd_ls(ceph_cluster) == before_rbd and glance_names(conn) == before_glance
