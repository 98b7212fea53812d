"""
Session fixtures: two real Ironic instances started by lab/services/ironic/ironic-svc
(automated cleaning off, and on), and a fault-injecting proxy in front of the second one that
answers 503 like an overloaded Ironic to a share of the write requests (a storm on demand:
Ironic 39 applies max_concurrent_clean to manual cleaning only, and a shrunken conductor pool
wedges it rather than shedding load)., and Salt
loaders with the repository's _modules/_states/_utils pointed at them (clouds `off` and `on`).
"""

import http.server
import json
import os
import pathlib
import threading

import pytest
import requests

from tests.support.loader import load_file

HARNESS = pathlib.Path(__file__).resolve().parents[3] / "lab" / "services" / "ironic" / "harness.py"


harness = load_file(HARNESS, "stacksalt_ironic_harness")


def _workdir(tmp_path_factory, name):
    # Short paths under TMPDIR (the repository's .tmp in tools/run-tests).
    return tmp_path_factory.mktemp(name, numbered=True)


@pytest.fixture(scope="session")
def ironic_off(tmp_path_factory):
    inst = harness.IronicInstance.start(_workdir(tmp_path_factory, "ironic-off"), automated_clean=False)
    yield inst
    inst.stop()


@pytest.fixture(scope="session")
def ironic_on(tmp_path_factory):
    inst = harness.IronicInstance.start(
        _workdir(tmp_path_factory, "ironic-on"), automated_clean=True, max_concurrent_clean=4
    )
    yield inst
    inst.stop()


class StormProxy:
    """HTTP proxy to Ironic that answers 503 to every ``every``-th write while ``storm`` is on."""

    BODY = json.dumps(
        {
            "error_message": json.dumps(
                {"faultstring": "Requested action cannot be performed due to lack of free conductor workers."}
            )
        }
    ).encode()

    def __init__(self, target, every=2):
        self.target, self.every = target, every
        self.storm, self.writes, self.injected = False, 0, 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if self.command != "GET":
                    with proxy.lock:
                        proxy.writes += 1
                        inject = proxy.storm and proxy.writes % proxy.every == 0
                        proxy.injected += inject
                    if inject:
                        self.send_response(503)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(proxy.BODY)))
                        self.end_headers()
                        self.wfile.write(proxy.BODY)
                        return
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                resp = requests.request(
                    self.command, proxy.target + self.path, data=body, headers=headers, timeout=120
                )
                data = resp.content
                self.send_response(resp.status_code)
                for k, v in resp.headers.items():
                    if k.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="session")
def storm_proxy(ironic_on):
    proxy = StormProxy(ironic_on.url)
    yield proxy
    proxy.close()


@pytest.fixture(scope="session")
def ironic_loaders(tmp_path_factory, ironic_off, ironic_on, storm_proxy):
    os.environ.pop("OS_CLOUD", None)
    clouds = {
        "off": ironic_off.cloud(),
        "on": ironic_on.cloud(),
        "storm": {"auth_type": "none", "baremetal_endpoint_override": storm_proxy.url},
    }
    return harness.salt_loaders(tmp_path_factory.mktemp("salt"), clouds)
