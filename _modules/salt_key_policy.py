"""
Minion key policy for the master: accept a pending key only when the minion id is on the
allow-list and the key's fingerprint is the one recorded for it.

Runs on the master host (through its own minion or ``salt-call --local``) and drives
``salt-key`` with argument lists. Minion ids are checked against a strict pattern first,
so ``salt-key -a <id>`` can never match more than that one id.

The allow-list lives in pillar ``salt:master:keys:allowed`` as ``{minion_id: fingerprint}``;
the fingerprint is the master's view of the key (``salt-key -f <id>``). In Salt 3008.4 the
minion's ``key.finger`` hashes only the key body and differs: see docs/salt.md.
"""

import json
import re
import shutil

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "salt_key_policy"

MINION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
FINGERPRINT_RE = re.compile(r"^([0-9a-f]{2}:){31}[0-9a-f]{2}$")


def __virtual__():
    if not _salt_key_binary():
        return (False, "salt_key_policy: salt-key was not found next to this Salt or in PATH")
    return __virtualname__


def _salt_key_binary():
    import os
    import sys

    beside = os.path.join(os.path.dirname(sys.executable), "salt-key")
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("salt-key")


def _check_id(minion_id):
    if not isinstance(minion_id, str) or not MINION_ID_RE.match(minion_id):
        raise SaltInvocationError(
            f"minion id {minion_id!r} is not a plain minion id (letters, digits, '.', '_', '-')"
        )


def _salt_key(config_dir, *args, answer=True):
    """salt-key's JSON answer as a dict (``answer``: a listing; an --accept prints no JSON);
    a failure or an unreadable listing raises CommandExecutionError."""
    cmd = [_salt_key_binary(), "-c", config_dir, "--out", "json", *args]
    result = __salt__["cmd.run_all"](cmd, python_shell=False, ignore_retcode=True)
    if result["retcode"] != 0:
        raise CommandExecutionError(f"{' '.join(cmd[1:])} failed: {result['stderr'] or result['stdout']}")
    if not answer:
        return None
    try:
        return json.loads(result["stdout"] or "{}")
    except ValueError as exc:
        raise CommandExecutionError(f"{' '.join(cmd[1:])}: unreadable output ({exc})") from exc


def pending(config_dir="/etc/salt"):
    """
    List the ids of minion keys waiting for acceptance.

    CLI Example:

    .. code-block:: bash

        salt master salt_key_policy.pending
    """
    data = _salt_key(config_dir, "--list", "pre")
    return sorted(data.get("minions_pre", []))


def fingerprint(minion_id, config_dir="/etc/salt"):
    """
    Return the fingerprint of a minion's pending or accepted key (None if there is none).

    CLI Example:

    .. code-block:: bash

        salt master salt_key_policy.fingerprint ironic1
    """
    _check_id(minion_id)
    data = _salt_key(config_dir, "--finger", minion_id)
    for state in ("minions_pre", "minions", "minions_rejected", "minions_denied"):
        if minion_id in data.get(state, {}):
            return data[state][minion_id]
    return None


def accept(minion_id, expected_fingerprint, config_dir="/etc/salt"):
    """
    Accept the pending key of ``minion_id`` if its fingerprint is ``expected_fingerprint``.

    Returns True when accepted; raises when the key is missing or does not match.

    CLI Example:

    .. code-block:: bash

        salt master salt_key_policy.accept ironic1 'aa:bb:...'
    """
    _check_id(minion_id)
    if not isinstance(expected_fingerprint, str) or not FINGERPRINT_RE.match(expected_fingerprint):
        raise SaltInvocationError(f"fingerprint for {minion_id}: not a sha256 salt-key fingerprint")
    if minion_id not in pending(config_dir):
        raise CommandExecutionError(f"{minion_id}: no pending key")
    seen = fingerprint(minion_id, config_dir)
    if seen != expected_fingerprint:
        raise CommandExecutionError(
            f"{minion_id}: pending key fingerprint {seen} does not match the recorded one"
        )
    _salt_key(config_dir, "--yes", "--accept", minion_id, answer=False)
    return True


def plan(allowed, config_dir="/etc/salt"):
    """
    Decide, without changing anything, what the policy does with each pending key.

    Returns ``{"accept": [...], "mismatch": [...], "unknown": [...]}``.

    CLI Example:

    .. code-block:: bash

        salt master salt_key_policy.plan '{"ironic1": "aa:bb:..."}'
    """
    decision = {"accept": [], "mismatch": [], "unknown": []}
    for minion_id in pending(config_dir):
        if minion_id not in allowed:
            decision["unknown"].append(minion_id)
        elif fingerprint(minion_id, config_dir) == allowed[minion_id]:
            decision["accept"].append(minion_id)
        else:
            decision["mismatch"].append(minion_id)
    return decision
