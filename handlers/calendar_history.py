"""The government's day swaps for state agencies, 2014–2024 (regimes vn-2014 and vn-2021).

Each year the Government (on the Ministry of Labour's, from 2025 the Ministry of Home Affairs' proposal)
moves a working day next to a holiday onto a Saturday: the weekday is off, the Saturday is worked.
The ``holidays`` package lists the weekday off ("Ngày nghỉ (thay cho ngày …)") but not the Saturday worked,
so a period crossing it would end a day late. Here: every make-up Saturday, and the days off the package
misses, each with the notice it comes from. Notice numbers not checked against the published text say so
("số hiệu chưa đối chiếu"); a deployment corrects a day in ``config.toml [calendar]``.
"""

from __future__ import annotations

from datetime import date

_UNCHECKED = "số hiệu chưa đối chiếu"
_LISTED = "gói holidays ghi ngày nghỉ tương ứng"


def _notice(year: int, occasion: str) -> str:
    return f"thông báo nghỉ {occasion} {year} của Bộ LĐTBXH theo ý kiến Thủ tướng ({_UNCHECKED})"


# Saturday worked -> why (the weekday it pays for, and the notice).
MAKE_UP_SATURDAYS: dict[date, str] = {
    date(2014, 4, 26): f"làm bù cho Thứ Sáu 02/05/2014 — {_notice(2014, 'lễ 30/4–1/5')}; {_LISTED}",
    date(2014, 9, 6): f"làm bù cho Thứ Hai 01/09/2014 — {_notice(2014, 'Quốc khánh')}; {_LISTED}",
    date(2014, 12, 27): f"làm bù cho Thứ Sáu 02/01/2015 — {_notice(2015, 'Tết Dương lịch')}; {_LISTED}",
    date(2015, 2, 14): f"làm bù cho Thứ Hai 16/02/2015 — {_notice(2015, 'Tết Ất Mùi')}; {_LISTED}",
    date(2015, 4, 25): f"làm bù cho Thứ Tư 29/04/2015 — {_notice(2015, 'Giỗ Tổ, 30/4–1/5')}; {_LISTED}",
    date(2019, 1, 5): f"làm bù cho Thứ Hai 31/12/2018 — {_notice(2019, 'Tết Dương lịch')}; {_LISTED}",
    date(2019, 5, 4): f"làm bù cho Thứ Hai 29/04/2019 — {_notice(2019, 'lễ 30/4–1/5')}; {_LISTED}",
    date(2024, 5, 4): f"làm bù cho Thứ Hai 29/04/2024 — {_notice(2024, 'lễ 30/4–1/5')}; {_LISTED}",
}

# Weekdays off that the package does not list.
DAYS_OFF: dict[date, str] = {
    date(2015, 2, 24): (
        "nghỉ bù mùng 4 Tết Ất Mùi (Chủ nhật 22/02/2015): công chức nghỉ 16/02–24/02/2015 — "
        f"{_notice(2015, 'Tết Ất Mùi')} ◻ cần đối chiếu"
    ),
}

__all__ = ["DAYS_OFF", "MAKE_UP_SATURDAYS"]
