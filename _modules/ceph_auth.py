"""
cephx users (`ceph auth ...`) through the ceph CLI with JSON output: read, create with caps
(optionally with a given key, so keys can live in pillar), change caps, remove.

The admin identity comes from the arguments `conf`, `user`, `keyring`, `cluster`, else from
config/pillar `ceph:admin` (same keys; on monitors: client.admin and its keyring).
"""

import importlib
import os
import tempfile

import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "ceph_auth"


def __virtual__():
    if not salt.utils.path.which("ceph"):
        return (False, "ceph_auth: the ceph CLI is missing (install the Debian package ceph-common)")
    return __virtualname__


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _u(name):
    return _util(f"stacksalt_ceph.{name}")


def _cmd(conf, user, keyring, cluster):
    return _u("admin_cli")(__salt__["config.get"], conf, user, keyring, cluster)


def _entity(name):
    if not name or "." not in name:
        raise SaltInvocationError(f"{name!r} is not a cephx entity name such as client.glance")
    return name


def _caps_args(caps):
    args = []
    for daemon, cap in sorted((caps or {}).items()):
        args += [daemon, cap]
    return args


def _listing_key(base):
    return ("ceph_auth.entities", tuple(base))


def _forget(base):
    """Drop this run's cached listing: the cluster changed under it."""
    __context__.pop(_listing_key(base), None)


def _entities(conf=None, user=None, keyring=None, cluster=None, cached=False):
    """
    Every cephx entity with its key and caps, from one `ceph auth ls`:
    {name: {"key": ..., "caps": {daemon: cap}}}. Private: it holds every key of the cluster,
    and a public function's return would carry them to the master's job cache.

    With ``cached=True`` the listing is read once per state run (``__context__``), and this
    module's own changes drop it; the ceph_auth states read it that way (through
    ``get(cached=True)``), so a highstate that checks many clients asks the cluster once.
    """
    base = _cmd(conf, user, keyring, cluster)
    # A state run gives its modules a __context__ of its own (salt.state.State): a cached
    # listing lives exactly one run.
    key = _listing_key(base)
    if cached and key in __context__:
        return __context__[key]
    out = _u("run_json")([*base, "auth", "ls"]) or {}
    listing = {
        entry["entity"]: {"key": entry.get("key", ""), "caps": dict(entry.get("caps", {}))}
        for entry in out.get("auth_dump", [])
    }
    if cached:
        __context__[key] = listing
    return listing


def get(name, conf=None, user=None, keyring=None, cluster=None, cached=False):
    """
    The entity's key and caps ({"key": ..., "caps": {daemon: cap}}), or None when absent.
    ``cached=True`` answers from the run's one listing (one `ceph auth ls` per state run).

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_auth.get client.glance
    """
    _entity(name)
    if cached:
        found = _entities(conf, user, keyring, cluster, cached=True).get(name)
        return None if found is None else {"key": found["key"], "caps": dict(found["caps"])}
    cmd = [*_cmd(conf, user, keyring, cluster), "auth", "get", name]
    try:
        out = _u("run_json")(cmd)
    except CommandExecutionError as exc:
        if getattr(exc, "kind", None) == "not-found" or "failed to find" in str(exc):
            return None
        raise
    entry = out[0] if isinstance(out, list) else out
    return {"key": entry["key"], "caps": dict(entry.get("caps", {}))}


def create(name, caps, key=None, conf=None, user=None, keyring=None, cluster=None):
    """
    Create the entity with these caps; with `key`, that key (imported), else a new one.

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_auth.create client.glance '{"mon": "profile rbd", "osd": "profile rbd pool=images"}'
    """
    base = _cmd(conf, user, keyring, cluster)
    _forget(base)
    if key is None:
        _u("run")([*base, "auth", "get-or-create", _entity(name), *_caps_args(caps)])
        return get(name, conf, user, keyring, cluster)
    lines = [f"[{_entity(name)}]", f"\tkey = {key}"]
    lines += [f'\tcaps {daemon} = "{cap}"' for daemon, cap in sorted((caps or {}).items())]
    fd, path = tempfile.mkstemp(prefix="ceph-auth-", suffix=".keyring")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        _u("run")([*base, "auth", "import", "-i", path])
    finally:
        os.unlink(path)
    return get(name, conf, user, keyring, cluster)


def set_caps(name, caps, conf=None, user=None, keyring=None, cluster=None):
    """
    Replace the entity's caps.

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_auth.set_caps client.glance '{"mon": "profile rbd", "osd": "profile rbd pool=images"}'
    """
    base = _cmd(conf, user, keyring, cluster)
    _forget(base)
    _u("run")([*base, "auth", "caps", _entity(name), *_caps_args(caps)])
    return get(name, conf, user, keyring, cluster)


def remove(name, conf=None, user=None, keyring=None, cluster=None):
    """
    Remove the entity; False when it did not exist.

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_auth.remove client.glance
    """
    if get(name, conf, user, keyring, cluster) is None:
        return False
    base = _cmd(conf, user, keyring, cluster)
    _forget(base)
    _u("run")([*base, "auth", "rm", _entity(name)])
    return True


def keyring_text(name, conf=None, user=None, keyring=None, cluster=None):
    """
    The entity's keyring file text (`[name]` + key), for distribution; None when absent.

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_auth.keyring_text client.glance
    """
    entry = get(name, conf, user, keyring, cluster)
    return None if entry is None else f"[{name}]\n\tkey = {entry['key']}\n"
