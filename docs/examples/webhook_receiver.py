"""An example receiver of Convene's webhooks: answers the CloudEvents validation handshake,
verifies each delivery's Standard Webhooks signature, reads it with the CloudEvents SDK and
drops a duplicate by its webhook-id. Convene's tests run this very file
(tests/integration/test_subscriptions_webhooks.py), so what docs/subscribers.md shows works.

    pip install standardwebhooks cloudevents
    python docs/examples/webhook_receiver.py --port 9000 --secret whsec_...   # prints each new event

Behind your HTTPS terminator, subscribe https://your.host/ with POST /v1/subscriptions.
"""

from __future__ import annotations

import argparse
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from standardwebhooks import Webhook, WebhookVerificationError

ALLOWED_ORIGIN = "convene.local"  # Convene's WEBHOOK_ORIGIN: the only sender this receiver accepts


class Receiver:
    """Keeps the events it accepted, each once, in arrival order; `status` is what it answers."""

    def __init__(self, secrets: list[str]):
        self.webhooks = [Webhook(secret) for secret in secrets]
        self.events = []  # accepted CloudEvents, each webhook-id once
        self.seen: set[str] = set()
        self.duplicates = 0
        self.status = 200  # a test sets 500 to play a failing receiver
        self.lock = threading.Lock()

    def verified(self, body: bytes, headers: dict[str, str]) -> bool:
        for webhook in self.webhooks:  # during a secret rotation, either secret may be the one you hold
            try:
                webhook.verify(body, headers, json_parse=False)
                return True
            except WebhookVerificationError:
                continue
        return False

    def accept(self, body: bytes, headers: dict[str, str]) -> int:
        """The status to answer one POST with."""
        if not self.verified(body, headers):
            return 401
        if self.status != 200:
            return self.status
        event = from_http_event(HTTPMessage(headers=headers, body=body))
        with self.lock:
            if headers["webhook-id"] in self.seen:  # a redelivery of an event already handled
                self.duplicates += 1
                return 200
            self.seen.add(headers["webhook-id"])
            self.events.append(event)
        return 200


def handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_OPTIONS(self):  # the CloudEvents webhook validation handshake
            origin = self.headers.get("WebHook-Request-Origin")
            if origin != ALLOWED_ORIGIN:
                self.send_response(403)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("WebHook-Allowed-Origin", origin)
            self.send_header("Allow", "POST")
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {name.lower(): value for name, value in self.headers.items()}
            self.send_response(receiver.accept(body, headers))
            self.end_headers()

        def log_message(self, *_):  # quiet: nothing of a delivery goes to the log
            pass

    return Handler


def serve(receiver: Receiver, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), handler_for(receiver))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", action="append", required=True, help="whsec_... (twice during a rotation)")
    args = parser.parse_args()
    receiver = Receiver(args.secret)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(receiver))
    printed = 0

    def report():
        nonlocal printed
        while True:
            threading.Event().wait(1)
            for event in receiver.events[printed:]:
                print(event.get_time(), event.get_type(), event.get_id(), flush=True)
            printed = len(receiver.events)

    threading.Thread(target=report, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
