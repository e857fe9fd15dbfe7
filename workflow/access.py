"""Who may read which dossier, and whose personal data: one rule for pages, API, lists, search and inbox.

A dossier is readable by
- an agency in office whose area (its own and the areas it covers) contains the dossier's commune, at any
  level: the commune's police and committee, the district's or region's offices and court, the province's
  police, facility, court and procuracy (so the procuracy of the area reads it, another procuracy does not);
- an agency that is or was responsible for it: now responsible, had one of its stages (a deadline), or took
  a step on it — itself or an abolished agency it succeeded; an agency no longer in office reads only those,
  and a merged commune's police and committee the dossiers of their former commune (never the person);
- administrators (they run the system; they never read personal or health data).
Nobody else learns that it exists: the web layer answers 404, as for a dossier that does not exist.

Personal data (name, ID number, birth date, address) and health facts (the addiction determination) are read
by the procuracy of the area, staff of the agency now responsible, and staff of the commune agencies and
courts serving the dossier's commune (they compile, keep and decide it).

The area tests go through `Directory.lineage` / `AgencyRow.serves` only, so a change of the area hierarchy
(communes merged, districts abolished, regions) changes what is readable without touching this module.
`scope_of` turns a reader into a `Scope` once per request; `readable` and `person_readable` are the same
rule as SQL, for lists and search; `can_read` and `may_read_person` decide one dossier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, exists, false, or_, select, true

from workflow import parties
from workflow.directory import AgencyRow, Directory
from workflow.tables import Deadline, Dossier, TransitionLog

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]

COMMUNE_AGENCIES = frozenset({"commune_police", "commune_committee"})
COURTS = frozenset({"district_court", "regional_court", "provincial_court"})
# Facts about the person's health (Nghị định 13/2023/NĐ-CP: sensitive personal data) and their identity,
# shown only to readers of personal data; the dossier's stage and documents stay visible.
HEALTH_FACTS = frozenset({"determination_outcome", "positive_test_on"})
IDENTITY_FACTS = frozenset({"birth_date", "sex", "nationality"})


class Reader(Protocol):
    """Who reads: a signed-in user (admin.auth.CurrentUser) or a script's account."""

    @property
    def role(self) -> str: ...

    @property
    def agency_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Scope:
    """What one reader may read, worked out once from the directory on a day."""

    everything: bool = False  # administrators: every dossier, never personal data
    areas: frozenset[str] = frozenset()  # area codes inside the reader's agency's area
    agencies: frozenset[str] = frozenset()  # the reader's agency and the abolished agencies it succeeded
    person_areas: frozenset[str] = frozenset()  # where the reader reads personal data of any dossier
    person_agency: str | None = None  # personal data of the dossiers this agency is now responsible for

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.areas or self.agencies)


def _areas_served(directory: Directory, agency: AgencyRow) -> frozenset[str]:
    """Every known area whose lineage meets the agency's area: the communes (and levels) it acts in."""
    return frozenset(code for code in directory.parents if agency.serves(directory.lineage(code)))


def _predecessors(directory: Directory, agency_id: str) -> frozenset[str]:
    return frozenset(a.id for a in directory.agencies.values() if agency_id in directory.successors(a.id))


def scope_of(reader: Reader, directory: Directory, today: date) -> Scope:
    """The reader's `Scope`: empty for an unknown role or no agency; narrow for an agency no longer in office.
    Worked out once per role, agency and day for a loaded directory (it walks every known area)."""
    role, agency_id = reader.role, reader.agency_id
    return directory.remembered(("scope", role, agency_id, today), lambda: _scope(role, agency_id, directory, today))


def _scope(role: str, agency_id: str | None, directory: Directory, today: date) -> Scope:
    if role == "admin":
        return Scope(everything=True)
    agency = directory.agencies.get(agency_id or "")
    if role not in ("staff", "supervisor", "procurator") or agency is None:
        return Scope()
    if not agency.valid_on(today):  # what it was responsible for; a merged commune's, the dossiers opened there
        areas = _areas_served(directory, agency) if agency.type in COMMUNE_AGENCIES else frozenset()
        return Scope(False, areas, frozenset({agency.id}))
    areas = _areas_served(directory, agency)
    if role == "procurator":
        person_areas, person_agency = areas, None
    else:
        person_areas = areas if agency.type in COMMUNE_AGENCIES | COURTS else frozenset()
        person_agency = agency.id
    agencies = frozenset({agency.id}) | _predecessors(directory, agency.id)
    return Scope(False, areas, agencies, person_areas, person_agency)


def readable(scope: Scope) -> ColumnElement[bool]:
    """SQL: the dossier row (table `dossier`) is readable in `scope`."""
    if scope.everything:
        return true()
    if scope.nothing:
        return false()
    mine = sorted(scope.agencies)
    had, acted = DEADLINE.alias("had_stage"), LOG.alias("acted")  # aliases: the outer query may use the tables
    return or_(
        DOSSIER.c.commune_code.in_(sorted(scope.areas)),
        DOSSIER.c.agency_id.in_(mine),
        exists().where(had.c.dossier_id == DOSSIER.c.id, had.c.agency_id.in_(mine)),
        exists().where(acted.c.actor_agency.in_(mine), acted.c.dossier_id == DOSSIER.c.id),
    )


def readable_of_agency(scope: Scope, agency_id: str | None) -> list[ColumnElement[bool]]:
    """`readable(scope)` as a condition list for rows already restricted to `agency_id` (its dossiers now, its
    deadlines): nothing when the agency is the reader's own (or one it succeeded), whose dossiers and stages
    `readable` admits anyway, so that an agency's inbox reads its own rows from their index alone."""
    if scope.everything or (agency_id is not None and agency_id in scope.agencies):
        return []
    return [readable(scope)]


def person_readable(scope: Scope) -> ColumnElement[bool]:
    """SQL: the person of the dossier row is readable in `scope` (search by name or ID number)."""
    clauses: list[ColumnElement[bool]] = []
    if scope.person_areas:
        clauses.append(DOSSIER.c.commune_code.in_(sorted(scope.person_areas)))
    if scope.person_agency:
        clauses.append(DOSSIER.c.agency_id == scope.person_agency)
    return or_(*clauses) if clauses else false()


def can_read(conn: Connection, scope: Scope, dossier_id: int) -> bool:
    """Whether the dossier exists and is readable in `scope` (the same SQL as the lists)."""
    query = select(DOSSIER.c.id).where(DOSSIER.c.id == dossier_id, readable(scope))
    return conn.execute(query).first() is not None


def may_read_person(scope: Scope, commune_code: str, agency_id: str | None) -> bool:
    """Whether the person and health facts of a dossier (its commune, its responsible agency) are readable."""
    if commune_code in scope.person_areas:
        return True
    return scope.person_agency is not None and agency_id == scope.person_agency


def without_personal_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The dossier's facts a reader of the dossier but not of its person sees."""
    return {k: v for k, v in facts.items() if k not in HEALTH_FACTS | IDENTITY_FACTS}


def redact_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A transition-log entry with health and identity facts left out of its payload, and free text of before
    in its documents' issuer and signer masked (`workflow.parties`), for readers of the log only."""
    payload = entry.get("payload")
    if not isinstance(payload, Mapping):
        return dict(entry)
    kept = {k: v for k, v in payload.items() if k not in HEALTH_FACTS | IDENTITY_FACTS}
    if isinstance(kept.get("documents"), list):
        kept["documents"] = [parties.masked(d) if isinstance(d, Mapping) else d for d in kept["documents"]]
    return {**entry, "payload": kept}


def redacted_fields(payload: Mapping[str, Any]) -> list[str]:
    """The payload's fields `redact_entry` leaves out or masks."""
    documents = payload.get("documents")
    untyped = isinstance(documents, list) and any(
        isinstance(d, Mapping) and not (parties.is_typed(d.get("issuer")) and parties.is_typed(d.get("signer")))
        for d in documents
    )
    return sorted(k for k in payload if k in HEALTH_FACTS | IDENTITY_FACTS) + (["documents"] if untyped else [])
