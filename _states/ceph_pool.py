"""
Ceph pools: created with their placement groups, size/min_size (and a pinned pg_num) kept,
their application enabled, `rbd pool init` once.

.. code-block:: yaml

    ceph-pools-images-present:
      ceph_pool.present:
        - name: images
        - pg_num: 32
        - size: 3
        - application: rbd

The states of one run read every pool with one `ceph osd pool ls detail` (the execution
module's ``cached=True``); only `rbd pool init` is checked per pool (its `rbd_info` object).
"""

import importlib
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "ceph_pool"

_APPLICATION = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def __virtual__():
    # Loaded without its execution module too: on a fresh host the ceph CLI that module needs
    # comes from an earlier state of the same run, and test=True must say so, not fail.
    return __virtualname__


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _module():
    if "ceph_pool.pools" not in __salt__:
        raise _util("stacksalt_ceph.missing_tool_error")(
            "the ceph CLI (the ceph_pool execution module needs it)"
        )


def _count(arg, value, low, high):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SaltInvocationError(
            f"ceph_pool.present: {arg} must be a whole number from {low} to {high}, not {value!r}"
        )
    return value


def wanted_options(pg_num=None, size=None, min_size=None):
    """
    The options present() keeps, by name, in the order they are set. A pg_num pins the
    pool: the autoscaler goes off first, else it would move pg_num back and every run would
    set it again. Bad values raise SaltInvocationError naming the argument.
    """
    wanted = {}
    for arg, value, high in (("size", size, 10), ("min_size", min_size, 10)):
        if _count(arg, value, 1, high) is not None:
            wanted[arg] = value
    if "size" in wanted and "min_size" in wanted and wanted["min_size"] > wanted["size"]:
        raise SaltInvocationError(
            f"ceph_pool.present: min_size ({min_size}) must not be larger than size ({size})"
        )
    if _count("pg_num", pg_num, 1, 32768) is not None:
        wanted.update(pg_autoscale_mode="off", pg_num=pg_num)
    return wanted


def plan(live, wanted, application, rbd_init, initialized):
    """
    What present() changes (pure). ``live`` is the pool's settings from ceph_pool.get (None:
    no pool), ``wanted`` from :func:`wanted_options`, ``initialized`` whether `rbd pool init`
    has run (unused when it cannot matter). Returns {what: {"old": ..., "new": ...}}, in the
    order the changes are made.
    """
    init = bool(rbd_init) and application == "rbd"
    if live is None:
        new = {"created": True, **wanted}
        if application:
            new["application"] = application
        if init:
            new["rbd_init"] = True
        return {"pool": {"old": None, "new": new}}
    changes = {}
    for option, want in wanted.items():
        if str(live.get(option)) != str(want):
            changes[option] = {"old": live.get(option), "new": want}
    if application and application not in live.get("applications", []):
        changes["application"] = {
            "old": live.get("applications", []),
            "new": [*live.get("applications", []), application],
        }
    if init and not initialized:
        changes["rbd_init"] = {"old": False, "new": True}
    return changes


def present(
    name,
    pg_num=None,
    size=None,
    min_size=None,
    application="rbd",
    rbd_init=True,
    conf=None,
    user=None,
    keyring=None,
    cluster=None,
):
    """
    Ensure the replicated pool exists with these settings.

    CLI Example:

    .. code-block:: bash

        salt ceph1 state.single ceph_pool.present images pg_num=32 size=3

    name
        The pool.
    pg_num
        Placement groups. Given, it is kept (the pool's autoscaler is turned off); not given,
        the pool is created with 32 and the autoscaler manages it.
    size, min_size
        Replicas, kept when given (a size of 1 is confirmed for the cluster).
    application
        Enabled on the pool (default rbd; None for none).
    rbd_init
        `rbd pool init` once, for an rbd pool (default True).
    conf, user, keyring, cluster
        Admin identity (default: config/pillar `ceph:admin`).
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    conn = {"conf": conf, "user": user, "keyring": keyring, "cluster": cluster}
    try:
        if application is not None and not _APPLICATION.match(str(application)):
            raise SaltInvocationError(
                f"ceph_pool.present: application {application!r} is not an application name"
            )
        wanted = wanted_options(pg_num, size, min_size)
        _module()
        live = __salt__["ceph_pool.get"](name, cached=True, **conn)
        must_init = bool(rbd_init) and application == "rbd" and live is not None
        initialized = __salt__["ceph_pool.rbd_initialized"](name, **conn) if must_init else False
        changes = plan(live, wanted, application, rbd_init, initialized)
        if not changes:
            ret["comment"] = f"pool {name} is present as wanted"
            return ret
        ret["changes"] = changes
        if __opts__["test"]:
            ret.update(
                result=None, comment=f"pool {name} would be {'created' if live is None else 'updated'}"
            )
            return ret
        _apply(name, live, wanted, application, rbd_init, changes, conn)
        ret["comment"] = f"pool {name} {'created' if live is None else 'updated'}"
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _util("stacksalt_ceph.failed_state")(ret, exc, __opts__["test"])
    return ret


def _apply(name, live, wanted, application, rbd_init, changes, conn):
    if live is None:
        __salt__["ceph_pool.create"](name, pg_num=wanted.get("pg_num", 32), **conn)
        # A new pool has the cluster's defaults: what differs from the wanted settings is set next.
        live = __salt__["ceph_pool.get"](name, **conn)
        if live is None:
            raise CommandExecutionError(
                f"pool {name} was created, but `ceph osd pool ls detail` does not list it"
            )
        changes = plan(live, wanted, application, rbd_init, initialized=False)
    for option in wanted:
        if option in changes:
            __salt__["ceph_pool.set_option"](name, option, wanted[option], **conn)
    if "application" in changes:
        __salt__["ceph_pool.enable_application"](name, application, **conn)
    if "rbd_init" in changes:
        __salt__["ceph_pool.rbd_init"](name, **conn)


def absent(name, conf=None, user=None, keyring=None, cluster=None):
    """
    Ensure the pool does not exist: deletes it and all its data.

    CLI Example:

    .. code-block:: bash

        salt ceph1 state.single ceph_pool.absent scratch
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    conn = {"conf": conf, "user": user, "keyring": keyring, "cluster": cluster}
    try:
        _module()
        if __salt__["ceph_pool.get"](name, cached=True, **conn) is None:
            ret["comment"] = f"pool {name} is already absent"
            return ret
        ret["changes"] = {"old": name, "new": None}
        if __opts__["test"]:
            ret.update(result=None, comment=f"pool {name} and all its data would be deleted")
            return ret
        __salt__["ceph_pool.remove"](name, **conn)
        ret["comment"] = f"pool {name} deleted"
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _util("stacksalt_ceph.failed_state")(ret, exc, __opts__["test"])
    return ret
