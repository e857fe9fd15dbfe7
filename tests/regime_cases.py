"""Driving dossiers of regimes vn-2025 and vn-2026 (the agencies after the 2025 reform) in integration tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from demo.reference import DISTRICT, PROVINCE, REGIONAL_COURT, commune_code
from tests.journeys import Clock, attachments, doc, in_office
from workflow.engine import Actor, FireResult
from workflow.runtime import Runtime
from workflow.tables import Deadline, Dossier, TransitionLog

COMMUNE = commune_code("Xã Quài Cang")
D, P = DISTRICT[0], PROVINCE[0]
AGENCY = {
    "commune_police": f"{COMMUNE}.commune_police",
    "commune_committee": f"{COMMUNE}.commune_committee",
    "health_facility": f"{D}.health_facility",
    "provincial_police": f"{P}.provincial_police",
    "labour_office": f"{D}.labour_office",
    "district_court": f"{D}.district_court",
    "regional_court": REGIONAL_COURT,
    "provincial_court": f"{P}.provincial_court",
    "facility": f"{P}.facility",
}
DEADLINE, DOSSIER, LOG = Deadline.__table__, Dossier.__table__, TransitionLog.__table__
PERSON = {"full_name": "Lò Văn Minh", "id_number": "011090001234", "birth_date": "1990-05-01"}
FACILITY = {"facility_name": "Cơ sở cai nghiện ma túy số 1 tỉnh Điện Biên"}
MAU_34_39 = {**FACILITY, "family_situation_stated": True, "child_protection_plan_stated": True}  # Mẫu 39 (minors)


def actor(kind: str) -> Actor:
    return Actor(f"user.{kind}", AGENCY[kind])


@dataclass
class Case:
    rt: Runtime
    clock: Clock
    id: int

    def step(self, event: str, kind: str, payload: dict[str, Any] | None = None, *, days: int = 0) -> FireResult:
        self.clock.advance(days=days)
        body = {"document": doc("1/X", self.clock.today), **(payload or {})}
        regime = self.rt.regimes[self.row.regime]
        if all(s.produces is None for s in regime.candidates(self.row.state, event)):
            body.pop("document")
        return self.rt.engine.fire(self.id, event, in_office(self.rt, self.clock.today, actor(kind)), body)

    @property
    def row(self) -> Any:
        with self.rt.db.connect() as conn:
            return conn.execute(select(DOSSIER).where(DOSSIER.c.id == self.id)).one()

    def deadline(self, key: str) -> Any:
        with self.rt.db.connect() as conn:
            return conn.execute(
                select(DEADLINE)
                .where(DEADLINE.c.dossier_id == self.id, DEADLINE.c.key == key)
                .order_by(DEADLINE.c.id.desc())
            ).first()


def open_case(
    rt: Runtime, clock: Clock, violation_on: date, *, person: dict[str, Any] | None = None, **facts: Any
) -> Case:
    result = rt.engine.open_dossier(
        person=person or PERSON,
        commune_code=COMMUNE,
        violation=doc("12/BB-VPHC", violation_on),
        actor=in_office(rt, clock.today, actor("commune_police")),
        facts=facts,
    )
    assert result.dossier_id is not None
    return Case(rt, clock, result.dossier_id)


def to_session(case: Case, court: str = "regional_court") -> None:
    """From the violation record to the court session, with the agencies of vn-2025 / vn-2026."""
    case.step("request_determination", "commune_police")
    case.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
    case.step(
        "notify_person",
        "commune_police",
        {
            "grounds": "no_voluntary_rehab",
            "attachments": attachments(case.clock.today),
            "guardian_notice_received_on": case.clock.today.isoformat(),  # a minor's parent (PCMT art. 34(2))
        },
        days=1,
    )
    case.step("send_to_labour", "commune_police", days=7)
    case.step("propose_to_court", "provincial_police", MAU_34_39, days=1)
    case.step("accept", court, days=1)
    case.step("open_session", court, {"session_on": (case.clock.today + timedelta(days=5)).isoformat()}, days=2)


def to_facility(case: Case, term: int) -> None:
    to_session(case)
    case.step("decide", "regional_court", {"outcome": "apply", "term_months": term}, days=5)
    case.step("end_complaint_period", "regional_court", days=10)
    case.step("record_escort", "provincial_police", FACILITY, days=2)
