"""
Node and port create after a lost answer, on the real Ironic (see conftest.py): a proxy in front
of it forwards the POST, lets Ironic carry it out, and answers 503 instead of Ironic's reply (a
load balancer whose backend died mid-answer). A blind retry would meet its own node or port as a
409 conflict; ironic_node looks it up first and carries on with the one it made.
"""

import pytest

from tests.functional.ironic.conftest import harness
from tests.functional.ironic.test_ironic_node import fake_node
from tests.functional.openstack.backup.glance_proxy import GlanceProxy

pytestmark = [pytest.mark.functional, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def lossy(ironic_off):
    # GlanceProxy is a plain forwarding proxy that can lose answers; nothing in it is Glance's.
    proxy = GlanceProxy(ironic_off.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def loaders(tmp_path_factory, ironic_off, lossy):
    clouds = {
        "off": ironic_off.cloud(),
        "lossy": {"auth_type": "none", "baremetal_endpoint_override": lossy.url},
    }
    return harness.salt_loaders(tmp_path_factory.mktemp("salt-lossy"), clouds)


def posts(inst, since, path):
    return [entry for entry in inst.request_log()[since:] if entry[:2] == ("POST", path)]


def ports_of(loaders, name):
    return [p["address"] for p in loaders.modules.ironic_node.inventory(cloud="off")[name]["ports"]]


def test_lost_answer_to_node_create_makes_one_node(loaders, ironic_off, lossy):
    node = fake_node("lost-node", i=700)
    since = len(ironic_off.request_log())
    lossy.lose_answers("POST", "/v1/nodes", count=1)
    ret = loaders.states.ironic_node.enrolled(name="lost-node", nodes=[node], cloud="lossy")
    assert lossy.lost == [("POST", "/v1/nodes", 201)], "the answer was not lost"
    assert ret.result is True, ret.comment
    assert list(ret.changes["created"]) == ["lost-node"]
    assert len(posts(ironic_off, since, "/v1/nodes")) == 1, "the create was repeated"
    assert ports_of(loaders, "lost-node") == [node["ports"][0]["address"]]
    again = loaders.states.ironic_node.enrolled(name="lost-node", nodes=[node], cloud="lossy")
    assert again.result is True and again.changes == {}


def test_lost_answer_to_port_create_makes_one_port(loaders, ironic_off, lossy):
    node = fake_node("lost-port", i=701)
    since = len(ironic_off.request_log())
    lossy.lose_answers("POST", "/v1/ports", count=1)
    ret = loaders.states.ironic_node.enrolled(name="lost-port", nodes=[node], cloud="lossy")
    assert lossy.lost == [("POST", "/v1/ports", 201)], "the answer was not lost"
    assert ret.result is True, ret.comment
    assert len(posts(ironic_off, since, "/v1/ports")) == 1, "the port create was repeated"
    assert ports_of(loaders, "lost-port") == [node["ports"][0]["address"]]


def test_a_real_conflict_is_still_reported(loaders, ironic_off):
    # A MAC that another node has: Ironic's 409 without any lost answer is not hidden.
    first = fake_node("conflict-a", i=702)
    other = fake_node("conflict-b", i=703, ports=first["ports"])
    assert loaders.states.ironic_node.enrolled(name="a", nodes=[first], cloud="off").result is True
    ret = loaders.states.ironic_node.enrolled(name="b", nodes=[other], cloud="off")
    assert ret.result is False
    assert "conflict-b" in ret.changes["failed"]
