"""Actors the law has not settled yet (marked **?**): a default the deployment must accept or replace.

Each is an explicit entry of its regime, set in `config.toml` under `[unconfirmed."<regime id>"]`, shown
as unconfirmed in docs/legal-rules.md (the regime's notes) and to users (the stage label says "?").
Never a silent guess: the default, its basis and how to change it are all stated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from states.model import AgencyType, Regime, State, Step


@dataclass(frozen=True, slots=True)
class ConfigurableActor:
    """Who acts at some stages is not known yet: `default` acts unless config names another agency type."""

    key: str  # config key, e.g. "actor.labour_review"
    label_vi: str
    label_en: str
    default: AgencyType
    stages: tuple[State, ...]  # stages whose responsible agency it is
    steps: tuple[str, ...]  # step names where it acts (the default is swapped for the chosen type)
    basis: str
    choices: tuple[AgencyType, ...] = tuple(a for a in AgencyType if a is not AgencyType.PERSON)

    def note(self, regime_id: str) -> str:
        choices = ", ".join(a.value for a in self.choices)
        return (
            f"**?** {self.label_vi} ({self.label_en}): chưa xác định; mặc định `{self.default.value}` "
            f'— đặt trong config.toml `[unconfirmed."{regime_id}"] "{self.key}" = "…"` '
            f"(một trong: {choices}). Căn cứ: {self.basis}."
        )


def _swap(step: Step, old: AgencyType, new: AgencyType) -> Step:
    actors = tuple(dict.fromkeys(new if a is old else a for a in step.actors))
    return replace(step, actors=actors)


def choose(regime: Regime, actor: ConfigurableActor, chosen: AgencyType) -> Regime:
    """The regime with `chosen` acting wherever the unconfirmed actor's default acted."""
    stages = dict(regime.stages)
    for state in actor.stages:
        stages[state] = replace(stages[state], agency=chosen)
    steps = tuple(_swap(s, actor.default, chosen) if s.name in actor.steps else s for s in regime.steps)
    return replace(regime, stages=stages, steps=steps)


def with_unconfirmed(regime: Regime, actors: tuple[ConfigurableActor, ...], values: Mapping[str, str]) -> Regime:
    """Apply the configured choices; an unknown key or agency type is a one-line error naming the choices."""
    by_key = {a.key: a for a in actors}
    for key, value in values.items():
        actor = by_key.get(key)
        if actor is None:
            known = ", ".join(by_key) or "none"
            raise ValueError(f"regime {regime.id}: unknown unconfirmed entry {key!r} in config (known: {known})")
        if value not in {c.value for c in actor.choices}:
            raise ValueError(
                f"regime {regime.id}: {key} = {value!r} is not one of " + ", ".join(c.value for c in actor.choices)
            )
        regime = choose(regime, actor, AgencyType(value))
        regime = replace(regime, notes=(*regime.notes, f"**?** `{key}` = `{value}` (giá trị cấu hình, chưa xác nhận)."))
    return regime


def notes(regime_id: str, actors: tuple[ConfigurableActor, ...]) -> tuple[str, ...]:
    return tuple(a.note(regime_id) for a in actors)
