"""Paths through a regime: the demo knows the process only from `regime.steps`, walked from an initial state."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable

from demo.plans import Target
from demo.spread import DETOUR_CHANCE, MAX_DETOURS
from states.model import Event, Regime, State, Step, Track

# An exclusion recorded at the court or before the escort ends the journey the walk is following.
NO_DETOUR = frozenset({Event.RECORD_EXCLUSION})
USUAL_START_CHANCE = 0.85  # a dossier usually opens on the regime's first initial state (a violation record)


def distances(regime: Regime, track: Track, goals: Iterable[State]) -> dict[State, int]:
    """Steps from each state to the nearest goal, through non-final states only (a reverse BFS)."""
    final = set(regime.final_states)
    dist = {g: 0 for g in goals}
    queue = deque(dist)
    while queue:
        current = queue.popleft()
        for step in regime.steps:
            if step.dest is not current or track not in step.tracks:
                continue
            for source in step.sources:
                if source not in dist and source not in final:
                    dist[source] = dist[current] + 1
                    queue.append(source)
    return dist


def walk(regime: Regime, track: Track, state: State, goal: State, rng: random.Random) -> list[Step]:
    """A path from `state` to `goal` (reachable): mostly forward, with the odd detour (a loop that comes back)."""
    dist = distances(regime, track, (goal,))
    path: list[Step] = []
    detours = 0
    while state is not goal:
        here = dist[state]
        options = [s for s in regime.steps_from(state, track) if s.dest in dist]
        ahead = [s for s in options if dist[s.dest] < here]
        aside = [s for s in options if here <= dist[s.dest] <= here + 2 and s not in path and s.event not in NO_DETOUR]
        if aside and detours < MAX_DETOURS and rng.random() < DETOUR_CHANCE:
            step, detours = rng.choice(aside), detours + 1
        else:
            step = rng.choice(ahead)
        path.append(step)
        state = step.dest
    return path


def closings(regime: Regime) -> list[Step]:
    """The regime's closing steps, one per name."""
    final = set(regime.final_states)
    seen: dict[str, Step] = {}
    for step in regime.steps:
        if step.dest in final:
            seen.setdefault(step.name, step)
    return list(seen.values())


def before_facility(regime: Regime) -> set[State]:
    """The states a dossier passes before it reaches the facility."""
    return set(distances(regime, Track.ADULT, (State.IN_FACILITY,))) - {State.IN_FACILITY}


def route(target: Target, track: Track, rng: random.Random) -> tuple[State, list[Step]] | None:
    """The initial state and the steps to the target (a closing step is reached from one of its sources)."""
    regime, closing = target.regime, target.closing
    if closing is not None and track not in closing.tracks:
        return None
    goals = [target.state] if target.state is not None else list(closing.sources if closing else ())
    routes = [(i, g) for g in goals for i in regime.initial_states if i in distances(regime, track, (g,))]
    if not routes:
        return None
    usual = [r for r in routes if r[0] is regime.initial_states[0]]
    initial, goal = rng.choice(usual if usual and rng.random() < USUAL_START_CHANCE else routes)
    path = walk(regime, track, initial, goal, rng)
    return initial, path + ([closing] if closing else [])
