"""The durations of regime vn-2026 (Law 120/2025/QH15, in force 01/07/2026 ◻), with citations and status.

The law's own values are ◻ (secondary sources). Who decides, the steps and their day limits are **?**
until the implementing decree is confirmed: vn-2025's values are reused, marked unconfirmed, and the
deployment accepts or corrects them in `config.toml` under `[rules."vn-2026"]`.
"""

from __future__ import annotations

from dataclasses import replace

from states import vn_2025
from states.model import Rule, Status
from vocabulary import Unit

V, U = Status.TO_VERIFY, Status.UNCONFIRMED
H, M, Y = Unit.HOURS, Unit.MONTHS, Unit.YEARS
LAW = "Luật PCMT 120/2025/QH15"
REUSED = "giá trị vn-2025 dùng tạm đến khi Nghị định hướng dẫn Luật 120/2025 được xác nhận (?)"


def _r(rule_id: str, value: int, unit: Unit, basis: str, status: Status, vi: str, en: str, note: str = "") -> Rule:
    return Rule(rule_id, value, unit, basis, status, vi, en, note)


NEW_RULES: tuple[Rule, ...] = (
    _r("term.first", 24, M, f"{LAW}, Điều 29", V, "Thời hạn cai nghiện bắt buộc lần đầu", "Term, first time"),
    _r(
        "term.repeat",
        36,
        M,
        f"{LAW}, Điều 29",
        V,
        "Thời hạn cai nghiện bắt buộc từ lần thứ hai",
        "Term from the second time",
    ),
    _r("term.min", 24, M, f"{LAW}, Điều 29", V, "Thời hạn tối thiểu (lần đầu)", "Minimum term (first time)"),
    _r("term.max", 36, M, f"{LAW}, Điều 29", V, "Thời hạn tối đa (từ lần thứ hai)", "Maximum term (repeat)"),
    _r(
        "term.min.minor",
        6,
        M,
        f"{LAW}, Điều 36; **?** người chưa thành niên có khung riêng hay không",
        U,
        "Thời hạn tối thiểu (NCTN)",
        "Minimum term (minor)",
        "khung của Luật 73/2021 dùng tạm",
    ),
    _r(
        "term.max.minor",
        12,
        M,
        f"{LAW}, Điều 36; **?** người chưa thành niên có khung riêng hay không",
        U,
        "Thời hạn tối đa (NCTN)",
        "Maximum term (minor)",
        "khung của Luật 73/2021 dùng tạm",
    ),
    _r(
        "transfer.remaining_min",
        3,
        M,
        f"{LAW}, Điều 36",
        V,
        "Thời gian còn lại tối thiểu để chuyển sang cơ sở người thành niên khi đủ 18 tuổi",
        "Term left for a transfer to an adult facility at 18",
    ),
    _r(
        "user_management.decide",
        24,
        H,
        f"{LAW}, Điều 24",
        V,
        "Quyết định quản lý kể từ khi có kết quả xét nghiệm dương tính",
        "Management decision after a positive test",
    ),
    _r(
        "user_management.duration",
        1,
        Y,
        f"{LAW}, Điều 24",
        V,
        "Thời hạn quản lý người sử dụng trái phép chất ma túy",
        "Management of a person who uses drugs",
    ),
    _r(
        "user_management.move_report",
        24,
        H,
        f"{LAW}, Điều 25",
        V,
        "Người được quản lý trình báo nơi ở mới",
        "The person reports at the new place",
    ),
    _r(
        "user_management.move_notice",
        24,
        H,
        f"{LAW}, Điều 25",
        V,
        "Công an xã nơi đi thông báo Công an xã nơi đến",
        "Old commune police notify the new one",
    ),
    _r(
        "monitoring.min",
        12,
        M,
        f"{LAW}, Điều 12; dự thảo Nghị định hướng dẫn",
        V,
        "Thời hạn giám sát điện tử tối thiểu",
        "Electronic monitoring, minimum",
    ),
    _r(
        "monitoring.max",
        24,
        M,
        f"{LAW}, Điều 12; dự thảo Nghị định hướng dẫn",
        V,
        "Thời hạn giám sát điện tử tối đa",
        "Electronic monitoring, maximum",
    ),
    _r(
        "post_rehab.duration",
        2,
        Y,
        f"{LAW}, Điều 42",
        V,
        "Thời hạn quản lý sau cai (sau cai nghiện bắt buộc của người thành niên)",
        "Post-rehab supervision (adult)",
    ),
    _r(
        "post_rehab.duration.minor",
        1,
        Y,
        f"{LAW}, Điều 42",
        V,
        "Thời hạn quản lý sau cai (người chưa thành niên)",
        "Post-rehab supervision (minor)",
    ),
)


def _reused(rule: Rule) -> Rule:
    return replace(rule, status=U, note=REUSED)


RULES: dict[str, Rule] = {rule_id: _reused(rule) for rule_id, rule in vn_2025.REGIME.rules.items()}
RULES.update({rule.id: rule for rule in NEW_RULES})

# Law 120/2025's exclusions were not found (law notes F21): the earlier ones are reused, marked ?, and
# cite what they are borrowed from rather than a repealed law as if it governed these dossiers.
EXCLUSIONS_NOT_FOUND = f"{LAW}: điều khoản loại trừ chưa tìm thấy (?); dùng tạm"
RULES.update(
    {
        rule_id: replace(rule, basis=f"{EXCLUSIONS_NOT_FOUND} {rule.basis}")
        for rule_id, rule in RULES.items()
        if rule_id.startswith("exclusion.")
    }
)
