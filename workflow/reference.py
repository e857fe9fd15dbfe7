"""Areas and agencies loaded from a deployment's own file (`rehab reference import FILE`).

A reference file (TOML or JSON, `workflow.reference_file`) lists a province's areas (province, districts until
30/06/2025, court regions, communes with their codes from the official list of administrative units) and its
agencies by type and area, each dated, with successors across the 2025 rearrangement. `[[commune_agencies]]` gives
every commune its own agencies (commune police, commune committee), dated like the commune and succeeded by those
of the commune's successor.

The whole file is checked before anything is written: every problem is reported with its row, field and reason,
and nothing is imported. Importing is idempotent: a row already stored as in the file is left alone, a changed row
is updated, so importing the same file twice changes nothing. Areas and agencies are never deleted (dossiers and
the transition log name them); one that ends gets `valid_to` and a successor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, insert, select, update

from workflow.directory import AgencyRow as DirectoryAgency
from workflow.directory import AreaRow as DirectoryArea
from workflow.directory import Directory
from workflow.reference_file import (
    AgencyRow,
    AreaRow,
    Problem,
    ReferenceFile,
    ReferenceInvalid,
    check,
    expand,
    parse,
    read_file,
)
from workflow.tables import Agency, Area

log = structlog.get_logger(__name__)

AREA = Area.__table__  # type: ignore[attr-defined]
AGENCY = Agency.__table__  # type: ignore[attr-defined]


@dataclass
class ImportReport:
    areas_added: list[str] = field(default_factory=list)
    areas_updated: list[str] = field(default_factory=list)
    agencies_added: list[str] = field(default_factory=list)
    agencies_updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return sum(len(x) for x in (self.areas_added, self.areas_updated, self.agencies_added, self.agencies_updated))

    def describe(self) -> str:
        return (
            f"areas: {len(self.areas_added)} added, {len(self.areas_updated)} updated; agencies: "
            f"{len(self.agencies_added)} added, {len(self.agencies_updated)} updated; {self.unchanged} unchanged"
        )


# --------------------------------------------------------------------------------------------- storing


def _area_values(row: AreaRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "level": row.level,
        "parent_code": row.parent,
        "official_code": row.official_code,
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
        "successor_code": row.successor,
        "status": row.status,
        "confidence": row.confidence,
        "basis": row.basis,
    }


def _agency_values(row: AgencyRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "name_vi": row.name_vi,
        "name_en": row.name_en,
        "area_code": row.area,
        "covers": list(row.covers),
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
        "successor_id": row.successor,
        "email": row.email,
        "webhook_url": row.webhook_url,
    }


def _stored(conn: Connection) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    areas = {r.code: dict(r._mapping) for r in conn.execute(select(AREA))}
    agencies = {r.id: {**r._mapping, "covers": list(r.covers or [])} for r in conn.execute(select(AGENCY))}
    return areas, agencies


def _as_area_row(values: Mapping[str, Any]) -> AreaRow:
    return AreaRow.model_construct(
        code=values["code"],
        name=values["name"],
        level=values["level"],
        parent=values["parent_code"],
        valid_from=values["valid_from"],
        valid_to=values["valid_to"],
        successor=values["successor_code"],
    )


def _as_agency_row(values: Mapping[str, Any]) -> AgencyRow:
    return AgencyRow.model_construct(
        id=values["id"],
        type=values["type"],
        area=values["area_code"],
        valid_from=values["valid_from"],
        valid_to=values["valid_to"],
        successor=values["successor_id"],
    )


def import_reference(conn: Connection, data: Mapping[str, Any], source: str = "reference") -> ImportReport:
    """Check the whole file, then add or update its rows in the caller's transaction (nothing on a problem)."""
    ref = parse(data, source)
    areas, agencies = expand(ref)
    stored_areas, stored_agencies = _stored(conn)
    problems = check(
        areas,
        agencies,
        {k: _as_area_row(v) for k, v in stored_areas.items()},
        {k: _as_agency_row(v) for k, v in stored_agencies.items()},
    )
    if problems:
        raise ReferenceInvalid(source, problems)
    report = ImportReport()
    area_rows, agency_rows = [_area_values(a) for a in areas], [_agency_values(a) for a in agencies]
    for row in agency_rows:  # a successor named since by `rehab agencies reassign` is kept
        if row["successor_id"] is None and row["id"] in stored_agencies:
            row["successor_id"] = stored_agencies[row["id"]]["successor_id"]
    _upsert(conn, AREA, "code", area_rows, stored_areas, report.areas_added, report.areas_updated, report)
    _upsert(conn, AGENCY, "id", agency_rows, stored_agencies, report.agencies_added, report.agencies_updated, report)
    log.info("reference.imported", source=source, changed=report.changed, unchanged=report.unchanged)
    return report


def _upsert(
    conn: Connection,
    table: Any,
    key: str,
    rows: list[dict[str, Any]],
    stored: Mapping[str, Mapping[str, Any]],
    added: list[str],
    updated: list[str],
    report: ImportReport,
) -> None:
    new = [r for r in rows if r[key] not in stored]
    if new:
        conn.execute(insert(table), new)
        added += [r[key] for r in new]
    for row in (r for r in rows if r[key] in stored):
        before = stored[row[key]]
        if all(before.get(k) == v for k, v in row.items()):
            report.unchanged += 1
            continue
        conn.execute(update(table).where(table.c[key] == row[key]).values(**row))
        updated.append(row[key])


def import_file(conn: Connection, path: Path) -> ImportReport:
    """`import_reference` of a TOML or JSON file."""
    return import_reference(conn, read_file(path), str(path))


def directory_of(data: Mapping[str, Any], source: str = "reference") -> Directory:
    """The directory a file describes, without a database (checked as an import into an empty one is)."""
    ref = parse(data, source)
    areas, agencies = expand(ref)
    problems = check(areas, agencies, {}, {})
    if problems:
        raise ReferenceInvalid(source, problems)
    return Directory(
        {
            a.id: DirectoryAgency(
                a.id, a.type, a.name_vi, a.area, tuple(a.covers), a.valid_from, a.valid_to, a.successor, a.email
            )
            for a in agencies
        },
        {a.code: a.parent for a in areas},
        {
            a.code: DirectoryArea(
                a.code, a.name, a.level, a.parent, a.valid_from, a.valid_to, a.successor, a.official_code, a.status
            )
            for a in areas
        },
    )


__all__ = [
    "AgencyRow",
    "AreaRow",
    "ImportReport",
    "Problem",
    "ReferenceFile",
    "ReferenceInvalid",
    "directory_of",
    "import_file",
    "import_reference",
    "read_file",
]
