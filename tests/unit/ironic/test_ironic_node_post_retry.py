"""
Node and port create after a lost answer (pure logic of _modules/ironic_node.py: the Ironic API
is a fake that keeps nodes and ports and can lose the answer to a POST it carried out).
"""

import json
import pathlib

import pytest
import requests
from salt.exceptions import CommandExecutionError

from tests.support.loader import load, util

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]


utils = util("stacksalt_openstack")
mod = load("modules", "ironic_node")  # __utils__: every util, as Salt builds it


def _response(method, url, status, body):
    resp = requests.Response()
    resp.status_code = status
    resp._content = json.dumps(body).encode()
    resp.headers["Content-Type"] = "application/json"
    resp.url = "http://ironic.test/v1" + url
    resp.request = requests.Request(method, resp.url).prepare()
    return resp


class FakeIronic:
    """Nodes by name and ports by address; ``lose`` POSTs are done, then answered with a 503."""

    default_microversion = "1.80"

    def __init__(self, lose=0, nodes=(), ports=()):
        self.lose = lose
        self.nodes = {n["name"]: n for n in nodes}
        self.ports = list(ports)
        self.calls = []

    def request(self, url, method, microversion=None, raise_exc=False, json=None, params=None, **kw):
        self.calls.append((method, url.split("?")[0]))
        if method == "POST":
            # openstacksdk would otherwise repeat it on a 503 itself, under the check
            assert kw.get("status_code_retries") == 0, "the SDK may repeat this POST blindly"
        if method == "GET" and url.startswith("/nodes/"):
            node = self.nodes.get(url.split("/")[2])
            return _response(method, url, 200 if node else 404, node or {"error_message": "not found"})
        if method == "GET" and url.startswith("/ports"):
            found = [p for p in self.ports if p["address"] == (params or {}).get("address")]
            return _response(method, url, 200, {"ports": found})
        if method == "POST" and url == "/nodes":
            if json["name"] in self.nodes:
                return _response(method, url, 409, {"error_message": "name taken"})
            node = dict(json, uuid=f"uuid-{json['name']}")
            self.nodes[json["name"]] = node
            made = node
        elif method == "POST" and url == "/ports":
            if any(p["address"] == json["address"] for p in self.ports):
                return _response(method, url, 409, {"error_message": "MAC taken"})
            made = dict(json, uuid=f"port-{len(self.ports)}")
            self.ports.append(made)
        else:
            raise AssertionError(f"unexpected {method} {url}")
        if self.lose:
            self.lose -= 1
            return _response(method, url, 503, {"error_message": "answer lost by the proxy"})
        return _response(method, url, 201, made)


class Conn:
    def __init__(self, proxy):
        self.baremetal = proxy


BODY = {"name": "n1", "driver": "fake-hardware"}


def posts(proxy, url):
    return [c for c in proxy.calls if c == ("POST", url)]


def test_lost_answer_to_node_create_returns_the_node_it_made():
    proxy = FakeIronic(lose=1)
    node = mod._create_node(Conn(proxy), dict(BODY))
    assert node["uuid"] == "uuid-n1"
    assert len(posts(proxy, "/nodes")) == 1 and len(proxy.nodes) == 1
    assert ("GET", "/nodes/n1") in proxy.calls


def test_a_node_of_that_name_with_another_driver_is_a_conflict():
    proxy = FakeIronic(lose=1)
    conn = Conn(proxy)
    # the lost attempt raced with someone else's node of that name
    proxy.request = _swap_driver(proxy.request, proxy)
    with pytest.raises(CommandExecutionError, match="conflict"):
        mod._create_node(conn, dict(BODY))
    assert len(posts(proxy, "/nodes")) == 1


def _swap_driver(request, proxy):
    def wrapped(url, method, **kwargs):
        resp = request(url, method, **kwargs)
        if method == "POST":
            proxy.nodes["n1"]["driver"] = "ipmi"
        return resp

    return wrapped


def test_node_create_without_a_lost_answer_is_one_post_and_409_is_not_retried():
    proxy = FakeIronic()
    assert mod._create_node(Conn(proxy), dict(BODY))["uuid"] == "uuid-n1"
    assert proxy.calls == [("POST", "/nodes")]
    proxy.calls.clear()
    with pytest.raises(Exception) as err:
        mod._create_node(Conn(proxy), dict(BODY))
    assert utils.http_status(err.value) == 409
    assert proxy.calls == [("POST", "/nodes")]


def test_lost_answer_to_port_create_returns_the_port_on_this_node():
    proxy = FakeIronic(lose=1)
    port = mod._create_port(Conn(proxy), "uuid-n1", {"address": "52:54:00:AA:00:01"})
    assert port["node_uuid"] == "uuid-n1" and port["address"] == "52:54:00:aa:00:01"
    assert len(posts(proxy, "/ports")) == 1 and len(proxy.ports) == 1


def test_a_port_found_on_another_node_after_a_lost_answer_is_a_conflict():
    proxy = FakeIronic(lose=1)
    conn = Conn(proxy)
    request = proxy.request

    def other_node(url, method, **kwargs):
        resp = request(url, method, **kwargs)
        if method == "POST":
            proxy.ports[-1]["node_uuid"] = "uuid-other"
        return resp

    proxy.request = other_node
    with pytest.raises(CommandExecutionError, match="conflict") as err:
        mod._create_port(conn, "uuid-n1", {"address": "52:54:00:aa:00:02"})
    assert "uuid-other" in str(err.value)
    assert len(posts(proxy, "/ports")) == 1


def test_nothing_found_after_a_lost_answer_means_the_post_is_retried():
    proxy = FakeIronic()
    request = proxy.request
    state = {"failed": False}

    def lost_before_ironic(url, method, **kwargs):
        if method == "POST" and not state["failed"]:
            state["failed"] = True
            proxy.calls.append((method, url))
            return _response(method, url, 503, {"error_message": "never reached Ironic"})
        return request(url, method, **kwargs)

    proxy.request = lost_before_ironic
    assert mod._create_node(Conn(proxy), dict(BODY))["uuid"] == "uuid-n1"
    assert proxy.calls == [("POST", "/nodes"), ("GET", "/nodes/n1"), ("POST", "/nodes")]
    assert len(proxy.nodes) == 1
