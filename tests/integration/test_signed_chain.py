"""The server signs the chain: what someone with database access but without the key can no longer do
unseen, on SQLite and PostgreSQL; signed checkpoints and the incremental verify that reads only what is new."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update

from tests.journeys import Clock, Journey, make_runtime, open_adult, to_court_acceptance
from workflow.audit import verify_chain
from workflow.chain import seal
from workflow.checkpoints import verify_since_checkpoint, write_checkpoint
from workflow.runtime import Runtime
from workflow.signing import KeyRing, Signer, generate_private_text, keyring_from, load_private
from workflow.tables import Dossier, TransitionLog

LOG = TransitionLog.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]


@pytest.fixture
def journey(db_url: str) -> Iterator[tuple[Runtime, Clock, Journey]]:
    rt, clock = make_runtime(db_url)
    j = Journey(rt, clock, open_adult(rt, clock).dossier_id)
    to_court_acceptance(j)
    yield rt, clock, j
    rt.db.dispose()


def _tip(rt: Runtime, dossier_id: int) -> Any:
    with rt.db.connect() as conn:
        return conn.execute(select(LOG).where(LOG.c.dossier_id == dossier_id).order_by(LOG.c.seq.desc())).first()


def _append_forged(rt: Runtime, dossier_id: int, signer: Signer | None) -> int:
    """Someone who can write to the database appends an entry with the right hash and link, and moves the
    dossier's tip to it: signed with another key, or not signed at all."""
    tip = _tip(rt, dossier_id)
    entry = {**tip._asdict(), "seq": tip.seq + 1, "prev_hash": tip.hash, "event": "decide", "to_state": "closed"}
    del entry["id"]
    if signer is not None:
        seal(entry, signer)
    else:
        sealed = seal(dict(entry), Signer(load_private(generate_private_text())))
        entry.update(hash=sealed["hash"], body=sealed["body"], signature=None, key_id=None)
    with rt.db.begin() as conn:
        conn.execute(insert(LOG).values(**entry))
        conn.execute(
            update(DOSSIER).where(DOSSIER.c.id == dossier_id).values(last_seq=entry["seq"], last_hash=entry["hash"])
        )
    return int(entry["seq"])


def _behind_the_triggers(rt: Runtime, statement: str) -> None:
    with rt.db.begin() as conn:
        if rt.db.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE transition_log DISABLE TRIGGER USER"))
            conn.execute(text(statement))
            conn.execute(text("ALTER TABLE transition_log ENABLE TRIGGER USER"))
        else:
            for trigger in ("transition_log_no_update", "transition_log_no_delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
            conn.execute(text(statement))


# --------------------------------------------------------------------------- entries


def test_every_entry_the_engine_writes_carries_its_bytes_and_the_servers_signature(journey) -> None:  # type: ignore[no-untyped-def]
    rt, _, j = journey
    with rt.db.connect() as conn:
        rows = conn.execute(select(LOG).where(LOG.c.dossier_id == j.dossier_id)).all()

    assert len(rows) > 3
    assert all(r.body and r.signature and r.key_id == rt.signer.key_id for r in rows)
    assert all(rt.keyring.verify_entry(r.key_id, r.signature, r.hash) for r in rows)
    report = verify_chain(rt.db, keys=rt.keyring)
    assert report.ok and report.entries == len(rows)


@pytest.mark.parametrize("forger", ["another key", "no signature"])
def test_an_entry_appended_without_the_key_is_reported_though_its_hash_and_link_are_right(journey, forger) -> None:  # type: ignore[no-untyped-def]
    rt, _, j = journey
    seq = _append_forged(
        rt, j.dossier_id, Signer(load_private(generate_private_text())) if forger == "another key" else None
    )

    report = verify_chain(rt.db, keys=rt.keyring)

    assert report.first_break is not None
    assert (report.first_break.dossier_id, report.first_break.seq) == (j.dossier_id, seq)
    assert report.first_break.problem.startswith("signature invalid" if forger == "another key" else "unsigned")


def test_altered_bytes_and_a_column_that_no_longer_says_what_was_signed_are_reported(journey) -> None:  # type: ignore[no-untyped-def]
    rt, _, j = journey
    where = f"WHERE dossier_id = {j.dossier_id} AND seq = 2"
    _behind_the_triggers(rt, f"UPDATE transition_log SET actor = 'someone else' {where}")

    column = verify_chain(rt.db, keys=rt.keyring).first_break
    fast = verify_chain(rt.db, keys=rt.keyring, columns=False)
    assert column is not None and (column.seq, column.problem[:15]) == (2, "columns altered")
    assert fast.ok  # the hash and link pass reads only the signed bytes, which are intact

    blob = "X'00'" if rt.db.dialect.name == "sqlite" else "'\\x00'::bytea"
    _behind_the_triggers(rt, f"UPDATE transition_log SET body = {blob} {where}")
    altered = verify_chain(rt.db, keys=rt.keyring, columns=False).first_break
    assert altered is not None and (altered.seq, altered.problem[:15]) == (2, "content altered")


def test_a_verifier_that_does_not_trust_the_key_reports_and_a_rotated_key_stays_trusted(journey) -> None:  # type: ignore[no-untyped-def]
    rt, _, _ = journey
    stranger = KeyRing.of([Signer(load_private(generate_private_text())).public])
    new = Signer(load_private(generate_private_text()))
    from workflow.signing import public_text

    rotated = keyring_from(new, [public_text(rt.signer.public)])

    wrong = verify_chain(rt.db, keys=stranger)
    assert wrong.first_break is not None and "not signed by a trusted key" in wrong.first_break.problem
    assert verify_chain(rt.db, keys=rotated).ok


def test_the_development_key_is_never_trusted_in_production(journey) -> None:  # type: ignore[no-untyped-def]
    rt, _, _ = journey
    production = keyring_from(Signer(load_private(generate_private_text())), [], production=True)
    assert rt.signer.development and rt.signer.key_id not in production.keys
    assert not verify_chain(rt.db, keys=production).ok


# --------------------------------------------------------------------------- checkpoints


def test_the_daily_verify_reads_only_entries_after_the_signed_checkpoint(journey) -> None:  # type: ignore[no-untyped-def]
    rt, clock, j = journey
    first, total = verify_since_checkpoint(rt.db, rt.keyring)
    assert first.ok and first.checkpoint is None and first.entries == total > 3
    write_checkpoint(rt.db, rt.signer, first, rt.now().isoformat(), total)
    second = Journey(rt, clock, open_adult(rt, clock, id_number="011090005555").dossier_id)
    second.step("request_determination", "commune_police")
    j.step("open_session", "district_court", {"session_on": clock.today.isoformat()}, days=1)

    report, covered = verify_since_checkpoint(rt.db, rt.keyring)

    assert report.ok and report.checkpoint is not None
    assert report.entries == 3 and report.dossiers == 2  # two on the new dossier, one on the old
    assert covered == total + 3
    write_checkpoint(rt.db, rt.signer, report, rt.now().isoformat(), covered)
    seq = _append_forged(rt, j.dossier_id, None)
    forged, _ = verify_since_checkpoint(rt.db, rt.keyring)
    assert forged.entries == 1 and forged.first_break is not None and forged.first_break.seq == seq


def test_a_tampered_checkpoint_is_reported_and_a_rewritten_checkpointed_entry_fails_the_full_verify(journey) -> None:  # type: ignore[no-untyped-def]
    rt, _, j = journey
    report, total = verify_since_checkpoint(rt.db, rt.keyring)
    number = write_checkpoint(rt.db, rt.signer, report, rt.now().isoformat(), total)
    with rt.db.begin() as conn:
        conn.execute(text(f"UPDATE audit_checkpoint SET upto_log_id = upto_log_id + 100 WHERE id = {number}"))

    tampered, _ = verify_since_checkpoint(rt.db, rt.keyring)
    assert tampered.first_break is not None
    assert (
        tampered.first_break.problem
        == f"checkpoint {number} is not signed by a trusted key (key id {rt.signer.key_id})"
    )
    assert not verify_chain(rt.db, keys=rt.keyring).ok

    with rt.db.begin() as conn:
        conn.execute(text(f"UPDATE audit_checkpoint SET upto_log_id = upto_log_id - 100 WHERE id = {number}"))
    _behind_the_triggers(rt, f"DELETE FROM transition_log WHERE dossier_id = {j.dossier_id} AND seq > 3")
    with rt.db.begin() as conn:
        tip = conn.execute(
            text(f"SELECT hash FROM transition_log WHERE dossier_id = {j.dossier_id} AND seq = 3")
        ).scalar()
        conn.execute(update(DOSSIER).where(DOSSIER.c.id == j.dossier_id).values(last_seq=3, last_hash=tip))
    cut = verify_chain(rt.db, keys=rt.keyring).first_break
    assert cut is not None and cut.problem.startswith("entries missing: the signed checkpoint holds entry")


def test_a_checkpoint_whose_tips_were_altered_is_reported(journey) -> None:  # type: ignore[no-untyped-def]
    """The checkpoint's root covers its tips as stored: tips rewritten (to hide a rewritten entry) are reported,
    whether the bytes change what they say or only how they say it."""
    rt, _, j = journey
    report, total = verify_since_checkpoint(rt.db, rt.keyring)
    number = write_checkpoint(rt.db, rt.signer, report, rt.now().isoformat(), total)
    with rt.db.connect() as conn:
        tips = bytes(conn.execute(text(f"SELECT tips FROM audit_checkpoint WHERE id = {number}")).scalar_one())
    seq, digest = report.tips[j.dossier_id]
    for altered in (tips.replace(digest.encode(), b"0" * 64), tips.replace(b",", b", ")):
        blob = f"X'{altered.hex()}'" if rt.db.dialect.name == "sqlite" else f"'\\x{altered.hex()}'::bytea"
        with rt.db.begin() as conn:
            conn.execute(text(f"UPDATE audit_checkpoint SET tips = {blob} WHERE id = {number}"))

        daily, _ = verify_since_checkpoint(rt.db, rt.keyring)
        full = verify_chain(rt.db, keys=rt.keyring, columns=False)

        expected = f"checkpoint {number} was altered: its tips do not match its root"
        assert daily.first_break is not None and daily.first_break.problem == expected
        assert full.first_break is not None and full.first_break.problem == expected


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_full_verify_on_several_processes_finds_what_one_finds(db_url: str, method: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Forked workers (a one-thread process: the CLI) and spawned ones (elsewhere) find the same."""
    import workflow.audit_parallel

    monkeypatch.setattr(workflow.audit_parallel, "start_method", lambda: method)
    rt, clock = make_runtime(db_url)
    ids = [open_adult(rt, clock, id_number=f"0110900{n:05d}").dossier_id for n in range(6)]
    for dossier_id in ids:
        Journey(rt, clock, dossier_id).step("request_determination", "commune_police")

    one, two = verify_chain(rt.db, keys=rt.keyring), verify_chain(rt.db, keys=rt.keyring, workers=2, parallel_from=0)
    assert one.ok and two.ok and (one.entries, one.tips) == (two.entries, two.tips) == (12, two.tips)
    write_checkpoint(rt.db, rt.signer, two, rt.now().isoformat(), two.entries)  # ranges now from its tips
    three = verify_chain(rt.db, keys=rt.keyring, workers=2, parallel_from=0, columns=False)
    assert three.ok and (three.entries, three.tips, three.checkpoint) == (12, one.tips, 1)
    _append_forged(rt, ids[3], None)
    broken = verify_chain(rt.db, keys=rt.keyring, workers=2, parallel_from=0).first_break
    assert broken is not None and (broken.dossier_id, broken.seq) == (ids[3], 3)
    rt.db.dispose()


def test_entries_written_before_signatures_verify_once_adopted_by_a_signed_checkpoint(journey) -> None:  # type: ignore[no-untyped-def]
    rt, _, j = journey
    legacy = f"WHERE dossier_id = {j.dossier_id}"
    _behind_the_triggers(rt, f"UPDATE transition_log SET body = NULL, signature = NULL, key_id = NULL {legacy}")

    unsigned = verify_chain(rt.db, keys=rt.keyring).first_break
    adopted = verify_chain(rt.db, keys=rt.keyring, adopt_unsigned=True)
    assert unsigned is not None and unsigned.problem.startswith("unsigned")
    assert adopted.ok  # the legacy path rebuilt every entry's bytes from its columns
    write_checkpoint(rt.db, rt.signer, adopted, rt.now().isoformat(), adopted.entries)
    assert verify_chain(rt.db, keys=rt.keyring).ok
    j.step("open_session", "district_court", {"session_on": j.clock.today.isoformat()}, days=1)
    report, _ = verify_since_checkpoint(rt.db, rt.keyring)
    assert report.ok and report.entries == 1


def test_a_genuine_entry_of_another_chain_moved_in_with_its_links_rewritten_is_reported(journey) -> None:  # type: ignore[no-untyped-def]
    """The hash and link pass reads the links inside the hashed bytes, not the columns around them."""
    rt, clock, j = journey
    other = Journey(rt, clock, open_adult(rt, clock, id_number="011090006666").dossier_id)
    other.step("request_determination", "commune_police")
    with rt.db.connect() as conn:
        moved = conn.execute(select(LOG).where(LOG.c.dossier_id == other.dossier_id, LOG.c.seq == 2)).one()
    body = "X'" + moved.body.hex() + "'" if rt.db.dialect.name == "sqlite" else "'\\x" + moved.body.hex() + "'::bytea"
    _behind_the_triggers(rt, f"UPDATE transition_log SET body = {body}, hash = '{moved.hash}' "
                         f"WHERE dossier_id = {j.dossier_id} AND seq = 2")  # fmt: skip
    _behind_the_triggers(rt, f"UPDATE transition_log SET prev_hash = '{moved.hash}' "
                         f"WHERE dossier_id = {j.dossier_id} AND seq = 3")  # fmt: skip

    broken = verify_chain(rt.db, keys=rt.keyring, columns=False).first_break

    assert broken is not None and (broken.dossier_id, broken.seq) == (j.dossier_id, 2)
    assert broken.problem.startswith("link broken") and broken.log_id is not None
