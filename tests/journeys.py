"""Driving dossiers through whole legal journeys with a moving clock, for integration tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from demo.reference import DISTRICT, PROVINCE, commune_code, load_demo_reference
from workflow.engine import Actor, FireResult
from workflow.runtime import Runtime
from workflow.settings import Settings

COMMUNE = commune_code("Xã Quài Cang")
D, P = DISTRICT[0], PROVINCE[0]
AGENCY_OF = {
    "commune_police": f"{COMMUNE}.commune_police",
    "commune_committee": f"{COMMUNE}.commune_committee",
    "health_facility": f"{D}.health_facility",
    "justice_office": f"{D}.justice_office",
    "labour_office": f"{D}.labour_office",
    "district_court": f"{D}.district_court",
    "district_police": f"{D}.district_police",
    "provincial_court": f"{P}.provincial_court",
    "facility": f"{P}.facility",
    "procuracy": f"{D}.procuracy",
}


class Clock:
    """A settable clock: legal dates in tests are exact."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int = 0, hours: int = 0) -> None:
        self.now += timedelta(days=days, hours=hours)

    @property
    def today(self) -> date:
        return (self.now + timedelta(hours=7)).date()


def make_runtime(url: str, start: datetime | None = None) -> tuple[Runtime, Clock]:
    clock = Clock(start or datetime(2023, 3, 1, 2, 0, tzinfo=UTC))
    rt = Runtime.build(Settings(database_url=url), clock=clock, migrate_db=True)
    with rt.db.begin() as conn:
        load_demo_reference(conn)
    return rt, clock


def doc(number: str, on: date, **kw: Any) -> dict[str, Any]:
    return {"number": number, "date": on.isoformat(), "issuer": kw.get("issuer", ""), "signer": kw.get("signer", "")}


def actor(agency_type: str) -> Actor:
    return Actor(f"user.{agency_type}", AGENCY_OF[agency_type])


def open_adult(
    rt: Runtime, clock: Clock, *, birth: str = "1990-05-01", id_number: str | None = "011090001234", **facts: Any
) -> FireResult:
    return rt.engine.open_dossier(
        person={"full_name": "Lò Văn Minh", "id_number": id_number, "birth_date": birth},
        commune_code=COMMUNE,
        violation=doc("12/BB-VPHC", clock.today),
        actor=in_office(rt, clock.today, actor("commune_police")),
        facts=facts,
    )


@dataclass
class Journey:
    rt: Runtime
    clock: Clock
    dossier_id: int
    results: list[FireResult] = field(default_factory=list)

    def step(
        self, event: str, agency_type: str, payload: dict[str, Any] | None = None, *, days: int = 0, number: str = "1/X"
    ) -> FireResult:
        self.clock.advance(days=days)
        body = dict(payload or {})
        regime = self.rt.regimes[self._regime()]
        steps = regime.candidates(self._state(), event)  # type: ignore[arg-type]
        if steps and steps[0].produces is not None and "document" not in body:
            body["document"] = doc(number, self.clock.today)
        result = self.rt.engine.fire(self.dossier_id, event, self.actor(agency_type), body)
        self.results.append(result)
        return result

    def actor(self, agency_type: str) -> Actor:
        return in_office(self.rt, self.clock.today, actor(agency_type))

    def _row(self) -> Any:
        from sqlalchemy import select

        from workflow.tables import Dossier

        table = Dossier.__table__  # type: ignore[attr-defined]
        with self.rt.db.connect() as conn:
            return conn.execute(select(table.c.state, table.c.regime).where(table.c.id == self.dossier_id)).one()

    def _state(self) -> str:
        return str(self._row().state)

    def _regime(self) -> str:
        return str(self._row().regime)

    @property
    def state(self) -> str:
        return self._state()


def in_office(rt: Runtime, today: date, chosen: Actor) -> Actor:
    """The actor, or for a merged commune's police or committee the same user at its successor (Quài Cang's
    until 30/06/2025, those of the 2025 Xã Tuần Giáo after)."""
    directory = rt.engine.directory()
    agency = directory.agencies.get(chosen.agency_id or "")
    if agency is not None and not agency.valid_on(today) and agency.type in ("commune_police", "commune_committee"):
        heir = directory.successor_on(agency.id, today)
        if heir is not None:
            return Actor(chosen.user, heir)
    return chosen


ATTACHMENTS = [
    {"type": "cv", "number": "1/LL", "date": None},
    {"type": "statement", "number": "1/TT", "date": None},
    {"type": "compiler_proposal", "number": "2/ĐN", "date": None},
]


def attachments(on: date) -> list[dict[str, Any]]:
    return [{**a, "date": on.isoformat()} for a in ATTACHMENTS]


# The labour office's proposal: the facility (Mẫu 34), and for a minor what Mẫu 39 adds (NĐ 116/2021 art. 53(2)).
MAU_34_39 = {
    "facility_name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên",
    "family_situation_stated": True,
    "child_protection_plan_stated": True,
}


def to_court_acceptance(j: Journey, *, reading_agency: str = "commune_committee", complicated: bool = False) -> None:
    """From violation_recorded to court_accepted (vn-2021 adult/minor)."""
    j.step("request_determination", "commune_police")
    j.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
    j.step(
        "notify_person",
        reading_agency,
        {
            "grounds": "no_voluntary_rehab",
            "attachments": attachments(j.clock.today),
            "guardian_notice_received_on": j.clock.today.isoformat(),  # a minor's parent (PCMT art. 34(2))
        },
        days=1,
    )
    j.step("send_to_labour", reading_agency, days=7)
    j.step("propose_to_court", "labour_office", MAU_34_39, days=1)
    reason = {"complicated_reason": "Cần xác minh thêm nơi cư trú"} if complicated else {}
    j.step("accept", "district_court", {"complicated": complicated, **reason}, days=1)


def to_court_decision(j: Journey, *, term: int = 12, reading_agency: str = "commune_committee") -> None:
    """From violation_recorded to complaint_period (vn-2021 adult/minor)."""
    to_court_acceptance(j, reading_agency=reading_agency)
    j.step("open_session", "district_court", {"session_on": (j.clock.today + timedelta(days=5)).isoformat()}, days=2)
    j.step("decide", "district_court", {"outcome": "apply", "term_months": term}, days=5)


def to_supervision(j: Journey, *, term: int = 12) -> None:
    """The adult journey under vn-2021 up to post-rehab supervision."""
    to_court_decision(j, term=term)
    j.step("end_complaint_period", "district_court", days=10)
    j.step("record_escort", "district_police", {"facility_name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên"}, days=2)
    j.step("record_completion", "facility", days=term * 31)
    j.step("report_return", "commune_police", days=3)
    j.step("propose_post_rehab", "commune_police", days=1)
    j.step("decide_post_rehab", "commune_committee", days=1)


def to_closure(j: Journey, *, term: int = 12, supervision_days: int = 731) -> None:
    """The whole adult journey under vn-2021, to closure after post-rehab supervision."""
    to_supervision(j, term=term)
    j.step("end_supervision", "commune_committee", days=supervision_days)
