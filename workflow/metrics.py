"""Prometheus metrics (`prometheus-client`), exposed by the web server at /metrics.

Two kinds:
- counted in the process that does the work: steps applied and refused (by step and acting agency type),
  the scheduler cycle's duration, HTTP request latency (`admin.observe`);
- read from the database at each scrape (`DatabaseCollector`), so they are right whichever process (one of
  several servers or schedulers) did the work: alerts written, deliveries sent, failed attempts, dead
  letters, and the queues' depth.
Labels are only bounded sets (step names of the regimes, agency types, alert kinds, channels, statuses):
never a user, a dossier or an agency id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from workflow.db import reading
from workflow.tables import Alert, Delivery, Outbox

log = structlog.get_logger(__name__)
ALERT = Alert.__table__  # type: ignore[attr-defined]
DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]

STEPS = Counter(
    "rehab_steps_total",
    "Steps attempted on dossiers by this process: applied or refused, by step and acting agency type",
    ["step", "agency_type", "outcome"],
)
CYCLE_SECONDS = Histogram(
    "rehab_sweep_duration_seconds",
    "Duration of one scheduler cycle (deadline sweep, then delivery) in this process",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
REQUEST_SECONDS = Histogram(
    "rehab_http_request_duration_seconds",
    "HTTP request latency, by method, route template and status class",
    ["method", "route", "status"],
)


@cache
def known_steps() -> frozenset[str]:
    from states.registry import all_regimes

    return frozenset(step.event.value for regime in all_regimes() for step in regime.steps)


def record_step(event: str, agency_type: str | None, applied: bool) -> None:
    """One attempted step (a replayed idempotent request is not counted again)."""
    step = event.split("__")[0]
    labels = (step if step in known_steps() else "unknown", agency_type or "none", "applied" if applied else "refused")
    child = _STEP_COUNTERS.get(labels)
    if child is None:  # a few hundred label sets at most: steps × agency types × outcomes
        child = _STEP_COUNTERS[labels] = STEPS.labels(step=labels[0], agency_type=labels[1], outcome=labels[2])
    child.inc()


_STEP_COUNTERS: dict[tuple[str, str, str], Any] = {}


class DatabaseCollector(Collector):
    """Counts kept in the database, read at each scrape (a few grouped counts on indexed columns)."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._collect()
        except Exception:  # a scrape must not fail the server; /readyz reports the database
            log.exception("metrics.database_unavailable")

    def _collect(self) -> Iterable[Metric]:
        alert, delivery, outbox = ALERT, DELIVERY, OUTBOX
        with reading(self.db) as conn:
            alerts = conn.execute(select(alert.c.kind, func.count()).group_by(alert.c.kind)).all()
            deliveries = conn.execute(
                select(
                    delivery.c.channel, delivery.c.status, func.count(), func.coalesce(func.sum(delivery.c.attempts), 0)
                ).group_by(delivery.c.channel, delivery.c.status)
            ).all()
            outbox_pending = conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.status == "pending")
            ).scalar_one()
        written = GaugeMetricFamily(
            "rehab_alerts_written", "Deadline alerts written (in the database)", labels=["kind"]
        )
        for kind, count in alerts:
            written.add_metric([kind], count)
        by_status = GaugeMetricFamily(
            "rehab_deliveries",
            "Message deliveries by channel and status (sent, pending, dead)",
            labels=["channel", "status"],
        )
        failures = GaugeMetricFamily(
            "rehab_delivery_failed_attempts", "Failed delivery attempts recorded, by channel", labels=["channel"]
        )
        failed: dict[str, int] = {}
        for channel, status, count, attempts in deliveries:
            by_status.add_metric([channel, status], count)
            failed[channel] = failed.get(channel, 0) + int(attempts)
        for channel, attempts in failed.items():
            failures.add_metric([channel], attempts)
        dead = sum(count for _, status, count, _ in deliveries if status == "dead")
        pending = sum(count for _, status, count, _ in deliveries if status == "pending")
        queue = GaugeMetricFamily("rehab_queue_depth", "Work waiting: outbox messages and deliveries", labels=["queue"])
        queue.add_metric(["outbox"], outbox_pending)
        queue.add_metric(["deliveries"], pending)
        yield written
        yield by_status
        yield failures
        yield GaugeMetricFamily("rehab_dead_letters", "Deliveries that failed every retry", value=dead)
        yield queue


__all__ = ["CYCLE_SECONDS", "REQUEST_SECONDS", "STEPS", "DatabaseCollector", "record_step"]
