"""A small world for who-may-read-what tests: dossiers in two 2025 communes of the former Tuần Giáo district
(Điện Biên) and in a ward of another province (Đắk Lắk), and one demo-like user per kind of reader.

Built once per test module (read-only tests); `Actor`s use the same agencies as the users.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from demo.reference import DISTRICT, PROVINCE, REGIONAL_COURT, REGIONAL_PROCURACY, commune_2025_code, commune_code
from tests.journeys import Clock, doc, make_runtime
from workflow.engine import Actor
from workflow.passwords import hash_password
from workflow.reference import import_file
from workflow.runtime import Runtime
from workflow.tables import User

D, P = DISTRICT[0], PROVINCE[0]
TUAN_GIAO, CHIENG_SINH = commune_2025_code("Xã Tuần Giáo"), commune_2025_code("Xã Chiềng Sinh")
OTHER_PROVINCE_FILE = Path(__file__).resolve().parents[1] / "demo" / "reference" / "dak-lak.toml"
OTHER_COMMUNE = "dak-lak.phuong-tan-lap"  # another province: Đắk Lắk
PASSWORD = "pw"
START = datetime(2026, 8, 3, 2, tzinfo=UTC)  # vn-2026, after the 2025 reform: 2025 communes, regional court

# username → (agency, role): the readers of the matrix, named as the demo names them
USERS: dict[str, tuple[str | None, str]] = {
    "cax.tuangiao": (f"{TUAN_GIAO}.commune_police", "staff"),
    "ubndx.tuangiao": (f"{TUAN_GIAO}.commune_committee", "staff"),
    "cax.chiengsinh": (f"{CHIENG_SINH}.commune_police", "staff"),
    "yte.tuangiao": (f"{D}.health_facility", "staff"),
    "toakv.khuvuctuangiao": (REGIONAL_COURT, "staff"),
    "toa.dienbien": (f"{P}.provincial_court", "staff"),
    "cat.dienbien": (f"{P}.provincial_police", "staff"),
    "cscn.dienbien": (f"{P}.facility", "staff"),
    "vks.khuvuctuangiao": (REGIONAL_PROCURACY, "procurator"),
    "vks.dienbien": (f"{P}.procuracy", "procurator"),
    "cap.tanlap": (f"{OTHER_COMMUNE}.commune_police", "staff"),
    "cat.daklak": ("dak-lak.provincial_police", "staff"),
    "vks.khuvucbuonmathuot": ("dak-lak.regional_procuracy.buon-ma-thuot", "procurator"),
    "cax.quaicang": (f"{commune_code('Xã Quài Cang')}.commune_police", "staff"),  # merged on 01/07/2025
    "ldtbxh.tuangiao": (f"{D}.labour_office", "staff"),  # abolished on 28/02/2025
    "admin": (None, "admin"),
}


@dataclass
class World:
    rt: Runtime
    clock: Clock
    ids: dict[str, int]  # "tuan_giao" (addiction confirmed), "chieng_sinh" (just opened), "other" (another province)
    codes: dict[str, str]


PEOPLE = {
    "tuan_giao": {"full_name": "Nguyễn Văn Đức", "id_number": "011090001234", "birth_date": "1990-05-01"},
    "chieng_sinh": {"full_name": "Lò Thị Hoa", "id_number": "011091005678", "birth_date": "1991-02-11"},
    "other": {"full_name": "Nguyễn Văn Đông", "id_number": "011092009999", "birth_date": "1992-07-07"},
}
COMMUNES = {"tuan_giao": TUAN_GIAO, "chieng_sinh": CHIENG_SINH, "other": OTHER_COMMUNE}


def _open(rt: Runtime, clock: Clock, key: str) -> int:
    commune = COMMUNES[key]
    result = rt.engine.open_dossier(
        person=PEOPLE[key],
        commune_code=commune,
        violation=doc("12/BB-VPHC", clock.today),
        actor=Actor("opener", f"{commune}.commune_police"),
    )
    assert result.dossier_id is not None
    return result.dossier_id


def add_users(rt: Runtime, users: dict[str, tuple[str | None, str]] = USERS) -> None:
    hashed = hash_password(PASSWORD, iterations=1000)
    rows = [
        {"username": u, "agency_id": a, "role": r, "display_name": f"Cán bộ {u}", "password_hash": hashed}
        for u, (a, r) in users.items()
    ]
    with rt.db.begin() as conn:
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]


def build_world(url: str) -> World:
    rt, clock = make_runtime(url, START)
    with rt.db.begin() as conn:
        import_file(conn, OTHER_PROVINCE_FILE)
    rt.engine.reload_directory()
    add_users(rt)
    ids = {key: _open(rt, clock, key) for key in PEOPLE}
    police = Actor("cax.tuangiao", f"{TUAN_GIAO}.commune_police")
    rt.engine.fire(ids["tuan_giao"], "request_determination", police, {"document": doc("3/CV-CA", clock.today)})
    clock.advance(days=2)
    health = Actor("yte.tuangiao", f"{D}.health_facility")
    payload: dict[str, Any] = {"document": doc("7/KQ", clock.today), "determination_outcome": "addicted"}
    rt.engine.fire(ids["tuan_giao"], "record_determination", health, payload)
    from workflow.queries import dossier_view

    codes = {k: str((dossier_view(rt.db, rt.regimes, i, clock.today) or {})["code"]) for k, i in ids.items()}
    return World(rt, clock, ids, codes)
