"""
Nova flavors with extra specs and project access.

.. code-block:: yaml

    openstack-flavor-m1.large-numa-present:
      openstack_flavor.present:
        - name: m1.large-numa
        - vcpus: 32
        - ram: 65536
        - disk: 40
        - is_public: false
        - projects: [hpc]
        - extra_specs:
            hw:numa_nodes: 2
            hw:cpu_policy: dedicated
            hw:mem_page_size: 2MB
        - purge_extra_specs: false     # true: extra specs the state does not list are removed
        - recreate: false              # true: a changed vcpus/ram/disk/... deletes and re-creates

    openstack-flavor-m1.tiny-absent:
      openstack_flavor.absent:
        - name: m1.tiny

Bad data (a misspelt extra spec, an inconsistent NUMA layout, an unknown project) fails the
state before any API call. Only the extra specs the state lists are compared unless
``purge_extra_specs`` is true. ``test=True`` returns exactly the changes a real run makes.
"""

import importlib

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "openstack_flavor"


def __virtual__():
    if "openstack_flavor.plan" not in __salt__:
        return (
            False,
            "openstack_flavor: the openstack_flavor execution module is not available (openstacksdk?)",
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
    vcpus=None,
    ram=None,
    disk=0,
    ephemeral=0,
    swap=0,
    is_public=True,
    projects=None,
    extra_specs=None,
    description=None,
    purge_extra_specs=False,
    recreate=False,
    flavor_id=None,
    cloud=None,
    pillar_key=None,
):
    """
    Ensure a flavor exists as described.

    name
        The flavor name.
    vcpus, ram (MB), disk (GB), ephemeral (GB), swap (MB), is_public
        Immutable in Nova: a difference is an error unless ``recreate`` is true.
    projects
        Project names or ids with access to a private flavor (the whole list is managed).
    extra_specs
        Extra specs to set; others are left alone unless ``purge_extra_specs`` is true.
    description
        The only field Nova lets change in place.
    flavor_id
        The id of a new flavor (default: Nova generates a UUID).
    pillar_key
        Where the data came from (``openstack:flavors:<name>``), used in error messages.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    spec = {"name": name, "vcpus": vcpus, "ram": ram, "disk": disk, "ephemeral": ephemeral, "swap": swap}
    spec.update(is_public=is_public, purge_extra_specs=purge_extra_specs, recreate=recreate)
    for key, value in (("projects", projects), ("extra_specs", extra_specs), ("description", description)):
        if value is not None:
            spec[key] = value
    if flavor_id is not None:
        spec["id"] = flavor_id
    where = pillar_key or f"openstack_flavor:{name}"
    errors = __salt__["openstack_flavor.validate"](spec, where=where)
    if errors:
        return _util("stacksalt_openstack.invalid")(ret, "flavor data", errors)
    try:
        project_ids = __salt__["openstack_flavor.resolve_projects"](projects or [], cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"{where}:projects: {exc}; nothing was changed"
        return ret
    try:
        live = __salt__["openstack_flavor.get"](name, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read flavor '{name}': {exc}"
        return ret
    item = __salt__["openstack_flavor.plan"](spec, live, project_ids=project_ids)
    action = item["action"]
    if action == "refuse":
        ret["comment"] = item["comment"]
        return ret
    if action == "none":
        ret["result"] = True
        ret["comment"] = f"Flavor '{name}' is in the desired state"
        return ret
    verb = {"create": "created", "update": "updated", "recreate": "deleted and created again"}[action]
    if __opts__["test"]:
        ret["result"] = None
        ret["changes"] = item["changes"]
        ret["comment"] = f"Flavor '{name}' would be {verb}"
        return ret
    deleted = False  # the recreate's delete went through (then the old flavor is gone)
    try:
        if action == "update":
            __salt__["openstack_flavor.update"](
                name,
                set_specs=item["set_specs"],
                unset_specs=item["unset_specs"],
                add_projects=item["add_projects"],
                remove_projects=item["remove_projects"],
                description=item["description"],
                cloud=cloud,
            )
        else:
            if action == "recreate":
                __salt__["openstack_flavor.delete"](name, cloud=cloud)
                deleted = True
            __salt__["openstack_flavor.create"](
                name,
                vcpus,
                ram,
                disk=disk,
                ephemeral=ephemeral,
                swap=swap,
                is_public=is_public,
                description=description if description is not None else (live or {}).get("description"),
                extra_specs=item["set_specs"],
                projects=item["add_projects"],
                flavor_id=flavor_id or (live or {}).get("id"),
                cloud=cloud,
            )
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Flavor '{name}' could not be {verb}: {exc}"
        if deleted:
            ret["changes"] = {"deleted": {"id": live["id"]}}
            ret["comment"] += " (the old flavor is deleted: run the state again to create it)"
        return ret
    ret["result"] = True
    ret["changes"] = item["changes"]
    ret["comment"] = f"Flavor '{name}' {verb}"
    return ret


def absent(name, cloud=None):
    """
    Ensure no flavor is named ``name`` (instances using it keep their copy of it).

    name
        The flavor name.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    try:
        live = __salt__["openstack_flavor.get"](name, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read flavor '{name}': {exc}"
        return ret
    if live is None:
        ret["result"] = True
        ret["comment"] = f"Flavor '{name}' is already absent"
        return ret
    changes = {"deleted": {"id": live["id"]}}
    delete = __salt__["openstack_flavor.delete"]
    return _util("stacksalt_openstack.carry_out")(
        ret, f"Flavor '{name}'", "deleted", changes, lambda: delete(name, cloud=cloud), __opts__["test"]
    )
