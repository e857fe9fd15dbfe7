"""Real local receivers for tests and demos, in the spirit of ``structlog.testing``.

``Mailbox`` is an SMTP server (aiosmtpd, a dev dependency: import this module from tests or
demos only); ``WebhookReceiver`` an HTTP server. Both listen on 127.0.0.1 and keep what they get.

    with Mailbox() as mailbox, WebhookReceiver() as receiver:
        settings = Settings(smtp=SmtpSettings(enabled=True, port=mailbox.port), ...)
"""

from __future__ import annotations

import email
import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """An SMTP server that accepts every message and keeps its envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook name)
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        """The received messages, parsed: ``get_content()`` gives the decoded text."""
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


class WebhookReceiver:
    """An HTTP server answering every POST with ``status`` after ``delay`` seconds."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status = status
        self.delay = delay
        self.requests: list[tuple[Any, bytes]] = []  # (headers, raw body)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/alerts"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server hook name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(receiver.delay)
            receiver.requests.append((self.headers, body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (base-class signature)
            """Quiet: callers look at ``requests``."""

    return Handler
