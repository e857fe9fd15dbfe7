"""The steps both sides of the step bench take: an adult's vn-2021 journey from the violation record to
post-rehab supervision (the path of `tests.journeys.to_supervision`), in phases of (days to wait, steps).

Payloads are built before the clock starts; every step passes its guards on its day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tests.journeys import ATTACHMENTS, MAU_34_39

Payload = Callable[[date], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class BenchStep:
    event: str
    agency_type: str
    payload: Payload


def _nothing(_: date) -> dict[str, Any]:
    return {}


def _attachments(on: date) -> dict[str, Any]:
    return {"grounds": "no_voluntary_rehab", "attachments": [{**a, "date": on.isoformat()} for a in ATTACHMENTS]}


# (days before, steps): 14 steps per dossier
PHASES: list[tuple[int, list[BenchStep]]] = [
    (0, [BenchStep("request_determination", "commune_police", _nothing)]),
    (2, [BenchStep("record_determination", "health_facility", lambda _: {"determination_outcome": "addicted"})]),
    (1, [BenchStep("notify_person", "commune_committee", _attachments)]),
    (7, [BenchStep("send_to_labour", "commune_committee", _nothing)]),
    (1, [BenchStep("propose_to_court", "labour_office", lambda _: dict(MAU_34_39))]),
    (1, [BenchStep("accept", "district_court", lambda _: {"complicated": False})]),
    (2, [BenchStep("open_session", "district_court", lambda on: {"session_on": (on + timedelta(days=5)).isoformat()})]),
    (5, [BenchStep("decide", "district_court", lambda _: {"outcome": "apply", "term_months": 12})]),
    (10, [BenchStep("end_complaint_period", "district_court", _nothing)]),
    (2, [BenchStep("record_escort", "district_police", lambda _: {"facility_name": MAU_34_39["facility_name"]})]),
    (372, [BenchStep("record_completion", "facility", _nothing)]),
    (
        3,
        [
            BenchStep("report_return", "commune_police", _nothing),
            BenchStep("propose_post_rehab", "commune_police", _nothing),
        ],
    ),
    (1, [BenchStep("decide_post_rehab", "commune_committee", _nothing)]),
]
STEPS_PER_DOSSIER = sum(len(steps) for _, steps in PHASES)


def with_document(payload: dict[str, Any], produces: bool, number: str, on: date) -> dict[str, Any]:
    """The step's own document, when it produces one (as `tests.journeys.Journey.step` adds it)."""
    if produces:
        return {**payload, "document": {"number": number, "date": on.isoformat(), "issuer": "", "signer": ""}}
    return payload
