"""
Neutron networks and subnets: the provider network Ironic provisions and cleans nodes on (a flat
network on the ``baremetal`` physical network) and its subnets.

A network and a subnet as pillar describes them::

    networks:
      baremetal:
        provider_network_type: flat            # flat, vlan, vxlan, geneve, gre or local
        provider_physical_network: baremetal   # a physnet of [ml2_type_flat] flat_networks
        shared: false
        external: false
        admin_state_up: true
        mtu: 1500                              # unset: Neutron's choice, left alone
        description: Ironic provisioning and cleaning
        project: admin                         # unset: the caller's project
    subnets:
      baremetal-v4:
        network: baremetal
        cidr: 10.89.60.0/24
        ip_version: 4
        gateway_ip: none                       # no gateway; unset: the CIDR's first address
        enable_dhcp: false
        allocation_pools:
          - {start: 10.89.60.100, end: 10.89.60.200}
        dns_nameservers: [10.89.60.1]
        host_routes:
          - {destination: 10.89.0.0/16, nexthop: 10.89.60.254}

Neutron cannot change the provider attributes or the project of an existing network, nor the
``cidr`` and ``ip_version`` of a subnet: ``plan`` refuses such a difference unless
``recreate`` is true and no port uses the network (subnet). Everything else is changed in
place, so the id stays. Arguments are checked (``ipaddress``) before any API call: a CIDR
with host bits set, a gateway or pool outside the CIDR, overlapping pools, an unknown network
type. An unset ``gateway_ip`` is Neutron's default (the CIDR's first address), unset
``allocation_pools`` Neutron's default (the CIDR's addresses but the gateway): both are
computed here, so a plan says what a create makes and a later run keeps it so.

Neutron is reached through the process's one shared connection (``_utils/stacksalt_openstack``:
``conn.network``, and ``conn.identity`` to look a project name up), for the cloud named by
``cloud=`` or the default one, defined in ``openstack:clouds:<name>`` (minion config or
pillar) or in ``clouds.yaml``. Neutron has no microversions.

:depends: openstacksdk (python-openstackclient is not needed)
"""

import importlib
import ipaddress
import re
import urllib.parse

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    import openstack  # noqa: F401

    HAS_OPENSTACKSDK = True
except ImportError:  # pragma: no cover
    HAS_OPENSTACKSDK = False

__virtualname__ = "openstack_network"

#: ML2 type drivers: (needs a physical network, the segmentation ids it takes or None).
NETWORK_TYPES = {
    "flat": (True, None),
    "vlan": (True, (1, 4094)),
    "vxlan": (False, (1, 2**24 - 1)),
    "geneve": (False, (1, 2**24 - 1)),
    "gre": (False, (1, 2**32 - 1)),
    "local": (False, None),
}
#: What Neutron cannot change on an existing network (a state argument each).
NETWORK_IMMUTABLE = (
    "provider_network_type",
    "provider_physical_network",
    "provider_segmentation_id",
    "project",
)
NETWORK_MUTABLE = ("shared", "external", "admin_state_up", "mtu", "description")
NETWORK_DEFAULTS = {"shared": False, "external": False, "admin_state_up": True}
#: The state arguments as Neutron's API spells them.
NETWORK_API = {
    "provider_network_type": "provider:network_type",
    "provider_physical_network": "provider:physical_network",
    "provider_segmentation_id": "provider:segmentation_id",
    "shared": "shared",
    "external": "router:external",
    "admin_state_up": "admin_state_up",
    "mtu": "mtu",
    "description": "description",
    "project": "project_id",
}
NETWORK_KEYS = {"name", "recreate", *NETWORK_API}

SUBNET_IMMUTABLE = ("cidr", "ip_version")
SUBNET_MUTABLE = ("gateway_ip", "enable_dhcp", "allocation_pools", "dns_nameservers", "host_routes")
SUBNET_MUTABLE += ("description",)
SUBNET_KEYS = {"name", "network", "recreate", *SUBNET_IMMUTABLE, *SUBNET_MUTABLE}
#: ``gateway_ip: none`` (any case): a subnet without a gateway.
NO_GATEWAY = "none"

#: Ports Neutron deletes itself with their network or subnet: they never block a delete.
AUTO_DELETED_PORTS = ("network:dhcp", "network:distributed", "network:floatingip_agent_gateway")
#: A 409 from Neutron is a verdict (physical network in use, IP in use), never a busy service:
#: only a 503 is retried (and a create only once a lookup found nothing made).
RETRY_STATUSES = (503,)

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def __virtual__():
    if not HAS_OPENSTACKSDK:
        return (False, "openstack_network: the openstacksdk Python library is not installed")
    return __virtualname__


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


#: What each public function does, in the words its errors use
#: (``stacksalt_openstack.guard_edges``, put in place by ``__init__``).
_EDGES = {
    "resolve_project": "looking up project '{project}' in Keystone",
    "get": "reading network '{name}' from Neutron",
    "create": "creating network '{name}'",
    "update": "updating network '{name}'",
    "delete": "deleting network '{name}'",
    "get_subnet": "reading subnet '{name}' from Neutron",
    "create_subnet": "creating subnet '{name}'",
    "update_subnet": "updating subnet '{name}'",
    "delete_subnet": "deleting subnet '{name}'",
}


def __init__(opts):  # noqa: ARG001 - Salt's loader passes its opts
    """Called by Salt's loader once the dunders are in place: guard the module edge."""
    _util("stacksalt_openstack.guard_edges")(globals(), _EDGES)


# ---------------------------------------------------------------------------------------------
# Pure logic: validation, Neutron's defaults and planning (no API calls; unit-tested)
# ---------------------------------------------------------------------------------------------


def _did_you_mean(word, known):
    return _util("stacksalt_openstack.did_you_mean")(word, known)


def _common_errors(spec, known, where, names, flags):
    """What both kinds of spec check alike: unknown keys, names, true/false flags, description."""
    errors = [
        f"{where}:{k}: unknown key{_did_you_mean(k, known)}" for k in sorted(set(spec) - known, key=str)
    ]
    for key in names:
        value = spec.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > 255:
            errors.append(f"{where}:{key}: must be a non-empty string of at most 255 characters")
    errors.extend(
        f"{where}:{key}: must be true or false, got {spec[key]!r}"
        for key in flags
        if key in spec and not isinstance(spec[key], bool)
    )
    description = spec.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 255):
        errors.append(f"{where}:description: must be a string of at most 255 characters")
    return errors


def validate(spec, where="network"):
    """
    Check a network description (see the module doc); return a list of errors, each naming
    the argument.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_network.validate '{"name": "baremetal", "provider_network_type": "flat", "provider_physical_network": "baremetal"}'
    """
    if not isinstance(spec, dict):
        return [f"{where}: must be a mapping"]
    errors = _common_errors(
        spec, NETWORK_KEYS, where, ("name",), ("shared", "external", "admin_state_up", "recreate")
    )
    kind = spec.get("provider_network_type", "flat")
    physnet = spec.get("provider_physical_network")
    segment = spec.get("provider_segmentation_id")
    if not isinstance(kind, str) or kind not in NETWORK_TYPES:
        errors.append(
            f"{where}:provider_network_type: unknown network type {kind!r} "
            f"(known: {', '.join(sorted(NETWORK_TYPES))}){_did_you_mean(kind, NETWORK_TYPES)}"
        )
    else:
        needs_physnet, segments = NETWORK_TYPES[kind]
        if needs_physnet and (not isinstance(physnet, str) or not physnet or len(physnet) > 64):
            errors.append(
                f"{where}:provider_physical_network: a {kind} network needs a physical network name "
                "(1 to 64 characters, as in the ML2 configuration)"
            )
        elif not needs_physnet and physnet is not None:
            errors.append(f"{where}:provider_physical_network: a {kind} network has none: set it to null")
        if segment is not None:
            if segments is None:
                errors.append(f"{where}:provider_segmentation_id: a {kind} network has none: leave it unset")
            elif (
                isinstance(segment, bool)
                or not isinstance(segment, int)
                or not (segments[0] <= segment <= segments[1])
            ):
                errors.append(
                    f"{where}:provider_segmentation_id: must be an integer from {segments[0]} to {segments[1]} "
                    f"for a {kind} network, got {segment!r}"
                )
    mtu = spec.get("mtu")
    if mtu is not None and (isinstance(mtu, bool) or not isinstance(mtu, int) or not 68 <= mtu <= 65535):
        errors.append(f"{where}:mtu: must be an integer from 68 to 65535, got {mtu!r}")
    project = spec.get("project")
    if project is not None and (not isinstance(project, str) or not project):
        errors.append(f"{where}:project: must be a project name or id")
    return errors


def _address(value, version):
    """``(value as an address of IP version, None)``, or ``(None, what is wrong)``."""
    try:
        addr = ipaddress.ip_address(str(value).strip())
    except ValueError:
        return None, f"{value!r} is not an IP address"
    if addr.version != version:
        return None, f"{addr} is not an IPv{version} address"
    return addr, None


def _pool_range(net):
    """The addresses of ``net`` a pool may hold (Neutron's ``generate_pools``), as integers."""
    first, last = int(net.network_address), int(net.broadcast_address)
    return first + 1, (last - 1 if net.version == 4 else last)


def _default_gateway(net):
    """Neutron's gateway for a subnet created without one: IPv4's first address, IPv6's ``::``."""
    return net.network_address + 1 if net.version == 4 else net.network_address


def _span_text(span):
    return "-".join(str(ipaddress.ip_address(a)) for a in span)


def _pool_span(pool, net):
    """``((start, end) as integers, None)`` for one pool of ``net``, or ``(None, what is wrong)``."""
    if not isinstance(pool, dict) or set(pool) != {"start", "end"}:
        return None, f": must be a mapping with exactly start and end, got {pool!r}"
    bounds = {}
    for key in ("start", "end"):
        addr, error = _address(pool[key], net.version)
        if error:
            return None, f":{key}: {error}"
        bounds[key] = int(addr)
    span = (bounds["start"], bounds["end"])
    if span[0] > span[1]:
        return None, f": start {pool['start']} is after end {pool['end']}"
    low, high = _pool_range(net)
    if span[0] < low or span[1] > high:
        return None, f": {_span_text(span)} is outside cidr {net} (a pool may hold {_span_text((low, high))})"
    return span, None


def _pools_errors(pools, net, where):
    """Errors of ``allocation_pools`` for ``net``, and each pool's span (None where invalid)."""
    if not isinstance(pools, list):
        return [f"{where}:allocation_pools: must be a list of {{start: ..., end: ...}}"], []
    errors, spans = [], []
    for index, pool in enumerate(pools):
        span, error = _pool_span(pool, net)
        if error:
            errors.append(f"{where}:allocation_pools[{index}]{error}")
        else:
            for other, seen in enumerate(spans):
                if seen and span[0] <= seen[1] and seen[0] <= span[1]:
                    errors.append(
                        f"{where}:allocation_pools[{index}]: {_span_text(span)} overlaps "
                        f"allocation_pools[{other}] ({_span_text(seen)})"
                    )
                    break
        spans.append(span)
    return errors, spans


def _gateway_errors(gateway, net, spans, where):
    if isinstance(gateway, str) and gateway.strip().lower() == NO_GATEWAY:
        return []
    if gateway is None:
        addr = _default_gateway(net)
        said = f"unset, so Neutron's default {addr}, which is"
    else:
        addr, error = _address(gateway, net.version)
        if error:
            return [f"{where}:gateway_ip: {error} (or 'none' for no gateway)"]
        if addr not in net or (net.version == 4 and addr in (net.network_address, net.broadcast_address)):
            return [
                f"{where}:gateway_ip: {addr} is outside cidr {net} (or is its network or broadcast address)"
            ]
        said = f"{addr} is"
    for index, span in enumerate(spans):
        if span and span[0] <= int(addr) <= span[1]:
            return [
                f"{where}:gateway_ip: {said} inside allocation_pools[{index}] ({_span_text(span)}), "
                "and Neutron refuses a gateway in a pool: set another gateway_ip, or 'none'"
            ]
    return []


def _servers_errors(servers, net, where):
    if not isinstance(servers, list):
        return [f"{where}:dns_nameservers: must be a list of IP addresses"]
    errors, seen = [], set()
    for index, server in enumerate(servers):
        addr, error = _address(server, net.version)
        if error:
            errors.append(f"{where}:dns_nameservers[{index}]: {error}")
        elif addr in seen:
            errors.append(f"{where}:dns_nameservers[{index}]: {addr} is listed twice")
        seen.add(addr)
    return errors


def _routes_errors(routes, net, where):
    if not isinstance(routes, list):
        return [f"{where}:host_routes: must be a list of {{destination: CIDR, nexthop: address}}"]
    errors = []
    for index, route in enumerate(routes):
        at = f"{where}:host_routes[{index}]"
        if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
            errors.append(f"{at}: must be a mapping with exactly destination and nexthop, got {route!r}")
            continue
        try:
            dest = ipaddress.ip_network(str(route["destination"]).strip())
        except ValueError as exc:
            errors.append(f"{at}:destination: {exc}")
        else:
            if dest.version != net.version:
                errors.append(f"{at}:destination: {dest} is not an IPv{net.version} network")
        _, error = _address(route["nexthop"], net.version)
        if error:
            errors.append(f"{at}:nexthop: {error}")
    return errors


def _network_of(spec, where):
    """``(the cidr as an ipaddress network, or None; errors)``, ``ip_version`` checked with it."""
    cidr, version = spec.get("cidr"), spec.get("ip_version", 4)
    errors = []
    if isinstance(version, bool) or version not in (4, 6):
        errors.append(f"{where}:ip_version: must be 4 or 6, got {version!r}")
    if not isinstance(cidr, str) or not cidr.strip():
        return None, [*errors, f"{where}:cidr: is required, a network such as 10.89.60.0/24"]
    try:
        net = ipaddress.ip_network(cidr.strip())
    except ValueError:
        try:
            loose = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            return None, [
                *errors,
                f"{where}:cidr: {cidr!r} is not a network in CIDR notation (10.89.60.0/24)",
            ]
        return None, [*errors, f"{where}:cidr: {cidr} has host bits set (the network is {loose})"]
    if not errors and net.version != version:
        errors.append(f"{where}:ip_version: {version}, but cidr {net} is an IPv{net.version} network")
    if net.prefixlen > net.max_prefixlen - 2:
        errors.append(f"{where}:cidr: {net} is too small: a subnet needs room for a gateway and a pool")
    return (None if errors else net), errors


def validate_subnet(spec, where="subnet"):
    """
    Check a subnet description (see the module doc); return a list of errors, each naming the
    argument: the CIDR, a gateway or pool outside it, overlapping pools, a gateway in a pool,
    DNS servers and host routes of another IP version.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_network.validate_subnet '{"name": "baremetal-v4", "network": "baremetal", "cidr": "10.89.60.0/24"}'
    """
    if not isinstance(spec, dict):
        return [f"{where}: must be a mapping"]
    errors = _common_errors(spec, SUBNET_KEYS, where, ("name", "network"), ("enable_dhcp", "recreate"))
    net, net_errors = _network_of(spec, where)
    errors.extend(net_errors)
    if net is None:
        return errors
    spans = []
    if spec.get("allocation_pools") is not None:
        pool_errors, spans = _pools_errors(spec["allocation_pools"], net, where)
        errors.extend(pool_errors)
    errors.extend(_gateway_errors(spec.get("gateway_ip"), net, spans, where))
    if spec.get("dns_nameservers") is not None:
        errors.extend(_servers_errors(spec["dns_nameservers"], net, where))
    if spec.get("host_routes") is not None:
        errors.extend(_routes_errors(spec["host_routes"], net, where))
    return errors


def default_pools(cidr, gateway_ip=None):
    """
    The allocation pools Neutron gives a subnet of ``cidr`` created without any: the addresses
    a pool may hold but ``gateway_ip`` (``None``: no gateway), as ``[{"start", "end"}]``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_network.default_pools 10.89.60.0/24 10.89.60.1
    """
    low, high = _pool_range(ipaddress.ip_network(cidr))
    spans = [(low, high)]
    if gateway_ip:
        gateway = int(ipaddress.ip_address(gateway_ip))
        spans = [(low, min(high, gateway - 1)), (max(low, gateway + 1), high)]
    return _as_pools(sorted({span for span in spans if span[0] <= span[1]}))


def _as_pools(spans):
    return [{"start": str(ipaddress.ip_address(a)), "end": str(ipaddress.ip_address(b))} for a, b in spans]


def _norm_pools(pools):
    return _as_pools(
        sorted((int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"]))) for p in pools)
    )


def _norm_routes(routes):
    pairs = {
        (str(ipaddress.ip_network(r["destination"])), str(ipaddress.ip_address(r["nexthop"]))) for r in routes
    }
    return [{"destination": dest, "nexthop": hop} for dest, hop in sorted(pairs)]


def _norm_address(value):
    return None if value is None else str(ipaddress.ip_address(str(value).strip()))


def subnet_wanted(spec):
    """
    The subnet a validated ``spec`` describes, Neutron's defaults made explicit and every
    value in the form Neutron answers with: ``gateway_ip`` (None: no gateway),
    ``allocation_pools`` sorted, ``host_routes`` sorted (the order of ``dns_nameservers`` is
    their priority: kept).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_network.subnet_wanted '{"name": "s", "network": "n", "cidr": "10.89.60.0/24"}'
    """
    net = ipaddress.ip_network(spec["cidr"].strip())
    gateway = spec.get("gateway_ip")
    if gateway is None:
        gateway = str(_default_gateway(net))
    elif str(gateway).strip().lower() == NO_GATEWAY:
        gateway = None
    pools = spec.get("allocation_pools")
    wanted = {
        "cidr": str(net),
        "ip_version": net.version,
        "gateway_ip": _norm_address(gateway),
        "enable_dhcp": spec.get("enable_dhcp", False),
        "allocation_pools": _norm_pools(pools) if pools is not None else default_pools(str(net), gateway),
        "dns_nameservers": [_norm_address(s) for s in spec.get("dns_nameservers") or []],
        "host_routes": _norm_routes(spec.get("host_routes") or []),
    }
    if spec.get("description") is not None:
        wanted["description"] = spec["description"] or None
    return wanted


def _subnet_now(live):
    """A live subnet in ``subnet_wanted``'s form."""
    now = dict(live)
    now["gateway_ip"] = _norm_address(live.get("gateway_ip"))
    now["allocation_pools"] = _norm_pools(live.get("allocation_pools") or [])
    now["dns_nameservers"] = [_norm_address(s) for s in live.get("dns_nameservers") or []]
    now["host_routes"] = _norm_routes(live.get("host_routes") or [])
    return now


def _readable(key, value):
    """A value as ``changes`` shows it: pools as ``start-end``, routes as ``destination via nexthop``."""
    if key == "allocation_pools":
        return [f"{p['start']}-{p['end']}" for p in value or []]
    if key == "host_routes":
        return [f"{r['destination']} via {r['nexthop']}" for r in value or []]
    return value


def _diffs(live, final, keys):
    return {
        k: {"old": _readable(k, live.get(k)), "new": _readable(k, final[k])}
        for k in keys
        if k in final and live.get(k) != final[k]
    }


def _refusal(kind, name, differing, why):
    what = "; ".join(f"{k}: {v['old']} -> {v['new']}" for k, v in sorted(differing.items()))
    return (
        f"{kind} '{name}' differs in {what}, which Neutron cannot change in place: {why}; nothing was changed"
    )


def _plan_item(*args, **kwargs):
    """One network's or subnet's plan (``stacksalt_openstack.plan_item``)."""
    return _util("stacksalt_openstack.plan_item")(*args, **kwargs)


def _arguments(fields):
    """Planned fields as arguments of ``create``/``update``/``create_subnet``/``update_subnet``:
    no gateway is ``'none'``, no description ``''`` (an unset argument is left alone)."""
    args = dict(fields)
    if "gateway_ip" in args and args["gateway_ip"] is None:
        args["gateway_ip"] = NO_GATEWAY
    if "description" in args and args["description"] is None:
        args["description"] = ""
    return args


def _replan(kind, name, live, differing, recreate, ports):
    """The refusal of a change only a new object can make, or None when ``recreate`` may go
    ahead; ``ports`` says how ports hold the object (``("uses it", "use it")``)."""
    noun = kind.lower()
    if not recreate:
        why = (
            f"the {noun} must be recreated (set recreate: true to delete it and create it again, which "
            f"works only while no port {ports[0]}; or use another name)"
        )
        return _plan_item("refuse", comment=_refusal(kind, name, differing, why))
    if live.get("ports"):
        why = f"the {noun} must be recreated, but ports {ports[1]} ({', '.join(live['ports'])}): delete them first"
        return _plan_item("refuse", comment=_refusal(kind, name, differing, why))
    return None


def plan(spec, live, project_id=None):
    """
    Compare a validated network description with the live network (``get``'s result or None);
    ``project_id`` is the id of the spec's ``project``. Returns ``{"action":
    "none"|"create"|"update"|"recreate"|"refuse", "changes", "comment", "create": the arguments
    of ``create``, "update": those of ``update``}``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_network.plan '{"name": "baremetal", "provider_physical_network": "baremetal"}' null
    """
    wanted = dict(NETWORK_DEFAULTS, provider_network_type="flat")
    wanted.update({k: v for k, v in spec.items() if k in NETWORK_API and k != "project" and v is not None})
    if "description" in wanted:
        wanted["description"] = wanted["description"] or None
    if project_id:
        wanted["project"] = project_id
    name = spec["name"]
    if live is None:
        shown = {"name": name, **wanted}
        if project_id:
            shown["project"] = spec["project"]
        return _plan_item("create", {"created": shown}, create=_arguments(wanted))
    differing = _diffs(live, wanted, NETWORK_IMMUTABLE)
    if not differing:
        changes = _diffs(live, wanted, NETWORK_MUTABLE)
        update = _arguments({k: wanted[k] for k in changes})
        return _plan_item("update" if changes else "none", changes, update=update)
    refused = _replan("Network", name, live, differing, spec.get("recreate"), ("uses it", "use it"))
    if refused:
        return refused
    # Deleted and created again: what the spec leaves unset is kept from the live network.
    final = {k: live[k] for k in ("mtu", "description", "project") if live.get(k) is not None}
    final.update(wanted)
    changes = {"recreated": differing, **_diffs(live, final, NETWORK_MUTABLE)}
    if live.get("subnets"):
        changes["subnets"] = {"deleted": list(live["subnets"])}
    return _plan_item("recreate", changes, create=_arguments(final))


def plan_subnet(spec, live):
    """
    Compare a validated subnet description with the live subnet (``get_subnet``'s result or
    None). Returns ``{"action": "none"|"create"|"update"|"recreate"|"refuse", "changes",
    "comment", "create": the arguments of ``create_subnet``, "update": those of
    ``update_subnet``}``; ``changes`` shows pools as ``start-end`` and routes as
    ``destination via nexthop``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_network.plan_subnet '{"name": "s", "network": "n", "cidr": "10.89.60.0/24"}' null
    """
    wanted = subnet_wanted(spec)
    name = spec["name"]
    if live is None:
        shown = {k: _readable(k, v) for k, v in wanted.items()}
        created = {"name": name, "network": spec["network"], **shown}
        return _plan_item("create", {"created": created}, create=_arguments(wanted))
    now = _subnet_now(live)
    differing = _diffs(now, wanted, SUBNET_IMMUTABLE)
    if not differing:
        changes = _diffs(now, wanted, SUBNET_MUTABLE)
        update = _arguments({k: wanted[k] for k in changes})
        return _plan_item("update" if changes else "none", changes, update=update)
    refused = _replan(
        "Subnet",
        name,
        live,
        differing,
        spec.get("recreate"),
        ("has an address on it", "have addresses on it"),
    )
    if refused:
        return refused
    final = dict(wanted)
    if "description" not in final and live.get("description"):
        final["description"] = live["description"]
    changes = {"recreated": differing, **_diffs(now, final, SUBNET_MUTABLE)}
    return _plan_item("recreate", changes, create=_arguments(final))


# ---------------------------------------------------------------------------------------------
# API access
# ---------------------------------------------------------------------------------------------


def _conn(cloud=None):
    return _util("stacksalt_openstack.salt_connect")(__salt__, cloud)


def _neutron(conn, method, url, **kwargs):
    kwargs.setdefault("retry_statuses", RETRY_STATUSES)
    return _util("stacksalt_openstack.request")(conn.network, method, url, **kwargs)


def _single(found, what, hint):
    """The one item of ``found``, None for none; several are an error listing their ids."""
    if len(found) > 1:
        raise CommandExecutionError(f"{len(found)} {what} ({', '.join(i['id'] for i in found)}): {hint}")
    return found[0] if found else None


def _finder(conn, collection, **filters):
    """
    A function returning every ``collection`` item (networks, subnets, ports) that matches
    ``filters``, all pages. The util is resolved now: the function may run inside the util
    (``request``'s ``before_retry``), where this module's dunders do not resolve.
    """
    paged = _util("stacksalt_openstack.paged")
    path = f"/{collection}"
    return lambda: paged(conn.network, path, collection, filters, retry_statuses=RETRY_STATUSES)


def _listing(conn, collection, **filters):
    return _finder(conn, collection, **filters)()


def _project_id(conn, project):
    """The id of the Keystone project with id or name ``project``; an unknown one is an error."""
    by_id = _util("stacksalt_openstack.get_or_none")(
        conn.identity, f"/projects/{urllib.parse.quote(project, safe='')}"
    )
    if by_id:
        return by_id["project"]["id"]
    named = _util("stacksalt_openstack.paged")(conn.identity, "/projects", "projects", {"name": project})
    found = _single(named, f"projects are named '{project}'", "name the project by id")
    if found is None:
        raise SaltInvocationError(f"project '{project}' not found in Keystone")
    return found["id"]


def resolve_project(project, cloud=None):
    """
    The id of a Keystone project given by name or id; an unknown project is an error naming it.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_network.resolve_project admin
    """
    return _project_id(_conn(cloud), project)


def _find_network(conn, name, project=None):
    """The raw network with id ``name``, else named ``name`` (``project`` picks one of several
    of that name), or None."""
    if _UUID.match(name):
        found = _util("stacksalt_openstack.get_or_none")(conn.network, f"/networks/{name}")
        if found:
            return found["network"]
    found = _listing(conn, "networks", name=name)
    if len(found) > 1 and project:
        project_id = _project_id(conn, project)
        found = [n for n in found if n.get("project_id") == project_id]
    return _single(
        found, f"networks are named '{name}'", "pass project=, name it by id, or remove the extra ones"
    )


def _blocking_ports(conn, **filters):
    """The ids of the ports that keep Neutron from deleting a network or subnet."""
    ports = _listing(conn, "ports", fields=["id", "device_owner"], **filters)
    return sorted(p["id"] for p in ports if p.get("device_owner") not in AUTO_DELETED_PORTS)


def _plain_network(conn, raw):
    network = {"id": raw["id"], "name": raw["name"]}
    network.update({arg: raw.get(api) for arg, api in NETWORK_API.items()})
    network.update(description=raw.get("description") or None, external=bool(raw.get("router:external")))
    network.update(status=raw.get("status"), subnets=[], ports=_blocking_ports(conn, network_id=raw["id"]))
    if raw.get("subnets"):
        subnets = _listing(conn, "subnets", network_id=raw["id"], fields=["id", "name"])
        network["subnets"] = sorted(s["name"] or s["id"] for s in subnets)
    return network


def get(name, project=None, cloud=None):
    """
    The network with id or name ``name`` (``project``, a name or id, picks one of several
    networks of that name), or None: its id, the state's arguments (``provider_network_type``,
    ``provider_physical_network``, ``provider_segmentation_id``, ``shared``, ``external``,
    ``admin_state_up``, ``mtu``, ``description``, ``project`` as an id), ``status``, the names
    of its ``subnets`` and the ids of the ``ports`` that use it (DHCP ports, which Neutron
    deletes with the network, are not counted).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_network.get baremetal
    """
    conn = _conn(cloud)
    raw = _find_network(conn, name, project)
    return _plain_network(conn, raw) if raw else None


def _post(conn, collection, body, **filters):
    """
    ``POST /<collection>`` of ``body``, the raw item made. After a lost answer (a 503 or a reset
    connection) the item matching ``filters`` is looked for before any retry, so none is made
    twice; a 409 (the physical network in use, an overlapping CIDR) is Neutron's verdict.
    """
    item, find = collection[:-1], _finder(conn, collection, **filters)

    def made():
        found = find()
        return {item: found[0]} if len(found) == 1 else None

    resp = _neutron(conn, "POST", f"/{collection}", json={item: body}, before_retry=made)
    return (resp if isinstance(resp, dict) else resp.json())[item]


def create(
    name,
    provider_network_type="flat",
    provider_physical_network=None,
    provider_segmentation_id=None,
    shared=False,
    external=False,
    admin_state_up=True,
    mtu=None,
    description=None,
    project=None,
    cloud=None,
):
    """
    Create a network (validated first: nothing is created when an argument is invalid).
    ``project``: a name or id (default: the caller's project).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_network.create baremetal provider_physical_network=baremetal
    """
    args = {
        "provider_network_type": provider_network_type,
        "provider_physical_network": provider_physical_network,
    }
    args.update(provider_segmentation_id=provider_segmentation_id, shared=shared, external=external)
    args.update(admin_state_up=admin_state_up, mtu=mtu, description=description, project=project)
    errors = validate(dict(args, name=name))
    if errors:
        raise SaltInvocationError("; ".join(errors))
    conn = _conn(cloud)
    if project:
        args["project"] = _project_id(conn, project)
    body = {NETWORK_API[k]: v for k, v in args.items() if v is not None}
    body["name"] = name
    return _plain_network(conn, _post(conn, "networks", body, name=name))


def update(name, shared=None, external=None, admin_state_up=None, mtu=None, description=None, cloud=None):
    """
    Change what Neutron changes in place on the network with id or name ``name``: ``shared``,
    ``external``, ``admin_state_up``, ``mtu``, ``description`` (an unset argument is left alone).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_network.update baremetal mtu=1450 description='Ironic provisioning'
    """
    conn = _conn(cloud)
    raw = _find_network(conn, name)
    if raw is None:
        raise CommandExecutionError(f"network '{name}' does not exist")
    fields = {"shared": shared, "external": external, "admin_state_up": admin_state_up, "mtu": mtu}
    body = {NETWORK_API[k]: v for k, v in dict(fields, description=description).items() if v is not None}
    if body:
        raw = _neutron(conn, "PUT", f"/networks/{raw['id']}", json={"network": body}).json()["network"]
    return _plain_network(conn, raw)


def delete(name, cloud=None):
    """
    Delete the network with id or name ``name``, and with it its subnets; True when deleted,
    False when it did not exist. Neutron refuses while ports use it.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_network.delete baremetal
    """
    conn = _conn(cloud)
    raw = _find_network(conn, name)
    if raw is None:
        return False
    _neutron(conn, "DELETE", f"/networks/{raw['id']}")
    return True


def _find_subnet(conn, name, network=None):
    """``(raw subnet or None, raw network)`` for the subnet with id ``name`` (``network``
    unset), else named ``name`` on ``network`` (id or name; unset: on any network).
    ``(None, None)`` when ``network`` names no network."""
    if _UUID.match(name):
        found = _util("stacksalt_openstack.get_or_none")(conn.network, f"/subnets/{name}")
        if found and network is None:
            return found["subnet"], None
    net, filters = None, {"name": name}
    if network is not None:
        net = _find_network(conn, network)
        if net is None:
            return None, None
        filters["network_id"] = net["id"]
    on = f" on network '{network}'" if network is not None else ""
    hint = "remove the extra ones" if network is not None else "name their network"
    return _single(_listing(conn, "subnets", **filters), f"subnets are named '{name}'{on}", hint), net


def _network_missing(network):
    return CommandExecutionError(f"network '{network}' does not exist")


def _plain_subnet(conn, raw, network_name=None):
    subnet = {key: raw.get(key) for key in ("id", "name", "network_id", *SUBNET_IMMUTABLE, *SUBNET_MUTABLE)}
    subnet.update(network=network_name or raw["network_id"], description=raw.get("description") or None)
    for key in ("allocation_pools", "dns_nameservers", "host_routes"):
        subnet[key] = list(raw.get(key) or [])
    subnet["ports"] = _blocking_ports(conn, fixed_ips=f"subnet_id={raw['id']}")
    return subnet


def get_subnet(name, network=None, cloud=None):
    """
    The subnet named ``name`` on ``network`` (a name or id; unset: on any network, one of a
    name), or None: id, network, network_id, cidr, ip_version, gateway_ip, enable_dhcp,
    allocation_pools, dns_nameservers, host_routes, description and the ids of the ``ports``
    with an address on it (DHCP ports not counted). A ``network`` that does not exist is an
    error.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_network.get_subnet baremetal-v4 network=baremetal
    """
    conn = _conn(cloud)
    raw, net = _find_subnet(conn, name, network)
    if network is not None and net is None:
        raise _network_missing(network)
    return _plain_subnet(conn, raw, net and net["name"]) if raw else None


def _subnet_body(fields):
    body = {k: v for k, v in fields.items() if v is not None}
    if str(body.get("gateway_ip", "")).strip().lower() == NO_GATEWAY:
        body["gateway_ip"] = None
    return body


def create_subnet(
    name,
    network,
    cidr,
    ip_version=4,
    gateway_ip=None,
    enable_dhcp=False,
    allocation_pools=None,
    dns_nameservers=None,
    host_routes=None,
    description=None,
    cloud=None,
):
    """
    Create a subnet on ``network`` (a name or id), validated first (nothing is created when an
    argument is invalid). ``gateway_ip``: unset for Neutron's default (the CIDR's first
    address), ``none`` for none; unset ``allocation_pools``: the CIDR's addresses but the
    gateway.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_network.create_subnet baremetal-v4 baremetal 10.89.60.0/24 gateway_ip=none allocation_pools='[{start: 10.89.60.100, end: 10.89.60.200}]'
    """
    spec = {
        "name": name,
        "network": network,
        "cidr": cidr,
        "ip_version": ip_version,
        "gateway_ip": gateway_ip,
    }
    spec.update(enable_dhcp=enable_dhcp, allocation_pools=allocation_pools, dns_nameservers=dns_nameservers)
    spec.update(host_routes=host_routes, description=description)
    errors = validate_subnet(spec)
    if errors:
        raise SaltInvocationError("; ".join(errors))
    conn = _conn(cloud)
    net = _find_network(conn, network)
    if net is None:
        raise _network_missing(network)
    # gateway_ip None (no gateway) is sent: left out, Neutron would set its default.
    body = {k: v for k, v in subnet_wanted(spec).items() if v is not None or k == "gateway_ip"}
    body.update(name=name, network_id=net["id"])
    return _plain_subnet(conn, _post(conn, "subnets", body, name=name, network_id=net["id"]), net["name"])


def update_subnet(
    name,
    network=None,
    gateway_ip=None,
    enable_dhcp=None,
    allocation_pools=None,
    dns_nameservers=None,
    host_routes=None,
    description=None,
    cloud=None,
):
    """
    Change what Neutron changes in place on a subnet: ``gateway_ip`` (``none``: no gateway),
    ``enable_dhcp``, ``allocation_pools``, ``dns_nameservers``, ``host_routes`` (an empty list
    clears them), ``description``; an unset argument is left alone.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_network.update_subnet baremetal-v4 network=baremetal dns_nameservers='[10.89.60.1]'
    """
    conn = _conn(cloud)
    raw, net = _find_subnet(conn, name, network)
    if network is not None and net is None:
        raise _network_missing(network)
    if raw is None:
        raise CommandExecutionError(f"subnet '{name}' does not exist")
    fields = {"gateway_ip": gateway_ip, "enable_dhcp": enable_dhcp, "allocation_pools": allocation_pools}
    fields.update(dns_nameservers=dns_nameservers, host_routes=host_routes, description=description)
    body = _subnet_body(fields)
    if body:
        raw = _neutron(conn, "PUT", f"/subnets/{raw['id']}", json={"subnet": body}).json()["subnet"]
    return _plain_subnet(conn, raw, net and net["name"])


def delete_subnet(name, network=None, cloud=None):
    """
    Delete the subnet named ``name`` (on ``network``, a name or id); True when deleted, False
    when it (or its network) did not exist. Neutron refuses while ports have addresses on it.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_network.delete_subnet baremetal-v4 network=baremetal
    """
    conn = _conn(cloud)
    raw, _ = _find_subnet(conn, name, network)
    if raw is None:
        return False
    _neutron(conn, "DELETE", f"/subnets/{raw['id']}")
    return True
