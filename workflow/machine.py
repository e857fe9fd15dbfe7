"""The only place a `transitions.Machine` is built: one per regime, without auto transitions.

There is no `to_<state>()` back door: a state changes only through a step the regime defines,
and only the engine fires steps.
"""

from __future__ import annotations

import threading

from transitions import Machine, MachineError

from states.model import Regime, Step


class _Token:
    """A throw-away model carrying one dossier's state through one trigger."""

    state: str


class StepMachine:
    def __init__(self, regime: Regime) -> None:
        self.regime = regime
        self.machine = Machine(
            model=None,
            states=[s.value for s in regime.stages],
            transitions=[
                {"trigger": step.trigger, "source": [s.value for s in step.sources], "dest": step.dest.value}
                for step in regime.steps
            ],
            initial=regime.initial_states[0].value,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )

        self._local = threading.local()
        # the machine's own graph as a table (first transition of a trigger from a source, as the machine
        # takes it): applying a step is one look-up, not a trigger run on a model
        self._dest: dict[tuple[str, str], str] = {
            (source, name): str(moves[0].dest)
            for name, event in self.machine.events.items()
            for source, moves in event.transitions.items()
            if moves
        }

    def _token(self) -> _Token:
        token: _Token | None = getattr(self._local, "token", None)
        if token is None:
            token = _Token()
            self.machine.add_model(token)
            self._local.token = token
        return token

    def apply(self, state: str, step: Step) -> str:
        """The state the trigger leads to from `state`, or MachineError (as the machine's trigger would)."""
        dest = self._dest.get((state, step.trigger))
        if dest is None:
            token = self._token()  # the machine itself refuses, with its own message
            token.state = state
            token.trigger(step.trigger)  # type: ignore[attr-defined]
            return token.state
        return dest

    def can(self, state: str, trigger: str) -> bool:
        return bool(self.machine.get_transitions(trigger=trigger, source=state))


_MACHINES: dict[tuple[object, ...], StepMachine] = {}
_BY_OBJECT: dict[int, tuple[Regime, StepMachine]] = {}


def machine_for(regime: Regime) -> StepMachine:
    """One machine per distinct process definition (rule values do not change the graph)."""
    known = _BY_OBJECT.get(id(regime))
    if known is not None and known[0] is regime:
        return known[1]
    key = (regime.id, tuple((s.trigger, s.sources, s.dest) for s in regime.steps))
    if key not in _MACHINES:
        _MACHINES[key] = StepMachine(regime)
    _BY_OBJECT[id(regime)] = (regime, _MACHINES[key])
    return _MACHINES[key]


__all__ = ["MachineError", "StepMachine", "machine_for"]
