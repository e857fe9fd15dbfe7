"""The procuracy checks an exported log and an anchor offline, with only the server's public key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admin.cli import app
from tests.journeys import Journey, make_runtime, open_adult
from workflow.signing import Signer, generate_private_text, load_private, public_text

runner = CliRunner()
KEY = generate_private_text()


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    """A log with two chains, its export and a signed anchor, and the public key `rehab audit public-key` prints."""
    url = f"sqlite:///{tmp_path}/offline.db"
    monkeypatch.setenv("REHAB_DATABASE_URL", url)
    monkeypatch.setenv("REHAB_SIGNING_KEY", KEY)
    rt, clock = make_runtime(url)
    rt.settings = rt.settings.model_copy(update={"signing_key": KEY})
    for number in ("011090001111", "011090002222"):
        Journey(rt, clock, open_adult(rt, clock, id_number=number).dossier_id).step(
            "request_determination", "commune_police"
        )
    rt.db.dispose()
    anchor, log = tmp_path / "anchor.json", tmp_path / "log.jsonl"
    assert runner.invoke(app, ["audit", "anchor", "--out", str(anchor)]).exit_code == 0
    assert runner.invoke(app, ["audit", "export", "--out", str(log)]).exit_code == 0
    printed = runner.invoke(app, ["audit", "public-key"])
    assert printed.exit_code == 0
    return log, anchor, printed.stdout.strip()


def _verify(log: Path, key: str, anchor: Path | None = None) -> object:
    args = ["audit", "verify-export", str(log), "--public-key", key]
    return runner.invoke(app, [*args, "--anchor", str(anchor)] if anchor else args)


def test_an_intact_export_and_anchor_verify_with_the_public_key_alone(exported, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    log, anchor, key = exported
    monkeypatch.setenv("REHAB_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")  # no database needed

    result = _verify(log, key, anchor)

    assert key == public_text(Signer(load_private(KEY)).public)
    assert json.loads(anchor.read_text())["key_id"] == Signer(load_private(KEY)).key_id
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 4 entries in 2 chains, signed by a trusted key, and every chain extends")


def test_an_altered_line_of_the_export_is_reported_with_its_dossier_and_entry(exported) -> None:  # type: ignore[no-untyped-def]
    log, _, key = exported
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["actor"] = "someone else"
    lines[1] = json.dumps(entry, ensure_ascii=False)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = _verify(log, key)

    assert result.exit_code == 1
    assert f"BROKEN: dossier {entry['dossier_id']}, entry 2" in result.output and "content altered" in result.output


def test_an_export_with_an_entry_forged_and_rehashed_fails_the_signature(exported) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    from workflow.chain import HASHED_FIELDS, canonical

    log, _, key = exported
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["actor"] = "someone else"
    entry["hash"] = hashlib.sha256(canonical({k: entry[k] for k in HASHED_FIELDS})).hexdigest()
    lines[1] = json.dumps(entry, ensure_ascii=False)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = _verify(log, key)

    assert result.exit_code == 1 and "signature invalid" in result.output


def test_a_tampered_anchor_or_another_public_key_is_reported(exported) -> None:  # type: ignore[no-untyped-def]
    log, anchor, key = exported
    other = public_text(Signer(load_private(generate_private_text())).public)
    data = json.loads(anchor.read_text(encoding="utf-8"))
    data["taken_at"] = "2020-01-01T00:00:00+00:00"  # the root still matches; the signature does not
    forged = anchor.with_name("forged.json")
    forged.write_text(json.dumps(data), encoding="utf-8")

    wrong_key = _verify(log, other)
    wrong_anchor = _verify(log, key, forged)

    assert wrong_key.exit_code == 1 and "not signed by a trusted key" in wrong_key.output
    assert wrong_anchor.exit_code == 1 and "anchor's signature is not valid" in wrong_anchor.output


def test_an_export_missing_an_anchored_chain_is_reported(exported) -> None:  # type: ignore[no-untyped-def]
    log, anchor, key = exported
    lines = log.read_text(encoding="utf-8").splitlines()
    log.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")

    result = _verify(log, key, anchor)

    assert result.exit_code == 1 and "anchored chain is missing from the export" in result.output


def test_bad_input_to_verify_export_is_a_one_line_error(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, _, key = exported
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\n", encoding="utf-8")

    assert _verify(junk, key).exit_code == 2 and "line 1 is not an exported entry" in _verify(junk, key).output
    assert _verify(log, "short").exit_code == 2
    assert _verify(tmp_path / "absent.jsonl", key).exit_code == 2


def test_the_incremental_verify_writes_a_signed_checkpoint_and_reads_only_what_is_new(exported) -> None:  # type: ignore[no-untyped-def]
    first = runner.invoke(app, ["audit", "verify"])
    second = runner.invoke(app, ["audit", "verify"])
    full = runner.invoke(app, ["audit", "verify", "--full", "--workers", "1", "--no-checkpoint"])

    assert (
        first.exit_code == 0 and "4 entries in 2 dossier chains verified; signed checkpoint 1 written" in first.output
    )
    assert second.exit_code == 0 and "0 entries in 0 dossier chains verified since checkpoint 1" in second.output
    assert full.exit_code == 0 and "4 entries" in full.output and "written" not in full.output
