"""Working-day calendar and legal period arithmetic (BLDS 2015 art. 147-148, BLLĐ 2019 art. 112).

Pure: no clock, no settings, no database. Callers pass the dates and the configuration.
All dates are local legal dates (Asia/Ho_Chi_Minh).

Base public holidays come from the ``holidays`` package (Vietnamese names). The government's
yearly swaps (a bridge day off, a make-up Saturday) come from :class:`CalendarConfig`;
:data:`DEFAULT_CALENDAR_CONFIG` holds the 2014–2024 swaps (``calendar_history``) and the 2025 and 2026 notices.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import holidays

from handlers.calendar_history import DAYS_OFF, MAKE_UP_SATURDAYS
from vocabulary import Unit

__all__ = [
    "DEFAULT_CALENDAR_CONFIG",
    "CalendarConfig",
    "Unit",
    "WorkingCalendar",
    "add_months",
    "calendar_config_from_mapping",
]

_ONE_DAY = timedelta(days=1)
_WEEKEND_NAMES = {5: "Thứ Bảy", 6: "Chủ nhật"}
_GENERIC_DAY_OFF = "Ngày nghỉ theo thông báo"


def _no_notes() -> Mapping[date, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class CalendarConfig:
    """Deployment adjustments on top of the ``holidays`` package.

    ``extra_working_days`` wins over everything (a make-up Saturday is a working day);
    ``removed_holidays`` removes days the ``holidays`` package lists (not ``extra_days_off``).
    """

    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    removed_holidays: frozenset[date] = frozenset()
    notes: Mapping[date, str] = field(default_factory=_no_notes)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra_days_off", frozenset(self.extra_days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        object.__setattr__(self, "removed_holidays", frozenset(self.removed_holidays))
        object.__setattr__(self, "notes", MappingProxyType(dict(self.notes)))
        both = self.extra_days_off & self.extra_working_days
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"dates both in extra_days_off and extra_working_days: {listed}")


@lru_cache(maxsize=256)
def _package_holidays(year: int) -> Mapping[date, str]:
    """Vietnamese public holidays of one year, as the ``holidays`` package lists them."""
    listed = holidays.country_holidays("VN", years=year, language="vi")
    return MappingProxyType({day: str(name) for day, name in listed.items()})


def add_months(start: date, months: int) -> date:
    """Same day number ``months`` later; clamped to the last day of a shorter month."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last_day = _stdlib_calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))


class WorkingCalendar:
    """Working days of Vietnamese state agencies: Monday–Friday minus holidays and days off."""

    def __init__(self, config: CalendarConfig = CalendarConfig()) -> None:
        self.config = config

    def holiday_name(self, d: date) -> str | None:
        """The public holiday on ``d`` (package list minus removals), ignoring weekends and swaps."""
        if d in self.config.removed_holidays:
            return None
        return _package_holidays(d.year).get(d)

    def day_off_reason(self, d: date) -> str | None:
        """Why ``d`` is not a working day ("Thứ Bảy", "Chủ nhật", a holiday name…), None if working."""
        if d in self.config.extra_working_days:
            return None
        name = self.holiday_name(d)
        if name is not None:
            return name
        if d in self.config.extra_days_off:
            note = self.config.notes.get(d)
            return f"{_GENERIC_DAY_OFF} ({note})" if note else _GENERIC_DAY_OFF
        return _WEEKEND_NAMES.get(d.weekday())

    def is_working_day(self, d: date) -> bool:
        return self.day_off_reason(d) is None

    def next_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``n < 0``: before); ``start`` itself if ``n == 0``."""
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        day, remaining = start, abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def subtract_working_days(self, end: date, n: int) -> date:
        return self.add_working_days(end, -n)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative (``-(end, start]``) when ``end < start``."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

    def period_end(self, start: date, length: int, unit: Unit) -> date:
        """Last day of a period of ``length`` units started by the event on ``start``.

        Counting starts the day after ``start`` (art. 147); a last day that is off moves to
        the next working day (art. 148). Hours are datetimes: use :meth:`period_end_at`.
        """
        if length < 0:
            raise ValueError(f"a period cannot have a negative length: {length} {unit}")
        if unit is Unit.WORKING_DAYS:
            last = self.add_working_days(start, length)
        elif unit is Unit.CALENDAR_DAYS:
            last = start + timedelta(days=length)
        elif unit is Unit.MONTHS:
            last = add_months(start, length)
        elif unit is Unit.YEARS:
            last = add_months(start, 12 * length)
        else:
            raise ValueError(f"periods in {unit} are counted on datetimes: use period_end_at")
        return self.next_working_day(last)

    def period_end_at(self, start: datetime, length: int, unit: Unit) -> datetime:
        """End instant of the period: ``start + length`` hours, or the end of the legal last day.

        For day-based units ``start`` should be a local (Asia/Ho_Chi_Minh) datetime: its
        ``date()`` is the day of the event. The result keeps ``start.tzinfo``.
        """
        if unit is Unit.HOURS:
            if length < 0:
                raise ValueError(f"a period cannot have a negative length: {length} {unit}")
            return start + timedelta(hours=length)
        last = self.period_end(start.date(), length, unit)
        return datetime.combine(last, time.max, tzinfo=start.tzinfo)


_VPCP_12729 = "công văn 12729/VPCP-KGVX ngày 25/12/2025"
_BNV_9441 = "thông báo 9441/TB-BNV ngày 16/10/2025"
_NOTICE_2025 = "thông báo nghỉ lễ 30/4–1/5/2025 của Chính phủ (số hiệu chưa đối chiếu)"

DEFAULT_CALENDAR_CONFIG = CalendarConfig(
    extra_days_off=frozenset({*DAYS_OFF, date(2025, 5, 2), date(2026, 1, 2), date(2026, 8, 31)}),
    extra_working_days=frozenset({*MAKE_UP_SATURDAYS, date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)}),
    notes={
        **MAKE_UP_SATURDAYS,
        **DAYS_OFF,
        date(2025, 4, 26): f"làm bù cho Thứ Sáu 02/05/2025 — {_NOTICE_2025}",
        date(2025, 5, 2): f"nghỉ hoán đổi, làm bù Thứ Bảy 26/04/2025 — {_NOTICE_2025}",
        date(2026, 1, 2): f"nghỉ Tết Dương lịch, làm bù Thứ Bảy 10/01/2026 — {_VPCP_12729}",
        date(2026, 1, 10): f"làm bù cho Thứ Sáu 02/01/2026 — {_VPCP_12729}",
        date(2026, 8, 22): f"làm bù cho Thứ Hai 31/08/2026 — {_BNV_9441}",
        date(2026, 8, 31): f"nghỉ Quốc khánh, làm bù Thứ Bảy 22/08/2026 — {_BNV_9441}",
        date(2026, 11, 24): (
            "Ngày Văn hóa Việt Nam: NQ 80-NQ/TW; có trong gói holidays 0.109; văn bản sửa "
            "Bộ luật Lao động chưa rõ — có thể bỏ bằng removed_holidays"
        ),
    },
)

_SECTIONS = ("days_off", "working_days", "removed_holidays")


def _parse_day(section: str, raw: object) -> date:
    if isinstance(raw, datetime):
        raise ValueError(f"calendar.{section}: {raw!r} is a date and time, expected a date (YYYY-MM-DD)")
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError(f"calendar.{section}: {raw!r} is not a valid date (YYYY-MM-DD)") from None


def _parse_section(data: Mapping[str, Any], section: str) -> dict[date, str]:
    """One section of the table: ``{date: note}``; a list of dates is accepted too (no notes)."""
    entries = data.get(section, {})
    if isinstance(entries, Mapping):
        pairs = list(entries.items())
    elif isinstance(entries, list | tuple):
        pairs = [(raw, "") for raw in entries]
    else:
        raise ValueError(f"calendar.{section}: expected a table of date = note, got {entries!r}")
    parsed: dict[date, str] = {}
    for raw, note in pairs:
        if not isinstance(note, str):
            raise ValueError(f"calendar.{section}: note for {raw!r} must be text, got {note!r}")
        parsed[_parse_day(section, raw)] = note
    return parsed


def _reject_overlap(first: str, a: Mapping[date, str], second: str, b: Mapping[date, str]) -> None:
    both = sorted(d.isoformat() for d in a.keys() & b.keys())
    if both:
        raise ValueError(f"calendar.{first} and calendar.{second} both list {', '.join(both)}")


def calendar_config_from_mapping(
    data: Mapping[str, Any], base: CalendarConfig = DEFAULT_CALENDAR_CONFIG
) -> CalendarConfig:
    """Parse a TOML table (``days_off`` / ``working_days`` / ``removed_holidays``: date = note)
    and merge it on top of ``base`` (the 2025–2026 notices by default).

    Entries from ``data`` win over ``base``: a day off cancels a base working day and vice versa;
    a removed holiday is also dropped from the days off.
    """
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise ValueError(f"calendar: unknown keys {unknown}; expected {list(_SECTIONS)}")
    off, work, removed = (_parse_section(data, section) for section in _SECTIONS)
    _reject_overlap("days_off", off, "working_days", work)
    _reject_overlap("days_off", off, "removed_holidays", removed)
    notes = {**base.notes, **{d: n for part in (off, work, removed) for d, n in part.items() if n}}
    return CalendarConfig(
        extra_days_off=(base.extra_days_off - set(work) - set(removed)) | set(off),
        extra_working_days=(base.extra_working_days - set(off)) | set(work),
        removed_holidays=base.removed_holidays | set(removed),
        notes=notes,
    )
