"""
The minion key policy, driven by the reactor on ``salt/auth`` events (``salt/reactor/keys.sls``).

A pending key is accepted only when the minion id is on the allow-list and the key's
fingerprint, as the master computes it (the ``salt-key -f`` form), is the one recorded for
that id: the same rule as the ``salt_key_policy`` module and state. Anything else stays
pending and raises ``salt/stacksalt/keys/alert`` (once per id and key every
``alert_every`` seconds: a pending minion retries its authentication every few seconds).
A key the master *denied* (another key for an id it already knows) raises an alert too.

An allow-listed id can be claimed by anyone: a key under it with the wrong fingerprint must not
block the real host. So such a pending key is deleted at once (with an alert), never left
pending: the master denies any other key for an id while one is pending. And when the master
did deny a key whose fingerprint is the recorded one (the real host came while an impostor's key
was pending), the impostor's key is deleted and the real one accepted from the denial itself;
the real minion retries (``rejected_retry``, set by salt.minion) and gets in.

The allow-list is the file ``salt.master.keys`` writes from pillar
``salt:master:keys:allowed`` (``{id: fingerprint}``); its path and the alert interval come
from master config ``stacksalt_keys`` (written by ``salt.master``).
"""

import fcntl
import json
import logging
import os
import re
import time

import salt.key
import salt.utils.crypt
import salt.utils.event
import salt.utils.yaml

log = logging.getLogger(__name__)

__virtualname__ = "stacksalt_keys"

MINION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
FINGERPRINT_RE = re.compile(r"^([0-9a-f]{2}:){31}[0-9a-f]{2}$")
DEFAULTS = {"allowed_file": "/etc/salt/stacksalt/allowed-keys.yaml", "alert_every": 600}


def __virtual__():
    return __virtualname__


def decide(minion_id, fingerprint, allowed):
    """
    The policy, pure: ``("accept", why)`` or ``("pending", why)`` for a pending key.

    ``allowed`` maps minion ids to the fingerprint their key must have.
    """
    if not isinstance(minion_id, str) or not MINION_ID_RE.match(minion_id):
        return "pending", "not a plain minion id (letters, digits, '.', '_', '-')"
    if minion_id not in allowed:
        return "pending", "id not on the allow-list (salt:master:keys:allowed)"
    recorded = allowed[minion_id]
    if not isinstance(recorded, str) or not FINGERPRINT_RE.match(recorded):
        return "pending", "the recorded fingerprint is not a salt-key sha256 fingerprint"
    if fingerprint != recorded:
        return "pending", "fingerprint differs from the recorded one"
    return "accept", "id allowed and fingerprint matches"


def _settings():
    return {**DEFAULTS, **(__opts__.get("stacksalt_keys") or {})}


def _allowed(path):
    """The allow-list written by salt.master.keys; missing means nobody is allowed."""
    try:
        with open(path) as fh:
            data = salt.utils.yaml.safe_load(fh) or {}
    except FileNotFoundError:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping of minion id to fingerprint")
    return data


def _fire(suffix, data):
    with salt.utils.event.get_master_event(__opts__, __opts__["sock_dir"], listen=False) as event:
        event.fire_event(data, f"salt/stacksalt/keys/{suffix}")


def _alert_due(minion_id, fingerprint, state, every):
    """True once per (id, key, what happened to it) every ``every`` seconds; remembered in the
    master's cache dir (a key first denied, later deleted, is two things to know)."""
    path = os.path.join(__opts__["cachedir"], "stacksalt", "key-alerts.json")
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path) as fh:
                seen = json.load(fh)
        except (OSError, ValueError):
            seen = {}
        now = time.time()
        seen = {key: stamp for key, stamp in seen.items() if now - stamp < every}
        key = f"{minion_id}|{fingerprint}|{state}"
        due = key not in seen
        if due:
            seen[key] = now
        with open(path + ".new", "w") as fh:
            json.dump(seen, fh)
        os.replace(path + ".new", path)
    return due


def _alert(minion_id, fingerprint, act, why, every):
    if _alert_due(minion_id, fingerprint, act, every):
        log.warning("stacksalt_keys: key of %s left %s: %s", minion_id, act, why)
        _fire("alert", {"id": minion_id, "fingerprint": fingerprint, "state": act, "reason": why})


def _fingerprint(pub):
    return salt.utils.crypt.pem_finger(key=pub.strip().encode("utf-8"), sum_type=__opts__["hash_type"])


def _replace_impostor(keys, minion, pub, fingerprint, settings):
    """The recorded key was denied because another key is pending: swap them."""
    stored = keys.cache.fetch("keys", minion) or {}
    held = _fingerprint(stored["pub"]) if "pub" in stored else None
    if stored.get("state") != "pending" or held == fingerprint:
        return None
    keys.delete_key(match_dict={keys.PEND: [minion]})
    keys.cache.flush("denied_keys", minion)
    keys.cache.store("keys", minion, {"pub": pub.strip(), "state": "pending"})
    keys.accept(match_dict={keys.PEND: [minion]})
    why = f"deleted the pending key {held} that claimed this id, accepted the recorded key"
    log.warning("stacksalt_keys: %s: %s", minion, why)
    _alert(minion, held, "deleted", why, settings["alert_every"])
    _fire("accepted", {"id": minion, "fingerprint": fingerprint, "reason": why})
    return {"id": minion, "verdict": "accepted", "fingerprint": fingerprint, "replaced": held}


def react(minion, act, pub=None):
    """
    Apply the key policy to one ``salt/auth`` event (called by the reactor).

    ``act`` is the master's verdict in the event: ``pend`` (a pending key) is accepted,
    deleted (an allowed id with the wrong fingerprint) or left pending (an unknown id), with an
    alert for the last two; ``denied`` raises an alert, and when ``pub`` (the denied key) is the
    recorded one, replaces the pending impostor's key with it; anything else is ignored.

    CLI Example:

    .. code-block:: bash

        salt-run stacksalt_keys.react ironic1 pend
    """
    settings = _settings()
    if act not in ("pend", "denied"):
        return {"id": minion, "verdict": "ignored"}
    if not isinstance(minion, str) or not MINION_ID_RE.match(minion):
        _alert(str(minion)[:64], None, act, "not a plain minion id", settings["alert_every"])
        return {"id": minion, "verdict": "pending", "reason": "not a plain minion id"}
    keys = salt.key.get_key(__opts__)
    allowed = _allowed(settings["allowed_file"])
    if act == "denied":
        fingerprint = _fingerprint(pub) if isinstance(pub, str) and pub.strip() else None
        if fingerprint is not None and decide(minion, fingerprint, allowed)[0] == "accept":
            replaced = _replace_impostor(keys, minion, pub, fingerprint, settings)
            if replaced:
                return replaced
        why = "the master denied a key that differs from the one it holds for this id"
        _alert(minion, fingerprint, "denied", why, settings["alert_every"])
        return {"id": minion, "verdict": "denied", "reason": why}
    stored = keys.cache.fetch("keys", minion) or {}
    if stored.get("state") != "pending" or "pub" not in stored:
        return {"id": minion, "verdict": "ignored", "reason": "no pending key"}
    fingerprint = _fingerprint(stored["pub"])
    verdict, why = decide(minion, fingerprint, allowed)
    if verdict == "accept":
        keys.accept(match_dict={keys.PEND: [minion]})
        log.info("stacksalt_keys: accepted the key of %s (%s)", minion, fingerprint)
        _fire("accepted", {"id": minion, "fingerprint": fingerprint, "reason": why})
        return {"id": minion, "verdict": "accepted", "fingerprint": fingerprint}
    if minion in allowed:
        # the wrong key under an allowed id: gone at once, so the real host's key is not denied
        keys.delete_key(match_dict={keys.PEND: [minion]})
        why = f"{why}: key deleted"
        _alert(minion, fingerprint, "deleted", why, settings["alert_every"])
        return {"id": minion, "verdict": "deleted", "fingerprint": fingerprint, "reason": why}
    _alert(minion, fingerprint, "pending", why, settings["alert_every"])
    return {"id": minion, "verdict": "pending", "fingerprint": fingerprint, "reason": why}
