"""
Nova host aggregates: availability zone, metadata, hosts (a list or a pattern).

.. code-block:: yaml

    openstack-aggregate-virtual-hosts-present:
      openstack_aggregate.present:
        - name: virtual-hosts
        - metadata: {baremetal: "false"}
        - hosts_matching: "*compute*"     # every hypervisor whose name contains "compute"
        - purge_hosts: false

    openstack-aggregate-old-absent:
      openstack_aggregate.absent:
        - name: old-hosts

Only the metadata keys listed are managed (``purge_metadata: true`` for all); hosts are only
added unless ``purge_hosts`` is true. A listed host Nova does not know fails the state before
any change. ``test=True`` returns exactly the changes a real run makes.
"""

import importlib

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "openstack_aggregate"


def __virtual__():
    if "openstack_aggregate.plan" not in __salt__:
        return (
            False,
            "openstack_aggregate: the openstack_aggregate execution module is not available (openstacksdk?)",
        )
    return __virtualname__


def _ret(name):
    return {"name": name, "result": False, "changes": {}, "comment": ""}


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def present(
    name,
    availability_zone=None,
    metadata=None,
    hosts=None,
    hosts_matching=None,
    purge_hosts=False,
    purge_metadata=False,
    await_hosts=False,
    cloud=None,
    pillar_key=None,
):
    """
    Ensure an aggregate exists with the given zone, metadata and hosts.

    name
        The aggregate name.
    availability_zone
        The zone the aggregate's hosts form (unset: left as it is).
    metadata
        Keys to set (values are strings in Nova; YAML booleans become "true"/"false").
    hosts
        Compute host names to include.
    hosts_matching
        An fnmatch pattern over hypervisor (and host) names: their compute hosts are included.
    purge_hosts
        Remove hosts that are neither listed nor matched.
    purge_metadata
        Remove metadata keys that are not listed.
    await_hosts
        The listed hosts may be registering in this very run (a compute host joining its own
        aggregate right after its service starts): one Nova does not know yet is awaited, not
        an error. ``test=True`` says it cannot be known before the host registers (result None);
        a real run fails, nothing changed, so that the state's ``retry`` tries again.
    pillar_key
        Where the data came from (``openstack:aggregates:<name>``), used in error messages.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    spec = {"name": name, "purge_hosts": purge_hosts, "purge_metadata": purge_metadata}
    for key, value in (
        ("availability_zone", availability_zone),
        ("metadata", metadata),
        ("hosts", hosts),
        ("hosts_matching", hosts_matching),
    ):
        if value is not None:
            spec[key] = value
    where = pillar_key or f"openstack_aggregate:{name}"
    errors = __salt__["openstack_aggregate.validate"](spec, where=where)
    if errors:
        return _util("stacksalt_openstack.invalid")(ret, "aggregate data", errors)
    try:
        hypervisors = __salt__["openstack_aggregate.hypervisors"](cloud=cloud)
        live = __salt__["openstack_aggregate.get"](name, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _util("stacksalt_openstack.could_not_read")(ret, f"aggregate '{name}'", exc, __opts__["test"])
    wanted, unknown = __salt__["openstack_aggregate.select_hosts"](hypervisors, hosts, hosts_matching)
    if unknown:
        known = sorted({h["host"] for h in hypervisors})
        ret["comment"] = (
            f"{where}:hosts: no compute host named {', '.join(unknown)} (known: {', '.join(known) or 'none'}); "
            "nothing was changed"
        )
        if await_hosts:
            ret["comment"] += f"; awaited: {', '.join(unknown)} registers once its nova-compute has started"
            if __opts__["test"]:
                ret["result"] = None
                ret["comment"] = (
                    f"Aggregate '{name}': cannot be known before {', '.join(unknown)} registers "
                    "(an earlier state of this run starts its nova-compute); it would then be joined"
                )
        return ret
    item = __salt__["openstack_aggregate.plan"](spec, live, wanted)
    if item["action"] == "none":
        ret["result"] = True
        ret["comment"] = f"Aggregate '{name}' is in the desired state"
        if hosts_matching and not wanted:
            ret["comment"] += f" (no hypervisor matches '{hosts_matching}')"
        return ret
    verb = "created" if item["action"] == "create" else "updated"

    def apply():
        if item["action"] == "create":
            __salt__["openstack_aggregate.create"](
                name, availability_zone=item["availability_zone"], cloud=cloud
            )
        __salt__["openstack_aggregate.update"](
            name,
            set_metadata=item["set_metadata"],
            availability_zone=None if item["action"] == "create" else item["availability_zone"],
            add_hosts=item["add_hosts"],
            remove_hosts=item["remove_hosts"],
            cloud=cloud,
        )

    return _util("stacksalt_openstack.carry_out")(
        ret, f"Aggregate '{name}'", verb, item["changes"], apply, __opts__["test"], retry_hint=True
    )


def absent(name, cloud=None):
    """
    Ensure no aggregate is named ``name`` (its hosts are removed from it first).

    name
        The aggregate name.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    try:
        live = __salt__["openstack_aggregate.get"](name, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _util("stacksalt_openstack.could_not_read")(ret, f"aggregate '{name}'", exc, __opts__["test"])
    if live is None:
        ret.update(result=True, comment=f"Aggregate '{name}' is already absent")
        return ret
    changes = {"deleted": {"id": live["id"], "hosts": live["hosts"]}}
    delete = __salt__["openstack_aggregate.delete"]
    return _util("stacksalt_openstack.carry_out")(
        ret, f"Aggregate '{name}'", "deleted", changes, lambda: delete(name, cloud=cloud), __opts__["test"]
    )
