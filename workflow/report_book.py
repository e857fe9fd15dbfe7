"""A periodic report as an Excel workbook: one sheet per table, Vietnamese headers, numbers as numbers,
dates as dates. The figures are exactly `workflow.progress.Progress` (the API serves the same object).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workflow.plans import PERIOD_VI
from workflow.progress import Progress

BOLD = Font(bold=True)
DATE_FORMAT = "DD/MM/YYYY"
NO_DATA = "không có dữ liệu trong hệ thống"
REPORT_STATUS_VI = {"submitted": "Đã nộp", "overdue": "Quá hạn", "open": "Chưa đến hạn"}


def _sheet(book: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(list(row))
    for index, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [len(str(r[index - 1])) for r in rows if r[index - 1] is not None])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(10, width + 2), 60)
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
    sheet.freeze_panes = "A2"
    return sheet


def build_workbook(progress: Progress, agency_name: Callable[[str], str]) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Tổng hợp"
    for label, value in (
        ("Kế hoạch", progress.title),
        ("Địa bàn", progress.area_name),
        ("Năm", progress.year),
        ("Từ ngày", progress.period_start),
        ("Đến ngày", progress.period_end),
        ("Tỷ lệ thời gian đã qua của năm (%)", round(100 * progress.elapsed_share, 1)),
        ("Số chỉ tiêu chậm tiến độ", len(progress.behind)),
    ):
        summary.append([label, value])
        summary.cell(summary.max_row, 1).font = BOLD
        if isinstance(value, date):
            summary.cell(summary.max_row, 2).number_format = DATE_FORMAT
    summary.column_dimensions["A"].width = 38
    summary.column_dimensions["B"].width = 80
    _sheet(
        book,
        "Chỉ tiêu",
        ["Địa bàn", "Mã địa bàn", "Loại", "Chỉ tiêu", "Đã thực hiện", "Tỷ lệ (%)", "Dự kiến cả năm", "Chậm tiến độ"],
        [
            [
                t.area_name,
                t.area_code,
                t.category_vi,
                t.target,
                t.done if t.tracked else NO_DATA,
                t.percent,
                t.projected,
                "Có" if t.behind else "Không",
            ]
            for t in progress.targets
        ],
    )
    _sheet(
        book,
        "KPI",
        ["Chỉ số", "Mục tiêu (%)", "Đạt (%)", "Tử số", "Mẫu số", "Đạt mục tiêu"],
        [
            [
                k["label_vi"],
                k["target_percent"],
                k["value_percent"] if k["tracked"] else NO_DATA,
                k["numerator"],
                k["denominator"],
                None if k["met"] is None else ("Đạt" if k["met"] else "Chưa đạt"),
            ]
            for k in progress.kpis
        ],
    )
    _sheet(
        book,
        "Chưa có QĐ sau cai",
        ["Mã hồ sơ", "Mã xã", "Ngày hoàn thành", "Số ngày từ khi hoàn thành"],
        [
            [w["code"], w["commune_code"], date.fromisoformat(w["completed_on"]), w["days_since"]]
            for w in progress.without_post_rehab
        ],
    )
    _sheet(
        book,
        "Theo giai đoạn",
        ["Giai đoạn", "Mã", "Số hồ sơ"],
        [[s["label_vi"], s["state"], s["count"]] for s in progress.stages],
    )
    _sheet(
        book,
        "Thời gian xử lý",
        ["Giai đoạn", "Số lượt", "Trung vị (ngày)", "Phân vị 90 (ngày)", "Thời hạn luật định"],
        [[d["label_vi"], d["count"], d["median_days"], d["p90_days"], d["limit"]] for d in progress.durations],
    )
    _sheet(
        book,
        "Quá hạn theo cơ quan",
        ["Cơ quan", "Mã cơ quan", "Số thời hạn quá hạn"],
        [[agency_name(o["agency_id"]), o["agency_id"], o["count"]] for o in progress.overdue_by_agency],
    )
    _sheet(
        book,
        "Lịch báo cáo",
        ["Kỳ", "Từ ngày", "Đến ngày", "Hạn nộp", "Cơ quan nộp", "Nơi nhận", "Tình trạng"],
        [
            [
                PERIOD_VI.get(r["period"], r["period"]),
                date.fromisoformat(r["period_from"]),
                date.fromisoformat(r["period_to"]),
                date.fromisoformat(r["due_on"]),
                agency_name(r["agency_id"]),
                r["recipient"],
                REPORT_STATUS_VI[r["status"]],
            ]
            for r in progress.reports
        ],
    )
    out = BytesIO()
    book.save(out)
    return out.getvalue()
