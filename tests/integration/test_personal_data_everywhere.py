"""The demo people's full names and ID numbers appear only where the role may read them: a demo database is
built through the engine, every role signs in and reads every page and API answer (lists, searches for other
people's names and numbers, dossier pages, history, actions, documents as .docx text, exports, inbox, plans and
their Excel reports, people, users, security), and every log line written meanwhile is captured.

A name or number may appear in an answer to a user only if `workflow.access` lets that user read the person of
one of the person's dossiers; it never appears in a log line or in the bytes of the transition log.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import structlog
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from demo import build_demo
from demo.users import DEMO_PASSWORD
from tests.integration.test_api import sign_in, sign_out
from tests.integration.test_personal_data import entry_bytes
from workflow.access import may_read_person, scope_of
from workflow.engine import Actor
from workflow.errors import WorkflowError
from workflow.names import fold
from workflow.runtime import Runtime
from workflow.settings import Settings
from workflow.tables import Dossier, EntryText, Person, Plan, TransitionLog, User

with warnings.catch_warnings():  # starlette 1.x asks for httpx2, which is not a dependency here
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from admin.app import create_app  # noqa: E402  (after the warning filter, as in test_api)

TODAY = date(2026, 11, 20)
COUNT = 30  # dossiers: enough for every role to have readable and unreadable ones
PER_USER = 3  # readable dossiers walked per user (and as many unreadable ones)
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
TEXT = EntryText.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]
PLAN = Plan.__table__  # type: ignore[attr-defined]
DOCX_TYPES = ("reading_notice", "completion_certificate")  # the person named; the issuer's name


@dataclass(frozen=True)
class Reader:
    username: str
    role: str
    agency_id: str | None


@dataclass
class World:
    rt: Runtime
    people: dict[int, tuple[str, str | None]]  # person id -> (full name, ID number in clear)
    dossiers: list[Any]  # rows: id, code, person_id, commune_code, agency_id
    readers: list[Reader]
    plans: list[str]
    logs: list[dict[str, Any]] = field(default_factory=list)

    def secrets_of(self, person_id: int) -> set[str]:
        name, number = self.people[person_id]
        found = {name, fold(name)}
        return found | {number} if number else found

    def allowed(self, reader: Reader) -> set[int]:
        """The people whose name and number `reader` may read: the person of one of their dossiers."""
        scope = scope_of(reader, self.rt.engine.directory(), self.rt.today())
        return {d.person_id for d in self.dossiers if may_read_person(scope, d.commune_code, d.agency_id)}

    def forbidden(self, reader: Reader) -> dict[str, int]:
        """Each text `reader` must not meet (names, folded names, ID numbers) -> whose it is."""
        allowed = self.allowed(reader)
        permitted = set().union(*(self.secrets_of(p) for p in allowed)) if allowed else set()
        return {s: p for p in self.people if p not in allowed for s in self.secrets_of(p) if s not in permitted}


def _readers(rt: Runtime, dossiers: list[Any]) -> list[Reader]:
    """The administrator and, for each agency type, the user of the agency responsible for most dossiers; two
    commune police (of different communes) so that a neighbour's people are checked too."""
    with rt.db.connect() as conn:
        users = [Reader(u.username, u.role, u.agency_id) for u in conn.execute(select(USER)).all()]
    directory = rt.engine.directory()
    load = {a: sum(d.agency_id == a for d in dossiers) for a in {d.agency_id for d in dossiers}}
    chosen: dict[str, Reader] = {}
    for user in sorted(users, key=lambda u: (-load.get(u.agency_id, 0), u.username)):
        kind = "admin" if user.role == "admin" else directory.type_of(user.agency_id) or "none"
        key = kind if kind not in chosen else f"{kind}#2"
        if key not in chosen and (key == kind or kind == "commune_police"):
            chosen[key] = user
    return list(chosen.values())


def _note_the_names(rt: Runtime, dossiers: list[Any], people: dict[int, tuple[str, str | None]]) -> None:
    """A clerk types a person's name and number into a step's note (applied or refused, it is attempted)."""
    directory = rt.engine.directory()
    for d in dossiers[:6]:
        regime = rt.regimes[d.regime]
        steps = [s for s in regime.steps if s.sources and d.state in {x.value for x in s.sources}]
        if not steps:
            continue
        name, number = people[d.person_id]
        actor = Actor("clerk", directory.resolve("commune_police", d.commune_code, rt.today()))
        try:
            rt.engine.fire(d.id, steps[0].event.value, actor, {"note": f"{name}, CCCD {number}: đã gặp tại nhà"})
        except WorkflowError:
            pass


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    rt = Runtime.build(
        Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('pii') / 'demo.db'}"), migrate_db=True
    )
    logs: list[dict[str, Any]] = []
    with structlog.testing.capture_logs() as captured:
        build_demo(rt, count=COUNT, today=TODAY)
    logs += captured
    with rt.db.connect() as conn:
        people = {p.id: (p.full_name, rt.engine.ids.reveal(p.id_number)) for p in conn.execute(select(PERSON))}
        dossiers = conn.execute(select(DOSSIER).order_by(DOSSIER.c.id)).all()
        plans = [p.id for p in conn.execute(select(PLAN.c.id))]
    with structlog.testing.capture_logs() as captured:
        _note_the_names(rt, dossiers, people)
    logs += captured
    with rt.db.connect() as conn:
        dossiers = conn.execute(select(DOSSIER).order_by(DOSSIER.c.id)).all()
    yield World(rt, people, dossiers, _readers(rt, dossiers), plans, logs)
    rt.db.dispose()


# --------------------------------------------------------------------------- reading what a user can reach


def _text(response: Any) -> str:
    kind = response.headers.get("content-type", "")
    if "wordprocessingml" in kind:
        document = Document(io.BytesIO(response.content))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row)
    return response.text


def _urls(world: World, reader: Reader, forbidden: dict[str, int]) -> Iterator[str]:
    agency = reader.agency_id or ""
    yield from ("/", "/dossiers", "/api/v1/dossiers?page_size=200", "/api/v1/deadlines", "/api/v1/inbox")
    yield from (f"/inbox/{agency}", f"/api/v1/inbox/{agency}", "/audit", "/audit/log", "/api/v1/audit/log")
    yield from ("/api/v1/audit/log/export", "/api/v1/audit/log/export?format=csv", "/api/v1/audit/export")
    yield from ("/api/v1/audit/verify", "/plans", "/api/v1/plans", "/admin/users", "/api/v1/users")
    yield from ("/admin/security", "/api/v1/security/events", "/api/v1/sessions", "/admin/agencies")
    for plan in world.plans:
        yield from (f"/plans/{plan}", f"/api/v1/plans/{plan}/progress", f"/api/v1/plans/{plan}/report.xlsx")
    for other in sorted({s for s in forbidden if not s.isdigit()})[:3]:  # searching for others' names
        yield from (f"/dossiers?q={other}", f"/api/v1/dossiers?q={other}")
    for number in sorted({s for s in forbidden if s.isdigit()})[:2]:  # and their ID numbers
        yield from (f"/dossiers?q={number}", f"/api/v1/dossiers?q={number}")
    allowed = world.allowed(reader)
    mine = [d for d in world.dossiers if d.person_id in allowed][:PER_USER]
    others = [d for d in world.dossiers if d.person_id not in allowed][:PER_USER]
    for d in mine + others:
        yield from (f"/dossiers/{d.id}", f"/ho-so/{d.code}", f"/people/{d.person_id}")
        yield from (f"/api/v1/dossiers/{d.id}", f"/api/v1/dossiers/{d.id}/history", f"/api/v1/dossiers/{d.id}/actions")
        yield from (f"/api/v1/dossiers/{d.id}/documents", f"/api/v1/people/{d.person_id}")
        yield from (f"/api/v1/dossiers/{d.id}/documents/{t}.docx" for t in DOCX_TYPES)


def _walk(client: TestClient, world: World, reader: Reader) -> tuple[int, list[str], bool]:
    """Every answer the reader gets: how many, each forbidden text met (url and whose), and whether an allowed
    name was seen at least once (the search finds what it looks for)."""
    forbidden = world.forbidden(reader)
    pattern = re.compile("|".join(re.escape(s) for s in sorted(forbidden, key=len, reverse=True)), re.IGNORECASE)
    allowed_names = {world.people[p][0] for p in world.allowed(reader)}
    met, seen_allowed, count = [], False, 0
    for url in _urls(world, reader, forbidden):
        response = client.get(url, follow_redirects=True)
        assert response.status_code < 500, (reader.username, url, response.status_code)
        body = _text(response)
        if "?q=" in url:  # the search box shows what the user typed: their own text, not the system's answer
            body = body.replace(url.split("?q=", 1)[1], "")
        count += 1
        if forbidden:
            met += [f"{reader.username} {url}: {m.group(0)}" for m in pattern.finditer(body)]
        seen_allowed = seen_allowed or any(n in body for n in allowed_names)
    return count, met, seen_allowed


# --------------------------------------------------------------------------- the test


def test_names_and_id_numbers_appear_only_where_the_role_may_read_them(world: World) -> None:
    answers, met, blind = 0, [], []
    with structlog.testing.capture_logs() as captured, TestClient(create_app(world.rt)) as client:
        for reader in world.readers:
            assert sign_in(client, reader.username, DEMO_PASSWORD).status_code == 303, reader.username
            count, found, seen = _walk(client, world, reader)
            answers, met = answers + count, met + found
            if world.allowed(reader) and not seen:
                blind.append(reader.username)
            sign_out(client)
    world.logs += captured

    assert answers > 300
    assert {r.role for r in world.readers} >= {"admin", "staff", "procurator", "supervisor"}
    assert met == []
    assert blind == []  # every reader of people did meet the names they may read


def test_no_name_or_id_number_is_ever_logged(world: World) -> None:
    everything = {s for p in world.people for s in world.secrets_of(p)}
    lines = [json.dumps(entry, ensure_ascii=False, default=str) for entry in world.logs]

    assert len(lines) > 50
    assert [line for line in lines if any(s in line for s in everything)] == []


def test_no_name_or_id_number_is_on_the_chain_and_the_typed_ones_are_beside_it(world: World) -> None:
    everything = {s for p in world.people for s in world.secrets_of(p)}
    with world.rt.db.connect() as conn:
        chain = [entry_bytes(r).decode() for r in conn.execute(select(LOG))]
        beside = [r.text or "" for r in conn.execute(select(TEXT))]

    assert [line for line in chain if any(s in line for s in everything)] == []
    assert any(any(s in text for s in everything) for text in beside)  # the clerk's notes were kept, off the chain
