"""Which agency is responsible, for a commune, on a day: agencies are dated data with successors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select

from workflow.tables import Agency, Area


@dataclass(frozen=True, slots=True)
class AgencyRow:
    id: str
    type: str
    name_vi: str
    area_code: str
    covers: tuple[str, ...]
    valid_from: date
    valid_to: date | None
    successor_id: str | None
    email: str | None = None
    webhook_url: str | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def serves(self, areas: Iterable[str]) -> bool:
        mine = {self.area_code, *self.covers}
        return any(a in mine for a in areas)


@dataclass
class Directory:
    agencies: dict[str, AgencyRow]
    parents: dict[str, str | None]
    _cache: dict[tuple[str, str, date], str | None] = field(default_factory=dict)
    _acting: dict[tuple[str, date], frozenset[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> Directory:
        agencies = {
            r.id: AgencyRow(
                r.id,
                r.type,
                r.name_vi,
                r.area_code,
                tuple(r.covers or ()),
                r.valid_from,
                r.valid_to,
                r.successor_id,
                r.email,
                r.webhook_url,
            )
            for r in conn.execute(select(Agency.__table__)).all()  # type: ignore[attr-defined]
        }
        parents = {r.code: r.parent_code for r in conn.execute(select(Area.__table__)).all()}  # type: ignore[attr-defined]
        return cls(agencies, parents)

    def lineage(self, area_code: str) -> list[str]:
        """The area and every area above it, nearest first."""
        chain: list[str] = []
        current: str | None = area_code
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def resolve(self, agency_type: str, commune_code: str, on: date) -> str | None:
        """The agency of a type serving the commune on the day (nearest jurisdiction wins)."""
        key = (agency_type, commune_code, on)
        if key not in self._cache:
            self._cache[key] = self._resolve(agency_type, commune_code, on)
        return self._cache[key]

    def _nearest(self, candidates: list[AgencyRow], commune_code: str) -> list[AgencyRow]:
        """The candidates serving the commune, nearest jurisdiction first."""
        ordered: list[AgencyRow] = []
        for area in self.lineage(commune_code):
            ordered += [a for a in candidates if a.serves([area]) and a not in ordered]
        return ordered

    def _resolve(self, agency_type: str, commune_code: str, on: date) -> str | None:
        """In office on the day; else the successor in office of an abolished agency of the type (district
        court → regional court); else, for a type not yet in office, the agency it will succeed."""
        of_type = self._nearest([a for a in self.agencies.values() if a.type == agency_type], commune_code)
        for agency in of_type:
            if agency.valid_on(on):
                return agency.id
        for agency in of_type:
            heir = self.successor_on(agency.id, on)
            if heir is not None:
                return heir
        in_office = self._nearest([a for a in self.agencies.values() if a.valid_on(on)], commune_code)
        future = {a.id for a in of_type}
        for agency in in_office:
            if future & set(self.successors(agency.id)):
                return agency.id
        return None

    def successors(self, agency_id: str) -> list[str]:
        """The chain of successors of an agency, nearest first (a cycle in the data stops the chain)."""
        chain: list[str] = []
        current = self.agencies.get(agency_id)
        while current is not None and current.successor_id and current.successor_id not in chain:
            chain.append(current.successor_id)
            current = self.agencies.get(current.successor_id)
        return chain

    def successor_on(self, agency_id: str, on: date) -> str | None:
        """The first successor of an agency that is in office on the day."""
        for heir in self.successors(agency_id):
            agency = self.agencies.get(heir)
            if agency is not None and agency.valid_on(on):
                return heir
        return None

    def acts_for(self, agency_id: str | None, on: date) -> frozenset[str]:
        """The agency types an agency acts as on a day: its own, and those of abolished agencies it succeeded."""
        agency = self.agencies.get(agency_id or "")
        if agency is None:
            return frozenset()
        key = (agency.id, on)
        if key not in self._acting:
            kinds = {agency.type}
            for other in self.agencies.values():
                abolished = other.valid_to is not None and other.valid_to < on
                if abolished and agency.id in self.successors(other.id):
                    kinds.add(other.type)
            self._acting[key] = frozenset(kinds)
        return self._acting[key]

    def type_of(self, agency_id: str | None) -> str | None:
        agency = self.agencies.get(agency_id or "")
        return agency.type if agency else None

    def name(self, agency_id: str | None) -> str:
        agency = self.agencies.get(agency_id or "")
        return agency.name_vi if agency else (agency_id or "—")
