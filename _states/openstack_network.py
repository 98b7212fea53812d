"""
Neutron networks and subnets: the flat provider network Ironic provisions and cleans nodes on,
and its subnets.

.. code-block:: yaml

    openstack-network-baremetal:
      openstack_network.present:
        - name: baremetal
        - provider_network_type: flat
        - provider_physical_network: baremetal
        - mtu: 1500
        - description: Ironic provisioning and cleaning
        - recreate: false        # true: a changed provider attribute deletes and creates it again

    openstack-subnet-baremetal-v4:
      openstack_network.subnet_present:
        - name: baremetal-v4
        - network: baremetal
        - cidr: 10.89.60.0/24
        - gateway_ip: none       # no gateway; unset: the CIDR's first address
        - enable_dhcp: false
        - allocation_pools:
          - {start: 10.89.60.100, end: 10.89.60.200}
        - require:
          - openstack_network: openstack-network-baremetal

    openstack-network-old-absent:
      openstack_network.absent:
        - name: old-provisioning

Bad arguments (a CIDR with host bits, a gateway or pool outside the CIDR, overlapping pools, an
unknown network type) fail the state before any API call. Provider attributes and the project
of a network, the ``cidr`` and ``ip_version`` of a subnet, cannot change in place: a difference
is refused, nothing changed, unless ``recreate`` is true and no port uses it. ``test=True``
returns exactly the changes a real run makes; a subnet whose network an earlier state of the
same test run would create is reported as a subnet that would be created.
"""

import importlib

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "openstack_network"

_VERBS = {"create": "created", "update": "updated", "recreate": "deleted and created again"}


def __virtual__():
    if "openstack_network.plan" not in __salt__:
        return (
            False,
            "openstack_network: the openstack_network execution module is not available (openstacksdk?)",
        )
    return __virtualname__


def _ret(name):
    return {"name": name, "result": False, "changes": {}, "comment": ""}


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _invalid(ret, kind, errors):
    return _util("stacksalt_openstack.invalid")(ret, f"{kind} data", errors)


def _converge(ret, kind, item, live, create, update, delete):
    """
    Carry out ``item`` (a plan of the execution module) for ``ret["name"]``: ``create(args)``,
    ``update(id, args)`` and ``delete(id)`` make the calls. In test mode only the planned
    changes are returned.
    """
    name, action = ret["name"], item["action"]
    if action == "refuse":
        ret["comment"] = item["comment"]
        return ret
    if action == "none":
        ret.update(result=True, comment=f"{kind} '{name}' is in the desired state")
        return ret
    verb = _VERBS[action]
    if __opts__["test"]:
        ret.update(result=None, changes=item["changes"], comment=f"{kind} '{name}' would be {verb}")
        return ret
    deleted = False  # the recreate's delete went through: the old object is gone
    try:
        if action == "update":
            made = update(live["id"], item["update"])
        else:
            if action == "recreate":
                delete(live["id"])
                deleted = True
            made = create(item["create"])
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"{kind} '{name}' could not be {verb}: {exc}"
        if deleted:
            ret["changes"] = {"deleted": {"id": live["id"]}}
            ret["comment"] += f" (the old {kind.lower()} is deleted: run the state again to create it)"
        return ret
    ret.update(result=True, changes=item["changes"], comment=f"{kind} '{name}' {verb} (id {made['id']})")
    return ret


def _remove(ret, kind, live, changes, delete):
    """Delete ``live`` (a network or subnet) unless ports hold it; ``changes`` as reported."""
    name = ret["name"]
    if live["ports"]:
        ret["comment"] = (
            f"{kind} '{name}' is in use by ports {', '.join(live['ports'])}: Neutron refuses to delete it "
            "before they are deleted; nothing was changed"
        )
        return ret
    return _util("stacksalt_openstack.carry_out")(
        ret, f"{kind} '{name}'", "deleted", changes, lambda: delete(live["id"]), __opts__["test"]
    )


def present(
    name,
    provider_network_type="flat",
    provider_physical_network="baremetal",
    provider_segmentation_id=None,
    shared=False,
    external=False,
    admin_state_up=True,
    mtu=None,
    description=None,
    project=None,
    recreate=False,
    cloud=None,
    pillar_key=None,
):
    """
    Ensure a Neutron network exists as described.

    name
        The network name.
    provider_network_type, provider_physical_network, provider_segmentation_id
        Fixed once the network exists (``provider_physical_network`` is null for vxlan, geneve,
        gre and local networks; an unset segmentation id is Neutron's choice).
    shared, external, admin_state_up, mtu, description
        Changed in place (``mtu``, ``description`` unset: left as they are).
    project
        The owning project, a name or id (unset: the caller's); fixed once the network exists.
    recreate
        A changed fixed attribute deletes the network (and its subnets) and creates it again,
        only while no port uses it. Otherwise it is refused and nothing changes.
    pillar_key
        Where the data came from (``openstack:networks:<name>``), used in error messages.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    spec = {"name": name, "provider_network_type": provider_network_type}
    spec.update(provider_physical_network=provider_physical_network, shared=shared, external=external)
    spec.update(admin_state_up=admin_state_up, recreate=recreate)
    # unset: left to Neutron (segmentation id, mtu), as it is (description) or the caller's (project)
    unset = {"provider_segmentation_id": provider_segmentation_id, "mtu": mtu, "description": description}
    spec.update({k: v for k, v in dict(unset, project=project).items() if v is not None})
    where = pillar_key or f"openstack_network:{name}"
    errors = __salt__["openstack_network.validate"](spec, where=where)
    if errors:
        return _invalid(ret, "network", errors)
    project_id = None
    if project is not None:
        try:
            project_id = __salt__["openstack_network.resolve_project"](project, cloud=cloud)
        except (CommandExecutionError, SaltInvocationError) as exc:
            ret["comment"] = f"{where}:project: {exc}; nothing was changed"
            return ret
    try:
        live = __salt__["openstack_network.get"](name, project=project_id, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read network '{name}': {exc}"
        return ret
    item = __salt__["openstack_network.plan"](spec, live, project_id=project_id)
    _converge(
        ret,
        "Network",
        item,
        live,
        create=lambda args: __salt__["openstack_network.create"](name, cloud=cloud, **args),
        update=lambda net_id, args: __salt__["openstack_network.update"](net_id, cloud=cloud, **args),
        delete=lambda net_id: __salt__["openstack_network.delete"](net_id, cloud=cloud),
    )
    deleted = item["changes"].get("subnets", {}).get("deleted")
    if item["action"] == "recreate" and deleted and ret["result"] is not False:
        ret["comment"] += (
            f"; its subnets {', '.join(deleted)} {'would be' if __opts__['test'] else 'were'} deleted with it "
            "(their subnet_present states create them again)"
        )
    return ret


def absent(name, project=None, cloud=None):
    """
    Ensure no Neutron network is named ``name`` (its subnets go with it). A network that ports
    still use is refused, nothing deleted.

    name
        The network name (or id).
    project
        A project name or id that picks one of several networks of that name.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    try:
        live = __salt__["openstack_network.get"](name, project=project, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read network '{name}': {exc}"
        return ret
    if live is None:
        ret.update(result=True, comment=f"Network '{name}' is already absent")
        return ret
    changes = {"deleted": {"id": live["id"]}}
    if live["subnets"]:
        changes["deleted"]["subnets"] = live["subnets"]
    return _remove(
        ret,
        "Network",
        live,
        changes,
        lambda net_id: __salt__["openstack_network.delete"](net_id, cloud=cloud),
    )


def _network_ahead(network):
    """
    What an earlier ``openstack_network.present`` of this (test) run plans for ``network``:
    ``"created"``, ``"deleted and created again"`` or None. Salt gives a state the returns of
    the states run before it in ``__running__`` (absent outside a state run).
    """
    for tag, earlier in (globals().get("__running__") or {}).items():
        parts = tag.split("_|-")
        if parts[0] != "openstack_network" or parts[-1] != "present" or earlier.get("name") != network:
            continue
        if earlier.get("result") is None:
            changes = earlier.get("changes") or {}
            if "created" in changes:
                return "created"
            if "recreated" in changes:
                return "deleted and created again"
    return None


def subnet_present(
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
    recreate=False,
    cloud=None,
    pillar_key=None,
):
    """
    Ensure a subnet exists on a Neutron network as described.

    name
        The subnet name (unique on its network).
    network
        The network's name or id; it must exist (in test mode it may be one an earlier state of
        the same run would create).
    cidr, ip_version
        Fixed once the subnet exists.
    gateway_ip
        An address in ``cidr``, ``none`` for no gateway; unset: Neutron's default, the CIDR's
        first address (IPv6: its ``::`` address).
    enable_dhcp
        Neutron's DHCP agent serves the subnet (Ironic's own DHCP does on a provisioning network).
    allocation_pools
        ``[{start, end}]`` in ``cidr``, not overlapping, the gateway outside them; unset: the
        CIDR's addresses but the gateway.
    dns_nameservers, host_routes
        The whole lists (unset: none); routes as ``{destination: CIDR, nexthop: address}``.
    description
        Unset: left as it is.
    recreate
        A changed ``cidr``/``ip_version`` deletes the subnet and creates it again, only while no
        port has an address on it. Otherwise it is refused and nothing changes.
    pillar_key
        Where the data came from (``openstack:subnets:<name>``), used in error messages.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    spec = {"name": name, "network": network, "cidr": cidr, "ip_version": ip_version}
    spec.update(gateway_ip=gateway_ip, enable_dhcp=enable_dhcp, recreate=recreate)
    spec.update(allocation_pools=allocation_pools, dns_nameservers=dns_nameservers, host_routes=host_routes)
    if description is not None:
        spec["description"] = description
    where = pillar_key or f"openstack_network:subnet:{name}"
    errors = __salt__["openstack_network.validate_subnet"](spec, where=where)
    if errors:
        return _invalid(ret, "subnet", errors)
    try:
        net = __salt__["openstack_network.get"](network, cloud=cloud)
        live = net and __salt__["openstack_network.get_subnet"](name, network=net["id"], cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read subnet '{name}': {exc}"
        return ret
    ahead = _network_ahead(network) if __opts__["test"] else None
    if net is None and ahead != "created":
        ret["comment"] = (
            f"{where}:network: network '{network}' does not exist: create it first (openstack_network.present, "
            "required by this state); nothing was changed"
        )
        return ret
    if ahead:
        live = None  # made anew with its network
    item = __salt__["openstack_network.plan_subnet"](spec, live)
    _converge(
        ret,
        "Subnet",
        item,
        live,
        create=lambda args: __salt__["openstack_network.create_subnet"](name, net["id"], cloud=cloud, **args),
        update=lambda sub_id, args: __salt__["openstack_network.update_subnet"](sub_id, cloud=cloud, **args),
        delete=lambda sub_id: __salt__["openstack_network.delete_subnet"](sub_id, cloud=cloud),
    )
    if ahead:
        ret["comment"] += f" (its network '{network}' would be {ahead} by an earlier state of this run)"
    return ret


def subnet_absent(name, network=None, cloud=None):
    """
    Ensure no subnet named ``name`` is on ``network`` (unset: on any network, then only one
    subnet may have the name). A subnet on which ports have addresses is refused.

    name
        The subnet name.
    network
        The network's name or id; a network that does not exist has no subnet.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    try:
        net = __salt__["openstack_network.get"](network, cloud=cloud) if network is not None else None
        live = None
        if network is None or net is not None:
            live = __salt__["openstack_network.get_subnet"](name, network=net and net["id"], cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read subnet '{name}': {exc}"
        return ret
    if live is None:
        gone = f" (network '{network}' does not exist)" if network is not None and net is None else ""
        ret.update(result=True, comment=f"Subnet '{name}' is already absent{gone}")
        return ret
    changes = {"deleted": {"id": live["id"], "network": live["network"], "cidr": live["cidr"]}}
    return _remove(
        ret,
        "Subnet",
        live,
        changes,
        lambda sub_id: __salt__["openstack_network.delete_subnet"](sub_id, cloud=cloud),
    )
