"""
State that stops a run before any change when a formula's pillar is invalid.

Every formula includes its ``validate.sls``, which holds one ``pillar_schema.validated``
state with ``order: 1`` and ``failhard: True``; the formula's other states require it.

.. code-block:: yaml

    salt-pillar-schema-validated:
      pillar_schema.validated:
        - name: salt
        - order: 1
        - failhard: True
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "pillar_schema"


def __virtual__():
    # Checked here rather than through __salt__, which salt-ssh has not filled at this point.
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        return (False, "pillar_schema: the jsonschema Python library is not installed")
    return __virtualname__


def validated(name, schema=None, data=None, saltenv="base"):
    """
    Check pillar ``name`` against ``salt://<name>/schema.yaml``.

    Never changes anything, so ``test=True`` gives the same answer as a real run:
    ``result: True`` when valid, ``result: False`` with every problem listed otherwise.

    name
        The formula, which is also its pillar key (``salt``, ``ironic``, ``ceph``).
    schema
        The parsed schema (default: read ``salt://<name>/schema.yaml``).
    data
        The pillar data to check (default: this minion's pillar key ``name``).
    """
    ret = {"name": name, "result": False, "changes": {}, "comment": ""}
    try:
        errors = __salt__["pillar_schema.validate"](name, data=data, schema_data=schema, saltenv=saltenv)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret["comment"] = f"Pillar '{name}' could not be validated: {exc}"
        return ret
    if errors:
        ret["comment"] = (
            f"Pillar '{name}' is invalid ({len(errors)} problem(s)); nothing was changed:\n"
            + "\n".join(f"  - {e}" for e in errors)
        )
        return ret
    ret["result"] = True
    ret["comment"] = f"Pillar '{name}' matches the schema of formula '{name}'"
    return ret
