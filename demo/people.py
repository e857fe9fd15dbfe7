"""People of Tuần Giáo district for the demo: Thái, H'Mông and Kinh names, villages, ages and CCCD numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from demo.reference import COMMUNES, COMMUNES_2025, COMMUNES_MERGED_ON, commune_code
from demo.spread import FEMALE_SHARE, NO_RESIDENCE_SHARE
from handlers.eligibility import age_on
from states.model import Track


def _listed(names: str) -> tuple[str, ...]:
    return tuple(names.split(", "))


SURNAMES = {
    "thai": _listed("Lò, Quàng, Lường, Cà, Tòng, Điêu, Vì, Lò, Quàng"),
    "hmong": _listed("Giàng, Vừ, Sùng, Mùa, Thào, Lầu, Hạng, Lý, Tráng, Cứ"),
    "kinh": _listed("Nguyễn, Trần, Phạm, Lê, Hoàng, Đỗ, Bùi, Vũ"),
}
GIVEN = {
    ("thai", "male"): _listed(
        "Văn Thanh, Văn Hùng, Văn Phong, Văn Sơn, Văn Tuấn, Văn Chiến, Văn Biên, Văn Xuân, Văn Dũng, Văn Hải, "
        "Văn Inh, Văn Ơn, Văn Panh, Văn Phóng, Văn Thưởng, Văn Tiến, Văn Pọm, Văn Khánh, Văn Muôn, Văn Nhất"
    ),
    ("thai", "female"): _listed("Thị Hương, Thị Lả, Thị Ín, Thị Xuân, Thị Hoa, Thị Pâng"),
    ("hmong", "male"): _listed(
        "A Chứ, A Dế, A Lử, A Páo, A Pó, A Sử, A Tủa, A Vàng, A Dùng, A Chá, A Sình, A Nhìa, A Lềnh, A Khua, "
        "A Của, A Dia"
    ),
    ("hmong", "female"): _listed("Thị Mỷ, Thị Dợ, Thị Chở, Thị Máy, Thị Say, Thị Pà"),
    ("kinh", "male"): _listed(
        "Văn Nam, Văn Long, Văn Đức, Văn Quang, Văn Tùng, Văn Việt, Văn Công, Văn Thắng, Đình Hùng, Mạnh Cường"
    ),
    ("kinh", "female"): _listed("Thị Hoa, Thị Lan, Thị Huyền, Thị Thu, Thị Nga"),
}
VILLAGES = {
    "lowland": _listed(
        "Bản Đông, Bản Hới Nọ, Bản Sáng, Bản Chằn, Bản Bó, Bản Co Muông, Bản Nà Cương, Bản Kép, Bản Món, "
        "Bản Hua Nạ, Bản Lồng"
    ),
    "highland": _listed(
        "Bản Phình Cứ, Bản Háng Tàu, Bản Hua Sa A, Bản Thẳm Xả, Bản Trạng Đông, Bản Lồng Sáng, Bản Pú Nhung"
    ),
    "town": _listed("Khối Tân Giang, Khối Sơn Thủy, Khối Đồng Tâm, Khối Tân Tiến, Khối Trung Tâm"),
}
HIGHLAND = {"phinh-sang", "ta-ma", "toa-tinh", "pu-xi", "rang-dong"}  # mostly H'Mông communes
MIX = {"lowland": (0.65, 0.25, 0.10), "highland": (0.15, 0.80, 0.05), "town": (0.35, 0.10, 0.55)}
ETHNIC = ("thai", "hmong", "kinh")


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    quota: int  # compulsory dossiers in the 2021 plan (seed 000): the demo's weight for the commune


DISTRICT_COMMUNES = tuple(Commune(commune_code(name), name, quota) for name, quota in COMMUNES)
# Since 01/07/2025 a person's address names the 2025 commune (NQ 1661/NQ-UBTVQH15) and no district.
MERGED_INTO = {old: new for new, olds in COMMUNES_2025.items() for old in olds}


@dataclass
class Person:
    full_name: str
    sex: str
    address: str
    age_days: int  # age at the violation; the birth date follows the violation date until the plan is kept
    stable_residence: bool
    birth_date: date | None = None
    id_number: str | None = None

    def born(self, violation_on: date) -> date:
        return self.birth_date or violation_on - timedelta(days=self.age_days)

    def track_on(self, violation_on: date) -> Track:
        return Track.ADULT if age_on(self.born(violation_on), violation_on) >= 18 else Track.MINOR


class People:
    """Draws communes (by quota) and people; once a plan is kept, fixes the birth date and a unique CCCD."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        self._drawn = 0

    def commune(self) -> str:
        return self.rng.choices([c.code for c in DISTRICT_COMMUNES], [c.quota for c in DISTRICT_COMMUNES])[0]

    def draw(self, commune: str, minor: bool) -> Person:
        rng = self.rng
        place = commune.rsplit(".", 1)[-1]
        area = "town" if place == "tuan-giao" else "highland" if place in HIGHLAND else "lowland"
        ethnic = rng.choices(ETHNIC, MIX[area])[0]
        self._drawn += 1
        sex = "female" if self._drawn % round(1 / FEMALE_SHARE) == 7 else "male"  # a steady share
        name = f"{rng.choice(SURNAMES[ethnic])} {rng.choice(GIVEN[(ethnic, sex)])}"
        years = rng.uniform(15.3, 17.7) if minor else rng.triangular(18.4, 55.0, 29.0)
        commune_name = next(c.name for c in DISTRICT_COMMUNES if c.code == commune)
        address = f"{rng.choice(VILLAGES[area])}, {commune_name}, huyện Tuần Giáo, tỉnh Điện Biên"
        return Person(name, sex, address, int(years * 365.25), rng.random() >= NO_RESIDENCE_SHARE)

    def fix(self, person: Person, start: date) -> None:
        """The birth date, a 12-digit CCCD (011 = Điện Biên, century and sex, year of birth, serial), and from
        01/07/2025 an address in the 2025 commune."""
        if person.id_number is not None:
            return
        person.birth_date = person.born(start)
        if start >= COMMUNES_MERGED_ON:
            person.address = address_after_merger(person.address)
        century = (0 if person.birth_date.year < 2000 else 2) + (1 if person.sex == "female" else 0)
        while person.id_number is None or person.id_number in self.ids:
            person.id_number = f"011{century}{person.birth_date.year % 100:02d}{self.rng.randrange(10**6):06d}"
        self.ids.add(person.id_number)


def address_after_merger(address: str) -> str:
    """'Bản Đông, Xã Quài Cang, huyện Tuần Giáo, tỉnh Điện Biên' → 'Bản Đông, xã Tuần Giáo, tỉnh Điện Biên'."""
    village, commune, _rest = address.split(", ", 2)
    new = MERGED_INTO.get(commune)
    return f"{village}, {new[0].lower()}{new[1:]}, tỉnh Điện Biên" if new else address
