"""People for the scale data set: Vietnamese names with their diacritics and 12-digit CCCD numbers.

A replicated dossier keeps its template's sex, birth date and ethnic naming (Thái, H'Mông or Kinh, from the demo's
lists, `demo.people`), with a new name and ID number drawn from (block, template person): the same inputs always
give the same person, so the engine path and the bulk path of `bench.generate` agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from demo.people import GIVEN, SURNAMES


def _listed(names: str) -> tuple[str, ...]:
    return tuple(names.split(", "))


# The commonest Kinh family names, weighted roughly as in the population (Nguyễn about a third).
KINH_SURNAMES = _listed(
    "Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng, Bùi, Đỗ, Hồ, Ngô, Dương, Lý, Đinh, Trịnh, Đào, Mai"
)
KINH_WEIGHTS = (32, 11, 9, 7, 5, 4, 4, 4, 3, 2, 2, 2, 2, 1.5, 1, 0.5, 1, 1, 1, 1)
MIDDLE = {
    "male": _listed("Văn, Văn, Văn, Đức, Minh, Quốc, Hữu, Thanh, Ngọc, Xuân, Công, Đình, Mạnh, Trọng"),
    "female": _listed("Thị, Thị, Thị, Ngọc, Thu, Thanh, Minh, Hồng, Kim, Phương"),
}
KINH_GIVEN = {
    "male": _listed(
        "An, Bình, Cường, Dũng, Đạt, Đông, Giang, Hải, Hiếu, Hoàng, Hùng, Huy, Khánh, Khoa, Kiên, Long, Lộc, "
        "Mạnh, Nam, Nghĩa, Phong, Phúc, Quân, Quang, Sơn, Tài, Thắng, Thành, Thịnh, Toàn, Trung, Tú, Tuấn, Tùng, "
        "Việt, Vinh, Vũ, Dương, Hưng, Lâm"
    ),
    "female": _listed(
        "Anh, Chi, Dung, Hà, Hạnh, Hằng, Hiền, Hoa, Hương, Huyền, Lan, Linh, Loan, Mai, My, Nga, Ngọc, Nhung, "
        "Oanh, Phương, Quyên, Thảo, Thu, Thủy, Trang, Tuyết, Vân, Yến"
    ),
}


@dataclass(frozen=True, slots=True)
class NewPerson:
    full_name: str
    id_number: str


def ethnic_of(full_name: str) -> str:
    """The naming group of a demo name, by its family name."""
    surname = full_name.split(" ", 1)[0]
    for group in ("hmong", "thai"):
        if surname in SURNAMES[group]:
            return group
    return "kinh"


def new_name(rng: random.Random, group: str, sex: str) -> str:
    if group == "kinh":
        surname = rng.choices(KINH_SURNAMES, KINH_WEIGHTS)[0]
        return f"{surname} {rng.choice(MIDDLE[sex])} {rng.choice(KINH_GIVEN[sex])}"
    return f"{rng.choice(SURNAMES[group])} {rng.choice(GIVEN[(group, sex)])}"


def person_for(block: int, template_person: int, full_name: str, sex: str, birth_date: date) -> NewPerson:
    """The person who stands in block `block` where the template has `template_person` (block 0: the template's)."""
    rng = random.Random(f"scale:{block}:{template_person}")
    name = new_name(rng, ethnic_of(full_name), sex if sex in MIDDLE else "male")
    # CCCD: province (011 Điện Biên, then the next codes), century and sex, year of birth, a serial that is
    # unique per (block, template person) within a million people per province code.
    serial = block * 10_000 + template_person
    province = 11 + serial // 1_000_000
    century = (0 if birth_date.year < 2000 else 2) + (1 if sex == "female" else 0)
    return NewPerson(name, f"{province:03d}{century}{birth_date.year % 100:02d}{serial % 1_000_000:06d}")
