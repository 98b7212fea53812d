"""
The one secret rule and the one mask of stacksalt (synced as a util, imported by path in tests).

Every module, state and util that prints data asks this module which keys are secret and
what to print instead:

``MASK``
    ``**********``: what stacksalt prints for a secret, the same string Salt 3008 prints for
    masked pillar (``salt.utils.secret.REDACT_PLACEHOLDER``).

``SERVICE_MASKS``
    What OpenStack services return in place of a secret they store (Ironic's ``******``). A
    live value equal to one of these is the service hiding a value, never a value to compare.

``is_secret_key(key)``
    True for keys such as ``ipmi_password``, ``snmp_auth_key``, ``ipmi_hex_kg_key``,
    ``snmp_community``, ``node_secrets``, cephx ``key``/``keys``, ``ssh_key_contents``.

``mask(data)``
    A deep copy with the values of secret keys replaced by ``MASK``, and the password of any
    URL userinfo (``https://user:pass@bmc``) too.

``mask_url(value)`` / ``url_has_secret(value)``
    The URL with the userinfo password masked / whether a string carries one.

``mask_text(text)``
    Free text (a logged request body, an error message) with JSON or ``key=value`` secrets and
    URL passwords masked, for logging filters.

``is_secret(key, value)`` / ``mask_value(value)``
    True when the value must not be printed: a secret key, or a URL carrying a password /
    ``MASK`` for a set value (a cephx key), the value itself when unset.

Loader modules reach it as ``__utils__["stacksalt_secrets.mask"](data)``; utils load the file
by path (one util cannot import another by name). The effect shows in any state, e.g.:

.. code-block:: bash

    salt-call state.apply ironic.nodes test=True   # driver_info secrets print as **********
"""

import json
import re

__virtualname__ = "stacksalt_secrets"

MASK = "**********"
SERVICE_MASKS = frozenset({"******"})

# Key names (anywhere in pillar, state arguments, Ironic driver_info) whose values are secrets.
# `key`/`keys` alone or as a suffix (`_key`): cephx keys, IPMI Kg, SNMPv3 auth/priv keys; a
# public key or a path under such a name is masked too, which costs nothing but detail.
SECRET_KEY_RE = re.compile(
    r"(password|passwd|passphrase|secret|token|credential|private_key|key_contents|community"
    r"|(^|_)keys?$)",
    re.I,
)
# scheme://user:password@host: the password part.
_URL_PASSWORD_RE = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]*:)(?P<pw>[^\s/@'\"]+)(?=@)", re.I)
# "secret_key": "value" in JSON text, and secret_key=value in query strings or config lines.
_JSON_PAIR_RE = re.compile(r'(?P<head>"(?P<key>[^"\\]+)"\s*:\s*)"(?P<val>(?:[^"\\]|\\.)*)"')
_KV_PAIR_RE = re.compile(r"(?P<head>\b(?P<key>[A-Za-z0-9_.-]+)\s*=\s*)(?P<val>[^\s&,;'\"]+)")


def __virtual__():
    return __virtualname__


def is_secret_key(key):
    """True when a mapping key names a secret (its value must never be printed)."""
    return isinstance(key, str) and bool(SECRET_KEY_RE.search(key))


def url_has_secret(value):
    """True when ``value`` is a string holding a URL with a password in its userinfo."""
    return isinstance(value, str) and bool(_URL_PASSWORD_RE.search(value))


def mask_url(value):
    """``https://user:pass@bmc`` -> ``https://user:**********@bmc``; other values unchanged."""
    if not isinstance(value, str):
        return value
    return _URL_PASSWORD_RE.sub(lambda m: m.group("head") + MASK, value)


def is_secret(key, value):
    """True when ``value`` under ``key`` must not be printed as it is."""
    return (is_secret_key(key) and value not in (None, "")) or url_has_secret(value)


def _is_secret_patch(op):
    # A JSON patch operation (Ironic's PATCH body) names its key in `path`, not as a key.
    path = op.get("path")
    return isinstance(path, str) and "value" in op and is_secret_key(path.rstrip("/").rsplit("/", 1)[-1])


def mask(data):
    """
    Return a deep copy of ``data`` with every secret value replaced by ``MASK`` (JSON patch
    operations included: ``{"op": "add", "path": "/driver_info/ipmi_password", "value": ...}``).
    """
    if isinstance(data, dict):
        if _is_secret_patch(data):
            return dict(
                data, value=mask_value(data["value"]) if not isinstance(data["value"], dict) else MASK
            )
        return {k: (MASK if is_secret_key(k) and v not in (None, "") else mask(v)) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [mask(v) for v in data]
    return mask_url(data)


def mask_value(value):
    """``MASK`` for a set value, the value itself when unset (None or empty)."""
    return value if value in (None, "") else MASK


def is_service_mask(value):
    """True when ``value`` is what a service returns in place of a secret it stores."""
    return isinstance(value, str) and value in SERVICE_MASKS


def mask_text(text):
    """
    Mask secrets in free text: a JSON document (parsed, masked, dumped), else JSON-looking
    ``"key": "value"`` pairs, ``key=value`` pairs and URL passwords found by pattern.
    """
    if not isinstance(text, str) or not text:
        return text
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.dumps(mask(json.loads(stripped)))
        except ValueError:
            pass

    def pair(m):
        return m.group("head") + ('"' + MASK + '"' if m.group(0).endswith('"') else MASK)

    text = _JSON_PAIR_RE.sub(lambda m: pair(m) if is_secret_key(m.group("key")) else m.group(0), text)
    text = _KV_PAIR_RE.sub(
        lambda m: m.group("head") + MASK if is_secret_key(m.group("key")) else m.group(0), text
    )
    return mask_url(text)
