"""
Ceph pools through the ceph, rados and rbd CLIs (argument lists, JSON output): read every
pool at once, create, set an option, enable an application, `rbd pool init`, remove.

The admin identity comes from the arguments `conf`, `user`, `keyring`, `cluster`, else from
config/pillar `ceph:admin` (same keys; on monitors: client.admin and its keyring).

One `ceph osd pool ls detail` answers for every pool: the ceph_pool states read it once per
state run (``cached=True``), where one CLI call per pool and option cost about 0.3 s each.
"""

import importlib

import salt.utils.path
from salt.exceptions import SaltInvocationError

__virtualname__ = "ceph_pool"


def __virtual__():
    if not salt.utils.path.which("ceph"):
        return (False, "ceph_pool: the ceph CLI is missing (install the Debian package ceph-common)")
    return __virtualname__


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _u(name):
    return _util(f"stacksalt_ceph.{name}")


def _cli(conn, tool="ceph"):
    return _u("admin_cli")(__salt__["config.get"], tool=tool, **conn)


def _conn(conf, user, keyring, cluster):
    return {"conf": conf, "user": user, "keyring": keyring, "cluster": cluster}


def _name(name):
    if not isinstance(name, str) or not name or name.startswith("-"):
        raise SaltInvocationError(f"{name!r} is not a pool name")
    return name


def _listing_key(conn):
    return ("ceph_pool.pools", tuple(_cli(conn)))


def _forget(conn):
    """Drop this run's cached listing: the cluster changed under it."""
    __context__.pop(_listing_key(conn), None)


def _summary(entry):
    """The part of one `osd pool ls detail` entry that the states keep."""
    return {
        "size": entry.get("size"),
        "min_size": entry.get("min_size"),
        "pg_autoscale_mode": entry.get("pg_autoscale_mode"),
        # pg_num moves towards its target step by step: the target is what was asked for.
        "pg_num": entry.get("pg_num_target", entry.get("pg_num")),
        "applications": sorted(entry.get("application_metadata") or {}),
    }


def pools(conf=None, user=None, keyring=None, cluster=None, cached=False):
    """
    Every pool with the settings the states keep, from one `ceph osd pool ls detail`:
    {name: {size, min_size, pg_autoscale_mode, pg_num, applications}}. pg_num is the pool's
    target (what was last asked for; the placement groups follow it step by step).

    ``cached=True`` reads the cluster once per state run; this module's changes drop it.

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_pool.pools
    """
    conn = _conn(conf, user, keyring, cluster)
    # A state run gives its modules a __context__ of its own (salt.state.State): a cached
    # listing lives exactly one run. A command-line call (cached=False) reads the cluster.
    key = _listing_key(conn)
    if cached and key in __context__:
        return __context__[key]
    out = _u("run_json")([*_cli(conn), "osd", "pool", "ls", "detail"]) or []
    listing = {entry["pool_name"]: _summary(entry) for entry in out}
    if cached:
        __context__[key] = listing
    return listing


def get(name, conf=None, user=None, keyring=None, cluster=None, cached=False):
    """
    One pool's settings (as in :func:`pools`), or None when there is no such pool.

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_pool.get images
    """
    found = pools(conf, user, keyring, cluster, cached=cached).get(_name(name))
    return None if found is None else dict(found)


def create(name, pg_num=32, conf=None, user=None, keyring=None, cluster=None):
    """
    Create a replicated pool with ``pg_num`` placement groups.

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_pool.create images pg_num=32
    """
    conn = _conn(conf, user, keyring, cluster)
    pg = str(int(pg_num))
    _forget(conn)
    _u("run")([*_cli(conn), "osd", "pool", "create", _name(name), pg, pg, "replicated"])
    return True


def set_option(name, option, value, conf=None, user=None, keyring=None, cluster=None):
    """
    Set one pool option (`ceph osd pool set`). A size of 1 is confirmed for the cluster
    (Ceph refuses it without `--yes-i-really-mean-it`).

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_pool.set_option images size 3
    """
    conn = _conn(conf, user, keyring, cluster)
    value = str(value)
    confirm = ["--yes-i-really-mean-it"] if option == "size" and value == "1" else []
    _forget(conn)
    _u("run")([*_cli(conn), "osd", "pool", "set", _name(name), str(option), value, *confirm])
    return True


def enable_application(name, application, conf=None, user=None, keyring=None, cluster=None):
    """
    Enable an application (rbd, rgw, cephfs, ...) on the pool.

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_pool.enable_application images rbd
    """
    conn = _conn(conf, user, keyring, cluster)
    _forget(conn)
    _u("run")([*_cli(conn), "osd", "pool", "application", "enable", _name(name), str(application)])
    return True


def rbd_initialized(name, conf=None, user=None, keyring=None, cluster=None):
    """
    Whether `rbd pool init` has run on the pool (its `rbd_info` object exists).

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_pool.rbd_initialized images
    """
    conn = _conn(conf, user, keyring, cluster)
    cmd = [*_cli(conn, "rados"), "--pool", _name(name), "stat", "rbd_info"]
    rc, _, stderr = _u("run")(cmd, check=False)
    if rc == 0:
        return True
    if "no such file or directory" in (stderr or "").lower():
        return False
    raise _u("error_for")(cmd, rc, stderr)


def rbd_init(name, conf=None, user=None, keyring=None, cluster=None):
    """
    `rbd pool init`: ready the pool for RBD images.

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_pool.rbd_init images
    """
    conn = _conn(conf, user, keyring, cluster)
    _forget(conn)
    _u("run")([*_cli(conn, "rbd"), "pool", "init", _name(name)])
    return True


def remove(name, conf=None, user=None, keyring=None, cluster=None):
    """
    Delete the pool and all its data; False when there was none. The monitors' runtime
    `mon_allow_pool_delete` is set to true first (Ceph refuses the delete otherwise).

    CLI Example:

    .. code-block:: bash

        salt ceph1 ceph_pool.remove scratch
    """
    conn = _conn(conf, user, keyring, cluster)
    if get(name, **conn) is None:
        return False
    _forget(conn)
    cli = _cli(conn)
    _u("run")([*cli, "tell", "mon.*", "config", "set", "mon_allow_pool_delete", "true"])
    _u("run")([*cli, "osd", "pool", "rm", name, name, "--yes-i-really-really-mean-it"])
    return True
