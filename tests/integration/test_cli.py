"""`rehab` as a user runs it: clear one-line errors, non-zero exit codes, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from admin.cli import app
from tests.journeys import Journey, make_runtime, open_adult

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("REHAB_DATABASE_URL", url)
    rt, clock = make_runtime(url)
    dossier_id = open_adult(rt, clock).dossier_id
    Journey(rt, clock, dossier_id).step("request_determination", "commune_police")
    rt.db.dispose()
    return url, dossier_id


def test_show_prints_the_regime_and_state_without_personal_data(database: tuple[str, int]) -> None:
    result = runner.invoke(app, ["show", str(database[1])])

    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["regime"]["id"], shown["state"]) == ("vn-2021", "determination_requested")
    assert "Lò Văn Minh" not in result.output and "011090001234" not in result.output


def test_a_refused_step_exits_3_and_prints_every_reason_with_its_basis(database: tuple[str, int]) -> None:
    result = runner.invoke(
        app, ["fire", str(database[1]), "record_determination", "--payload", '{"determination_outcome": "addicted"}']
    )

    assert result.exit_code == 3
    assert "refused [documents.missing]" in result.output
    assert "Thông tư 18/2021/TT-BYT" in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["fire", "1", "record_determination", "--payload", "{oops"], 2, "--payload is not valid JSON"),
        (["fire", "999", "record_determination"], 1, "dossier 999 not found"),
        (["show", "999"], 1, "dossier 999 not found"),
        (
            ["fire", "1", "record_determination", "--payload", '{"determination_outcome": "maybe"}'],
            1,
            "determination_outcome: must be one of",
        ),
        (["sweep", "--now", "yesterday"], 2, "is not an ISO date-time"),
        (["deadlines", "--agency", "nowhere"], 1, "unknown agency 'nowhere'"),
    ],
    ids=["bad-json", "unknown-dossier-fire", "unknown-dossier-show", "bad-outcome", "bad-time", "bad-agency"],
)
def test_bad_input_gets_a_one_line_error_and_a_non_zero_exit(
    database: tuple[str, int], args: list[str], code: int, message: str
) -> None:
    result = runner.invoke(app, args)

    assert result.exit_code == code
    assert message in result.output


def test_audit_verify_passes_then_names_the_first_tampered_entry(database: tuple[str, int]) -> None:
    url, dossier_id = database
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    rt, _ = make_runtime(url)
    with rt.db.begin() as conn:
        conn.execute(text("DROP TRIGGER transition_log_no_update"))
        conn.execute(text(f"UPDATE transition_log SET event = 'x' WHERE dossier_id = {dossier_id} AND seq = 2"))
    rt.db.dispose()

    result = runner.invoke(app, ["audit", "verify", "--full"])  # the entry was checkpointed: only --full reads it

    assert result.exit_code == 1
    assert f"BROKEN: dossier {dossier_id}, entry 2" in result.output


def test_audit_export_writes_one_hashed_line_per_entry(database: tuple[str, int], tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"

    result = runner.invoke(app, ["audit", "export", "--out", str(out)])

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert result.exit_code == 0
    assert [e["seq"] for e in lines] == [1, 2]
    assert lines[1]["prev_hash"] == lines[0]["hash"]


def _rewrite_consistently(url: str, dossier_id: int) -> None:
    """A database owner who also holds the signing key alters entry 2, recomputes and re-signs every later
    entry and moves the stored tip."""
    from sqlalchemy import select, update

    from workflow.chain import seal
    from workflow.signing import development_signer
    from workflow.tables import Dossier, TransitionLog

    log, dossier = TransitionLog.__table__, Dossier.__table__
    rt, _ = make_runtime(url)
    with rt.db.begin() as conn:
        conn.execute(text("DROP TRIGGER transition_log_no_update"))
        rows = conn.execute(select(log).where(log.c.dossier_id == dossier_id).order_by(log.c.seq)).all()
        prev = rows[0].hash
        for row in rows[1:]:
            entry = {**row._asdict(), "prev_hash": prev}
            if row.seq == 2:
                entry["actor"] = "someone else"
            prev = seal(entry, development_signer())["hash"]
            changed = {k: entry[k] for k in ("actor", "prev_hash", "hash", "body", "signature")}
            conn.execute(update(log).where(log.c.id == row.id).values(**changed))
        conn.execute(update(dossier).where(dossier.c.id == dossier_id).values(last_hash=prev))
    rt.db.dispose()


def test_an_anchor_kept_by_the_procuracy_exposes_a_consistent_rewrite(
    database: tuple[str, int], tmp_path: Path
) -> None:
    url, dossier_id = database
    anchor = tmp_path / "anchor.json"
    assert runner.invoke(app, ["audit", "anchor", "--out", str(anchor)]).exit_code == 0
    _rewrite_consistently(url, dossier_id)

    plain = runner.invoke(app, ["audit", "verify"])
    anchored = runner.invoke(app, ["audit", "verify", "--anchor", str(anchor)])

    assert plain.exit_code == 0  # the rewrite is consistent and signed: only an anchor kept outside shows it
    assert anchored.exit_code == 1
    assert f"dossier {dossier_id}, entry 2" in anchored.output
    assert "rewritten after the anchor" in anchored.output


def test_an_altered_anchor_file_is_reported(database: tuple[str, int], tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    runner.invoke(app, ["audit", "anchor", "--out", str(anchor)])
    data = json.loads(anchor.read_text(encoding="utf-8"))
    data["chains"][str(database[1])][1] = "0" * 64
    anchor.write_text(json.dumps(data), encoding="utf-8")

    result = runner.invoke(app, ["audit", "verify", "--anchor", str(anchor)])

    assert result.exit_code == 1
    assert "anchor file itself was altered" in result.output


def test_audit_verify_of_a_dossier_that_does_not_exist_fails_instead_of_saying_ok(database: tuple[str, int]) -> None:
    _, dossier_id = database

    missing = runner.invoke(app, ["audit", "verify", "--dossier", "4242"])
    present = runner.invoke(app, ["audit", "verify", "--dossier", str(dossier_id)])

    assert missing.exit_code == 1 and "dossier 4242 not found" in missing.output and "ok:" not in missing.output
    assert present.exit_code == 0 and present.output.startswith("ok:")


def test_users_create_makes_the_first_administrator_who_can_then_sign_in(tmp_path: Path, monkeypatch) -> None:
    from workflow.passwords import verify_password

    url = f"sqlite:///{tmp_path}/users.db"
    monkeypatch.setenv("REHAB_DATABASE_URL", url)
    rt, _ = make_runtime(url)
    rt.db.dispose()

    created = runner.invoke(
        app, ["users", "create", "quantri", "--role", "admin", "--password-stdin"], input="a-long-pass-phrase\n"
    )
    again = runner.invoke(
        app, ["users", "create", "quantri", "--role", "admin", "--password-stdin"], input="another-one-here\n"
    )
    short = runner.invoke(app, ["users", "create", "khac", "--role", "admin", "--password-stdin"], input="short\n")

    assert created.exit_code == 0, created.output
    assert "user quantri created (admin)" in created.output
    assert again.exit_code == 2 and "username" in again.output and "already taken" in again.output
    assert short.exit_code == 2 and "password" in short.output
    rt, _ = make_runtime(url)
    with rt.db.connect() as conn:
        stored = conn.execute(text("SELECT role, password_hash FROM app_user WHERE username = 'quantri'")).one()
        others = conn.execute(text("SELECT count(*) FROM app_user WHERE username = 'khac'")).scalar()
    rt.db.dispose()
    assert stored.role == "admin" and verify_password("a-long-pass-phrase", stored.password_hash)
    assert others == 0
