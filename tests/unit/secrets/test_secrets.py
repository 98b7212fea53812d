"""The project's one secret rule and mask (_utils/stacksalt_secrets.py) and who uses it."""

import json
import pathlib
import re

import pytest

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]


secrets_util = load_file(REPO / "_utils/stacksalt_secrets.py", "stacksalt_secrets_rule_ut")
openstack_util = load_file(REPO / "_utils/stacksalt_openstack.py", "stacksalt_openstack_rule_ut")
schema_util = load_file(REPO / "_utils/stacksalt_schema.py", "stacksalt_schema_rule_ut")

SECRET_KEYS = [
    "ipmi_password",
    "redfish_password",
    "snmp_auth_key",
    "snmp_priv_key",
    "snmp_community",
    "ipmi_hex_kg_key",
    "ssh_key_contents",
    "node_secrets",
    "auth_token",
    "passphrase",
    "application_credential_secret",
    "private_key",
    "key",
    "keys",
    "cephx_key",
    "PASSWORD",
]
PLAIN_KEYS = [
    "ipmi_username",
    "ipmi_address",
    "redfish_address",
    "redfish_system_id",
    "keyring",
    "keyrings",
    "monkey_business",
    "driver",
    "name",
    "snmp_version",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_keys(key):
    assert secrets_util.is_secret_key(key)


@pytest.mark.parametrize("key", PLAIN_KEYS)
def test_plain_keys(key):
    assert not secrets_util.is_secret_key(key)


def test_one_mask_one_rule_everywhere():
    # Salt's own mask for pillar output, so an operator sees one string for every secret.
    assert secrets_util.MASK == "**********"
    for util in (openstack_util, schema_util):
        assert util.MASK == secrets_util.MASK
        assert util.SECRET_KEY_RE.pattern == secrets_util.SECRET_KEY_RE.pattern
        for key in SECRET_KEYS:
            assert util.is_secret_key(key), (util.__name__, key)
    # Ironic's own mask is the service's, not ours: it is recognised, never printed by us.
    assert secrets_util.is_service_mask("******") and not secrets_util.is_service_mask(secrets_util.MASK)


def test_no_copies_of_the_rule_or_the_mask_in_loader_modules():
    """Loader modules ask _utils/stacksalt_secrets.py; no module keeps its own copy."""
    rule = re.compile(r're\.compile\(\s*r?"\(?password')
    masks = re.compile(r'["\']\*{3,}["\']')
    offenders = []
    for path in sorted(REPO.glob("_*/*.py")):
        if path.name == "stacksalt_secrets.py":
            continue
        text = path.read_text()
        if rule.search(text) or masks.search(text):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_mask_is_deep_and_masks_url_passwords():
    data = {
        "driver_info": {
            "redfish_address": "https://admin:CANARY-url@10.0.0.4:8000/redfish",
            "redfish_username": "admin",
            "snmp_auth_key": "CANARY-auth",
            "snmp_community": "",
        },
        "ports": [{"address": "52:54:00:00:00:01", "token": "CANARY-token"}],
    }
    masked = secrets_util.mask(data)
    assert "CANARY" not in json.dumps(masked)
    assert masked["driver_info"]["redfish_address"] == "https://admin:**********@10.0.0.4:8000/redfish"
    assert masked["driver_info"]["redfish_username"] == "admin"
    assert masked["driver_info"]["snmp_community"] == ""  # unset stays visible as unset
    assert data["driver_info"]["snmp_auth_key"] == "CANARY-auth"  # a copy: the input is kept
    assert schema_util.mask_secrets(data) == masked
    assert openstack_util.mask(data) == masked


@pytest.mark.parametrize(
    "value",
    ["https://bmc.example/redfish", "https://user@bmc", "not a url: a:b@c", "mysql://db/ironic", 42, None],
)
def test_urls_without_password_are_left_alone(value):
    assert secrets_util.mask_url(value) == value
    assert not secrets_util.url_has_secret(value)


def test_database_url_password_is_secret():
    url = "mysql+pymysql://ironic:CANARY-db@127.0.0.1/ironic"
    assert secrets_util.url_has_secret(url) and secrets_util.is_secret("connection", url)
    assert "CANARY" not in secrets_util.mask_url(url)


def test_mask_text_of_logged_bodies():
    body = json.dumps({"driver_info": {"ipmi_password": "CANARY-pw", "ipmi_address": "10.0.0.1"}})
    curl = (
        f"REQ: curl -g -i -X POST http://127.0.0.1:6385/v1/nodes -H \"Accept: application/json\" -d '{body}'"
    )
    for text in (body, curl):
        out = secrets_util.mask_text(text)
        assert "CANARY" not in out and "10.0.0.1" in out
    assert "CANARY" not in secrets_util.mask_text("GET /x?token=CANARY-q&limit=3")
    assert "limit=3" in secrets_util.mask_text("GET /x?token=CANARY-q&limit=3")
    assert "CANARY" not in secrets_util.mask_text('{"a": "https://u:CANARY-u@bmc", broken')
    assert secrets_util.mask_text("") == "" and secrets_util.mask_text(None) is None


def test_json_patch_operations_are_masked_by_their_path():
    ops = [
        {"op": "add", "path": "/driver_info/snmp_auth_key", "value": "CANARY-a"},
        {"op": "add", "path": "/extra/stacksalt_secrets", "value": {"driver_info/x": "sha256$1$2"}},
        {"op": "add", "path": "/driver_info/redfish_address", "value": "https://u:CANARY-b@bmc"},
        {"op": "add", "path": "/driver_info/ipmi_address", "value": "10.0.0.1"},
        {"op": "remove", "path": "/driver_info/ipmi_password"},
    ]
    masked = secrets_util.mask(ops)
    assert "CANARY" not in json.dumps(masked) and "sha256" not in json.dumps(masked)
    assert masked[3] == ops[3] and masked[4] == ops[4]
    assert "CANARY" not in secrets_util.mask_text(json.dumps(ops))
