"""All legal regimes, and which one applies to a dossier opened on a given violation date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from states import vn_2014, vn_2021
from states.model import Regime

BUILT_IN: tuple[Regime, ...] = (vn_2014.REGIME, vn_2021.REGIME)


class NoRegimeForDate(ValueError):
    pass


def regimes_by_id(regimes: tuple[Regime, ...] = BUILT_IN) -> dict[str, Regime]:
    return {r.id: r for r in regimes}


def regime_for(violation_on: date, regimes: Mapping[str, Regime]) -> Regime:
    """The regime in force on the violation-record date; a dossier keeps it for life."""
    for regime in regimes.values():
        ends = regime.in_force_to or date.max
        if regime.in_force_from <= violation_on <= ends:
            return regime
    first = min(r.in_force_from for r in regimes.values())
    raise NoRegimeForDate(
        f"no legal regime is configured for a violation on {violation_on:%d/%m/%Y} "
        f"(the earliest starts {first:%d/%m/%Y})"
    )


def all_regimes() -> tuple[Regime, ...]:
    """Every built-in regime, oldest first."""
    return tuple(sorted(BUILT_IN, key=lambda r: r.in_force_from))
