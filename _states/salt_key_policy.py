"""
Apply the minion key policy on the master: allow-listed ids with matching fingerprints are
accepted, every other pending key stays pending and is named in the comment.

.. code-block:: yaml

    salt-master-keys-policy-enforced:
      salt_key_policy.enforced:
        - allowed:
            ironic1: "3c:1f:..."
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "salt_key_policy"


def __virtual__():
    if "salt_key_policy.plan" not in __salt__:
        return (False, "salt_key_policy: the salt_key_policy execution module is not available")
    return __virtualname__


def enforced(name="minion-key-policy", allowed=None, config_dir="/etc/salt"):
    """
    Accept pending keys whose id is in ``allowed`` and whose fingerprint matches.

    allowed
        Mapping of minion id to the fingerprint its key must have.
    config_dir
        The master's configuration directory.
    """
    allowed = allowed or {}
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    decision = __salt__["salt_key_policy.plan"](allowed, config_dir=config_dir)
    notes = []
    if decision["unknown"]:
        notes.append(f"left pending (id not allowed): {', '.join(decision['unknown'])}")
    if decision["mismatch"]:
        notes.append(
            f"left pending (fingerprint differs from the recorded one): {', '.join(decision['mismatch'])}"
        )
    if not decision["accept"]:
        ret["comment"] = "; ".join(["No key to accept"] + notes)
        return ret
    if __opts__["test"]:
        ret["result"] = None
        ret["changes"] = {"accepted": decision["accept"]}
        ret["comment"] = "; ".join([f"Would accept {', '.join(decision['accept'])}"] + notes)
        return ret
    accepted, failed = [], []
    for minion_id in decision["accept"]:
        try:
            __salt__["salt_key_policy.accept"](minion_id, allowed[minion_id], config_dir=config_dir)
            accepted.append(minion_id)
        except (CommandExecutionError, SaltInvocationError) as exc:  # report each key, go on with the others
            failed.append(f"{minion_id}: {exc}")
    if accepted:
        ret["changes"] = {"accepted": accepted}
    if failed:
        ret["result"] = False
        notes.append("failed: " + "; ".join(failed))
    ret["comment"] = "; ".join([f"Accepted {', '.join(accepted) or 'none'}"] + notes)
    return ret
