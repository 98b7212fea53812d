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


# Key names are shown (they say where the problem is) only when plainly printable: a key can be
# the bad input itself (a pool named "x; touch /tmp/pwned", a newline forging a log line).
_SHOWN_KEY_RE = re.compile(r"^[A-Za-z0-9_.:@/+*?\[\]-][A-Za-z0-9_.:@/+*?\[\] -]{0,127}$")
HIDDEN_KEY = "<key not shown>"


def _shown_key(key):
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    # A secret key's name (ipmi_password) is fine to show: its value is what must not be.
    if isinstance(key, str) and _SHOWN_KEY_RE.match(key):
        return key
    return HIDDEN_KEY


def _path_string(root, path):
    parts = [root] if root else []
    parts.extend(_shown_key(p) for p in path)
    return ":".join(parts) if parts else "(top level)"


def _key_repr(key):
    shown = _shown_key(key)
    return repr(shown) if shown != HIDDEN_KEY else shown


_JSON_TYPES = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}

# Custom keyword: `x-unique-by: [name, "ports.*.address"]` on an array of mappings refuses two
# items with the same value at a field (a "*" step runs over a list), e.g. two nodes with one
# name or one MAC. JSON Schema's uniqueItems compares whole items only.
UNIQUE_BY = "x-unique-by"


def _field_values(item, steps, path=()):
    if not steps:
        yield path, item
        return
    step, rest = steps[0], steps[1:]
    if step == "*":
        if isinstance(item, list):
            for i, sub in enumerate(item):
                yield from _field_values(sub, rest, (*path, i))
    elif isinstance(item, dict) and step in item:
        yield from _field_values(item[step], rest, (*path, step))


def _unique_by(validator, fields, instance, schema):
    if not validator.is_type(instance, "array"):
        return
    for field in fields:
        seen = {}
        for i, item in enumerate(instance):
            for path, value in _field_values(item, field.split(".")):
                if not isinstance(value, str | int) or isinstance(value, bool):
                    continue
                key = value.lower() if isinstance(value, str) else value
                if key in seen and seen[key][0] != i:
                    first = ":".join(str(p) for p in seen[key])
                    # Names the other item's path, never the value.
                    yield jsonschema.ValidationError(
                        f"duplicate {field.replace('.*', '')}: the same as item {first}", path=(i, *path)
                    )
                else:
                    seen.setdefault(key, (i, *path))


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
        # The failing instance is a key name: shown when plainly printable.
        return f"key {_key_repr(error.instance)}: {hint or 'not an allowed key name'}"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        extra = [k for k in extra if not any(re.fullmatch(p, k) for p in schema.get("patternProperties", {}))]
        allowed = sorted(schema.get("properties", {}))
        return f"unknown key(s) {', '.join(map(_key_repr, extra))}; allowed: {', '.join(allowed) or 'none'}"
    if validator == "required":
        missing = error.message.replace(" is a required property", " is required")
        return f"{missing}: {hint}" if hint else missing
    if validator == UNIQUE_BY:
        return error.message
    if validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"must be of type {wanted}, got {_kind(error.instance)}"
    if validator == "enum":
        return f"must be one of: {', '.join(map(str, error.validator_value))}"
    if validator in _BOUNDS:
        # The bound, not the value: "70000 is greater than..." would echo it.
        return f"must be {_BOUNDS[validator]} {error.validator_value}"
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
    validator_cls = jsonschema.validators.extend(validator_cls, {UNIQUE_BY: _unique_by})
    validator = validator_cls(schema, format_checker=_format_checker())
    messages = []
    for error in validator.iter_errors(data):
        # For anyOf/oneOf, the most specific sub-error says more than "is not valid under any".
        best = jsonschema.exceptions.best_match([error]) if error.context else error
        messages.append(f"{_path_string(root, best.absolute_path)}: {_reason(best)}")
    return sorted(set(messages))
