"""
Ironic bare-metal nodes from pillar or from an operator enrolment file.

.. code-block:: yaml

    # one node
    rack1-node4:
      ironic_node.present:
        - driver: redfish
        - driver_info: {redfish_address: "https://10.0.0.4", redfish_username: root, redfish_password: s3cret}
        - properties: {cpus: 4, memory_mb: 12288, local_gb: 60, root_device: {wwn: "0x0000000000000001"}}
        - ports: [{address: "52:54:00:a0:af:da"}]
        - provision_state: available

    # hundreds of nodes: one list call to find what exists, bounded concurrency, batches that
    # respect max_concurrent_clean, 503/409 retried, progress events, a summary.
    ironic-nodes-enrolled:
      ironic_node.enrolled:
        - nodes: {{ nodes | json }}           # ironic:nodes, BMC secrets left out
        - pillar_key: ironic:nodes            # names the key in error messages
        - secrets_pillar: ironic:node_secrets # {node name: {driver_info key: secret}}, read here
        # or: - source: /srv/ironic/nodes.yaml (a file with a top-level `nodes:` list)

    old-node:
      ironic_node.absent

Only the keys given are compared with Ironic (masked passwords and properties added by
inspection never cause a change). ``test=True`` returns the exact plan. Secrets are masked in
every return and event. Bad node data fails the state before any API call, naming the key (the
rules of the ironic formula's schema, ``salt://ironic/schema.yaml``: see ``ironic_node.validate``), and
so does data that the Ironic in front of it does not support (a driver that is not enabled, an
interface that the node's driver does not enable), checked against its API.

BMC secrets: with ``secrets_pillar`` the state reads them from the minion's own pillar (a
mapping of node name to driver_info secrets) and merges them into each node's ``driver_info``,
so the rendered SLS (``state.show_sls``, the job cache, the master's render) never holds them.
Ironic hosts are minions, so their pillar is there; under salt-ssh custom modules see no pillar
(docs: design.md), which is the only case for passing secrets inline in ``driver_info``.
"""

import importlib

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "ironic_node"


def __virtual__():
    if "ironic_node.plan" not in __salt__:
        return (False, "ironic_node: the ironic_node execution module is not available (openstacksdk?)")
    return __virtualname__


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _ret(name):
    return {"name": name, "result": False, "changes": {}, "comment": ""}


def _with_secrets(nodes, secrets_pillar):
    """
    ``nodes`` with the driver_info secrets of ``secrets_pillar`` merged in (new dicts), read from
    the minion's pillar here so that they never pass through the rendered SLS.
    """
    if not secrets_pillar:
        return nodes
    secrets = __salt__["pillar.get"](secrets_pillar, {}, unmask=True)
    if not isinstance(secrets, dict):
        raise CommandExecutionError(
            f"pillar {secrets_pillar} must be a mapping of node name to driver_info secrets"
        )
    out = []
    for node in nodes:
        extra = secrets.get(node.get("name")) if isinstance(node, dict) else None
        if extra and isinstance(extra, dict):
            node = dict(node, driver_info=dict(node.get("driver_info") or {}, **extra))
        elif extra is not None:
            raise CommandExecutionError(
                f"pillar {secrets_pillar}:{node.get('name')} must be a mapping of driver_info keys"
            )
        out.append(node)
    return out


def _image_refs(specs):
    return sorted({s[k] for s in specs for k in ("deploy_kernel", "deploy_ramdisk") if k in s})


def _images(specs, cloud, missing_ok=False):
    refs = _image_refs(specs)
    return __salt__["ironic_node.resolve_images"](refs, cloud=cloud, missing_ok=missing_ok) if refs else {}


def present(name, cloud=None, timeout=None, secrets_pillar=None, **spec):
    """
    Ensure one node exists in Ironic as described (operator enrolment format, see the module).

    name
        The node name.
    provision_state
        ``enroll``, ``manageable`` or ``available`` (default): the node is moved through the
        state machine (manage, then provide, waiting through cleaning).
    cloud
        A cloud from ``openstack:clouds`` or clouds.yaml.
    timeout
        Seconds each provision step (manage, provide with its cleaning) may take; default: the
        module's ``DEFAULT_TIMEOUT`` (1800, Ironic's own cleaning callback timeout).
    secrets_pillar
        Pillar key of ``{node name: {driver_info key: secret}}`` (e.g. ``ironic:node_secrets``),
        read on the minion: the rendered SLS holds no secret (minions only, see the module).
    """
    spec = {k: v for k, v in spec.items() if not k.startswith("__")}
    spec["name"] = name
    ret = _ret(name)
    try:
        (spec,) = _with_secrets([spec], secrets_pillar)
    except CommandExecutionError as exc:
        ret["comment"] = str(exc)
        return ret
    try:
        errors = __salt__["ironic_node.validate"](spec, where=f"ironic_node:{name}")
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not check the node data: {exc}"
        return ret
    if errors:
        ret["comment"] = "Invalid node data, nothing was changed:\n" + "\n".join(f"  - {e}" for e in errors)
        return ret
    try:
        errors = __salt__["ironic_node.check_supported"](spec, where=f"ironic_node:{name}", cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read the drivers from Ironic: {exc}"
        return ret
    if errors:
        ret["comment"] = "Node data not supported by this Ironic, nothing was changed:\n" + "\n".join(
            f"  - {e}" for e in errors
        )
        return ret
    try:
        live = __salt__["ironic_node.inventory"](names=[name], cloud=cloud).get(name)
        item = __salt__["ironic_node.plan"](spec, live, images=_images([spec], cloud))
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read node '{name}' from Ironic: {exc}"
        return ret
    if item["action"] == "none" and not item["provision"]:
        ret["result"] = True
        ret["comment"] = f"Node '{name}' is in the desired state" + (
            f"; {item['comment']}" if item["comment"] else ""
        )
        return ret
    if __opts__["test"]:
        ret["result"] = None
        ret["changes"] = item["changes"]
        ret["comment"] = f"Node '{name}' would be {'created' if item['action'] == 'create' else 'updated'}"
        return ret
    out = __salt__["ironic_node.apply"]([item], cloud=cloud, timeout=timeout)["nodes"][name]
    if not out["result"]:
        ret["comment"] = f"Node '{name}': {out['error']}"
        # What happened before the failure (e.g. created, then cleaning failed) is still a change.
        ret["changes"] = {k: v for k, v in item["changes"].items() if k != "provision_state"}
        return ret
    ret["result"] = True
    ret["changes"] = item["changes"]
    ret["comment"] = f"Node '{name}' {'created' if item['action'] == 'create' else 'updated'}" + (
        f" ({out['provision_state']})" if out["provision_state"] else ""
    )
    return ret


def enrolled(
    name,
    nodes=None,
    source=None,
    pillar_key=None,
    cloud=None,
    concurrency=8,
    max_concurrent_clean=None,
    timeout=None,
    prune=False,
    secrets_pillar=None,
    await_images=False,
):
    """
    Ensure many nodes at once (hundreds): from ``nodes`` (a list, e.g. from pillar) or ``source``
    (a YAML file with a ``nodes:`` list, local path or ``salt://``).

    pillar_key
        Where the list came from (``ironic:nodes``): used in error messages.
    concurrency
        Workers talking to Ironic at once.
    max_concurrent_clean
        Nodes in cleaning at once (default: config ``ironic_node:max_concurrent_clean`` or 50).
    timeout
        Seconds each node's provision step may take; default: the module's ``DEFAULT_TIMEOUT``
        (1800, Ironic's own cleaning callback timeout).
    prune
        Also delete nodes that exist in Ironic but are not listed (never nodes in use).
    secrets_pillar
        Pillar key of ``{node name: {driver_info key: secret}}`` (e.g. ``ironic:node_secrets``),
        read on the minion: the rendered SLS holds no secret (minions only, see the module).
    await_images
        The nodes' deploy images (Glance names) may be uploaded in this very run by another
        host (the cloud-admin host's ``openstack.images``): one Glance does not have yet is
        awaited, not an error. ``test=True`` says the nodes cannot be known before then
        (result None); a real run fails with nothing changed, so that the state's ``retry``
        tries again.

    ``changes`` holds the created/updated/deleted/failed node names and a summary; with
    ``test=True`` it holds every node's planned changes.
    """
    ret = _ret(name)
    where = pillar_key or (source if source else name)
    if source:
        path = __salt__["cp.cache_file"](source) if str(source).startswith("salt://") else source
        if not path:
            ret["comment"] = f"Node file {source} was not found"
            return ret
        try:
            nodes = __salt__["ironic_node.load_file"](path)
        except (CommandExecutionError, SaltInvocationError) as exc:
            ret["comment"] = str(exc)
            return ret
        where = f"{source}:nodes"
    if nodes is None:
        ret["comment"] = "Give either nodes (a list) or source (a file)"
        return ret
    try:
        nodes = _with_secrets(nodes, secrets_pillar) if isinstance(nodes, list) else nodes
    except CommandExecutionError as exc:
        ret["comment"] = str(exc)
        return ret
    try:
        errors = __salt__["ironic_node.validate_many"](nodes, where=where)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not check the node data: {exc}"
        return ret
    if errors:
        ret["comment"] = f"Invalid node data ({len(errors)} problem(s)), nothing was changed:\n" + "\n".join(
            f"  - {e}" for e in errors
        )
        return ret
    try:
        errors = __salt__["ironic_node.check_supported"](nodes, where=where, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _util("stacksalt_openstack.could_not_read")(
            ret, "the drivers from Ironic", exc, __opts__["test"]
        )
    if errors:
        ret["comment"] = (
            f"Node data not supported by this Ironic ({len(errors)} problem(s)), nothing was changed:\n"
            + "\n".join(f"  - {e}" for e in errors)
        )
        return ret
    try:
        images = _images(nodes, cloud, missing_ok=await_images)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not resolve the nodes' deploy images, nothing was changed: {exc}"
        return ret
    missing = [ref for ref in _image_refs(nodes) if ref not in images]
    if missing:
        awaited = ", ".join(missing)
        if __opts__["test"]:
            ret["result"] = None
            ret["comment"] = (
                f"{len(nodes)} nodes: cannot be known before the deploy images {awaited} are in Glance "
                "(another host uploads them in this run); they would then be enrolled"
            )
        else:
            ret["comment"] = (
                f"The deploy images {awaited} are not in Glance yet, nothing was changed (awaited)"
            )
        return ret
    try:
        live = __salt__["ironic_node.inventory"](cloud=cloud)
        plans = [__salt__["ironic_node.plan"](spec, live.get(spec["name"]), images=images) for spec in nodes]
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _util("stacksalt_openstack.could_not_read")(ret, "nodes from Ironic", exc, __opts__["test"])
    wanted = {spec["name"] for spec in nodes}
    stale = sorted(n for n in live if n not in wanted) if prune else []
    todo = [p for p in plans if p["action"] != "none" or p["provision"]]
    if not todo and not stale:
        ret["result"] = True
        ret["comment"] = f"All {len(plans)} nodes are in the desired state"
        return ret
    if __opts__["test"]:
        # the run's own rule: a node in use is refused, not deleted
        refused = {n: __salt__["ironic_node.refusal"](live[n], name=n) for n in stale}
        refused = {n: why for n, why in refused.items() if why}
        deletes = [n for n in stale if n not in refused]
        ret["result"] = False if refused else None
        ret["changes"] = {p["name"]: p["changes"] for p in todo}
        if deletes:
            ret["changes"]["deleted"] = deletes
        ret["comment"] = (
            f"{sum(p['action'] == 'create' for p in todo)} node(s) would be created, "
            f"{sum(p['action'] != 'create' for p in todo)} updated, {len(deletes)} deleted, "
            f"{len(plans) - len(todo)} unchanged"
        )
        if refused:
            ret["comment"] += "; the run would refuse to delete:\n" + "\n".join(
                f"  - {why}" for why in refused.values()
            )
        return ret
    out = __salt__["ironic_node.apply"](
        todo, concurrency=concurrency, max_concurrent_clean=max_concurrent_clean, timeout=timeout, cloud=cloud
    )
    summary = dict(out["summary"], unchanged=len(plans) - len(todo), total=len(plans))
    failed = {n: r["error"] for n, r in out["nodes"].items() if not r["result"]}
    deleted, delete_failed = [], {}
    for node in stale:
        try:
            if __salt__["ironic_node.delete"](node, cloud=cloud):
                deleted.append(node)
        except (CommandExecutionError, SaltInvocationError) as exc:
            delete_failed[node] = str(exc)
    failed.update(delete_failed)
    summary["deleted"] = len(deleted)
    summary["failed"] = len(failed)
    by_action = {p["name"]: p["action"] for p in todo}
    ok = [n for n, r in out["nodes"].items() if r["result"]]
    changes = {
        "created": sorted(n for n in ok if by_action[n] == "create"),
        "updated": sorted(n for n in ok if by_action[n] != "create"),
    }
    if deleted:
        changes["deleted"] = deleted
    if failed:
        changes["failed"] = failed
    ret["changes"] = {k: v for k, v in changes.items() if v}
    ret["changes"]["summary"] = summary
    ret["result"] = not failed
    ret["comment"] = (
        f"{summary['created']} created, {summary['updated']} updated, {summary['unchanged']} unchanged, "
        f"{len(deleted)} deleted, {len(failed)} failed in {summary['seconds']} s"
    )
    if failed:
        ret["comment"] += "\n" + "\n".join(f"  - {n}: {e}" for n, e in sorted(failed.items()))
    return ret


def absent(name, cloud=None):
    """
    Ensure a node does not exist in Ironic (its ports go with it). Nodes in use are refused.
    """
    ret = _ret(name)
    try:
        exists = bool(__salt__["ironic_node.inventory"](names=[name], cloud=cloud))
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Could not read node '{name}' from Ironic: {exc}"
        return ret
    if not exists:
        ret["result"] = True
        ret["comment"] = f"Node '{name}' is already absent"
        return ret
    if __opts__["test"]:
        ret["result"] = None
        ret["changes"] = {"node": {"old": name, "new": None}}
        ret["comment"] = f"Node '{name}' would be deleted"
        return ret
    try:
        __salt__["ironic_node.delete"](name, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = str(exc)
        return ret
    ret["result"] = True
    ret["changes"] = {"node": {"old": name, "new": None}}
    ret["comment"] = f"Node '{name}' deleted"
    return ret
