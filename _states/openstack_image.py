"""
Properties of existing Glance images (Nova ``hw_*`` hints, ``os_type``/``os_distro``, site
properties such as ``release_date`` or ``recommended``).

.. code-block:: yaml

    openstack-image-windows-server-2022-properties:
      openstack_image.properties:
        - name: windows-server-2022          # image name or id
        - properties:
            os_type: windows
            os_distro: windows
            hw_cpu_sockets: 2
            hw_qemu_guest_agent: true
            release_date: "2026-10-01"
            recommended: true

    openstack-image-windows-server-2022-properties-removed:
      openstack_image.properties_absent:
        - name: windows-server-2022
        - keys: [recommended]

Only the keys listed are compared and set; other properties are left alone. A misspelt
``hw_*`` key or a bad value fails the state before any API call. A Windows image with only one
of ``os_type``/``os_distro`` set to ``windows`` gets a warning (the state still succeeds).
``test=True`` returns exactly the changes a real run makes.
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "openstack_image"


def __virtual__():
    if "openstack_image.plan" not in __salt__:
        return (
            False,
            "openstack_image: the openstack_image execution module is not available (openstacksdk?)",
        )
    return __virtualname__


def _ret(name):
    return {"name": name, "result": False, "changes": {}, "comment": ""}


def properties(name, properties=None, cloud=None, pillar_key=None):  # noqa: A002 - the state's argument
    """
    Ensure an existing image has the given properties.

    name
        The image name or id (a name must be unique).
    properties
        The properties to set (values become strings: true -> "true").
    pillar_key
        Where the data came from (``openstack:images:<name>:properties``), for error messages.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    where = pillar_key or f"openstack_image:{name}:properties"
    errors = __salt__["openstack_image.validate"](properties, where=where)
    if errors:
        ret["comment"] = "Invalid image properties, nothing was changed:\n" + "\n".join(
            f"  - {e}" for e in errors
        )
        return ret
    try:
        live = __salt__["openstack_image.get"](name, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read image '{name}': {exc}"
        return ret
    if live is None:
        ret["comment"] = (
            f"Image '{name}' was not found in Glance: this state sets properties of existing images "
            "(import images with glance_rbd_image.present or the image service's tools)"
        )
        return ret
    item = __salt__["openstack_image.plan"](properties, live["properties"])
    after = dict(live["properties"], **item["set"])
    warnings = __salt__["openstack_image.warnings"](after)
    if warnings:
        ret["warnings"] = warnings
    if not item["set"]:
        ret["result"] = True
        ret["comment"] = f"Image '{name}' has the desired properties"
        return ret
    if __opts__["test"]:
        ret.update(result=None, changes=item["changes"], comment=f"Properties of image '{name}' would be set")
        return ret
    try:
        __salt__["openstack_image.set_properties"](live["id"], item["set"], cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Properties of image '{name}' could not be set: {exc}"
        return ret
    ret.update(result=True, changes=item["changes"], comment=f"Properties of image '{name}' set")
    return ret


def properties_absent(name, keys=None, cloud=None):
    """
    Ensure an image does not carry the given properties (a missing image has none).

    name
        The image name or id.
    keys
        The property names to remove.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        ret["comment"] = "keys: must be a list of property names"
        return ret
    try:
        live = __salt__["openstack_image.get"](name, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read image '{name}': {exc}"
        return ret
    present = sorted(k for k in keys if live and k in live["properties"])
    if not present:
        ret.update(result=True, comment=f"Image '{name}' carries none of {', '.join(keys)}")
        return ret
    changes = {"old": {k: live["properties"][k] for k in present}, "new": {}}
    if __opts__["test"]:
        ret.update(result=None, changes=changes, comment=f"Properties of image '{name}' would be removed")
        return ret
    try:
        __salt__["openstack_image.remove_properties"](live["id"], present, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Properties of image '{name}' could not be removed: {exc}"
        return ret
    ret.update(result=True, changes=changes, comment=f"Properties of image '{name}' removed")
    return ret
