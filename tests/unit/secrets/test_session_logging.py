"""
keystoneauth logs request and response bodies at debug level; the connection helper of
_utils/stacksalt_openstack.py masks them. A real keystoneauth Session against a loopback HTTP
server (no OpenStack service: the Ironic functional test covers a real one).
"""

import http.server
import io
import json
import logging
import pathlib
import threading

import pytest
from keystoneauth1 import session as ksa_session

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
openstack_util = load_file(REPO / "_utils/stacksalt_openstack.py")


@pytest.fixture
def echo_server():
    """Answers every POST with the body it got back, plus a token, as JSON."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            data = json.dumps({"echo": json.loads(body), "token": "CANARY-token"}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def debug_log():
    # Start from keystoneauth's own logging: other tests' connections leave the masking filter
    # on its loggers (process-wide), which would hide the leak the control must show.
    kept = {}
    for name in openstack_util.SECRET_LOGGERS:
        logger = logging.getLogger(name)
        kept[name] = list(logger.filters)
        logger.filters = [f for f in logger.filters if type(f).__name__ != "SecretLogFilter"]
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    logger = logging.getLogger("keystoneauth")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield buf
    logging.getLogger().removeHandler(handler)
    logger.setLevel(old)
    for name, filters in kept.items():
        logging.getLogger(name).filters = filters


BODY = {
    "driver": "ipmi",
    "driver_info": {"ipmi_address": "10.0.0.7", "ipmi_password": "CANARY-pw", "snmp_auth_key": "CANARY-snmp"},
    "auth": {"identity": {"password": {"user": {"name": "admin", "password": "CANARY-keystone"}}}},
}


def post(session, url):
    resp = session.post(f"{url}/v1/nodes", json=BODY, raise_exc=False)
    assert resp.status_code == 201 and resp.json()["echo"] == BODY  # the service got the real values


def test_unmasked_session_logs_the_secrets(echo_server, debug_log):
    # The control: keystoneauth itself prints them, so the masked run below can fail.
    post(ksa_session.Session(), echo_server)
    assert "CANARY-pw" in debug_log.getvalue() and "CANARY-token" in debug_log.getvalue()


def test_masked_session_logs_bodies_without_secrets(echo_server, debug_log):
    session = openstack_util.mask_session_logging(ksa_session.Session())
    assert openstack_util.mask_session_logging(session) is session  # idempotent
    post(session, echo_server)
    log = debug_log.getvalue()
    assert "POST" in log and "10.0.0.7" in log and "RESP BODY" in log, log
    assert "CANARY" not in log, log
