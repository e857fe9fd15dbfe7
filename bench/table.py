"""One table for `make bench`: every figure beside its reference measured in the same run, and its target.

Each bench module exposes `rows(ctx: BenchContext) -> list[Row]`; `python -m bench` runs them all and prints
one table (Markdown, so the README can show it as printed).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Row:
    area: str  # "steps", "queries", "sweep", "verify", "server", "load"
    measure: str  # what was measured, e.g. "SQLite, 1 writer, steps/s"
    value: str  # the figure, formatted
    reference: str = ""  # the reference measured in the same run, e.g. "floor 8,900/s"
    target: str = ""  # the target, e.g. "≥ 0.5× floor"
    met: bool | None = None  # None: no target
    note: str = ""


@dataclass
class BenchContext:
    """What every bench module shares: the size asked for and, once started, a PostgreSQL base URL."""

    dossiers: int = 100_000
    quick: bool = False  # small sizes, for a smoke run
    pg_base: str | None = None
    scratch: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def machine() -> str:
    cpus = os.cpu_count() or 0
    return f"{platform.machine()}, {cpus} cores, Python {platform.python_version()}, {platform.system()}"


def render(rows: Iterable[Row]) -> str:
    lines = ["| area | measure | figure | reference (same run) | target | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        note = f" ({r.note})" if r.note else ""
        lines.append(f"| {r.area} | {r.measure}{note} | {r.value} | {r.reference} | {r.target} | {met} |")
    return "\n".join(lines)


def fmt(n: float, unit: str = "") -> str:
    text = f"{n:,.0f}" if n >= 100 else f"{n:,.2f}"
    return f"{text}{unit}"
