"""
Glance images: uploaded through Glance's API (``upload``: the image record, its data by
``PUT /v2/images/{id}/file``, then ``active``), found by name or id, their attributes and
properties changed in place. Properties cover Nova's ``hw_*`` hints (CPU topology, NUMA, huge
pages, buses, models), ``os_type``/``os_distro``, the ``kernel_id``/``ramdisk_id`` of an
AMI-style image (Ironic's deploy kernel and ramdisk) and a site's own properties
(``release_date``, ``recommended``, ``os_distro_major``...).

Images whose data goes straight into Ceph are imported by ``glance_rbd_image`` instead.

A property may name another image instead of holding its id: ``kernel_id: {image:
deploy-kernel}`` is that image's id, looked up when the call runs (``references``).

Values are strings in Glance: YAML booleans become ``"true"``/``"false"`` and numbers their
decimal text, so ``recommended: true`` compares equal to what Glance returns. ``hw_*`` keys
are checked against the properties Nova reads (a misspelt key is an error naming the right one),
with their values. Glance's own attributes (``id``, ``status``, ``visibility``...) are not
properties and are refused.

Every call uses one openstacksdk connection per process (``_utils/stacksalt_openstack``); the
cloud comes from ``openstack:clouds:<name>`` (minion config or pillar) or ``clouds.yaml``.

Changes go in one JSON Patch request (``application/openstack-images-v2.1-json-patch``) built op
by op, not with ``jsonpatch.make_patch``: a diff of the whole image would send ops for properties
no state manages and may send ``move``, which Glance refuses (it takes add, remove and replace),
while ``add`` sets each given property whether the image has it or not
(``tests/unit/openstack/test_patch_documents.py`` pins the documents sent).

:depends: openstacksdk
"""

import importlib
import logging
import os
import re
import time
import urllib.parse

from salt.exceptions import CommandExecutionError, SaltException, SaltInvocationError

try:
    import keystoneauth1.exceptions
    import openstack.exceptions

    HAS_OPENSTACKSDK = True
    #: What the OpenStack client stack raises (as ``stacksalt_openstack.CLIENT_ERRORS``).
    CLIENT_ERRORS = (openstack.exceptions.SDKException, keystoneauth1.exceptions.ClientException)
except ImportError:  # pragma: no cover
    HAS_OPENSTACKSDK = False
    CLIENT_ERRORS = ()

log = logging.getLogger(__name__)

__virtualname__ = "openstack_image"

PATCH_TYPE = "application/openstack-images-v2.1-json-patch"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

#: Glance's default ``[image_format] disk_formats`` and ``container_formats`` (a cloud may allow
#: fewer: Glance then refuses the create, and the state says so).
DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
#: Formats whose disk and container format must be the same (Glance refuses a mix).
AMAZON_FORMATS = ("ami", "ari", "aki")
VISIBILITIES = ("public", "private", "shared", "community")
#: Properties Glance's image schema keeps as the id (a UUID) of another image.
IMAGE_ID_PROPERTIES = ("kernel_id", "ramdisk_id")
#: Statuses of an image without data, left by an upload that was killed before it could clean
#: up: ``present`` deletes it and uploads again.
NO_DATA_STATUSES = ("queued", "killed")
#: Statuses whose image keeps its data and takes changes of its attributes and properties.
KEPT_STATUSES = ("active", "deactivated")

#: The ``hw_*`` image properties Nova reads and the values each takes: a tuple of choices,
#: "int" (positive), "int0" (zero or more), "bool", "cpuset", "pagesize" or "str".
HW_PROPERTIES = {
    "hw_architecture": "str",
    "hw_auto_disk_config": ("disabled", "true", "false"),
    "hw_boot_menu": "bool",
    "hw_cdrom_bus": ("fdc", "ide", "sata", "scsi", "usb", "virtio", "xen", "lxc", "uml"),
    "hw_cpu_cores": "int",
    "hw_cpu_max_cores": "int",
    "hw_cpu_max_sockets": "int",
    "hw_cpu_max_threads": "int",
    "hw_cpu_policy": ("shared", "dedicated", "mixed"),
    "hw_cpu_realtime_mask": "cpuset",
    "hw_cpu_sockets": "int",
    "hw_cpu_thread_policy": ("prefer", "isolate", "require"),
    "hw_cpu_threads": "int",
    "hw_device_id": "str",
    "hw_disk_bus": ("fdc", "ide", "sata", "scsi", "usb", "virtio", "xen", "lxc", "uml"),
    "hw_disk_type": "str",
    "hw_emulation_architecture": "str",
    "hw_ephemeral_encryption": "bool",
    "hw_ephemeral_encryption_format": ("luks", "plain"),
    "hw_firmware_stateless": "bool",
    "hw_firmware_type": ("bios", "uefi"),
    "hw_floppy_bus": ("fdc", "ide", "sata", "scsi", "usb", "virtio", "xen", "lxc", "uml"),
    "hw_input_bus": ("usb", "virtio"),
    "hw_ipxe_boot": "bool",
    "hw_locked_memory": "bool",
    "hw_machine_type": "str",
    "hw_maxphysaddr_bits": "int",
    "hw_maxphysaddr_mode": ("passthrough", "emulate"),
    "hw_mem_encryption": "bool",
    "hw_mem_encryption_model": ("amd-sev", "amd-sev-es"),
    "hw_mem_page_size": "pagesize",
    "hw_numa_nodes": "int",
    "hw_pci_numa_affinity_policy": ("required", "preferred", "legacy", "socket"),
    "hw_pmu": "bool",
    "hw_pointer_model": ("usbtablet",),
    "hw_qemu_guest_agent": "bool",
    "hw_redirected_usb_ports": "int0",
    "hw_rescue_bus": ("fdc", "ide", "sata", "scsi", "usb", "virtio", "xen", "lxc", "uml"),
    "hw_rescue_device": ("cdrom", "disk", "floppy"),
    "hw_rng_model": ("virtio",),
    "hw_scsi_model": (
        "buslogic",
        "ibmvscsi",
        "lsilogic",
        "lsisas1068",
        "lsisas1078",
        "virtio-scsi",
        "vmpvscsi",
    ),
    "hw_serial_port_count": "int0",
    "hw_sound_model": ("sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "virtio"),
    "hw_time_hpet": "bool",
    "hw_tpm_model": ("tpm-tis", "tpm-crb"),
    "hw_tpm_version": ("1.2", "2.0"),
    "hw_usb_model": ("none", "nec-xhci", "qemu-xhci", "piix3-uhci", "piix4-uhci", "ehci", "default"),
    "hw_video_model": ("vga", "cirrus", "vmvga", "xen", "qxl", "virtio", "gop", "none", "bochs"),
    "hw_video_ram": "int",
    "hw_vif_model": (
        "virtio",
        "ne2k_pci",
        "pcnet",
        "rtl8139",
        "e1000",
        "e1000e",
        "netfront",
        "spapr-vlan",
        "igb",
    ),
    "hw_vif_multiqueue_enabled": "bool",
    "hw_viommu_model": ("intel", "smmuv3", "virtio", "auto"),
    "hw_virtio_packed_ring": "bool",
    "hw_vm_mode": ("hvm", "xen", "uml", "exe"),
    "hw_watchdog_action": ("none", "pause", "poweroff", "reset", "disabled"),
}
HW_NUMA_NODE_PROPERTY = re.compile(r"^hw_numa_(cpus|mem)\.([0-9]+)$")
#: Other properties Nova reads, with their values.
OS_PROPERTIES = {
    "os_type": ("linux", "windows"),
    "os_require_quiesce": "bool",
    "os_secure_boot": ("required", "disabled", "optional"),
}
#: Glance's own attributes: set by Glance or through its own API, never as properties.
GLANCE_ATTRIBUTES = {
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "owner",
    "size",
    "virtual_size",
    "min_disk",
    "min_ram",
    "container_format",
    "disk_format",
    "created_at",
    "updated_at",
    "tags",
    "file",
    "schema",
    "self",
    "direct_url",
    "locations",
    "os_hidden",
    "stores",
}


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


#: What each public function does, in the words its errors use
#: (``stacksalt_openstack.guard_edges``, put in place by ``__init__``).
_EDGES = {
    "get": "reading image '{name}'",
    "find": "reading image '{name}'",
    "upload": "uploading image '{name}'",
    "update": "updating image '{name}'",
    "delete": "deleting image '{name}'",
    "set_properties": "setting the properties of image '{name}'",
    "remove_properties": "removing the properties of image '{name}'",
}


def __virtual__():
    if not HAS_OPENSTACKSDK:
        return (False, "openstack_image: the openstacksdk Python library is not installed")
    return __virtualname__


def __init__(opts):  # noqa: ARG001 - Salt's loader passes its opts
    """Called by Salt's loader once the dunders are in place: guard the module edge."""
    _util("stacksalt_openstack.guard_edges")(globals(), _EDGES)


# ---------------------------------------------------------------------------------------------
# Pure logic: validation, normalisation, planning (no API calls; unit-tested)
# ---------------------------------------------------------------------------------------------


def _text(value):
    return _util("stacksalt_openstack.as_text")(value)


def normalize(properties):
    """
    Properties as Glance stores them (every value a string).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_image.normalize '{"recommended": true, "hw_cpu_cores": 8}'
    """
    return {str(k): _text(v) for k, v in (properties or {}).items()}


def validate(properties, where="properties"):
    """
    Check image properties before any API call; return a list of errors, each naming
    ``where`` and the key.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_image.validate '{"hw_cpu_socket": 2}'
    """
    if not isinstance(properties, dict) or not properties:
        return [f"{where}: must be a non-empty mapping of property names to values"]
    errors = []
    for key, value in properties.items():
        if not isinstance(key, str) or not key or len(key) > 255:
            errors.append(f"{where}: property names must be strings of 1 to 255 characters, got {key!r}")
            continue
        if value is None or isinstance(value, dict | list):
            errors.append(f"{where}:{key}: must be a single value (Glance properties are strings)")
            continue
        if len(_text(value)) > 255:
            errors.append(f"{where}:{key}: Glance keeps at most 255 characters")
            continue
        if key in GLANCE_ATTRIBUTES or key.startswith("os_glance"):
            errors.append(f"{where}:{key}: is a Glance attribute, not a property this state sets")
            continue
        kind = HW_PROPERTIES.get(key) or OS_PROPERTIES.get(key)
        numa = HW_NUMA_NODE_PROPERTY.match(key)
        if numa:
            kind = "cpuset" if numa.group(1) == "cpus" else "int"
        if kind:
            error = _util("stacksalt_openstack.value_error")(value, kind)
            if error:
                errors.append(f"{where}:{key}: {error}")
        elif key.startswith("hw_") or key.startswith("hw:"):
            hint = _did_you_mean(key.replace(":", "_"), HW_PROPERTIES)
            errors.append(f"{where}:{key}: is not an image property Nova knows{hint}")
    if not errors:
        errors.extend(_check_topology(normalize(properties), where))
    return errors


def _check_topology(props, where):
    errors = []
    for part in ("sockets", "cores", "threads"):
        value, limit = props.get(f"hw_cpu_{part}"), props.get(f"hw_cpu_max_{part}")
        if value and limit and int(value) > int(limit):
            errors.append(f"{where}:hw_cpu_{part}: {value} is more than hw_cpu_max_{part} ({limit})")
    nodes = props.get("hw_numa_nodes")
    for key in props:
        match = HW_NUMA_NODE_PROPERTY.match(key)
        if match and (not nodes or int(match.group(2)) >= int(nodes)):
            errors.append(f"{where}:{key}: needs hw_numa_nodes greater than {match.group(2)}")
    return errors


def warnings(properties):
    """
    Advice about a complete set of properties (the image's after the change), e.g. a Windows
    image with only one of os_type/os_distro: KVM then misses the Hyper-V enlightenments.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_image.warnings '{"os_type": "windows"}'
    """
    props = normalize(properties)
    found = []
    os_type, os_distro = props.get("os_type"), props.get("os_distro")
    if (os_type == "windows") != (os_distro == "windows"):
        missing = "os_distro" if os_type == "windows" else "os_type"
        found.append(
            f"Windows image with only one of os_type/os_distro set to windows: set {missing}: windows too, "
            "or KVM misses the Hyper-V enlightenments (CLOCK_WATCHDOG_TIMEOUT under load)"
        )
    return found


def plan(properties, live_properties):
    """
    The properties to set so the image has ``properties`` (only these keys are compared).
    Returns ``{"set": {...}, "changes": {"old": {...}, "new": {...}}}``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_image.plan '{"os_type": "windows"}' '{"os_type": "linux"}'
    """
    wanted = normalize(properties)
    live = live_properties or {}
    to_set = {k: v for k, v in wanted.items() if live.get(k) != v}
    changes = {}
    if to_set:
        changes = {"old": {k: live[k] for k in to_set if k in live}, "new": to_set}
    return {"set": to_set, "changes": changes}


def _did_you_mean(word, known):
    return _util("stacksalt_openstack.did_you_mean")(word, known)


def _is_reference(value):
    return isinstance(value, dict) and set(value) == {"image"}


def references(properties):
    """
    The properties that name another image instead of holding its id, as ``{key: image}``: the
    value ``{image: NAME}`` stands for the id of the image with that name (or id), looked up
    when the state or call runs (``kernel_id: {image: deploy-kernel}``).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_image.references '{"kernel_id": {"image": "deploy-kernel"}, "os_type": "linux"}'
    """
    return {str(k): v["image"] for k, v in (properties or {}).items() if _is_reference(v)}


def _property_errors(properties, where):
    """``validate`` for the properties of ``present``/``upload``/``update``: image references
    allowed, the image-id properties (``kernel_id``, ``ramdisk_id``) held to UUIDs."""
    if properties is None:
        return []
    if not isinstance(properties, dict):
        return [f"{where}: must be a mapping of property names to values"]
    errors, plain = [], {}
    for key, value in properties.items():
        here = f"{where}:{key}"
        if _is_reference(value):
            ref = value["image"]
            if not isinstance(ref, str) or not ref.strip() or len(ref) > 255:
                errors.append(f"{here}:image: must be the name or id of an image (1 to 255 characters)")
            elif key in HW_PROPERTIES or key in OS_PROPERTIES or HW_NUMA_NODE_PROPERTY.match(str(key)):
                errors.append(f"{here}: takes a value Nova reads, not an image reference")
            else:
                plain[key] = "00000000-0000-0000-0000-000000000000"  # checked as an image id is
            continue
        if isinstance(value, dict):
            errors.append(f"{here}: must be a single value or an image reference {{image: NAME}}")
            continue
        if key in IMAGE_ID_PROPERTIES and value is not None and not _UUID.match(_text(value)):
            errors.append(f"{here}: must be an image id (a UUID) or {{image: NAME}}, got '{_text(value)}'")
            continue
        plain[key] = value
    if plain:
        errors.extend(validate(plain, where=where))
    return errors


def _source_errors(source, where):
    forms = "an absolute path, a salt:// URL or an http(s) URL"
    if not isinstance(source, str) or not source.strip():
        return [f"{where}:source: is required: {forms}"]
    if "\0" in source:
        return [f"{where}:source: must not hold a NUL character"]
    if source.startswith("salt://"):
        if not source[len("salt://") :].strip("/") or source.endswith("/"):
            return [f"{where}:source: must name a file on the fileserver (salt://path/to/image)"]
        return []
    if source.startswith(("http://", "https://")):
        # Never echoed: a URL may carry credentials.
        if not urllib.parse.urlsplit(source).hostname:
            return [f"{where}:source: must be an http(s) URL with a host"]
        return []
    if not os.path.isabs(source):
        return [f"{where}:source: must be {forms}, got '{source}'"]
    return []


#: The arguments ``validate_present`` knows.
PRESENT_ARGUMENTS = (
    "name",
    "source",
    "disk_format",
    "container_format",
    "visibility",
    "min_disk",
    "min_ram",
    "properties",
)


def validate_present(spec, where="image"):
    """
    Check the arguments of ``present``/``upload`` (``name``, ``source``, ``disk_format``,
    ``container_format``, ``visibility``, ``min_disk``, ``min_ram``, ``properties``) before any
    API call; return a list of errors, each naming ``where`` and the argument. The formats are
    Glance's default lists; aki, ari and ami must be both formats at once, as Glance requires.
    Properties are checked as ``validate`` checks them, and may be image references
    (``{image: NAME}``); ``kernel_id``/``ramdisk_id`` otherwise hold an image id.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_image.validate_present '{"name": "deploy-kernel", "source": "salt://ironic/ipa.kernel", "disk_format": "aki", "container_format": "aki"}'
    """
    errors = [
        f"{where}:{k}: unknown argument{_did_you_mean(k, PRESENT_ARGUMENTS)}"
        for k in sorted(set(spec) - set(PRESENT_ARGUMENTS), key=str)
    ]
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        errors.append(f"{where}:name: must be a non-empty string of at most 255 characters")
    errors.extend(_source_errors(spec.get("source"), where))
    choices = (
        ("disk_format", DISK_FORMATS),
        ("container_format", CONTAINER_FORMATS),
        ("visibility", VISIBILITIES),
    )
    for key, known in choices:
        value = spec.get(key)
        if value not in known:
            errors.append(
                f"{where}:{key}: must be one of {', '.join(known)}, got {value!r}{_did_you_mean(value, known)}"
            )
    disk, container = spec.get("disk_format"), spec.get("container_format")
    if disk in DISK_FORMATS and container in CONTAINER_FORMATS and disk != container:
        if disk in AMAZON_FORMATS or container in AMAZON_FORMATS:
            errors.append(
                f"{where}:container_format: {container} with disk_format {disk}: Glance takes aki, ari and "
                "ami only as both formats (disk_format: aki with container_format: aki)"
            )
    for key, unit in (("min_disk", "GB"), ("min_ram", "MB")):
        value = spec.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            errors.append(f"{where}:{key}: must be a whole number of {unit} (0 or more), got {value!r}")
    errors.extend(_property_errors(spec.get("properties"), f"{where}:properties"))
    return errors


def _item(*args, **kwargs):
    """One image's plan (``stacksalt_openstack.plan_item``)."""
    return _util("stacksalt_openstack.plan_item")(*args, **kwargs)


def plan_present(spec, live, resolved=None):
    """
    Compare validated ``present`` arguments with the live image (``find``'s result or None);
    ``resolved`` maps each image-reference property (``references``) to the id it stands for.
    Returns ``{"action": "none"|"create"|"replace"|"update"|"refuse", "changes", "comment",
    "create": the arguments of ``upload`` (but name and source), "update": those of ``update``}``.

    - no image: ``create``; an image without data (``queued``/``killed``, left by an upload
      that was killed before it could delete it): ``replace`` (delete it, then create);
    - an image being uploaded or deleted: ``refuse``;
    - another ``disk_format``/``container_format``: ``refuse`` (Glance cannot change them once
      the data is there; the content is never compared: a new content is a new name);
    - else ``visibility``, ``min_disk``, ``min_ram`` (unset: left as they are) and the given
      properties are changed in place (``update``).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_image.plan_present '{"name": "deploy-kernel", "source": "/srv/ipa.kernel", "disk_format": "aki", "container_format": "aki"}' null
    """
    refs = references(spec.get("properties"))
    unresolved = sorted(set(refs) - set(resolved or {}))
    if unresolved:
        raise SaltInvocationError(
            f"plan_present: no id given for the image references of {', '.join(unresolved)}"
        )
    wanted = normalize({k: v for k, v in (spec.get("properties") or {}).items() if k not in refs})
    wanted.update({k: str(resolved[k]) for k in refs})
    name = spec["name"]
    fields = {k: spec[k] for k in ("disk_format", "container_format")}
    fields["visibility"] = spec.get("visibility") or "private"
    fields.update({k: spec[k] for k in ("min_disk", "min_ram") if spec.get(k) is not None})
    if live is None or live["status"] in NO_DATA_STATUSES:
        created = dict(fields, properties=wanted) if wanted else dict(fields)
        create = dict(fields, properties=wanted or None)
        if live is None:
            return _item("create", {"created": created}, create=create)
        replaced = {"id": live["id"], "status": live["status"]}
        return _item("replace", {"replaced": replaced, "created": created}, create=create)
    if live["status"] not in KEPT_STATUSES:
        busy = live["status"] in ("saving", "uploading", "importing")
        hint = (
            "run the state again once it is active (a glance-api that died during the upload leaves it so: "
            "remove it with openstack_image.absent)"
            if busy
            else "present keeps active images and replaces those without data (queued, killed)"
        )
        return _item(
            "refuse",
            comment=f"Image '{name}' ({live['id']}) is {live['status']}: {hint}; nothing was changed",
        )
    differing = [
        f"{k}: {live.get(k)} -> {fields[k]}"
        for k in ("disk_format", "container_format")
        if live.get(k) != fields[k]
    ]
    if differing:
        return _item(
            "refuse",
            comment=(
                f"Image '{name}' differs in {'; '.join(differing)}, which Glance cannot change once the data "
                "is uploaded: upload the new image under a new name (or remove this one with "
                "openstack_image.absent first); nothing was changed"
            ),
        )
    changes = {
        k: {"old": live.get(k), "new": fields[k]}
        for k in ("visibility", "min_disk", "min_ram")
        if k in fields and live.get(k) != fields[k]
    }
    props = {
        k: {"old": live["properties"].get(k), "new": v}
        for k, v in wanted.items()
        if live["properties"].get(k) != v
    }
    if props:
        changes["properties"] = props
    if not changes:
        return _item()
    update = {k: v["new"] for k, v in changes.items() if k != "properties"}
    if props:
        update["properties"] = {k: v["new"] for k, v in props.items()}
    return _item("update", changes, update=update)


# ---------------------------------------------------------------------------------------------
# API access
# ---------------------------------------------------------------------------------------------


def _conn(cloud=None):
    return _util("stacksalt_openstack.salt_connect")(__salt__, cloud)


def _image(conn, method, url, **kwargs):
    return _util("stacksalt_openstack.request")(conn.image, method, url, **kwargs)


def _error(what, exc):
    return _util("stacksalt_openstack.command_error")(what, exc)


def _find(conn, name_or_id):
    """The raw Glance image with this id, or the one image with this name."""
    try:
        # a 404 (or a 400: not a uuid) means "look by name"
        path = f"/images/{urllib.parse.quote(name_or_id, safe='')}"
        raw = _util("stacksalt_openstack.get_or_none")(conn.image, path, absent=(400, 404))
        if raw is not None:
            return raw
        # visibility=all: an admin also finds other projects' private images.
        params = {"name": name_or_id, "visibility": "all"}
        images = _util("stacksalt_openstack.paged")(conn.image, "/images", "images", params)
    except Exception as exc:  # noqa: BLE001
        raise _error(f"looking up image '{name_or_id}' in Glance", exc) from exc
    if len(images) > 1:
        raise CommandExecutionError(
            f"{len(images)} images are named '{name_or_id}' ({', '.join(i['id'] for i in images)}): "
            "name the image by id, or delete the extra ones"
        )
    return images[0] if images else None


def _properties(raw):
    return {
        k: _text(v) for k, v in raw.items() if k not in GLANCE_ATTRIBUTES and not k.startswith("os_glance")
    }


def get(name, cloud=None):
    """
    The image named (or with the id) ``name`` as ``{"id", "name", "status", "properties"}``,
    or None.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_image.get windows-server-2022
    """
    raw = _find(_conn(cloud), name)
    if raw is None:
        return None
    return {"id": raw["id"], "name": raw["name"], "status": raw["status"], "properties": _properties(raw)}


def set_properties(name, properties, cloud=None):
    """
    Set (add or replace) image properties in one JSON-patch request; other properties stay.
    The properties are validated first.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_image.set_properties windows-server-2022 '{"os_type": "windows", "os_distro": "windows"}'
    """
    errors = validate(properties)
    if errors:
        raise SaltInvocationError("; ".join(errors))
    return _patch(
        name,
        [{"op": "add", "path": _pointer(k), "value": v} for k, v in normalize(properties).items()],
        cloud,
    )


def remove_properties(name, keys, cloud=None):
    """
    Remove image properties (keys the image does not have are skipped).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_image.remove_properties windows-server-2022 '[recommended]'
    """
    live = get(name, cloud=cloud)
    if live is None:
        raise CommandExecutionError(f"image '{name}' was not found in Glance")
    ops = [{"op": "remove", "path": _pointer(k)} for k in keys if k in live["properties"]]
    return _patch(name, ops, cloud) if ops else live


def _pointer(key):
    """A property's JSON Pointer (RFC 6901: ``~`` and ``/`` escaped, as Glance's JSON Patch takes it)."""
    return _util("stacksalt_openstack.json_pointer")(key)


def _patch(name, ops, cloud, what="the properties"):
    """Apply the JSON Patch ``ops`` to image ``name`` in one request: ``get``'s answer after it."""
    return _getlike(_patch_raw(_conn(cloud), name, ops, what))


def _getlike(raw):
    return {"id": raw["id"], "name": raw["name"], "status": raw["status"], "properties": _properties(raw)}


def _patch_raw(conn, name, ops, what):
    raw = _find(conn, name)
    if raw is None:
        raise CommandExecutionError(f"image '{name}' was not found in Glance")
    if not ops:
        return raw
    try:
        resp = _image(conn, "PATCH", f"/images/{raw['id']}", json=ops, headers={"Content-Type": PATCH_TYPE})
    except Exception as exc:  # noqa: BLE001
        raise _error(f"changing {what} of image '{name}'", exc) from exc
    return resp.json()


def _plain(raw):
    """An image as ``find`` returns it."""
    image = {key: raw.get(key) for key in PLAIN_KEYS}
    image["properties"] = _properties(raw)
    return image


#: The attributes ``find`` returns (with ``properties``).
PLAIN_KEYS = (
    "id",
    "name",
    "status",
    "disk_format",
    "container_format",
    "visibility",
    "min_disk",
    "min_ram",
    "size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "protected",
)


def find(name, cloud=None):
    """
    The one image with id ``name``, or named ``name`` (several of that name are an error listing
    their ids), or None: ``id``, ``name``, ``status``, ``disk_format``, ``container_format``,
    ``visibility``, ``min_disk``, ``min_ram``, ``size``, ``checksum``, ``os_hash_algo``,
    ``os_hash_value``, ``protected`` and ``properties`` (strings, Glance's attributes left out).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_image.find deploy-kernel
    """
    raw = _find(_conn(cloud), name)
    return _plain(raw) if raw is not None else None


def _resolved(conn, properties, where="properties"):
    """``properties`` with each image reference (``{image: NAME}``) replaced by that image's id;
    an image that is missing, or not active, is an error naming the property."""
    out = dict(properties or {})
    for key, ref in references(properties).items():
        raw = _find(conn, ref)
        if raw is None:
            raise SaltInvocationError(f"{where}:{key}: no image '{ref}' in Glance")
        if raw["status"] != "active":
            raise SaltInvocationError(f"{where}:{key}: image '{ref}' is {raw['status']}, not active")
        out[key] = raw["id"]
    return out


def _masked(source):
    return _util("stacksalt_secrets.mask_url")(source)


def check_source(source, saltenv=None):
    """
    What an upload would find wrong with ``source`` without fetching it: an error message, or
    None. A local path must be a readable file; a ``salt://`` file must be on the fileserver
    (its hash is asked, the file is not fetched); an http(s) URL is not checked (only fetching
    it tells).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_image.check_source salt://ironic/ipa.kernel
    """
    if source.startswith(("http://", "https://")):
        return None
    if source.startswith("salt://"):
        try:
            found = __salt__["cp.hash_file"](source, saltenv=saltenv)
        except SaltException as exc:
            return f"source {source} could not be looked up on the fileserver: {exc}"
        return None if found else f"source {source} is not on the fileserver (saltenv {saltenv or 'base'})"
    if not os.path.isfile(source):
        return f"source {source} does not exist or is not a file"
    if not os.access(source, os.R_OK):
        return f"source {source} is not readable"
    return None


def _source_path(source, saltenv):
    """The local file of ``source``: the path itself, or the minion's cached copy of a
    ``salt://`` or http(s) source (``cp.cache_file``; it stays in the minion's cache)."""
    if source.startswith(("salt://", "http://", "https://")):
        try:
            cached = __salt__["cp.cache_file"](source, saltenv=saltenv)
        except SaltException as exc:
            text = _util("stacksalt_secrets.mask_text")(str(exc))
            raise CommandExecutionError(f"source {_masked(source)} could not be fetched: {text}") from exc
        if not cached:
            raise CommandExecutionError(f"source {_masked(source)} could not be fetched")
        return cached
    problem = check_source(source)
    if problem:
        raise CommandExecutionError(problem)
    return source


def _create_record(conn, body):
    """
    ``POST /images``: the raw image record (``queued``). After an answer that may have been lost
    (a 503, a reset connection), the one ``queued`` image of the name is taken as the one made
    (``upload`` makes sure beforehand that no image has the name), so none is made twice.
    """
    paged = _util("stacksalt_openstack.paged")  # resolved here: made() runs inside the util

    def made():
        found = paged(conn.image, "/images", "images", {"name": body["name"], "visibility": "all"})
        queued = [i for i in found if i["status"] == "queued"]
        return queued[0] if len(queued) == 1 else None

    resp = _image(conn, "POST", "/images", json=body, before_retry=made)
    return resp if isinstance(resp, dict) else resp.json()


def _wait_active(conn, image_id, timeout):
    end, delay = time.monotonic() + timeout, 0.1
    while True:
        raw = _util("stacksalt_openstack.get_or_none")(conn.image, f"/images/{image_id}")
        if raw is None:
            raise CommandExecutionError(f"image {image_id} disappeared while its data was stored")
        if raw["status"] == "active":
            return raw
        if raw["status"] not in ("saving", "uploading", "importing"):
            raise CommandExecutionError(f"image {image_id} went {raw['status']} after its data was sent")
        if time.monotonic() > end:
            raise CommandExecutionError(
                f"image {image_id} still {raw['status']} {timeout} s after its data was sent"
            )
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def _discard(conn, image_id):
    """Delete a half-made image; what became of it, in words for the error."""
    try:
        _image(conn, "DELETE", f"/images/{image_id}")
    except Exception as exc:  # noqa: BLE001 - the upload's own error is the one raised
        if _util("stacksalt_openstack.http_status")(exc) == 404:
            return f"no image {image_id} is left"
        reason = _util("stacksalt_openstack.error_message")(exc)
        return (
            f"the half-made image {image_id} could not be deleted ({reason}): delete it "
            f"(openstack_image.delete {image_id}) before running again"
        )
    return f"the half-made image {image_id} was deleted"


def upload(
    name,
    source,
    disk_format="qcow2",
    container_format="bare",
    visibility="private",
    min_disk=None,
    min_ram=None,
    properties=None,
    cloud=None,
    saltenv=None,
    timeout=600,
):
    """
    Upload a new image: the image record (with its attributes and properties), then its data
    (``PUT /v2/images/{id}/file``, streamed from the file), then wait until Glance has it
    ``active`` and holds the source's size. If any step fails the half-made image is deleted,
    so a new run starts clean. An image of that name already there is an error (this makes new
    images only; ``update`` changes one).

    source
        An absolute path on the minion, a ``salt://`` URL or an http(s) URL (fetched with
        ``cp.cache_file`` into the minion's cache, where the copy stays).
    properties
        Validated as ``validate`` does; an image reference ``{image: NAME}`` is that image's id
        (``kernel_id: {image: deploy-kernel}``).
    saltenv
        The fileserver environment of a ``salt://`` source.
    timeout
        Seconds to wait for ``active`` once the data is sent.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_image.upload deploy-kernel salt://ironic/ipa.kernel disk_format=aki container_format=aki
        salt '*' openstack_image.upload ironic-image /srv/images/ironic.qcow2 properties='{kernel_id: {image: deploy-kernel}, ramdisk_id: {image: deploy-ramdisk}}'
    """
    spec = {"name": name, "source": source, "disk_format": disk_format, "container_format": container_format}
    spec.update(visibility=visibility, min_disk=min_disk, min_ram=min_ram, properties=properties)
    errors = validate_present(spec)
    if errors:
        raise SaltInvocationError("; ".join(errors))
    conn = _conn(cloud)
    existing = _find(conn, name)
    if existing is not None:
        raise CommandExecutionError(
            f"image '{name}' exists already ({existing['id']}, {existing['status']}): upload makes new images "
            "only (openstack_image.update changes one)"
        )
    body = {"name": name, "disk_format": disk_format, "container_format": container_format}
    body["visibility"] = visibility
    body.update({k: v for k, v in (("min_disk", min_disk), ("min_ram", min_ram)) if v is not None})
    body.update(normalize(_resolved(conn, properties)))
    path = _source_path(source, saltenv)
    with open(path, "rb") as data:
        size = os.fstat(data.fileno()).st_size
        image_id = _create_record(conn, body)["id"]
        try:
            _image(
                conn,
                "PUT",
                f"/images/{image_id}/file",
                data=data,
                headers={"Content-Type": "application/octet-stream"},
                # the stream is read once: a repeat would send the rest of it as the whole
                retry=False,
                connect_retries=0,
            )
            raw = _wait_active(conn, image_id, timeout)
            if raw.get("size") != size:
                raise CommandExecutionError(
                    f"Glance holds {raw.get('size')} bytes of image {image_id}, the source {size}"
                )
        except (CommandExecutionError, SaltInvocationError) as exc:
            raise CommandExecutionError(
                f"uploading image '{name}': {exc} ({_discard(conn, image_id)})"
            ) from exc
        except CLIENT_ERRORS as exc:
            reason = _util("stacksalt_openstack.error_message")(exc)
            gone = _discard(conn, image_id)
            raise CommandExecutionError(f"uploading the data of image '{name}': {reason} ({gone})") from exc
        except BaseException:
            # anything else (a bug, Ctrl-C, the SystemExit of a killed job): no image left, raised as it is
            _discard(conn, image_id)
            raise
    return _plain(raw)


def update(name, visibility=None, min_disk=None, min_ram=None, properties=None, cloud=None):
    """
    Change an image in place in one JSON Patch request: ``visibility``, ``min_disk``,
    ``min_ram`` and ``properties`` (set or replaced; image references resolved, others left);
    an unset argument is left as it is. Returns ``find``'s answer after the change.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_image.update ironic-image visibility=public properties='{kernel_id: {image: deploy-kernel}}'
    """
    errors = []
    if visibility is not None and visibility not in VISIBILITIES:
        errors.append(f"visibility: must be one of {', '.join(VISIBILITIES)}, got {visibility!r}")
    for key, value in (("min_disk", min_disk), ("min_ram", min_ram)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            errors.append(f"{key}: must be a whole number (0 or more), got {value!r}")
    if properties is not None:
        errors.extend(_property_errors(properties, "properties"))
    if errors:
        raise SaltInvocationError("; ".join(errors))
    conn = _conn(cloud)
    fields = {"visibility": visibility, "min_disk": min_disk, "min_ram": min_ram}
    ops = [{"op": "replace", "path": f"/{k}", "value": v} for k, v in fields.items() if v is not None]
    props = normalize(_resolved(conn, properties)) if properties else {}
    ops.extend({"op": "add", "path": _pointer(k), "value": v} for k, v in props.items())
    return _plain(_patch_raw(conn, name, ops, "the attributes"))


def delete(name, cloud=None):
    """
    Delete the image with id or name ``name``; True when deleted, False when there was none.
    Glance refuses a protected image.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_image.delete deploy-kernel
    """
    conn = _conn(cloud)
    raw = _find(conn, name)
    if raw is None:
        return False
    _image(conn, "DELETE", f"/images/{raw['id']}")
    return True
