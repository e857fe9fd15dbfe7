"""Pages in the user's language: names not codes, every form error at once beside its field with what was
typed kept, confirmation before irreversible steps, a return's reasons, and why a step cannot be taken yet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from demo import build_demo
from states.model import ClosingReason, State
from tests.integration.test_api import PASSWORD, TestClient, as_, client_for, sign_in
from tests.journeys import AGENCY_OF, Journey, attachments, to_court_acceptance, to_court_decision
from workflow.passwords import hash_password
from workflow.runtime import Runtime
from workflow.settings import Settings
from workflow.tables import Dossier, User

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
STATE_CODES = {s.value for s in State}
CLOSING_CODES = {r.value for r in ClosingReason}


class VisibleText(HTMLParser):
    """The text a reader sees, without the small print that may show codes for support (`.code`, `.support`)."""

    SMALL_PRINT = frozenset({"code", "support"})
    VOID = frozenset({"input", "br", "meta", "link", "img", "hr", "col", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hiding: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        self.hiding.append(tag in ("style", "script", "title") or bool(classes & self.SMALL_PRINT))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.hiding:
            self.hiding.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.hiding):
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return " ".join(parser.parts)


def codes_in(text: str, codes: set[str]) -> set[str]:
    return {c for c in codes if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", text)}


# ----------------------------------------------------------------------------- demo pages name every code


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Runtime]]:
    from admin.app import create_app

    path = tmp_path_factory.mktemp("demo-pages") / "demo.db"
    rt = Runtime.build(Settings(database_url=f"sqlite:///{path}"), migrate_db=True)
    build_demo(rt, count=60, today=date(2026, 11, 20))
    hashed = hash_password(PASSWORD, iterations=1000)
    with rt.db.begin() as conn:
        conn.execute(
            insert(User.__table__),  # type: ignore[attr-defined]
            [
                {
                    "username": "kiemsat",
                    "agency_id": "dien-bien.procuracy",
                    "role": "procurator",
                    "password_hash": hashed,
                }
            ],
        )
    with TestClient(create_app(rt)) as client:
        sign_in(client, "kiemsat")
        yield client, rt
    rt.db.dispose()


def one_dossier_per_state(rt: Runtime) -> dict[str, int]:
    with rt.db.connect() as conn:
        rows = conn.execute(select(DOSSIER.c.state, DOSSIER.c.id).order_by(DOSSIER.c.id)).all()
    return {state: dossier_id for state, dossier_id in reversed(rows)}


def test_no_state_or_closing_code_reaches_the_text_of_a_demo_dossier_page(demo_site) -> None:  # type: ignore[no-untyped-def]
    client, rt = demo_site
    sample = one_dossier_per_state(rt)
    assert len(sample) >= 12  # the demo covers the stages

    leaks = {}
    for state, dossier_id in sample.items():
        response = client.get(f"/dossiers/{dossier_id}")
        assert response.status_code == 200, state
        text = VisibleText.of(response.text)
        found = codes_in(text, STATE_CODES | CLOSING_CODES) | set(re.findall(r"\b[a-z_]+__[a-z_]+\b", text))
        if found:
            leaks[state] = found
        assert state in response.text  # the code is still there, in small print, for support

    assert leaks == {}


def test_the_home_page_and_an_inbox_name_stages_and_agencies(demo_site) -> None:  # type: ignore[no-untyped-def]
    client, rt = demo_site

    home = VisibleText.of(client.get("/").text)
    inbox = VisibleText.of(client.get("/inbox/dien-bien.facility").text)

    log_search = VisibleText.of(client.get("/audit/log").text)

    assert codes_in(home, STATE_CODES) == set() and "Chấp hành tại cơ sở cai nghiện" in home
    assert (
        codes_in(log_search, STATE_CODES | CLOSING_CODES) == set() and "Tòa án quyết định (mọi kết quả)" in log_search
    )
    assert codes_in(inbox, STATE_CODES) == set() and "dien-bien.facility" not in inbox


def test_the_api_carries_the_vietnamese_names_beside_the_codes(demo_site) -> None:  # type: ignore[no-untyped-def]
    client, rt = demo_site
    closed = one_dossier_per_state(rt)["closed"]

    view = client.get(f"/api/dossiers/{closed}", auth=as_("kiemsat")).json()
    listed = client.get("/api/dossiers?state=closed&page_size=1", auth=as_("kiemsat")).json()["items"][0]

    assert view["state_label_vi"] == "Kết thúc hồ sơ" and view["closing_reason_label_vi"]
    assert view["track_label_vi"].startswith("Người từ đủ")
    assert all(d["label_vi"] != t for t, d in view["documents"].items())
    assert listed["state_label_vi"] == "Kết thúc hồ sơ" and listed["closing_reason_label_vi"]


# ----------------------------------------------------------------------------- forms


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Journey]]:
    with client_for(tmp_path) as pair:
        yield pair


def login(client: TestClient, user: str) -> None:
    sign_in(client, user)


def post(client: TestClient, journey: Journey, event: str, **fields: str) -> Any:
    page = client.get(f"/dossiers/{journey.dossier_id}").text
    token = re.search(r'name="csrf" (?:value|content)="([0-9a-f]+)"', page)
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    data = {
        "csrf": token.group(1) if token else "",
        "event": event,
        "expected_version": version.group(1) if version else "",
        "idempotency_key": f"k-{event}-{len(fields)}-{sorted(fields.items())!r}"[:120],
        **fields,
    }
    return client.post(f"/dossiers/{journey.dossier_id}/fire", data=data, follow_redirects=False)


def field_errors(html: str) -> dict[str, list[str]]:
    """Each input's name → the messages shown beside it (inside its label)."""
    found: dict[str, list[str]] = {}
    for label in re.findall(r"<label[^>]*class=\"[^\"]*invalid[^\"]*\"[^>]*>(.*?)</label>", html, re.S):
        name = re.search(r'name="([^"]+)"', label)
        if name:
            found[name.group(1)] = re.findall(r'<span class="field-error">([^<]*)</span>', label)
    return found


def add_user(journey: Journey, username: str, agency_id: str, role: str = "staff") -> None:
    row = {"username": username, "agency_id": agency_id, "role": role}
    with journey.rt.db.begin() as conn:
        conn.execute(insert(User.__table__), [{**row, "password_hash": hash_password(PASSWORD, iterations=1000)}])  # type: ignore[attr-defined]


def dossier(client: TestClient, journey: Journey) -> dict[str, Any]:
    return dict(client.get(f"/api/dossiers/{journey.dossier_id}", auth=as_("vks")).json())


def to_awaiting_escort(journey: Journey) -> None:
    to_court_decision(journey)
    journey.step("end_complaint_period", "district_court", days=10)


def test_a_handover_with_nothing_filled_in_shows_every_problem_beside_its_field_and_keeps_the_input(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    to_awaiting_escort(journey)
    add_user(journey, "cah", AGENCY_OF["district_police"])  # the district police hand the person over
    login(client, "cah")

    response = post(
        client,
        journey,
        "record_escort",
        **{"document.number": "", "document.date": "31/02/2023", "note": "Giao tại cổng cơ sở"},
    )

    assert response.status_code == 422
    errors = field_errors(response.text)
    assert "document.date" in errors and "dd/mm/yyyy" in errors["document.date"][0]
    assert "document.number" in errors and "Biên bản bàn giao" in errors["document.number"][0]
    assert "field.facility_name" in errors and errors["field.facility_name"][0].startswith(
        "Chưa nhập: Cơ sở cai nghiện"
    )
    # (no typed pending days any more: time managed at a facility is recorded by its own decision, Mẫu 36)
    assert 'value="31/02/2023"' in response.text
    assert re.search(r'<select name="field.facility_name"[^>]*>.*Cơ sở cai nghiện', response.text, re.S)


def test_an_irreversible_step_is_not_attempted_until_confirmed_and_says_what_else_is_wrong(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    login(client, "cax")
    history_before = client.get(f"/api/dossiers/{journey.dossier_id}/history").json()

    unconfirmed = post(client, journey, "discontinue", **{"document.number": "5/QĐ", "document.date": "01/03/2023"})

    assert unconfirmed.status_code == 422
    assert "không thể hoàn tác" in unconfirmed.text
    errors = field_errors(unconfirmed.text)
    assert "field.reason" in errors  # the required reason is named at the same time
    assert client.get(f"/api/dossiers/{journey.dossier_id}/history").json() == history_before  # nothing written

    confirmed = post(
        client,
        journey,
        "discontinue",
        confirm="1",
        **{"document.number": "5/QĐ", "document.date": f"{journey.clock.today:%d/%m/%Y}", "field.reason": "Đã chết"},
    )

    assert confirmed.status_code == 303
    assert journey.state == "closed"


def test_the_labour_office_return_is_shown_to_the_commune_with_its_reasons(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, journey):
        journey.step("request_determination", "commune_police")
        journey.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
        journey.step(
            "notify_person",
            "commune_committee",
            {"grounds": "no_voluntary_rehab", "attachments": attachments(journey.clock.today)},
        )
        journey.step("send_to_labour", "commune_committee", days=6)
        journey.step(
            "return_for_supplementation", "labour_office", {"reasons": "Thiếu bản tường trình có chữ ký"}, days=1
        )
        login(client, "ubndx")

        page = client.get(f"/dossiers/{journey.dossier_id}").text
        assert "Hồ sơ bị trả lại để bổ sung" in page and "Thiếu bản tường trình có chữ ký" in page
        assert 'name="att.statement.number"' in page  # the resubmission form carries the corrected document

        today = f"{journey.clock.today:%d/%m/%Y}"
        response = post(
            client,
            journey,
            "resubmit",
            **{
                "document.number": "8/CV",
                "document.date": today,
                "att.statement.number": "4/TT",
                "att.statement.date": today,
            },
        )

        assert response.status_code == 303
        assert dossier(client, journey)["documents"]["statement"]["number"] == "4/TT"
        assert "return-reasons" not in client.get(f"/dossiers/{journey.dossier_id}").text


# ----------------------------------------------------------------------------- why a step cannot be taken


def test_escort_during_the_complaint_period_says_the_decision_is_not_in_effect_and_until_when(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    to_court_decision(journey)
    decided = date.fromisoformat(dossier(client, journey)["documents"]["court_decision"]["date"])
    ends = journey.rt.calendar.add_working_days(decided, 5)

    actions = client.get(f"/api/v1/dossiers/{journey.dossier_id}/actions", auth=as_("toa")).json()

    escort = next(a for a in actions if a["trigger"] == "record_escort")
    reasons = " ".join(r["reason_vi"] for r in escort["reasons"])
    assert escort["available"] is False and escort["steps_before"] == 1
    assert "chưa có hiệu lực pháp luật" in reasons and f"đến hết ngày {ends:%d/%m/%Y}" in reasons
    assert any("Pháp lệnh 03/2022" in r["basis"] for r in escort["reasons"])
    ending = next(a for a in actions if a["trigger"] == "end_complaint_period")
    assert ending["in_current_stage"] and not ending["available"]
    assert [r["code"] for r in ending["reasons"]] == ["decision.complaint_period_running"]
    history = client.get(f"/api/dossiers/{journey.dossier_id}/history", auth=as_("vks")).json()
    assert [e for e in history if e["kind"] == "refusal"] == []  # nothing written


def test_the_actions_api_names_what_an_available_step_needs_and_refuses_another_agencys_step(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site

    actions = {
        a["trigger"]: a for a in client.get(f"/api/v1/dossiers/{journey.dossier_id}/actions", auth=as_("cax")).json()
    }
    others = {
        a["trigger"]: a for a in client.get(f"/api/v1/dossiers/{journey.dossier_id}/actions", auth=as_("yte")).json()
    }

    assert actions["request_determination"]["available"] is True
    assert actions["request_determination"]["needs"][0]["field"] == "document"
    assert actions["discontinue"]["irreversible"] is True and actions["discontinue"]["needs"][1]["field"] == "reason"
    assert others["request_determination"]["available"] is False
    assert others["request_determination"]["reasons"][0]["code"] == "actor.not_authorised"
    assert client.get("/api/v1/dossiers/999/actions", auth=as_("cax")).status_code == 404


def test_the_dossier_page_lists_the_next_steps_that_wait_with_their_reasons(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    to_court_decision(journey)
    login(client, "toa")

    page = client.get(f"/dossiers/{journey.dossier_id}").text

    blocked = page[page.index('id="blocked"') :]
    assert "Chưa hết thời hạn khiếu nại, kiến nghị, kháng nghị (đến hết ngày" in page
    assert "Bước chưa thực hiện được" in page and "Trước hết cần" in blocked
    assert 'id="term"' in page and "12 tháng" in page and 'id="session-on"' in page


def test_a_suspended_case_is_shown_paused_and_never_overdue(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    to_court_acceptance(journey)
    journey.step("decide", "district_court", {"outcome": "suspend", "reason": "Người bị đề nghị ốm nặng"}, days=1)
    journey.clock.advance(days=60)
    login(client, "toa")

    page = client.get(f"/dossiers/{journey.dossier_id}").text
    overdue = client.get("/api/deadlines?overdue=true", auth=as_("toa")).json()

    assert 'id="paused"' in page and "Tạm dừng" in page and "Quá hạn" not in page
    assert [d for d in overdue if d["dossier_id"] == journey.dossier_id] == []


# ----------------------------------------------------------------------------- notifications


def test_deadline_messages_name_the_stage_and_the_rule_never_their_codes(site) -> None:  # type: ignore[no-untyped-def]
    from workflow.service import cycle

    client, journey = site
    journey.clock.advance(days=40)  # the commune police's first step is long overdue

    cycle(journey.rt)
    box = client.get(f"/api/inbox/{AGENCY_OF['commune_police']}", auth=as_("cax")).json()

    text = " ".join(m["subject"] + " " + m["body"] for m in box["messages"])
    assert box["messages"] and "Đã lập biên bản vi phạm" in text
    assert codes_in(text, STATE_CODES) == set() and "violation.next_step" not in text


def test_the_api_names_every_bad_field_at_once_and_refuses_a_missing_required_field(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    url = f"/api/v1/dossiers/{journey.dossier_id}/fire"

    malformed = client.post(
        url,
        json={"event": "request_determination", "payload": {"document": {"number": "", "date": "32/01/2023"}, "x": 1}},
        auth=as_("cax"),
    )
    missing = client.post(
        url, json={"event": "close_not_eligible", "payload": {"on": f"{journey.clock.today:%d/%m/%Y}"}}, auth=as_("cax")
    )

    assert malformed.status_code == 422
    assert {f["field"] for f in malformed.json()["fields"]} == {"document.number", "document.date", "x"}
    assert all(f["message_vi"] for f in malformed.json()["fields"])
    assert missing.status_code == 422
    assert [(r["code"], r["field"]) for r in missing.json()["reasons"]] == [("payload.required", "reason")]


def test_completion_before_the_term_ends_says_until_when_though_a_court_reduction_could_be_ticked(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    to_awaiting_escort(journey)
    journey.step("record_escort", "district_police", {"facility_name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên"})

    actions = client.get(f"/api/v1/dossiers/{journey.dossier_id}/actions", auth=as_("vks")).json()

    completion = next(a for a in actions if a["trigger"] == "record_completion")
    assert completion["in_current_stage"] and not completion["available"]
    assert [r["code"] for r in completion["reasons"]] == ["term.not_served"]
    assert "hết hạn ngày" in completion["reasons"][0]["reason_vi"]
    term = next(d for d in dossier(client, journey)["deadlines"] if d["key"] == "term")
    assert term["rule_label_vi"].startswith("Hết thời hạn chấp hành tại cơ sở")  # not the rule's "maximum"
    assert f"hết hạn ngày {date.fromisoformat(term['due_on']):%d/%m/%Y}" in completion["reasons"][0]["reason_vi"]
