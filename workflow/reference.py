"""Reference data from the seed plans: Điện Biên province, Tuần Giáo district and its 17 communes
(Kế hoạch cai nghiện năm 2021 của UBND huyện Tuần Giáo, seed 000), with their agencies as dated data.

The 2025 reform as data (LEGAL-PROCESS-2025-2026.md): from 1/3/2025 the district police and labour office
are gone and the provincial police (PC04) succeeds them; from 1/7/2025 the district level ends, a regional
court and a regional procuracy cover the former district's communes and succeed the district court and
procuracy, the provincial committee succeeds the district committee. Điện Biên was not merged with another
province. The communes are kept as they were (dossiers reference them); their July 2025 mergers are not
modelled here (◻: add them as areas with `successor_code` and their agencies with `successor_id`).
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select

from workflow.tables import Agency, Area

PROVINCE = ("dien-bien", "Tỉnh Điện Biên")
DISTRICT = ("dien-bien.tuan-giao", "Huyện Tuần Giáo")
# (commune name, yearly quota of compulsory dossiers in the 2021 plan)
COMMUNES: tuple[tuple[str, int], ...] = (
    ("Xã Chiềng Sinh", 3),
    ("Xã Chiềng Đông", 2),
    ("Xã Nà Sáy", 1),
    ("Xã Mường Thín", 1),
    ("Thị trấn Tuần Giáo", 2),
    ("Xã Quài Cang", 3),
    ("Xã Quài Nưa", 2),
    ("Xã Mường Mùn", 3),
    ("Xã Phình Sáng", 2),
    ("Xã Quài Tở", 2),
    ("Xã Mùn Chung", 2),
    ("Xã Mường Khong", 1),
    ("Xã Rạng Đông", 1),
    ("Xã Ta Ma", 1),
    ("Xã Tỏa Tình", 1),
    ("Xã Pú Xi", 1),
    ("Xã Nà Tòng", 2),
)
END_DISTRICT_POLICE = date(2025, 2, 28)  # NĐ 02/2025/NĐ-CP: district police and labour offices end
END_DISTRICT_LEVEL = date(2025, 6, 30)  # two-level local government from 1/7/2025
REGIONS_START = date(2025, 7, 1)  # regional courts and procuracies (NQ 81/2025/UBTVQH15 ◻)
REGION = ("dien-bien.khu-vuc-tuan-giao", "Khu vực Tòa án, Viện kiểm sát: địa bàn huyện Tuần Giáo cũ")


def slug(name: str) -> str:
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if unicodedata.category(c) != "Mn").lower()
    for prefix in ("xa ", "thi tran "):
        plain = plain.removeprefix(prefix)
    return plain.replace(" ", "-")


def commune_code(name: str) -> str:
    return f"{DISTRICT[0]}.{slug(name)}"


def areas() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"code": PROVINCE[0], "name": PROVINCE[1], "level": "province", "parent_code": None},
        {
            "code": DISTRICT[0],
            "name": DISTRICT[1],
            "level": "district",
            "parent_code": PROVINCE[0],
            "valid_to": END_DISTRICT_LEVEL,
        },
    ]
    rows += [{"code": commune_code(n), "name": n, "level": "commune", "parent_code": DISTRICT[0]} for n, _ in COMMUNES]
    rows.append(
        {
            "code": REGION[0],
            "name": REGION[1],
            "level": "region",
            "parent_code": PROVINCE[0],
            "valid_from": REGIONS_START,
        }
    )
    return rows


def _agency(id_: str, type_: str, vi: str, en: str, area: str, **kw: Any) -> dict[str, Any]:
    return {"id": id_, "type": type_, "name_vi": vi, "name_en": en, "area_code": area, "covers": [], **kw}


REGIONAL_COURT = f"{PROVINCE[0]}.regional_court.tuan-giao"  # "TAND khu vực N": its number ◻ not verified
REGIONAL_PROCURACY = f"{PROVINCE[0]}.regional_procuracy.tuan-giao"


def agencies() -> list[dict[str, Any]]:
    p, d = PROVINCE[0], DISTRICT[0]
    communes = [commune_code(name) for name, _ in COMMUNES]
    rows = [
        _agency(
            f"{p}.provincial_committee",
            "provincial_committee",
            "UBND tỉnh Điện Biên",
            "Điện Biên Provincial People's Committee",
            p,
        ),
        _agency(
            f"{p}.provincial_police",
            "provincial_police",
            "Công an tỉnh Điện Biên (PC04)",
            "Điện Biên Provincial Police (drug police)",
            p,
        ),
        _agency(f"{p}.provincial_court", "provincial_court", "TAND tỉnh Điện Biên", "Điện Biên Provincial Court", p),
        _agency(f"{p}.procuracy", "procuracy", "VKSND tỉnh Điện Biên", "Điện Biên Provincial Procuracy", p),
        _agency(
            f"{p}.facility",
            "facility",
            "Cơ sở cai nghiện ma túy tỉnh Điện Biên",
            "Điện Biên compulsory rehabilitation facility",
            p,
        ),
        _agency(
            f"{d}.health_facility",
            "health_facility",
            "Trung tâm Y tế huyện Tuần Giáo",
            "Tuần Giáo District Health Centre",
            d,
        ),
        _agency(
            f"{d}.justice_office",
            "justice_office",
            "Phòng Tư pháp huyện Tuần Giáo",
            "Tuần Giáo District Justice Office",
            d,
            valid_to=END_DISTRICT_LEVEL,
        ),
        _agency(
            f"{d}.labour_office",
            "labour_office",
            "Phòng LĐ-TB&XH huyện Tuần Giáo",
            "Tuần Giáo District Labour Office",
            d,
            valid_to=END_DISTRICT_POLICE,
            successor_id=f"{p}.provincial_police",
        ),  # ? which police unit checks dossiers (NĐ 02/2025)
        _agency(
            f"{d}.district_police",
            "district_police",
            "Công an huyện Tuần Giáo",
            "Tuần Giáo District Police",
            d,
            valid_to=END_DISTRICT_POLICE,
            successor_id=f"{p}.provincial_police",
        ),
        _agency(
            f"{d}.district_court",
            "district_court",
            "TAND huyện Tuần Giáo",
            "Tuần Giáo District Court",
            d,
            valid_to=END_DISTRICT_LEVEL,
            successor_id=REGIONAL_COURT,
        ),
        _agency(
            f"{d}.procuracy",
            "procuracy",
            "VKSND huyện Tuần Giáo",
            "Tuần Giáo District Procuracy",
            d,
            valid_to=END_DISTRICT_LEVEL,
            successor_id=REGIONAL_PROCURACY,
        ),
        _agency(
            REGIONAL_COURT,
            "regional_court",
            "TAND khu vực (địa bàn huyện Tuần Giáo cũ), tỉnh Điện Biên",
            "Regional People's Court (former Tuần Giáo district)",
            REGION[0],
            covers=communes,
            valid_from=REGIONS_START,
        ),
        _agency(
            REGIONAL_PROCURACY,
            "procuracy",
            "VKSND khu vực (địa bàn huyện Tuần Giáo cũ), tỉnh Điện Biên",
            "Regional People's Procuracy (former Tuần Giáo district)",
            REGION[0],
            covers=communes,
            valid_from=REGIONS_START,
        ),
        _agency(
            f"{d}.district_committee",
            "district_committee",
            "UBND huyện Tuần Giáo",
            "Tuần Giáo District People's Committee",
            d,
            valid_to=END_DISTRICT_LEVEL,
            successor_id=f"{p}.provincial_committee",
        ),
    ]
    for name, _ in COMMUNES:
        code = commune_code(name)
        short = name.removeprefix("Xã ")
        rows.append(
            _agency(
                f"{code}.commune_police",
                "commune_police",
                f"Công an {name[0].lower()}{name[1:]}",
                f"{short} commune police",
                code,
            )
        )
        rows.append(
            _agency(
                f"{code}.commune_committee", "commune_committee", f"UBND {name}", f"{short} People's Committee", code
            )
        )
    return rows


def load_reference(
    conn: Connection,
    extra_areas: list[dict[str, Any]] | None = None,
    extra_agencies: list[dict[str, Any]] | None = None,
) -> None:
    """Insert the areas and agencies that are not there yet (idempotent)."""
    area_t, agency_t = Area.__table__, Agency.__table__  # type: ignore[attr-defined]
    have_areas = set(conn.execute(select(area_t.c.code)).scalars())
    have_agencies = set(conn.execute(select(agency_t.c.id)).scalars())
    new_areas = [a for a in areas() + (extra_areas or []) if a["code"] not in have_areas]
    new_agencies = [a for a in agencies() + (extra_agencies or []) if a["id"] not in have_agencies]
    if new_areas:
        conn.execute(
            insert(area_t),
            [{"valid_from": date(2000, 1, 1), "valid_to": None, "successor_code": None, **a} for a in new_areas],
        )
    if new_agencies:
        conn.execute(
            insert(agency_t),
            [
                {
                    "valid_from": date(2000, 1, 1),
                    "valid_to": None,
                    "successor_id": None,
                    "email": None,
                    "webhook_url": None,
                    **a,
                }
                for a in new_agencies
            ],
        )
