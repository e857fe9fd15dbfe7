"""Rules of the steps added after the legal audit of 2026-12-01, with citation and status."""

from __future__ import annotations

from states.model import Rule, Status
from vocabulary import Unit

PROTEST_RULES: dict[str, Rule] = {
    "protest.period": Rule(
        "protest.period",
        5,
        Unit.WORKING_DAYS,
        "Pháp lệnh 03/2022/UBTVQH15, Điều 32 khoản 2–3 (chưa tìm thấy nguyên văn)",
        Status.TO_VERIFY,
        "Thời hạn kiến nghị, kháng nghị của Viện kiểm sát",
        "The procuracy's petition or protest period",
        "không có trong ghi chú pháp lý; mặc định bằng thời hạn khiếu nại, sửa trong cấu hình",
    ),
}
