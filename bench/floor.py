"""The plain-SQL floor of a step: the same writes as `engine.fire()` with nothing else around them.

One transaction per step on one driver connection per writer, prepared statements: the row-locked load,
the dossier update (state, version, data, chain tip), a SHA-256-chained log entry over canonical JSON
(its bytes stored and its hash signed with Ed25519, as `workflow.chain.seal` does),
the open deadlines closed and one opened, one outbox row. On PostgreSQL the writes and the commit go in
one pipeline, and BEGIN with the locking read in another: two round trips, as a hand-written step would
send them.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import make_url

from workflow.signing import development_signer

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
GENESIS = "0" * 64
LOG_COLUMNS = "dossier_id, seq, at, kind, actor, actor_agency, event, from_state, to_state, applied, payload, reasons, "
LOG_COLUMNS += "prev_hash, hash, body, signature, key_id"
DEADLINE_COLUMNS = "dossier_id, stage, key, rule_id, agency_id, agency_type, starts_on, due_on, due_at, remind_on, "
DEADLINE_COLUMNS += "escalate_to, basis, status_mark, spans, opened_at"
OUTBOX_COLUMNS = "created_at, kind, dossier_id, agency_id, context, status, dedupe_key"


def _sql(mark: str, lock: str) -> dict[str, str]:
    def marks(n: int) -> str:
        return ", ".join([mark] * n)

    return {
        "load": f"SELECT state, version, data, last_seq, last_hash FROM dossier WHERE id = {mark}{lock}",
        "log": f"INSERT INTO transition_log ({LOG_COLUMNS}) VALUES ({marks(17)})",
        "dossier": f"UPDATE dossier SET state = {mark}, version = {mark}, data = {mark}, updated_at = {mark}, "
        f"last_seq = {mark}, last_hash = {mark} WHERE id = {mark}",
        "close": f"UPDATE deadline SET closed_at = {mark} WHERE dossier_id = {mark} AND closed_at IS NULL",
        "deadline": f"INSERT INTO deadline ({DEADLINE_COLUMNS}) VALUES ({marks(15)})",
        "outbox": f"INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES ({marks(7)})",
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class FloorWriter:
    """One writer: one connection, its statements prepared once."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.pg = parsed.get_backend_name() == "postgresql"
        if self.pg:
            import psycopg

            conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn: Any = psycopg.connect(conninfo, prepare_threshold=0)
            self.sql = _sql("%s", " FOR UPDATE")
        else:
            self.conn = sqlite3.connect(str(parsed.database), isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=10000"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.sql = _sql("?", "")
        self.cursor = self.conn.cursor()
        self.signer = development_signer()

    def close(self) -> None:
        self.conn.close()

    def step(
        self, dossier_id: int, event: str, agency: str, payload: dict[str, Any], now: datetime, labels: dict[str, str]
    ) -> None:
        pg, sql, cur = self.pg, self.sql, self.cursor
        if pg:  # BEGIN and the locking read in one round trip
            with self.conn.pipeline():
                cur.execute(sql["load"], (dossier_id,))
        else:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(sql["load"], (dossier_id,))
        state, version, data, seq, prev = cur.fetchone()
        if not pg:
            data = json.loads(data)
        seq += 1
        at = now.astimezone(UTC).replace(tzinfo=None)
        at_text = at.isoformat(timespec="microseconds")
        facts = {k: v for k, v in payload.items() if k not in ("document", "attachments")}
        data.update(facts)
        if "document" in payload:
            data.setdefault("documents", {})[event] = {"type": event, **payload["document"]}
        entry = {
            "dossier_id": dossier_id,
            "seq": seq,
            "at": at_text,
            "kind": "step",
            "actor": "bench",
            "actor_agency": agency,
            "event": event,
            "from_state": state,
            "to_state": event,
            "applied": True,
            "payload": payload,
            "reasons": [],
            "prev_hash": prev or GENESIS,
        }
        body = _canonical(entry)
        digest = hashlib.sha256(body).hexdigest()
        signature = self.signer.sign_entry(digest)  # one Ed25519 signature, as the engine's chain keeps
        stamp: Any = now if pg else at.strftime(SQLITE_TIME)
        due = now + timedelta(days=10)
        due_at: Any = due if pg else due.astimezone(UTC).strftime(SQLITE_TIME)
        today = now.date()
        day: Any = today if pg else today.isoformat()
        due_day_text = due.date().isoformat()
        due_day: Any = due.date() if pg else due_day_text
        context = {"dossier_code": f"HS-2023-{dossier_id:06d}", **labels, "event": event, "due_on": due_day_text}
        writes = [
            (
                sql["log"],
                (dossier_id, seq, stamp, "step", "bench", agency, event, state, event, True)
                + (_dumps(payload), "[]", entry["prev_hash"], digest, body, signature, self.signer.key_id),
            ),
            (sql["dossier"], (event, version + 1, _dumps(data), stamp, seq, digest, dossier_id)),
            (sql["close"], (stamp, dossier_id)),
            (
                sql["deadline"],
                (dossier_id, event, f"{event}.limit", "rule", agency, "court", day, due_day, due_at, due_day)
                + ('["procuracy"]', "basis", "confirmed", _dumps([event]), stamp),
            ),
            (
                sql["outbox"],
                (stamp, "stage_entered", dossier_id, agency, _dumps(context), "pending", f"floor:{dossier_id}:{seq}"),
            ),
        ]
        if pg:
            with self.conn.pipeline():
                for statement, params in writes:
                    cur.execute(statement, params)
                self.conn.commit()
        else:
            for statement, params in writes:
                cur.execute(statement, params)
            cur.execute("COMMIT")
