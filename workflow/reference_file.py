"""A reference file's shape and its checks, without a database: areas (province, districts until 30/06/2025,
court regions, communes with their official codes), agencies by type and area, dated, with successors.

`parse` types the file (every field error at once), `expand` adds every commune's own agencies
(`[[commune_agencies]]`), `check` finds every problem of the rows against each other and the stored rows. Each
problem names its row, field and reason. `workflow.reference` stores what passes.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vocabulary import AgencyType
from workflow.errors import WorkflowError

EPOCH = date(2000, 1, 1)  # "in office since before the system's records"
LEVELS = {"province": 0, "district": 1, "region": 1, "commune": 2}
OFFICIAL_DIGITS = {"province": 2, "district": 3, "commune": 5}  # Quyết định 124/2004/QĐ-TTg, 19/2025/QĐ-TTg
STATUSES = ("✔", "◻", "?")
AGENCY_TYPES = tuple(t.value for t in AgencyType if t is not AgencyType.PERSON)


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreaRow(_Row):
    code: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    name: str = Field(min_length=1)
    level: str
    parent: str | None = None
    official_code: str | None = None
    valid_from: date = EPOCH
    valid_to: date | None = None
    successor: str | None = None
    status: str = "✔"
    confidence: str | None = None
    basis: str = ""


class AgencyRow(_Row):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._\-]*$")
    type: str
    name_vi: str = Field(min_length=1)
    name_en: str = ""
    area: str
    covers: list[str] = Field(default_factory=list)
    valid_from: date = EPOCH
    valid_to: date | None = None
    successor: str | None = None
    email: str | None = None
    webhook_url: str | None = None


class CommuneAgencies(_Row):
    type: str
    name_vi: str = Field(min_length=1)  # placeholders: {name} "Xã Quài Cang", {name_lower} "xã Quài Cang", {short}
    name_en: str = ""


class ReferenceFile(_Row):
    source: dict[str, str] = Field(default_factory=dict)
    areas: list[AreaRow] = Field(default_factory=list)
    agencies: list[AgencyRow] = Field(default_factory=list)
    commune_agencies: list[CommuneAgencies] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Problem:
    where: str  # "areas[3]" or "agencies[id=dien-bien.facility]"
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}.{self.field}: {self.reason}"


class ReferenceInvalid(WorkflowError):
    """The file cannot be imported; nothing was written. Every problem found is listed."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.problems = problems
        listed = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s), nothing imported:\n{listed}")


# --------------------------------------------------------------------------------------------- reading


def read_file(path: Path) -> dict[str, Any]:
    """The file's content (TOML, or JSON by its suffix); a syntax error is a `ReferenceInvalid` with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ReferenceInvalid(str(path), [Problem("file", "content", f"cannot be read: {err}")]) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise ReferenceInvalid(str(path), [Problem("file", "syntax", str(err))]) from None
    if not isinstance(data, dict):
        raise ReferenceInvalid(str(path), [Problem("file", "content", "must be a table (object) at the top")])
    return data


def parse(data: Mapping[str, Any], source: str = "reference") -> ReferenceFile:
    """The typed file; every field error at once, with its row."""
    try:
        return ReferenceFile.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = [str(x) for x in e["loc"]]
            where = f"{loc[0]}[{loc[1]}]" if len(loc) > 1 and loc[1].isdigit() else loc[0]
            name = ".".join(loc[2:] if len(loc) > 1 and loc[1].isdigit() else loc[1:]) or "row"
            problems.append(Problem(where, name, e["msg"]))
        raise ReferenceInvalid(source, problems) from None


# --------------------------------------------------------------------------------------------- checking


def expand(ref: ReferenceFile) -> tuple[list[AreaRow], list[AgencyRow]]:
    """The areas, and the agencies with every commune's own agencies added (explicit rows win)."""
    explicit = {a.id for a in ref.agencies}
    made: list[AgencyRow] = []
    for area in (a for a in ref.areas if a.level == "commune"):
        for kind in ref.commune_agencies:
            agency_id = f"{area.code}.{kind.type}"
            if agency_id in explicit:
                continue
            names = _names(area.name)
            made.append(
                AgencyRow(
                    id=agency_id,
                    type=kind.type,
                    name_vi=kind.name_vi.format(**names),
                    name_en=kind.name_en.format(**names),
                    area=area.code,
                    valid_from=area.valid_from,
                    valid_to=area.valid_to,
                    successor=f"{area.successor}.{kind.type}" if area.successor else None,
                )
            )
    return list(ref.areas), list(ref.agencies) + made


def _names(name: str) -> dict[str, str]:
    short = name
    for prefix in ("Thị trấn ", "Xã ", "Phường ", "Đặc khu "):
        short = short.removeprefix(prefix)
    return {"name": name, "name_lower": name[:1].lower() + name[1:], "short": short}


@dataclass
class _Known:
    """What the file may refer to: its own rows and those already stored."""

    areas: dict[str, AreaRow]
    agencies: dict[str, AgencyRow]


def check(
    areas: list[AreaRow],
    agencies: list[AgencyRow],
    stored_areas: Mapping[str, AreaRow],
    stored_agencies: Mapping[str, AgencyRow],
) -> list[Problem]:
    """Every problem of the rows, against each other and the stored rows."""
    problems: list[Problem] = []
    known = _Known({**stored_areas}, {**stored_agencies})
    for rows, key, kind in ((areas, "code", "areas"), (agencies, "id", "agencies")):
        seen: set[str] = set()
        for row in rows:
            value = getattr(row, key)
            if value in seen:
                problems.append(Problem(f"{kind}[{key}={value}]", key, "appears twice in the file"))
            seen.add(value)
    known.areas.update({a.code: a for a in areas})
    known.agencies.update({a.id: a for a in agencies})
    for area in areas:
        problems += _check_area(area, known)
    for agency in agencies:
        problems += _check_agency(agency, known)
    return problems


def _dates(where: str, row: AreaRow | AgencyRow) -> list[Problem]:
    if row.valid_to is not None and row.valid_to < row.valid_from:
        return [Problem(where, "valid_to", f"{row.valid_to} is before valid_from {row.valid_from}")]
    return []


def _successor(
    where: str, row: AreaRow | AgencyRow, heir: AreaRow | AgencyRow | None, name: str, kind: str
) -> list[Problem]:
    if row.successor is None:
        return []
    if heir is None:
        return [Problem(where, "successor", f"unknown {kind} '{row.successor}'")]
    if row.valid_to is None:
        return [Problem(where, "valid_to", f"a {kind} with a successor must end (valid_to)")]
    next_day = row.valid_to + timedelta(days=1)
    if not (heir.valid_from <= next_day and (heir.valid_to is None or next_day <= heir.valid_to)):
        return [Problem(where, "successor", f"'{name}' is not in office on {next_day} (the day after valid_to)")]
    return []


def _check_area(area: AreaRow, known: _Known) -> list[Problem]:
    where = f"areas[code={area.code}]"
    problems = _dates(where, area)
    if area.level not in LEVELS:
        problems.append(Problem(where, "level", f"'{area.level}' is not one of: {', '.join(LEVELS)}"))
    if area.status not in STATUSES:
        problems.append(Problem(where, "status", f"'{area.status}' is not one of: {', '.join(STATUSES)}"))
    digits = OFFICIAL_DIGITS.get(area.level)
    if area.official_code is not None and (
        digits is None or not (area.official_code.isdigit() and len(area.official_code) == digits)
    ):
        expected = f"{digits} digits" if digits else "none (a region has no official code)"
        problems.append(Problem(where, "official_code", f"'{area.official_code}': a {area.level} code has {expected}"))
    problems += _check_parent(where, area, known)
    heir = known.areas.get(area.successor or "")
    problems += _successor(where, area, heir, area.successor or "", "area")
    if heir is not None and heir.level != area.level:
        problems.append(Problem(where, "successor", f"'{heir.code}' is a {heir.level}, not a {area.level}"))
    return problems


def _check_parent(where: str, area: AreaRow, known: _Known) -> list[Problem]:
    if area.level == "province":
        return [Problem(where, "parent", "a province has no parent")] if area.parent else []
    if not area.parent:
        return [Problem(where, "parent", f"a {area.level} needs its parent area")]
    parent = known.areas.get(area.parent)
    if parent is None:
        return [Problem(where, "parent", f"unknown area '{area.parent}'")]
    if LEVELS.get(parent.level, 9) >= LEVELS.get(area.level, 0):
        return [Problem(where, "parent", f"'{parent.code}' is a {parent.level}: it cannot contain a {area.level}")]
    return []


def _check_agency(agency: AgencyRow, known: _Known) -> list[Problem]:
    where = f"agencies[id={agency.id}]"
    problems = _dates(where, agency)
    if agency.type not in AGENCY_TYPES:
        problems.append(Problem(where, "type", f"'{agency.type}' is not an agency type ({', '.join(AGENCY_TYPES)})"))
    if agency.area not in known.areas:
        problems.append(Problem(where, "area", f"unknown area '{agency.area}'"))
    problems += [Problem(where, "covers", f"unknown area '{c}'") for c in agency.covers if c not in known.areas]
    problems += _successor(where, agency, known.agencies.get(agency.successor or ""), agency.successor or "", "agency")
    if agency.email is not None and "@" not in agency.email:
        problems.append(Problem(where, "email", f"'{agency.email}' is not an e-mail address"))
    if agency.webhook_url is not None and not agency.webhook_url.startswith(("https://", "http://")):
        problems.append(Problem(where, "webhook_url", "must start with https:// (or http://)"))
    return problems
