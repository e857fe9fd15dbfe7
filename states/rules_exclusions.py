"""Who cannot be sent (LEGAL-PROCESS.md §3), as rules: each exclusion's citation, status and switch.

An exclusion is a rule like a time limit: ✔ ones (the minimum age, foreigners) cannot be changed in
config; ◻ ones (pregnancy, a woman or the only carer of a young child, lack of capacity) are the best
reading of XLVPHC art. 96(2), whose text the law notes do not hold, so a deployment may switch one off
(`0`) or, for the child, change its age in months, under `[rules."<regime>"]`. Every refusal built on a
◻ exclusion says it is unconfirmed.
"""

from __future__ import annotations

from states.model import Rule, Status
from vocabulary import Unit

C, V = Status.CONFIRMED, Status.TO_VERIFY
PCMT_32_33 = "Luật PCMT 73/2021/QH14, Điều 32–33"
PCMT_37 = "Luật PCMT 73/2021/QH14, Điều 37 khoản 2"
XLVPHC_96 = "Luật XLVPHC 2012 (sửa đổi 2020), Điều 96 khoản 2"
ART_96_NOT_FOUND = "nguyên văn Điều 96 khoản 2 chưa tìm thấy trong ghi chú pháp lý; 0 = không áp dụng"

EXCLUSION_RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "exclusion.min_age",
            12,
            Unit.YEARS,
            PCMT_32_33,
            C,
            "Tuổi tối thiểu bị áp dụng (tính vào ngày vi phạm)",
            "Minimum age (on the day of the violation)",
        ),
        Rule(
            "exclusion.foreigner",
            1,
            None,
            PCMT_37,
            C,
            "Loại trừ người nước ngoài (cai nghiện tự nguyện)",
            "Foreigners excluded (voluntary rehab)",
        ),
        Rule(
            "exclusion.pregnant",
            1,
            None,
            XLVPHC_96,
            V,
            "Loại trừ phụ nữ mang thai (bệnh viện xác nhận)",
            "Pregnant women excluded (hospital confirmation)",
            ART_96_NOT_FOUND,
        ),
        Rule(
            "exclusion.child_under",
            36,
            Unit.MONTHS,
            XLVPHC_96,
            V,
            "Loại trừ phụ nữ hoặc người duy nhất đang nuôi con dưới … tháng tuổi (UBND xã xác nhận)",
            "A woman, or the only person, raising a child under … months is excluded (commune confirmation)",
            ART_96_NOT_FOUND,
        ),
        Rule(
            "exclusion.lacks_capacity",
            1,
            None,
            XLVPHC_96,
            V,
            "Loại trừ người mất năng lực hành vi dân sự",
            "A person without legal capacity is excluded",
            ART_96_NOT_FOUND,
        ),
    )
}
