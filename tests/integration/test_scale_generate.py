"""The scale data set's bulk path writes what the engine writes (`bench.generate`, `bench.replicate`).

The same inputs both ways: the demo's plans driven through the engine twice (block 1 with other people), and the
same plans driven once with block 1 replicated in bulk. Every row of every dossier (the dossier, its person, its
chain, deadlines, alerts, messages, deliveries, inbox items, the free texts beside the chain) must be equal;
surrogate ids are compared through what they point to. Then `rehab audit verify` passes on the bulk database, and
tampering with a replicated entry is caught (the bulk chain is a real one).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from admin.cli import app
from bench.generate import drive, runtime_for
from bench.replicate import ALERT, DEADLINE, DELIVERY, DOSSIER, INBOX, LOG, OUTBOX, PERSON, Template, write_blocks
from workflow.idcrypt import IdProtector
from workflow.tables import EntryText

TEXTS = EntryText.__table__  # type: ignore[attr-defined]

COUNT = 12  # template dossiers: the coverage plans of several regimes, relapses, hand-overs, alerts
runner = CliRunner()


def _rows(db: Engine, table: Any) -> list[dict[str, Any]]:
    """Rows as stored, times as naive UTC (PostgreSQL returns them aware)."""
    with db.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.id)).mappings()
        return [{k: _naive(v) for k, v in r.items()} for r in rows]


def _naive(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def snapshot(db: Engine, ids: IdProtector) -> dict[int, dict[str, Any]]:
    """Every dossier's rows, keyed by dossier id, surrogate ids replaced by what they point to."""
    # by content: on PostgreSQL one step's rows are written by one statement, in no set id order
    deadlines = sorted(
        (d for d in _rows(db, DEADLINE) if d["dossier_id"] is not None),
        key=lambda d: (d["dossier_id"], d["opened_at"], d["stage"], d["key"], d["rule_id"]),
    )
    rank: dict[int, tuple[int, int]] = {}
    per_dossier: dict[int, int] = defaultdict(int)
    for d in deadlines:
        rank[d["id"]] = (d["dossier_id"], per_dossier[d["dossier_id"]])
        per_dossier[d["dossier_id"]] += 1
    alerts = {a["id"]: a for a in _rows(db, ALERT) if a["dossier_id"] is not None}
    alert_key = {a["id"]: (rank[a["deadline_id"]], a["kind"]) for a in alerts.values()}
    messages = {m["id"]: m for m in _rows(db, OUTBOX) if m["dossier_id"] is not None}

    def message_key(m: dict[str, Any]) -> tuple[Any, ...]:
        kind, _, rest = (m["dedupe_key"] or "").partition(":")
        if kind == "alert":
            alert_id, agency = rest.split(":", 1)
            return ("alert", alert_key[int(alert_id)], agency)
        return (m["dedupe_key"],)

    out: dict[int, dict[str, Any]] = {}
    persons = {p["id"]: p for p in _rows(db, PERSON)}
    for d in _rows(db, DOSSIER):
        p = dict(persons[d["person_id"]])
        p["id_number"] = ids.reveal(p.pop("id_number"))
        del p["id"]
        out[d["id"]] = {
            "dossier": d,
            "person": p,
            "log": [],
            "deadlines": [],
            "alerts": [],
            "messages": [],
            "deliveries": [],
            "inbox": [],
            "texts": [],
        }
    for e in _rows(db, LOG):
        out[e["dossier_id"]]["log"].append({k: v for k, v in e.items() if k != "id"})
    for d in deadlines:
        out[d["dossier_id"]]["deadlines"].append({k: v for k, v in d.items() if k != "id"})
    for a in alerts.values():
        out[a["dossier_id"]]["alerts"].append({**a, "id": None, "deadline_id": rank[a["deadline_id"]]})
    for m in messages.values():
        out[m["dossier_id"]]["messages"].append({**m, "id": None, "dedupe_key": message_key(m)})
    for x in _rows(db, DELIVERY):
        if x["outbox_id"] in messages:
            m = messages[x["outbox_id"]]
            out[m["dossier_id"]]["deliveries"].append({**x, "id": None, "outbox_id": message_key(m)})
    for i in _rows(db, INBOX):
        if i["outbox_id"] in messages:
            m = messages[i["outbox_id"]]
            out[m["dossier_id"]]["inbox"].append({**i, "id": None, "outbox_id": message_key(m)})
    for t in _rows(db, TEXTS):
        out[t["dossier_id"]]["texts"].append({k: v for k, v in t.items() if k != "id"})
    for rows in out.values():
        for part in ("alerts", "messages", "deliveries", "inbox"):
            rows[part].sort(key=repr)
    return out


@pytest.fixture(scope="module")
def through_the_engine(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    """Block 0 and block 1 both driven through the engine."""
    url = f"sqlite:///{tmp_path_factory.mktemp('engine')}/engine.db"
    rt = runtime_for(url)
    report = drive(rt, count=COUNT, blocks=2)
    assert (report.failed, report.refused) == (0, 0)
    rows = snapshot(rt.db, rt.engine.ids)
    rt.db.dispose()
    return rows


def _bulk(url: str) -> tuple[Any, dict[int, dict[str, Any]]]:
    rt = runtime_for(url)
    assert drive(rt, count=COUNT).failed == 0
    tpl = Template.read(rt.db)
    written = write_blocks([rt], tpl, 2 * len(tpl.dossiers))
    assert written[0]["dossier"] == len(tpl.dossiers)
    return rt, snapshot(rt.db, rt.engine.ids)


def _assert_same(bulk: dict[int, dict[str, Any]], engine: dict[int, dict[str, Any]]) -> None:
    assert sorted(bulk) == sorted(engine) and len(bulk) % 2 == 0
    for dossier_id, expected in engine.items():
        got = bulk[dossier_id]
        for part in expected:
            assert got[part] == expected[part], f"dossier {dossier_id}: {part} differs"
    block1 = [d for d in bulk.values() if d["dossier"]["id"] > len(bulk) // 2]
    assert block1 and all(d["log"] for d in block1)
    assert any(d["alerts"] for d in block1) and any(d["inbox"] for d in block1) and any(d["texts"] for d in block1)


def _verify_cli(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REHAB_DATABASE_URL", url)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    return result.output


def _tamper_is_caught(rt: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with rt.db.connect() as conn:
        last = conn.execute(text("SELECT max(dossier_id) FROM transition_log WHERE seq = 2")).scalar_one()
    with rt.db.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS transition_log_no_update" + _on(rt)))
        conn.execute(text(f"UPDATE transition_log SET actor = 'x' WHERE dossier_id = {last} AND seq = 2"))
    result = runner.invoke(app, ["audit", "verify", "--full"])  # the entry was checkpointed: --full reads it again
    assert result.exit_code == 1
    assert f"BROKEN: dossier {last}, entry 2" in result.output


def _on(rt: Any) -> str:
    return " ON transition_log" if rt.db.dialect.name == "postgresql" else ""


def test_bulk_rows_equal_the_engines_on_sqlite(
    through_the_engine: dict[int, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/bulk.db"
    rt, bulk = _bulk(url)

    _assert_same(bulk, through_the_engine)
    assert "ok:" in _verify_cli(url, monkeypatch)
    _tamper_is_caught(rt, monkeypatch)
    rt.db.dispose()


@pytest.mark.postgres
def test_bulk_rows_by_copy_equal_the_engines_on_postgresql(
    through_the_engine: dict[int, dict[str, Any]], fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt, bulk = _bulk(fresh_postgres_url)

    _assert_same(bulk, through_the_engine)
    assert "ok:" in _verify_cli(fresh_postgres_url, monkeypatch)
    _tamper_is_caught(rt, monkeypatch)
    rt.db.dispose()


def test_blocks_sealed_by_several_processes_are_the_same_rows(tmp_path: Path) -> None:
    """`python -m bench` builds blocks in forked workers and writes each database in its own thread: the rows are
    those of one process writing one database."""
    one = runtime_for(f"sqlite:///{tmp_path}/one.db")
    assert drive(one, count=COUNT).failed == 0
    tpl = Template.read(one.db)
    several = [runtime_for(f"sqlite:///{tmp_path}/several_{i}.db") for i in range(2)]
    for rt in several:
        tpl.copy_base(one.db, rt.db)
    size = 4 * len(tpl.dossiers) + len(tpl.dossiers) // 2  # blocks 1-4, half of block 5
    written_one = write_blocks([one], tpl, size, per_flush=2)
    written_several = write_blocks(several, tpl, size, per_flush=2, workers=2)  # two databases written at once

    assert written_several == written_one * 2 and written_one[0]["dossier"] == size - len(tpl.dossiers)
    expected = snapshot(one.db, one.engine.ids)
    for rt in several:
        assert snapshot(rt.db, rt.engine.ids) == expected
        rt.db.dispose()
    one.db.dispose()
