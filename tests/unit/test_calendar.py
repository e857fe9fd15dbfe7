"""Working-day calendar and legal periods (LEGAL-PROCESS.md §5, LEGAL-PROCESS-2025-2026.md calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.calendar import (
    DEFAULT_CALENDAR_CONFIG,
    CalendarConfig,
    Unit,
    WorkingCalendar,
    add_months,
    calendar_config_from_mapping,
)

CAL = WorkingCalendar(DEFAULT_CALENDAR_CONFIG)
D = date

# --- which days are off --------------------------------------------------------------------------

DAYS_OFF = {
    # year end → 2026 New Year: off Thu 01/01 – Sun 04/01
    "2026-new-year-thu-01-01": D(2026, 1, 1),
    "2026-bridge-fri-02-01": D(2026, 1, 2),
    "2026-sat-03-01": D(2026, 1, 3),
    "2026-sun-04-01": D(2026, 1, 4),
    # Tết 2026: off Sat 14/02 – Sun 22/02
    "tet-2026-sat-14-02": D(2026, 2, 14),
    "tet-2026-sun-15-02": D(2026, 2, 15),
    "tet-2026-mon-16-02": D(2026, 2, 16),
    "tet-2026-tue-17-02": D(2026, 2, 17),
    "tet-2026-wed-18-02": D(2026, 2, 18),
    "tet-2026-thu-19-02": D(2026, 2, 19),
    "tet-2026-fri-20-02": D(2026, 2, 20),
    "tet-2026-sat-21-02": D(2026, 2, 21),
    "tet-2026-sun-22-02": D(2026, 2, 22),
    # Tết 2025: off Sat 25/01 – Sun 02/02
    **{f"tet-2025-{d:%a-%d-%m}".lower(): d for d in (D(2025, 1, 25) + timedelta(i) for i in range(9))},
    "hung-kings-2026-sun-26-04": D(2026, 4, 26),
    "hung-kings-2026-compensatory-mon-27-04": D(2026, 4, 27),
    "2026-30-04": D(2026, 4, 30),
    "2026-01-05": D(2026, 5, 1),
    "2025-30-04": D(2025, 4, 30),
    "2025-01-05": D(2025, 5, 1),
    "2025-bridge-fri-02-05": D(2025, 5, 2),
    "2025-national-day-mon-01-09": D(2025, 9, 1),
    "2025-national-day-tue-02-09": D(2025, 9, 2),
    "2026-bridge-mon-31-08": D(2026, 8, 31),
    "2026-national-day-tue-01-09": D(2026, 9, 1),
    "2026-national-day-wed-02-09": D(2026, 9, 2),
    "2026-vietnam-culture-day-24-11": D(2026, 11, 24),
    "2025-new-year-thu-01-01": D(2025, 1, 1),
}

WORKING_DAYS = {
    "last-before-2026-new-year-wed-31-12-2025": D(2025, 12, 31),
    "first-after-2026-new-year-mon-05-01": D(2026, 1, 5),
    "make-up-sat-10-01-2026": D(2026, 1, 10),
    "last-before-tet-2026-fri-13-02": D(2026, 2, 13),
    "first-after-tet-2026-mon-23-02": D(2026, 2, 23),
    "last-before-tet-2025-fri-24-01": D(2025, 1, 24),
    "first-after-tet-2025-mon-03-02": D(2025, 2, 3),
    "before-30-04-2026-wed-29-04": D(2026, 4, 29),
    "after-01-05-2026-mon-04-05": D(2026, 5, 4),
    "make-up-sat-26-04-2025": D(2025, 4, 26),
    "before-30-04-2025-tue-29-04": D(2025, 4, 29),
    "after-02-05-2025-mon-05-05": D(2025, 5, 5),
    "2025-wed-03-09-after-national-day": D(2025, 9, 3),
    "2025-fri-29-08-before-national-day": D(2025, 8, 29),
    "make-up-sat-22-08-2026": D(2026, 8, 22),
    "2026-fri-28-08-before-bridge": D(2026, 8, 28),
    "2026-thu-03-09-after-national-day": D(2026, 9, 3),
    "2026-tue-28-04-after-hung-kings": D(2026, 4, 28),
}


@pytest.mark.parametrize("day", DAYS_OFF.values(), ids=DAYS_OFF.keys())
def test_each_day_of_the_holidays_and_their_swapped_days_is_off(day: date) -> None:
    assert not CAL.is_working_day(day)
    assert CAL.day_off_reason(day)


@pytest.mark.parametrize("day", WORKING_DAYS.values(), ids=WORKING_DAYS.keys())
def test_days_next_to_holidays_and_make_up_saturdays_are_working_days(day: date) -> None:
    assert CAL.is_working_day(day)
    assert CAL.day_off_reason(day) is None


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (D(2026, 3, 7), "Thứ Bảy"),
        (D(2026, 3, 8), "Chủ nhật"),
        (D(2026, 2, 17), "Tết Nguyên Đán"),
        (D(2026, 9, 2), "Quốc khánh"),
    ],
    ids=["saturday", "sunday", "tet-holiday-name", "national-day-name"],
)
def test_the_reason_for_a_day_off_names_the_weekday_or_the_holiday(day: date, reason: str) -> None:
    assert CAL.day_off_reason(day) == reason


def test_a_bridge_day_off_from_config_cites_its_notice() -> None:
    assert "12729/VPCP-KGVX" in (CAL.day_off_reason(D(2026, 1, 2)) or "")


def test_without_config_the_2026_bridge_day_is_a_working_day_and_the_make_up_saturday_is_not() -> None:
    bare = WorkingCalendar()
    assert bare.is_working_day(D(2026, 1, 2))
    assert not bare.is_working_day(D(2026, 1, 10))


def test_the_vietnam_culture_day_can_be_removed_by_config() -> None:
    config = calendar_config_from_mapping({"removed_holidays": {"2026-11-24": "not in the Labour Code"}})
    calendar = WorkingCalendar(config)
    assert calendar.is_working_day(D(2026, 11, 24))
    assert calendar.period_end(D(2026, 11, 23), 1, Unit.CALENDAR_DAYS) == D(2026, 11, 24)
    assert CAL.period_end(D(2026, 11, 23), 1, Unit.CALENDAR_DAYS) == D(2026, 11, 25)


# --- stepping over days off -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 2, 13), D(2026, 2, 13)),
        (D(2026, 2, 14), D(2026, 2, 23)),
        (D(2026, 2, 20), D(2026, 2, 23)),
        (D(2025, 12, 31), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 1, 5)),
        (D(2026, 8, 29), D(2026, 9, 3)),
    ],
    ids=["working-day-is-itself", "tet-start", "tet-last-holiday", "year-end", "new-year", "national-day"],
)
def test_the_next_working_day_skips_the_whole_break(day: date, expected: date) -> None:
    assert CAL.next_working_day(day) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 2, 13), 1, D(2026, 2, 23)),
        (D(2026, 2, 12), 2, D(2026, 2, 23)),
        (D(2026, 1, 9), 1, D(2026, 1, 10)),
        (D(2026, 1, 10), 1, D(2026, 1, 12)),
        (D(2025, 12, 31), 1, D(2026, 1, 5)),
        (D(2025, 12, 30), 2, D(2026, 1, 5)),
        (D(2026, 4, 29), 1, D(2026, 5, 4)),
        (D(2025, 4, 25), 1, D(2025, 4, 26)),
        (D(2025, 4, 29), 1, D(2025, 5, 5)),
        (D(2025, 8, 29), 1, D(2025, 9, 3)),
        (D(2026, 8, 21), 1, D(2026, 8, 22)),
        (D(2026, 8, 28), 1, D(2026, 9, 3)),
        (D(2026, 2, 23), -1, D(2026, 2, 13)),
        (D(2026, 1, 12), -1, D(2026, 1, 10)),
        (D(2026, 2, 17), 0, D(2026, 2, 17)),
    ],
    ids=[
        "tet-2026-from-last-day-before",
        "tet-2026-two-days",
        "make-up-sat-10-01-from-fri-09-01",
        "after-make-up-saturday-is-monday",
        "year-end-into-2026",
        "year-end-two-days",
        "30-04-and-01-05-2026",
        "make-up-sat-26-04-2025",
        "30-04-to-02-05-2025",
        "national-day-2025",
        "make-up-sat-22-08-2026",
        "national-day-2026-with-bridge-monday",
        "backwards-over-tet-2026",
        "backwards-onto-make-up-saturday",
        "zero-is-the-start-itself",
    ],
)
def test_adding_working_days_counts_from_the_day_after_and_skips_days_off(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


def test_subtracting_working_days_counts_back_over_tet() -> None:
    assert CAL.subtract_working_days(D(2026, 2, 24), 2) == D(2026, 2, 13)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 2, 13), D(2026, 2, 23), 1),
        (D(2026, 2, 13), D(2026, 2, 13), 0),
        (D(2026, 1, 9), D(2026, 1, 12), 2),
        (D(2026, 2, 23), D(2026, 2, 13), -1),
    ],
    ids=["over-tet-end-counts", "same-day-is-zero", "includes-make-up-saturday", "reversed-is-negative"],
)
def test_working_days_between_counts_the_days_after_start_up_to_and_including_end(
    start: date, end: date, expected: int
) -> None:
    assert CAL.working_days_between(start, end) == expected


# --- legal periods (BLDS 2015 art. 147-148) --------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "length", "unit", "expected"),
    [
        (D(2026, 3, 2), 1, Unit.CALENDAR_DAYS, D(2026, 3, 3)),
        (D(2026, 3, 2), 0, Unit.CALENDAR_DAYS, D(2026, 3, 2)),
        (D(2026, 3, 3), 5, Unit.CALENDAR_DAYS, D(2026, 3, 9)),
        (D(2026, 3, 4), 3, Unit.CALENDAR_DAYS, D(2026, 3, 9)),
        (D(2026, 2, 10), 5, Unit.CALENDAR_DAYS, D(2026, 2, 23)),
        (D(2026, 2, 10), 4, Unit.WORKING_DAYS, D(2026, 2, 23)),
        (D(2025, 12, 27), 5, Unit.CALENDAR_DAYS, D(2026, 1, 5)),
        (D(2026, 1, 9), 1, Unit.WORKING_DAYS, D(2026, 1, 10)),
        (D(2026, 1, 31), 1, Unit.MONTHS, D(2026, 3, 2)),
        (D(2025, 1, 31), 1, Unit.MONTHS, D(2025, 2, 28)),
        (D(2026, 3, 31), 1, Unit.MONTHS, D(2026, 5, 4)),
        (D(2025, 10, 16), 4, Unit.MONTHS, D(2026, 2, 23)),
        (D(2024, 2, 29), 1, Unit.YEARS, D(2025, 2, 28)),
        (D(2025, 2, 17), 1, Unit.YEARS, D(2026, 2, 23)),
    ],
    ids=[
        "one-day-ends-the-day-after",
        "zero-days-is-the-same-day",
        "ending-on-sunday-moves-to-monday",
        "ending-on-saturday-moves-to-monday",
        "ending-on-the-tet-holiday-moves-to-first-working-day-after",
        "working-days-over-tet",
        "ending-on-new-year-2026-moves-past-the-bridge-day",
        "one-working-day-from-fri-09-01-2026-is-make-up-saturday",
        "31-jan-plus-1-month-clamps-to-28-feb-2026-a-saturday",
        "31-jan-plus-1-month-clamps-to-28-feb-2025",
        "31-mar-plus-1-month-clamps-to-30-apr-then-skips-holidays",
        "months-ending-in-tet",
        "29-feb-plus-1-year-clamps",
        "one-year-ending-in-tet",
    ],
)
def test_a_period_ends_on_its_last_day_or_the_first_working_day_after(
    start: date, length: int, unit: Unit, expected: date
) -> None:
    assert CAL.period_end(start, length, unit) == expected


def test_a_period_ending_on_the_tet_holiday_ends_on_the_first_working_day_after() -> None:
    assert CAL.period_end(D(2026, 2, 7), 10, Unit.CALENDAR_DAYS) == D(2026, 2, 23)


def test_the_day_of_the_event_does_not_count_but_the_day_after_does() -> None:
    assert CAL.period_end(D(2026, 3, 9), 1, Unit.WORKING_DAYS) == D(2026, 3, 10)
    assert CAL.period_end(D(2026, 3, 9), 1, Unit.CALENDAR_DAYS) == D(2026, 3, 10)


def test_a_period_in_hours_needs_a_datetime() -> None:
    with pytest.raises(ValueError, match="period_end_at"):
        CAL.period_end(D(2026, 3, 9), 24, Unit.HOURS)


def test_a_negative_period_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.period_end(D(2026, 3, 9), -1, Unit.CALENDAR_DAYS)


def test_a_period_in_hours_ends_exactly_that_many_hours_later_even_over_tet() -> None:
    start = datetime(2026, 2, 16, 8, 30, tzinfo=UTC)
    assert CAL.period_end_at(start, 24, Unit.HOURS) == datetime(2026, 2, 17, 8, 30, tzinfo=UTC)


def test_a_period_in_days_ends_at_the_end_of_its_last_day_in_the_same_timezone() -> None:
    ict = timezone(timedelta(hours=7))
    start = datetime(2026, 2, 13, 16, 0, tzinfo=ict)
    end = CAL.period_end_at(start, 1, Unit.WORKING_DAYS)
    assert end == datetime.combine(D(2026, 2, 23), time.max, tzinfo=ict)
    assert end.tzinfo is ict


def test_add_months_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 12, 31), 2) == D(2027, 2, 28)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)


# --- configuration ---------------------------------------------------------------------------------


def test_config_from_an_empty_table_is_the_default() -> None:
    assert calendar_config_from_mapping({}) == DEFAULT_CALENDAR_CONFIG


def test_config_entries_are_added_on_top_of_the_default_notices() -> None:
    config = calendar_config_from_mapping(
        {"days_off": {"2027-02-05": "thông báo 2027"}, "working_days": {"2027-02-20": "làm bù"}}
    )
    calendar = WorkingCalendar(config)
    assert not calendar.is_working_day(D(2027, 2, 5))
    assert calendar.is_working_day(D(2027, 2, 20))
    assert not calendar.is_working_day(D(2026, 1, 2))
    assert calendar.is_working_day(D(2026, 1, 10))
    assert config.notes[D(2027, 2, 5)] == "thông báo 2027"


def test_config_can_turn_a_default_day_off_back_into_a_working_day() -> None:
    config = calendar_config_from_mapping({"working_days": {"2026-01-02": "không nghỉ"}})
    assert WorkingCalendar(config).is_working_day(D(2026, 1, 2))


def test_a_removed_holiday_is_also_dropped_from_the_extra_days_off() -> None:
    config = calendar_config_from_mapping({"removed_holidays": {"2026-01-02": ""}})
    assert D(2026, 1, 2) not in config.extra_days_off


@pytest.mark.parametrize(
    ("table", "key", "bad"),
    [
        ({"days_off": {"2026-13-01": "x"}}, "days_off", "2026-13-01"),
        ({"working_days": {"10/01/2026": "x"}}, "working_days", "10/01/2026"),
        ({"removed_holidays": {"soon": "x"}}, "removed_holidays", "soon"),
    ],
    ids=["month-13", "day-first-format", "not-a-date"],
)
def test_a_bad_date_in_the_config_names_the_key_and_the_value(
    table: dict[str, dict[str, str]], key: str, bad: str
) -> None:
    with pytest.raises(ValueError, match=key) as raised:
        calendar_config_from_mapping(table)
    assert bad in str(raised.value)


def test_a_day_both_off_and_working_in_the_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="2027-01-02"):
        calendar_config_from_mapping({"days_off": {"2027-01-02": ""}, "working_days": {"2027-01-02": ""}})


def test_an_unknown_config_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="day_off"):
        calendar_config_from_mapping({"day_off": {"2027-01-02": ""}})


def test_a_config_cannot_make_a_day_both_off_and_working() -> None:
    with pytest.raises(ValueError, match="2026-01-02"):
        CalendarConfig(extra_days_off=frozenset({D(2026, 1, 2)}), extra_working_days=frozenset({D(2026, 1, 2)}))


# --- properties -------------------------------------------------------------------------------------

DAYS = st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 12, 31))
COUNTS = st.integers(min_value=1, max_value=60)
DAY_BASED_UNITS = [unit for unit in Unit if unit is not Unit.HOURS]


@settings(deadline=None)
@given(start=DAYS, n=COUNTS)
def test_adding_working_days_never_lands_on_a_day_off(start: date, n: int) -> None:
    assert CAL.is_working_day(CAL.add_working_days(start, n))


@settings(deadline=None)
@given(start=DAYS, n=st.integers(min_value=0, max_value=60))
def test_subtracting_what_was_added_returns_to_a_working_start(start: date, n: int) -> None:
    start = CAL.next_working_day(start)
    assert CAL.subtract_working_days(CAL.add_working_days(start, n), n) == start


@settings(deadline=None)
@given(start=DAYS, n=st.integers(min_value=0, max_value=60))
def test_working_days_between_a_day_and_n_working_days_later_is_n(start: date, n: int) -> None:
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@settings(deadline=None)
@given(start=DAYS, length=st.integers(min_value=0, max_value=400), unit=st.sampled_from(DAY_BASED_UNITS))
def test_a_period_always_ends_on_a_working_day_not_before_its_start(start: date, length: int, unit: Unit) -> None:
    end = CAL.period_end(start, length, unit)
    assert CAL.is_working_day(end)
    assert end >= start
