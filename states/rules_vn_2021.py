"""Every duration and limit of regime vn-2021, with its citation and status (LEGAL-PROCESS.md §2–5)."""

from __future__ import annotations

from handlers.calendar import Unit
from states.model import Rule, Status

C, V, U = Status.CONFIRMED, Status.TO_VERIFY, Status.UNCONFIRMED
WD, D, H, M, Y = Unit.WORKING_DAYS, Unit.CALENDAR_DAYS, Unit.HOURS, Unit.MONTHS, Unit.YEARS

ND116 = "Nghị định 116/2021/NĐ-CP"
PL03 = "Pháp lệnh 03/2022/UBTVQH15"
PL01 = "Pháp lệnh 01/2022/UBTVQH15"
PCMT = "Luật PCMT 73/2021/QH14"
XLVPHC = "Luật XLVPHC 2012 (sửa đổi bởi Luật 67/2020/QH14)"


def _r(rule_id: str, value: int, unit: Unit | None, basis: str, status: Status, vi: str, en: str,
       note: str = "") -> Rule:
    return Rule(rule_id, value, unit, basis, status, vi, en, note)


RULES_LIST: tuple[Rule, ...] = (
    _r("violation.next_step", 1, WD, "Quy ước của sản phẩm (không có trong văn bản)", V,
       "Nhắc đề nghị xác định tình trạng nghiện", "Reminder to request the addiction determination",
       "product reminder; the law sets no limit"),
    _r("determination.staff", 24, H, "Nghị định 109/2021/NĐ-CP, Điều 6–7", C,
       "Cơ sở y tế cử người xác định", "Health facility sends staff"),
    _r("determination.result", 5, D, f"Thông tư 18/2021/TT-BYT, Điều 5 khoản 2; {PCMT}, Điều 27 khoản 4", C,
       "Trả kết quả xác định tình trạng nghiện", "Determination result"),
    _r("compile.detect", 5, WD, f"{ND116}, Điều 40 khoản 1", C,
       "Lập hồ sơ kể từ khi phát hiện", "Compile the dossier from detection"),
    _r("compile.detect.minor", 5, WD, f"{PCMT}, Điều 34 khoản 1; {ND116}, Điều 50", C,
       "Lập hồ sơ kể từ khi phát hiện (người chưa thành niên)", "Compile the dossier from detection (minor)"),
    _r("reading.period", 3, WD, f"{ND116}, Điều 42 khoản 3", C,
       "Thời hạn đọc hồ sơ", "Reading period"),
    _r("reading.send", 1, WD, f"{ND116}, Điều 42 khoản 4", C,
       "Chuyển hồ sơ cho Phòng LĐTBXH sau khi hết hạn đọc", "Send to the labour office after reading"),
    _r("labour.review", 2, WD, f"{ND116}, Điều 43 khoản 1; {XLVPHC}, Điều 104 khoản 1", C,
       "Phòng LĐTBXH kiểm tra hồ sơ", "Labour office review"),
    _r("supplement.compiler", 2, WD, f"{ND116}, Điều 43 khoản 1", C,
       "Bổ sung hồ sơ bị trả lại", "Supplement a returned dossier"),
    _r("court.return_incomplete", 2, WD, f"{PL03}, Điều 9 khoản 1", C,
       "Tòa án trả hồ sơ chưa đầy đủ", "Court returns an incomplete dossier"),
    _r("court.accept", 2, WD, f"{PL03}, Điều 12 khoản 1", C,
       "Thông báo thụ lý", "Notice of acceptance"),
    _r("court.decide", 15, D, f"{PL03}, Điều 8", C,
       "Ra quyết định kể từ ngày thụ lý", "Decide from acceptance"),
    _r("court.decide.minor", 15, D, f"{PL01}, Điều 8", C,
       "Ra quyết định kể từ ngày thụ lý (người chưa thành niên)", "Decide from acceptance (minor)"),
    _r("court.decide_complicated", 30, D, f"{PL03}, Điều 8", C,
       "Ra quyết định, vụ việc phức tạp", "Decide, complicated case"),
    _r("court.session", 7, WD, f"{PL03}, Điều 17 khoản 1", C,
       "Mở phiên họp kể từ ngày có quyết định mở phiên họp", "Hold the session after deciding to open it"),
    _r("court.send_decision", 2, WD, f"{PL03}, Điều 25 khoản 1", C,
       "Gửi quyết định", "Send the decision"),
    _r("complaint.period", 5, WD, f"{PL03}, Điều 32 khoản 1", C,
       "Thời hạn khiếu nại, kiến nghị", "Complaint period"),
    _r("complaint.forward", 2, WD, f"{PL03}, Điều 34 khoản 1", C,
       "Chuyển hồ sơ khiếu nại lên Tòa án cấp tỉnh", "Forward the complaint to the provincial court"),
    _r("complaint.review", 15, D, f"{PL03} (thời hạn giải quyết khiếu nại)", V,
       "Tòa án cấp tỉnh giải quyết khiếu nại", "Provincial court resolves the complaint"),
    _r("escort.period", 5, D, f"{ND116}, Điều 54 khoản 1; {XLVPHC}, Điều 110 khoản 1", C,
       "Đưa người vào cơ sở kể từ khi nhận quyết định", "Escort from receiving the decision"),
    _r("escort.postpone_request", 2, WD, f"{ND116}, Điều 57 khoản 5", C,
       "Đề nghị hoãn, miễn kể từ khi nhận quyết định", "Request postponement or exemption"),
    _r("escort.facility_full", 3, M, f"{ND116}, Điều 54 khoản 3", C,
       "Gia hạn khi cơ sở quá tải", "Extension when the facility is full"),
    _r("limitation.enforcement", 1, Y, f"{XLVPHC}, Điều 108 khoản 2–3", C,
       "Thời hiệu thi hành quyết định", "Enforcement limitation"),
    _r("limitation.application", 3, M, "Luật XLVPHC 2012, Điều 6 khoản 2 điểm d", V,
       "Thời hiệu áp dụng biện pháp kể từ vi phạm cuối", "Limitation for applying the measure"),
    _r("search.decision", 1, WD, "Quy ước của sản phẩm; Nghị định 116/2021/NĐ-CP, Điều 56", V,
       "Ra quyết định truy tìm", "Issue the search decision", "product reminder; the law sets no limit"),
    _r("term.min", 12, M, f"{XLVPHC}, Điều 95 khoản 2", C, "Thời hạn tối thiểu", "Minimum term"),
    _r("term.max", 24, M, f"{XLVPHC}, Điều 95 khoản 2", C, "Thời hạn tối đa", "Maximum term"),
    _r("term.min.minor", 6, M, f"{PCMT}, Điều 33 khoản 3", C, "Thời hạn tối thiểu (NCTN)", "Minimum term (minor)"),
    _r("term.max.minor", 12, M, f"{PCMT}, Điều 33 khoản 3", C, "Thời hạn tối đa (NCTN)", "Maximum term (minor)"),
    _r("facility.notice_before_end", 15, D, f"{ND116}, Điều 62", C,
       "Thông báo trước khi hết thời hạn", "Notice before the term ends"),
    _r("facility.review", 3, M, f"{ND116}, Điều 58 khoản 5", C, "Đánh giá định kỳ", "Periodic review"),
    _r("return.report", 5, WD, f"{ND116}, Điều 62 khoản 5", C,
       "Trình diện khi về nơi cư trú", "Report on returning home"),
    _r("post_rehab.propose", 3, WD, f"{ND116}, Điều 77 khoản 1", C,
       "Lập hồ sơ quản lý sau cai", "Compile the post-rehab dossier"),
    _r("post_rehab.decide", 2, WD, f"{ND116}, Điều 78 khoản 1", C,
       "Quyết định quản lý sau cai", "Post-rehab supervision decision"),
    _r("post_rehab.duration", 2, Y, f"{PCMT}, Điều 40 khoản 2", C,
       "Thời hạn quản lý sau cai (người thành niên)", "Post-rehab supervision (adult)"),
    _r("post_rehab.duration.minor", 1, Y, f"{PCMT}, Điều 40 khoản 1", C,
       "Thời hạn quản lý sau cai (người chưa thành niên)", "Post-rehab supervision (minor)"),
    _r("post_rehab.move_notice", 5, WD, f"{ND116}, Điều 79", C,
       "Thông báo khi chuyển nơi cư trú", "Notice when moving house"),
)

RULES = {r.id: r for r in RULES_LIST}
