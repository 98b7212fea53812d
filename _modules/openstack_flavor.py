"""
Nova flavors: validation of flavor data and extra specs, reading, creating and changing them.

A flavor as pillar describes it::

    m1.large-numa:
      vcpus: 32
      ram: 65536
      disk: 40
      ephemeral: 0
      swap: 0
      is_public: false
      projects: [hpc]                  # project names or ids with access (private flavors only)
      description: CERN high-throughput
      extra_specs:
        hw:numa_nodes: 2
        hw:cpu_policy: dedicated
        hw:mem_page_size: 2MB
        hw:cpu_sockets: 2
        hw:cpu_cores: 8
        hw:cpu_threads: 2

Extra specs are checked before any API call (Nova itself only checks their names from
microversion 2.86, and their consistency only when an instance boots): the ``hw:`` keys Nova
knows and their values, NUMA and CPU topology consistency with ``vcpus``/``ram``, plus the
``resources*:``, ``trait*:``, ``aggregate_instance_extra_specs:``, ``capabilities:`` and other
Nova namespaces. A misspelt key is an error that names the key Nova knows.

Every call uses one openstacksdk connection per process (``_utils/stacksalt_openstack``) at
compute microversion 2.88; the cloud comes from ``openstack:clouds:<name>`` (minion config or
pillar) or ``clouds.yaml``; pass ``cloud=<name>`` to choose one.

:depends: openstacksdk
"""

import contextvars
import importlib
import logging
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    import openstack  # noqa: F401

    HAS_OPENSTACKSDK = True
except ImportError:  # pragma: no cover
    HAS_OPENSTACKSDK = False

log = logging.getLogger(__name__)

__virtualname__ = "openstack_flavor"

#: 2.55: flavor description; 2.61: extra specs in flavor bodies; 2.75+: stricter validation.
COMPUTE_MICROVERSION = "2.88"

#: Fields Nova cannot change on an existing flavor (only the description is mutable).
IMMUTABLE = ("vcpus", "ram", "disk", "ephemeral", "swap", "is_public")
DEFAULTS = {"disk": 0, "ephemeral": 0, "swap": 0, "is_public": True}
SPEC_KEYS = set(IMMUTABLE) | {
    "name",
    "id",
    "description",
    "projects",
    "extra_specs",
    "purge_extra_specs",
    "recreate",
}

_RESOURCE_CLASS = re.compile(r"^(CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9_]*)$")
_TRAIT = _RESOURCE_CLASS
# Granular request groups: resources1:, trait_GPU: ... (a bare letter suffix, as in the
# frequent typo "traits:", is refused although Placement would take it as a group name).
_GROUP = r"([0-9]{1,64}|[_-][a-zA-Z0-9_-]{1,63})?"

#: The ``hw:`` extra specs Nova knows, with the values each accepts: a tuple of choices,
#: "int" (a positive integer), "int0" (zero or more), "bool", "cpuset", "pagesize" or "str".
HW_SPECS = {
    "hw:boot_menu": "bool",
    "hw:cpu_cores": "int",
    "hw:cpu_dedicated_mask": "cpuset",
    "hw:cpu_max_cores": "int",
    "hw:cpu_max_sockets": "int",
    "hw:cpu_max_threads": "int",
    "hw:cpu_policy": ("shared", "dedicated", "mixed"),
    "hw:cpu_realtime": "bool",
    "hw:cpu_realtime_mask": "cpuset",
    "hw:cpu_sockets": "int",
    "hw:cpu_thread_policy": ("prefer", "isolate", "require"),
    "hw:cpu_threads": "int",
    "hw:emulator_threads_policy": ("share", "isolate"),
    "hw:ephemeral_encryption": "bool",
    "hw:ephemeral_encryption_format": ("luks", "plain"),
    "hw:hide_hypervisor_id": "bool",
    "hw:locked_memory": "bool",
    "hw:mem_encryption": "bool",
    "hw:mem_encryption_model": ("amd-sev", "amd-sev-es"),
    "hw:mem_page_size": "pagesize",
    "hw:numa_nodes": "int",
    "hw:pci_numa_affinity_policy": ("required", "preferred", "legacy", "socket"),
    "hw:pmem": "str",
    "hw:pmu": "bool",
    "hw:redirected_usb_ports": "int0",
    "hw:serial_port_count": "int0",
    "hw:sound_model": ("sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "virtio"),
    "hw:tpm_model": ("tpm-tis", "tpm-crb"),
    "hw:tpm_secret_security": ("user", "host", "deployment"),
    "hw:tpm_version": ("1.2", "2.0"),
    "hw:usb_model": ("none", "nec-xhci", "qemu-xhci", "piix3-uhci", "piix4-uhci", "ehci", "default"),
    "hw:vif_multiqueue_enabled": "bool",
    "hw:viommu_model": ("intel", "smmuv3", "virtio", "auto"),
    "hw:virtio_packed_ring": "bool",
    "hw:watchdog_action": ("none", "pause", "poweroff", "reset", "disabled"),
}
#: ``hw:numa_cpus.N`` / ``hw:numa_mem.N``: one per guest NUMA node.
HW_NUMA_NODE_SPEC = re.compile(r"^hw:numa_(cpus|mem)\.([0-9]+)$")

#: Namespaces whose keys are free-form (checked for their shape only).
FREE_NAMESPACES = (
    "aggregate_instance_extra_specs",
    "capabilities",
    "hw_rng",
    "hw_video",
    "quota",
    "pci_passthrough",
    "os",
    "accel",
    "vmware",
)
RESOURCES_KEY = re.compile(rf"^resources{_GROUP}:(.+)$")
TRAIT_KEY = re.compile(rf"^trait{_GROUP}:(.+)$")
#: Un-namespaced keys Nova itself reads.
PLAIN_KEYS = {"group_policy": ("none", "isolate")}
#: Keys of the 2017 procedures that no longer work, and what replaces them.
OBSOLETE = {
    "capabilities:boot_option": "local boot is Ironic's default and the boot_option capability is gone: drop it",
}


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


#: What each public function does, in the words its errors use
#: (``stacksalt_openstack.guard_edges``, put in place by ``__init__``).
_EDGES = {
    "get": "reading flavor '{name}'",
    "resolve_projects": "looking up the projects in Keystone",
    "create": "creating flavor '{name}'",
    "update": "updating flavor '{name}'",
    "delete": "deleting flavor '{name}'",
}


def __virtual__():
    if not HAS_OPENSTACKSDK:
        return (False, "openstack_flavor: the openstacksdk Python library is not installed")
    return __virtualname__


def __init__(opts):  # noqa: ARG001 - Salt's loader passes its opts
    """Called by Salt's loader once the dunders are in place: guard the module edge."""
    _util("stacksalt_openstack.guard_edges")(globals(), _EDGES)


# ---------------------------------------------------------------------------------------------
# Pure logic: validation and planning (no API calls; unit-tested)
# ---------------------------------------------------------------------------------------------


def _suggest(word, choices):
    return _util("stacksalt_openstack.did_you_mean")(word, choices)


def _as_text(value):
    """Extra spec values are strings in Nova: YAML booleans become 'true'/'false'."""
    return _util("stacksalt_openstack.as_text")(value)


def normalize_extra_specs(extra_specs):
    """
    Extra specs as Nova stores them (every value a string).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_flavor.normalize_extra_specs '{"hw:numa_nodes": 2}'
    """
    return {str(k): _as_text(v) for k, v in (extra_specs or {}).items()}


def _check_hw_value(key, value, kind):
    """The shared value check (``stacksalt_openstack.value_error``), a choice misspelt named."""
    error = _util("stacksalt_openstack.value_error")(value, kind)
    if error and isinstance(kind, tuple):
        error += _suggest(_as_text(value), kind)
    return error


def _check_key(key, value):
    """The error for one extra spec on its own, or None."""
    if key in OBSOLETE:
        return OBSOLETE[key]
    if key in HW_SPECS:
        return _check_hw_value(key, value, HW_SPECS[key])
    numa = HW_NUMA_NODE_SPEC.match(key)
    if numa:
        kind = "cpuset" if numa.group(1) == "cpus" else "int"
        return _check_hw_value(key, value, kind)
    if key.startswith("hw:"):
        return f"is not an extra spec Nova knows{_suggest(key, HW_SPECS)}"
    match = RESOURCES_KEY.match(key)
    if match:
        if not _RESOURCE_CLASS.match(match.group(2)):
            return (
                "names no resource class: use a standard class (VCPU, MEMORY_MB, DISK_GB...) or CUSTOM_<NAME>"
            )
        if not _util("stacksalt_openstack.is_count")(value):
            return f"must be a non-negative integer amount, got '{_as_text(value)}'"
        return None
    match = TRAIT_KEY.match(key)
    if match:
        if not _TRAIT.match(match.group(2)):
            return "names no trait: use a standard trait (HW_CPU_X86_AVX2...) or CUSTOM_<NAME>"
        if _as_text(value) not in ("required", "forbidden"):
            return f"must be required or forbidden, got '{_as_text(value)}'"
        return None
    if key in PLAIN_KEYS:
        return _check_hw_value(key, value, PLAIN_KEYS[key])
    namespace, sep, rest = key.partition(":")
    if sep and namespace in FREE_NAMESPACES:
        return None if rest else "has an empty name after the namespace"
    known = [f"{ns}:{rest or '...'}" for ns in (*FREE_NAMESPACES, "resources", "trait", "hw")]
    if sep:
        return f"is in no namespace Nova knows{_suggest(key, known)}"
    return (
        f"has no namespace: the AggregateInstanceExtraSpecsFilter matches "
        f"'aggregate_instance_extra_specs:{key}', the ComputeCapabilitiesFilter 'capabilities:{key}'"
    )


def _int(specs, key):
    try:
        return int(specs[key])
    except (KeyError, TypeError, ValueError):
        return None


def _cpus_in(cpuset):
    cpus = set()
    for part in cpuset.split(","):
        exclude = part.startswith("^")
        low, _, high = part.lstrip("^").partition("-")
        rng = set(range(int(low), int(high or low) + 1))
        cpus = cpus - rng if exclude else cpus | rng
    return cpus


def _check_consistency(specs, vcpus, ram):
    """Errors that only the combination of keys (and vcpus/ram) reveals."""
    errors = []
    policy = specs.get("hw:cpu_policy", "shared")
    for key in ("hw:cpu_thread_policy", "hw:emulator_threads_policy"):
        if key in specs and policy not in ("dedicated", "mixed"):
            errors.append(f"{key}: needs hw:cpu_policy dedicated (Nova refuses the boot otherwise)")
    if "hw:cpu_dedicated_mask" in specs and policy != "mixed":
        errors.append("hw:cpu_dedicated_mask: needs hw:cpu_policy mixed")

    topology = {part: _int(specs, f"hw:cpu_{part}") for part in ("sockets", "cores", "threads")}
    for part, value in topology.items():
        limit = _int(specs, f"hw:cpu_max_{part}")
        if value and limit and value > limit:
            errors.append(f"hw:cpu_{part}: {value} is more than hw:cpu_max_{part} ({limit})")
    if all(topology.values()) and isinstance(vcpus, int):
        product = topology["sockets"] * topology["cores"] * topology["threads"]
        if product != vcpus:
            errors.append(
                f"hw:cpu_sockets x hw:cpu_cores x hw:cpu_threads is {product} but vcpus is {vcpus}: "
                "Nova would silently pick another topology"
            )

    nodes = _int(specs, "hw:numa_nodes")
    per_node = {}
    for key in specs:
        match = HW_NUMA_NODE_SPEC.match(key)
        if match:
            per_node.setdefault(match.group(1), {})[int(match.group(2))] = key
    if per_node and not nodes:
        errors.append(f"{sorted(k for d in per_node.values() for k in d.values())[0]}: needs hw:numa_nodes")
    elif nodes:
        for kind in ("cpus", "mem"):
            for node, key in sorted(per_node.get(kind, {}).items()):
                if node >= nodes:
                    errors.append(f"{key}: hw:numa_nodes is {nodes}, nodes are numbered 0 to {nodes - 1}")
        if per_node:
            for kind in ("cpus", "mem"):
                missing = [n for n in range(nodes) if n not in per_node.get(kind, {})]
                if missing:
                    errors.append(
                        f"hw:numa_{kind}.{missing[0]}: missing; with explicit NUMA placement Nova needs "
                        f"hw:numa_cpus.N and hw:numa_mem.N for every node 0 to {nodes - 1}"
                    )
        cpus_keys = per_node.get("cpus", {})
        if cpus_keys and isinstance(vcpus, int) and not errors:
            placed = []
            for key in cpus_keys.values():
                placed.extend(_cpus_in(_as_text(specs[key])))
            if sorted(placed) != list(range(vcpus)):
                errors.append(f"hw:numa_cpus.N: together they must cover CPUs 0 to {vcpus - 1} exactly once")
        mem_keys = per_node.get("mem", {})
        if mem_keys and isinstance(ram, int) and not errors:
            total = sum(int(_as_text(specs[k])) for k in mem_keys.values())
            if total != ram:
                errors.append(f"hw:numa_mem.N: together {total} MB but ram is {ram} MB")
        if not per_node:
            if isinstance(vcpus, int) and vcpus % nodes:
                errors.append(f"hw:numa_nodes: {vcpus} vcpus cannot be split evenly over {nodes} NUMA nodes")
            if isinstance(ram, int) and ram % nodes:
                errors.append(
                    f"hw:numa_nodes: {ram} MB of ram cannot be split evenly over {nodes} NUMA nodes"
                )
    return errors


def validate_extra_specs(extra_specs, vcpus=None, ram=None, where="extra_specs"):
    """
    Check extra specs before any API call; return a list of errors (empty when valid), each
    naming ``where`` and the key.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_flavor.validate_extra_specs '{"hw:numa_node": 2}' vcpus=4 ram=4096
    """
    if extra_specs is None:
        return []
    if not isinstance(extra_specs, dict):
        return [f"{where}: must be a mapping of extra spec names to values"]
    errors = []
    for key, value in extra_specs.items():
        if not isinstance(key, str) or not key:
            errors.append(f"{where}: extra spec names must be non-empty strings, got {key!r}")
            continue
        if value is None or isinstance(value, dict | list):
            errors.append(f"{where}:{key}: must be a single value")
            continue
        error = _check_key(key, value)
        if error:
            errors.append(f"{where}:{key}: {error}")
    if not errors:
        errors = [f"{where}: {e}" for e in _check_consistency(normalize_extra_specs(extra_specs), vcpus, ram)]
    return errors


def validate(spec, where="flavor"):
    """
    Check a whole flavor description (see the module doc); return a list of errors.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_flavor.validate '{"name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20}'
    """
    errors = []
    if not isinstance(spec, dict):
        return [f"{where}: must be a mapping"]
    for key in sorted(set(spec) - SPEC_KEYS):
        errors.append(f"{where}:{key}: unknown key{_suggest(key, SPEC_KEYS)}")
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        errors.append(f"{where}:name: must be a non-empty string of at most 255 characters")
    for key, minimum in (("vcpus", 1), ("ram", 1), ("disk", 0), ("ephemeral", 0), ("swap", 0)):
        if spec.get(key) is None:
            if key in ("vcpus", "ram"):
                errors.append(f"{where}:{key}: is required")
            continue
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            errors.append(f"{where}:{key}: must be an integer >= {minimum}, got {value!r}")
    for key in ("is_public", "purge_extra_specs", "recreate"):
        if key in spec and not isinstance(spec[key], bool):
            errors.append(f"{where}:{key}: must be true or false, got {spec[key]!r}")
    if "description" in spec and spec["description"] is not None and not isinstance(spec["description"], str):
        errors.append(f"{where}:description: must be a string")
    if "id" in spec and (not isinstance(spec["id"], str) or not spec["id"]):
        errors.append(f"{where}:id: must be a non-empty string (quote numeric ids)")
    projects = spec.get("projects")
    if projects is not None:
        if not isinstance(projects, list) or not all(isinstance(p, str) and p for p in projects):
            errors.append(f"{where}:projects: must be a list of project names or ids")
        elif spec.get("is_public", True):
            errors.append(
                f"{where}:projects: project access applies to private flavors only: set is_public: false"
            )
    vcpus = spec.get("vcpus") if isinstance(spec.get("vcpus"), int) else None
    ram = spec.get("ram") if isinstance(spec.get("ram"), int) else None
    errors.extend(validate_extra_specs(spec.get("extra_specs"), vcpus, ram, where=f"{where}:extra_specs"))
    return errors


def plan(spec, live, project_ids=None):
    """
    Compare a validated flavor description with the live flavor (``get``'s result or None).

    Returns ``{"action": "none"|"create"|"update"|"recreate"|"refuse", "changes": {...},
    "comment": str, "set_specs": {...}, "unset_specs": [...], "add_projects": [...],
    "remove_projects": [...], "description": ...}``. ``project_ids`` maps the names/ids the
    spec lists to project ids. Only the extra specs the spec sets are compared unless
    ``purge_extra_specs`` is true.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_flavor.plan '{"name": "m1.small", "vcpus": 1, "ram": 2048}' '{...}'
    """
    wanted = dict(DEFAULTS, **{k: v for k, v in spec.items() if v is not None})
    specs = normalize_extra_specs(spec.get("extra_specs"))
    project_ids = project_ids or {}
    wanted_projects = {project_ids.get(p, p): p for p in spec.get("projects") or []}
    item = {
        "action": "none",
        "changes": {},
        "comment": "",
        "set_specs": {},
        "unset_specs": [],
        "add_projects": [],
        "remove_projects": [],
        "description": None,
    }
    fields = {k: wanted[k] for k in ("vcpus", "ram", "disk", "ephemeral", "swap", "is_public")}
    if "description" in spec and spec["description"] is not None:
        fields["description"] = spec["description"]

    if live is None:
        item["action"] = "create"
        item["changes"] = {"created": dict(fields, name=spec["name"])}
        if specs:
            item["changes"]["extra_specs"] = {"old": {}, "new": specs}
        if wanted_projects:
            item["changes"]["projects"] = {"added": sorted(wanted_projects.values())}
        item["set_specs"] = specs
        item["add_projects"] = sorted(wanted_projects)
        return item

    differing = {k: {"old": live.get(k), "new": wanted[k]} for k in IMMUTABLE if live.get(k) != wanted[k]}
    live_specs = live.get("extra_specs") or {}
    live_projects = set(live.get("projects") or [])
    if differing:
        if not spec.get("recreate"):
            what = "; ".join(f"{k}: {v['old']} -> {v['new']}" for k, v in sorted(differing.items()))
            item["action"] = "refuse"
            item["comment"] = (
                f"Flavor '{spec['name']}' differs in {what}, and Nova flavors are immutable: "
                "set recreate: true to delete and create it again with the same id (running "
                "instances keep their copy of the old flavor), or use a new flavor name"
            )
            return item
        # Deleted and created again with the same id: what the spec does not manage is kept.
        final_specs = dict(specs) if spec.get("purge_extra_specs") else dict(live_specs, **specs)
        final_projects = set(wanted_projects) if spec.get("projects") is not None else live_projects
        item.update(action="recreate", set_specs=final_specs, add_projects=sorted(final_projects))
        item["changes"] = {"recreated": differing}
        if final_specs != live_specs:
            item["changes"]["extra_specs"] = _spec_diff(live_specs, final_specs)
        if final_projects != live_projects:
            item["changes"]["projects"] = _project_diff(live_projects, final_projects, wanted_projects)
        if "description" in fields:
            item["description"] = fields["description"]
        return item

    changes = {}
    set_specs = {k: v for k, v in specs.items() if live_specs.get(k) != v}
    unset_specs = sorted(set(live_specs) - set(specs)) if spec.get("purge_extra_specs") else []
    if set_specs or unset_specs:
        new = {k: v for k, v in live_specs.items() if k not in unset_specs}
        new.update(set_specs)
        changes["extra_specs"] = _spec_diff(live_specs, new)
    if "description" in fields and (live.get("description") or None) != (fields["description"] or None):
        changes["description"] = {"old": live.get("description"), "new": fields["description"]}
        item["description"] = fields["description"]
    if spec.get("projects") is not None and set(wanted_projects) != live_projects:
        changes["projects"] = _project_diff(live_projects, set(wanted_projects), wanted_projects)
        item["add_projects"] = sorted(set(wanted_projects) - live_projects)
        item["remove_projects"] = sorted(live_projects - set(wanted_projects))
    item.update(set_specs=set_specs, unset_specs=unset_specs, changes=changes)
    item["action"] = "update" if changes else "none"
    return item


def _spec_diff(old, new):
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return {"old": {k: old[k] for k in keys if k in old}, "new": {k: new[k] for k in keys if k in new}}


def _project_diff(live, wanted, names):
    diff = {}
    if wanted - live:
        diff["added"] = sorted(names.get(p, p) for p in wanted - live)
    if live - wanted:
        diff["removed"] = sorted(live - wanted)
    return diff


# ---------------------------------------------------------------------------------------------
# API access
# ---------------------------------------------------------------------------------------------


def _conn(cloud=None):
    return _util("stacksalt_openstack.salt_connect")(__salt__, cloud)


def _compute(conn, method, url, **kwargs):
    return _util("stacksalt_openstack.request")(
        conn.compute, method, url, microversion=COMPUTE_MICROVERSION, **kwargs
    )


def _error(what, exc):
    return _util("stacksalt_openstack.command_error")(what, exc)


def _find(conn, name):
    """The raw flavor named ``name`` (public and private), or None."""
    try:
        flavors = _util("stacksalt_openstack.paged")(
            conn.compute,
            "/flavors/detail",
            "flavors",
            {"is_public": "None"},
            microversion=COMPUTE_MICROVERSION,
        )
    except Exception as exc:  # noqa: BLE001 - re-raised with the operator's context
        raise _error("listing Nova flavors", exc) from exc
    found = [f for f in flavors if f["name"] == name]
    if len(found) > 1:
        raise CommandExecutionError(
            f"{len(found)} flavors are named '{name}' ({', '.join(f['id'] for f in found)}): remove the extra ones"
        )
    return found[0] if found else None


def _plain(conn, raw):
    flavor = {
        "id": raw["id"],
        "name": raw["name"],
        "vcpus": raw["vcpus"],
        "ram": raw["ram"],
        "disk": raw["disk"],
        "ephemeral": raw.get("OS-FLV-EXT-DATA:ephemeral", 0),
        "swap": raw.get("swap") or 0,
        "is_public": raw.get("os-flavor-access:is_public", True),
        "description": raw.get("description"),
        "extra_specs": dict(raw.get("extra_specs") or {}),
        "projects": [],
    }
    if not flavor["is_public"]:
        try:
            resp = _compute(conn, "GET", f"/flavors/{raw['id']}/os-flavor-access")
        except Exception as exc:  # noqa: BLE001
            raise _error(f"reading the project access of flavor '{raw['name']}'", exc) from exc
        flavor["projects"] = sorted(a["tenant_id"] for a in resp.json().get("flavor_access", []))
    return flavor


def get(name, cloud=None):
    """
    The flavor named ``name`` as a plain dict (vcpus, ram, disk, ephemeral, swap, is_public,
    description, extra_specs, projects as ids), or None when it does not exist.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_flavor.get m1.small
    """
    conn = _conn(cloud)
    raw = _find(conn, name)
    return _plain(conn, raw) if raw else None


def resolve_projects(projects, cloud=None):
    """
    Map project names or ids to ids (Keystone); an unknown project is an error naming it.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_flavor.resolve_projects '[admin, hpc]'
    """
    conn = _conn(cloud)
    ids, missing = {}, []
    for ref in projects or []:
        try:
            project = conn.identity.find_project(ref, ignore_missing=True)
        except Exception as exc:  # noqa: BLE001
            raise _error(f"looking up project '{ref}' in Keystone", exc) from exc
        if project is None:
            missing.append(ref)
        else:
            ids[ref] = project.id
    if missing:
        raise SaltInvocationError(f"projects not found in Keystone: {', '.join(missing)}")
    return ids


def _here(func):
    """``func`` run in this module's loader context: a util calling it back has its own, where
    this module's ``__utils__``/``__salt__`` do not resolve."""
    ctx = contextvars.copy_context()
    return lambda: ctx.run(func)


def _set_specs(conn, flavor_id, specs):
    if specs:
        # Setting keys to values: a repeat is the same call, so it is retried like a PUT.
        url = f"/flavors/{flavor_id}/os-extra_specs"
        _compute(conn, "POST", url, json={"extra_specs": specs}, idempotent=True)


def _access(conn, flavor_id, action, project_id):
    body = {action: {"tenant": project_id}}

    def done():
        # After a lost answer: the access list says whether Nova did it (else a retry gets 409).
        access = _compute(conn, "GET", f"/flavors/{flavor_id}/os-flavor-access").json()["flavor_access"]
        has = any(a["tenant_id"] == project_id for a in access)
        return True if has == (action == "addTenantAccess") else None

    # A 409 answer is Nova's verdict on this call (access already there or not): not retried.
    _compute(
        conn,
        "POST",
        f"/flavors/{flavor_id}/action",
        json=body,
        retry_statuses=(503,),
        before_retry=_here(done),
    )


#: The fields a flavor is created with: a flavor of that name found after a lost answer must have
#: them all to be the one this call made.
CREATE_FIELDS = ("vcpus", "ram", "disk", "OS-FLV-EXT-DATA:ephemeral", "os-flavor-access:is_public")


def _created_by(conn, body):
    """
    The flavor a ``POST /flavors`` whose answer was lost has made (``{"flavor": raw}``), None
    when there is none. A flavor of that name with other values is someone else's: a conflict,
    raised, never adopted.
    """
    raw = _find(conn, body["name"])
    if raw is None:
        return None
    live = dict(raw, swap=raw.get("swap") or 0)
    differs = [k for k in (*CREATE_FIELDS, "swap") if live.get(k) != body.get(k, live.get(k))]
    if body.get("id") and raw["id"] != body["id"]:
        differs.append("id")
    if differs:
        raise CommandExecutionError(
            f"creating flavor '{body['name']}': its answer was lost and a flavor of that name now exists "
            f"with other {', '.join(differs)} ({raw['id']}): not adopted; check who made it"
        )
    return {"flavor": raw}


def create(
    name,
    vcpus,
    ram,
    disk=0,
    ephemeral=0,
    swap=0,
    is_public=True,
    description=None,
    extra_specs=None,
    projects=None,
    flavor_id=None,
    cloud=None,
):
    """
    Create a flavor with its extra specs and project access (``projects``: ids). The data is
    validated first; nothing is created when it is invalid.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_flavor.create m1.small vcpus=1 ram=2048 disk=20
    """
    spec = {"name": name, "vcpus": vcpus, "ram": ram, "disk": disk, "ephemeral": ephemeral, "swap": swap}
    spec.update(is_public=is_public, extra_specs=extra_specs)
    errors = validate(spec)
    if errors:
        raise SaltInvocationError("; ".join(errors))
    conn = _conn(cloud)
    body = {"name": name, "vcpus": vcpus, "ram": ram, "disk": disk, "OS-FLV-EXT-DATA:ephemeral": ephemeral}
    body.update({"swap": swap, "os-flavor-access:is_public": is_public})
    if description is not None:
        body["description"] = description
    if flavor_id:
        body["id"] = flavor_id
    try:
        # A 409 is a real conflict (name or id taken): reported, not retried. After a lost answer
        # (503, reset) the flavor is looked up by name before any retry, so none is made twice.
        resp = _compute(
            conn,
            "POST",
            "/flavors",
            json={"flavor": body},
            retry_statuses=(503,),
            before_retry=_here(lambda: _created_by(conn, body)),
        )
        raw = (resp if isinstance(resp, dict) else resp.json())["flavor"]
    except CommandExecutionError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _error(f"creating flavor '{name}'", exc) from exc
    try:
        _set_specs(conn, raw["id"], normalize_extra_specs(extra_specs))
        for project_id in projects or []:
            _access(conn, raw["id"], "addTenantAccess", project_id)
    except Exception as exc:  # noqa: BLE001
        # A half-made flavor would look finished to the next run: remove it.
        try:
            _compute(conn, "DELETE", f"/flavors/{raw['id']}")
        except Exception:  # noqa: BLE001
            log.warning("could not remove the half-created flavor %s", name)
        raise _error(f"setting up flavor '{name}' (it was removed again)", exc) from exc
    return get(name, cloud=cloud)


def update(
    name,
    set_specs=None,
    unset_specs=None,
    add_projects=None,
    remove_projects=None,
    description=None,
    cloud=None,
):
    """
    Change what Nova lets change on a flavor: extra specs (set and unset), project access
    (ids), description.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_flavor.update m1.small set_specs='{"hw:cpu_policy": "dedicated"}'
    """
    conn = _conn(cloud)
    raw = _find(conn, name)
    if raw is None:
        raise CommandExecutionError(f"flavor '{name}' does not exist")
    fid = raw["id"]
    step = "extra specs"
    try:
        _set_specs(conn, fid, normalize_extra_specs(set_specs))
        for key in unset_specs or []:
            _compute(conn, "DELETE", f"/flavors/{fid}/os-extra_specs/{key}")
        step = "project access"
        for project_id in add_projects or []:
            _access(conn, fid, "addTenantAccess", project_id)
        for project_id in remove_projects or []:
            _access(conn, fid, "removeTenantAccess", project_id)
        if description is not None:
            step = "description"
            _compute(conn, "PUT", f"/flavors/{fid}", json={"flavor": {"description": description}})
    except Exception as exc:  # noqa: BLE001
        raise _error(f"updating the {step} of flavor '{name}'", exc) from exc
    return get(name, cloud=cloud)


def delete(name, cloud=None):
    """
    Delete the flavor named ``name``; True when it was deleted, False when it did not exist.
    Running instances keep their own copy of the flavor.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_flavor.delete m1.tiny
    """
    conn = _conn(cloud)
    raw = _find(conn, name)
    if raw is None:
        return False
    try:
        _compute(conn, "DELETE", f"/flavors/{raw['id']}")
    except Exception as exc:  # noqa: BLE001
        raise _error(f"deleting flavor '{name}'", exc) from exc
    return True
