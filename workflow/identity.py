"""A person's identity as typed in: every field checked at once, with Vietnamese messages.

Text is normalised to Unicode NFC (so "Nguyễn" typed with combining marks is stored, compared and
found as the precomposed form) and runs of spaces are collapsed. The citizen ID number (số định danh
cá nhân, on the CCCD) has 12 digits. Dates are accepted as YYYY-MM-DD or dd/mm/yyyy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any

from workflow.errors import FieldProblem

IDENTITY_FIELDS = ("full_name", "birth_date", "sex", "nationality", "id_number", "residence_commune", "address")
FIELD_LABELS_VI = {
    "full_name": "Họ và tên",
    "birth_date": "Ngày sinh",
    "sex": "Giới tính",
    "nationality": "Quốc tịch",
    "id_number": "Số định danh cá nhân",
    "residence_commune": "Xã/phường nơi cư trú",
    "address": "Địa chỉ cụ thể",
}
SEXES = {"male": "Nam", "female": "Nữ"}
MAX_NAME, MAX_ADDRESS = 120, 300
DAY_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def text(value: Any) -> str:
    """NFC, trimmed, inner runs of whitespace collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def parse_day(value: Any) -> date | None:
    """A date from YYYY-MM-DD or dd/mm/yyyy (None if it is neither, or not a real day)."""
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    found = DAY_MONTH_YEAR.match(raw)
    try:
        if found:
            return date(int(found[3]), int(found[2]), int(found[1]))
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


class _Checker:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.problems: list[FieldProblem] = []

    def bad(self, name: str, code: str, vi: str, en: str) -> None:
        self.problems.append(FieldProblem(f"{self.prefix}{name}", code, vi, en))


def _name(c: _Checker, raw: Any) -> str | None:
    name = text(raw or "")
    if not name:
        c.bad("full_name", "required", "Họ và tên là bắt buộc.", "The full name is required.")
    elif len(name) > MAX_NAME:
        c.bad("full_name", "too_long", f"Họ và tên dài quá {MAX_NAME} ký tự.", f"Longer than {MAX_NAME} characters.")
    elif any(ch.isdigit() for ch in name):
        c.bad("full_name", "invalid", "Họ và tên không được chứa chữ số.", "A name has no digits.")
    else:
        return name
    return None


def _birth(c: _Checker, raw: Any, today: date) -> date | None:
    if raw is None or str(raw).strip() == "":
        c.bad("birth_date", "required", "Ngày sinh là bắt buộc.", "The birth date is required.")
        return None
    day = parse_day(raw)
    if day is None:
        c.bad("birth_date", "invalid", "Ngày sinh không hợp lệ (dd/mm/yyyy).", "Not a date (dd/mm/yyyy).")
    elif day > today:
        c.bad("birth_date", "future", "Ngày sinh không được ở tương lai.", "The birth date is in the future.")
    elif day.year < 1900:
        c.bad("birth_date", "too_early", "Ngày sinh trước năm 1900.", "The birth date is before 1900.")
    else:
        return day
    return None


def _id_number(c: _Checker, raw: Any) -> str | None:
    number = "".join(text(raw or "").split())
    if number and not (number.isdigit() and len(number) == 12):
        c.bad(
            "id_number",
            "invalid",
            f"Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số (nhận được {len(number)} ký tự).",
            "The citizen ID number must be exactly 12 digits.",
        )
    return number or None


def _choices(c: _Checker, person: Mapping[str, Any], out: dict[str, Any], communes: Collection[str] | None) -> None:
    if "sex" in person:
        sex = text(person["sex"]).lower()
        if sex not in SEXES:
            c.bad("sex", "invalid", "Giới tính phải là Nam hoặc Nữ.", "The sex must be 'male' or 'female'.")
        out["sex"] = sex
    if "nationality" in person:
        nationality = text(person["nationality"]).upper()
        if not (len(nationality) == 2 and nationality.isascii() and nationality.isalpha()):
            c.bad("nationality", "invalid", "Quốc tịch là mã 2 chữ cái (VN).", "A two-letter country code (VN).")
        out["nationality"] = nationality
    if "residence_commune" in person:
        code = text(person["residence_commune"] or "") or None
        if code is not None and communes is not None and code not in communes:
            c.bad(
                "residence_commune",
                "unknown",
                "Xã/phường nơi cư trú không có trong danh mục.",
                "The commune of residence is not in the list of communes.",
            )
        out["residence_commune"] = code
    if "address" in person:
        address = text(person["address"] or "")
        if len(address) > MAX_ADDRESS:
            c.bad("address", "too_long", f"Địa chỉ dài quá {MAX_ADDRESS} ký tự.", f"Over {MAX_ADDRESS} characters.")
        out["address"] = address


def clean_identity(
    person: Mapping[str, Any],
    today: date,
    *,
    communes: Collection[str] | None = None,
    partial: bool = False,
    prefix: str = "person.",
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The cleaned identity and every problem found. `partial`: only the fields given (a correction);
    otherwise the full name and birth date are required and the rest get their defaults."""
    c = _Checker(prefix)
    for unknown in sorted(set(person) - set(IDENTITY_FIELDS)):
        c.bad(unknown, "unknown", "Trường không được hỗ trợ.", "Unknown field.")
    defaults = {"sex": "male", "nationality": "VN", "residence_commune": None, "address": ""}
    out: dict[str, Any] = {} if partial else dict(defaults)
    checks: dict[str, Callable[[], Any]] = {
        "full_name": lambda: _name(c, person.get("full_name")),
        "birth_date": lambda: _birth(c, person.get("birth_date"), today),
        "id_number": lambda: _id_number(c, person.get("id_number")),
    }
    for key, check in checks.items():
        if not partial or key in person:
            out[key] = check()
    _choices(c, person, out, communes)
    return out, c.problems


__all__ = ["FIELD_LABELS_VI", "IDENTITY_FIELDS", "SEXES", "clean_identity", "parse_day", "text"]
