"""
Glance images uploaded through Glance's API (``present``/``absent``), and the properties of
existing images (Nova ``hw_*`` hints, ``os_type``/``os_distro``, site properties such as
``release_date`` or ``recommended``).

.. code-block:: yaml

    openstack-image-deploy-kernel:
      openstack_image.present:
        - name: deploy-kernel
        - source: salt://ironic/files/ipa.kernel   # or /srv/ipa.kernel, or an http(s) URL
        - disk_format: aki
        - container_format: aki
        - visibility: public

    openstack-image-deploy-ramdisk:
      openstack_image.present:
        - name: deploy-ramdisk
        - source: salt://ironic/files/ipa.initramfs
        - disk_format: ari
        - container_format: ari
        - visibility: public

    openstack-image-ironic-image:
      openstack_image.present:
        - name: ironic-image
        - source: https://images.example.org/ironic-image.qcow2
        - disk_format: qcow2
        - min_disk: 10
        - properties:
            kernel_id: {image: deploy-kernel}    # that image's id, looked up at run time
            ramdisk_id: {image: deploy-ramdisk}
            os_distro: ubuntu
        - require:
          - openstack_image: openstack-image-deploy-kernel
          - openstack_image: openstack-image-deploy-ramdisk

    openstack-image-old-absent:
      openstack_image.absent:
        - name: old-deploy-kernel

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

``present`` uploads an image that is missing (its source is read only then) and never
uploads an image that exists: the content is not compared (a new content is a new name; the
comment shows the image's size and hash). On an existing image it changes ``visibility``,
``min_disk``, ``min_ram`` (unset: left) and the given properties in place; another
``disk_format``/``container_format`` is refused, nothing changed (Glance cannot change them
once the data is there). An upload that fails deletes its half-made image; an image without
data left by a killed upload (``queued``/``killed``) is deleted and uploaded again.

Only the keys listed are compared and set; other properties are left alone. A misspelt
``hw_*`` key or a bad value fails the state before any API call. A Windows image with only one
of ``os_type``/``os_distro`` set to ``windows`` gets a warning (the state still succeeds).
``test=True`` returns exactly the changes a real run makes (an uploaded image's ``id`` and
``size`` are known only after the upload); an image that a property refers to and that an
earlier state of the same test run would create is reported as such.
"""

import importlib

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


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _invalid(ret, errors, what="image arguments"):
    return _util("stacksalt_openstack.invalid")(ret, what, errors)


def _resolve(spec, where, cloud):
    """
    The ids the image references of ``spec``'s properties stand for, and notes for the comment
    (``stacksalt_openstack.resolve_image_references``: an image an earlier state of this test run
    would create is named, not looked up).
    """
    return _util("stacksalt_openstack.resolve_image_references")(
        __salt__["openstack_image.references"](spec.get("properties")),
        lambda ref: __salt__["openstack_image.find"](ref, cloud=cloud),
        where,
        test=__opts__["test"],
        running=globals().get("__running__"),
    )


def _saltenv():
    """The fileserver environment of the state run (``__env__``), None outside one."""
    return globals().get("__env__") or None


def _facts(live):
    """What the comment says of an image that exists: its size and hash (the content is never
    compared with the source)."""
    algo, value = live.get("os_hash_algo"), live.get("os_hash_value")
    digest = f", {algo} {value[:16]}..." if algo and value else ""
    return f"{live.get('size')} bytes{digest}; its content is not compared with the source"


def present(
    name,
    source=None,
    disk_format="qcow2",
    container_format="bare",
    visibility="private",
    min_disk=None,
    min_ram=None,
    properties=None,  # noqa: A002 - the state's argument
    cloud=None,
    pillar_key=None,
):
    """
    Ensure a Glance image exists: uploaded from ``source`` when missing, its attributes and the
    given properties changed in place when present.

    name
        The image name (unique in the cloud as the caller sees it).
    source
        Read only when the image is uploaded: an absolute path on the minion, a ``salt://``
        URL or an http(s) URL (both fetched with ``cp.cache_file``; the copy stays in the
        minion's cache). An existing image is never uploaded again, whatever the source holds.
    disk_format, container_format
        Glance's formats (``qcow2``/``bare``; ``aki``/``aki`` and ``ari``/``ari`` for a deploy
        kernel and ramdisk). Fixed once uploaded: a difference is refused.
    visibility
        ``private``, ``public``, ``shared`` or ``community``; changed in place.
    min_disk, min_ram
        GB and MB; unset: Glance's 0 for a new image, left as they are on an existing one.
    properties
        Properties to set (only these keys are compared). ``{image: NAME}`` stands for the id of
        the image ``NAME``: ``kernel_id: {image: deploy-kernel}``.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    pillar_key
        Where the data came from (``openstack:images:<name>``), the prefix of error messages.
    """
    ret = _ret(name)
    where = pillar_key or f"openstack_image:{name}"
    spec = {"name": name, "source": source, "disk_format": disk_format, "container_format": container_format}
    spec.update(visibility=visibility, min_disk=min_disk, min_ram=min_ram, properties=properties)
    errors = __salt__["openstack_image.validate_present"](spec, where=where)
    if errors:
        return _invalid(ret, errors)
    label = f"Image '{name}'"
    try:
        live = __salt__["openstack_image.find"](name, cloud=cloud)
        resolved, notes = _resolve(spec, where, cloud)
    except SaltInvocationError as exc:
        ret["comment"] = f"{exc}; nothing was changed"
        return ret
    except CommandExecutionError as exc:
        ret["comment"] = f"Could not read {label}: {exc}; nothing was changed"
        return ret
    item = __salt__["openstack_image.plan_present"](spec, live, resolved)
    if item["action"] == "refuse":
        ret["comment"] = item["comment"]
        return ret
    if item["action"] in ("create", "replace"):
        problem = __salt__["openstack_image.check_source"](source, saltenv=_saltenv())
        if problem:
            ret["comment"] = f"{where}:source: {problem}; nothing was changed"
            return ret
        if __opts__["test"] and source.startswith(("http://", "https://")):
            notes.append("an http(s) source is fetched by a real run only")
        after = item["create"]["properties"] or {}
    else:
        notes.insert(0, _facts(live))
        after = dict(live["properties"], **(item["update"] or {}).get("properties", {}))
    warnings = __salt__["openstack_image.warnings"](after)
    if warnings:
        ret["warnings"] = warnings
    suffix = f" ({'; '.join(notes)})" if notes else ""
    if item["action"] == "none":
        ret.update(result=True, comment=f"{label} is in the desired state{suffix}")
        return ret
    verb = {"create": "uploaded", "replace": "deleted (no data) and uploaded again", "update": "updated"}
    verb = verb[item["action"]]
    if __opts__["test"]:
        ret.update(result=None, changes=item["changes"], comment=f"{label} would be {verb}{suffix}")
        return ret
    return _apply(ret, label, verb, suffix, item, live, source, cloud)


def _apply(ret, label, verb, suffix, item, live, source, cloud):
    """The real run of a ``present`` plan: update, upload, or delete the empty image and upload."""
    name, deleted = ret["name"], False
    try:
        if item["action"] == "update":
            __salt__["openstack_image.update"](live["id"], cloud=cloud, **item["update"])
            ret.update(result=True, changes=item["changes"], comment=f"{label} {verb}{suffix}")
            return ret
        if item["action"] == "replace":
            __salt__["openstack_image.delete"](live["id"], cloud=cloud)
            deleted = True
        made = __salt__["openstack_image.upload"](
            name, source, cloud=cloud, saltenv=_saltenv(), **item["create"]
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"{label} could not be {verb}: {exc}"
        if deleted:
            ret["changes"] = {"replaced": item["changes"]["replaced"]}
            ret["comment"] += f" (the image {live['id']} without data is deleted: run the state again)"
        return ret
    changes = dict(item["changes"])
    changes["created"] = dict(changes["created"], id=made["id"], size=made["size"])
    ret.update(result=True, changes=changes, comment=f"{label} {verb} (id {made['id']}){suffix}")
    return ret


def absent(name, cloud=None):
    """
    Ensure no image has the id or name ``name``. A protected image is refused, nothing deleted.

    name
        The image name (several of that name are an error listing their ids) or id.
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    """
    ret = _ret(name)
    label = f"Image '{name}'"
    try:
        live = __salt__["openstack_image.find"](name, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read {label}: {exc}; nothing was changed"
        return ret
    if live is None:
        ret.update(result=True, comment=f"{label} is already absent")
        return ret
    if live.get("protected"):
        ret["comment"] = (
            f"{label} ({live['id']}) is protected: Glance refuses to delete it (set protected: false "
            "first); nothing was changed"
        )
        return ret
    changes = {"deleted": {k: live.get(k) for k in ("id", "status", "disk_format", "size")}}
    delete = __salt__["openstack_image.delete"]
    return _util("stacksalt_openstack.carry_out")(
        ret, label, "deleted", changes, lambda: delete(live["id"], cloud=cloud), __opts__["test"]
    )


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
        return _invalid(ret, errors, "image properties")
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

    def apply():
        __salt__["openstack_image.set_properties"](live["id"], item["set"], cloud=cloud)

    return _util("stacksalt_openstack.carry_out")(
        ret, f"Properties of image '{name}'", "set", item["changes"], apply, __opts__["test"]
    )


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
    label, remove = f"Properties of image '{name}'", __salt__["openstack_image.remove_properties"]
    return _util("stacksalt_openstack.carry_out")(
        ret, label, "removed", changes, lambda: remove(live["id"], present, cloud=cloud), __opts__["test"]
    )
