"""
openstack_image.present/absent: the pure validation and plan of the execution module, the
states' branches on a mocked API in both modes (`testmode`): bad arguments before any call,
create, converge, formats refused, image references (missing, and made by an earlier state of
the same test run through `__running__`), the source checked only for an upload, failures
reported. Then the module's `upload` against an in-memory Glance (real `stacksalt_openstack`
request path, fake proxy): the half-made image is deleted whatever step fails, the data PUT is
never repeated, a source that cannot be fetched makes no image.
"""

import hashlib
import json
import socket
import uuid
from unittest.mock import MagicMock

import pytest
import requests
from salt.exceptions import CommandExecutionError, MinionError, SaltInvocationError

pytestmark = pytest.mark.unit

KERNEL_ID = "5d1e8f0a-0f3c-4a7e-9c52-1f1f1f1f1f01"
RAMDISK_ID = "5d1e8f0a-0f3c-4a7e-9c52-1f1f1f1f1f02"
IMAGE_ID = "5d1e8f0a-0f3c-4a7e-9c52-1f1f1f1f1f03"
HASH = "ab" * 64


def _live(image_id=IMAGE_ID, name="ironic-image", status="active", **fields):
    image = {
        "id": image_id,
        "name": name,
        "status": status,
        "disk_format": "qcow2",
        "container_format": "bare",
        "visibility": "private",
        "min_disk": 0,
        "min_ram": 0,
        "size": 1024,
        "checksum": "c" * 32,
        "os_hash_algo": "sha512",
        "os_hash_value": HASH,
        "protected": False,
        "properties": {},
    }
    image.update(fields)
    return image


KERNEL = _live(KERNEL_ID, "deploy-kernel", disk_format="aki", container_format="aki")
RAMDISK = _live(RAMDISK_ID, "deploy-ramdisk", disk_format="ari", container_format="ari")
REFS = {"kernel_id": {"image": "deploy-kernel"}, "ramdisk_id": {"image": "deploy-ramdisk"}}


def _expected(result, comment, changes=None, name="ironic-image"):
    return {"name": name, "result": result, "changes": changes or {}, "comment": comment}


@pytest.fixture
def module(salt_loader):
    return salt_loader.module("openstack_image", salt={"config.get": MagicMock(return_value={})})


def _spec(**fields):
    spec = {
        "name": "ironic-image",
        "source": "/srv/images/ironic.qcow2",
        "disk_format": "qcow2",
        "container_format": "bare",
        "visibility": "private",
        "min_disk": None,
        "min_ram": None,
        "properties": None,
    }
    spec.update(fields)
    return spec


# ---------------------------------------------------------------------------------------------
# validate_present, references
# ---------------------------------------------------------------------------------------------


def test_the_ironic_images_are_valid(module):
    assert (
        module.validate_present(_spec(name="deploy-kernel", disk_format="aki", container_format="aki")) == []
    )
    assert (
        module.validate_present(
            _spec(source="salt://ironic/ipa.initramfs", disk_format="ari", container_format="ari")
        )
        == []
    )
    assert (
        module.validate_present(
            _spec(source="https://images.example.org/x.qcow2", min_disk=10, properties=REFS)
        )
        == []
    )
    assert module.validate_present(_spec(properties={"kernel_id": KERNEL_ID, "os_distro": "ubuntu"})) == []


def test_validate_names_every_bad_argument(module):
    errors = module.validate_present(
        {
            "name": "",
            "source": "images/ironic.qcow2",
            "disk_format": "qcow",
            "container_format": "bar",
            "visibility": "everyone",
            "min_disk": -1,
            "min_ram": "512",
            "properties": {"kernel_id": "deploy-kernel", "hw_cpu_socket": 2},
            "propertes": {},
        },
        where="openstack:images:ironic-image",
    )
    assert errors == [
        "openstack:images:ironic-image:propertes: unknown argument (did you mean 'properties'?)",
        "openstack:images:ironic-image:name: must be a non-empty string of at most 255 characters",
        "openstack:images:ironic-image:source: must be an absolute path, a salt:// URL or an http(s) URL, "
        "got 'images/ironic.qcow2'",
        "openstack:images:ironic-image:disk_format: must be one of ami, ari, aki, vhd, vhdx, vmdk, raw, qcow2, "
        "vdi, iso, ploop, got 'qcow' (did you mean 'qcow2'?)",
        "openstack:images:ironic-image:container_format: must be one of ami, ari, aki, bare, ovf, ova, docker, "
        "compressed, got 'bar' (did you mean 'bare'?)",
        "openstack:images:ironic-image:visibility: must be one of public, private, shared, community, "
        "got 'everyone'",
        "openstack:images:ironic-image:min_disk: must be a whole number of GB (0 or more), got -1",
        "openstack:images:ironic-image:min_ram: must be a whole number of MB (0 or more), got '512'",
        "openstack:images:ironic-image:properties:kernel_id: must be an image id (a UUID) or {image: NAME}, "
        "got 'deploy-kernel'",
        "openstack:images:ironic-image:properties:hw_cpu_socket: is not an image property Nova knows "
        "(did you mean 'hw_cpu_sockets'?)",
    ]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"source": None}, "source: is required: an absolute path, a salt:// URL or an http(s) URL"),
        ({"source": "salt://ironic/"}, "source: must name a file on the fileserver (salt://path/to/image)"),
        ({"source": "https:///x.qcow2"}, "source: must be an http(s) URL with a host"),
        (
            {"disk_format": "aki", "container_format": "bare"},
            "container_format: bare with disk_format aki: Glance takes aki, ari and ami only as both formats "
            "(disk_format: aki with container_format: aki)",
        ),
        ({"min_disk": True}, "min_disk: must be a whole number of GB (0 or more), got True"),
        ({"properties": ["kernel_id"]}, "properties: must be a mapping of property names to values"),
        (
            {"properties": {"kernel_id": {"image": ""}}},
            "properties:kernel_id:image: must be the name or id of an image (1 to 255 characters)",
        ),
        (
            {"properties": {"hw_cpu_cores": {"image": "x"}}},
            "properties:hw_cpu_cores: takes a value Nova reads, not an image reference",
        ),
        (
            {"properties": {"kernel_id": {"name": "x"}}},
            "properties:kernel_id: must be a single value or an image reference {image: NAME}",
        ),
        (
            {"properties": {"status": {"image": "x"}}},
            "properties:status: is a Glance attribute, not a property this state sets",
        ),
    ],
)
def test_validate_one_error(module, fields, error):
    assert module.validate_present(_spec(**fields)) == [f"image:{error}"]


def test_a_url_with_credentials_is_never_echoed(module):
    errors = module.validate_present(_spec(source="https://user:s3cret@/x.qcow2"))
    assert errors == ["image:source: must be an http(s) URL with a host"]


def test_references(module):
    assert module.references(dict(REFS, os_distro="ubuntu")) == {
        "kernel_id": "deploy-kernel",
        "ramdisk_id": "deploy-ramdisk",
    }
    assert module.references(None) == {}


# ---------------------------------------------------------------------------------------------
# plan_present
# ---------------------------------------------------------------------------------------------

RESOLVED = {"kernel_id": KERNEL_ID, "ramdisk_id": RAMDISK_ID}


def test_plan_create_with_references_resolved(module):
    spec = _spec(min_disk=10, properties=dict(REFS, os_distro="ubuntu"))
    item = module.plan_present(spec, None, RESOLVED)
    created = {
        "disk_format": "qcow2",
        "container_format": "bare",
        "visibility": "private",
        "min_disk": 10,
        "properties": {"os_distro": "ubuntu", "kernel_id": KERNEL_ID, "ramdisk_id": RAMDISK_ID},
    }
    assert item == {
        "action": "create",
        "changes": {"created": created},
        "comment": "",
        "create": created,
        "update": None,
    }


def test_plan_create_without_properties(module):
    item = module.plan_present(_spec(), None)
    assert item["changes"] == {
        "created": {"disk_format": "qcow2", "container_format": "bare", "visibility": "private"}
    }
    assert item["create"]["properties"] is None


@pytest.mark.parametrize("status", ["queued", "killed"])
def test_plan_replaces_an_image_without_data(module, status):
    item = module.plan_present(_spec(), _live(status=status, size=None))
    assert item["action"] == "replace"
    assert item["changes"] == {
        "replaced": {"id": IMAGE_ID, "status": status},
        "created": {"disk_format": "qcow2", "container_format": "bare", "visibility": "private"},
    }


def test_plan_refuses_an_image_being_uploaded(module):
    item = module.plan_present(_spec(), _live(status="saving"))
    assert item["action"] == "refuse" and item["changes"] == {}
    assert item["comment"] == (
        f"Image 'ironic-image' ({IMAGE_ID}) is saving: run the state again once it is active (a glance-api that "
        "died during the upload leaves it so: remove it with openstack_image.absent); nothing was changed"
    )
    assert (
        "present keeps active images"
        in module.plan_present(_spec(), _live(status="pending_delete"))["comment"]
    )


def test_plan_refuses_other_formats(module):
    item = module.plan_present(_spec(disk_format="raw", visibility="public"), _live())
    assert item["action"] == "refuse" and item["changes"] == {} and item["update"] is None
    assert item["comment"] == (
        "Image 'ironic-image' differs in disk_format: qcow2 -> raw, which Glance cannot change once the data "
        "is uploaded: upload the new image under a new name (or remove this one with openstack_image.absent "
        "first); nothing was changed"
    )
    both = module.plan_present(_spec(disk_format="aki", container_format="aki"), _live())
    assert "disk_format: qcow2 -> aki; container_format: bare -> aki" in both["comment"]


def test_plan_update_in_place(module):
    live = _live(
        visibility="private",
        min_disk=5,
        properties={"kernel_id": "old-kernel", "os_distro": "ubuntu", "site": "x"},
    )
    spec = _spec(visibility="public", min_disk=5, min_ram=2048, properties=dict(REFS, os_distro="ubuntu"))
    item = module.plan_present(spec, live, RESOLVED)
    assert item["action"] == "update"
    assert item["changes"] == {
        "visibility": {"old": "private", "new": "public"},
        "min_ram": {"old": 0, "new": 2048},
        "properties": {
            "kernel_id": {"old": "old-kernel", "new": KERNEL_ID},
            "ramdisk_id": {"old": None, "new": RAMDISK_ID},
        },
    }
    assert item["update"] == {
        "visibility": "public",
        "min_ram": 2048,
        "properties": {"kernel_id": KERNEL_ID, "ramdisk_id": RAMDISK_ID},
    }


def test_plan_nothing_to_do_leaves_unset_fields(module):
    live = _live(min_disk=40, min_ram=4096, status="deactivated", properties={"recommended": "true"})
    item = module.plan_present(_spec(properties={"recommended": True}), live)
    assert item == {"action": "none", "changes": {}, "comment": "", "create": None, "update": None}


def test_plan_needs_every_reference_resolved(module):
    with pytest.raises(SaltInvocationError, match="no id given for the image references of ramdisk_id"):
        module.plan_present(_spec(properties=REFS), None, {"kernel_id": KERNEL_ID})


# ---------------------------------------------------------------------------------------------
# the states on a mocked API
# ---------------------------------------------------------------------------------------------


def _made(**fields):
    return _live(image_id="5d1e8f0a-0f3c-4a7e-9c52-1f1f1f1f1f99", size=4096, **fields)


@pytest.fixture
def execution(module):
    """The module's own validate, references, plan and warnings; Glance has the deploy kernel and
    ramdisk but not the instance image; writes succeed."""
    images = {"deploy-kernel": KERNEL, "deploy-ramdisk": RAMDISK}
    return {
        "openstack_image.plan": module.plan,
        "openstack_image.validate_present": module.validate_present,
        "openstack_image.references": module.references,
        "openstack_image.plan_present": module.plan_present,
        "openstack_image.warnings": module.warnings,
        "openstack_image.find": MagicMock(side_effect=lambda name, cloud=None: images.get(name)),
        "openstack_image.check_source": MagicMock(return_value=None),
        "openstack_image.upload": MagicMock(return_value=_made()),
        "openstack_image.update": MagicMock(return_value=_live()),
        "openstack_image.delete": MagicMock(return_value=True),
    }


WRITES = ("openstack_image.upload", "openstack_image.update", "openstack_image.delete")


def _writes(execution):
    return [k for k in WRITES if execution[k].called]


@pytest.fixture
def state(salt_loader, execution, testmode):
    return salt_loader.state("openstack_image", salt=execution, opts={"test": testmode})


ARGS = {"name": "ironic-image", "source": "/srv/images/ironic.qcow2", "min_disk": 10}


def test_bad_arguments_fail_before_any_call(state, execution):
    ret = state.present(
        "ironic-image",
        source="ironic.qcow2",
        disk_format="qcow3",
        properties={"ramdisk_id": "deploy-ramdisk"},
        pillar_key="openstack:images:ironic-image",
    )
    assert ret == _expected(
        False,
        "Invalid image arguments, nothing was changed:\n"
        "  - openstack:images:ironic-image:source: must be an absolute path, a salt:// URL or an http(s) URL, "
        "got 'ironic.qcow2'\n"
        "  - openstack:images:ironic-image:disk_format: must be one of ami, ari, aki, vhd, vhdx, vmdk, raw, "
        "qcow2, vdi, iso, ploop, got 'qcow3' (did you mean 'qcow2'?)\n"
        "  - openstack:images:ironic-image:properties:ramdisk_id: must be an image id (a UUID) or "
        "{image: NAME}, got 'deploy-ramdisk'",
    )
    execution["openstack_image.find"].assert_not_called()
    execution["openstack_image.check_source"].assert_not_called()


def test_a_missing_image_is_uploaded(state, execution, testmode):
    ret = state.present(properties=dict(REFS, os_distro="ubuntu"), **ARGS)
    created = {
        "disk_format": "qcow2",
        "container_format": "bare",
        "visibility": "private",
        "min_disk": 10,
        "properties": {"os_distro": "ubuntu", "kernel_id": KERNEL_ID, "ramdisk_id": RAMDISK_ID},
    }
    execution["openstack_image.check_source"].assert_called_once_with(
        "/srv/images/ironic.qcow2", saltenv="base"
    )
    upload = execution["openstack_image.upload"]
    if testmode:
        assert ret == _expected(None, "Image 'ironic-image' would be uploaded", {"created": created})
        assert not _writes(execution)
        return
    made = _made()
    assert ret == _expected(
        True,
        f"Image 'ironic-image' uploaded (id {made['id']})",
        {"created": dict(created, id=made["id"], size=4096)},
    )
    upload.assert_called_once_with(
        "ironic-image", "/srv/images/ironic.qcow2", cloud=None, saltenv="base", **created
    )


def test_a_missing_source_fails_in_both_modes(state, execution):
    execution[
        "openstack_image.check_source"
    ].return_value = "source /srv/images/ironic.qcow2 does not exist or is not a file"
    ret = state.present(**ARGS)
    assert ret == _expected(
        False,
        "openstack_image:ironic-image:source: source /srv/images/ironic.qcow2 does not exist or is not a "
        "file; nothing was changed",
    )
    assert not _writes(execution)


def test_an_http_source_is_not_fetched_in_test_mode(state, execution, testmode):
    ret = state.present(name="ironic-image", source="https://images.example.org/ironic.qcow2")
    if testmode:
        assert ret["result"] is None
        assert (
            ret["comment"]
            == "Image 'ironic-image' would be uploaded (an http(s) source is fetched by a real run only)"
        )
    else:
        assert ret["result"] is True and ret["comment"].startswith("Image 'ironic-image' uploaded (id ")


def test_an_existing_image_is_never_uploaded_again(state, execution):
    execution["openstack_image.find"].side_effect = None
    execution["openstack_image.find"].return_value = _live(min_disk=10)
    # the source is gone: it is read only for an upload
    execution["openstack_image.check_source"].return_value = "source gone"
    ret = state.present(**ARGS)
    assert ret == _expected(
        True,
        f"Image 'ironic-image' is in the desired state (1024 bytes, sha512 {HASH[:16]}...; its content is not "
        "compared with the source)",
    )
    execution["openstack_image.check_source"].assert_not_called()
    assert not _writes(execution)


def test_attributes_and_properties_converge_in_place(state, execution, testmode):
    live = _live(min_disk=10, properties={"kernel_id": "0ld", "os_distro": "ubuntu"})
    execution["openstack_image.find"].side_effect = lambda name, cloud=None: {
        "ironic-image": live,
        "deploy-kernel": KERNEL,
        "deploy-ramdisk": RAMDISK,
    }[name]
    ret = state.present(visibility="public", properties=REFS, **ARGS)
    changes = {
        "visibility": {"old": "private", "new": "public"},
        "properties": {
            "kernel_id": {"old": "0ld", "new": KERNEL_ID},
            "ramdisk_id": {"old": None, "new": RAMDISK_ID},
        },
    }
    facts = f"(1024 bytes, sha512 {HASH[:16]}...; its content is not compared with the source)"
    update = execution["openstack_image.update"]
    if testmode:
        assert ret == _expected(None, f"Image 'ironic-image' would be updated {facts}", changes)
        update.assert_not_called()
        return
    assert ret == _expected(True, f"Image 'ironic-image' updated {facts}", changes)
    update.assert_called_once_with(
        IMAGE_ID,
        cloud=None,
        visibility="public",
        properties={"kernel_id": KERNEL_ID, "ramdisk_id": RAMDISK_ID},
    )
    assert _writes(execution) == ["openstack_image.update"]


def test_other_formats_are_refused_in_both_modes(state, execution):
    execution["openstack_image.find"].side_effect = None
    execution["openstack_image.find"].return_value = _live()
    ret = state.present(disk_format="raw", visibility="public", **ARGS)
    assert ret["result"] is False and ret["changes"] == {}
    assert ret["comment"].startswith(
        "Image 'ironic-image' differs in disk_format: qcow2 -> raw, which Glance"
    )
    assert not _writes(execution)


def test_a_missing_referenced_image_names_the_property(state, execution):
    ret = state.present(
        properties={"kernel_id": {"image": "nokernel"}}, pillar_key="openstack:images:x", **ARGS
    )
    assert ret == _expected(
        False,
        "openstack:images:x:properties:kernel_id: no image 'nokernel' in Glance (ensure it with "
        "openstack_image.present before this state: require it); nothing was changed",
    )
    assert not _writes(execution)


def test_a_referenced_image_that_is_not_active(state, execution):
    execution["openstack_image.find"].side_effect = lambda name, cloud=None: (
        dict(KERNEL, status="queued") if name == "deploy-kernel" else None
    )
    ret = state.present(properties={"kernel_id": {"image": "deploy-kernel"}}, **ARGS)
    assert ret["result"] is False and ret["comment"] == (
        "openstack_image:ironic-image:properties:kernel_id: image 'deploy-kernel' is queued, not active; "
        "nothing was changed"
    )


def _earlier(name, result, changes):
    tag = f"openstack_image_|-openstack-image-{name}_|-{name}_|-present"
    return {tag: {"name": name, "result": result, "changes": changes, "comment": ""}}


def test_a_reference_to_an_image_an_earlier_state_would_create(state, execution, testmode):
    execution["openstack_image.find"].side_effect = lambda name, cloud=None: None  # a fresh cloud
    created = {"disk_format": "aki", "container_format": "aki", "visibility": "private"}
    state.__running__ = {
        **_earlier("deploy-kernel", None, {"created": created}),
        # an earlier state that changes nothing does not make the ramdisk
        **_earlier("deploy-ramdisk", True, {}),
    }
    ret = state.present(properties={"kernel_id": {"image": "deploy-kernel"}}, **ARGS)
    if testmode:
        assert ret == _expected(
            None,
            "Image 'ironic-image' would be uploaded (image 'deploy-kernel' of kernel_id would be created by an "
            "earlier state of this run)",
            {
                "created": {
                    "disk_format": "qcow2",
                    "container_format": "bare",
                    "visibility": "private",
                    "min_disk": 10,
                    "properties": {"kernel_id": "(the id of image 'deploy-kernel')"},
                }
            },
        )
    else:  # a real run looks only at Glance: the earlier state would have made it
        assert ret["result"] is False
        assert "properties:kernel_id: no image 'deploy-kernel' in Glance" in ret["comment"]
    ret = state.present(properties={"ramdisk_id": {"image": "deploy-ramdisk"}}, **ARGS)
    assert ret["result"] is False and "properties:ramdisk_id: no image 'deploy-ramdisk'" in ret["comment"]
    assert not _writes(execution)


def test_glance_failing_is_reported(state, execution, testmode):
    execution["openstack_image.find"].side_effect = CommandExecutionError(
        "reading image 'ironic-image': HTTP 503: Service Unavailable"
    )
    ret = state.present(**ARGS)
    assert ret == _expected(
        False,
        "Could not read Image 'ironic-image': reading image 'ironic-image': HTTP 503: Service Unavailable; "
        "nothing was changed",
    )
    execution["openstack_image.find"].side_effect = lambda name, cloud=None: None
    execution["openstack_image.upload"].side_effect = CommandExecutionError(
        "uploading the data of image 'ironic-image': HTTP 415: does not match (the half-made image x was deleted)"
    )
    ret = state.present(**ARGS)
    if testmode:
        assert ret["result"] is None
    else:
        assert ret == _expected(
            False,
            "Image 'ironic-image' could not be uploaded: uploading the data of image 'ironic-image': HTTP 415: "
            "does not match (the half-made image x was deleted)",
        )


def test_an_image_without_data_is_replaced(state, execution, testmode):
    execution["openstack_image.find"].side_effect = None
    execution["openstack_image.find"].return_value = _live(status="queued", size=None)
    ret = state.present(**ARGS)
    replaced = {"id": IMAGE_ID, "status": "queued"}
    created = {"disk_format": "qcow2", "container_format": "bare", "visibility": "private", "min_disk": 10}
    if testmode:
        assert ret == _expected(
            None,
            "Image 'ironic-image' would be deleted (no data) and uploaded again",
            {"replaced": replaced, "created": created},
        )
        assert not _writes(execution)
        return
    assert ret["result"] is True
    assert ret["changes"] == {"replaced": replaced, "created": dict(created, id=_made()["id"], size=4096)}
    assert _writes(execution) == ["openstack_image.upload", "openstack_image.delete"]
    execution["openstack_image.delete"].assert_called_once_with(IMAGE_ID, cloud=None)
    # the upload fails after the delete: the delete is reported
    execution["openstack_image.upload"].side_effect = CommandExecutionError(
        "uploading image 'ironic-image': x"
    )
    ret = state.present(**ARGS)
    assert ret == _expected(
        False,
        "Image 'ironic-image' could not be deleted (no data) and uploaded again: uploading image "
        f"'ironic-image': x (the image {IMAGE_ID} without data is deleted: run the state again)",
        {"replaced": replaced},
    )


def test_a_windows_image_with_only_os_type_is_warned(state, execution):
    ret = state.present(properties={"os_type": "windows"}, **ARGS)
    assert ret["result"] is not False
    assert len(ret["warnings"]) == 1 and "set os_distro: windows too" in ret["warnings"][0]


def test_absent(state, execution, testmode):
    execution["openstack_image.find"].side_effect = None
    execution["openstack_image.find"].return_value = KERNEL
    ret = state.absent("deploy-kernel")
    changes = {"deleted": {"id": KERNEL_ID, "status": "active", "disk_format": "aki", "size": 1024}}
    if testmode:
        assert ret == _expected(None, "Image 'deploy-kernel' would be deleted", changes, name="deploy-kernel")
        assert not _writes(execution)
    else:
        assert ret == _expected(True, "Image 'deploy-kernel' deleted", changes, name="deploy-kernel")
        execution["openstack_image.delete"].assert_called_once_with(KERNEL_ID, cloud=None)
    execution["openstack_image.find"].return_value = dict(KERNEL, protected=True)
    ret = state.absent("deploy-kernel")
    assert ret["result"] is False and ret["comment"] == (
        f"Image 'deploy-kernel' ({KERNEL_ID}) is protected: Glance refuses to delete it (set protected: false "
        "first); nothing was changed"
    )
    execution["openstack_image.find"].return_value = None
    assert state.absent("deploy-kernel") == _expected(
        True, "Image 'deploy-kernel' is already absent", name="deploy-kernel"
    )


# ---------------------------------------------------------------------------------------------
# upload against an in-memory Glance
# ---------------------------------------------------------------------------------------------


def _response(status, body=None):
    resp = requests.Response()
    resp.status_code = status
    resp._content = json.dumps(body).encode() if body is not None else b""
    resp.headers["Content-Type"] = "application/json"
    resp.url = "http://glance.test/v2/images"
    resp.request = requests.Request("GET", resp.url).prepare()
    return resp


class FakeGlance:
    """Glance v2's image calls that find/upload/update/delete make, in memory, each recorded.
    ``put_status``: the data PUT answers that status (storing nothing); ``lost``: Glance keeps
    that many bytes fewer than it was sent."""

    def __init__(self):
        self.images = {}
        self.calls = []
        self.put_status = None
        self.lost = 0
        self.sent = None

    def request(self, url, method, microversion=None, raise_exc=False, **kwargs):
        self.calls.append((method, url, {k: v for k, v in kwargs.items() if k.endswith("retries")}))
        parts = url.strip("/").split("/")
        assert len(parts) <= 2 or parts[2:] == ["file"], f"not a Glance image URL: {url}"
        image = self.images.get(parts[1]) if len(parts) > 1 else None
        if method == "GET" and len(parts) == 1:
            name = (kwargs.get("params") or {}).get("name")
            return _response(200, {"images": [i for i in self.images.values() if i["name"] == name]})
        if method == "POST":
            image = {"id": str(uuid.uuid4()), "status": "queued", "size": None, "min_disk": 0, "min_ram": 0}
            image.update({"visibility": "shared", "protected": False, **kwargs["json"]})
            self.images[image["id"]] = image
            return _response(201, image)
        if image is None:
            return _response(404, {"message": "Not Found"})
        if method == "GET":
            return _response(200, image)
        if method == "PUT":
            self.sent = kwargs["data"].read()
            if self.put_status:
                return _response(self.put_status, {"message": "refused"})
            image.update(status="active", size=len(self.sent) - self.lost, os_hash_algo="sha512")
            image["os_hash_value"] = hashlib.sha512(self.sent).hexdigest()
            return _response(204)
        if method == "PATCH":
            for op in kwargs["json"]:
                image[op["path"].lstrip("/")] = op["value"]
            return _response(200, image)
        if method == "DELETE":
            del self.images[image["id"]]
            return _response(204)
        raise AssertionError(f"unexpected call {method} {url}")


@pytest.fixture
def glance():
    return FakeGlance()


@pytest.fixture
def cp():
    return {"cp.cache_file": MagicMock(return_value=False), "cp.hash_file": MagicMock(return_value={})}


@pytest.fixture
def api(salt_loader, glance, cp):
    module = salt_loader.module("openstack_image", salt={"config.get": MagicMock(return_value={}), **cp})
    conn = MagicMock()
    conn.image = glance
    module._conn = lambda cloud=None: conn
    return module


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "ipa.kernel"
    path.write_bytes(b"kernel" * 1000)
    return str(path)


def test_upload_makes_the_record_then_sends_the_data_once(api, glance, source):
    glance.images[KERNEL_ID] = dict(KERNEL, properties=None)
    made = api.upload(
        "ironic-image",
        source,
        disk_format="raw",
        min_ram=512,
        properties={"kernel_id": {"image": "deploy-kernel"}, "hw_qemu_guest_agent": True},
    )
    assert made["status"] == "active" and made["size"] == 6000 and made["min_ram"] == 512
    assert made["properties"] == {"kernel_id": KERNEL_ID, "hw_qemu_guest_agent": "true"}
    assert glance.sent == b"kernel" * 1000
    put = [c for c in glance.calls if c[0] == "PUT"]
    assert put == [("PUT", f"/images/{made['id']}/file", {"connect_retries": 0, "status_code_retries": 0})]
    assert [c[0] for c in glance.calls] == ["GET", "GET", "GET", "GET", "POST", "PUT", "GET"]


@pytest.mark.parametrize(
    ("status", "reason"),
    [(415, "HTTP 415: refused"), (503, "HTTP 503: refused")],
    ids=["format-refused", "unavailable-not-repeated"],
)
def test_a_failed_data_upload_leaves_no_image(api, glance, source, status, reason):
    glance.put_status = status
    with pytest.raises(CommandExecutionError) as info:
        api.upload("ironic-image", source)
    (deleted,) = [c[1] for c in glance.calls if c[0] == "DELETE"]
    image_id = deleted.rsplit("/", 1)[1]
    assert str(info.value) == (
        f"uploading the data of image 'ironic-image': {reason} (the half-made image {image_id} was deleted)"
    )
    assert glance.images == {}
    assert [c[0] for c in glance.calls].count("PUT") == 1


def test_a_short_store_is_an_error_and_leaves_no_image(api, glance, source):
    glance.lost = 10
    with pytest.raises(
        CommandExecutionError, match=r"Glance holds 5990 bytes of image .*, the source 6000 \(the half-made"
    ):
        api.upload("ironic-image", source)
    assert glance.images == {}


def test_an_interrupted_upload_leaves_no_image(api, glance, source):
    api._wait_active = MagicMock(side_effect=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        api.upload("ironic-image", source)
    assert glance.images == {} and [c[0] for c in glance.calls][-1] == "DELETE"


def test_a_source_that_vanished_makes_no_image(api, glance, cp, tmp_path):
    with pytest.raises(CommandExecutionError, match=r"source .*/gone.qcow2 does not exist or is not a file"):
        api.upload("ironic-image", str(tmp_path / "gone.qcow2"))
    with pytest.raises(
        CommandExecutionError, match=r"^source salt://ironic/gone.qcow2 could not be fetched$"
    ):
        api.upload("ironic-image", "salt://ironic/gone.qcow2")
    cp["cp.cache_file"].assert_called_once_with("salt://ironic/gone.qcow2", saltenv=None)
    assert glance.images == {} and "POST" not in [c[0] for c in glance.calls]


def test_a_fetched_source_is_uploaded_and_a_url_password_is_masked(api, glance, cp, source):
    cp["cp.cache_file"].return_value = source
    assert (
        api.upload("deploy-kernel", "salt://ironic/ipa.kernel", disk_format="aki", container_format="aki")[
            "size"
        ]
        == 6000
    )
    cp["cp.cache_file"].side_effect = MinionError(
        "Error: HTTP 404: Not Found reading https://user:s3cret@images.example.org/x.qcow2"
    )
    with pytest.raises(CommandExecutionError) as info:
        api.upload("other", "https://user:s3cret@images.example.org/x.qcow2")
    assert "s3cret" not in str(info.value)
    assert str(info.value).startswith("source https://user:")


def test_upload_refuses_a_name_in_use_and_update_patches(api, glance, source):
    made = api.upload("ironic-image", source, disk_format="raw")
    with pytest.raises(CommandExecutionError, match=r"image 'ironic-image' exists already \("):
        api.upload("ironic-image", source, disk_format="raw")
    patched = api.update(made["id"], visibility="public", min_disk=3, properties={"os_distro": "ubuntu"})
    assert patched["visibility"] == "public" and patched["min_disk"] == 3
    assert patched["properties"]["os_distro"] == "ubuntu"
    with pytest.raises(SaltInvocationError, match="visibility: must be one of"):
        api.update(made["id"], visibility="everyone")
    assert api.delete("ironic-image") is True and api.delete("ironic-image") is False


def test_find_by_a_name_that_is_no_url_path(api, glance, source):
    made = api.upload("ironic/image 2026?", source, disk_format="raw")
    assert api.find("ironic/image 2026?")["id"] == made["id"]
    assert ("GET", "/images/ironic%2Fimage%202026%3F", {"status_code_retries": 0}) in glance.calls


def test_check_source(api, cp, source, tmp_path):
    assert api.check_source(source) is None
    assert api.check_source(str(tmp_path)) == f"source {tmp_path} does not exist or is not a file"
    assert (
        api.check_source("salt://ironic/none")
        == "source salt://ironic/none is not on the fileserver (saltenv base)"
    )
    cp["cp.hash_file"].return_value = {"hsum": "x", "hash_type": "sha256"}
    assert api.check_source("salt://ironic/ipa.kernel", saltenv="dev") is None
    cp["cp.hash_file"].assert_called_with("salt://ironic/ipa.kernel", saltenv="dev")
    assert api.check_source("https://images.example.org/x.qcow2") is None


def test_a_glance_that_is_down_is_a_command_error_at_the_edge(salt_loader):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = {"auth_type": "none", "image_endpoint_override": f"http://127.0.0.1:{port}", "connect_retries": 0}
    config = {"openstack": {"cloud": "down-image", "clouds": {"down-image": down}}}
    module = salt_loader.module("openstack_image", salt={"config.get": lambda key, default=None: config[key]})
    for call in (lambda: module.find("deploy-kernel"), lambda: module.delete("deploy-kernel")):
        with pytest.raises(CommandExecutionError) as info:
            call()
        assert str(info.value).startswith("looking up image 'deploy-kernel' in Glance: "), str(info.value)
    assert module.upload.stacksalt_edge == "uploading image '{name}'"
