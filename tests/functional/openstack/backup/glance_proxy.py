"""
A forwarding HTTP proxy on loopback in front of the real Glance, for the minion's traffic only:
it passes every request through unchanged until it is tripped, then drops every connection
without an answer, as a crashed Glance (or its dead load balancer backend) does. It can trip
itself after the Nth request of a given method and path prefix, so an outage lands at a
precise point of a run. Nova keeps its own, direct path to Glance.

In front of Nova it can also lose answers: forward a request, let the service act on it, and
answer 503 instead of the service's reply (a load balancer whose backend died mid-answer), the
case in which repeating a POST would do its work twice.
"""

import http.client
import http.server
import threading
import urllib.parse

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class GlanceProxy:
    def __init__(self, upstream):
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname, parsed.port)
        self.lock = threading.Lock()
        self.down = False
        self.trip_rule = None  # (method, path prefix, pass this many first)
        self.lose_rule = None  # (method, path prefix, answers to replace by 503)
        self.lost = []  # (method, path, the service's real status) of each replaced answer
        self.seen = []  # (method, path, forwarded)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if not proxy._admit(self.command, self.path):
                    self.close_connection = True
                    self.connection.shutdown(2)  # no answer at all
                    return
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=120)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    resp = upstream.getresponse()
                    data = resp.read()
                finally:
                    upstream.close()
                if proxy._lose(self.command, self.path, resp.status):
                    lost = b'{"message": "answer lost by the test proxy"}'
                    self.send_response(503, "Service Unavailable")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(lost)))
                    self.end_headers()
                    self.wfile.write(lost)
                    return
                self.send_response(resp.status, resp.reason)
                for key, value in resp.getheaders():
                    if key.lower() not in HOP_HEADERS and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="glance-proxy", daemon=True)

    def _admit(self, method, path):
        with self.lock:
            if self.trip_rule and not self.down:
                want_method, prefix, passes = self.trip_rule
                if method == want_method and path.startswith(prefix):
                    if passes <= 0:
                        self.down = True
                    else:
                        self.trip_rule = (want_method, prefix, passes - 1)
            self.seen.append((method, path, not self.down))
            return not self.down

    def _lose(self, method, path, status):
        with self.lock:
            if not self.lose_rule:
                return False
            want_method, prefix, count = self.lose_rule
            if method != want_method or not path.startswith(prefix) or count <= 0:
                return False
            self.lose_rule = (want_method, prefix, count - 1)
            self.lost.append((method, path, status))
            return True

    def lose_answers(self, method, path_prefix, count=1):
        """Forward the next ``count`` such requests, then answer 503 instead of the service."""
        with self.lock:
            self.lose_rule = (method, path_prefix, count)
            self.lost = []

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def outage(self):
        """Glance is down from now on (every request is dropped) until ``restore``."""
        with self.lock:
            self.down = True

    def restore(self):
        with self.lock:
            self.down = False
            self.trip_rule = None
            self.lose_rule = None

    def trip_after(self, method, path_prefix, passes):
        """Go down at the request after the first ``passes`` ``method`` requests under ``path_prefix``."""
        with self.lock:
            self.trip_rule = (method, path_prefix, passes)

    def dropped(self, method=None):
        with self.lock:
            return [
                (m, p) for m, p, forwarded in self.seen if not forwarded and (method is None or m == method)
            ]
