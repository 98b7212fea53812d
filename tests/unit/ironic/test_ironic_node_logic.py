"""Pure logic of _modules/ironic_node.py and _utils/stacksalt_openstack.py (no services)."""

import pytest

from tests.support.loader import REPO, load, util

pytestmark = pytest.mark.unit

utils = util("stacksalt_openstack")
secrets_util = util("stacksalt_secrets")
# The node rules come from the formula's schema through the shared schema util, read as the
# fileserver would serve them.
mod = load(
    "modules",
    "ironic_node",
    salt={
        "config.get": lambda key, default=None: default,
        "cp.get_file_str": lambda path: (REPO / "salt" / path.removeprefix("salt://")).read_text(),
    },
)
MASK = secrets_util.MASK


def live_from(body, uuid="u1", state="available", ports=(), traits=()):
    node = dict(body, uuid=uuid, provision_state=state, target_provision_state=None, traits=list(traits))
    node["driver_info"] = {
        k: ("******" if utils.is_secret_key(k) else v) for k, v in body["driver_info"].items()
    }
    node["ports"] = [{"uuid": f"p{i}", "address": a} for i, a in enumerate(ports)]
    return node


SPEC = {
    "name": "n1",
    "driver": "redfish",
    "driver_info": {"redfish_address": "http://x", "redfish_password": "s3cret"},
    "properties": {"cpus": 4, "root_device": {"wwn": "0x1"}},
    "ports": [{"address": "52:54:00:00:00:01"}],
    "traits": ["CUSTOM_A"],
}


def test_validate_names_classic_driver_and_key_paths():
    errors = mod.validate(
        {"name": "n", "driver": "pxe_ssh", "ports": [{"address": "xx"}]}, where="ironic:nodes:0"
    )
    assert any("ironic:nodes:0:driver: classic driver 'pxe_ssh'" in e and "'redfish'" in e for e in errors)
    assert any(e.startswith("ironic:nodes:0:ports:0:address") for e in errors)


def test_validate_checks_the_schema_rules_and_never_echoes_a_value():
    # The rules are the formula schema's $defs/node: a value only that schema refuses (a shell
    # metacharacter in a driver name) is refused here too, and no message carries the value.
    errors = mod.validate(
        {"name": "n", "driver": "ipmi;CANARY", "ports": [{"address": "CANARY-mac"}]}, where="ironic:nodes:0"
    )
    assert [e.split(": ")[0] for e in errors] == ["ironic:nodes:0:driver", "ironic:nodes:0:ports:0:address"]
    assert not any("CANARY" in e for e in errors)


def test_node_rules_come_from_the_fileserver_away_from_a_checkout(monkeypatch):
    # A synced minion has no checkout next to the module: the formula's schema comes from
    # salt://ironic/schema.yaml, and a minion that cannot read it says what to do.
    monkeypatch.setattr(mod, "SCHEMA_CHECKOUT", "/nonexistent/schema.yaml")
    assert mod.validate({"name": "n", "driver": "fake"}, where="w")[0].startswith(
        "w:driver: classic driver 'fake'"
    )
    monkeypatch.setitem(mod.__salt__, "cp.get_file_str", lambda path: False)
    with pytest.raises(mod.CommandExecutionError, match="salt://ironic/schema.yaml could not be read"):
        mod.validate({"name": "n", "driver": "ipmi"})


def test_validate_many_finds_duplicates_across_nodes():
    nodes = [dict(SPEC), dict(SPEC)]
    errors = mod.validate_many(nodes, where="ironic:nodes")
    assert "ironic:nodes:1:name: duplicate name: the same as item 0:name" in errors
    assert any(e.startswith("ironic:nodes:1:ports:0:address: duplicate ports") for e in errors)


def test_plan_create_masks_secrets_and_keeps_digest():
    item = mod.plan(SPEC, None)
    assert item["action"] == "create"
    assert item["changes"]["node"]["new"]["driver_info"]["redfish_password"] == MASK
    assert "s3cret" not in str(item["changes"])
    digest = item["body"]["extra"]["stacksalt_secrets"]["driver_info/redfish_password"]
    assert utils.digest_matches("s3cret", digest) and not utils.digest_matches("other", digest)
    assert item["provision"] == ["manage", "provide"]


def test_plan_unchanged_with_masked_password_and_inspection_data():
    body = mod.plan(SPEC, None)["body"]
    live = live_from(body, ports=["52:54:00:00:00:01"], traits=["CUSTOM_A"])
    live["properties"]["cpu_arch"] = "x86_64"  # added by inspection
    item = mod.plan(SPEC, live)
    assert item["action"] == "none" and item["changes"] == {} and item["provision"] == []


def test_plan_detects_password_change_and_ports():
    body = mod.plan(SPEC, None)["body"]
    live = live_from(body, ports=["52:54:00:00:00:01", "52:54:00:00:00:09"], traits=["CUSTOM_A"])
    spec = dict(SPEC, driver_info=dict(SPEC["driver_info"], redfish_password="new"))
    item = mod.plan(spec, live)
    assert item["changes"]["driver_info:redfish_password"] == {"old": MASK, "new": MASK}
    assert item["ports_delete"] == ["p1"]
    assert item["changes"]["ports"]["new"] == ["52:54:00:00:00:01"]


def test_plan_for_a_node_ironic_is_moving_is_one_wait():
    # apply() works the verbs out from the plan's target once the node settles.
    body = mod.plan(SPEC, None)["body"]
    live = live_from(body, state="clean wait", ports=["52:54:00:00:00:01"], traits=["CUSTOM_A"])
    item = mod.plan(SPEC, live)
    assert item["provision"] == ["wait"] and item["target"] == "available"
    assert item["changes"] == {"provision_state": {"old": "clean wait", "new": "available"}}


def test_capabilities_are_merged():
    assert mod.parse_capabilities("a:1,b:2") == {"a": "1", "b": "2"}
    assert mod.format_capabilities({"b": "2", "a": "1"}) == "a:1,b:2"


@pytest.mark.parametrize(
    ("current", "target", "verbs"),
    [
        ("enroll", "available", ["manage", "provide"]),
        ("enroll", "manageable", ["manage"]),
        ("manageable", "available", ["provide"]),
        ("available", "manageable", ["manage"]),
        ("clean failed", "available", ["manage", "provide"]),
        ("active", "available", None),
        ("available", "enroll", []),
    ],
)
def test_transitions(current, target, verbs):
    assert mod._transition(current, target) == verbs


def test_utils_mask_and_retry():
    assert utils.mask({"a": {"ipmi_password": "x", "ok": 1}}) == {"a": {"ipmi_password": MASK, "ok": 1}}

    class Busy(Exception):
        status_code = 503

    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise Busy("busy")
        return "ok"

    assert utils.call(flaky, base_delay=0.001) == "ok" and len(calls) == 3

    class Bad(Exception):
        status_code = 400

    with pytest.raises(Bad):
        utils.call(lambda: (_ for _ in ()).throw(Bad("no")), base_delay=0.001)


def test_inline_cloud_ignores_process_os_variables(monkeypatch):
    # A bench or an operator shell may export OS_* variables; an inline openstack:clouds entry
    # is complete and must keep its own auth (regression: OS_AUTH_TYPE=none broke Glance auth).
    monkeypatch.setenv("OS_AUTH_TYPE", "none")
    monkeypatch.setenv("OS_CLOUD", "somewhere-else")
    inline = {
        "auth_type": "password",
        "auth": {
            "auth_url": "http://127.0.0.1:1/v3",
            "username": "u",
            "password": "p",
            "project_name": "p",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
    }
    utils.reset()
    try:
        conn = utils.connect(cloud="inline", config={"clouds": {"inline": inline}})
        assert conn.config.config["auth_type"] == "password"
        assert conn.config.config["auth"]["auth_url"] == "http://127.0.0.1:1/v3"
    finally:
        utils.reset()


CANARIES = {
    "ipmi_password": "CANARY-u-ipmi",
    "redfish_password": "CANARY-u-rf",
    "snmp_auth_key": "CANARY-u-auth",
    "snmp_priv_key": "CANARY-u-priv",
    "snmp_community": "CANARY-u-comm",
    "ipmi_hex_kg_key": "CANARY-u-kg",
    "redfish_address": "https://root:CANARY-u-url@10.0.0.9",
}


def ironic_masked(driver_info):
    """driver_info as Ironic returns it: its own mask on the keys it hides (a URL stays as is)."""
    return {k: ("******" if utils.is_secret_key(k) else v) for k, v in driver_info.items()}


def test_canaries_never_reach_changes_and_digests_keep_reruns_quiet():
    spec = dict(SPEC, driver_info={"redfish_username": "root", **CANARIES})
    created = mod.plan(spec, None)
    assert "CANARY" not in str(created["changes"])
    assert set(created["body"]["extra"]["stacksalt_secrets"]) == {f"driver_info/{k}" for k in CANARIES}
    live = live_from(created["body"], ports=["52:54:00:00:00:01"], traits=["CUSTOM_A"])
    live["driver_info"] = ironic_masked(created["body"]["driver_info"])
    assert mod.plan(spec, live)["changes"] == {}
    changed = dict(spec, driver_info=dict(spec["driver_info"], snmp_priv_key="CANARY-u-priv2"))
    changed["driver_info"]["redfish_address"] = "https://root:CANARY-u-url2@10.0.0.9"
    item = mod.plan(changed, live)
    assert set(item["changes"]) == {"driver_info:snmp_priv_key", "driver_info:redfish_address"}
    assert "CANARY" not in str(item["changes"])
    assert item["changes"]["driver_info:redfish_address"]["new"] == MASK
    # The events carry the same masking.
    assert "CANARY" not in str(mod._mask({"driver_info": changed["driver_info"]}))


ENABLED = {
    "redfish": {"deploy": ["direct", "ramdisk"], "boot": ["redfish-virtual-media", "ipxe"]},
    "fake-hardware": {"deploy": ["fake", "direct"]},
}


def test_supported_errors_name_the_node_and_the_interface():
    nodes = [
        {"name": "ok", "driver": "redfish", "deploy_interface": "direct"},
        {"name": "rf-fake", "driver": "redfish", "deploy_interface": "fake", "boot_interface": "pxe"},
        {"name": "no-drv", "driver": "idrac"},
        {"name": "fake-ok", "driver": "fake-hardware", "deploy_interface": "fake", "raid_interface": "x"},
    ]
    errors = mod.supported_errors(nodes, ENABLED, where="ironic:nodes")
    assert errors == [
        "ironic:nodes:1:boot_interface: node 'rf-fake': boot interface 'pxe' is not enabled for driver "
        "'redfish' in this Ironic (enabled: redfish-virtual-media, ipxe)",
        "ironic:nodes:1:deploy_interface: node 'rf-fake': deploy interface 'fake' is not enabled for driver "
        "'redfish' in this Ironic (enabled: direct, ramdisk)",
        "ironic:nodes:2:driver: node 'no-drv': driver 'idrac' is not enabled in this Ironic "
        "(enabled: fake-hardware, redfish)",
    ]
    single = mod.supported_errors(nodes[1], ENABLED, where="ironic_node:rf-fake")
    assert single[0].startswith("ironic_node:rf-fake:boot_interface: node 'rf-fake'")


def test_patch_paths_escape_keys_as_json_pointers():
    # A key with "/" or "~" (RFC 6901) must patch that key, not a nested path.
    body = mod.plan(SPEC, None)["body"]
    live = live_from(body, ports=["52:54:00:00:00:01"], traits=["CUSTOM_A"])
    spec = dict(SPEC, properties=dict(SPEC["properties"], **{"vendor/model~x": "r640"}))
    item = mod.plan(spec, live)
    assert {"op": "add", "path": "/properties/vendor~1model~0x", "value": "r640"} in item["patch"]
