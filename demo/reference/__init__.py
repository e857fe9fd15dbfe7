"""The demo's reference data: Điện Biên, the former Tuần Giáo district and its 2025 communes (`dien-bien.toml`).

Names the tests and the demo builder use to refer to its areas and agencies, and `load_demo_reference`, which
imports the file through `workflow.reference` exactly as `rehab reference import` does.
"""

from __future__ import annotations

import tomllib
import unicodedata
from datetime import date
from pathlib import Path

from sqlalchemy import Connection

from workflow.directory import Directory
from workflow.reference import ImportReport, directory_of, import_file, read_file

DIEN_BIEN_FILE = Path(__file__).with_name("dien-bien.toml")
PROVINCE = ("dien-bien", "Tỉnh Điện Biên")
DISTRICT = ("dien-bien.tuan-giao", "Huyện Tuần Giáo")
REGION = ("dien-bien.khu-vuc-tuan-giao", "Khu vực Tòa án, Viện kiểm sát: địa bàn huyện Tuần Giáo cũ")
REGIONAL_COURT = "dien-bien.regional_court.tuan-giao"  # "TAND khu vực N": its number ◻ not verified
REGIONAL_PROCURACY = "dien-bien.regional_procuracy.tuan-giao"
COMMUNES_MERGED_ON = date(2025, 7, 1)  # NQ 1661/NQ-UBTVQH15: the 2025 communes operate from this day
# The units of Tuần Giáo district until 30/06/2025 with their yearly quota of compulsory dossiers, read from the
# 2021 plan's file (seed 000, demo/data/plans/tuan-giao-2021.toml; it lists 17 of the 19 units): the demo draws
# communes by these weights, and the dashboard reads the same file.
PLAN_2021 = Path(__file__).parents[1] / "data" / "plans" / "tuan-giao-2021.toml"


def _quotas(path: Path) -> tuple[tuple[str, int], ...]:
    targets = tomllib.loads(path.read_text(encoding="utf-8"))["targets"]
    return tuple(
        (t["area"], int(t["target"])) for t in targets if t["category"] == "compulsory" and "." not in t["area"]
    )


COMMUNES: tuple[tuple[str, int], ...] = _quotas(PLAN_2021)
# The 2025 communes holding the former district's territory (NQ 1661/NQ-UBTVQH15), by the old units they took in.
COMMUNES_2025: dict[str, tuple[str, ...]] = {
    "Xã Tuần Giáo": ("Thị trấn Tuần Giáo", "Xã Quài Cang", "Xã Quài Nưa"),
    "Xã Quài Tở": ("Xã Quài Tở", "Xã Tỏa Tình", "Xã Tênh Phông"),
    "Xã Chiềng Sinh": ("Xã Chiềng Sinh", "Xã Nà Sáy", "Xã Mường Thín", "Xã Mường Khong"),
    "Xã Mường Mùn": ("Xã Mường Mùn", "Xã Mùn Chung", "Xã Pú Xi"),
    "Xã Pú Nhung": ("Xã Pú Nhung", "Xã Rạng Đông", "Xã Ta Ma"),
    "Xã Búng Lao": ("Xã Chiềng Đông",),
    "Xã Sáng Nhè": ("Xã Phình Sáng",),
    "Xã Tủa Chùa": ("Xã Nà Tòng",),  # confidence: low (◻)
}


def slug(name: str) -> str:
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if unicodedata.category(c) != "Mn").lower()
    for prefix in ("xa ", "thi tran "):
        plain = plain.removeprefix(prefix)
    return plain.replace(" ", "-")


def commune_code(name: str) -> str:
    """The code of a unit of Tuần Giáo district until 30/06/2025 ('Xã Quài Cang' → 'dien-bien.tuan-giao.quai-cang')."""
    return f"{DISTRICT[0]}.{slug(name)}"


def commune_2025_code(name: str) -> str:
    """The code of a 2025 commune ('Xã Tuần Giáo' → 'dien-bien.xa-tuan-giao')."""
    return f"{PROVINCE[0]}.xa-{slug(name)}"


def demo_directory() -> Directory:
    """The demo file's directory, without a database."""
    return directory_of(read_file(DIEN_BIEN_FILE), str(DIEN_BIEN_FILE))


def load_demo_reference(conn: Connection) -> ImportReport:
    """Import the demo's file (idempotent)."""
    return import_file(conn, DIEN_BIEN_FILE)


__all__ = [
    "COMMUNES",
    "COMMUNES_2025",
    "COMMUNES_MERGED_ON",
    "DIEN_BIEN_FILE",
    "DISTRICT",
    "PROVINCE",
    "REGION",
    "REGIONAL_COURT",
    "REGIONAL_PROCURACY",
    "commune_2025_code",
    "commune_code",
    "demo_directory",
    "load_demo_reference",
]
