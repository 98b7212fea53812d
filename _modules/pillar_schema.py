"""
Validate a formula's pillar against the JSON Schema that ships with the formula.

Each formula keeps its schema in ``salt/<formula>/schema.yaml``; the schema describes
the pillar key of the same name (``salt``, ``ironic``, ``ceph``...).

:depends: jsonschema
"""

import importlib

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "pillar_schema"


def __virtual__():
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        return (False, "pillar_schema: the jsonschema Python library is not installed")
    return __virtualname__


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _call(name, *args, **kwargs):
    # The shared logic lives in _utils/stacksalt_schema.py (synced as utils).
    return _util(f"stacksalt_schema.{name}")(*args, **kwargs)


def schema(formula, saltenv="base"):
    """
    Return the parsed schema of a formula.

    CLI Example:

    .. code-block:: bash

        salt '*' pillar_schema.schema salt
    """
    if not formula or "/" in formula or formula.startswith("."):
        raise SaltInvocationError(f"formula: '{formula}' is not a formula name")
    source = f"salt://{formula}/schema.yaml"
    text = __salt__["cp.get_file_str"](source, saltenv=saltenv)
    if not text:
        raise CommandExecutionError(f"{source} not found: formula '{formula}' ships no schema")
    try:
        return _call("load_schema", text, source=source)
    except ValueError as exc:
        raise CommandExecutionError(str(exc)) from exc


def validate(formula, data=None, schema_data=None, saltenv="base"):
    """
    Validate the pillar key ``formula`` (or ``data`` when given) against the formula's schema
    (``salt://<formula>/schema.yaml``, or ``schema_data`` when the caller already has it, as
    the formulas' validate.sls do so that salt-ssh targets need no copy of the formula).

    Returns a list of error messages, each naming the pillar key path and the reason;
    an empty list means the pillar is valid. Secret values are never printed.

    CLI Example:

    .. code-block:: bash

        salt '*' pillar_schema.validate salt
        salt '*' pillar_schema.validate ironic
    """
    if schema_data is None:
        parsed = schema(formula, saltenv=saltenv)
    else:
        try:
            parsed = _call("check_schema", _plain(schema_data), source=f"schema of {formula}")
        except ValueError as exc:
            raise CommandExecutionError(str(exc)) from exc
    if data is None:
        # __pillar__ holds plain values (pillar.get would return masked ones).
        data = __pillar__.get(formula, {})
    return _call("validate", _plain(data), parsed, root=formula)


def _plain(data):
    """Copy pillar containers (masked wrappers) into plain dicts and lists."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(v) for v in data]
    return data
