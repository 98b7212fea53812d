"""
Self-healing on the master: a beacon saw something broken on a minion, re-apply the one
formula component that owns it on that minion only, with a flapping guard.

The reactor (``salt/reactor/heal.sls``) hands every ``stacksalt_heal_services`` and
``stacksalt_heal_files`` beacon event to :py:func:`react`. What may be healed, and by which
component, comes from the minion's pillar as the master compiles it
(``salt:minion:heal:services`` / ``salt:minion:heal:files``: ``{name: {sls: component}}``),
never from the event: a name the pillar does not declare is ignored.

The flap guard keeps a ledger on the master (``<cachedir>/stacksalt/heal.json``, locked):
after ``max_heals`` heals of the same thing within ``window`` seconds, the next break is not
healed; ``salt/stacksalt/heal/gave_up`` is fired once and the thing is left alone for
``hold`` seconds or until ``salt-run stacksalt_heal.reset``. Every heal fires
``salt/stacksalt/heal/result`` (what was broken, what was done, state ids changed/failed,
the job id). Settings: master config ``stacksalt_heal`` (written by ``salt.master``).

A beacon event proves nothing about its sender: beacons use the ``events`` form of
``_minion_event``, whose data and tag are the sender's own claim (only the tag/data form carries
the id the master authenticated). So before acting, the runner asks the *named* minion itself,
over its own authenticated channel, whether the thing is broken: ``service.status`` for a
service, a ``test=True`` run of the owning component for a file (which changes nothing). Only a
confirmed break is healed; an unconfirmed one fires ``salt/stacksalt/heal/unconfirmed`` and,
like a heal that found nothing to do, counts towards the flap limit, so a flood of events about
one thing is cut off after ``max_heals`` checks within ``window`` (then held, answered from the
ledger without asking any minion).
"""

import fcntl
import json
import logging
import os
import re
import time

import salt.client
import salt.pillar
import salt.utils.event
import salt.utils.minions

log = logging.getLogger(__name__)

__virtualname__ = "stacksalt_heal"

DEFAULTS = {
    "max_heals": 3,
    "window": 600,
    "hold": 1800,
    "timeout": 300,
    "confirm_timeout": 60,
    "enabled": True,
}
SERVICES_BEACON = "stacksalt_heal_services"
FILES_BEACON = "stacksalt_heal_files"
TAG_PREFIX = "salt/stacksalt/heal"
MINION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")


def __virtual__():
    return __virtualname__


# ---------------------------------------------------------------- pure logic (unit tested)
def parse_event(tag, data):
    """
    Turn a heal beacon event into ``(minion, kind, name)``, or None when it reports nothing
    broken (a running service) or is not a heal beacon event.

    ``kind`` is ``service`` or ``file``; ``name`` the unit name or the file's path.
    """
    parts = (tag or "").split("/", 4)
    if len(parts) < 4 or parts[:2] != ["salt", "beacon"] or not MINION_ID_RE.match(parts[2]):
        return None
    minion, beacon = parts[2], parts[3]
    data = data or {}
    if beacon == SERVICES_BEACON:
        name = data.get("service_name")
        status = data.get(name) if isinstance(name, str) else None
        if not isinstance(status, dict) or status.get("running") is not False:
            return None
        return minion, "service", name
    if beacon == FILES_BEACON:
        path = data.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            return None
        return minion, "file", path
    return None


def owner(heal_pillar, kind, name):
    """The component (SLS) the minion's pillar names as owner of ``name``, or None."""
    section = (heal_pillar or {}).get("services" if kind == "service" else "files") or {}
    entry = section.get(name)
    if isinstance(entry, dict) and isinstance(entry.get("sls"), str):
        return entry["sls"]
    return None


def decide(entry, now, settings):
    """
    Decide what to do with a new break of one thing, given its ledger ``entry``.

    Returns ``(verdict, entry)`` with verdict one of ``heal`` (go; the entry is marked in
    flight), ``busy`` (a heal of it is running), ``held`` (given up earlier, still on hold)
    or ``give_up`` (too many heals in the window: stop and alert once).
    """
    entry = {
        "heals": [t for t in entry.get("heals", []) if now - t < settings["window"]],
        "in_flight": entry.get("in_flight"),
        "gave_up": entry.get("gave_up"),
    }
    if entry["gave_up"] is not None:
        if now - entry["gave_up"] < settings["hold"]:
            return "held", entry
        entry["gave_up"], entry["heals"] = None, []
    if entry["in_flight"] is not None and now - entry["in_flight"] < settings["timeout"]:
        return "busy", entry
    if len(entry["heals"]) >= settings["max_heals"]:
        entry["gave_up"], entry["in_flight"] = now, None
        return "give_up", entry
    entry["in_flight"] = now
    return "heal", entry


def finish(entry, now):
    """Close a heal in the ledger: every heal counts, one that changed nothing or was not
    confirmed by the minion included (a flood of events must run out of heals)."""
    entry = dict(entry, in_flight=None)
    entry["heals"] = [*entry.get("heals", []), now]
    return entry


def confirmed(kind, answer):
    """
    Whether the named minion's own answer confirms the break: for a service, the return of
    ``service.status`` (False: not running); for a file, the return of a ``test=True`` run of
    its component (some state would change). No answer confirms nothing.
    """
    if kind == "service":
        return answer is False
    if not isinstance(answer, dict):
        return False
    return any(isinstance(r, dict) and (r.get("result") is None or r.get("changes")) for r in answer.values())


def summarize(states):
    """State ids that changed and that failed, from a state.apply return (no diffs, no values)."""
    if not isinstance(states, dict):
        return [], [str(states)[:200]]
    changed, failed = [], []
    for key, ret in states.items():
        if not isinstance(ret, dict):
            failed.append(str(key))
            continue
        state_id = ret.get("__id__") or key
        if ret.get("result") is False:
            failed.append(state_id)
        elif ret.get("changes"):
            changed.append(state_id)
    return sorted(changed), sorted(failed)


# ---------------------------------------------------------------- master side
def _settings():
    return {**DEFAULTS, **(__opts__.get("stacksalt_heal") or {})}


def _ledger_path():
    return os.path.join(__opts__["cachedir"], "stacksalt", "heal.json")


class _Ledger:
    """The flap ledger, locked for its whole use (flock: excludes other processes and threads)."""

    def __enter__(self):
        path = _ledger_path()
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        self._lock = open(path + ".lock", "a")  # noqa: SIM115 - held until __exit__
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            with open(path) as fh:
                self.data = json.load(fh)
        except (OSError, ValueError):
            self.data = {}
        return self

    def save(self):
        path = _ledger_path()
        with open(path + ".new", "w") as fh:
            json.dump(self.data, fh, sort_keys=True)
        os.replace(path + ".new", path)

    def __exit__(self, *exc):
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()


def _key(minion, kind, name):
    return f"{minion}|{kind}|{name}"


def _fire(suffix, data):
    with salt.utils.event.get_master_event(__opts__, __opts__["sock_dir"], listen=False) as event:
        event.fire_event(data, f"{TAG_PREFIX}/{suffix}")


def _heal_pillar(minion):
    """salt:minion:heal from the minion's pillar, compiled here on the master."""
    minion_id, grains, _ = salt.utils.minions.get_minion_data(minion, __opts__)
    pillar = salt.pillar.Pillar(__opts__, grains or {"id": minion}, minion_id or minion, "base")
    compiled = pillar.compile_pillar()
    return ((compiled.get("salt") or {}).get("minion") or {}).get("heal") or {}


def react(tag, data):
    """
    Handle one heal beacon event (called by the reactor, ``salt/reactor/heal.sls``).

    Returns what was decided: ``ignored``, ``busy``, ``held``, ``gave_up``, ``unconfirmed``
    (the named minion does not confirm the break), ``healed`` or ``failed``.

    CLI Example:

    .. code-block:: bash

        salt-run stacksalt_heal.react salt/beacon/ironic1/stacksalt_heal_services/ironic-conductor \\
            '{"service_name": "ironic-conductor", "ironic-conductor": {"running": false}}'
    """
    settings = _settings()
    parsed = parse_event(tag, data)
    if parsed is None:
        return {"verdict": "ignored", "reason": "nothing broken in this event"}
    minion, kind, name = parsed
    if not settings["enabled"]:
        return {"verdict": "ignored", "reason": "healing is disabled (stacksalt_heal:enabled)"}
    key = _key(minion, kind, name)
    # a thing given up on (or being healed) keeps reporting every interval: answer from the
    # ledger without compiling the minion's pillar each time
    with _Ledger() as ledger:
        early, _ = decide(ledger.data.get(key, {}), time.time(), settings)
    if early in ("busy", "held"):
        return {"verdict": early, "minion": minion, "kind": kind, "name": name}
    component = owner(_heal_pillar(minion), kind, name)
    if component is None:
        log.debug("stacksalt_heal: %s %s on %s is not declared in its pillar: ignored", kind, name, minion)
        return {
            "verdict": "ignored",
            "reason": f"{kind} {name} is not declared in salt:minion:heal of {minion}",
        }
    with _Ledger() as ledger:
        verdict, entry = decide(ledger.data.get(key, {}), time.time(), settings)
        ledger.data[key] = entry
        ledger.save()
    broken = (
        f"service {name} is not running"
        if kind == "service"
        else f"managed file {name} changed ({(data or {}).get('change', 'change')})"
    )
    about = {"minion": minion, "kind": kind, "name": name, "component": component, "broken": broken}
    if verdict in ("busy", "held"):
        return {"verdict": verdict, **about}
    if verdict == "give_up":
        alert = {
            **about,
            "heals": len(entry["heals"]),
            "window": settings["window"],
            "hold": settings["hold"],
            "done": (
                f"stopped healing after {len(entry['heals'])} heals in {settings['window']} s; "
                f"held for {settings['hold']} s or until `salt-run stacksalt_heal.reset {minion}`"
            ),
        }
        log.warning("stacksalt_heal: giving up on %s %s on %s", kind, name, minion)
        _fire("gave_up", alert)
        return {"verdict": "gave_up", **alert}
    answer = _ask(about, settings)
    if not confirmed(kind, answer):
        return _unconfirmed(about, answer)
    return _heal(about, settings, data)


def _ask(about, settings):
    """The named minion's own view of the thing, over its authenticated channel (None: no answer)."""
    minion, kind = about["minion"], about["kind"]
    if kind == "service":
        fun, args, kwarg = "service.status", [about["name"]], {}
    else:
        fun, args, kwarg = "state.apply", [about["component"]], {"test": True, "queue": True}
    client = salt.client.get_local_client(__opts__["conf_file"])
    try:
        returns = client.cmd(minion, fun, args, kwarg=kwarg, timeout=settings["confirm_timeout"])
    except Exception as exc:  # noqa: BLE001 - no answer confirms nothing
        log.warning("stacksalt_heal: could not ask %s about %s: %s", minion, about["name"], exc)
        return None
    finally:
        client.destroy()
    return returns.get(minion)


def _unconfirmed(about, answer):
    """The named minion does not confirm the break: nothing runs there; the check counts."""
    with _Ledger() as ledger:
        key = _key(about["minion"], about["kind"], about["name"])
        entry = finish(ledger.data.get(key, {}), time.time())
        ledger.data[key] = entry
        ledger.save()
    result = {
        **about,
        "done": "nothing: the minion itself does not confirm the break",
        "answer": "no answer" if answer is None else ("running" if answer is True else "no pending change"),
        "heals": len(entry["heals"]),
    }
    log.info(
        "stacksalt_heal: %s %s on %s not confirmed by the minion: not healed",
        about["kind"],
        about["name"],
        about["minion"],
    )
    _fire("unconfirmed", result)
    return {"verdict": "unconfirmed", **result}


def _heal(about, settings, data):
    started = time.time()
    minion, component = about["minion"], about["component"]
    jid, states, error = None, None, None
    client = salt.client.get_local_client(__opts__["conf_file"])
    try:
        # queue: a heal waits for a state run already going on the minion instead of failing
        returns = client.cmd(
            minion,
            "state.apply",
            [component],
            kwarg={"queue": True},
            timeout=settings["timeout"],
            full_return=True,
        )
        if minion in returns:
            jid, states = returns[minion].get("jid"), returns[minion].get("ret")
        else:
            error = f"no return from {minion} within {settings['timeout']} s (not connected?)"
    except Exception as exc:  # noqa: BLE001 - reported in the result event, the ledger is closed
        error = f"{type(exc).__name__}: {exc}"
    finally:
        client.destroy()
    changed, failed = summarize(states) if error is None else ([], [])
    ok = error is None and not failed
    with _Ledger() as ledger:
        key = _key(minion, about["kind"], about["name"])
        entry = finish(ledger.data.get(key, {}), time.time())
        ledger.data[key] = entry
        ledger.save()
    detected = (data or {}).get("_stamp")
    result = {
        **about,
        "done": f"state.apply {component} queue=True on {minion}",
        "result": ok,
        "changed": changed,
        "failed": failed,
        "error": error,
        "jid": jid,
        "seconds": round(time.time() - started, 2),
        "detected": detected,
        "heals": len(entry["heals"]),
        "max_heals": settings["max_heals"],
    }
    _fire("result", result)
    return {"verdict": "healed" if ok else "failed", **result}


def status(minion=None):
    """
    The flap ledger: per healed thing, recent heal times, whether a heal is running and
    whether healing gave up on it.

    CLI Example:

    .. code-block:: bash

        salt-run stacksalt_heal.status
        salt-run stacksalt_heal.status ironic1
    """
    with _Ledger() as ledger:
        data = dict(ledger.data)
    return {key: value for key, value in data.items() if minion is None or key.split("|")[0] == minion}


def reset(minion=None, name=None):
    """
    Forget heal history (and a give-up) so healing resumes; all, one minion, or one thing.

    CLI Example:

    .. code-block:: bash

        salt-run stacksalt_heal.reset ironic1
        salt-run stacksalt_heal.reset ironic1 ironic-conductor
    """
    with _Ledger() as ledger:
        removed = [
            key
            for key in ledger.data
            if (minion is None or key.split("|")[0] == minion)
            and (name is None or key.split("|", 2)[2] == name)
        ]
        for key in removed:
            del ledger.data[key]
        ledger.save()
    return {"reset": sorted(removed)}
