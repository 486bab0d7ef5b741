"""A stand-in core system for the outbox tests: a real HTTP server on 127.0.0.1, in a thread."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from accounts.signing import signature_valid


class FakeCoreSystem:
    """
    Answers each POST with `status` (or sleeps `hang` seconds first), keeps
    what it received, and checks every request's signature as a real receiver would.
    """

    def __init__(self, *, secret: str, status: int = 200, body: str = '{"ok": true}'):
        self.secret, self.status, self.body, self.hang = secret, status, body, 0.0
        self.received: list[dict] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with owner.lock:
                    owner.received.append(
                        {
                            "path": self.path,
                            "body": body,
                            "payload": json.loads(body),
                            "idempotency_key": self.headers.get("Idempotency-Key"),
                            "signed": signature_valid(
                                secret=owner.secret,
                                timestamp=self.headers.get("X-Arrears-Timestamp"),
                                body=body,
                                signature=self.headers.get("X-Arrears-Signature"),
                            ),
                        }
                    )
                if owner.hang:
                    time.sleep(owner.hang)
                answer = owner.body.encode()
                try:
                    self.send_response(owner.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/credit-lines/changes"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def keys(self) -> list[str]:
        return [request["idempotency_key"] for request in self.received]


def closed_port_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/credit-lines/changes"
