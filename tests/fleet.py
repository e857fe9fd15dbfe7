"""Real `rehab serve` and `rehab scheduler` processes on one database, and a mail server that can hold a message.

    with Fleet(env, tmp_path) as fleet:
        fleet.scheduler("s0", {"REHAB_SMTP__PORT": "..."})
        port = fleet.server("w0")
        fleet.wait_ready()

Each process is the installed `rehab` command (no `uv run` wrapper: the pid is the process itself), its
output in a file of `tmp_path` (shown by `fleet.logs()` when a test fails). Every process still running is
stopped at the end: SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import asyncio
import base64
import email
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self

import httpx
from aiosmtpd.controller import Controller

from notifications.testing import free_port

REHAB = Path(sys.executable).with_name("rehab")
READY_SECONDS = 180  # six Python processes importing at once on a busy two-core machine


def production_env(database_url: str, **variables: str) -> dict[str, str]:
    """A process environment in production mode with fresh secrets, and no REHAB_* of the test run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REHAB_")}
    env |= {
        "REHAB_ENV": "production",
        "REHAB_DATABASE_URL": database_url,
        "REHAB_SESSION_SECRET": secrets.token_urlsafe(48),
        "REHAB_ID_NUMBER_SALT": secrets.token_urlsafe(48),
        "REHAB_ID_NUMBER_KEY": secrets.token_urlsafe(48),
        "REHAB_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),  # Ed25519 seed of the chain
        "REHAB_LOG_JSON": "true",
        "PYTHONUNBUFFERED": "1",
    }
    return env | variables


@dataclass
class Member:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int | None = None  # a server's HTTP port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Fleet:
    env: dict[str, str]
    directory: Path
    members: dict[str, Member] = field(default_factory=dict)
    _files: list[IO[bytes]] = field(default_factory=list)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start(self, name: str, args: list[str], extra: dict[str, str] | None, port: int | None = None) -> Member:
        log = self.directory / f"{name}.log"
        out = log.open("wb")
        self._files.append(out)
        env = self.env | (extra or {})
        process = subprocess.Popen([str(REHAB), *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        member = self.members[name] = Member(name, process, log, port)
        return member

    def scheduler(self, name: str, extra: dict[str, str] | None = None) -> Member:
        return self._start(name, ["scheduler"], extra)

    def server(self, name: str, extra: dict[str, str] | None = None) -> Member:
        port = free_port()
        return self._start(name, ["serve", "--port", str(port), "--no-scheduler"], extra, port)

    def wait_ready(self) -> None:
        """Every server answers /readyz with 200; every process is still running."""
        deadline = time.monotonic() + READY_SECONDS
        waiting = [m for m in self.members.values() if m.port is not None]
        while waiting:
            for member in self.members.values():
                if member.process.poll() is not None:
                    raise AssertionError(f"{member.name} exited with {member.process.returncode}\n{self.logs()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not ready after {READY_SECONDS}s: {[m.name for m in waiting]}\n{self.logs()}")
            waiting = [m for m in waiting if not _ready(m)]
            time.sleep(0.5)

    def kill(self, name: str) -> None:
        """SIGKILL: no cleanup, no goodbye to the database; what it held must lapse by itself."""
        member = self.members[name]
        member.process.send_signal(signal.SIGKILL)
        member.process.wait(timeout=10)

    def running(self) -> list[str]:
        return [m.name for m in self.members.values() if m.process.poll() is None]

    def stop(self) -> None:
        for member in self.members.values():
            if member.process.poll() is None:
                member.process.terminate()
        for member in self.members.values():
            try:
                member.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                member.process.kill()
                member.process.wait(timeout=10)
        for out in self._files:
            out.close()

    def logs(self, tail: int = 30) -> str:
        parts = []
        for member in self.members.values():
            lines = member.log.read_text(errors="replace").splitlines()[-tail:] if member.log.exists() else []
            parts.append(f"--- {member.name} (exit {member.process.poll()}) ---\n" + "\n".join(lines))
        return "\n".join(parts)


def _ready(member: Member) -> bool:
    try:
        return httpx.get(f"{member.url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# --------------------------------------------------------------------------- mail


@dataclass(frozen=True)
class Received:
    port_index: int  # which of the mailbox's ports took it: one per scheduler
    outbox_id: int
    to: tuple[str, ...]
    message_id: str


class HoldingMailbox:
    """An SMTP server on `ports` ports that keeps every message, except the first one: it holds that one
    unanswered (the sender waits for the reply to its DATA) until the sender's connection drops, and then
    keeps nothing of it, as a real server does with a message whose sender vanished before the reply."""

    def __init__(self, ports: int) -> None:
        self.received: list[Received] = []
        self.held: Received | None = None
        self.holding = threading.Event()  # set once the first message is held
        self.dropped = threading.Event()  # set once its sender's connection is gone
        self._controllers = [Controller(_Port(self, i), hostname="127.0.0.1", port=free_port()) for i in range(ports)]
        self.ports = [c.port for c in self._controllers]

    def __enter__(self) -> Self:
        for controller in self._controllers:
            controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for controller in self._controllers:
            controller.stop()

    async def receive(self, index: int, server: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content)
        got = Received(index, int(parsed["X-Rehab-Outbox-Id"]), tuple(envelope.rcpt_tos), str(parsed["Message-ID"]))
        if self.held is not None:
            self.received.append(got)
            return "250 OK"
        self.held = got
        self.holding.set()
        try:
            for _ in range(1200):  # at most a minute
                transport = server.transport
                if transport is None or transport.is_closing():
                    break
                await asyncio.sleep(0.05)
        finally:  # aiosmtpd cancels the handler when the connection is lost
            self.dropped.set()
        return "421 closing"


class _Port:
    def __init__(self, box: HoldingMailbox, index: int) -> None:
        self.box, self.index = box, index

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook name)
        return await self.box.receive(self.index, server, envelope)
