"""
ironic_node states and module against a real Ironic (see conftest.py): enrolment, idempotence
with secrets, password changes, ports, capabilities/traits, cleaning, 503 storms, partial
failures, bad data rejected before any API call, test mode, absent.
"""

import json

import pytest
import yaml

pytestmark = [pytest.mark.functional, pytest.mark.timeout(600)]

# The project's mask (_utils/stacksalt_secrets.py); Ironic's own is "******".
MASK = "**********"
SYSTEM = "/redfish/v1/Systems/5a1d0000-0000-4000-8000-{:012x}"


def redfish_node(inst, name, system=0, password="s3cret", **extra):
    node = {
        "name": name,
        "driver": "redfish",
        "driver_info": {
            "redfish_address": inst.sushy_url,
            "redfish_system_id": SYSTEM.format(system),
            "redfish_username": "admin",
            "redfish_password": password,
        },
        "properties": {
            "cpus": 4,
            "memory_mb": 12288,
            "local_gb": 60,
            "root_device": {"wwn": "0x0000000000000001"},
        },
        "ports": [{"address": f"52:54:00:5a:00:{system:02x}"}],
    }
    node.update(extra)
    return node


def fake_node(name, i=0, **extra):
    node = {
        "name": name,
        "driver": "fake-hardware",
        "driver_info": {"ipmi_address": f"10.0.{i // 250}.{i % 250 + 1}", "ipmi_password": "pw"},
        "properties": {"cpus": 2, "memory_mb": 4096, "local_gb": 20},
        "ports": [{"address": f"52:54:01:{i // 65536 % 256:02x}:{i // 256 % 256:02x}:{i % 256:02x}"}],
    }
    node.update(extra)
    return node


def present(loaders, cloud, spec, test=False):
    spec = dict(spec)
    name = spec.pop("name")
    return loaders.states.ironic_node.present(name=name, cloud=cloud, test=test, **spec)


def api_node(inst, name):
    import requests

    resp = requests.get(
        f"{inst.url}/v1/nodes/{name}", headers={"X-OpenStack-Ironic-API-Version": "1.78"}, timeout=10
    )
    resp.raise_for_status()
    return resp.json()


def api_patch(inst, name, ops):
    import requests

    resp = requests.patch(
        f"{inst.url}/v1/nodes/{name}",
        json=ops,
        headers={"X-OpenStack-Ironic-API-Version": "1.78"},
        timeout=10,
    )
    resp.raise_for_status()


def assert_no_secret(obj):
    text = json.dumps(obj, default=str)
    for secret in ("s3cret", "n3w-s3cret", '"pw"'):
        assert secret not in text, f"secret {secret} leaked: {text[:500]}"


def test_enrol_redfish_node_then_second_run_has_no_changes(ironic_loaders, ironic_off):
    spec = redfish_node(ironic_off, "rf-enrol", system=0)
    first = present(ironic_loaders, "off", spec)
    assert first.result is True, first.comment
    assert first.changes["provision_state"]["new"] == "available"
    assert_no_secret(first.changes)
    node = api_node(ironic_off, "rf-enrol")
    assert node["provision_state"] == "available"
    # The manage step crossed the Redfish protocol: the emulator reported the power state.
    assert node["power_state"] in ("power off", "power on")
    assert node["driver_info"]["redfish_password"] == "******"  # Ironic's own mask
    second = present(ironic_loaders, "off", spec)
    assert second.result is True, second.comment
    assert second.changes == {}


def test_password_change_is_detected_and_masked(ironic_loaders, ironic_off):
    spec = redfish_node(ironic_off, "rf-pass", system=1)
    assert present(ironic_loaders, "off", spec).result is True
    spec["driver_info"]["redfish_password"] = "n3w-s3cret"
    planned = present(ironic_loaders, "off", spec, test=True)
    assert planned.result is None
    assert planned.changes == {"driver_info:redfish_password": {"old": MASK, "new": MASK}}
    changed = present(ironic_loaders, "off", spec)
    assert changed.result is True and set(changed.changes) == {"driver_info:redfish_password"}
    assert_no_secret(changed.changes)
    assert present(ironic_loaders, "off", spec).changes == {}


def test_ports_are_added_and_removed(ironic_loaders, ironic_off):
    spec = fake_node("ports-node", i=1)
    assert present(ironic_loaders, "off", spec).result is True
    spec["ports"] = [{"address": "52:54:01:aa:00:01"}, {"address": "52:54:01:AA:00:02"}]
    ret = present(ironic_loaders, "off", spec)
    assert ret.result is True, ret.comment
    assert ret.changes["ports"]["new"] == ["52:54:01:aa:00:01", "52:54:01:aa:00:02"]
    live = ironic_loaders.modules.ironic_node.inventory(names=["ports-node"], cloud="off")["ports-node"]
    assert sorted(p["address"] for p in live["ports"]) == ["52:54:01:aa:00:01", "52:54:01:aa:00:02"]
    assert present(ironic_loaders, "off", spec).changes == {}


def test_capabilities_and_traits_and_inspection_added_properties(ironic_loaders, ironic_off):
    spec = fake_node(
        "caps-node",
        i=2,
        capabilities={"boot_mode": "uefi"},
        traits=["CUSTOM_GOLD"],
        resource_class="baremetal-gold",
    )
    assert present(ironic_loaders, "off", spec).result is True
    node = api_node(ironic_off, "caps-node")
    assert node["properties"]["capabilities"] == "boot_mode:uefi"
    assert node["traits"] == ["CUSTOM_GOLD"]
    assert node["resource_class"] == "baremetal-gold"
    # What inspection adds (more properties, more capabilities) is not ours to remove.
    api_patch(
        ironic_off,
        "caps-node",
        [
            {"op": "add", "path": "/properties/cpu_arch", "value": "x86_64"},
            {"op": "add", "path": "/properties/capabilities", "value": "boot_mode:uefi,cpu_vt:true"},
        ],
    )
    assert present(ironic_loaders, "off", spec).changes == {}
    spec["traits"] = ["CUSTOM_GOLD", "CUSTOM_FAST"]
    spec["capabilities"] = {"boot_mode": "bios"}
    ret = present(ironic_loaders, "off", spec)
    assert ret.result is True
    assert ret.changes["traits"] == {"old": ["CUSTOM_GOLD"], "new": ["CUSTOM_FAST", "CUSTOM_GOLD"]}
    assert ret.changes["properties:capabilities"] == {
        "old": {"boot_mode": "uefi"},
        "new": {"boot_mode": "bios"},
    }
    node = api_node(ironic_off, "caps-node")
    assert node["properties"]["capabilities"] == "boot_mode:bios,cpu_vt:true"
    assert node["properties"]["cpu_arch"] == "x86_64"


def test_provide_goes_through_cleaning_to_available(ironic_loaders, ironic_on):
    spec = fake_node("clean-node", i=3)
    ret = present(ironic_loaders, "on", spec)
    assert ret.result is True, ret.comment
    node = api_node(ironic_on, "clean-node")
    assert node["provision_state"] == "available"
    log = ironic_on.log.read_text()
    assert f"{node['uuid']}" in log and "cleaning" in log


def test_manageable_target_and_move_back(ironic_loaders, ironic_off):
    spec = fake_node("manage-node", i=4, provision_state="manageable")
    assert present(ironic_loaders, "off", spec).result is True
    assert api_node(ironic_off, "manage-node")["provision_state"] == "manageable"
    spec["provision_state"] = "available"
    ret = present(ironic_loaders, "off", spec)
    assert ret.changes == {"provision_state": {"old": "manageable", "new": "available"}}
    assert api_node(ironic_off, "manage-node")["provision_state"] == "available"


def test_bulk_survives_503_storm(ironic_loaders, ironic_on, storm_proxy):
    # Every second write (create, port, manage, provide...) is answered 503 by the proxy in
    # front of Ironic while cleaning runs for real behind it: the state retries with backoff.
    nodes = [fake_node(f"storm-{i}", i=100 + i) for i in range(16)]
    storm_proxy.storm = True
    try:
        ret = ironic_loaders.states.ironic_node.enrolled(
            name="storm", nodes=nodes, cloud="storm", concurrency=16
        )
    finally:
        storm_proxy.storm = False
    assert storm_proxy.injected >= 16, "the storm did not happen"
    assert ret.result is True, ret.comment
    assert len(ret.changes["created"]) == 16
    inv = ironic_loaders.modules.ironic_node.inventory(cloud="on")
    assert all(inv[f"storm-{i}"]["provision_state"] == "available" for i in range(16))


def test_bulk_one_failure_does_not_stop_the_others(ironic_loaders, ironic_off):
    nodes = [fake_node(f"mixed-{i}", i=200 + i) for i in range(4)]
    broken = redfish_node(ironic_off, "mixed-broken", system=3)
    broken["driver_info"]["redfish_system_id"] = "/redfish/v1/Systems/does-not-exist"
    broken["ports"] = [{"address": "52:54:00:5a:ff:01"}]
    ret = ironic_loaders.states.ironic_node.enrolled(name="mixed", nodes=[*nodes, broken], cloud="off")
    assert ret.result is False
    assert sorted(ret.changes["created"]) == [f"mixed-{i}" for i in range(4)]
    assert list(ret.changes["failed"]) == ["mixed-broken"]
    assert "manage" in ret.changes["failed"]["mixed-broken"]
    assert ret.changes["summary"]["failed"] == 1 and ret.changes["summary"]["created"] == 4
    assert "mixed-broken" in ret.comment


def test_bad_node_data_is_rejected_before_any_api_call(ironic_loaders, ironic_off):
    nodes = [
        fake_node("bad-ok", i=300),
        {"name": "bad-old", "driver": "pxe_ssh", "driver_info": {"ssh_username": "stack"}},
        fake_node("bad-mac", i=301, ports=[{"address": "not-a-mac"}]),
        fake_node("bad-root", i=302, properties={"root_device": {"colour": "blue"}}),
    ]
    before = ironic_off.request_count()
    ret = ironic_loaders.states.ironic_node.enrolled(
        name="bad", nodes=nodes, pillar_key="ironic:nodes", cloud="off"
    )
    assert ret.result is False
    assert ret.changes == {}
    assert "ironic:nodes:1:driver: classic driver 'pxe_ssh'" in ret.comment
    assert "'redfish'" in ret.comment and "'ipmi'" in ret.comment
    assert "ironic:nodes:2:ports:0:address" in ret.comment
    assert "ironic:nodes:3:properties:root_device: key 'colour'" in ret.comment
    assert ironic_off.request_count() == before
    single = present(ironic_loaders, "off", {"name": "bad-one", "driver": "pxe_ssh"})
    assert single.result is False and "pxe_ssh" in single.comment
    assert ironic_off.request_count() == before


def test_test_mode_gives_the_exact_plan_and_changes_nothing(ironic_loaders, ironic_off):
    spec = redfish_node(ironic_off, "rf-plan", system=2, traits=["CUSTOM_X"])
    planned = present(ironic_loaders, "off", spec, test=True)
    assert planned.result is None
    assert planned.changes["node"]["new"]["driver_info"]["redfish_password"] == MASK
    assert planned.changes["traits"] == {"old": None, "new": ["CUSTOM_X"]}
    assert planned.changes["ports"] == {"old": [], "new": ["52:54:00:5a:00:02"]}
    assert_no_secret(planned.changes)
    assert ironic_loaders.modules.ironic_node.inventory(names=["rf-plan"], cloud="off") == {}
    applied = present(ironic_loaders, "off", spec)
    assert applied.changes == planned.changes


def test_enrolled_from_operator_file_and_noop_recheck(ironic_loaders, ironic_off, tmp_path):
    nodes = [fake_node(f"file-{i}", i=400 + i) for i in range(20)]
    path = tmp_path / "nodes.yaml"
    path.write_text(yaml.safe_dump({"nodes": nodes}))
    first = ironic_loaders.states.ironic_node.enrolled(name="from-file", source=str(path), cloud="off")
    assert first.result is True, first.comment
    assert len(first.changes["created"]) == 20
    before = ironic_off.request_count()
    again = ironic_loaders.states.ironic_node.enrolled(name="from-file", source=str(path), cloud="off")
    assert again.result is True and again.changes == {}
    assert ironic_off.request_count() - before <= 5


def test_absent(ironic_loaders, ironic_off):
    assert present(ironic_loaders, "off", fake_node("gone-node", i=500)).result is True
    planned = ironic_loaders.states.ironic_node.absent(name="gone-node", cloud="off", test=True)
    assert planned.result is None and planned.changes
    ret = ironic_loaders.states.ironic_node.absent(name="gone-node", cloud="off")
    assert ret.result is True and ret.changes == {"node": {"old": "gone-node", "new": None}}
    again = ironic_loaders.states.ironic_node.absent(name="gone-node", cloud="off")
    assert again.result is True and again.changes == {}
