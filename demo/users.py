"""Demo users: one per agency ('cax.quaicang', 'ldtbxh.tuangiao', 'toa.dienbien', …) and an admin, password 'demo'."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, select

from workflow.directory import AgencyRow, Directory
from workflow.passwords import hash_password
from workflow.tables import User

USER = User.__table__  # type: ignore[attr-defined]

DEMO_PASSWORD = "demo"
DEMO_ITERATIONS = 20_000  # a public demo password: a lower count keeps the build fast; the count is stored
ROLES = {"procuracy": "procurator", "district_committee": "supervisor", "provincial_committee": "supervisor"}
USER_PREFIX = {
    "commune_police": "cax",
    "commune_committee": "ubndx",
    "health_facility": "yte",
    "justice_office": "tuphap",
    "labour_office": "ldtbxh",
    "district_court": "toa",
    "regional_court": "toakv",
    "provincial_court": "toa",
    "procuracy": "vks",
    "district_police": "cah",
    "provincial_police": "cat",
    "facility": "cscn",
    "district_committee": "ubndh",
    "provincial_committee": "ubndt",
}


def role_of(agency_type: str) -> str:
    return ROLES.get(agency_type, "staff")


def create_users(db: Engine, directory: Directory) -> tuple[dict[str, str], int]:
    """One demo user per agency and an admin; existing usernames are kept. Returns agency → username, and rows added."""
    users: dict[str, str] = {}
    with db.begin() as conn:
        have = {r.username: r.agency_id for r in conn.execute(select(USER.c.username, USER.c.agency_id))}
        by_agency = {agency: user for user, agency in have.items() if agency}
        rows = []
        for agency in sorted(directory.agencies.values(), key=lambda a: a.id):
            name = users[agency.id] = by_agency.get(agency.id) or username(agency, set(have))
            if name not in have:
                have[name] = agency.id
                rows.append(_user_row(name, agency.id, role_of(agency.type), f"Cán bộ {agency.name_vi}"))
        if "admin" not in have:
            rows.append(_user_row("admin", None, "admin", "Quản trị hệ thống"))
        if rows:
            conn.execute(insert(USER), rows)
    return users, len(rows)


def username(agency: AgencyRow, taken: set[str]) -> str:
    """The agency type's prefix and the area's name, numbered if taken."""
    prefix = USER_PREFIX.get(agency.type, agency.type.replace("_", ""))
    base = f"{prefix}.{agency.area_code.rsplit('.', 1)[-1].replace('-', '')}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def _user_row(name: str, agency_id: str | None, role: str, display: str) -> dict[str, Any]:
    return {
        "username": name,
        "agency_id": agency_id,
        "role": role,
        "display_name": display,
        "password_hash": hash_password(DEMO_PASSWORD, iterations=DEMO_ITERATIONS),
    }
