"""A read-only snapshot of what a dossier establishes, handed to guards with the legal date.

Built by the engine from the stored dossier and the incoming step's payload. Guards never load
anything: every fact they need is here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from handlers.calendar import WorkingCalendar
from handlers.verdict import Verdict
from vocabulary import Rule, RuleBook, Track


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A legal document a step produced: type, number (e.g. 12/QĐ-TA), date, issuer, signer."""

    type: str
    number: str
    date: date
    issuer: str = ""
    signer: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DocumentRef:
        return cls(
            type=str(data["type"]),
            number=str(data["number"]),
            date=date.fromisoformat(str(data["date"])),
            issuer=str(data.get("issuer", "")),
            signer=str(data.get("signer", "")),
        )

    def as_json(self) -> dict[str, str]:
        return {
            "type": self.type,
            "number": self.number,
            "date": self.date.isoformat(),
            "issuer": self.issuer,
            "signer": self.signer,
        }


@dataclass(frozen=True, slots=True)
class DossierFacts:
    regime: RuleBook
    track: Track
    state: str
    calendar: WorkingCalendar
    data: Mapping[str, Any] = field(default_factory=dict)  # accumulated facts (JSON-safe)
    documents: Mapping[str, DocumentRef] = field(default_factory=dict)
    payload: Mapping[str, Any] = field(default_factory=dict)  # the step being attempted
    incoming: DocumentRef | None = None  # the document the step being attempted produces

    def rule(self, rule_id: str) -> Rule:
        return self.regime.rule(rule_id, self.track, self.document_dates())

    def document_dates(self) -> dict[str, date]:
        """Document type -> date, the incoming document included (a later law may switch rules by date)."""
        dates = {doc_type: ref.date for doc_type, ref in self.documents.items()}
        if self.incoming is not None:
            dates[self.incoming.type] = self.incoming.date
        return dates

    def fact(self, name: str, default: Any = None) -> Any:
        """The payload's value if the step states it, else the dossier's."""
        if name in self.payload:
            return self.payload[name]
        return self.data.get(name, default)

    def fact_date(self, name: str) -> date | None:
        value = self.fact(name)
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value))

    def doc(self, doc_type: str) -> DocumentRef | None:
        if self.incoming is not None and self.incoming.type == doc_type:
            return self.incoming
        return self.documents.get(doc_type)

    def doc_date(self, doc_type: str) -> date | None:
        ref = self.doc(doc_type)
        return ref.date if ref else None


Guard = Callable[[DossierFacts, date], Verdict]
