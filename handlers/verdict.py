"""What a guard answers: allowed, or refused with a stable code, reasons in vi/en and the legal basis."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Allowed:
    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Refused:
    code: str  # stable, e.g. "decision.complaint_period_running"; never reworded
    reason_vi: str
    reason_en: str
    basis: str
    unconfirmed: bool = False  # the rule behind it is a configured value not yet confirmed

    def __bool__(self) -> bool:
        return False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ALLOWED = Allowed()
Verdict = Allowed | Refused
