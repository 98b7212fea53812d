"""
Instance backups through Nova's ``createBackup`` with client-side retention and restore.

Every backup is a Glance snapshot image named ``<name>-<YYYYMMDDHHMM>-<type>`` (UTC, zero
padded: the names of the operators' 2017 backup script, so its backups are adopted) carrying
the properties Nova sets (``image_type=backup``, ``backup_type``, ``instance_uuid``).

What this module adds to Nova's own rotation:

- **Retention beyond one N.** ``retention={daily: 7, weekly: 4, monthly: 6}`` keeps, among the
  active backups of a server with that ``name``, the newest backup of each of the 7 most recent
  days that have one, of the 4 most recent ISO weeks and of the 6 most recent months (``last: N``
  keeps the N newest). ``rotation=N`` is the 2017 script's rule: the N newest of that
  ``backup_type``. Nova is asked to rotate nothing (it would count only one type and only log
  failed deletes); the module decides in one pass over one filtered image list.
- **Nothing is deleted before the new backup is active.** A backup that fails or is still
  saving at the deadline leaves every older backup of its server in place.
- **A report** of what was created, kept (and why), deleted, left alone, and every delete that
  failed (the run then fails: a failed delete is never silently left).
- **Restore** (``restore``): rebuild the server from one of its backups and wait until it is
  ``ACTIVE`` again.
- **Only the server's own project's images count.** A backup of server S is an image owned by
  S's project (Nova gives its snapshots that owner). Names and properties are anyone's to copy:
  an image another project shares or publishes with S's name pattern and ``instance_uuid`` is
  neither counted by retention (it cannot push real backups out) nor a restore source.
- **No duplicate on a retry.** ``createBackup`` is not repeated blindly after an answer that may
  have been lost once Nova acted (503, reset connection): the image it would have made (same
  name, same server, same owner) is looked for first, and adopted when it is there.

Boot-from-volume servers: Nova's ``createBackup`` refuses them. This module reports them as not
supported before any call (their data lives in Cinder volumes: use Cinder backups).

Quiesce: Nova quiesces the guest through the QEMU guest agent when the server's image has
``hw_qemu_guest_agent=yes`` (and fails the snapshot instead of taking an unquiesced one when
it also has ``os_require_quiesce=yes``). ``quiesce=True`` checks that the image has the guest
agent property before asking for the backup and reports the quiesce mode per server.

Connections: ``cloud`` names an openstacksdk cloud (config/pillar ``openstack:clouds:<cloud>``
or clouds.yaml); one connection per process is reused (``_utils/stacksalt_openstack``).
"""

import contextvars
import datetime
import importlib
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    import openstack.exceptions

    HAS_SDK = True
except ImportError:  # pragma: no cover - reported by __virtual__
    HAS_SDK = False

log = logging.getLogger(__name__)

__virtualname__ = "instance_backup"
__func_alias__ = {"list_": "list"}

#: Compute microversion: 2.45 returns the new image id in createBackup's body; 2.26 has tags.
COMPUTE_MICROVERSION = "2.45"
#: The rotation Nova is given: never reached, so Nova deletes nothing (the module rotates).
NOVA_KEEP_ALL = 2**31 - 1
STAMP_FORMAT = "%Y%m%d%H%M"
TYPE_RE = re.compile(r"^[A-Za-z0-9_]+$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
#: Retention rules, finest first: each keeps the newest backup of its N most recent periods.
RETENTION_RULES = ("last", "daily", "weekly", "monthly")
#: Server states Nova accepts createBackup in.
BACKUP_STATES = ("ACTIVE", "SHUTOFF", "PAUSED", "SUSPENDED")
GUEST_AGENT_TRUE = ("yes", "true", "1", "on")
MAX_IMAGE_NAME = 255
GLANCE_PAGE = 1000
ID_FILTER_CHUNK = 40
EVENT_TAG = "salt/stacksalt/instance_backup/progress"


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


#: What each public function does, in the words its errors use
#: (``stacksalt_openstack.guard_edges``, put in place by ``__init__``).
_EDGES = {
    "backup": "backing up server '{server}'",
    "backup_many": "backing up the servers of backup '{name}'",
    "list_": "listing the backups of server '{server}'",
    "restore": "restoring server '{server}'",
}


def __virtual__():
    if not HAS_SDK:
        return (False, "instance_backup: openstacksdk is not installed")
    return __virtualname__


def __init__(opts):  # noqa: ARG001 - Salt's loader passes its opts
    """Called by Salt's loader once the dunders are in place: guard the module edge."""
    _util("stacksalt_openstack.guard_edges")(globals(), _EDGES)


# --------------------------------------------------------------------------------------------
# Pure logic: names, argument checks, retention (unit-tested without services)
# --------------------------------------------------------------------------------------------


def backup_name(name, backup_type, when=None):
    """
    The image name of a backup taken at ``when`` (UTC, default now):
    ``<name>-<YYYYMMDDHHMM>-<type>``.

    CLI Example:

    .. code-block:: bash

        salt-call instance_backup.backup_name web1 daily
    """
    when = when or datetime.datetime.now(datetime.UTC)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC)
    return f"{name}-{when.strftime(STAMP_FORMAT)}-{backup_type}"


def _name_re(name, backup_type=None):
    kind = re.escape(backup_type) if backup_type else r"[A-Za-z0-9_]+"
    return re.compile(rf"^{re.escape(name)}-(?P<stamp>\d{{12}})-(?P<type>{kind})$")


def parse_backup_name(image_name, name, backup_type=None):
    """
    ``(taken_at, backup_type)`` when ``image_name`` is a backup called ``name`` (of
    ``backup_type`` when given), else ``None``. ``taken_at`` is a UTC datetime.

    CLI Example:

    .. code-block:: bash

        salt-call instance_backup.parse_backup_name web1-202611250200-daily web1
    """
    match = _name_re(name, backup_type).match(image_name or "")
    if not match:
        return None
    try:
        taken = datetime.datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=datetime.UTC)
    except ValueError:
        return None
    return taken, match["type"]


def validate(name, backup_type="daily", rotation=None, retention=None, quiesce=False, where=""):
    """
    Check backup arguments without any API call; return a list of errors (empty when fine),
    each naming the argument (prefixed by ``where``, e.g. a pillar key path).

    CLI Example:

    .. code-block:: bash

        salt-call instance_backup.validate web1 daily retention='{daily: 7, weekly: 4}'
    """
    pre = f"{where}:" if where else ""
    errors = []
    if not isinstance(name, str) or not name.strip():
        errors.append(f"{pre}name: a non-empty backup name is required")
    elif name != name.strip() or any(c in name for c in "\n\r\t"):
        errors.append(f"{pre}name: {name!r} has leading/trailing blanks or control characters")
    if not isinstance(backup_type, str) or not TYPE_RE.match(backup_type):
        errors.append(
            f"{pre}backup_type: {backup_type!r} must be letters, digits or '_' (e.g. daily, weekly): "
            "it ends the image name and must not contain '-'"
        )
    elif isinstance(name, str) and len(backup_name(name, backup_type)) > MAX_IMAGE_NAME:
        errors.append(f"{pre}name: the image name would exceed Glance's {MAX_IMAGE_NAME} characters")
    if (rotation is None) == (retention is None):
        errors.append(
            f"{pre}rotation/retention: give exactly one: rotation=N (keep the N newest of this "
            "backup_type) or retention={daily: D, weekly: W, monthly: M}"
        )
    if rotation is not None:
        if isinstance(rotation, bool) or not isinstance(rotation, int):
            errors.append(f"{pre}rotation: must be a whole number >= 1, got {rotation!r}")
        elif rotation == 0:
            errors.append(
                f"{pre}rotation: 0 is refused: Nova treats rotation=0 as 'keep none' and deletes "
                "every backup of that type, including the one just taken; use rotation >= 1, "
                "or remove the schedule to stop backing up"
            )
        elif rotation < 0:
            errors.append(f"{pre}rotation: must be >= 1, got {rotation}")
    if retention is not None:
        errors.extend(_validate_retention(retention, f"{pre}retention"))
    if not isinstance(quiesce, bool):
        errors.append(f"{pre}quiesce: must be true or false, got {quiesce!r}")
    return errors


def _validate_retention(retention, where):
    if not isinstance(retention, dict) or not retention:
        return [f"{where}: must be a mapping of {', '.join(RETENTION_RULES)} to counts, got {retention!r}"]
    errors = []
    for key, count in retention.items():
        if key not in RETENTION_RULES:
            errors.append(f"{where}:{key}: unknown rule (known: {', '.join(RETENTION_RULES)})")
        elif isinstance(count, bool) or not isinstance(count, int) or count < 0:
            errors.append(f"{where}:{key}: must be a whole number >= 0, got {count!r}")
    if not errors and not any(retention.values()):
        errors.append(
            f"{where}: every count is 0, which would delete every backup including the new one; "
            "keep at least one (e.g. daily: 1)"
        )
    return errors


def _check(name, backup_type, rotation, retention, quiesce):
    errors = validate(name, backup_type, rotation, retention, quiesce)
    if errors:
        raise SaltInvocationError("; ".join(errors))


def _period(rule, taken):
    if rule == "daily":
        return taken.strftime("%Y-%m-%d")
    if rule == "weekly":
        year, week, _ = taken.isocalendar()
        return f"{year}-W{week:02d}"
    if rule == "monthly":
        return taken.strftime("%Y-%m")
    return None  # "last": every backup is its own period


def plan_retention(images, name, rotation=None, retention=None, backup_type=None, protect=()):
    """
    Decide which of one server's backup images to keep and which to delete, in one pass.

    ``images`` are Glance image dicts (``id``, ``name``, ``status``, ``created_at``). Only
    images named ``<name>-<YYYYMMDDHHMM>-<type>`` take part; with ``rotation`` only those of
    ``backup_type``. Active ones are ranked newest first (name stamp, then ``created_at``, then
    id) and each rule keeps the newest backup of each of its N most recent periods: ``last``
    (each backup), ``daily``, ``weekly`` (ISO weeks), ``monthly``. ``rotation=N`` is
    ``{last: N}`` over one type. Images that are not active are never deleted (``skipped``);
    ids in ``protect`` are always kept.

    Returns ``{"keep": [{id, name, reasons}], "delete": [{id, name}], "skipped": [{id, name,
    status}]}`` (newest first).

    CLI Example:

    .. code-block:: bash

        salt-call instance_backup.plan_retention "$(salt-call --out=json instance_backup.list web1)" web1 retention='{daily: 7}'
    """
    rules = {"last": rotation} if rotation is not None else dict(retention or {})
    only_type = backup_type if rotation is not None else None
    ranked, skipped = [], []
    for image in images:
        parsed = parse_backup_name(image.get("name"), name, only_type)
        if parsed is None:
            continue
        if image.get("status") != "active" and image.get("id") not in protect:
            skipped.append({"id": image["id"], "name": image["name"], "status": image.get("status")})
            continue
        ranked.append((parsed[0], str(image.get("created_at") or ""), image["id"], image))
    ranked.sort(key=lambda row: row[:3], reverse=True)
    left = {rule: count for rule, count in rules.items() if count}
    last_period = {}
    keep, delete = [], []
    for taken, _created, image_id, image in ranked:
        reasons = []
        for rule in RETENTION_RULES:
            if not left.get(rule):
                continue
            period = _period(rule, taken)
            if period is not None and last_period.get(rule) == period:
                continue  # an older backup of a period already kept for this rule
            last_period[rule] = period
            left[rule] -= 1
            reasons.append(f"{rule} {period}" if period else "last")
        if image_id in protect and not reasons:
            reasons.append("new backup")
        row = {"id": image_id, "name": image["name"]}
        if reasons:
            keep.append(dict(row, reasons=reasons))
        else:
            delete.append(row)
    skipped.sort(key=lambda row: row["name"], reverse=True)
    return {"keep": keep, "delete": delete, "skipped": skipped}


def is_volume_backed(server):
    """True when a Nova server (API dict) boots from a volume (its ``image`` is empty)."""
    return not (server.get("image") or {})


def quiesce_mode(image_properties):
    """
    How Nova will treat a backup of a server booted from an image with these properties:
    ``required`` (guest agent + ``os_require_quiesce``: the snapshot fails rather than being
    taken unquiesced), ``attempted`` (guest agent only), or ``None`` (no guest agent).
    """
    props = image_properties or {}
    if str(props.get("hw_qemu_guest_agent", "")).lower() not in GUEST_AGENT_TRUE:
        return None
    if str(props.get("os_require_quiesce", "")).lower() in GUEST_AGENT_TRUE:
        return "required"
    return "attempted"


def match_servers(servers, names=None, tags=None, metadata=None):
    """
    Select servers (Nova API dicts) by name or id, by any of ``tags`` (Nova server tags) and
    by ``metadata`` (every key/value must match). Returns ``(selected, errors)``: a name that
    matches nothing or several servers is an error naming it. Pure: no API call.
    """
    by_id = {s["id"]: s for s in servers}
    by_name = {}
    for server in servers:
        by_name.setdefault(server.get("name"), []).append(server)
    selected, errors = {}, []
    for ref in names or []:
        ref = str(ref)
        if ref in by_id:
            selected[ref] = by_id[ref]
        elif len(by_name.get(ref, [])) == 1:
            selected[by_name[ref][0]["id"]] = by_name[ref][0]
        elif ref in by_name:
            ids = ", ".join(s["id"] for s in by_name[ref])
            errors.append(f"servers: {ref!r} names {len(by_name[ref])} servers ({ids}): use their ids")
        else:
            errors.append(f"servers: no server named or with id {ref!r}")
    wanted_tags = set(tags or [])
    for server in servers:
        if wanted_tags and wanted_tags & set(server.get("tags") or []):
            selected[server["id"]] = server
        if metadata and all(
            str((server.get("metadata") or {}).get(k)) == str(v) for k, v in metadata.items()
        ):
            selected[server["id"]] = server
    return sorted(selected.values(), key=lambda s: (s.get("name") or "", s["id"])), errors


# --------------------------------------------------------------------------------------------
# API plumbing
# --------------------------------------------------------------------------------------------


def _conn(cloud=None):
    return _util("stacksalt_openstack.salt_connect")(__salt__, cloud)


def _error(exc):
    if isinstance(exc, CommandExecutionError | SaltInvocationError):
        return str(exc)
    return _util("stacksalt_openstack.error_message")(exc)


def _request(proxy, method, url, **kwargs):
    """One API call (Nova's at ``COMPUTE_MICROVERSION``); see ``stacksalt_openstack.request``."""
    if proxy.service_type == "compute":
        kwargs.setdefault("microversion", COMPUTE_MICROVERSION)
    return _util("stacksalt_openstack.request")(proxy, method, url, **kwargs)


def _list_paged(proxy, path, key, params):
    """Every item of a Glance or Nova listing, all pages (``stacksalt_openstack.paged``)."""
    if proxy.service_type == "compute":
        return _util("stacksalt_openstack.paged")(proxy, path, key, params, microversion=COMPUTE_MICROVERSION)
    return _util("stacksalt_openstack.paged")(proxy, path, key, params)


def _list_images(conn, **filters):
    """Every Glance image matching ``filters`` (in pages of ``GLANCE_PAGE``)."""
    return _list_paged(conn.image, "/images", "images", dict(filters, limit=GLANCE_PAGE))


def _list_servers(conn, **filters):
    return _list_paged(conn.compute, "/servers/detail", "servers", dict(filters))


def _get_server(conn, ref):
    """The server by id or exact name; a clear error when missing or ambiguous."""
    if UUID_RE.match(str(ref)):
        try:
            return _request(conn.compute, "GET", f"/servers/{ref}").json()["server"]
        except openstack.exceptions.NotFoundException:
            pass
    found = [s for s in _list_servers(conn, name=f"^{re.escape(str(ref))}$") if s.get("name") == ref]
    if len(found) == 1:
        return found[0]
    if found:
        ids = ", ".join(s["id"] for s in found)
        raise CommandExecutionError(f"server {ref!r}: {len(found)} servers have this name ({ids}): use an id")
    raise CommandExecutionError(f"server {ref!r}: no such server (by id or name)")


def _fire(data):
    try:
        __salt__["event.fire"](data, EVENT_TAG)
    except Exception:  # noqa: BLE001 - progress events are best effort (no bus under salt-call --local)
        log.debug("instance_backup: progress event not sent", exc_info=True)


def _owned(images, server):
    """The images owned by ``server``'s project: only those are its backups (see the module doc)."""
    project = server.get("tenant_id")
    return [i for i in images if project and i.get("owner") == project]


def _backups_of(conn, server, **filters):
    """The server's backup images: ``instance_uuid`` and, the part a copycat cannot fake, owner."""
    images = _list_images(
        conn, image_type="backup", instance_uuid=server["id"], owner=server.get("tenant_id"), **filters
    )
    return _owned(images, server)


def _short(image):
    return {"id": image["id"], "name": image.get("name"), "status": image.get("status")}


# --------------------------------------------------------------------------------------------
# Backup runs
# --------------------------------------------------------------------------------------------


def _precheck(conn, server, quiesce, image_cache):
    """Why this server cannot be backed up now (``None`` when it can), and its quiesce mode."""
    if is_volume_backed(server):
        return (
            "boots from a volume: Nova's createBackup refuses volume-backed servers; back up its "
            "volumes with Cinder (openstack volume backup create)",
            None,
        )
    if server.get("status") not in BACKUP_STATES:
        return f"is {server.get('status')}: createBackup needs one of {', '.join(BACKUP_STATES)}", None
    if not quiesce:
        return None, None
    image_id = server["image"]["id"]
    if image_id not in image_cache:
        try:
            image_cache[image_id] = _request(conn.image, "GET", f"/images/{image_id}").json()
        except openstack.exceptions.NotFoundException:
            image_cache[image_id] = None
        except Exception as exc:  # noqa: BLE001 - this server is not backed up, the others go on
            return f"quiesce: its image {image_id} could not be read ({_error(exc)})", None
    image = image_cache[image_id]
    if image is None:
        return f"quiesce: its image {image_id} is gone, so the guest agent cannot be checked", None
    mode = quiesce_mode(image)
    if mode is None:
        return (
            f"quiesce: its image {image_id} lacks hw_qemu_guest_agent=yes, so Nova cannot quiesce "
            "it; set the property on the image (and rebuild), or back up with quiesce=False",
            None,
        )
    return None, mode


def _here(func):
    """``func`` run in this module's loader context: a util calling it back has its own, where
    this module's ``__utils__``/``__salt__`` do not resolve."""
    ctx = contextvars.copy_context()
    return lambda: ctx.run(func)


def _create(conn, server, image_name, backup_type):
    body = {"createBackup": {"name": image_name, "backup_type": backup_type, "rotation": NOVA_KEEP_ALL}}

    def made():
        # Nova registers the image before it answers: if the answer was lost, the image is there.
        found = [i for i in _backups_of(conn, server, name=image_name) if i.get("status") != "deleted"]
        return {"image_id": found[0]["id"]} if found else None

    resp = _request(
        conn.compute, "POST", f"/servers/{server['id']}/action", json=body, before_retry=_here(made)
    )
    return (resp if isinstance(resp, dict) else resp.json())["image_id"]


def _wait_images(conn, ids, timeout, poll=0.5):
    """
    Poll the new images (one list call per ``ID_FILTER_CHUNK`` ids per tick) until each is
    ``active`` or has failed. Returns ``{id: status}``; ``gone`` when Nova removed the image
    after a failed snapshot, the last status when the deadline passed.
    """
    pending, final = set(ids), {}
    deadline = time.monotonic() + timeout
    last_status = {}
    while pending:
        chunks = [sorted(pending)[i : i + ID_FILTER_CHUNK] for i in range(0, len(pending), ID_FILTER_CHUNK)]
        seen = {}
        for chunk in chunks:
            for image in _list_images(conn, id="in:" + ",".join(chunk)):
                seen[image["id"]] = image["status"]
        for image_id in list(pending):
            status = seen.get(image_id, "gone")
            last_status[image_id] = status
            if status in ("active", "killed", "deleted", "gone", "deactivated"):
                final[image_id] = status
                pending.discard(image_id)
        if pending and time.monotonic() >= deadline:
            for image_id in pending:
                final[image_id] = f"still {last_status.get(image_id)} after {timeout}s"
            break
        if pending:
            time.sleep(poll)
    return final


def _delete_image(conn, image):
    try:
        # 409 (protected image, image in use) is final: only 503 is worth retrying.
        _request(conn.image, "DELETE", f"/images/{image['id']}", retry_statuses=(503,))
        return None
    except openstack.exceptions.NotFoundException:
        return None  # already gone: the wanted end state
    except Exception as exc:  # noqa: BLE001 - reported per image, never swallowed
        return _error(exc)


def _pool_map(func, items, concurrency):
    if len(items) <= 1 or concurrency <= 1:
        return [func(item) for item in items]
    # Each task runs in a copy of the caller's context: Salt's dunders are context variables.
    contexts = [contextvars.copy_context() for _ in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return list(pool.map(lambda ctx, item: ctx.run(func, item), contexts, items))


def _run(
    conn,
    servers,
    name,
    backup_type,
    rotation,
    retention,
    quiesce,
    wait_timeout,
    concurrency,
    single=False,
    test=False,
):
    """
    One backup run over ``servers``: check each, then the three phases that
    ``summary.phase_seconds`` times: create (createBackup), wait (until the images are active)
    and rotate (delete what the policy no longer keeps). One server's failure never stops the
    others; its row says why. With ``test`` nothing is created or deleted: only the rotation is
    planned, counting the backup the run would take.
    """
    started = time.monotonic()
    stamp_name = backup_name(name, backup_type)
    reports = {s["id"]: _new_report(s) for s in servers}
    ready = _ready_servers(conn, servers, quiesce, reports)
    new_ids = {}
    phases = {}
    if not test:
        new_ids = _phase_create(conn, ready, stamp_name, backup_type, concurrency, reports)
        _fire({"phase": "created", "servers": len(servers), "created": len(new_ids)})
        phases["create"] = round(time.monotonic() - started, 2)
        _phase_wait(conn, new_ids, stamp_name, wait_timeout, reports)
        phases["wait"] = round(time.monotonic() - started - phases["create"], 2)
    policy = {"name": name, "rotation": rotation, "retention": retention, "backup_type": backup_type}
    _phase_rotate(conn, ready, new_ids, stamp_name, policy, concurrency, single, test, reports)
    rows = list(reports.values())
    summary = _summary(rows, started)
    if phases:
        # Where the time went: createBackup calls, waiting for Nova's snapshots, rotation.
        phases["rotate"] = round(summary["seconds"] - phases["create"] - phases["wait"], 2)
        summary["phase_seconds"] = phases
    if not test:
        _fire(dict(summary, final=True, name=name))
    return {
        "result": not summary["failed_servers"],
        "name": name,
        "backup_type": backup_type,
        "image_name": stamp_name,
        "servers": rows,
        "summary": summary,
    }


def _new_report(server):
    """A server's row of the run's report, before anything happened."""
    return {
        "server": {"id": server["id"], "name": server.get("name")},
        "created": None,
        "kept": [],
        "deleted": [],
        "delete_failed": [],
        "skipped": [],
        "error": None,
    }


def _ready_servers(conn, servers, quiesce, reports):
    """The servers that can be backed up now (see :func:`_precheck`); the others' rows get the
    reason as their error. With ``quiesce`` each ready row records the quiesce mode."""
    image_cache = {}
    ready = []
    for server in servers:
        why, mode = _precheck(conn, server, quiesce, image_cache)
        if why:
            reports[server["id"]]["error"] = f"server {server.get('name')} ({server['id']}) {why}"
        else:
            if quiesce:
                reports[server["id"]]["quiesce"] = mode
            ready.append(server)
    return ready


def _phase_create(conn, ready, stamp_name, backup_type, concurrency, reports):
    """Phase create: createBackup for every ready server, ``concurrency`` at a time. Returns
    ``{server id: new image id}``; a server whose call failed gets the error in its row."""

    def create(server):
        try:
            return server["id"], _create(conn, server, stamp_name, backup_type), None
        except Exception as exc:  # noqa: BLE001 - one server's failure never stops the others
            return server["id"], None, _error(exc)

    new_ids = {}
    for server_id, image_id, err in _pool_map(create, ready, concurrency):
        if err:
            reports[server_id]["error"] = f"createBackup failed: {err}"
        else:
            new_ids[server_id] = image_id
            reports[server_id]["created"] = {"id": image_id, "name": stamp_name, "status": "queued"}
    return new_ids


def _phase_wait(conn, new_ids, stamp_name, wait_timeout, reports):
    """Phase wait: until each new image is active or has failed (at most ``wait_timeout`` s).
    A backup that did not become active is its server's error, and protects that server's older
    backups (rotate deletes nothing for it); Glance unreachable counts as not active."""
    try:
        statuses = _wait_images(conn, list(new_ids.values()), wait_timeout) if new_ids else {}
    except Exception as exc:  # noqa: BLE001 - Glance unreachable: report, delete nothing
        statuses = {i: f"unknown ({_error(exc)})" for i in new_ids.values()}
    for server_id, image_id in new_ids.items():
        status = statuses[image_id]
        reports[server_id]["created"]["status"] = status
        if status != "active":
            reports[server_id]["error"] = (
                f"backup {stamp_name} ({image_id}) did not become active ({status}); "
                "no older backup was deleted"
            )


def _phase_rotate(conn, ready, new_ids, stamp_name, policy, concurrency, single, test, reports):
    """Phase rotate: for each server with a confirmed new backup (every ready server with
    ``test``), the backups :func:`plan_retention` no longer keeps under ``policy`` are deleted,
    ``concurrency`` at a time; with ``test`` they are only listed as ``deleted``. A failed
    listing deletes nothing; a failed delete is reported and retried by the next run."""
    confirmed = [s for s in ready if test or reports[s["id"]]["created"] and not reports[s["id"]]["error"]]
    to_delete = _rotation_plans(conn, confirmed, new_ids, stamp_name, policy, single, test, reports)

    def delete(item):
        server_id, image = item
        return server_id, image, _delete_image(conn, image)

    for server_id, image, err in _pool_map(delete, to_delete, concurrency):
        if err:
            reports[server_id]["delete_failed"].append(dict(image, error=err))
        else:
            reports[server_id]["deleted"].append(image)
    for row in reports.values():
        if row["delete_failed"] and not row["error"]:
            row["error"] = (
                f"{len(row['delete_failed'])} old backup(s) could not be deleted; the next run retries"
            )


def _rotation_plans(conn, confirmed, new_ids, stamp_name, policy, single, test, reports):
    """Each confirmed server's kept and skipped backups, into its row, from one list of every
    backup (of the one server, or of all the project's servers); returns the
    ``(server id, image)`` pairs to delete (with ``test``: none, the row lists them instead)."""
    if not confirmed:
        return []
    try:
        filters = {"image_type": "backup"}
        if single:
            filters.update(instance_uuid=confirmed[0]["id"], owner=confirmed[0].get("tenant_id"))
        by_server = {}
        for image in _list_images(conn, **filters):
            by_server.setdefault(image.get("instance_uuid"), []).append(image)
    except Exception as exc:  # noqa: BLE001 - reported per server, nothing deleted
        listing_error = _error(exc)
        for server in confirmed:
            reports[server["id"]]["error"] = f"listing backups failed, nothing deleted: {listing_error}"
        return []
    to_delete = []
    for server in confirmed:
        report = reports[server["id"]]
        images = _owned(by_server.get(server["id"], []), server)
        if not test:
            protect = (new_ids[server["id"]],)
        else:
            # The plan counts the backup the run would take as the newest active one.
            images.append({"id": "(new)", "name": stamp_name, "status": "active", "created_at": "9999"})
            protect = ("(new)",)
        plan = plan_retention(
            images,
            policy["name"],
            policy["rotation"],
            policy["retention"],
            policy["backup_type"],
            protect=protect,
        )
        report["kept"] = plan["keep"]
        report["skipped"] = plan["skipped"]
        if test:
            report["deleted"] = plan["delete"]
        else:
            to_delete.extend((server["id"], image) for image in plan["delete"])
    return to_delete


def _summary(rows, started):
    """The run's counts over every server's row, and its duration in seconds."""
    return {
        "servers": len(rows),
        "created": sum(1 for r in rows if r["created"] and r["created"]["status"] == "active"),
        "kept": sum(len(r["kept"]) for r in rows),
        "deleted": sum(len(r["deleted"]) for r in rows),
        "delete_failed": sum(len(r["delete_failed"]) for r in rows),
        "failed_servers": sum(1 for r in rows if r["error"]),
        "seconds": round(time.monotonic() - started, 2),
    }


def _retcode(report):
    if not report["result"]:
        # Scheduled jobs and salt-call report the failure through the return code.
        __context__["retcode"] = 1
    return report


def backup(
    server,
    name,
    backup_type="daily",
    rotation=None,
    retention=None,
    quiesce=False,
    wait_timeout=600,
    concurrency=8,
    cloud=None,
):
    """
    Back up one server with Nova's createBackup, wait for the image to become active, then
    apply ``rotation`` or ``retention`` to its backups called ``name``.

    server
        Server id or exact name.
    name
        Backup name: images are named ``<name>-<YYYYMMDDHHMM>-<backup_type>`` (UTC).
    backup_type
        ``daily``, ``weekly``... (letters, digits, ``_``): the image's ``backup_type``.
    rotation
        Keep the N newest backups of this ``backup_type`` (N >= 1; 0 is refused: Nova would
        delete every backup, the new one included).
    retention
        Instead of rotation: ``{daily: D, weekly: W, monthly: M, last: L}`` over every backup
        called ``name``, whatever its type.
    quiesce
        Require that the server's image has the guest agent (``hw_qemu_guest_agent=yes``) so
        Nova quiesces the file systems during the snapshot.
    wait_timeout
        Seconds to wait for the new image to become active (no deletion before it is).
    cloud
        openstacksdk cloud name.

    Returns the server's report: ``created``, ``kept`` (with reasons), ``deleted``,
    ``delete_failed``, ``skipped`` (backups not active, left alone), ``error``, and ``result``.

    CLI Example:

    .. code-block:: bash

        salt-call instance_backup.backup web1 web1 weekly rotation=4
        salt-call instance_backup.backup web1 nightly retention='{daily: 7, weekly: 4, monthly: 6}'
    """
    _check(name, backup_type, rotation, retention, quiesce)
    conn = _conn(cloud)
    target = _get_server(conn, server)
    report = _run(
        conn,
        [target],
        name,
        backup_type,
        rotation,
        retention,
        quiesce,
        wait_timeout,
        concurrency,
        single=True,
    )
    row = report["servers"][0]
    return _retcode(
        dict(row, result=report["result"], image_name=report["image_name"], summary=report["summary"])
    )


def backup_many(
    name,
    servers=None,
    tags=None,
    metadata=None,
    backup_type="daily",
    rotation=None,
    retention=None,
    quiesce=False,
    wait_timeout=900,
    concurrency=8,
    test=False,
    cloud=None,
):
    """
    Back up a set of servers in one run: one server list, concurrent createBackup calls, one
    image list per poll tick while waiting, one list of every backup, then the deletes
    (concurrently). One server's failure never stops the others; the run fails (``result``
    False, return code 1) when any server failed or any delete failed.

    servers
        Server names or ids.
    tags
        Nova server tags: every server carrying any of them.
    metadata
        Server metadata: every server whose metadata has all these key/values.
    test
        Take nothing and delete nothing: report which servers would be backed up and what
        each one's retention would keep and delete right now.

    The other arguments are those of :func:`backup`. Progress events go to
    ``salt/stacksalt/instance_backup/progress``.

    CLI Example:

    .. code-block:: bash

        salt-call instance_backup.backup_many nightly tags='[backup]' retention='{daily: 7, weekly: 4}'
        salt-call instance_backup.backup_many nightly servers='[web1, db1]' rotation=3 test=True
    """
    _check(name, backup_type, rotation, retention, quiesce)
    if not (servers or tags or metadata):
        raise SaltInvocationError("servers/tags/metadata: select at least one server")
    if servers is not None and not isinstance(servers, list):
        raise SaltInvocationError(f"servers: must be a list of names or ids, got {servers!r}")
    if tags is not None and not isinstance(tags, list):
        raise SaltInvocationError(f"tags: must be a list of server tags, got {tags!r}")
    if metadata is not None and not isinstance(metadata, dict):
        raise SaltInvocationError(f"metadata: must be a mapping of key: value, got {metadata!r}")
    conn = _conn(cloud)
    selected, errors = match_servers(_list_servers(conn), servers, tags, metadata)
    report = _run(
        conn, selected, name, backup_type, rotation, retention, quiesce, wait_timeout, concurrency, test=test
    )
    if errors:
        report["result"] = False
        report["errors"] = errors
    return report if test else _retcode(report)


def list_(server, name=None, cloud=None):
    """
    The backups of a server (newest first): ``id``, ``name``, ``backup_type``, ``taken_at``
    (from the name, UTC), ``status``, ``size``, ``created_at``. With ``name`` only the
    backups called ``name``.

    CLI Example:

    .. code-block:: bash

        salt-call instance_backup.list web1
        salt-call instance_backup.list web1 name=nightly
    """
    conn = _conn(cloud)
    target = _get_server(conn, server)
    rows = []
    for image in _backups_of(conn, target):
        taken = None
        if name:
            parsed = parse_backup_name(image.get("name"), name)
            if parsed is None:
                continue
            taken = parsed[0]
        else:
            taken = _stamp_of(image)
        rows.append(
            {
                "id": image["id"],
                "name": image.get("name"),
                "backup_type": image.get("backup_type"),
                "taken_at": taken.strftime("%Y-%m-%dT%H:%MZ") if taken else None,
                "status": image.get("status"),
                "size": image.get("size"),
                "created_at": image.get("created_at"),
            }
        )
    rows.sort(key=lambda r: (r["taken_at"] or "", r["created_at"] or "", r["id"]), reverse=True)
    return rows


def _stamp_of(image):
    """When a backup was taken, from the stamp in its name (``<name>-<YYYYmmddHHMM>-<type>``)."""
    match = re.match(r"^.+-(\d{12})-[A-Za-z0-9_]+$", image.get("name") or "")
    if not match:
        return None
    try:
        return datetime.datetime.strptime(match[1], STAMP_FORMAT).replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


def newest_first_key(image):
    """
    The order of a server's backups, newest first when sorted in reverse: the time in the name,
    then ``created_at`` (Glance keeps it to the second: two backups of one second tie there),
    then the id. ``list`` and ``restore ... latest`` use the same order.
    """
    taken = _stamp_of(image)
    return (taken.strftime(STAMP_FORMAT) if taken else "", image.get("created_at") or "", image["id"])


def _resolve_backup(conn, server, ref):
    backups = _backups_of(conn, server)
    active = [b for b in backups if b.get("status") == "active"]
    if ref == "latest":
        if not active:
            raise CommandExecutionError(f"server {server['name']} has no active backup to restore")
        return max(active, key=newest_first_key)
    found = [b for b in backups if ref in (b["id"], b.get("name"))]
    if not found:
        # Not one of this server's backups: say what it is, if anything.
        try:
            other = _request(conn.image, "GET", f"/images/{ref}").json() if UUID_RE.match(ref) else None
        except openstack.exceptions.NotFoundException:
            other = None
        if other is not None and other.get("instance_uuid") == server["id"]:
            raise CommandExecutionError(
                f"image {ref} names server {server['name']} ({server['id']}) but is owned by project "
                f"{other.get('owner')!r}, not the server's project {server.get('tenant_id')!r}: "
                "not one of its backups, so it is not restored"
            )
        if other is not None:
            raise CommandExecutionError(
                f"image {ref} is not a backup of server {server['name']} ({server['id']}): its "
                f"instance_uuid is {other.get('instance_uuid')!r}; restore only rebuilds a server "
                "from its own backups (boot a new server from another server's image instead)"
            )
        raise CommandExecutionError(
            f"server {server['name']} has no backup {ref!r} (see instance_backup.list)"
        )
    if len(found) > 1:
        raise CommandExecutionError(f"{len(found)} backups are named {ref!r}: pass the image id")
    image = found[0]
    if image.get("status") != "active":
        raise CommandExecutionError(
            f"backup {ref} is {image.get('status')}, not active: it cannot be restored"
        )
    return image


def restore(server, backup, wait_timeout=600, poll=0.5, cloud=None):
    """
    Restore a server in place from one of its backups: rebuild it from the backup image
    (same id, addresses, flavor) and wait until it is ``ACTIVE`` on that image.

    server
        Server id or exact name.
    backup
        The backup's image id or name, or ``latest`` (the newest active backup).
    wait_timeout
        Seconds to wait for the rebuild to finish.

    Everything is checked before the rebuild (the backup is this server's, and active).
    The server's disk is replaced by the backup's content.

    CLI Example:

    .. code-block:: bash

        salt-call instance_backup.restore web1 latest
        salt-call instance_backup.restore web1 web1-202611250200-daily
    """
    if not backup or not isinstance(backup, str):
        raise SaltInvocationError("backup: an image id, an image name or 'latest' is required")
    conn = _conn(cloud)
    target = _get_server(conn, server)
    if is_volume_backed(target):
        raise CommandExecutionError(
            f"server {target['name']} boots from a volume: it has no createBackup backups; "
            "restore its volumes from Cinder backups"
        )
    image = _resolve_backup(conn, target, backup)
    started = time.monotonic()
    previous = (target.get("image") or {}).get("id")
    _request(
        conn.compute, "POST", f"/servers/{target['id']}/action", json={"rebuild": {"imageRef": image["id"]}}
    )
    deadline = started + wait_timeout
    while True:
        current = _request(conn.compute, "GET", f"/servers/{target['id']}").json()["server"]
        task = current.get("OS-EXT-STS:task_state")
        if current.get("status") == "ERROR":
            fault = (current.get("fault") or {}).get("message", "no fault recorded")
            raise CommandExecutionError(
                f"rebuild of {target['name']} from {image['name']} failed: server is ERROR ({fault})"
            )
        if (
            current.get("status") == "ACTIVE"
            and task is None
            and (current.get("image") or {}).get("id") == image["id"]
        ):
            break
        if time.monotonic() >= deadline:
            raise CommandExecutionError(
                f"rebuild of {target['name']} from {image['name']} not finished after {wait_timeout}s "
                f"(status {current.get('status')}, task {task})"
            )
        time.sleep(poll)
    return {
        "server": {"id": target["id"], "name": target.get("name")},
        "restored_from": {"id": image["id"], "name": image.get("name")},
        "previous_image": previous,
        "status": current.get("status"),
        "seconds": round(time.monotonic() - started, 2),
    }
