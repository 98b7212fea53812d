"""
Pillar validation against the JSON Schemas that ship with stacksalt's formulas.

Pure logic, shared by ``_modules/pillar_schema.py`` and ``_states/pillar_schema.py``
(synced as utils) and imported directly by the unit tests.

Error messages name the pillar key path (``salt:minion:master_port``) and the reason.
Values under secret-looking keys are never echoed back: a wrong password must not end
up in a state return, a log line or an event.
"""

import importlib.util
import ipaddress
import os
import re

import yaml

try:
    import jsonschema

    HAS_JSONSCHEMA = True
except ImportError:  # pragma: no cover - reported by the modules' __virtual__
    HAS_JSONSCHEMA = False

__virtualname__ = "stacksalt_schema"


def _load_secrets():
    # Salt loads utils under its own package name, so one util cannot import another by name:
    # the project's one secret rule is loaded from the sibling file.
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stacksalt_secrets.py")
    spec = importlib.util.spec_from_file_location("stacksalt_secrets_for_schema", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_secrets = _load_secrets()
# Keys whose values are secrets wherever they appear (masked in every message).
SECRET_KEY_RE = _secrets.SECRET_KEY_RE
MASK = _secrets.MASK
is_secret_key = _secrets.is_secret_key


def __virtual__():
    return __virtualname__


def mask_secrets(data):
    """Return a copy of ``data`` with secret values (secret keys, URL passwords) masked."""
    return _secrets.mask(data)


def load_schema(text, source="schema"):
    """Parse a schema written in YAML (or JSON) and check that it is itself a valid schema."""
    if not HAS_JSONSCHEMA:
        raise RuntimeError("the jsonschema Python library is not installed")
    try:
        schema = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: not valid YAML: {exc}") from exc
    return check_schema(schema, source)


def check_schema(schema, source="schema"):
    """Check that an already parsed ``schema`` is itself a valid JSON Schema; return it."""
    if not isinstance(schema, dict):
        raise ValueError(f"{source}: a schema must be a mapping")
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        validator_cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValueError(f"{source}: not a valid JSON Schema: {exc.message}") from exc
    return schema


def _format_checker():
    checker = jsonschema.FormatChecker()

    @checker.checks("ipv4-cidr", raises=ValueError)
    def _ipv4_cidr(value):
        if not isinstance(value, str):
            return True
        ipaddress.IPv4Network(value, strict=False)
        return True

    return checker


def _path_string(root, path):
    parts = [root] if root else []
    parts.extend(str(p) for p in path)
    return ":".join(parts) if parts else "(top level)"


def _touches_secret(error):
    """True if the failing value sits under (or is) a secret-looking key."""
    if any(is_secret_key(p) for p in error.absolute_path):
        return True
    # An error on a mapping that holds secrets (e.g. additionalProperties) would print them.
    instance = error.instance
    return isinstance(instance, dict) and any(is_secret_key(k) for k in instance)


_JSON_TYPES = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def _kind(value):
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _reason(error):
    """
    A one-line reason built from the schema, never from the value: a value that fails a
    pattern may well be a secret pasted into the wrong key (an inline private key...).
    """
    schema = error.schema
    hint = schema.get("description")
    validator = error.validator
    if "propertyNames" in error.schema_path:
        # The failing instance is a key name, which is safe (and useful) to show.
        return f"key {error.instance!r}: {hint or 'not an allowed key name'}"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        extra = [k for k in extra if not any(re.fullmatch(p, k) for p in schema.get("patternProperties", {}))]
        allowed = sorted(schema.get("properties", {}))
        return f"unknown key(s) {', '.join(map(repr, extra))}; allowed: {', '.join(allowed) or 'none'}"
    if validator == "required":
        return error.message.replace(" is a required property", " is required")
    if validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"must be of type {wanted}, got {_kind(error.instance)}"
    if validator == "enum":
        return f"must be one of: {', '.join(map(str, error.validator_value))}"
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") and not _touches_secret(
        error
    ):
        return error.message
    if validator in ("minItems", "maxItems", "minProperties", "maxProperties", "minLength", "maxLength"):
        return f"violates {validator}={error.validator_value}"
    if validator == "pattern":
        return f"does not match {hint or repr(error.validator_value)}"
    if validator == "format":
        return f"is not a valid {error.validator_value}"
    if validator in ("anyOf", "oneOf"):
        return f"matches none of the allowed forms{f' ({hint})' if hint else ''}"
    if hint:
        return hint
    return f"does not satisfy '{validator}'"


def validate(data, schema, root=""):
    """
    Validate ``data`` (the pillar subtree of one formula) against ``schema``.

    Returns a sorted list of messages ``"<key path>: <reason>"``; empty when valid.
    """
    if not HAS_JSONSCHEMA:
        raise RuntimeError("the jsonschema Python library is not installed")
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = validator_cls(schema, format_checker=_format_checker())
    messages = []
    for error in validator.iter_errors(data):
        # For anyOf/oneOf, the most specific sub-error says more than "is not valid under any".
        best = jsonschema.exceptions.best_match([error]) if error.context else error
        messages.append(f"{_path_string(root, best.absolute_path)}: {_reason(best)}")
    return sorted(set(messages))
