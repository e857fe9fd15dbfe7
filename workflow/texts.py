"""Free text typed into a step, kept beside the chain: the log entry holds only its digest.

A note, a reason, a return's reasons can hold anything a person types, the person's name or health included.
The transition log can never be erased, so such text is never written on it: `off_chain` replaces each by
`{"sha256": digest}` in the entry's payload and returns the texts, which the engine keeps in the table
`entry_text` (dossier, seq, field) in the same transaction. The digest is SHA-256 over a salt and the text, the
salt an HMAC of the text under a secret outside the database, so a short text cannot be guessed from the
chain; the salt is kept beside the text (checking needs no secret) and is erased with it.

A correction rewrites the side text, a legal erasure deletes it and its salt (the row remains, saying who
erased it, when and on what basis): the chain is untouched and still verifies. `verify_texts` checks every side
text that is neither corrected nor erased against the digest on the chain. Readers entitled to the text
(`workflow.access`) see it in place of the digest (`reveal`); the log export shows the digest only.

Which text leaves the chain: the free-text fields (`FREE_TEXT`) of any entry, and in a refused attempt every
text value (a refused category may be anything typed; its dates stay), and an unknown field's name unless it
looks like a field name.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, exists, select, update

from workflow.db import reading
from workflow.tables import EntryText, TransitionLog

TEXT = EntryText.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
FREE_TEXT = frozenset({"note", "reason", "reasons", "complicated_reason"})
MARK = "sha256"
HIDDEN = "(ẩn)"
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_.\[\]]{0,63}$")


@dataclass(frozen=True, slots=True)
class SideText:
    """One text kept beside the chain, and the digest the chain holds for it."""

    field: str
    text: str
    salt: str

    @property
    def digest(self) -> str:
        return digest(self.salt, self.text)

    def row(self, dossier_id: int, seq: int, at: datetime) -> dict[str, Any]:
        return {
            "dossier_id": dossier_id,
            "seq": seq,
            "field": self.field,
            "text": self.text,
            "salt": self.salt,
            "written_at": at,
            "basis": "",
        }


def digest(salt: str, text: str) -> str:
    return hashlib.sha256(f"{salt}\x1f{text}".encode()).hexdigest()


def is_marker(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {MARK}


def _leaves_chain(name: str, value: Any, applied: bool) -> bool:
    if not isinstance(value, str) or not value:
        return False
    if name in FREE_TEXT:
        return True
    return not applied and not _ISO_DAY.match(value) and value != HIDDEN


def random_salt(_field: str, _text: str) -> str:
    return secrets.token_hex(16)


def off_chain(
    logged: Mapping[str, Any], *, applied: bool, salt: Callable[[str, str], str] = random_salt
) -> tuple[dict[str, Any], tuple[SideText, ...]]:
    """The payload as the chain records it (each free text replaced by `{"sha256": digest}`) and the texts
    to keep beside it (`Store.keep_text`). The one function the engine (and any bulk writer) calls; the engine's
    `salt` is keyed by a secret outside the database (`DossierEngine.text_salt`): without the secret, a short
    text cannot be guessed from its digest, and the same text gives the same entry (a replayed build, a bulk
    copy) whatever the run."""
    payload: dict[str, Any] = {}
    kept: list[SideText] = []
    for name, value in logged.items():
        if _leaves_chain(name, value, applied):
            text = SideText(name, value, salt(name, value))
            kept.append(text)
            payload[name] = {MARK: text.digest}
        elif name == "fields" and not applied and isinstance(value, list):  # an attempt's field names
            payload[name] = [v if _FIELD_NAME.match(str(v)) else "(khác)" for v in value]
        else:
            payload[name] = value
    return payload, tuple(kept)


# --------------------------------------------------------------------------- reading


def side_texts(db: Engine, dossier_id: int | None = None) -> dict[tuple[int, int, str], Any]:
    """(dossier, seq, field) → the stored row (text None once erased)."""
    query = select(TEXT)
    if dossier_id is not None:
        query = query.where(TEXT.c.dossier_id == dossier_id)
    with reading(db) as conn:
        return {(r.dossier_id, r.seq, r.field): r for r in conn.execute(query)}


def reveal(
    entries: Sequence[Mapping[str, Any]],
    texts: Mapping[tuple[int, int, str], Any],
    may_read: Callable[[Mapping[str, Any]], bool],
) -> list[dict[str, Any]]:
    """The entries with each digest replaced by its text for an entry `may_read` allows; otherwise, and once
    erased, the digest stays with `"text": "(ẩn)"` or `"erased": true`."""
    out = []
    for entry in entries:
        payload = entry.get("payload")
        if not isinstance(payload, Mapping) or not any(is_marker(v) for v in payload.values()):
            out.append(dict(entry))
            continue
        allowed = may_read(entry)
        shown = {}
        for name, value in payload.items():
            if not is_marker(value):
                shown[name] = value
                continue
            row = texts.get((int(entry["dossier_id"]), int(entry["seq"]), name))
            if row is None or row.text is None:
                shown[name] = {**value, "erased": True}
            else:
                shown[name] = row.text if allowed else {**value, "text": HIDDEN}
        out.append({**entry, "payload": shown})
    return out


# --------------------------------------------------------------------------- checking and changing


@dataclass(frozen=True, slots=True)
class TextProblem:
    dossier_id: int
    seq: int
    field: str
    problem: str

    def describe(self) -> str:
        return f"dossier {self.dossier_id}, entry {self.seq}, text «{self.field}»: {self.problem}"


def verify_texts(db: Engine, dossier_id: int | None = None) -> tuple[int, list[TextProblem]]:
    """How many side texts were checked against their digest on the chain, and every one that differs (a
    corrected or erased text is not a problem: it says so itself), or whose entry has no digest for it."""
    has_text = exists().where(TEXT.c.dossier_id == LOG.c.dossier_id, TEXT.c.seq == LOG.c.seq)
    query = select(LOG.c.dossier_id, LOG.c.seq, LOG.c.payload).where(has_text)
    if dossier_id is not None:
        query = query.where(LOG.c.dossier_id == dossier_id)
    texts = side_texts(db, dossier_id)
    with reading(db) as conn:
        payloads = {(r.dossier_id, r.seq): r.payload or {} for r in conn.execute(query)}
    checked, problems = 0, []
    for (did, seq, name), row in sorted(texts.items()):
        if row.change is not None:
            continue
        checked += 1
        marker = payloads.get((did, seq), {}).get(name)
        if marker is None or not is_marker(marker):
            problems.append(TextProblem(did, seq, name, "the chain holds no digest for this text"))
        elif row.text is None or digest(row.salt or "", row.text) != marker[MARK]:
            problems.append(TextProblem(did, seq, name, "the text does not match its digest on the chain"))
    return checked, problems


def change_text(
    db: Engine,
    dossier_id: int,
    seq: int,
    field: str,
    *,
    by: str,
    basis: str,
    at: datetime,
    text: str | None = None,
) -> bool:
    """Correct the side text (`text`) or erase it (`text=None`: text and salt deleted). The chain keeps the
    digest; the row keeps who changed it, when and on what legal basis. False if there is no such text."""
    values: dict[str, Any] = {"text": text, "change": "corrected" if text is not None else "erased", "changed_by": by}
    values |= {"changed_at": at, "basis": basis}
    if text is None:
        values["salt"] = None
    where = (TEXT.c.dossier_id == dossier_id) & (TEXT.c.seq == seq) & (TEXT.c.field == field)
    with db.begin() as conn:
        return bool(conn.execute(update(TEXT).where(where).values(**values)).rowcount)


__all__ = [
    "FREE_TEXT",
    "SideText",
    "TextProblem",
    "change_text",
    "digest",
    "is_marker",
    "off_chain",
    "random_salt",
    "reveal",
    "side_texts",
    "verify_texts",
]
