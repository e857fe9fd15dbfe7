"""Two delivery workers on one PostgreSQL database: every message reaches every channel once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from notifications.testing import Mailbox, WebhookReceiver
from notifications.worker import DeliveryStats, deliver_pending
from tests.integration.test_notifications import ADDRESS, NOW, add_agency, queue, settings
from workflow.db import make_engine, migrate
from workflow.tables import Delivery, InboxItem, Outbox

pytestmark = pytest.mark.postgres

DELIVERY, OUTBOX = Delivery.__table__, Outbox.__table__


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(delay=0.01) as server:  # slow enough for both workers to overlap
        yield server


@pytest.fixture
def pg(fresh_postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_postgres_url)
    migrate(engine)
    yield engine
    engine.dispose()


def unfinished(engine: Engine) -> bool:
    with engine.connect() as conn:
        outbox = conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.status == "pending")).first()
        delivery = conn.execute(select(DELIVERY.c.id).where(DELIVERY.c.status == "pending")).first()
    return outbox is not None or delivery is not None


def run_two_workers(engine: Engine, config: Any) -> dict[str, list[DeliveryStats]]:
    """Both start together and keep going, in small batches, until nothing is left to do."""
    results: dict[str, list[DeliveryStats]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def work(name: str) -> None:
        start.wait()
        while unfinished(engine):
            results[name].append(deliver_pending(engine, config, NOW, batch=5))
            time.sleep(0.005)  # the other worker may hold the rest: let it run

    workers = [threading.Thread(target=work, args=(name,)) for name in results]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def test_two_workers_deliver_each_message_once_per_channel(pg, mailbox, receiver) -> None:
    add_agency(pg, email_address=ADDRESS, webhook_url=receiver.url)
    ids = sorted(queue(pg, number=n) for n in range(1, 21))

    results = run_two_workers(pg, settings(mailbox.port))

    runs = results["a"] + results["b"]
    assert all(sum(r.sent for r in mine) > 0 for mine in results.values()), "both workers delivered"
    assert sum(r.fanned_out for r in runs) == 20
    assert sum(r.sent for r in runs) == 60
    with pg.connect() as conn:
        items = conn.execute(select(InboxItem.__table__.c.outbox_id)).scalars().all()
        sent = conn.execute(select(func.count()).select_from(DELIVERY).where(DELIVERY.c.status == "sent")).scalar()
    assert (sorted(items), sent) == (ids, 60)
    assert sorted(int(m["X-Rehab-Outbox-Id"]) for m in mailbox.messages()) == ids
    assert sorted(json.loads(body)["id"] for _, body in receiver.requests) == ids
