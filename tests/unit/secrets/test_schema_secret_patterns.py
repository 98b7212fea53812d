"""
The schemas' secret-key patterns agree with the project's one rule (_utils/stacksalt_secrets.py):
every sample key the rule calls secret is refused by each schema's free-form option pattern, so
a copy that drifts from the rule fails here. jsonschema's own checker runs the patterns.
"""

import pathlib

import jsonschema
import pytest
import yaml

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
secrets_util = load_file(REPO / "_utils/stacksalt_secrets.py")

# Formulas that take free-form option names (written verbatim into a config file).
FORMULAS = ("salt", "ironic", "ceph")
SAMPLES = (
    # what the rule's docstring names, and the shapes of config options sites write
    "ipmi_password",
    "redfish_password",
    "db_password",
    "PASSWORD",
    "passwd",
    "ssl_passphrase",
    "client_secret",
    "shared_secret_file",
    "auth_token",
    "token",
    "application_credential_id",
    "credentials",
    "private_key",
    "ssh_private_key_file",
    "ssh_key_contents",
    "snmp_community",
    "community",
    "snmp_auth_key",
    "snmp_priv_key",
    "ipmi_hex_kg_key",
    "key",
    "keys",
    "node_secrets",
    "mon_key",
    "rgw_keys",
    # options the rule lets through: a schema must let them through too
    "keyring",
    "key_file",
    "keystone_url",
    "log_level",
    "master_port",
    "osd_pool_default_size",
    "hotkey_limit",
)


def option_patterns(node, where=""):
    """(where, pattern) of each `propertyNames: {not: {pattern}}` in a schema."""
    if isinstance(node, dict):
        names = node.get("propertyNames")
        if isinstance(names, dict) and isinstance(names.get("not"), dict) and "pattern" in names["not"]:
            yield where, names
        for key, value in node.items():
            yield from option_patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from option_patterns(value, f"{where}/{i}")


def _accepts(names_schema, key):
    return jsonschema.Draft202012Validator({"propertyNames": names_schema}).is_valid({key: 1})


@pytest.mark.parametrize("formula", FORMULAS)
def test_schema_refuses_every_key_the_rule_calls_secret(formula):
    schema = yaml.safe_load((REPO / "salt" / formula / "schema.yaml").read_text())
    found = list(option_patterns(schema))
    assert found, f"salt/{formula}/schema.yaml has no secret-key pattern"
    secret = [k for k in SAMPLES if secrets_util.is_secret_key(k)]
    plain = [k for k in SAMPLES if not secrets_util.is_secret_key(k)]
    assert len(secret) >= 20 and len(plain) >= 6, "the samples no longer cover both sides of the rule"
    for where, names in found:
        # ceph.conf option names are lower case only: the samples in the form that schema allows
        lower = [k.lower() for k in secret] if "^[a-z]" in names.get("pattern", "") else secret
        assert [k for k in lower if _accepts(names, k)] == [], f"{formula}{where} lets secrets through"
        assert [k for k in plain if not _accepts(names, k)] == [], f"{formula}{where} refuses plain keys"


def test_ceph_option_with_spaces_is_caught_as_well():
    schema = yaml.safe_load((REPO / "salt/ceph/schema.yaml").read_text())
    (_, names), *_ = option_patterns(schema)
    assert not _accepts(names, "mon key") and not _accepts(names, "rgw s3 secret")
    assert _accepts(names, "osd pool default size")
