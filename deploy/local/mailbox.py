"""The development mailbox: a real SMTP server on loopback that keeps every mail it receives,
and a small inbox page to read them in a browser. A development tool, not a Convene service:
`make up` starts it (SMTP 127.0.0.1:1025, inbox http://127.0.0.1:8025), the e-mail tests start
their own. It keeps mails in memory only, and relays nothing anywhere.

    python deploy/local/mailbox.py [--smtp-port 1025] [--http-port 8025] [--host 127.0.0.1]

`docker compose up` runs it too (docker-compose.yml's `mailbox`: SMTP mailbox:1025 inside the
compose network, inbox http://localhost:8025).

Pages: `/` lists the mails (subject, to, received), `/messages/<n>` shows one (its text part
and the names of its attachments), `/messages.json` lists them for tools.
"""

from __future__ import annotations

import argparse
import html
import json
import signal
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class Inbox:
    """What the SMTP server received, in order, safe to read while it receives."""

    def __init__(self):
        self._lock = threading.Lock()
        self._mails: list[dict] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.add(message, envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def add(self, message: EmailMessage, recipients: list[str]) -> None:
        text = message.get_body(preferencelist=("plain",))
        attachments = [
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "content": part.get_content() if part.get_content_maintype() == "text" else None,
            }
            for part in message.iter_attachments()
        ]
        with self._lock:
            self._mails.append(
                {
                    "number": len(self._mails) + 1,
                    "message_id": message["Message-ID"],
                    "subject": str(message["Subject"] or "").strip(),  # a folded Subject unfolds with a leading space
                    "to": ", ".join(recipients),
                    "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "text": text.get_content() if text is not None else "",
                    "attachments": attachments,
                }
            )

    def mails(self) -> list[dict]:
        with self._lock:
            return [dict(mail) for mail in self._mails]


class Mailbox:
    """The SMTP server and the inbox page; `stop()` and `start()` again take the SMTP side down and
    up (a mail server outage) while the inbox keeps what it had."""

    def __init__(self, smtp_port: int = 1025, http_port: int = 8025, host: str = "127.0.0.1"):
        self.host, self.smtp_port, self.http_port = host, smtp_port, http_port
        self.inbox = Inbox()
        self._smtp: Controller | None = None
        self._http: ThreadingHTTPServer | None = None

    def start(self) -> Mailbox:
        self._smtp = Controller(self.inbox, hostname=self.host, port=self.smtp_port)
        self._smtp.start()
        if self._http is None and self.http_port:
            self._http = ThreadingHTTPServer((self.host, self.http_port), _page(self.inbox))
            threading.Thread(target=self._http.serve_forever, daemon=True, name="mailbox-page").start()
        return self

    def stop_smtp(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None

    def stop(self) -> None:
        self.stop_smtp()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None


def _page(inbox: Inbox):
    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?", 1)[0]
            mails = inbox.mails()
            if path == "/messages.json":
                return self._answer(json.dumps(mails, indent=2), "application/json")
            if path == "/":
                return self._answer(_listing(mails))
            number = path.removeprefix("/messages/")
            if number.isdigit() and 0 < int(number) <= len(mails):
                return self._answer(_one(mails[int(number) - 1]))
            self._answer("<p>No such mail. <a href='/'>Inbox</a></p>", status=404)

        def _answer(self, body: str, content_type: str = "text/html; charset=utf-8", status: int = 200):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass  # the page's requests are nobody's business

    return Page


def _listing(mails: list[dict]) -> str:
    rows = "".join(
        f"<tr><td><a href='/messages/{m['number']}'>{html.escape(m['subject'] or '(no subject)')}</a></td>"
        f"<td>{html.escape(m['to'])}</td><td>{m['received_at']}</td></tr>"
        for m in reversed(mails)
    )
    return _html(
        "Convene development mailbox",
        f"<p>{len(mails)} mail(s) received on SMTP. Newest first.</p>"
        "<table><thead><tr><th>Subject</th><th>To</th><th>Received (UTC)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>",
    )


def _one(mail: dict) -> str:
    attachments = "".join(
        f"<li>{html.escape(a['filename'] or '(unnamed)')} ({html.escape(a['content_type'])})</li>"
        for a in mail["attachments"]
    )
    return _html(
        mail["subject"] or "(no subject)",
        f"<p><a href='/'>Inbox</a></p><dl><dt>To</dt><dd>{html.escape(mail['to'])}</dd>"
        f"<dt>Received (UTC)</dt><dd>{mail['received_at']}</dd></dl>"
        f"<pre>{html.escape(mail['text'])}</pre><h2>Attachments</h2><ul>{attachments or '<li>none</li>'}</ul>",
    )


def _html(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:Arial,sans-serif;margin:2em}td,th{padding:.3em .8em;text-align:left}"
        "pre{white-space:pre-wrap;background:#f0f4f5;padding:1em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--smtp-port", type=int, default=1025)
    arguments.add_argument("--http-port", type=int, default=8025)
    # Loopback unless told: docker-compose.yml's mailbox listens on its container's network.
    arguments.add_argument("--host", default="127.0.0.1")
    options = arguments.parse_args()
    mailbox = Mailbox(options.smtp_port, options.http_port, options.host).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"SMTP on {options.host}:{options.smtp_port}; inbox on http://{options.host}:{options.http_port}", flush=True)
    stop.wait()
    mailbox.stop()


if __name__ == "__main__":
    main()
