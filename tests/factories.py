"""Test data: a dossier that meets every precondition, so a test names only what it differs in.

facts()                                   # adult, vn-2021, compiling, every document present
facts(pregnant=True)                      # a data key
facts(documents={"cv": None})             # a document removed (None removes; a DocumentRef adds)
facts(payload={"term_months": 12})        # the step being attempted
facts(track=Track.MINOR, birth_date=...)  # a DossierFacts field
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from handlers.calendar import DEFAULT_CALENDAR_CONFIG, WorkingCalendar
from handlers.facts import DocumentRef, DossierFacts
from states.model import Doc, Regime, State, Track
from states.registry import regimes_by_id

CALENDAR = WorkingCalendar(DEFAULT_CALENDAR_CONFIG)
VN_2021: Regime = regimes_by_id()["vn-2021"]

COMMUNE_POLICE = "Công an xã Quài Cang"
COMMUNE_COMMITTEE = "UBND xã Quài Cang"
HEALTH_FACILITY = "Trung tâm Y tế huyện Tuần Giáo"


def document(doc: Doc | str, number: str, on: date, issuer: str = "", signer: str = "") -> DocumentRef:
    return DocumentRef(type=str(doc), number=number, date=on, issuer=issuer, signer=signer)


# The violation was recorded on Mon 04/03/2024; the dossier (NĐ 116/2021 art. 41) was complete on 13/03/2024.
# The person has a stable residence, so no police residence document exists.
DOCUMENTS: Mapping[str, DocumentRef] = {
    ref.type: ref
    for ref in (
        document(Doc.VIOLATION_RECORD, "12/BB-VPHC", date(2024, 3, 4), COMMUNE_POLICE, "Lò Văn Hùng"),
        document(Doc.DETERMINATION_REQUEST, "15/CV-CAX", date(2024, 3, 5), COMMUNE_POLICE, "Lò Văn Hùng"),
        document(Doc.DETERMINATION_RESULT, "08/PKQ-TTYT", date(2024, 3, 8), HEALTH_FACILITY, "BS. Quàng Thị Mai"),
        document(Doc.CV, "03/TTLL", date(2024, 3, 11), COMMUNE_COMMITTEE, "Lường Văn Sơn"),
        document(Doc.STATEMENT, "03/BTT", date(2024, 3, 11), "", "Cà Văn Tâm"),
        document(Doc.COMPILER_PROPOSAL, "21/ĐN-UBND", date(2024, 3, 13), COMMUNE_COMMITTEE, "Lường Văn Sơn"),
    )
}

DATA: Mapping[str, Any] = {
    "full_name": "Cà Văn Tâm",
    "birth_date": "1990-05-01",
    "nationality": "VN",
    "violation_on": "2024-03-04",
    "determination_outcome": "addicted",
    "grounds": "no_voluntary_rehab",
    "stable_residence": True,
    "pregnant": False,
    "sole_carer": False,
    "lacks_capacity": False,
}

FIELDS = ("regime", "track", "state", "calendar", "payload", "incoming")


def _merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`base` updated by `overrides`; an override of None removes the key."""
    merged = {**base, **overrides}
    return {key: value for key, value in merged.items() if value is not None}


def facts(*, documents: Mapping[str, DocumentRef | None] | None = None, **overrides: Any) -> DossierFacts:
    """An adult vn-2021 dossier being compiled that meets every precondition, with `overrides` applied.

    Keywords naming a `DossierFacts` field (regime, track, state, calendar, payload, incoming) set it;
    `documents` is merged over the art. 41 set; every other keyword is a data key (None removes it).
    """
    fields = {name: overrides.pop(name) for name in FIELDS if name in overrides}
    return DossierFacts(
        regime=fields.get("regime", VN_2021),
        track=fields.get("track", Track.ADULT),
        state=str(fields.get("state", State.DOSSIER_COMPILING)),
        calendar=fields.get("calendar", CALENDAR),
        data=_merged(DATA, overrides),
        documents=_merged(DOCUMENTS, documents or {}),
        payload=dict(fields.get("payload", {})),
        incoming=fields.get("incoming"),
    )
