"""
The exact JSON Patch documents the modules send: Glance's image PATCH
(``application/openstack-images-v2.1-json-patch``) and Ironic's node PATCH. They are built by
hand, op by op, from the keys the state compares (see the module docstrings for why not
``jsonpatch.make_patch``): each test pins the request body a service gets.
"""

import jsonpatch
import pytest

from tests.support.loader import load, utils_dunder

pytestmark = pytest.mark.unit

IMAGE_ID = "5f0c3a51-7c0e-4a53-9d62-0b1c1a4f7a11"
KERNEL_ID = "0b8f7f9e-2c9b-4a52-8c0c-0c5b3d0d9a01"
#: The ops Glance (images v2.1 JSON Patch) and Ironic (node PATCH) take: no move, copy or test.
SERVICE_OPS = {"add", "remove", "replace"}


class Answer:
    """What the modules read of a service's answer: its status and JSON body."""

    def __init__(self, body, status_code=200):
        self.body, self.status_code = body, status_code

    def json(self):
        return self.body


class Recorder:
    """A service proxy that answers GETs from ``objects`` (by path: an image by id or by name) and
    records every other request with its JSON body and content type."""

    default_microversion = "1.78"

    def __init__(self, objects):
        self.objects = objects
        self.writes = []

    def request(self, url, method, microversion=None, raise_exc=False, **kwargs):
        if method == "GET":
            return Answer(self.objects[url.split("?")[0]])
        self.writes.append(
            (method, url, kwargs.get("json"), (kwargs.get("headers") or {}).get("Content-Type"))
        )
        return Answer(self.objects.get(url) or {})


class Conn:
    def __init__(self, proxy):
        self.image = self.baremetal = proxy


# ---------------------------------------------------------------------------------------------
# Glance
# ---------------------------------------------------------------------------------------------


def _image(properties=None, **fields):
    raw = {"id": IMAGE_ID, "name": "win2022", "status": "active", "visibility": "private"}
    raw.update(disk_format="qcow2", container_format="bare", min_disk=0, min_ram=0, **fields)
    raw.update(properties or {})
    return raw


@pytest.fixture
def glance():
    kernel = dict(_image(), id=KERNEL_ID, name="deploy-kernel", disk_format="aki")
    images = {
        f"/images/{IMAGE_ID}": _image({"os_type": "linux", "recommended": "false", "old": "x"}),
        "/images/deploy-kernel": kernel,
    }
    proxy = Recorder(images)
    module = load("modules", "openstack_image", salt={"config.get": lambda key, default=None: default})
    module._conn = lambda cloud=None: Conn(proxy)
    return module, proxy


PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


def test_set_properties_sends_add_for_every_key_given(glance):
    # "add" sets a property whether the image has it or not (Glance's v2.1 JSON Patch);
    # make_patch would send "replace" for the ones it has and skip the equal ones.
    module, proxy = glance
    module.set_properties(IMAGE_ID, {"os_type": "windows", "recommended": True, "vendor/model~x": "r640"})
    assert proxy.writes == [
        (
            "PATCH",
            f"/images/{IMAGE_ID}",
            [
                {"op": "add", "path": "/os_type", "value": "windows"},
                {"op": "add", "path": "/recommended", "value": "true"},
                {"op": "add", "path": "/vendor~1model~0x", "value": "r640"},
            ],
            PATCH_TYPE,
        )
    ]


def test_remove_properties_sends_remove_for_the_keys_the_image_has(glance):
    module, proxy = glance
    module.remove_properties(IMAGE_ID, ["old", "not-there"])
    assert proxy.writes == [("PATCH", f"/images/{IMAGE_ID}", [{"op": "remove", "path": "/old"}], PATCH_TYPE)]
    proxy.writes.clear()
    module.remove_properties(IMAGE_ID, ["not-there"])
    assert proxy.writes == []  # nothing to remove: no request


def test_update_replaces_attributes_and_adds_properties(glance):
    module, proxy = glance
    module.update(
        IMAGE_ID, visibility="public", min_ram=512, properties={"kernel_id": {"image": "deploy-kernel"}}
    )
    assert proxy.writes == [
        (
            "PATCH",
            f"/images/{IMAGE_ID}",
            [
                {"op": "replace", "path": "/visibility", "value": "public"},
                {"op": "replace", "path": "/min_ram", "value": 512},
                {"op": "add", "path": "/kernel_id", "value": KERNEL_ID},
            ],
            PATCH_TYPE,
        )
    ]


# ---------------------------------------------------------------------------------------------
# Ironic
# ---------------------------------------------------------------------------------------------


def _ironic_module():
    # A digest that does not depend on a random salt, so the patch is known exactly.
    utils = dict(utils_dunder())
    utils["stacksalt_openstack.digest"] = lambda value, salt=None: f"sha256$s${value}"
    utils["stacksalt_openstack.digest_matches"] = lambda value, stored: stored == f"sha256$s${value}"
    return load(
        "modules",
        "ironic_node",
        utils=utils,
        salt={"config.get": lambda key, default=None: default, "cp.get_file_str": lambda path: ""},
    )


LIVE = {
    "uuid": "u1",
    "name": "n1",
    "driver": "ipmi",
    "provision_state": "available",
    "target_provision_state": None,
    "driver_info": {"ipmi_address": "10.0.0.1", "ipmi_password": "******"},
    "extra": {"stacksalt_secrets": {"driver_info/ipmi_password": "sha256$s$old"}},
    "properties": {"cpus": 4, "root_device": {"wwn": "0x1"}, "capabilities": "boot_mode:bios,x:1"},
    "traits": [],
    "ports": [],
}
SPEC = {
    "name": "n1",
    "driver": "redfish",
    "driver_info": {"ipmi_address": "10.0.0.2", "ipmi_password": "new"},
    "properties": {"cpus": 4, "root_device": {"wwn": "0x2"}, "vendor/model": "r640"},
    "capabilities": {"boot_mode": "uefi"},
}
#: One op per key the spec sets and Ironic holds otherwise, "add" whether the key is there or
#: not (RFC 6902: add replaces a member), a whole value at its key's path (root_device is one
#: value, not a nested patch), the secret's new digest once, capabilities merged into the string.
NODE_PATCH = [
    {"op": "add", "path": "/driver", "value": "redfish"},
    {"op": "add", "path": "/driver_info/ipmi_address", "value": "10.0.0.2"},
    {"op": "add", "path": "/driver_info/ipmi_password", "value": "new"},
    {"op": "add", "path": "/extra/stacksalt_secrets", "value": {"driver_info/ipmi_password": "sha256$s$new"}},
    {"op": "add", "path": "/properties/capabilities", "value": "boot_mode:uefi,x:1"},
    {"op": "add", "path": "/properties/root_device", "value": {"wwn": "0x2"}},
    {"op": "add", "path": "/properties/vendor~1model", "value": "r640"},
]


def test_node_plan_patch_is_exact_and_sent_as_planned():
    module = _ironic_module()
    item = module.plan(SPEC, LIVE)
    assert item["patch"] == NODE_PATCH
    proxy = Recorder({})
    module._apply_one(Conn(proxy), None, item, None, 60)
    assert proxy.writes == [("PATCH", "/nodes/u1", NODE_PATCH, None)]


def test_an_unchanged_node_sends_no_patch():
    module = _ironic_module()
    live = dict(LIVE, driver="redfish", driver_info={"ipmi_address": "10.0.0.2", "ipmi_password": "******"})
    live["extra"] = {"stacksalt_secrets": {"driver_info/ipmi_password": "sha256$s$new"}}
    live["properties"] = {"cpus": 4, "root_device": {"wwn": "0x2"}, "vendor/model": "r640"}
    live["properties"]["capabilities"] = "boot_mode:uefi"
    item = module.plan(SPEC, live)
    assert item["patch"] == [] and item["action"] == "none"


def test_why_not_make_patch():
    # What jsonpatch.make_patch would send instead: a "move" where one key's value turns up under
    # another (Glance and Ironic refuse any op but add/remove/replace), and a nested path into a
    # value the state compares whole; it also diffs every key, not only the ones a state sets.
    kernel = {"kernel_id": KERNEL_ID}
    assert jsonpatch.make_patch(kernel, {"ramdisk_id": KERNEL_ID}).patch[0]["op"] == "move"
    nested = jsonpatch.make_patch(LIVE["properties"], {**LIVE["properties"], "root_device": {"wwn": "0x2"}})
    assert nested.patch == [{"op": "replace", "path": "/root_device/wwn", "value": "0x2"}]
    assert {op["op"] for op in NODE_PATCH} <= SERVICE_OPS
