"""
Secrets and supported interfaces against a real Ironic (see conftest.py): canary secrets in
every secret-bearing driver_info key never reach a return, ``changes``, test=True output or the
debug log of keystoneauth/openstacksdk; secrets read from the minion's pillar by key; node data
that this Ironic does not support is refused before anything is created.
"""

import io
import json
import logging
import uuid

import pytest
import yaml

from tests.functional.ironic.conftest import harness
from tests.functional.ironic.test_ironic_node import api_node, redfish_node

pytestmark = [pytest.mark.functional, pytest.mark.timeout(600)]

MASK = "**********"


def canaries():
    """Unique values for every secret-bearing driver_info key (and a BMC URL's userinfo)."""
    tag = uuid.uuid4().hex[:10]
    return {
        "ipmi_password": f"CANARY-ipmi-pw-{tag}",
        "snmp_auth_key": f"CANARY-snmp-auth-{tag}",
        "snmp_priv_key": f"CANARY-snmp-priv-{tag}",
        "snmp_community": f"CANARY-snmp-comm-{tag}",
        "ipmi_hex_kg_key": f"CANARY-kg-{tag}",
        "redfish_password": f"CANARY-rf-pw-{tag}",
        "redfish_address": f"https://admin:CANARY-url-pw-{tag}@bmc-{tag}.example:8000",
    }


def secret_values(secrets):
    out = [v for k, v in secrets.items() if k != "redfish_address"]
    return [*out, secrets["redfish_address"].split(":")[2].split("@")[0]]


def canary_node(name, i, secrets):
    # fake-hardware stores any driver_info, so every secret-bearing key can be planted at once.
    return {
        "name": name,
        "driver": "fake-hardware",
        "driver_info": {"ipmi_address": f"10.9.0.{i}", "ipmi_username": "admin", **secrets},
        "properties": {"cpus": 2, "memory_mb": 4096, "local_gb": 20},
        "ports": [{"address": f"52:54:02:00:00:{i:02x}"}],
        "provision_state": "manageable",
    }


@pytest.fixture
def debug_log():
    """Every record (keystoneauth, openstacksdk, urllib3, Salt) at DEBUG, formatted, in one buffer."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    # saltfactories logs the test's own calls with their arguments: the test, not the product.
    handler.addFilter(lambda record: not record.name.startswith("saltfactories"))
    root = logging.getLogger()
    names = ("keystoneauth", "openstack", "urllib3", "salt.loaded", "stacksalt")
    old = {n: logging.getLogger(n).level for n in names}
    root.addHandler(handler)
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    yield buf
    root.removeHandler(handler)
    for n, level in old.items():
        logging.getLogger(n).setLevel(level)


def leaks(values, *objs):
    text = "\n".join(o if isinstance(o, str) else json.dumps(o, default=str) for o in objs)
    return [v for v in values if v in text]


def test_canaries_never_leak_into_returns_changes_test_mode_or_debug_log(
    ironic_loaders, ironic_off, debug_log
):
    secrets = canaries()
    values = secret_values(secrets)
    nodes = [canary_node(f"canary-{i}", i, secrets) for i in (1, 2)]
    states = ironic_loaders.states.ironic_node
    planned = states.enrolled(name="canary", nodes=nodes, pillar_key="ironic:nodes", cloud="off", test=True)
    assert planned.result is None, planned.comment
    shown = planned.changes["canary-1"]["node"]["new"]["driver_info"]
    assert shown["snmp_auth_key"] == MASK and shown["ipmi_hex_kg_key"] == MASK
    assert shown["redfish_address"].endswith(f":{MASK}@" + secrets["redfish_address"].split("@")[1])
    created = states.enrolled(name="canary", nodes=nodes, cloud="off")
    assert created.result is True, created.comment
    assert created.changes["created"] == ["canary-1", "canary-2"]
    single = dict(nodes[0])
    single.pop("name")
    one_plan = states.present(name="canary-1", cloud="off", test=True, **single)
    # Ironic masks some of these keys itself: the digests tell that nothing changed.
    assert one_plan.result is True and one_plan.changes == {}, one_plan.changes
    again = states.enrolled(name="canary", nodes=nodes, cloud="off")
    assert again.result is True and again.changes == {}, again.changes
    # A changed SNMP key and URL password are seen, and masked.
    nodes[0]["driver_info"]["snmp_auth_key"] += "-2"
    nodes[0]["driver_info"]["redfish_address"] = secrets["redfish_address"].replace(
        "CANARY-url", "CANARY-url2"
    )
    values += [nodes[0]["driver_info"]["snmp_auth_key"], "CANARY-url2"]
    changed_plan = states.enrolled(name="canary", nodes=nodes, cloud="off", test=True)
    assert set(changed_plan.changes["canary-1"]) == {
        "driver_info:snmp_auth_key",
        "driver_info:redfish_address",
    }
    assert changed_plan.changes["canary-1"]["driver_info:snmp_auth_key"] == {"old": MASK, "new": MASK}
    changed = states.enrolled(name="canary", nodes=nodes, cloud="off")
    assert changed.result is True and changed.changes["updated"] == ["canary-1"]
    assert states.enrolled(name="canary", nodes=nodes, cloud="off").changes == {}
    log = debug_log.getvalue()
    # The log did capture the request bodies (so the grep below can find a leak) ...
    assert "POST" in log and "10.9.0.1" in log and "PATCH" in log, log[-2000:]
    # ... and holds none of the canaries, nor do the returns.
    returns = [planned, created, one_plan, again, changed_plan, changed]
    dumped = [{"changes": r.changes, "comment": r.comment} for r in returns]
    leaked = [line[:300] for line in log.splitlines() if leaks(values, line)]
    assert leaked == [], "\n".join(leaked[:5])
    assert leaks(values, *dumped) == []
    # Ironic stored the real values (a canary that never arrived would prove nothing).
    stored = api_node(ironic_off, "canary-2")["driver_info"]
    assert stored["ipmi_address"] == "10.9.0.2"


def test_secrets_are_read_from_the_minion_pillar(ironic_off, tmp_path_factory):
    """secrets_pillar: the state merges ironic:node_secrets itself (no secret in the SLS)."""
    tmp = tmp_path_factory.mktemp("pillar-secrets")
    password = f"CANARY-pillar-{uuid.uuid4().hex[:8]}"
    (tmp / "pillar").mkdir()
    (tmp / "pillar" / "top.sls").write_text("base:\n  '*':\n    - secrets\n")
    pillar = {"ironic": {"node_secrets": {"pillar-node": {"redfish_password": password}}}}
    (tmp / "pillar" / "secrets.sls").write_text(yaml.safe_dump(pillar))
    loaders = harness.salt_loaders(
        tmp / "salt", {"off": ironic_off.cloud()}, extra={"pillar_roots": {"base": [str(tmp / "pillar")]}}
    )
    node = redfish_node(ironic_off, "pillar-node", system=3)
    del node["driver_info"]["redfish_password"]
    node["ports"] = [{"address": "52:54:00:5a:01:03"}]
    node["provision_state"] = "enroll"
    ret = loaders.states.ironic_node.enrolled(
        name="pillar", nodes=[node], cloud="off", secrets_pillar="ironic:node_secrets"
    )
    assert ret.result is True and ret.changes["created"] == ["pillar-node"], ret.comment
    stored = api_node(ironic_off, "pillar-node")
    assert stored["driver_info"]["redfish_password"] == "******"  # Ironic's mask: it has one
    digests = stored["extra"]["stacksalt_secrets"]
    assert set(digests) == {"driver_info/redfish_password"}
    again = loaders.states.ironic_node.enrolled(
        name="pillar", nodes=[node], cloud="off", secrets_pillar="ironic:node_secrets"
    )
    assert again.result is True and again.changes == {}, again.changes
    assert password not in json.dumps([ret.changes, ret.comment, again.changes, again.comment])
    # A key that does not hold a mapping is named, its value is not echoed.
    key = "ironic:node_secrets:pillar-node:redfish_password"
    bad = loaders.states.ironic_node.enrolled(name="pillar", nodes=[node], cloud="off", secrets_pillar=key)
    assert bad.result is False and bad.changes == {}
    assert key in bad.comment and password not in bad.comment


def test_interface_not_enabled_for_the_driver_is_refused_before_any_change(ironic_loaders, ironic_off):
    node = redfish_node(ironic_off, "rf-fake-deploy", system=0, deploy_interface="fake")
    node["ports"] = [{"address": "52:54:00:5a:02:00"}]
    enabled = ironic_loaders.modules.ironic_node.drivers(cloud="off")
    assert "fake" not in enabled["redfish"]["deploy"] and "fake" in enabled["fake-hardware"]["deploy"]
    states = ironic_loaders.states.ironic_node
    for test in (True, False):
        ret = states.enrolled(name="rf", nodes=[node], pillar_key="ironic:nodes", cloud="off", test=test)
        assert ret.result is False, (test, ret.comment)
        assert ret.changes == {}
        assert "ironic:nodes:0:deploy_interface: node 'rf-fake-deploy'" in ret.comment
        assert "'fake' is not enabled for driver 'redfish'" in ret.comment
        spec = dict(node)
        spec.pop("name")
        one = states.present(name="rf-fake-deploy", cloud="off", test=test, **spec)
        assert one.result is False and "ironic_node:rf-fake-deploy:deploy_interface" in one.comment
    assert ironic_loaders.modules.ironic_node.inventory(names=["rf-fake-deploy"], cloud="off") == {}
    posts = [r for r in ironic_off.request_log() if r[0] == "POST" and r[1].startswith("/v1/nodes")]
    assert not any(r[2] == 400 for r in posts), "Ironic was asked to create the node"
    unknown = dict(node, name="rf-no-driver", driver="idrac")
    ret = states.enrolled(name="rf", nodes=[unknown], pillar_key="ironic:nodes", cloud="off", test=True)
    assert ret.result is False and "ironic:nodes:0:driver: node 'rf-no-driver': driver 'idrac'" in ret.comment
