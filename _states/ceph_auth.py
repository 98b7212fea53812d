"""
cephx users with least-privilege caps.

.. code-block:: yaml

    ceph-keyrings-client-glance-present:
      ceph_auth.present:
        - name: client.glance
        - caps:
            mon: profile rbd
            osd: profile rbd pool=images
            mgr: profile rbd pool=images
        # optional: the key's pillar path, read on the minion, so that the rendered SLS
        # (state.show_sls, the minion's state cache) never holds the key
        - key_pillar: ceph:keys:clients:glance

``key`` passes the key itself instead: for salt-ssh, where custom states see no pillar, or for
an explicit call.
"""

import importlib

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "ceph_auth"


def __virtual__():
    # Loaded without its execution module too: on a fresh host the ceph CLI that module needs
    # comes from an earlier state of the same run, and test=True must say so, not fail.
    return __virtualname__


def _module_missing():
    if "ceph_auth.get" in __salt__:
        return None
    return _util("stacksalt_ceph.missing_tool_error")(
        "the ceph CLI (the ceph_auth execution module needs it)"
    )


def _failed(ret, exc):
    return _util("stacksalt_ceph.failed_state")(ret, exc, __opts__["test"])


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _mask(key):
    # The project's one mask (_utils/stacksalt_secrets.py).
    return _util("stacksalt_secrets.mask_value")(key)


def _wanted_key(key, key_pillar):
    """The key asked for: ``key`` itself, or the value at pillar path ``key_pillar``."""
    if key_pillar is None:
        return key
    if key is not None:
        raise SaltInvocationError("ceph_auth.present: give key or key_pillar, not both")
    # unmask: Salt 3008 masks pillar.get values unless asked; the value never leaves this state.
    value = __salt__["pillar.get"](key_pillar, None, unmask=True)
    if not value or not isinstance(value, str):
        raise SaltInvocationError(
            f"ceph_auth.present: key_pillar '{key_pillar}' names no key in this minion's pillar"
        )
    return value


def present(name, caps, key=None, conf=None, user=None, keyring=None, cluster=None, key_pillar=None):
    """
    Ensure the cephx entity exists with exactly these caps (and this key, when given).

    CLI Example (one state by hand; ``key_pillar`` as the ceph formula passes it):

    .. code-block:: bash

        salt ceph1 state.single ceph_auth.present client.glance \\
            caps='{mon: "profile rbd", osd: "profile rbd pool=images"}' \\
            key_pillar=ceph:keys:clients:glance

    name
        Entity, e.g. client.glance.
    caps
        {daemon: cap}, e.g. {mon: "profile rbd", osd: "profile rbd pool=images"}.
    key
        Optional key; a different live key is replaced (clients must get the new one).
    key_pillar
        Optional pillar path of the key (``ceph:keys:clients:glance``), read on the minion so the
        key is never a rendered state argument. Exclusive with ``key``; a path that holds no key
        is an error before anything changes.
    conf, user, keyring, cluster
        Admin identity (default: config/pillar `ceph:admin`).
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    conn = {"conf": conf, "user": user, "keyring": keyring, "cluster": cluster}
    caps = {str(k): str(v) for k, v in (caps or {}).items()}
    try:
        key = _wanted_key(key, key_pillar)
        missing = _module_missing()
        if missing:
            raise missing
        live = __salt__["ceph_auth.get"](name, cached=True, **conn)
        if live is None:
            ret["changes"] = {"old": None, "new": {"caps": caps, "key": _mask(key or "generated")}}
            if __opts__["test"]:
                ret.update(result=None, comment=f"{name} would be created")
                return ret
            __salt__["ceph_auth.create"](name, caps, key=key, **conn)
            ret["comment"] = f"{name} created"
            return ret
        old, new = {}, {}
        if live["caps"] != caps:
            old["caps"], new["caps"] = live["caps"], caps
        if key and live["key"] != key:
            old["key"], new["key"] = _mask(live["key"]), _mask(key) + " (replaced)"
        if not new:
            ret["comment"] = f"{name} is present with the wanted caps"
            return ret
        ret["changes"] = {"old": old, "new": new}
        if __opts__["test"]:
            ret.update(result=None, comment=f"{name} would be updated")
            return ret
        if "key" in new:
            __salt__["ceph_auth.create"](name, caps, key=key, **conn)
        else:
            __salt__["ceph_auth.set_caps"](name, caps, **conn)
        ret["comment"] = f"{name} updated"
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _failed(ret, exc)
    return ret


def absent(name, conf=None, user=None, keyring=None, cluster=None):
    """
    Ensure the cephx entity does not exist.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    conn = {"conf": conf, "user": user, "keyring": keyring, "cluster": cluster}
    try:
        missing = _module_missing()
        if missing:
            raise missing
        if __salt__["ceph_auth.get"](name, cached=True, **conn) is None:
            ret["comment"] = f"{name} is already absent"
            return ret
        ret["changes"] = {"old": name, "new": None}
        if __opts__["test"]:
            ret.update(result=None, comment=f"{name} would be removed")
            return ret
        __salt__["ceph_auth.remove"](name, **conn)
        ret["comment"] = f"{name} removed"
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _failed(ret, exc)
    return ret
