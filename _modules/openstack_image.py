"""
Properties of existing Glance images: Nova's ``hw_*`` hints (CPU topology, NUMA, huge pages,
buses, models), ``os_type``/``os_distro`` and a site's own properties (``release_date``,
``recommended``, ``os_distro_major``...).

Images are imported elsewhere (``glance_rbd_image.present``, or the image service's own
tools); this module reads and changes the properties of an image found by name or id.

Values are strings in Glance: YAML booleans become ``"true"``/``"false"`` and numbers their
decimal text, so ``recommended: true`` compares equal to what Glance returns. ``hw_*`` keys
are checked against the properties Nova reads (a misspelt key is an error naming the right one),
with their values. Glance's own attributes (``id``, ``status``, ``visibility``...) are not
properties and are refused.

Every call uses one openstacksdk connection per process (``_utils/stacksalt_openstack``); the
cloud comes from ``openstack:clouds:<name>`` (minion config or pillar) or ``clouds.yaml``.

:depends: openstacksdk
"""

import difflib
import importlib
import logging
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    import jsonpointer  # openstacksdk's own dependency (through jsonpatch)
    import openstack  # noqa: F401

    HAS_OPENSTACKSDK = True
except ImportError:  # pragma: no cover
    HAS_OPENSTACKSDK = False

log = logging.getLogger(__name__)

__virtualname__ = "openstack_image"

PATCH_TYPE = "application/openstack-images-v2.1-json-patch"

_INT = re.compile(r"^[0-9]+$")
_CPU_SET = re.compile(r"^\^?[0-9]+(-[0-9]+)?(,\^?[0-9]+(-[0-9]+)?)*$")
_PAGE_SIZE = re.compile(r"^(small|large|any|[0-9]+([KMGT]i?B?|[kmgt]i?b?)?)$")
_BOOL = ("true", "false", "yes", "no", "1", "0", "on", "off")

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
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalize(properties):
    """
    Properties as Glance stores them (every value a string).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_image.normalize '{"recommended": true, "hw_cpu_cores": 8}'
    """
    return {str(k): _text(v) for k, v in (properties or {}).items()}


def _check_value(value, kind):
    text = _text(value)
    if isinstance(kind, tuple):
        if text not in kind:
            return f"must be one of {', '.join(kind)}, got '{text}'"
    elif kind in ("int", "int0"):
        if isinstance(value, bool) or not _INT.match(text) or (kind == "int" and int(text) < 1):
            return f"must be a {'positive' if kind == 'int' else 'non-negative'} integer, got '{text}'"
    elif kind == "bool":
        if text.lower() not in _BOOL:
            return f"must be true or false, got '{text}'"
    elif kind == "cpuset":
        if not _CPU_SET.match(text):
            return f"must be a CPU list such as '0-3,^2,5', got '{text}'"
    elif kind == "pagesize":
        if not _PAGE_SIZE.match(text):
            return f"must be small, large, any or a size such as 2MB or 1GB, got '{text}'"
    return None


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
            error = _check_value(value, kind)
            if error:
                errors.append(f"{where}:{key}: {error}")
        elif key.startswith("hw_") or key.startswith("hw:"):
            match = difflib.get_close_matches(key.replace(":", "_"), list(HW_PROPERTIES), n=1, cutoff=0.6)
            hint = f" (did you mean '{match[0]}'?)" if match else ""
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


# ---------------------------------------------------------------------------------------------
# API access
# ---------------------------------------------------------------------------------------------


def _conn(cloud=None):
    return _util("stacksalt_openstack.salt_connect")(__salt__["config.get"], cloud)


def _image(conn, method, url, **kwargs):
    return _util("stacksalt_openstack.request")(conn.image, method, url, **kwargs)


def _error(what, exc):
    return _util("stacksalt_openstack.command_error")(what, exc)


def _find(conn, name_or_id):
    """The raw Glance image with this id, or the one image with this name."""
    try:
        # a 404 (or a 400: not a uuid) means "look by name"
        raw = _util("stacksalt_openstack.get_or_none")(conn.image, f"/images/{name_or_id}", absent=(400, 404))
        if raw is not None:
            return raw
        # visibility=all: an admin also finds other projects' private images.
        params = {"name": name_or_id, "visibility": "all"}
        images = _image(conn, "GET", "/images", params=params).json().get("images", [])
    except Exception as exc:  # noqa: BLE001
        raise _error(f"looking up image '{name_or_id}' in Glance", exc) from exc
    if len(images) > 1:
        raise CommandExecutionError(
            f"{len(images)} images are named '{name_or_id}' ({', '.join(i['id'] for i in images)}): "
            "name the image by id"
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
    return jsonpointer.JsonPointer.from_parts([key]).path


def _patch(name, ops, cloud):
    conn = _conn(cloud)
    raw = _find(conn, name)
    if raw is None:
        raise CommandExecutionError(f"image '{name}' was not found in Glance")
    try:
        _image(conn, "PATCH", f"/images/{raw['id']}", json=ops, headers={"Content-Type": PATCH_TYPE})
    except Exception as exc:  # noqa: BLE001
        raise _error(f"changing the properties of image '{name}'", exc) from exc
    return get(raw["id"], cloud=cloud)
