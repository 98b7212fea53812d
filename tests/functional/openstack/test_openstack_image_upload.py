"""
openstack_image.present/absent against the session's real Glance (file store, its format
inspection on): Ironic's deploy kernel (aki, from a salt:// source), deploy ramdisk (ari, from
an absolute path) and an instance image (a real qcow2 made by qemu-img, from an http URL served
by the test) whose kernel_id/ramdisk_id name the other two. test=True on a fresh cloud plans
the three uploads (the instance image's references to images the same run makes included) and
changes nothing; the real run uploads them (the data Glance holds is the source's, byte for
byte); a second run and test=True change nothing. A failed upload leaves no image: a missing or
vanished source, a URL that answers 404, content that is not the declared format (Glance
refuses it after the record exists). A changed property and attributes are patched in place, the
image kept; other formats are refused; an image left without data is replaced; absent.
"""

import functools
import hashlib
import http.server
import subprocess
import threading

import pytest
import yaml
from saltfactories.utils.functional import Loaders

from tests.functional.openstack.conftest import minion_opts

pytestmark = pytest.mark.functional

PREFIX = "func-upload-"
KERNEL, RAMDISK, IMAGE = f"{PREFIX}deploy-kernel", f"{PREFIX}deploy-ramdisk", f"{PREFIX}ironic-image"
#: Glance's format inspection finds no disk format in these: aki/ari take them as they are.
KERNEL_DATA = b"stacksalt functional deploy kernel\n" * 2000
RAMDISK_DATA = b"stacksalt functional deploy ramdisk\n" * 3000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The sources: salt://ironic/ipa.kernel in a file root of the test's own, the ramdisk and a
    64 MiB (virtual) qcow2 on local disk, and an http server on loopback serving the qcow2."""
    root = tmp_path_factory.mktemp("image-sources")
    (root / "fileroot" / "ironic").mkdir(parents=True)
    (root / "fileroot" / "ironic" / "ipa.kernel").write_bytes(KERNEL_DATA)
    (root / "ipa.initramfs").write_bytes(RAMDISK_DATA)
    (root / "www").mkdir()
    qcow2 = root / "www" / "ironic-image.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(qcow2), "64M"], check=True, timeout=60)  # noqa: S603, S607
    (root / "raw.img").write_bytes(b"\0" * 65536)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {
        "root": root,
        "kernel": "salt://ironic/ipa.kernel",
        "ramdisk": str(root / "ipa.initramfs"),
        "qcow2": qcow2,
        "image": f"http://127.0.0.1:{server.server_address[1]}/ironic-image.qcow2",
        "missing_url": f"http://127.0.0.1:{server.server_address[1]}/gone.qcow2",
        "raw": str(root / "raw.img"),
    }
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def loaders(tmp_path_factory, cloud_config, files):
    """The conftest's loaders with the test's own file root (for the salt:// source)."""
    extra = {
        "openstack": {"cloud": "admin", "clouds": cloud_config},
        "file_roots": {"base": [str(files["root"] / "fileroot")]},
    }
    return Loaders(minion_opts(tmp_path_factory.mktemp("loaders"), extra))


def _ours(conn):
    return [i for i in conn.image.images() if i.name and i.name.startswith(PREFIX)]


def _remove_ours(conn):
    for image in _ours(conn):
        conn.image.delete_image(image, ignore_missing=True)


@pytest.fixture(autouse=True)
def no_test_images(compute_conn):
    """Every test starts and ends without the test's images (also against reused services)."""
    _remove_ours(compute_conn)
    yield
    _remove_ours(compute_conn)


def _raw(conn, name):
    """The image as Glance returns it (by name, through the tests' own connection), or None."""
    found = conn.image.get("/images", params={"name": name}).json()["images"]
    assert len(found) <= 1, found
    return found[0] if found else None


def _sls(files):
    return f"""
openstack-image-deploy-kernel:
  openstack_image.present:
    - name: {KERNEL}
    - source: {files["kernel"]}
    - disk_format: aki
    - container_format: aki
    - visibility: public

openstack-image-deploy-ramdisk:
  openstack_image.present:
    - name: {RAMDISK}
    - source: {files["ramdisk"]}
    - disk_format: ari
    - container_format: ari
    - visibility: public

openstack-image-ironic-image:
  openstack_image.present:
    - name: {IMAGE}
    - source: {files["image"]}
    - disk_format: qcow2
    - min_disk: 1
    - properties:
        kernel_id: {{image: {KERNEL}}}
        ramdisk_id: {{image: {RAMDISK}}}
        os_distro: ubuntu
        hw_qemu_guest_agent: true
    - require:
      - openstack_image: openstack-image-deploy-kernel
      - openstack_image: openstack-image-deploy-ramdisk
"""


@pytest.fixture
def run_sls(modules):
    """Run SLS text as one state run (``state.high``: ``__running__`` as in a real state.apply)."""

    def run(text, test=False):
        high = {}
        for state_id, body in yaml.safe_load(text).items():
            ((function, args),) = body.items()
            module, fun = function.split(".")
            high[state_id] = {module: [fun, *args], "__env__": "base", "__sls__": "func_image_upload"}
        return {r.state_id.split("_|-")[1]: r for r in modules.state.high(high, test=test)}

    return run


def test_the_ironic_images_uploaded_then_unchanged(run_sls, compute_conn, files):
    sls = _sls(files)
    planned = run_sls(sls, test=True)
    kernel, ramdisk, image = (
        planned[f"openstack-image-{n}"] for n in ("deploy-kernel", "deploy-ramdisk", "ironic-image")
    )
    assert kernel.result is None and ramdisk.result is None and image.result is None, image.comment
    assert kernel.changes == {
        "created": {"disk_format": "aki", "container_format": "aki", "visibility": "public"}
    }
    assert ramdisk.changes == {
        "created": {"disk_format": "ari", "container_format": "ari", "visibility": "public"}
    }
    wanted = {
        "disk_format": "qcow2",
        "container_format": "bare",
        "visibility": "private",
        "min_disk": 1,
        "properties": {
            "os_distro": "ubuntu",
            "hw_qemu_guest_agent": "true",
            "kernel_id": f"(the id of image '{KERNEL}')",
            "ramdisk_id": f"(the id of image '{RAMDISK}')",
        },
    }
    assert image.changes == {"created": wanted}
    assert image.comment == (
        f"Image '{IMAGE}' would be uploaded (image '{KERNEL}' of kernel_id would be created by an earlier state "
        f"of this run; image '{RAMDISK}' of ramdisk_id would be created by an earlier state of this run; an "
        "http(s) source is fetched by a real run only)"
    )
    assert _ours(compute_conn) == []

    done = run_sls(sls)
    for state_id, ret in done.items():
        assert ret.result is True, f"{state_id}: {ret.comment}"
    made = {name: _raw(compute_conn, name) for name in (KERNEL, RAMDISK, IMAGE)}
    sizes = {KERNEL: len(KERNEL_DATA), RAMDISK: len(RAMDISK_DATA), IMAGE: files["qcow2"].stat().st_size}
    for (state_id, ret), name in zip(sorted(done.items()), (KERNEL, RAMDISK, IMAGE), strict=True):
        created = planned[state_id].changes["created"]
        if name == IMAGE:
            created = dict(
                created,
                properties=dict(
                    created["properties"], kernel_id=made[KERNEL]["id"], ramdisk_id=made[RAMDISK]["id"]
                ),
            )
        assert ret.changes == {"created": dict(created, id=made[name]["id"], size=sizes[name])}, state_id
        assert ret.comment == f"Image '{name}' uploaded (id {made[name]['id']})"
        assert made[name]["status"] == "active" and made[name]["size"] == sizes[name]
    # what Glance holds, read back independently
    assert made[IMAGE]["kernel_id"] == made[KERNEL]["id"] and made[IMAGE]["ramdisk_id"] == made[RAMDISK]["id"]
    assert made[IMAGE]["os_distro"] == "ubuntu" and made[IMAGE]["hw_qemu_guest_agent"] == "true"
    assert made[IMAGE]["min_disk"] == 1 and made[IMAGE]["visibility"] == "private"
    assert made[KERNEL]["disk_format"] == "aki" and made[KERNEL]["container_format"] == "aki"
    assert made[KERNEL]["visibility"] == "public" and made[RAMDISK]["disk_format"] == "ari"
    assert made[IMAGE]["virtual_size"] == 64 * 1024 * 1024  # Glance read it as the qcow2 it is
    sources = {KERNEL: KERNEL_DATA, RAMDISK: RAMDISK_DATA, IMAGE: files["qcow2"].read_bytes()}
    for name, data in sources.items():
        assert made[name]["os_hash_algo"] == "sha512"
        assert made[name]["os_hash_value"] == hashlib.sha512(data).hexdigest(), name
    assert compute_conn.image.get(f"/images/{made[KERNEL]['id']}/file").content == KERNEL_DATA

    # a second run and test=True on the converged cloud: nothing, and nothing uploaded again
    for test in (False, True):
        for state_id, ret in run_sls(sls, test=test).items():
            assert ret.result is True and ret.changes == {}, f"{state_id}: {ret.comment}"
            assert "is in the desired state" in ret.comment and "sha512 " in ret.comment
    assert {n: _raw(compute_conn, n)["id"] for n in made} == {n: made[n]["id"] for n in made}


def test_a_failed_upload_leaves_no_image(states, compute_conn, files, tmp_path):
    for test in (True, False):
        ret = states.openstack_image.present(name=IMAGE, source=str(tmp_path / "none.qcow2"), test=test)
        assert ret.result is False and ret.changes == {}
        assert ret.comment == (
            f"openstack_image:{IMAGE}:source: source {tmp_path / 'none.qcow2'} does not exist or is not a file; "
            "nothing was changed"
        )
        ret = states.openstack_image.present(
            name=KERNEL,
            source="salt://ironic/none.kernel",
            disk_format="aki",
            container_format="aki",
            test=test,
        )
        assert ret.result is False
        assert ret.comment == (
            f"openstack_image:{KERNEL}:source: source salt://ironic/none.kernel is not on the fileserver "
            "(saltenv base); nothing was changed"
        )
    # a URL that answers 404: known only by fetching, so in the real run, before any image is made
    ret = states.openstack_image.present(name=IMAGE, source=files["missing_url"])
    assert ret.result is False and ret.changes == {}
    assert ret.comment.startswith(
        f"Image '{IMAGE}' could not be uploaded: source {files['missing_url']} could not be fetched"
    )
    # a source that vanishes between the plan and the run
    vanishing = tmp_path / "vanishing.img"
    vanishing.write_bytes(b"\0" * 4096)
    planned = states.openstack_image.present(name=IMAGE, source=str(vanishing), disk_format="raw", test=True)
    assert planned.result is None, planned.comment
    vanishing.unlink()
    ret = states.openstack_image.present(name=IMAGE, source=str(vanishing), disk_format="raw")
    assert ret.result is False and "does not exist or is not a file" in ret.comment
    assert _ours(compute_conn) == []
    # data that is not the declared format: Glance refuses it once the record exists; the record goes
    ret = states.openstack_image.present(name=IMAGE, source=files["raw"], disk_format="qcow2")
    assert ret.result is False and ret.changes == {}
    assert ret.comment.startswith(
        f"Image '{IMAGE}' could not be uploaded: uploading the data of image '{IMAGE}': HTTP 415: "
    )
    assert "Image disk_format qcow2 does not match stream data raw" in ret.comment
    assert ret.comment.endswith(" was deleted)")
    half_made = ret.comment.rsplit("the half-made image ", 1)[1].split()[0]
    assert compute_conn.image.find_image(half_made) is None
    assert _ours(compute_conn) == []
    # and the next run, with the right content, repairs it
    ret = states.openstack_image.present(name=IMAGE, source=str(files["qcow2"]), disk_format="qcow2")
    assert ret.result is True and ret.changes["created"]["size"] == files["qcow2"].stat().st_size


def test_a_changed_property_is_patched_in_place(states, compute_conn, files):
    args = {
        "name": IMAGE,
        "source": files["raw"],
        "disk_format": "raw",
        "properties": {"os_distro": "ubuntu"},
    }
    assert states.openstack_image.present(**args).result is True
    before = _raw(compute_conn, IMAGE)
    compute_conn.image.update_image(before["id"], site_owner="imaging-team")  # set outside the state
    changed = dict(
        args, visibility="shared", min_ram=512, properties={"os_distro": "debian", "recommended": True}
    )
    planned = states.openstack_image.present(test=True, **changed)
    assert planned.result is None
    assert planned.changes == {
        "visibility": {"old": "private", "new": "shared"},
        "min_ram": {"old": 0, "new": 512},
        "properties": {
            "os_distro": {"old": "ubuntu", "new": "debian"},
            "recommended": {"old": None, "new": "true"},
        },
    }
    assert _raw(compute_conn, IMAGE)["os_distro"] == "ubuntu"
    ret = states.openstack_image.present(**changed)
    assert ret.result is True and ret.changes == planned.changes, ret.comment
    after = _raw(compute_conn, IMAGE)
    assert after["id"] == before["id"] and after["os_hash_value"] == before["os_hash_value"]
    assert after["os_distro"] == "debian" and after["recommended"] == "true"
    assert after["visibility"] == "shared" and after["min_ram"] == 512
    assert after["site_owner"] == "imaging-team"  # not listed: untouched
    for test in (False, True):
        assert states.openstack_image.present(test=test, **changed).changes == {}
    # another format: refused in both modes, nothing changed
    for test in (True, False):
        ret = states.openstack_image.present(
            test=test, **dict(changed, disk_format="qcow2", visibility="public")
        )
        assert ret.result is False and ret.changes == {}
        assert ret.comment.startswith(
            f"Image '{IMAGE}' differs in disk_format: raw -> qcow2, which Glance cannot change"
        )
    assert _raw(compute_conn, IMAGE)["visibility"] == "shared"


def test_an_image_left_without_data_is_replaced(states, compute_conn, files):
    left = compute_conn.image.create_image(name=IMAGE, disk_format="raw", container_format="bare")
    assert compute_conn.image.get_image(left.id).status == "queued"
    planned = states.openstack_image.present(name=IMAGE, source=files["raw"], disk_format="raw", test=True)
    created = {"disk_format": "raw", "container_format": "bare", "visibility": "private"}
    assert planned.result is None
    assert planned.changes == {"replaced": {"id": left.id, "status": "queued"}, "created": created}
    ret = states.openstack_image.present(name=IMAGE, source=files["raw"], disk_format="raw")
    assert ret.result is True, ret.comment
    new = _raw(compute_conn, IMAGE)
    assert new["id"] != left.id and new["status"] == "active"
    assert ret.changes == dict(planned.changes, created=dict(created, id=new["id"], size=65536))
    assert compute_conn.image.find_image(left.id) is None


def test_absent(states, compute_conn, files):
    assert states.openstack_image.present(
        name=KERNEL, source=files["ramdisk"], disk_format="aki", container_format="aki"
    ).result
    kernel = _raw(compute_conn, KERNEL)
    planned = states.openstack_image.absent(name=KERNEL, test=True)
    changes = {
        "deleted": {"id": kernel["id"], "status": "active", "disk_format": "aki", "size": len(RAMDISK_DATA)}
    }
    assert planned.result is None and planned.changes == changes
    assert _raw(compute_conn, KERNEL) is not None
    ret = states.openstack_image.absent(name=KERNEL)
    assert ret.result is True and ret.changes == changes
    assert _raw(compute_conn, KERNEL) is None
    for test in (False, True):
        again = states.openstack_image.absent(name=KERNEL, test=test)
        assert (
            again.result is True
            and again.changes == {}
            and again.comment == f"Image '{KERNEL}' is already absent"
        )
