"""
Ironic bare-metal nodes: inventory, planning and enrolment at scale (openstacksdk).

Node data uses the operator's enrolment file format (one mapping per node)::

    name: rack1-node4
    driver: redfish                      # or ipmi; fake-hardware for tests
    driver_info: {redfish_address: https://10.0.0.4, redfish_username: root, redfish_password: s3cret}
    properties: {cpus: 4, memory_mb: 12288, local_gb: 60, root_device: {wwn: "0x0000000000000001"}}
    capabilities: {boot_mode: uefi}      # merged into properties/capabilities ("k:v,k:v")
    ports: [{address: "52:54:00:a0:af:da"}]
    resource_class: baremetal-gold
    traits: [CUSTOM_GOLD]
    deploy_kernel: deploy-kernel         # Glance image name or id, or a URL
    deploy_ramdisk: deploy-ramdisk
    provision_state: available           # enroll | manageable | available (default)

Only the keys a node sets are compared with Ironic: properties added by inspection and
secrets Ironic masks (``******``) never cause a change. A salted digest of each secret (secret
keys by the project's rule, ``_utils/stacksalt_secrets.py``: passwords, ``snmp_auth_key``,
``snmp_priv_key``, ``snmp_community``, ``ipmi_hex_kg_key``..., and any URL with a password in
its userinfo such as ``redfish_address: https://user:pass@bmc``) is kept in the node's
``extra`` (``stacksalt_secrets``) so a real change is still detected. Returns, ``changes`` and
events print every secret as ``**********``.

Every call goes through one openstacksdk connection per process (``_utils/stacksalt_openstack``)
with an explicit microversion; the cloud comes from ``openstack:clouds:<name>`` (minion config or
pillar) or ``clouds.yaml``; pass ``cloud=<name>`` to choose one.

A node's JSON Patch is built op by op while :func:`plan` compares the keys the spec sets, not
with ``jsonpatch.make_patch``: a diff of whole documents would patch keys the spec leaves alone,
reach into values compared whole (``/properties/root_device/wwn``) and may send ``move``, which
Ironic refuses, and secrets are decided key by key through their digests
(``tests/unit/openstack/test_patch_documents.py`` pins the documents sent).

:depends: openstacksdk
"""

import contextvars
import copy
import importlib
import logging
import os
import threading
import time
import uuid as uuidlib
from concurrent.futures import ThreadPoolExecutor

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    import openstack.exceptions

    HAS_OPENSTACKSDK = True
except ImportError:  # pragma: no cover
    HAS_OPENSTACKSDK = False

log = logging.getLogger(__name__)

__virtualname__ = "ironic_node"

EVENT_TAG = "salt/stacksalt/ironic_node/progress"
DIGEST_KEY = "stacksalt_secrets"

INTERFACES = (
    "bios",
    "boot",
    "console",
    "deploy",
    "firmware",
    "inspect",
    "management",
    "network",
    "power",
    "raid",
    "rescue",
    "storage",
    "vendor",
)
NODE_FIELDS = {"driver", "resource_class", "automated_clean", "description", "conductor_group", "owner"} | {
    f"{i}_interface" for i in INTERFACES
}
TARGET_STATES = ("enroll", "manageable", "available")
#: Seconds to wait for one provision step of a node (manage, provide and its cleaning), the one
#: default of ``apply`` and the ``ironic_node.present``/``enrolled`` states (the formula's
#: ``ironic:nodes_timeout`` leaves it to them unless set). 1800 is Ironic's own
#: ``[conductor]clean_callback_timeout`` (and ``deploy_callback_timeout``): waiting less gives up on
#: a node Ironic would still clean; waiting more is useless, as Ironic fails the node into
#: ``clean failed`` itself by then.
DEFAULT_TIMEOUT = 1800
#: Where the node rules come from: the ironic formula's pillar schema, whose ``$defs/node`` and
#: ``properties/nodes`` are their one source (see :func:`_node_rules` for where it is looked for).
SCHEMA_SOURCE = "salt://ironic/schema.yaml"
#: The same file in a checkout of the repository, when this module is loaded from one.
SCHEMA_CHECKOUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "salt", "ironic", "schema.yaml"
)
# States from which Ironic is still moving the node by itself.
TRANSIENT = {"verifying", "cleaning", "clean wait", "inspecting", "inspect wait", "deleting", "adopting"}
IN_USE = {
    "active",
    "deploying",
    "wait call-back",
    "deploy failed",
    "rescue",
    "rescuing",
    "servicing",
    "service wait",
}


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


#: What each public function does, in the words its errors use
#: (``stacksalt_openstack.guard_edges``, put in place by ``__init__``).
_EDGES = {
    "inventory": "reading the nodes from Ironic",
    "drivers": "listing the drivers of Ironic",
    "check_supported": "reading the drivers from Ironic",
    "resolve_images": "resolving the deploy images in Glance",
    "apply": "applying the node plans to Ironic",
    "delete": "deleting node '{name}'",
}


def __virtual__():
    if not HAS_OPENSTACKSDK:
        return (False, "ironic_node: the openstacksdk Python library is not installed")
    return __virtualname__


def __init__(opts):  # noqa: ARG001 - Salt's loader passes its opts
    """Called by Salt's loader once the dunders are in place: guard the module edge."""
    _util("stacksalt_openstack.guard_edges")(globals(), _EDGES)


# ---------------------------------------------------------------------------------------------
# Pure logic: validation, normalisation, planning (no API calls; unit-tested).
# ---------------------------------------------------------------------------------------------


# The project's one secret rule and mask (_utils/stacksalt_secrets.py).
def _is_secret(key, value=None):
    """A secret key (``ipmi_password``, ``snmp_auth_key``...) or a URL with a password in it."""
    return _util("stacksalt_secrets.is_secret_key")(key) or _util("stacksalt_secrets.url_has_secret")(value)


def _mask(data):
    return _util("stacksalt_secrets.mask")(data)


def _mask_value(value):
    return _util("stacksalt_secrets.mask_value")(value)


def _service_masked(value):
    """True when Ironic returned its own mask (``******``) instead of the stored value."""
    return _util("stacksalt_secrets.is_service_mask")(value)


def _schema_text():
    """``(source, text)`` of the ironic formula's schema: the file config ``ironic_node:schema``
    names (a path or a ``salt://`` URL); else the repository checkout this module was loaded
    from (tests, salt-call from a checkout); else ``salt://ironic/schema.yaml`` from the
    fileserver (a minion synced from a master that serves the formula)."""
    source = __salt__["config.get"]("ironic_node:schema", None)
    if not source and os.path.isfile(SCHEMA_CHECKOUT):
        with open(SCHEMA_CHECKOUT, encoding="utf-8") as fh:
            return os.path.normpath(SCHEMA_CHECKOUT), fh.read()
    source = source or SCHEMA_SOURCE
    text = __salt__["cp.get_file_str"](source)
    if not text:
        raise CommandExecutionError(
            f"the node rules come from the ironic formula's schema, and {source} could not be read: "
            "serve the formula (salt/ironic) or set config ironic_node:schema to a copy of it"
        )
    return source, text


def _node_rules():
    """
    The node rules of the ironic formula's schema (read at each call, so an edited schema
    counts at once; see :func:`_schema_text`): ``(node, nodes)``, the schemas of one node
    (``$defs/node``) and of the whole list (``properties/nodes``: duplicate names and MACs
    across nodes), each carrying the schema's ``$defs``.
    """
    source, text = _schema_text()
    try:
        schema = _util("stacksalt_schema.load_schema")(text, source=source)
        defs = schema["$defs"]
        rules = (
            {"$schema": schema.get("$schema"), "$defs": defs, "$ref": "#/$defs/node"},
            {"$schema": schema.get("$schema"), "$defs": defs, **schema["properties"]["nodes"]},
        )
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise CommandExecutionError(
            f"reading the node rules ($defs/node, properties/nodes) from {source} failed: {exc}"
        ) from exc
    return rules


def validate(spec, where="node"):
    """
    Check one node's data against the node rules of the ironic formula's schema
    (``$defs/node`` of ``salt/ironic/schema.yaml``: from the checkout this module runs from, or
    ``salt://ironic/schema.yaml``; config ``ironic_node:schema`` names another copy); return the
    list of problems (empty when valid). Never calls the API.

    ``where`` prefixes each problem with the pillar key path of the node
    (e.g. ``ironic:nodes:3``). Messages name the key path and the reason, never a value
    (``stacksalt_schema.validate``).

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.validate '{name: n1, driver: pxe_ssh}'
    """
    node, _ = _node_rules()
    return _util("stacksalt_schema.validate")(spec, node, root=where)


def validate_many(nodes, where="nodes"):
    """
    Check a list of nodes (duplicates of names and MACs across nodes included) against the
    schema's ``properties/nodes`` rules (see :func:`validate`); return the problems.

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.validate_many "$(cat nodes.yaml)"
    """
    _, many = _node_rules()
    return _util("stacksalt_schema.validate")(nodes, many, root=where)


def _looks_like_uuid(value):
    try:
        uuidlib.UUID(str(value))
    except ValueError:
        return False
    return True


def parse_capabilities(value):
    """``"boot_mode:uefi,secure_boot:true"`` -> ``{"boot_mode": "uefi", "secure_boot": "true"}``."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    caps = {}
    for item in str(value or "").split(","):
        if ":" in item:
            k, v = item.split(":", 1)
            caps[k.strip()] = v.strip()
    return caps


def format_capabilities(caps):
    """Inverse of :func:`parse_capabilities`, keys sorted (stable comparisons)."""
    return ",".join(f"{k}:{v}" for k, v in sorted(caps.items()))


def _pointer(*parts):
    """The JSON Pointer (RFC 6901) of a node field for a JSON Patch op: ``~`` and ``/`` escaped."""
    return _util("stacksalt_openstack.json_pointer")(*parts)


def _wanted(spec, images=None):
    """The spec with capabilities folded into properties and deploy images into driver_info."""
    images = images or {}
    spec = copy.deepcopy(spec)
    driver_info = (
        spec.setdefault("driver_info", {}) if ("deploy_kernel" in spec or "deploy_ramdisk" in spec) else None
    )
    for key in ("deploy_kernel", "deploy_ramdisk"):
        if key in spec:
            ref = spec.pop(key)
            driver_info[key] = images.get(ref, ref)
    if "capabilities" in spec:
        spec.setdefault("properties", {})["capabilities"] = parse_capabilities(spec.pop("capabilities"))
    elif isinstance(spec.get("properties", {}).get("capabilities"), str):
        spec["properties"]["capabilities"] = parse_capabilities(spec["properties"]["capabilities"])
    return spec


def _transition(current, target):
    """Provision verbs that move a node from ``current`` to ``target``; None when in use."""
    if target == "enroll" or current == target:
        return []
    if current in IN_USE:
        return None
    if current == "enroll":
        return ["manage"] if target == "manageable" else ["manage", "provide"]
    if current == "manageable":
        return ["provide"] if target == "available" else []
    if current == "available":
        return ["manage"] if target == "manageable" else []
    if current in ("clean failed", "inspect failed"):
        return ["manage"] if target == "manageable" else ["manage", "provide"]
    return None


# The plan of one node: what plan() returns, the state passes on (and shows in ``changes``), and
# apply() carries out. It is plain data (JSON-safe: it may travel through the CLI and back).
#
#   key           type              set by           read by
#   name          str               plan             states present/enrolled (names, results),
#                                                    apply (result key)
#   uuid          str | None        plan (live)      _apply_one (target of every call; None: the
#                                                    node is created first), apply (failure result)
#   action        str               plan             states (created/updated, what to do), apply
#                 create|update|none                 (work, counts), _apply_one (POST or PATCH)
#   changes       {key: {old, new}} every part       states (ret changes, test=True); keys: node
#                                                    (create), a node field, driver_info:<k>,
#                                                    extra:<k>, properties:<k>, traits, ports,
#                                                    provision_state; secrets masked
#   body          dict | None       _plan_create     _apply_one (POST /nodes)
#   patch         [JSON patch op]   fields, secrets, _apply_one (PATCH /nodes/<uuid>)
#                                   properties
#   traits        [str] | None      create, traits   _apply_one (PUT .../traits; None: left alone)
#   ports_add     [port dict]       create, ports    _apply_one (POST /ports)
#   ports_delete  [port uuid]       _plan_ports      _apply_one (DELETE /ports/<uuid>)
#   provision     [str]             create,          states and apply (a plan with action none
#                                   _plan_provision  but verbs is still work), _apply_one: verbs
#                                                    manage/provide in order, or ["wait"] alone
#                                                    for a node Ironic is still moving (the verbs
#                                                    are worked out from ``target`` once it settles)
#   target        str               plan             _apply_one (after a wait)
#   comment       str               _plan_provision  state present (why a node in use is left)


def plan(spec, live=None, images=None):
    """
    Compare one node's data with its live record and return the plan (pure, no API call).

    ``live`` is an entry of :func:`inventory` (``None`` when the node does not exist).
    ``images`` maps deploy image names to ids (see :func:`resolve_images`).

    The plan holds ``action`` (create/update/none), ``changes`` (old/new of the differing
    keys, secrets masked), and what :func:`apply` needs (``body``, ``patch``, ``traits``,
    ``ports_add``, ``ports_delete``, ``provision``); every key is described above this function.

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.plan '{name: n1, driver: fake-hardware}'
    """
    want = _wanted(spec, images)
    target = want.pop("provision_state", "available")
    want_ports = {p["address"].lower(): p for p in want.pop("ports", [])} if "ports" in spec else None
    want_traits = sorted(set(want.pop("traits"))) if "traits" in want else None
    want.pop("uuid", None)
    result = {
        "name": want["name"],
        "uuid": (live or {}).get("uuid"),
        "action": "none",
        "changes": {},
        "body": None,
        "patch": [],
        "traits": None,
        "ports_add": [],
        "ports_delete": [],
        "provision": [],
        "target": target,
        "comment": "",
    }
    # Secrets (secret keys, and URLs with a password in their userinfo): digest what we send,
    # keep the digest in extra, so Ironic's masking of them never looks like a change.
    secrets = {
        f"driver_info/{k}": v
        for k, v in want.get("driver_info", {}).items()
        if v is not None and _is_secret(k, v)
    }
    if live is None:
        _plan_create(result, want, secrets, want_traits, want_ports)
        return result
    _plan_fields(result, want, live)
    _plan_secrets(result, want, live, secrets)
    _plan_properties(result, want, live)
    _plan_traits(result, want_traits, live)
    _plan_ports(result, want_ports, live)
    _plan_provision(result, live.get("provision_state"), target)
    if result["changes"]:
        result["action"] = "update"
    return result


def _plan_create(result, want, secrets, want_traits, want_ports):
    """A node Ironic does not have: the POST body (with the secrets' digests), traits, ports and
    the verbs from ``enroll``; ``changes`` shows the new node masked, without the digests."""
    changes = result["changes"]
    body = {
        k: v for k, v in want.items() if k in NODE_FIELDS | {"name", "driver_info", "properties", "extra"}
    }
    if "capabilities" in body.get("properties", {}):
        body["properties"]["capabilities"] = format_capabilities(body["properties"]["capabilities"])
    if secrets:
        body.setdefault("extra", {})[DIGEST_KEY] = {k: _digest(v) for k, v in secrets.items()}
    result.update(action="create", body=body)
    shown = copy.deepcopy(body)
    shown.get("extra", {}).pop(DIGEST_KEY, None)
    changes["node"] = {"old": None, "new": _mask({k: v for k, v in shown.items() if k != "extra" or v})}
    if want_traits:
        result["traits"] = want_traits
        changes["traits"] = {"old": None, "new": want_traits}
    if want_ports:
        result["ports_add"] = list(want_ports.values())
        changes["ports"] = {"old": [], "new": sorted(want_ports)}
    result["provision"] = _transition("enroll", result["target"])
    if result["provision"]:
        changes["provision_state"] = {"old": None, "new": result["target"]}


def _plan_fields(result, want, live):
    """Top-level node fields (driver, interfaces, resource_class...) that differ: one patch op each."""
    for key in sorted(NODE_FIELDS & set(want)):
        if live.get(key) != want[key]:
            result["patch"].append({"op": "add", "path": _pointer(key), "value": want[key]})
            result["changes"][key] = {"old": live.get(key), "new": want[key]}


def _plan_secrets(result, want, live, secrets):
    """
    ``driver_info`` and ``extra``, where the secrets live. A secret (or a value Ironic masks) is
    compared through its digest in ``extra/stacksalt_secrets``: unchanged when the live value is
    equal or masked with a matching digest, else patched with a new digest; the digest map is
    patched once when it changed. Other keys are compared as they are; ``changes`` are masked.
    """
    patch, changes = result["patch"], result["changes"]
    digests = dict((live.get("extra") or {}).get(DIGEST_KEY) or {})
    new_digests = dict(digests)
    for section in ("driver_info", "extra"):
        live_section = live.get(section) or {}
        for key, value in sorted((want.get(section) or {}).items()):
            if section == "extra" and key == DIGEST_KEY:
                continue
            current = live_section.get(key)
            dkey = f"{section}/{key}"
            if dkey in secrets or (_service_masked(current) and not _service_masked(value)):
                stored = digests.get(dkey)
                if current == value or (
                    _service_masked(current) and stored and _digest_matches(value, stored)
                ):
                    if current == value and dkey in secrets and not stored:
                        new_digests[dkey] = _digest(value)
                    continue
                new_digests[dkey] = _digest(value)
                patch.append({"op": "add", "path": _pointer(section, key), "value": value})
                changes[dkey.replace("/", ":")] = {"old": _mask_value(current), "new": _mask_value(value)}
            elif current != value:
                patch.append({"op": "add", "path": _pointer(section, key), "value": value})
                changes[f"{section}:{key}"] = {
                    "old": _mask({key: current})[key],
                    "new": _mask({key: value})[key],
                }
    if new_digests != digests:
        patch.append({"op": "add", "path": _pointer("extra", DIGEST_KEY), "value": new_digests})


def _plan_properties(result, want, live):
    """The properties the spec sets (others, e.g. from inspection, are left alone); capabilities
    are merged key by key into the live ``k:v,k:v`` string."""
    patch, changes = result["patch"], result["changes"]
    live_props = live.get("properties") or {}
    for key, value in sorted((want.get("properties") or {}).items()):
        if key == "capabilities":
            live_caps = parse_capabilities(live_props.get("capabilities"))
            merged = dict(live_caps, **value)
            if merged != live_caps:
                path = _pointer("properties", "capabilities")
                patch.append({"op": "add", "path": path, "value": format_capabilities(merged)})
                changes["properties:capabilities"] = {
                    "old": {k: live_caps.get(k) for k in value},
                    "new": dict(value),
                }
        elif live_props.get(key) != value:
            patch.append({"op": "add", "path": _pointer("properties", key), "value": value})
            changes[f"properties:{key}"] = {"old": live_props.get(key), "new": value}


def _plan_traits(result, want_traits, live):
    """The whole trait list when the spec sets one and it differs (``None`` leaves traits alone)."""
    live_traits = sorted(live.get("traits") or [])
    if want_traits is not None and live_traits != want_traits:
        result["traits"] = want_traits
        result["changes"]["traits"] = {"old": live_traits, "new": want_traits}


def _plan_ports(result, want_ports, live):
    """Ports by MAC when the spec lists them: missing ones added, unlisted ones deleted, and one
    whose attributes differ deleted and added again (Ironic cannot move it in place)."""
    if want_ports is None:
        return
    live_ports = {p["address"].lower(): p for p in live.get("ports") or []}
    for mac, port in sorted(want_ports.items()):
        if mac not in live_ports:
            result["ports_add"].append(port)
        elif any(k != "address" and live_ports[mac].get(k) != v for k, v in port.items()):
            result["ports_delete"].append(live_ports[mac]["uuid"])
            result["ports_add"].append(port)
    result["ports_delete"].extend(p["uuid"] for mac, p in sorted(live_ports.items()) if mac not in want_ports)
    if result["ports_add"] or result["ports_delete"]:
        result["changes"]["ports"] = {"old": sorted(live_ports), "new": sorted(want_ports)}


def _plan_provision(result, current, target):
    """The verbs from ``current`` to ``target``; ``["wait"]`` while Ironic is still moving the node
    (apply works the verbs out once it settles); a node in use is left alone, with a comment."""
    verbs = _transition(current, target)
    if verbs is None:
        if current in TRANSIENT:
            result["provision"] = ["wait"]
            result["changes"]["provision_state"] = {"old": current, "new": target}
        else:
            result["comment"] = f"node is '{current}' (in use): its provision state is left alone"
    elif verbs:
        result["provision"] = verbs
        result["changes"]["provision_state"] = {"old": current, "new": target}


def _digest(value):
    return _util("stacksalt_openstack.digest")(value)


def _digest_matches(value, stored):
    return _util("stacksalt_openstack.digest_matches")(value, stored)


# ---------------------------------------------------------------------------------------------
# API access
# ---------------------------------------------------------------------------------------------


def _conn(cloud=None):
    return _util("stacksalt_openstack.salt_connect")(__salt__, cloud)


def _request(conn, method, url, **kwargs):
    """One baremetal API call with the pinned microversion (``stacksalt_openstack.request``)."""
    proxy = conn.baremetal
    return _util("stacksalt_openstack.request")(
        proxy, method, url, microversion=proxy.default_microversion, **kwargs
    )


def _here(func):
    """``func`` run in this module's loader context: the util that calls it back runs in its own,
    where this module's ``__utils__``/``__salt__`` do not resolve."""
    ctx = contextvars.copy_context()
    return lambda: ctx.run(func)


def _post(conn, url, body, before_retry, retry_statuses):
    """A POST that is never repeated blindly: after an answer that may have been lost (a 503 from
    a proxy, a reset connection) ``before_retry`` looks for the object the lost attempt made."""
    proxy = conn.baremetal
    resp = _util("stacksalt_openstack.request")(
        proxy,
        "POST",
        url,
        microversion=proxy.default_microversion,
        json=body,
        retry_statuses=retry_statuses,
        before_retry=_here(before_retry) if before_retry else None,
    )
    return resp if isinstance(resp, dict) else resp.json()


def _node_or_none(conn, name, fields=None):
    """The node named (or with the uuid) ``name``, or ``None`` when Ironic has none."""
    proxy = conn.baremetal
    return _util("stacksalt_openstack.get_or_none")(
        proxy,
        f"/nodes/{name}",
        params={"fields": fields} if fields else None,
        microversion=proxy.default_microversion,
    )


def _existing_node(conn, body):
    """After a lost answer to a node create: the node named in ``body`` if Ironic has it with the
    same driver (our own work), ``None`` if it has none; a node of that name with another driver
    is not ours and is a conflict."""
    node = _node_or_none(conn, body["name"], fields="uuid,name,driver")
    if node is None:
        return None
    if node.get("driver") != body.get("driver"):
        raise CommandExecutionError(
            f"node '{body['name']}': Ironic already has a node of that name with driver "
            f"'{node.get('driver')}', not '{body.get('driver')}' (conflict); nothing was changed"
        )
    return node


def _create_node(conn, body):
    """POST /nodes; after a lost answer the node is looked up by name before any retry."""
    # A 409 answers that the name or uuid is taken: a real conflict, not retried.
    check = (lambda: _existing_node(conn, body)) if body.get("name") else None
    return _post(conn, "/nodes", body, check, retry_statuses=(503,))


def _existing_port(conn, node_uuid, address):
    """After a lost answer to a port create: the port with ``address`` if it is on this node,
    ``None`` if Ironic has none; on another node it is a conflict."""
    ports = _list(conn, "/ports", fields=("uuid", "address", "node_uuid"), address=address)
    for port in ports:
        if port.get("node_uuid") != node_uuid:
            raise CommandExecutionError(
                f"port {address}: Ironic has it on node {port.get('node_uuid')}, not on "
                f"{node_uuid} (conflict); nothing was changed"
            )
        return port
    return None


def _create_port(conn, node_uuid, port):
    """POST /ports; after a lost answer the port is looked up by address before any retry."""
    body = dict(port, address=port["address"].lower(), node_uuid=node_uuid)
    # 409 stays retried (the node may be locked by a conductor for a moment); a 409 that follows
    # a lost answer may be our own port, so it is looked up first.
    return _post(conn, "/ports", body, lambda: _existing_port(conn, node_uuid, body["address"]), (409, 503))


def _list(conn, path, fields=None, **params):
    """Every item of an Ironic listing (``/nodes``, ``/ports/detail``...), all pages."""
    if fields:
        params["fields"] = ",".join(fields)
    proxy = conn.baremetal
    key = path.strip("/").split("/")[0]
    return _util("stacksalt_openstack.paged")(
        proxy, path, key, params, marker_key="uuid", microversion=proxy.default_microversion
    )


def _http_error(exc):
    return _util("stacksalt_openstack.error_message")(exc)


def inventory(names=None, cloud=None):
    """
    Every node with its ports, in two API calls (nodes and ports, with details).

    Returns ``{name or uuid: node}``, each node carrying a ``ports`` list.
    With ``names`` (one or a few nodes) the nodes are fetched one by one instead.

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.inventory
        salt-call ironic_node.inventory names='[node1]'
    """
    conn = _conn(cloud)
    out = {}
    if names is not None and len(names) <= 3:
        for name in names:
            node = _node_or_none(conn, name)
            if node is None:
                continue
            node["ports"] = _list(conn, "/ports/detail", node_uuid=node["uuid"])
            out[node.get("name") or node["uuid"]] = node
        return out
    nodes = _list(conn, "/nodes/detail")
    ports = _list(conn, "/ports/detail")
    by_uuid = {}
    for node in nodes:
        node["ports"] = []
        by_uuid[node["uuid"]] = node
        out[node.get("name") or node["uuid"]] = node
    for port in ports:
        node = by_uuid.get(port.get("node_uuid"))
        if node is not None:
            node["ports"].append(port)
    if names is not None:
        out = {k: v for k, v in out.items() if k in set(names)}
    return out


def drivers(cloud=None):
    """
    The drivers (hardware types) that this Ironic enables, each with its enabled interfaces,
    in one API call (``GET /v1/drivers?detail=True``).

    Returns ``{driver: {"deploy": [...], "boot": [...], ...}}``.

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.drivers
    """
    data = _request(_conn(cloud), "GET", "/drivers", params={"detail": "True"}).json()
    out = {}
    for drv in data.get("drivers", []):
        out[drv["name"]] = {
            iface: list(drv[f"enabled_{iface}_interfaces"])
            for iface in INTERFACES
            if drv.get(f"enabled_{iface}_interfaces") is not None
        }
    return out


def supported_errors(nodes, enabled, where="nodes"):
    """
    Problems of ``nodes`` against ``enabled`` (from :func:`drivers`): a driver that this Ironic
    does not enable, an interface that the node's driver does not enable. Pure logic.
    A single node (a mapping) is named by ``where`` alone.

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.supported_errors '[{name: n1, driver: redfish, deploy_interface: fake}]' \
            "$(salt-call --out=json ironic_node.drivers | jq .local)"
    """
    single = isinstance(nodes, dict)
    errors = []
    for i, spec in enumerate([nodes] if single else nodes):
        if not isinstance(spec, dict):
            continue
        path = where if single else f"{where}:{i}"
        name = spec.get("name")
        driver = spec.get("driver")
        if driver not in enabled:
            errors.append(
                f"{path}:driver: node '{name}': driver '{driver}' is not enabled in this Ironic "
                f"(enabled: {', '.join(sorted(enabled)) or 'none'})"
            )
            continue
        for iface in INTERFACES:
            value = spec.get(f"{iface}_interface")
            allowed = enabled[driver].get(iface)
            if value is None or allowed is None or value in allowed:
                continue
            errors.append(
                f"{path}:{iface}_interface: node '{name}': {iface} interface '{value}' is not enabled "
                f"for driver '{driver}' in this Ironic (enabled: {', '.join(allowed) or 'none'})"
            )
    return errors


def check_supported(nodes, where="nodes", cloud=None):
    """
    Check nodes against what the Ironic in front of them supports (see :func:`supported_errors`),
    before any change; returns the problems (empty when every node is supported).

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.check_supported '[{name: n1, driver: redfish, deploy_interface: fake}]'
    """
    try:
        enabled = drivers(cloud=cloud)
    except openstack.exceptions.HttpException as exc:
        raise CommandExecutionError(f"listing the drivers failed: {_http_error(exc)}") from exc
    return supported_errors(nodes, enabled, where=where)


def resolve_images(refs, cloud=None, missing_ok=False):
    """
    Map deploy image references (Glance names or ids, or URLs) to what Ironic needs (ids/URLs).

    missing_ok
        A name Glance does not know is left out of the result instead of raising (a caller
        awaiting an upload that runs elsewhere compares the keys with what it asked).

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.resolve_images '[deploy-kernel, deploy-ramdisk]'
    """
    out, conn = {}, None
    for ref in sorted(set(refs)):
        if _looks_like_uuid(ref) or "://" in ref:
            out[ref] = ref
            continue
        conn = conn or _conn(cloud)
        image = conn.image.find_image(ref, ignore_missing=True)
        if image is None:
            if missing_ok:
                continue
            raise CommandExecutionError(f"deploy image '{ref}' was not found in Glance")
        out[ref] = image.id
    return out


class _Watcher:
    """
    Waits for provision states with one list call per tick (0.3 s) for all waiting nodes (a GET
    each while 3 or fewer wait), where openstacksdk's waiters GET each waiting node every 2 s.
    Kept because it wins against them (``tests/bench/ironic/test_wait_bench.py``, the same PUTs,
    50 fake-hardware nodes through manage and provide with cleaning, real Ironic 39 on 2 cores,
    2026-12-02; sdk/ours): waiting in ``apply``'s shape (8 workers, PUT then wait per node),
    17.9 s/15.2 s (1.18x), 259/151 requests (1.72x), 159/51 polls taking Ironic 1.83 s/0.80 s;
    waiting once for all after their PUTs (``wait_for_nodes_provision_state``), 12.2 s/9.7 s
    (1.26x), 225/111 requests (2.03x), 125/11 polls (an earlier run: 1.25x and 1.59x in time).
    """

    FIELDS = ("uuid", "provision_state", "target_provision_state", "last_error")

    def __init__(self, conn, interval=0.3):
        self.conn, self.interval = conn, interval
        self.cond = threading.Condition()
        self.waiting = {}
        self.states = {}
        self.gen = 0
        self.thread = None
        self.stop = False

    def _poll(self):
        while True:
            with self.cond:
                if self.stop:
                    return
                uuids = list(self.waiting)
                self.gen += 1
                gen = self.gen
            if uuids:
                try:
                    if len(uuids) <= 3:
                        rows = [
                            _request(
                                self.conn, "GET", f"/nodes/{u}", params={"fields": ",".join(self.FIELDS)}
                            ).json()
                            for u in uuids
                        ]
                    else:
                        rows = _list(self.conn, "/nodes", fields=self.FIELDS)
                except Exception as exc:  # noqa: BLE001 - a failed poll is retried next tick
                    log.warning("ironic_node: polling provision states failed: %s", exc)
                    rows = []
                with self.cond:
                    for row in rows:
                        self.states[row["uuid"]] = (gen, row)
                    self.cond.notify_all()
            time.sleep(self.interval)

    def wait(self, node_uuid, done, timeout):
        """Wait until the node leaves transient states; return its row (from a poll started later)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            self.waiting[node_uuid] = self.waiting.get(node_uuid, 0) + 1
            since = self.gen  # rows from polls that began before this call may predate the request
            if self.thread is None:
                # Salt's dunders live in context variables: the thread runs in a copy of ours.
                ctx = contextvars.copy_context()
                self.thread = threading.Thread(
                    target=ctx.run, args=(self._poll,), daemon=True, name="ironic-node-watcher"
                )
                self.thread.start()
            try:
                while True:
                    gen, row = self.states.get(node_uuid, (0, None))
                    if row and gen > since:
                        state = row["provision_state"]
                        # Failed states keep their target (e.g. 'clean failed' -> 'available').
                        if state.endswith("failed") or state in done:
                            return row
                        if not row.get("target_provision_state") and state not in TRANSIENT:
                            return row
                    left = deadline - time.monotonic()
                    if left <= 0:
                        state = row["provision_state"] if row else "unknown"
                        raise CommandExecutionError(f"timed out after {timeout}s waiting (state '{state}')")
                    self.cond.wait(min(left, 1.0))
            finally:
                self.waiting[node_uuid] -= 1
                if not self.waiting[node_uuid]:
                    del self.waiting[node_uuid]

    def close(self):
        with self.cond:
            self.stop = True


def _fire(data):
    try:
        __salt__["event.fire"](_mask(data), EVENT_TAG)
    except Exception:  # noqa: BLE001 - progress events are best effort (no event bus in salt-call --local)
        log.debug("ironic_node: progress event not sent", exc_info=True)


def _provision(conn, watcher, node_uuid, verb, clean_slots, timeout):
    expect = {"manage": "manageable", "provide": "available"}[verb]
    slot = clean_slots if verb == "provide" else None
    if slot is not None:
        slot.acquire()
    try:
        _request(conn, "PUT", f"/nodes/{node_uuid}/states/provision", json={"target": verb})
        row = watcher.wait(node_uuid, {expect}, timeout)
    finally:
        if slot is not None:
            slot.release()
    if row["provision_state"] != expect:
        reason = row.get("last_error") or "no reason given by Ironic"
        raise CommandExecutionError(f"'{verb}' ended in state '{row['provision_state']}': {reason}")
    return row


def _apply_one(conn, watcher, item, clean_slots, timeout):
    """Run one node's plan; return (uuid, final provision state)."""
    node_uuid = item["uuid"]
    if item["action"] == "create":
        node_uuid = _create_node(conn, item["body"])["uuid"]
    elif item["patch"]:
        _request(conn, "PATCH", f"/nodes/{node_uuid}", json=item["patch"])
    if item["traits"] is not None:
        _request(conn, "PUT", f"/nodes/{node_uuid}/traits", json={"traits": item["traits"]})
    for port_uuid in item["ports_delete"]:
        _request(conn, "DELETE", f"/ports/{port_uuid}")
    for port in item["ports_add"]:
        _create_port(conn, node_uuid, port)
    state = None
    verbs = list(item["provision"])
    if verbs and verbs[0] == "wait":
        state = watcher.wait(node_uuid, set(TARGET_STATES), timeout)["provision_state"]
        verbs = _transition(state, item["target"]) or []
    for verb in verbs:
        state = _provision(conn, watcher, node_uuid, verb, clean_slots, timeout)["provision_state"]
    return node_uuid, state


def apply(plans, concurrency=8, max_concurrent_clean=None, timeout=None, cloud=None, progress_every=2.0):
    """
    Carry out plans from :func:`plan` concurrently and return one result per node.

    Node creation, ports, traits and provision-state moves run in a pool of ``concurrency``
    workers; at most ``max_concurrent_clean`` nodes are in ``provide`` at once (config
    ``ironic_node:max_concurrent_clean``, default 50, Ironic's own default) and 503/409 answers
    are retried with backoff; node and port creates (POSTs) are never repeated blindly: after a
    lost answer the node (by name) or port (by address) is looked up first. Waits use one list
    call per tick for every waiting node, each provision step at most ``timeout`` seconds
    (default ``DEFAULT_TIMEOUT``, 1800: Ironic's own cleaning callback timeout). A node that
    fails does not stop the others. Progress events go to ``salt/stacksalt/ironic_node/progress``.

    Returns ``{"nodes": {name: {"result", "uuid", "provision_state", "error"}}, "summary": {...}}``.

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.apply "$(salt-call --out=json ironic_node.plan '{name: n1, driver: fake-hardware}')"
    """
    if isinstance(plans, dict):
        plans = [plans]
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if max_concurrent_clean is None:
        max_concurrent_clean = __salt__["config.get"]("ironic_node:max_concurrent_clean", 50)
    conn = _conn(cloud)
    watcher = _Watcher(conn)
    clean_slots = threading.BoundedSemaphore(max(1, int(max_concurrent_clean)))
    results = {}
    lock = threading.Lock()
    work = [p for p in plans if p["action"] != "none" or p["provision"]]
    counts = {"created": 0, "updated": 0, "unchanged": len(plans) - len(work), "failed": 0}
    started = time.monotonic()
    last = [started]

    def run(item):
        try:
            node_uuid, state = _apply_one(conn, watcher, item, clean_slots, timeout)
            res = {"result": True, "uuid": node_uuid, "provision_state": state, "error": None}
        except Exception as exc:  # noqa: BLE001 - one node's failure never stops the others
            msg = _http_error(exc) if not isinstance(exc, CommandExecutionError) else str(exc)
            res = {"result": False, "uuid": item.get("uuid"), "provision_state": None, "error": msg}
        with lock:
            results[item["name"]] = res
            if not res["result"]:
                counts["failed"] += 1
            else:
                counts["created" if item["action"] == "create" else "updated"] += 1
            now = time.monotonic()
            if now - last[0] >= progress_every:
                last[0] = now
                _fire(
                    {"done": len(results), "total": len(work), **counts, "elapsed": round(now - started, 1)}
                )

    try:
        if len(work) == 1:
            run(work[0])
        elif work:
            with ThreadPoolExecutor(max_workers=max(1, int(concurrency))) as pool:
                # Each task runs in its own copy of this context (Salt's dunders are context variables).
                futures = [pool.submit(contextvars.copy_context().run, run, item) for item in work]
                for future in futures:
                    future.result()
    finally:
        watcher.close()
    summary = dict(counts, total=len(plans), seconds=round(time.monotonic() - started, 2))
    _fire(dict(summary, final=True))
    return {"nodes": results, "summary": summary}


def refusal(node, name=None):
    """
    Why :func:`delete` refuses to delete ``node`` (a node of :func:`inventory`), or ``None``:
    a node in use (active, deploying...) must be undeployed first. Pure: the state's test=True
    plan asks it too, so it lists exactly the deletes the run makes.

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.refusal '{"name": "node1", "provision_state": "active"}'
    """
    state = node.get("provision_state")
    if state in IN_USE:
        name = name or node.get("name") or node.get("uuid")
        return f"node '{name}' is '{state}': undeploy it (openstack baremetal node undeploy) first"
    return None


def delete(name, cloud=None):
    """
    Delete a node (and so its ports). Nodes in use (active, deploying...) are refused.

    Returns ``True`` when a node was deleted, ``False`` when there was none.

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.delete node1
    """
    conn = _conn(cloud)
    node = _node_or_none(conn, name, fields="uuid,provision_state")
    if node is None:
        return False
    refused = refusal(node, name=name)
    if refused:
        raise CommandExecutionError(refused)
    try:
        _request(conn, "DELETE", f"/nodes/{node['uuid']}")
    except openstack.exceptions.HttpException as exc:
        raise CommandExecutionError(f"deleting node '{name}' failed: {_http_error(exc)}") from exc
    return True


def load_file(path):
    """
    Read an operator enrolment file (YAML with a top-level ``nodes:`` list) and return the list.

    CLI Example:

    .. code-block:: bash

        salt-call ironic_node.load_file /srv/ironic/nodes.yaml
    """
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise SaltInvocationError(f"cannot read node file {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise SaltInvocationError(f"{path}: expected a mapping with a 'nodes' list")
    return data["nodes"]
