"""All legal regimes, and which one applies to a dossier opened on a given violation date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from states import vn_2014, vn_2021, vn_2025, vn_2026
from states.configurable import ConfigurableActor, with_unconfirmed
from states.model import Regime
from states.transitions import with_transitions

_LINKED = with_transitions({r.id: r for r in (vn_2014.REGIME, vn_2021.REGIME, vn_2025.REGIME, vn_2026.REGIME)})
BUILT_IN: tuple[Regime, ...] = tuple(_LINKED.values())

# Actors the law has not settled (**?**), per regime: set in config.toml under [unconfirmed."<regime id>"].
CONFIGURABLE: dict[str, tuple[ConfigurableActor, ...]] = {
    "vn-2025": vn_2025.CONFIGURABLE,
    "vn-2026": vn_2026.CONFIGURABLE,
}


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


def configure(regimes: Mapping[str, Regime], unconfirmed: Mapping[str, Mapping[str, str]]) -> dict[str, Regime]:
    """The regimes with the deployment's choices for unconfirmed actors, re-linked to the (configured) new law.

    Call it after the rule values and regime boundaries are applied: transitional rules copy the new law's
    configured values and start on its configured first day.
    """
    out = dict(regimes)
    for regime_id, values in unconfirmed.items():
        if regime_id not in out:
            raise ValueError(f"config: unknown regime {regime_id!r} in [unconfirmed] (known: {', '.join(out)})")
        out[regime_id] = with_unconfirmed(out[regime_id], CONFIGURABLE.get(regime_id, ()), values)
    return with_transitions(out)
