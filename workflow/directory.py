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

    @classmethod
    def load(cls, conn: Connection) -> Directory:
        agencies = {
            r.id: AgencyRow(r.id, r.type, r.name_vi, r.area_code, tuple(r.covers or ()), r.valid_from,
                            r.valid_to, r.successor_id, r.email, r.webhook_url)
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

    def _resolve(self, agency_type: str, commune_code: str, on: date) -> str | None:
        candidates = [a for a in self.agencies.values() if a.type == agency_type and a.valid_on(on)]
        for area in self.lineage(commune_code):
            for agency in candidates:
                if agency.serves([area]):
                    return agency.id
        return None

    def type_of(self, agency_id: str | None) -> str | None:
        agency = self.agencies.get(agency_id or "")
        return agency.type if agency else None

    def name(self, agency_id: str | None) -> str:
        agency = self.agencies.get(agency_id or "")
        return agency.name_vi if agency else (agency_id or "—")
