"""
RBD images: inspect, import from qcow2 (qemu-img straight into RBD), snapshot, protect, remove.

Drives the `rbd` and `qemu-img` CLIs with argument lists (Debian's python3-rbd imports only from
/usr/bin/python3). The cephx identity comes from the arguments `conf`, `user`, `keyring`,
`cluster`, else from config/pillar `ceph:client` (same keys).

Progress of long imports goes on the event bus as `salt/stacksalt/rbd_image/progress`.
"""

import hashlib
import importlib
import json
import logging
import os
import queue
import re
import subprocess
import threading
import time

import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "rbd_image"

PROGRESS_TAG = "salt/stacksalt/rbd_image/progress"
#: Image metadata key an import sets from the image's first moment (``import_qcow2(in_flight=)``)
#: until the caller's whole transaction succeeded: an image still carrying it is debris.
IN_FLIGHT_KEY = "stacksalt.in_flight"
_FSIDS = {}


def __virtual__():
    if not salt.utils.path.which("rbd"):
        return (False, "rbd_image: the rbd CLI is missing (install the Debian package ceph-common)")
    return __virtualname__


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


class _Utils:
    """`sc.fn(...)` calls `_utils/stacksalt_ceph.py` through the loader (synced as utils)."""

    def __getattr__(self, name):
        return _util(f"stacksalt_ceph.{name}")


sc = _Utils()
TIMEOUT = 120


def _conn(conf=None, user=None, keyring=None, cluster=None):
    return sc.conn_from(__salt__["config.get"], conf, user, keyring, cluster)


def _rbd(*args, conn, timeout=TIMEOUT, json_out=False):
    cmd = [sc.which("rbd", "ceph-common"), *sc.conn_args(**conn), *args]
    if json_out:
        return sc.run_json(cmd, timeout=timeout)
    return sc.run(cmd, timeout=timeout)[1]


def _spec(pool, name, snap=None):
    if not pool or not name:
        raise SaltInvocationError("pool and name are required")
    return f"{pool}/{name}@{snap}" if snap else f"{pool}/{name}"


def info(pool, name, conf=None, user=None, keyring=None, cluster=None):
    """
    Return the image's `rbd info` as a dict, or None when the image does not exist.

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.info images 6f2c3b1e-...
    """
    conn = _conn(conf, user, keyring, cluster)
    try:
        return _rbd("info", _spec(pool, name), conn=conn, json_out=True)
    except CommandExecutionError as exc:
        if getattr(exc, "kind", None) == "not-found":
            return None
        raise


def exists(pool, name, conf=None, user=None, keyring=None, cluster=None):
    """
    True when the RBD image exists.

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.exists images 6f2c3b1e-...
    """
    return info(pool, name, conf, user, keyring, cluster) is not None


def list_(pool, conf=None, user=None, keyring=None, cluster=None):
    """
    Names of the images in a pool.

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.list images
    """
    conn = _conn(conf, user, keyring, cluster)
    if not pool:
        raise SaltInvocationError("pool is required")
    return _rbd("ls", pool, conn=conn, json_out=True) or []


__func_alias__ = {"list_": "list"}


def snaps(pool, name, conf=None, user=None, keyring=None, cluster=None):
    """
    The image's snapshots: {snap name: {"size": bytes, "protected": bool}}.

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.snaps images 6f2c3b1e-...
    """
    conn = _conn(conf, user, keyring, cluster)
    out = _rbd("snap", "ls", _spec(pool, name), conn=conn, json_out=True) or []
    return {
        s["name"]: {"size": s["size"], "protected": str(s.get("protected", "false")).lower() == "true"}
        for s in out
    }


def meta(pool, name, conf=None, user=None, keyring=None, cluster=None):
    """
    The image's metadata (``rbd image-meta list``) as a dict.

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.meta images 6f2c3b1e-...
    """
    conn = _conn(conf, user, keyring, cluster)
    return _rbd("image-meta", "list", _spec(pool, name), conn=conn, json_out=True) or {}


def meta_remove(pool, name, key, conf=None, user=None, keyring=None, cluster=None):
    """
    Remove one metadata key of the image (nothing when it is not set).

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.meta_remove images 6f2c3b1e-... stacksalt.in_flight
    """
    conn = _conn(conf, user, keyring, cluster)
    if key in meta(pool, name, **conn):
        _rbd("image-meta", "remove", _spec(pool, name), key, conn=conn)
        return True
    return False


def snap_create(pool, name, snap="snap", conf=None, user=None, keyring=None, cluster=None):
    """
    Create snapshot `pool/name@snap`.

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.snap_create images 6f2c3b1e-... snap
    """
    _rbd("snap", "create", "--no-progress", _spec(pool, name, snap), conn=_conn(conf, user, keyring, cluster))
    return True


def snap_protect(pool, name, snap="snap", conf=None, user=None, keyring=None, cluster=None):
    """
    Protect snapshot `pool/name@snap` (clones need it).

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.snap_protect images 6f2c3b1e-... snap
    """
    _rbd("snap", "protect", _spec(pool, name, snap), conn=_conn(conf, user, keyring, cluster))
    return True


def remove(pool, name, conf=None, user=None, keyring=None, cluster=None):
    """
    Remove an image with its snapshots (unprotecting them). Returns False when there was
    nothing to remove. Fails when a protected snapshot has clones.

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.remove images 6f2c3b1e-...
    """
    conn = _conn(conf, user, keyring, cluster)
    if info(pool, name, **conn) is None:
        return False
    for snap, meta in snaps(pool, name, **conn).items():
        if meta["protected"]:
            _rbd("snap", "unprotect", _spec(pool, name, snap), conn=conn)
    _rbd("snap", "purge", "--no-progress", _spec(pool, name), conn=conn)
    _rbd("rm", "--no-progress", _spec(pool, name), conn=conn)
    return True


def qemu_rbd_support():
    """
    True when qemu-img can write `rbd:` targets (Debian: qemu-block-extra).

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.qemu_rbd_support
    """
    qemu_img = sc.which("qemu-img", "qemu-utils")
    _, out, _ = sc.run([qemu_img, "--help"], timeout=30)
    match = re.search(r"Supported formats:(.*)", out)
    return bool(match and "rbd" in match.group(1).split())


def source_info(path, source_format=None):
    """
    `qemu-img info` of a local file: format, virtual size, allocated bytes.

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.source_info /srv/images/jammy.qcow2
    """
    qemu_img = sc.which("qemu-img", "qemu-utils")
    if not os.path.isfile(path):
        raise CommandExecutionError(f"source image {path} does not exist")
    cmd = [qemu_img, "info", "--output", "json"]
    if source_format:
        cmd += ["-f", source_format]
    _, out, _ = sc.run([*cmd, path], timeout=60)
    data = json.loads(out)
    return {
        "format": data.get("format"),
        "virtual_size": data.get("virtual-size"),
        "actual_size": data.get("actual-size"),
        "backing_file": data.get("backing-filename"),
    }


def _progress_sender():
    """
    Send progress events on the minion's bus from a background thread, so the import never
    waits for the bus; after a failed send (no minion bus, e.g. under salt-call --local, where
    each send waits about a second for a socket that is not there) the rest are dropped.
    Returns (send, close).
    """
    pending = queue.Queue()
    # Resolved here: the loader's dunders do not resolve from another thread.
    try:
        event_fire = __salt__["event.fire"]
    except Exception:  # noqa: BLE001 - no event module: no progress
        event_fire = None

    def worker():
        while True:
            data = pending.get()
            if data is None:
                return
            try:
                sent = event_fire(data, PROGRESS_TAG) if event_fire else False
            except Exception:  # noqa: BLE001 - progress is best effort
                sent = False
            if not sent:
                log.debug("rbd_image: no event bus for progress events, dropping the rest")
                return

    thread = threading.Thread(target=worker, name="rbd-image-progress", daemon=True)
    thread.start()

    def close(wait=0.5):
        pending.put(None)
        thread.join(wait)

    return pending.put, close


def import_qcow2(
    source,
    pool,
    name,
    source_format="qcow2",
    conf=None,
    user=None,
    keyring=None,
    cluster=None,
    timeout=3600,
    progress_step=10,
    in_flight=None,
):
    """
    Convert a local image file straight into a new RBD image `pool/name` with
    `qemu-img convert -O raw` (zeros are not written). Fails when the image exists. On failure
    the partly written RBD image is removed. Sends progress events every `progress_step` %.

    in_flight
        A label (e.g. who imports it): the RBD image is then created first, carrying the
        metadata ``stacksalt.in_flight=<label>`` before any data is written, so an image that a
        failed rollback or a killed run left behind is recognisable; the caller removes the
        key (``meta_remove``) once its transaction succeeded.

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.import_qcow2 /srv/images/jammy.qcow2 images 6f2c3b1e-...
    """
    conn = _conn(conf, user, keyring, cluster)
    qemu_img = sc.which("qemu-img", "qemu-utils")
    if not qemu_rbd_support():
        raise CommandExecutionError("qemu-img has no rbd driver: install the Debian package qemu-block-extra")
    src = source_info(source, source_format)
    if source_format and src["format"] != source_format:
        raise CommandExecutionError(f"{source} is {src['format']}, not {source_format}")
    if info(pool, name, **conn) is not None:
        raise CommandExecutionError(f"RBD image {pool}/{name} already exists")
    target = sc.qemu_rbd_target(pool, name, **conn)
    # -W: out-of-order writes (the target is new and raw), several coroutines in flight.
    cmd = [qemu_img, "convert", "-p", "-W", "-m", "16", "-f", src["format"], "-O", "raw"]
    if in_flight:
        # Marked before its first byte: the image is never there without the mark. A new RBD
        # image reads as zeros, so qemu-img still skips them (--target-is-zero).
        _rbd("create", "--size", f"{src['virtual_size']}B", _spec(pool, name), conn=conn)
        try:
            _rbd("image-meta", "set", _spec(pool, name), IN_FLIGHT_KEY, str(in_flight), conn=conn)
        except BaseException:
            _cleanup_partial(pool, name, conn)
            raise
        cmd += ["-n", "--target-is-zero"]
    cmd += [source, target]
    fire, close_progress = _progress_sender()
    started = time.monotonic()
    last = -progress_step
    tail = []
    proc = subprocess.Popen(  # noqa: S603 - argument list, no shell
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        buf = ""
        while True:
            chunk = proc.stdout.read(64)
            if not chunk:
                break
            buf += chunk
            for match in re.finditer(r"\((\d+(?:\.\d+)?)/100%\)", buf):
                pct = float(match.group(1))
                if pct - last >= progress_step:
                    last = pct
                    fire({"pool": pool, "image": name, "percent": pct})
            buf = buf[-32:]
        try:
            proc.wait(timeout=max(1, timeout - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise CommandExecutionError(f"qemu-img convert timed out after {timeout} s") from None
        tail = proc.stderr.read()
    except BaseException:
        close_progress(0)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _cleanup_partial(pool, name, conn)
        raise
    if proc.returncode != 0:
        close_progress(0)
        _cleanup_partial(pool, name, conn)
        raise sc.error_for(cmd[:2] + [source, target], proc.returncode, tail)
    seconds = round(time.monotonic() - started, 3)
    fire({"pool": pool, "image": name, "percent": 100.0, "seconds": seconds, "done": True})
    close_progress()
    return {
        "pool": pool,
        "image": name,
        "size": src["virtual_size"],
        "source_allocated": src["actual_size"],
        "seconds": seconds,
    }


def _cleanup_partial(pool, name, conn):
    try:
        remove(pool, name, **conn)
    except CommandExecutionError:
        log.exception("rbd_image: could not remove the partial image %s/%s", pool, name)


def export_sha256(pool, name, snap=None, conf=None, user=None, keyring=None, cluster=None, timeout=3600):
    """
    sha256 of the image's (or snapshot's) whole content through `rbd export` (for checks).

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.export_sha256 images 6f2c3b1e-... snap=snap
    """
    conn = _conn(conf, user, keyring, cluster)
    cmd = [sc.which("rbd", "ceph-common"), *sc.conn_args(**conn), "export", "--no-progress"]
    cmd += [_spec(pool, name, snap), "-"]
    digest = hashlib.sha256()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    try:
        for block in iter(lambda: proc.stdout.read(1 << 20), b""):
            digest.update(block)
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise sc.error_for(cmd, proc.returncode, proc.stderr.read().decode(errors="replace"))
    return digest.hexdigest()


def fsid(conf=None, user=None, keyring=None, cluster=None):
    """
    The cluster's fsid (`ceph fsid`).

    CLI Example:

    .. code-block:: bash

        salt ceph1 rbd_image.fsid
    """
    conn = _conn(conf, user, keyring, cluster)
    key = tuple(sorted(conn.items()))
    if key not in _FSIDS:  # a cluster's fsid never changes: ask once per process
        cmd = [sc.which("ceph", "ceph-common"), *sc.conn_args(**conn), "--connect-timeout", "30", "fsid"]
        _FSIDS[key] = sc.run_json(cmd, timeout=60)["fsid"]
    return _FSIDS[key]
