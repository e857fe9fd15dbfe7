"""Plausible dates and text: what no document or field of this procedure can hold.

- No date before 01/01/1900 (a document dated 01/01/0001 is a typing error, not a record).
- A step's own document, and its `on` date, not before the dossier's first document; any document
  (attachments may be older records) not before the person's birth; none in the future (checked beside).
- No control characters (NUL above all: PostgreSQL cannot store it) and no lone surrogates in text.
Each check returns (code, reason_vi, reason_en) or None; `workflow.payload` reports them per field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

EARLIEST = date(1900, 1, 1)
Problem = tuple[str, str, str]


def shown(day: date) -> str:
    """dd/mm/yyyy with a four-digit year (strftime drops the zeros of the year 1)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


@dataclass(frozen=True, slots=True)
class DateBounds:
    """How early a step's dates may be: the dossier's first document, the person's birth."""

    first_document: date | None = None
    birth: date | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> DateBounds:
        """The bounds of a stored dossier (from its `data`: birth date and documents)."""
        documents = dict(data.get("documents") or {}).values()
        dates = sorted(
            date.fromisoformat(str(d["date"])) for d in documents if isinstance(d, Mapping) and d.get("date")
        )
        birth = data.get("birth_date")
        return cls(dates[0] if dates else None, date.fromisoformat(str(birth)) if birth else None)


def implausible(when: date) -> Problem | None:
    if when >= EARLIEST:
        return None
    return (
        "payload.implausible_date",
        f"Ngày {shown(when)} không hợp lý (trước {shown(EARLIEST)}).",
        f"{shown(when)} is not a plausible date (before {shown(EARLIEST)})",
    )


def too_early(when: date, bounds: DateBounds, *, own: bool) -> Problem | None:
    """A document's date before the person's birth, or (its `own` document, `on`) before the dossier's first."""
    if bounds.birth is not None and when < bounds.birth:
        return (
            "payload.before_birth",
            f"Ngày {shown(when)} trước ngày sinh của người bị đề nghị ({shown(bounds.birth)}).",
            f"{shown(when)} is before the person's birth date ({shown(bounds.birth)})",
        )
    if own and bounds.first_document is not None and when < bounds.first_document:
        return (
            "payload.before_first_document",
            f"Ngày {shown(when)} trước văn bản đầu tiên của hồ sơ ({shown(bounds.first_document)}).",
            f"{shown(when)} is before the dossier's first document ({shown(bounds.first_document)})",
        )
    return None


def bad_text(value: str) -> Problem | None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return ("payload.invalid_text", "Có ký tự không hợp lệ.", "contains characters that are not valid text")
    if any(ch < " " and ch not in "\t\n\r" for ch in value):
        return (
            "payload.control_character",
            "Có ký tự điều khiển (ví dụ NUL) không được chấp nhận.",
            "contains a control character (e.g. NUL)",
        )
    return None


__all__ = ["EARLIEST", "DateBounds", "bad_text", "implausible", "shown", "too_early"]
