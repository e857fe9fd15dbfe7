"""The store's one-round-trip flush: a step's writes land together, or none of them does."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.journeys import open_adult
from workflow.store import transaction
from workflow.tables import Deadline, Dossier, Outbox

OUTBOX = Outbox.__table__
DEADLINE = Deadline.__table__
DOSSIER = Dossier.__table__


class Abandon(Exception):
    """What the engine raises when `flush` says the versioned update changed no row."""


def _message(dossier_id: int, key: str) -> dict[str, object]:
    return {
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
        "kind": "stage_entered",
        "dossier_id": dossier_id,
        "agency_id": None,
        "context": {"dossier_code": "x"},
        "status": "pending",
        "dedupe_key": key,
    }


def test_a_stale_version_writes_nothing_of_the_step(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    dossier_id = open_adult(rt, clock).dossier_id
    now = datetime(2026, 12, 1, 2, tzinfo=UTC)
    with rt.db.connect() as conn:
        before = conn.execute(select(DOSSIER.c.state, DOSSIER.c.version).where(DOSSIER.c.id == dossier_id)).one()
        open_ids = [r.id for r in conn.execute(select(DEADLINE.c.id).where(DEADLINE.c.dossier_id == dossier_id))]
    assert open_ids, "the opened dossier has a running deadline to close"

    with pytest.raises(Abandon), transaction(rt.db) as store:
        row = store.load(dossier_id)
        assert row is not None
        stale = dataclasses.replace(row, version=row.version - 1)  # as if another step had moved it meanwhile
        store.close_deadlines(open_ids, now)
        store.queue(_message(dossier_id, "stale-step"))
        store.apply(
            stale,
            state="closed",
            agency_id=None,
            data={},
            now=now,
            seq=row.last_seq,
            digest=row.last_hash,
            closing_reason="x",
        )
        if store.flush(commit=True) == 0:
            raise Abandon

    with rt.db.connect() as conn:
        after = conn.execute(select(DOSSIER.c.state, DOSSIER.c.version).where(DOSSIER.c.id == dossier_id)).one()
        queued = conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.dedupe_key == "stale-step")).all()
        still_open = conn.execute(
            select(DEADLINE.c.id).where(DEADLINE.c.id.in_(open_ids), DEADLINE.c.closed_at.is_(None))
        ).all()
    assert tuple(after) == tuple(before)
    assert queued == []
    assert len(still_open) == len(open_ids)


def test_the_current_version_writes_every_part_of_the_step(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    dossier_id = open_adult(rt, clock).dossier_id
    now = datetime(2026, 12, 1, 2, tzinfo=UTC)
    with rt.db.connect() as conn:
        open_ids = [r.id for r in conn.execute(select(DEADLINE.c.id).where(DEADLINE.c.dossier_id == dossier_id))]
    with transaction(rt.db) as store:
        row = store.load(dossier_id)
        assert row is not None
        store.close_deadlines(open_ids, now)
        store.queue(_message(dossier_id, "current-step"))
        store.apply(
            row,
            state=row.state,
            agency_id=row.agency_id,
            data=row.data,
            now=now,
            seq=row.last_seq,
            digest=row.last_hash,
            closing_reason=None,
        )
        assert store.flush(commit=True) == 1
    with rt.db.connect() as conn:
        version = conn.execute(select(DOSSIER.c.version).where(DOSSIER.c.id == dossier_id)).scalar_one()
        queued = conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.dedupe_key == "current-step")).all()
        closed = conn.execute(
            select(DEADLINE.c.id).where(DEADLINE.c.id.in_(open_ids), DEADLINE.c.closed_at.is_not(None))
        ).all()
    assert version == row.version + 1
    assert len(queued) == 1
    assert len(closed) == len(open_ids)
