"""Where each rule of a regime is applied: in a deadline, in a guard, both, or nowhere.

Computed from the regime itself: deadlines are the stages' and steps' `DeadlineSpec`s (their rule, the
period that follows, the reminder's lead time, the longer limit of a complicated case); guards are the
steps' guard functions (and the checks made when a dossier is opened), read for the rule ids they name,
following the handler functions they call. A track variant (`term.max.minor`) and a rule a later law
switches in (`RuleSwitch.use`) are applied where their base rule is.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from states.model import DeadlineSpec, Regime, Track
from states.opening import START_GUARDS

RULE_ID = re.compile(r"""["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")


@dataclass
class Usage:
    deadlines: list[str] = field(default_factory=list)  # stage states and step names that open it
    guards: list[str] = field(default_factory=list)  # step names (and `open_dossier`) whose guards read it

    @property
    def kind(self) -> str:
        if self.deadlines and self.guards:
            return "both"
        return "deadline" if self.deadlines else ("guard" if self.guards else "")


def _handler_functions(fn: Callable[..., Any]) -> Iterable[Callable[..., Any]]:
    code = getattr(fn, "__code__", None)
    if code is None:
        return ()
    scope = {**getattr(fn, "__globals__", {})}
    for cell_name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or (), strict=False):
        scope[cell_name] = cell.cell_contents
    called = []
    for name in code.co_names + code.co_freevars:
        target = scope.get(name)
        if inspect.isfunction(target) and str(target.__module__).startswith("handlers."):
            called.append(target)
    return called


def rules_read(fn: Callable[..., Any], known: Iterable[str], seen: set[int] | None = None) -> set[str]:
    """The rule ids a guard names, and the handler functions it calls name."""
    seen = set() if seen is None else seen
    if id(fn) in seen:
        return set()
    seen.add(id(fn))
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return set()
    ids = set(known)
    found = {m for m in RULE_ID.findall(source) if m in ids}
    for called in _handler_functions(fn):
        found |= rules_read(called, ids, seen)
    return found


def _spec_rules(spec: DeadlineSpec) -> set[str]:
    rules = {spec.rule, spec.plus_rule, spec.remind_before_rule, spec.rule_if[1] if spec.rule_if else None}
    return {r for r in rules if r}


def _add(uses: dict[str, Usage], regime: Regime, rule_ids: Iterable[str], where: str, kind: str) -> None:
    for rule_id in _with_variants(regime, rule_ids):
        if rule_id in uses:
            target = uses[rule_id].deadlines if kind == "deadline" else uses[rule_id].guards
            if where not in target:
                target.append(where)


def _with_variants(regime: Regime, rule_ids: Iterable[str]) -> set[str]:
    out = set(rule_ids)
    out |= {sw.use for sw in regime.switches if sw.rule in out}
    out |= {f"{r}.{t.value}" for r in list(out) for t in Track}
    return out


def applied(regime: Regime) -> dict[str, Usage]:
    """Rule id -> where the regime applies it (empty lists: applied nowhere)."""
    uses = {rule_id: Usage() for rule_id in regime.rules}
    for stage in regime.stages.values():
        for spec in stage.deadlines:
            _add(uses, regime, _spec_rules(spec), stage.state.value, "deadline")
    for step in regime.steps:
        for spec in step.opens:
            _add(uses, regime, _spec_rules(spec), step.name, "deadline")
        for guard in step.guards:
            _add(uses, regime, rules_read(guard, regime.rules), step.name, "guard")
    for state in regime.initial_states:
        for guard in START_GUARDS.get(state, ()):
            _add(uses, regime, rules_read(guard, regime.rules), "open_dossier", "guard")
    return uses
