"""Which agency is responsible, for a commune, on a day: areas and agencies are dated data with successors.

The area hierarchy (commune → district until 30/06/2025, or court region → province) is read here and nowhere
else. A commune merged on 01/07/2025 has a successor commune; a dossier keeps the commune it was opened in, and
the agencies of that commune's successor serve it (the merged commune's agencies hand their open work over to
theirs). Queries other parts use:

    parents_of(area)          the area and the areas containing it (commune → district → province)
    lineage(commune)          every area whose agencies may serve a dossier of the commune, on some date, nearest
                              first: its parents, its successors and theirs, the areas containing its predecessors
    province_of(area)         the province an area belongs to (also across successors)
    agency_province(agency)   the province an agency serves
    area_on(area, day)        the area in office on the day (a merged commune's successor after 01/07/2025)
    communes_served(agency)   every commune, past and present, whose dossiers the agency serves
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from sqlalchemy import Connection, select

from workflow.tables import Agency, Area

T = TypeVar("T")


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


@dataclass(frozen=True, slots=True)
class AreaRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date = date(2000, 1, 1)
    valid_to: date | None = None
    successor_code: str | None = None
    official_code: str | None = None
    status: str = "✔"

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass
class Directory:
    agencies: dict[str, AgencyRow]
    parents: dict[str, str | None]
    areas: dict[str, AreaRow] = field(default_factory=dict)
    _cache: dict[tuple[str, str, date], str | None] = field(default_factory=dict)
    _acting: dict[tuple[str, date], frozenset[str]] = field(default_factory=dict)
    _lineage: dict[str, list[str]] = field(default_factory=dict)
    _predecessors: dict[str, list[str]] | None = None
    _remembered: dict[tuple[object, ...], object] = field(default_factory=dict)

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
        areas = {
            r.code: AreaRow(
                r.code,
                r.name,
                r.level,
                r.parent_code,
                r.valid_from,
                r.valid_to,
                r.successor_code,
                r.official_code,
                r.status,
            )
            for r in conn.execute(select(Area.__table__)).all()  # type: ignore[attr-defined]
        }
        return cls(agencies, {a.code: a.parent_code for a in areas.values()}, areas)

    # ------------------------------------------------------------------------------------------ areas

    def parents_of(self, area_code: str) -> list[str]:
        """The area and every area containing it, nearest first (a cycle in the data stops the chain)."""
        chain: list[str] = []
        current: str | None = area_code
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def area_successors(self, area_code: str) -> list[str]:
        """The areas that succeeded the area, nearest first (Quài Cang → Xã Tuần Giáo)."""
        chain: list[str] = []
        current = self.areas.get(area_code)
        while current is not None and current.successor_code and current.successor_code not in chain:
            chain.append(current.successor_code)
            current = self.areas.get(current.successor_code)
        return chain

    def area_predecessors(self, area_code: str) -> list[str]:
        """The areas merged into the area, and theirs, nearest first (Xã Tuần Giáo → Quài Cang, Quài Nưa, …)."""
        if self._predecessors is None:
            self._predecessors = {}
            for area in self.areas.values():
                if area.successor_code:
                    self._predecessors.setdefault(area.successor_code, []).append(area.code)
        found: list[str] = []
        todo = list(self._predecessors.get(area_code, []))
        while todo:
            code = todo.pop(0)
            if code not in found and code != area_code:
                found.append(code)
                todo += self._predecessors.get(code, [])
        return found

    def remembered(self, key: tuple[object, ...], make: Callable[[], T]) -> T:
        """`make()`'s value, worked out once per key for this directory (dropped with it when it is reloaded):
        what is derived from the areas and agencies alone, e.g. a reader's scope (`workflow.access.scope_of`)."""
        if key not in self._remembered:
            self._remembered[key] = make()
        return self._remembered[key]  # type: ignore[return-value]

    def lineage(self, area_code: str) -> list[str]:
        """Every area whose agencies may serve a dossier of the commune, on some date, nearest first: the commune
        and its parents, then each successor and its parents, then the areas that contained its predecessors (the
        former district of a 2025 commune; not the merged communes themselves, whose agencies have ended)."""
        if area_code not in self._lineage:
            chain: list[str] = []
            for start in (area_code, *self.area_successors(area_code)):
                chain += [a for a in self.parents_of(start) if a not in chain]
            for start in self.area_predecessors(area_code):  # the district it was in, not the merged commune
                chain += [a for a in self.parents_of(start)[1:] if a not in chain]
            self._lineage[area_code] = chain
        return self._lineage[area_code]

    def province_of(self, area_code: str) -> str | None:
        """The province the area belongs to (that of its successors if it has no province of its own)."""
        for start in (area_code, *self.area_successors(area_code)):
            for code in self.parents_of(start):
                area = self.areas.get(code)
                if area is not None and area.level == "province":
                    return code
        return None

    def agency_province(self, agency_id: str | None) -> str | None:
        agency = self.agencies.get(agency_id or "")
        return self.province_of(agency.area_code) if agency else None

    def area_on(self, area_code: str, on: date) -> str:
        """The area in office on the day: the area itself, or the successor of one that ended (after a merger)."""
        area = self.areas.get(area_code)
        if area is None or area.valid_on(on):
            return area_code
        for heir in self.area_successors(area_code):
            found = self.areas.get(heir)
            if found is not None and found.valid_on(on):
                return heir
        return area_code

    def communes_served(self, agency_id: str | None) -> frozenset[str]:
        """Every commune, past and present, whose dossiers the agency serves (its area, what it covers, beneath)."""
        agency = self.agencies.get(agency_id or "")
        if agency is None:
            return frozenset()
        return frozenset(
            code for code, area in self.areas.items() if area.level == "commune" and agency.serves(self.lineage(code))
        )

    def area_name(self, area_code: str | None) -> str:
        area = self.areas.get(area_code or "")
        return area.name if area else (area_code or "—")

    # ------------------------------------------------------------------------------------------ agencies

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
        court → regional court, a merged commune's police → the new commune's); else, for a type not yet in
        office, the agency it will succeed."""
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
