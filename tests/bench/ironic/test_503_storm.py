"""
Retry layers in a 503 storm: how many requests one ``ironic_node`` call sends while Ironic
answers every API call with 503 (no free conductor worker). openstacksdk's baremetal proxy
repeats 409/503 itself (``baremetal_status_code_retries``), and our request layer
(``stacksalt_openstack.request``) retries with backoff and the POST safety rule: stacked, the
two multiply. One layer must remain: ours, since only it knows when a repeat is safe.

The storm comes from a loopback stand-in that answers version discovery like Ironic and 503
to everything else, and counts what it is sent (a real Ironic cannot be made to refuse every
call on demand). The count is behaviour, not timing: it is asserted, and reported.

Run: ``tools/run-tests tests/bench/ironic/test_503_storm.py -s``
"""

import http.server
import json
import threading

import pytest
from salt.exceptions import CommandExecutionError
from saltfactories.utils.functional import Loaders

from tests.support.loaders import loader_opts

pytestmark = [pytest.mark.bench, pytest.mark.timeout(300)]

#: our layer's attempts per call (``stacksalt_openstack.request`` default)
OUR_ATTEMPTS = 10


class StormHandler(http.server.BaseHTTPRequestHandler):
    counts = {}

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _answer(self):
        base = f"http://{self.headers['Host']}"
        version = {
            "id": "v1",
            "links": [{"href": f"{base}/v1/", "rel": "self"}],
            "status": "CURRENT",
            "version": "1.78",
            "min_version": "1.1",
        }
        path = self.path.split("?")[0].rstrip("/")
        if path == "":
            return self._send(200, {"versions": [version], "default_version": version})
        if path == "/v1":
            return self._send(200, {"id": "v1", "links": version["links"], "version": version})
        key = f"{self.command} {path}"
        self.counts[key] = self.counts.get(key, 0) + 1
        return self._send(503, {"error_message": json.dumps({"faultstring": "No free conductor workers"})})

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _answer


@pytest.fixture(scope="module")
def storm():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StormHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", StormHandler.counts
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def modules(storm, tmp_path_factory):
    url, _ = storm
    cloud = {"auth_type": "none", "baremetal_endpoint_override": url}
    opts = loader_opts(
        tmp_path_factory.mktemp("storm"),
        "storm",
        extra={"openstack": {"cloud": "storm", "clouds": {"storm": cloud}}},
    )
    return Loaders(opts).modules


@pytest.mark.parametrize(
    ("func", "kwargs", "request_key"),
    [
        ("ironic_node.inventory", {}, "GET /v1/nodes/detail"),
        ("ironic_node.delete", {"name": "node-7"}, "GET /v1/nodes/node-7"),
    ],
    ids=["list", "get"],
)
def test_a_503_storm_meets_one_retry_layer(storm, modules, func, kwargs, request_key):
    _, counts = storm
    counts.clear()
    with pytest.raises(CommandExecutionError) as info:
        modules[func](**kwargs)
    attempts = counts.get(request_key, 0)
    print(f"503 storm: {func} sent {attempts} requests ({dict(counts)}): {info.value}")
    assert "HTTP 503" in str(info.value)
    assert attempts == OUR_ATTEMPTS, f"{attempts} requests: the SDK's retries stack on ours"
