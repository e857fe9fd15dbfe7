"""Protecting ID numbers stored before they were encrypted: `rehab people reencrypt`.

A database upgraded from before `workflow.idcrypt` still holds rows with the number in clear and its salted
SHA-256 (reversible in about a second). They are read and matched as they are, but a stolen copy shows them.
This pass seals every clear number (AES-256-GCM under REHAB_ID_NUMBER_KEY) and writes the keyed hash
(HMAC under REHAB_ID_NUMBER_SALT) where the stored hash is another one; rows already protected are left alone,
so running it again changes nothing. A block of rows per transaction; no number is ever logged or printed.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import Engine, select, update

from workflow.idcrypt import PREFIX, IdProtector
from workflow.tables import Person

log = structlog.get_logger(__name__)
PERSON = Person.__table__  # type: ignore[attr-defined]
BLOCK = 500


@dataclass(slots=True)
class Upgrade:
    people: int = 0  # rows with an ID number
    sealed: int = 0  # a number in clear, now encrypted
    rehashed: int = 0  # an old (salted SHA-256) or missing hash, now the keyed hash
    unchanged: int = 0

    def describe(self) -> str:
        return (
            f"{self.people} people with an ID number: {self.sealed} encrypted, {self.rehashed} given the keyed hash, "
            f"{self.unchanged} already protected"
        )


def reencrypt(db: Engine, ids: IdProtector, *, dry_run: bool = False) -> Upgrade:
    """Seal clear numbers and replace old hashes, block by block; `dry_run` counts without writing."""
    done, last = Upgrade(), 0
    while True:
        with db.begin() as conn:
            rows = conn.execute(
                select(PERSON.c.id, PERSON.c.id_number, PERSON.c.id_number_hash)
                .where(PERSON.c.id > last, PERSON.c.id_number.is_not(None))
                .order_by(PERSON.c.id)
                .limit(BLOCK)
            ).all()
            for row in rows:
                changes = _changes(ids, row.id_number, row.id_number_hash, done)
                if changes and not dry_run:
                    conn.execute(update(PERSON).where(PERSON.c.id == row.id).values(**changes))
        if not rows:
            break
        last = rows[-1].id
    log.info(
        "people.id_numbers_protected", people=done.people, sealed=done.sealed, rehashed=done.rehashed, dry_run=dry_run
    )
    return done


def _changes(ids: IdProtector, stored: str, digest: str | None, done: Upgrade) -> dict[str, str]:
    done.people += 1
    number = ids.reveal(stored)
    assert number is not None
    changes: dict[str, str] = {}
    if not stored.startswith(PREFIX):
        changes["id_number"] = str(ids.seal(number))
        done.sealed += 1
    keyed = ids.digest(number)
    if digest != keyed:
        changes["id_number_hash"] = keyed
        done.rehashed += 1
    if not changes:
        done.unchanged += 1
    return changes


__all__ = ["Upgrade", "reencrypt"]
