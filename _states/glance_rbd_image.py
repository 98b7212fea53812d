"""
Glance images backed by Ceph RBD, imported straight into RBD (see the glance_rbd_image
execution module for the transaction and its rollback).

.. code-block:: yaml

    openstack-image-ubuntu-noble-present:
      glance_rbd_image.present:
        - name: ubuntu-24.04
        - source: salt://images/noble-server-cloudimg-amd64.img
        - pool: images
        - properties:
            os_distro: ubuntu
            hw_disk_bus: scsi
        - cloud: demo
        - user: glance
        - keyring: /etc/ceph/ceph.client.glance.keyring

An image is identified by its name (or `image_id`). When it exists, `present` compares only
what the arguments set (visibility, min_disk, min_ram, the given properties) and checks the
RBD side (location in the wanted pool, snapshot present and protected); the source's content
is not compared: a new image content is a new image name.
"""

import importlib

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "glance_rbd_image"


def __virtual__():
    if "glance_rbd_image.import_image" not in __salt__:
        return (False, "glance_rbd_image: the glance_rbd_image execution module is not available")
    return __virtualname__


def _ret(name):
    return {"name": name, "result": True, "changes": {}, "comment": ""}


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def present(
    name,
    source,
    pool="images",
    snap="snap",
    image_id=None,
    visibility="private",
    min_disk=None,
    min_ram=None,
    properties=None,
    source_format="qcow2",
    cloud=None,
    conf=None,
    user=None,
    keyring=None,
    cluster=None,
    timeout=3600,
    wait_timeout=300,
    pillar_key=None,
):
    """
    Ensure Glance image `name` exists, active, backed by RBD `pool/ID@snap` (protected), with
    the given attributes.

    name
        Glance image name.
    source
        qcow2 source: absolute path, salt:// or http(s):// URL (read only when importing).
    pool, snap
        RBD pool (Glance's rbd store pool, default images) and the snapshot name Glance's
        location points at (default snap).
    image_id
        The Glance/RBD image id; default: derived from the name (uuid5), so test=True names it.
    visibility, min_disk, min_ram, properties
        Glance attributes; `properties` values are stored as strings. A property
        `{image: NAME}` is the id of the image `NAME`, looked up when the state runs
        (`kernel_id: {image: deploy-kernel}`); in test mode, an image an earlier
        `openstack_image.present` of the run would create is named instead.
    source_format
        Format of the source (default qcow2).
    cloud
        openstacksdk cloud (config/pillar `openstack:clouds:<cloud>` or clouds.yaml); its user
        needs the `service` role (Glance's locations API).
    conf, user, keyring, cluster
        cephx identity for rbd/qemu-img (default: config/pillar `ceph:client`).
    timeout, wait_timeout
        Bounds in seconds for the conversion and for Glance to turn the image active.
    pillar_key
        Where the data came from (`openstack:images:<name>`), the prefix of errors about it.
    """
    args = dict(locals())
    where = args.pop("pillar_key") or f"glance_rbd_image:{name}"
    # the attributes and properties by openstack_image's rules (Glance and Nova read them alike)
    spec = {k: args[k] for k in ("name", "source", "visibility", "min_disk", "min_ram", "properties")}
    spec.update(disk_format=source_format, container_format="bare")
    errors = __salt__["openstack_image.validate_present"](spec, where=where)
    if source_format not in ("qcow2", "raw"):
        errors.append(
            f"{where}:disk_format: the source of an RBD import is qcow2 or raw, got {source_format!r}"
        )
    if errors:
        ret = _ret(name)
        ret["result"] = False
        return _util("stacksalt_openstack.invalid")(ret, "image arguments", errors)
    try:
        if "rbd_image.exists" not in __salt__:
            raise _util("stacksalt_ceph.missing_tool_error")(
                "the rbd CLI (the rbd_image execution module needs it)"
            )
        notes = _resolve_references(args, where)
        ret = _present(args)
        if notes:
            ret["comment"] += " (" + "; ".join(notes) + ")"
        return ret
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret = _ret(name)
        ret["result"] = False
        # test=True on a fresh host: the rbd CLI, the keyring or the cloud user may come from an
        # earlier change of this run; the plan then says it cannot know, the error included
        pending = _util("stacksalt_ceph.pending_cause")(exc) or _util("stacksalt_openstack.pending_cause")(
            exc
        )
        return _util("stacksalt_openstack.could_not_read")(
            ret, f"image {name} in Glance and RBD", exc, __opts__["test"], pending=pending
        )


def _resolve_references(args, where):
    """Replace the `{image: NAME}` properties of `args` by the ids they stand for; the notes
    say which ids a test run cannot know yet."""
    refs = __salt__["openstack_image.references"](args["properties"])
    if not refs:
        return []
    resolved, notes = _util("stacksalt_openstack.resolve_image_references")(
        refs,
        lambda ref: __salt__["openstack_image.find"](ref, cloud=args["cloud"]),
        where,
        test=__opts__["test"],
        running=globals().get("__running__"),
    )
    args["properties"] = {**args["properties"], **resolved}
    return notes


def _present(args):
    """`present` with its arguments as one dict (they go on to import_image unchanged)."""
    name, pool, snap, cloud, image_id = (args[k] for k in ("name", "pool", "snap", "cloud", "image_id"))
    ret = _ret(name)
    ceph = {k: args[k] for k in ("conf", "user", "keyring", "cluster")}
    mod = "glance_rbd_image."
    wanted = __salt__[mod + "wanted_attrs"](
        name, args["visibility"], args["min_disk"], args["min_ram"], args["properties"]
    )
    current = __salt__[mod + "find"](name=name, image_id=image_id, cloud=cloud)

    leftover = None
    if current is not None and current["status"] == "queued" and not current.get("direct_url"):
        # An import killed half-way (the transaction could not roll back): start over.
        leftover = current["id"]
        current = None
    if current is None:
        # RBD images that failed imports could not roll back: the import reaps them first. Their
        # Glance image existed (it is made first), so their ids are burnt: the next one is used.
        reaped = __salt__[mod + "orphans"](name, pool=pool, image_id=image_id, cloud=cloud, **ceph)
        after = leftover or (reaped[-1] if reaped else None)
        planned = __salt__[mod + "planned_id"](name, image_id=image_id, after=after)
        new = dict(wanted)
        new.update(
            {
                "id": planned,
                "status": "active",
                "location": __salt__[mod + "location"](planned, pool=pool, snap=snap, **ceph),
                "snapshot": {"name": snap, "protected": True},
            }
        )
        changes = {"old": None, "new": new}
        if leftover:
            changes["removed_leftover"] = leftover
        if reaped:
            changes["reaped"] = reaped
        if __opts__["test"]:
            ret.update(result=None, changes=changes, comment=f"Image {name} would be imported into {pool}")
            return ret
        if leftover:
            __salt__[mod + "delete"](leftover, pool=pool, cloud=cloud, **ceph)
        result = __salt__[mod + "import_image"](skip_id=leftover, **args)
        new["id"], new["location"] = result["id"], result["location"]
        if result.get("reaped"):
            changes["reaped"] = result["reaped"]
        ret["changes"] = changes
        ret["comment"] = f"Image {name} imported into {pool} as {result['id']} in {result['seconds']} s"
        return ret

    # The image exists: check its RBD side, then compare the attributes the arguments set.
    image = current["id"]
    want_location = __salt__[mod + "location"](image, pool=pool, snap=snap, **ceph)
    problems = []
    if current["status"] != "active":
        problems.append(f"status is {current['status']}, not active")
    if current.get("disk_format") != "raw":
        problems.append(f"disk_format is {current.get('disk_format')}, not raw (RBD clones need raw)")
    if current.get("direct_url") != want_location:
        problems.append(f"location is {current.get('direct_url')}, not {want_location}")
    if problems:
        ret.update(
            result=False,
            comment=f"Image {name} ({image}) exists but {'; '.join(problems)}: "
            "fix or delete it (this state does not replace images)",
        )
        return ret
    snaps = __salt__["rbd_image.snaps"](pool, image, **ceph)
    if snap not in snaps:
        ret.update(
            result=False, comment=f"Image {name} ({image}): RBD snapshot {pool}/{image}@{snap} is missing"
        )
        return ret
    diff_old, diff_new = {}, {}
    for key, value in wanted.items():
        if key in ("disk_format", "container_format"):
            continue
        if current.get(key) != value:
            diff_old[key], diff_new[key] = current.get(key), value
    protect = not snaps[snap]["protected"]
    if protect:
        diff_old["snapshot"] = {"name": snap, "protected": False}
        diff_new["snapshot"] = {"name": snap, "protected": True}
    if not diff_new:
        ret["comment"] = f"Image {name} ({image}) is present and up to date"
        return ret
    ret["changes"] = {"old": diff_old, "new": diff_new}
    if __opts__["test"]:
        ret.update(result=None, comment=f"Image {name} ({image}) would be updated")
        return ret
    attrs = {k: v for k, v in diff_new.items() if k != "snapshot"}
    if attrs:
        __salt__[mod + "update"](image, attrs, cloud=cloud)
    if protect:
        __salt__["rbd_image.snap_protect"](pool, image, snap, **ceph)
    ret["comment"] = f"Image {name} ({image}) updated"
    return ret
