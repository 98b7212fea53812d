"""
Nova host aggregates: availability zone, metadata and member hosts.

An aggregate as pillar describes it::

    virtual-hosts:
      availability_zone: nova          # optional
      metadata: {baremetal: "false"}   # only these keys are managed (purge_metadata: true for all)
      hosts_matching: "*compute*"      # every hypervisor whose name matches (fnmatch pattern)
      hosts: [compute1]                # and/or an explicit list of compute hosts
      purge_hosts: false               # true: hosts neither listed nor matched are removed

Hypervisor names and compute host names differ for Ironic (a node uuid per hypervisor, one
nova-compute host for all of them): a pattern matches hypervisor names *or* host names, and the
aggregate gets the matching hypervisors' compute hosts.

Every call uses one openstacksdk connection per process (``_utils/stacksalt_openstack``) at
compute microversion 2.88; the cloud comes from ``openstack:clouds:<name>`` or ``clouds.yaml``.

:depends: openstacksdk
"""

import fnmatch
import importlib
import logging

from salt.exceptions import CommandExecutionError

try:
    import openstack  # noqa: F401

    HAS_OPENSTACKSDK = True
except ImportError:  # pragma: no cover
    HAS_OPENSTACKSDK = False

log = logging.getLogger(__name__)

__virtualname__ = "openstack_aggregate"

COMPUTE_MICROVERSION = "2.88"
#: The hypervisor listing stays below 2.88: from 2.88 on, Nova asks every compute host for its
#: uptime over RPC in /os-hypervisors/detail (seconds per listing, and HTTP 500 MessagingTimeout
#: while a compute host is busy starting). 2.87 has the same ids, paging and service host.
HYPERVISORS_MICROVERSION = "2.87"
#: Nova keeps the availability zone as this metadata key.
AZ_KEY = "availability_zone"
SPEC_KEYS = {
    "name",
    "availability_zone",
    "metadata",
    "hosts",
    "hosts_matching",
    "purge_hosts",
    "purge_metadata",
}


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


#: What each public function does, in the words its errors use
#: (``stacksalt_openstack.guard_edges``, put in place by ``__init__``).
_EDGES = {
    "get": "reading aggregate '{name}'",
    "hypervisors": "listing Nova hypervisors",
    "create": "creating aggregate '{name}'",
    "update": "updating aggregate '{name}'",
    "delete": "deleting aggregate '{name}'",
}


def __virtual__():
    if not HAS_OPENSTACKSDK:
        return (False, "openstack_aggregate: the openstacksdk Python library is not installed")
    return __virtualname__


def __init__(opts):  # noqa: ARG001 - Salt's loader passes its opts
    """Called by Salt's loader once the dunders are in place: guard the module edge."""
    _util("stacksalt_openstack.guard_edges")(globals(), _EDGES)


# ---------------------------------------------------------------------------------------------
# Pure logic: validation, host selection and planning (no API calls; unit-tested)
# ---------------------------------------------------------------------------------------------


def _text(value):
    return _util("stacksalt_openstack.as_text")(value)


def validate(spec, where="aggregate"):
    """
    Check an aggregate description (see the module doc); return a list of errors.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_aggregate.validate '{"name": "virtual-hosts", "hosts_matching": "*compute*"}'
    """
    if not isinstance(spec, dict):
        return [f"{where}: must be a mapping"]
    errors = [
        f"{where}:{k}: unknown key (known: {', '.join(sorted(SPEC_KEYS))})"
        for k in sorted(set(spec) - SPEC_KEYS)
    ]
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        errors.append(f"{where}:name: must be a non-empty string of at most 255 characters")
    az = spec.get("availability_zone")
    if az is not None and (not isinstance(az, str) or not az or ":" in az):
        errors.append(f"{where}:availability_zone: must be a non-empty string without ':'")
    metadata = spec.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            errors.append(f"{where}:metadata: must be a mapping")
        else:
            for key, value in metadata.items():
                if key == AZ_KEY:
                    errors.append(f"{where}:metadata:{key}: set availability_zone instead")
                elif not isinstance(key, str) or not key or len(key) > 255:
                    errors.append(
                        f"{where}:metadata: keys must be strings of 1 to 255 characters, got {key!r}"
                    )
                elif value is None or isinstance(value, dict | list) or len(_text(value)) > 255:
                    errors.append(f"{where}:metadata:{key}: must be a single value of at most 255 characters")
    hosts = spec.get("hosts")
    if hosts is not None and (
        not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts)
    ):
        errors.append(f"{where}:hosts: must be a list of compute host names")
    pattern = spec.get("hosts_matching")
    if pattern is not None and (not isinstance(pattern, str) or not pattern):
        errors.append(f"{where}:hosts_matching: must be a pattern such as '*compute*'")
    for key in ("purge_hosts", "purge_metadata"):
        if key in spec and not isinstance(spec[key], bool):
            errors.append(f"{where}:{key}: must be true or false")
    return errors


def select_hosts(hypervisors, hosts=None, hosts_matching=None):
    """
    The compute hosts an aggregate should hold: ``hosts`` plus the hosts of every hypervisor
    whose name (or host name) matches ``hosts_matching``. ``hypervisors`` is a list of
    ``{"name": ..., "host": ...}``. Returns ``(sorted hosts, unknown listed hosts)``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_aggregate.select_hosts '[{"name": "compute1", "host": "compute1"}]' hosts_matching='*compute*'
    """
    known = {h["host"] for h in hypervisors}
    wanted = set(hosts or [])
    unknown = sorted(wanted - known)
    if hosts_matching:
        wanted |= {
            h["host"]
            for h in hypervisors
            if fnmatch.fnmatchcase(h["name"], hosts_matching)
            or fnmatch.fnmatchcase(h["host"], hosts_matching)
        }
    return sorted(wanted - set(unknown)), unknown


def plan(spec, live, wanted_hosts):
    """
    Compare an aggregate description with the live aggregate (``get``'s result or None);
    ``wanted_hosts`` comes from ``select_hosts``. Returns ``{"action": "none"|"create"|"update",
    "changes", "set_metadata" (None values remove keys), "availability_zone", "add_hosts",
    "remove_hosts"}``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_aggregate.plan '{"name": "a"}' null '[]'
    """
    metadata = {k: _text(v) for k, v in (spec.get("metadata") or {}).items()}
    az = spec.get("availability_zone")
    item = {"action": "none", "changes": {}, "set_metadata": {}, "availability_zone": None}
    item.update(add_hosts=[], remove_hosts=[])
    if live is None:
        item["action"] = "create"
        item["changes"] = {"created": {"name": spec["name"], "availability_zone": az}}
        if metadata:
            item["changes"]["metadata"] = {"old": {}, "new": metadata}
        if wanted_hosts:
            item["changes"]["hosts"] = {"added": sorted(wanted_hosts)}
        item.update(set_metadata=metadata, availability_zone=az, add_hosts=sorted(wanted_hosts))
        return item
    changes = {}
    live_meta = live.get("metadata") or {}
    set_meta = {k: v for k, v in metadata.items() if live_meta.get(k) != v}
    if spec.get("purge_metadata"):
        set_meta.update({k: None for k in live_meta if k not in metadata})
    if set_meta:
        changes["metadata"] = {
            "old": {k: live_meta[k] for k in set_meta if k in live_meta},
            "new": {k: v for k, v in set_meta.items() if v is not None},
        }
    if az is not None and live.get("availability_zone") != az:
        changes["availability_zone"] = {"old": live.get("availability_zone"), "new": az}
        item["availability_zone"] = az
    live_hosts = set(live.get("hosts") or [])
    add = sorted(set(wanted_hosts) - live_hosts)
    remove = sorted(live_hosts - set(wanted_hosts)) if spec.get("purge_hosts") else []
    if add or remove:
        changes["hosts"] = {k: v for k, v in (("added", add), ("removed", remove)) if v}
    item.update(changes=changes, set_metadata=set_meta, add_hosts=add, remove_hosts=remove)
    item["action"] = "update" if changes else "none"
    return item


# ---------------------------------------------------------------------------------------------
# API access
# ---------------------------------------------------------------------------------------------


def _conn(cloud=None):
    return _util("stacksalt_openstack.salt_connect")(__salt__, cloud)


def _compute(conn, method, url, microversion=COMPUTE_MICROVERSION, **kwargs):
    return _util("stacksalt_openstack.request")(
        conn.compute, method, url, microversion=microversion, **kwargs
    )


def _error(what, exc):
    return _util("stacksalt_openstack.command_error")(what, exc)


def _plain(raw):
    metadata = dict(raw.get("metadata") or {})
    metadata.pop(AZ_KEY, None)
    return {
        "id": raw["id"],
        "uuid": raw.get("uuid"),
        "name": raw["name"],
        "availability_zone": raw.get("availability_zone"),
        "metadata": metadata,
        "hosts": sorted(raw.get("hosts") or []),
    }


def _find(conn, name):
    try:
        aggregates = _compute(conn, "GET", "/os-aggregates").json().get("aggregates", [])
    except Exception as exc:  # noqa: BLE001
        raise _error("listing Nova host aggregates", exc) from exc
    return next((a for a in aggregates if a["name"] == name), None)


def get(name, cloud=None):
    """
    The aggregate named ``name`` (id, uuid, availability_zone, metadata without the zone,
    hosts) or None.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_aggregate.get virtual-hosts
    """
    raw = _find(_conn(cloud), name)
    return _plain(raw) if raw else None


def hypervisors(cloud=None):
    """
    Every hypervisor as ``{"name", "host", "state", "status"}`` (one list call).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_aggregate.hypervisors
    """
    conn = _conn(cloud)
    items, url = [], "/os-hypervisors/detail"
    try:
        # Paginated at [api] max_limit (1000): an Ironic site has a hypervisor per node.
        while url:
            body = _compute(conn, "GET", url, microversion=HYPERVISORS_MICROVERSION).json()
            items.extend(body.get("hypervisors", []))
            links = body.get("hypervisors_links", [])
            url = next((link["href"] for link in links if link.get("rel") == "next"), None)
    except Exception as exc:  # noqa: BLE001
        raise _error("listing Nova hypervisors", exc) from exc
    return [
        {
            "name": h["hypervisor_hostname"],
            "host": (h.get("service") or {}).get("host"),
            "state": h.get("state"),
            "status": h.get("status"),
        }
        for h in items
    ]


def create(name, availability_zone=None, cloud=None):
    """
    Create an empty aggregate.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_aggregate.create virtual-hosts availability_zone=nova
    """
    conn = _conn(cloud)
    body = {"name": name}
    if availability_zone:
        body["availability_zone"] = availability_zone
    try:
        raw = _compute(conn, "POST", "/os-aggregates", json={"aggregate": body}).json()["aggregate"]
    except Exception as exc:  # noqa: BLE001
        raise _error(f"creating aggregate '{name}'", exc) from exc
    return _plain(raw)


def update(name, set_metadata=None, availability_zone=None, add_hosts=None, remove_hosts=None, cloud=None):
    """
    Change an aggregate: metadata (a None value removes the key), availability zone, hosts.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_aggregate.update virtual-hosts set_metadata='{"baremetal": "false"}' add_hosts='[compute1]'
    """
    conn = _conn(cloud)
    raw = _find(conn, name)
    if raw is None:
        raise CommandExecutionError(f"aggregate '{name}' does not exist")
    url = f"/os-aggregates/{raw['id']}"
    step = "availability zone"
    try:
        if availability_zone is not None:
            _compute(conn, "PUT", url, json={"aggregate": {"availability_zone": availability_zone}})
        step = "metadata"
        if set_metadata:
            metadata = {k: (None if v is None else _text(v)) for k, v in set_metadata.items()}
            _compute(conn, "POST", f"{url}/action", json={"set_metadata": {"metadata": metadata}})
        for host in add_hosts or []:
            step = f"host {host} (adding)"
            _compute(conn, "POST", f"{url}/action", json={"add_host": {"host": host}})
        for host in remove_hosts or []:
            step = f"host {host} (removing)"
            _compute(conn, "POST", f"{url}/action", json={"remove_host": {"host": host}})
    except Exception as exc:  # noqa: BLE001
        raise _error(f"updating the {step} of aggregate '{name}'", exc) from exc
    return get(name, cloud=cloud)


def delete(name, cloud=None):
    """
    Delete an aggregate (its hosts are removed first: Nova refuses to delete a non-empty one).
    True when deleted, False when it did not exist.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_aggregate.delete virtual-hosts
    """
    conn = _conn(cloud)
    raw = _find(conn, name)
    if raw is None:
        return False
    url = f"/os-aggregates/{raw['id']}"
    try:
        for host in raw.get("hosts") or []:
            _compute(conn, "POST", f"{url}/action", json={"remove_host": {"host": host}})
        _compute(conn, "DELETE", url)
    except Exception as exc:  # noqa: BLE001
        raise _error(f"deleting aggregate '{name}'", exc) from exc
    return True
