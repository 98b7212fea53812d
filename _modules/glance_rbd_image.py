"""
Glance images whose data lives in Ceph RBD, imported without sending the data through Glance:
`qemu-img convert` writes the source straight into `POOL/IMAGE_ID` (zeros skipped), a protected
snapshot `@snap` is taken, and Glance registers the location `rbd://FSID/POOL/IMAGE_ID/SNAP`
through the v2 locations API (`POST /v2/images/{id}/locations`, Glance API 2.17+; accepted only
for `queued` images and only from users with the `service` role).

The import is one transaction: a failure at any step removes what the earlier steps made (no
RBD image without its Glance image, no Glance image without its data). A `queued` Glance image
of the same name without data (an import killed half-way) is removed before importing again.

When the rollback itself fails (or the run is killed), the RBD image it leaves is recognisable:
it carries the metadata ``stacksalt.in_flight`` from its creation until the Glance image is
active. The next import of that name first reaps every such image among the ids it may use (the
given id, or the ids derived from the name) whose Glance image is not active, so no orphan stays
and no id generation is burnt on it.

Connections: `cloud` names an openstacksdk cloud, from config/pillar `openstack:clouds:<cloud>`
(the keys of a clouds.yaml entry) or else clouds.yaml; one connection per process is reused
(``_utils/stacksalt_openstack.connect``).
The cephx identity comes from `conf`, `user`, `keyring`, `cluster` or config/pillar `ceph:client`.
"""

import importlib
import logging
import os
import time

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    import openstack
    import openstack.exceptions
    from openstack.image.v2 import image as _sdk_image

    HAS_SDK = True
except ImportError:  # pragma: no cover
    HAS_SDK = False

log = logging.getLogger(__name__)

__virtualname__ = "glance_rbd_image"

DISK_FORMAT = "raw"
CONTAINER_FORMAT = "bare"
ID_GENERATIONS = 10
IN_FLIGHT_KEY = "stacksalt.in_flight"


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


#: What each public function does, in the words its errors use
#: (``stacksalt_openstack.guard_edges``, put in place by ``__init__``).
_EDGES = {
    "find": "looking up the image in Glance",
    "delete": "deleting image '{image_id}'",
    "orphans": "looking for orphaned uploads of image '{name}'",
    "import_image": "importing image '{name}'",
    "update": "updating image '{image_id}'",
}


def __virtual__():
    if not HAS_SDK:
        return (False, "glance_rbd_image: openstacksdk is not installed")
    return __virtualname__


def __init__(opts):  # noqa: ARG001 - Salt's loader passes its opts
    """Called by Salt's loader once the dunders are in place: guard the module edge."""
    _util("stacksalt_openstack.guard_edges")(globals(), _EDGES)


def _u(name):
    return _util(f"stacksalt_ceph.{name}")


def _connect(cloud=None):
    """The process-wide openstacksdk connection for ``cloud`` (``_utils/stacksalt_openstack``)."""
    return _util("stacksalt_openstack.salt_connect")(__salt__, cloud)


def _ceph(conf=None, user=None, keyring=None, cluster=None):
    return _u("conn_from")(__salt__["config.get"], conf, user, keyring, cluster)


def _raw(conn, image_id):
    """GET /v2/images/{id} as the flat JSON Glance returns, or None on 404."""
    try:
        return _util("stacksalt_openstack.request")(conn.image, "GET", f"/images/{image_id}").json()
    except Exception as exc:  # noqa: BLE001 - only a 404 means "not there"
        if _util("stacksalt_openstack.http_status")(exc) == 404:
            return None
        raise _util("stacksalt_openstack.command_error")(f"Glance GET /v2/images/{image_id}", exc) from exc


def _sdk_error(what, exc):
    text = str(exc)
    if "http store must be enabled" in text:
        return CommandExecutionError(
            f"{what}: Glance accepts rbd:// locations only from users with the `service` role; "
            "give the cloud's user that role on its project (or use the glance service user)"
        )
    return CommandExecutionError(f"{what}: {text}")


def find(name=None, image_id=None, cloud=None):
    """
    The Glance image by id, else by name (flat Glance JSON), or None. Several images with
    the same name are an error.

    CLI Example:

    .. code-block:: bash

        salt cloudadmin glance_rbd_image.find name=ubuntu-24.04
    """
    conn = _connect(cloud)
    if image_id:
        return _raw(conn, image_id)
    if not name:
        raise SaltInvocationError("name or image_id is required")
    found = [img for img in conn.image.images(name=name) if img.name == name]
    if len(found) > 1:
        raise CommandExecutionError(
            f"{len(found)} Glance images are named {name!r} ({', '.join(i.id for i in found)}): "
            "pass image_id or remove the extras"
        )
    return _raw(conn, found[0].id) if found else None


def planned_id(name, image_id=None, after=None):
    """
    The id an import of `name` uses: `image_id` when given, else derived from the name; `after`
    (an id Glance has burnt, e.g. a removed leftover) moves to the next derived id.

    CLI Example:

    .. code-block:: bash

        salt cloudadmin glance_rbd_image.planned_id ubuntu-24.04
    """
    if image_id:
        return image_id
    ids = [_u("image_id_for")(name, g) for g in range(ID_GENERATIONS)]
    if after in ids[:-1]:
        return ids[ids.index(after) + 1]
    return ids[0]


def location(image_id, pool="images", snap="snap", conf=None, user=None, keyring=None, cluster=None):
    """
    The rbd:// location Glance stores for an image imported into `pool`.

    CLI Example:

    .. code-block:: bash

        salt cloudadmin glance_rbd_image.location 6f2c3b1e-... pool=images
    """
    ceph = _ceph(conf, user, keyring, cluster)
    return _u("rbd_location")(__salt__["rbd_image.fsid"](**ceph), pool, image_id, snap)


def _fetch(source):
    if source.startswith("file://"):
        source = source[len("file://") :]
    if "://" in source:
        cached = __salt__["cp.cache_file"](source)
        if not cached:
            raise CommandExecutionError(f"could not fetch the source image {source}")
        return cached
    if not os.path.isabs(source):
        raise SaltInvocationError(f"source {source} must be an absolute path, salt:// or http(s):// URL")
    if not os.path.isfile(source):
        raise CommandExecutionError(f"source image {source} does not exist")
    return source


def _glance_attrs(name, visibility, min_disk, min_ram, properties):
    attrs = {"name": name, "disk_format": DISK_FORMAT, "container_format": CONTAINER_FORMAT}
    if visibility is not None:
        attrs["visibility"] = visibility
    if min_disk is not None:
        attrs["min_disk"] = int(min_disk)
    if min_ram is not None:
        attrs["min_ram"] = int(min_ram)
    for key, value in (properties or {}).items():
        # Glance keeps extra properties as strings.
        attrs[key] = value if isinstance(value, str) else str(value)
    return attrs


def _wait_active(conn, image_id, timeout):
    end = time.monotonic() + timeout
    delay = 0.1
    while True:
        img = _raw(conn, image_id)
        if img is None:
            raise CommandExecutionError(
                f"Glance image {image_id} disappeared while waiting for it to be active"
            )
        if img["status"] == "active":
            return img
        if img["status"] in ("killed", "deleted", "pending_delete", "deactivated"):
            raise CommandExecutionError(
                f"Glance image {image_id} went {img['status']} after adding its location"
            )
        if time.monotonic() > end:
            raise CommandExecutionError(
                f"Glance image {image_id} still {img['status']} {timeout} s after adding its location "
                "(see the location_import task in glance-api's log)"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)


def delete(image_id, pool="images", cloud=None, conf=None, user=None, keyring=None, cluster=None):
    """
    Delete the Glance image and its RBD image (with snapshots). Returns what was removed.

    CLI Example:

    .. code-block:: bash

        salt cloudadmin glance_rbd_image.delete 6f2c3b1e-... pool=images
    """
    conn = _connect(cloud)
    ceph = _ceph(conf, user, keyring, cluster)
    removed = {"glance": False, "rbd": False}
    if _raw(conn, image_id) is not None:
        try:
            conn.image.delete_image(image_id, ignore_missing=True)
        except openstack.exceptions.ConflictException:
            # Protected images refuse deletion: unprotect first (they are ours to remove).
            conn.image.update_image(image_id, is_protected=False)
            conn.image.delete_image(image_id, ignore_missing=True)
        removed["glance"] = True
    # Glance's rbd store removes the RBD image of an active image; a queued one has none
    # registered, so remove ours whatever Glance did.
    removed["rbd"] = __salt__["rbd_image.remove"](pool, image_id, **ceph)
    return removed


def _candidates(name, image_id=None):
    return [image_id] if image_id else [_u("image_id_for")(name, g) for g in range(ID_GENERATIONS)]


def _reap(conn, pool, candidates, cloud, ceph, dry=False):
    """The in-flight RBD images a failed import left behind (removed, with any queued Glance image)."""
    reaped = []
    for candidate in candidates:
        if not __salt__["rbd_image.exists"](pool, candidate, **ceph):
            continue
        if IN_FLIGHT_KEY not in __salt__["rbd_image.meta"](pool, candidate, **ceph):
            continue  # not made by an import of this module: never ours to remove
        img = _raw(conn, candidate)
        if img is not None and img["status"] == "active":
            continue  # finished, only the mark's removal failed: a live image
        if not dry:
            log.warning("glance_rbd_image: reaping %s/%s, left by a failed import", pool, candidate)
            delete(candidate, pool=pool, cloud=cloud, **ceph)
        reaped.append(candidate)
    return reaped


def orphans(name, pool="images", image_id=None, cloud=None, conf=None, user=None, keyring=None, cluster=None):
    """
    The RBD images that failed imports of ``name`` left behind (marked in flight, their Glance
    image missing or not active): what the next import reaps first. Nothing is removed.

    CLI Example:

    .. code-block:: bash

        salt cloudadmin glance_rbd_image.orphans ubuntu-24.04
    """
    ceph = _ceph(conf, user, keyring, cluster)
    return _reap(_connect(cloud), pool, _candidates(name, image_id), cloud, ceph, dry=True)


def import_image(
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
    skip_id=None,
):
    """
    Import `source` (qcow2: local path, salt:// or http(s)://) as Glance image `name` backed by
    RBD `pool/IMAGE_ID@snap`, in one transaction (rolled back on any failure). Fails when an
    image with that id already exists in Glance or in the pool. Without `image_id`, the id is
    derived from the name (the next derived id after `skip_id` when given).

    CLI Example:

    .. code-block:: bash

        salt cloudadmin glance_rbd_image.import_image ubuntu-24.04 salt://images/noble.qcow2 \\
            properties='{"os_distro": "ubuntu"}'
    """
    conn = _connect(cloud)
    ceph = _ceph(conf, user, keyring, cluster)
    # Preflight, before anything is created: source, qemu's rbd driver, pool and caps, fsid.
    local = _fetch(source)
    __salt__["rbd_image.source_info"](local, source_format)
    if not __salt__["rbd_image.qemu_rbd_support"]():
        raise CommandExecutionError("qemu-img has no rbd driver: install the Debian package qemu-block-extra")
    __salt__["rbd_image.list"](pool, **ceph)
    fsid = __salt__["rbd_image.fsid"](**ceph)
    attrs = _glance_attrs(name, visibility, min_disk, min_ram, properties)

    created = None
    steps = []
    # What an earlier failed import could not roll back goes first (see the module doc).
    reaped = _reap(conn, pool, _candidates(name, image_id), cloud, ceph)
    try:
        # 1. The queued Glance image with the id the RBD image will carry. A derived id that a
        #    deleted image burnt (Glance never reuses ids) moves to the next generation.
        generations = [image_id] if image_id else [_u("image_id_for")(name, g) for g in range(ID_GENERATIONS)]
        if skip_id in generations:
            generations = generations[generations.index(skip_id) + 1 :]
        for candidate in generations:
            if __salt__["rbd_image.exists"](pool, candidate, **ceph):
                if image_id:
                    raise CommandExecutionError(
                        f"RBD image {pool}/{candidate} already exists without a Glance image: "
                        f"inspect it, then remove it (rbd rm {pool}/{candidate}) or import under another id"
                    )
                continue
            try:
                _sdk_image.Image.new(id=candidate, **attrs).create(conn.image)
            except openstack.exceptions.ConflictException:
                if image_id:
                    raise CommandExecutionError(
                        f"Glance refuses id {candidate}: it exists or existed (ids are never reused)"
                    ) from None
                continue
            created = candidate
            break
        if not created:
            raise CommandExecutionError(f"no free image id for {name!r} after {len(generations)} tries")
        steps.append("glance-create")
        # 2. Data straight into RBD, 3. the protected snapshot clones start from.
        converted = __salt__["rbd_image.import_qcow2"](
            local,
            pool,
            created,
            source_format=source_format,
            timeout=timeout,
            in_flight=f"glance_rbd_image {created}",
            **ceph,
        )
        steps.append("rbd-import")
        __salt__["rbd_image.snap_create"](pool, created, snap, **ceph)
        steps.append("snap-create")
        __salt__["rbd_image.snap_protect"](pool, created, snap, **ceph)
        steps.append("snap-protect")
        # 4. The location (queued images only), then wait for Glance's location task.
        url = _u("rbd_location")(fsid, pool, created, snap)
        try:
            conn.image.add_image_location(created, url)
        except openstack.exceptions.SDKException as exc:
            raise _sdk_error(f"adding location {url} to Glance image {created}", exc) from exc
        steps.append("glance-location")
        img = _wait_active(conn, created, wait_timeout)
        steps.append("active")
        # Done: the image is no longer in flight (a failure here leaves a live, active image
        # with the mark, which the reaper leaves alone).
        try:
            __salt__["rbd_image.meta_remove"](pool, created, IN_FLIGHT_KEY, **ceph)
        except CommandExecutionError:
            log.warning("glance_rbd_image: %s/%s is active but keeps its in-flight mark", pool, created)
    except BaseException as exc:
        if created:
            try:
                delete(created, pool=pool, cloud=cloud, **ceph)
            except Exception as cleanup_exc:  # noqa: BLE001 - report both
                raise CommandExecutionError(
                    f"import of {name!r} failed after {steps or ['nothing']} ({exc}); "
                    f"rollback of {pool}/{created} ALSO failed: {cleanup_exc}; the next import of "
                    f"{name!r} reaps it (marked {IN_FLIGHT_KEY})"
                ) from exc
        if isinstance(exc, CommandExecutionError | SaltInvocationError):
            raise CommandExecutionError(f"import of {name!r} failed, rolled back: {exc}") from exc
        if isinstance(exc, openstack.exceptions.SDKException):
            raise _sdk_error(f"import of {name!r} failed, rolled back", exc) from exc
        raise
    return {
        "id": created,
        "name": name,
        "location": url,
        "status": img["status"],
        "size": img.get("size"),
        "seconds": converted["seconds"],
        "reaped": reaped,
    }


def update(image_id, attrs, cloud=None):
    """
    Set Glance attributes/properties on an image (a dict; strings for extra properties).

    CLI Example:

    .. code-block:: bash

        salt cloudadmin glance_rbd_image.update 6f2c3b1e-... '{"os_distro": "ubuntu"}'
    """
    conn = _connect(cloud)
    try:
        conn.image.update_image(image_id, **attrs)
    except openstack.exceptions.SDKException as exc:
        raise _sdk_error(f"updating Glance image {image_id}", exc) from exc
    return _raw(conn, image_id)


def wanted_attrs(name, visibility="private", min_disk=None, min_ram=None, properties=None):
    """
    The Glance attributes the import sets (and `present` compares) for these arguments.

    CLI Example:

    .. code-block:: bash

        salt cloudadmin glance_rbd_image.wanted_attrs ubuntu properties='{"os_distro": "ubuntu"}'
    """
    return _glance_attrs(name, visibility, min_disk, min_ram, properties)
