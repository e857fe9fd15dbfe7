"""Personal data stays where it belongs: a document's issuer and signer are typed references (never a name),
free text typed into a step is kept beside the chain (the chain holds its salted digest), and the log export
leaves health facts out for a reader who may not read the person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update

import demo.reference
from tests.integration.test_api import NAME, client_for, sign_in, sign_out
from tests.journeys import AGENCY_OF, COMMUNE, Journey, actor, attachments, in_office, open_adult
from workflow.audit import verify_chain
from workflow.chain import canonical, entry_hash
from workflow.errors import InvalidFields, InvalidInput, StepRefused
from workflow.reference import import_file
from workflow.tables import Dossier, EntryText, TransitionLog
from workflow.texts import change_text, off_chain, side_texts, verify_texts

LOG = TransitionLog.__table__  # type: ignore[attr-defined]
TEXT = EntryText.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
POLICE = AGENCY_OF["commune_police"]
NOTE = f"Ông {NAME} khai đã sử dụng ma túy từ năm 2019"


def entry_bytes(row: Any) -> bytes:
    """A log row as bytes: its fields, canonical, and the signed bytes it stores (`body`)."""
    fields = {k: v for k, v in row._asdict().items() if k not in ("body", "signature")}
    return canonical({**fields, "at": row.at}) + bytes(row.body or b"")


def chain_bytes(rt) -> bytes:  # type: ignore[no-untyped-def]
    with rt.db.connect() as conn:
        return b"\n".join(entry_bytes(r) for r in conn.execute(select(LOG)))


def as_user(client, username: str) -> None:  # type: ignore[no-untyped-def]
    sign_out(client)
    assert sign_in(client, username).status_code == 303


def journey(pair: tuple[Any, Any]) -> Journey:
    rt, clock = pair  # the `journey_runtime` fixture: SQLite and PostgreSQL, disposed after the test
    return Journey(rt, clock, open_adult(rt, clock).dossier_id)


class TestTypedParties:
    def test_a_name_as_issuer_or_signer_is_refused_naming_both_fields_and_stays_off_the_chain(
        self, journey_runtime: Any
    ) -> None:
        j = journey(journey_runtime)
        document = {"number": "3/CV-CA", "date": j.clock.today.isoformat(), "issuer": NAME, "signer": NAME}

        with pytest.raises(InvalidInput) as refused:
            j.rt.engine.fire(j.dossier_id, "request_determination", j.actor("commune_police"), {"document": document})

        fields = {e["field"] for e in refused.value.errors}
        assert {"document.issuer", "document.signer"} <= fields
        assert all("họ tên" in e["reason_vi"] for e in refused.value.errors if e["code"] == "payload.not_a_party")
        assert j.state == "violation_recorded"
        assert NAME.encode() not in chain_bytes(j.rt)

    def test_a_number_without_digits_is_refused(self, journey_runtime: Any) -> None:
        j = journey(journey_runtime)
        document = {"number": NAME, "date": j.clock.today.isoformat()}

        with pytest.raises(InvalidInput) as refused:
            j.rt.engine.fire(j.dossier_id, "request_determination", j.actor("commune_police"), {"document": document})

        assert refused.value.errors[0]["field"] == "document.number"
        assert refused.value.errors[0]["code"] == "payload.not_a_number"
        assert NAME.encode() not in chain_bytes(j.rt)

    def test_an_unknown_agency_as_issuer_is_refused(self, journey_runtime: Any) -> None:
        j = journey(journey_runtime)
        document = {"number": "3/CV-CA", "date": j.clock.today.isoformat(), "issuer": "agency:lo-van-minh"}

        with pytest.raises(InvalidInput) as refused:
            j.rt.engine.fire(j.dossier_id, "request_determination", j.actor("commune_police"), {"document": document})

        assert refused.value.errors[0]["field"] == "document.issuer"

    def test_opening_refuses_a_name_as_signer_and_a_ground_typed_by_hand_naming_both(
        self, journey_runtime: Any
    ) -> None:
        rt, clock = journey_runtime
        record = {"number": "12/BB-VPHC", "date": clock.today.isoformat(), "signer": NAME}

        with pytest.raises(InvalidFields) as refused:
            rt.engine.open_dossier(
                person={"full_name": NAME, "id_number": "011090001234", "birth_date": "1990-05-01"},
                commune_code=COMMUNE,
                violation=record,
                actor=in_office(rt, clock.today, actor("commune_police")),
                facts={"grounds": f"{NAME} tái nghiện"},
            )

        problems = {e["field"]: e["reason_vi"] for e in refused.value.errors}
        assert "họ tên" in problems["violation.signer"]
        assert "Căn cứ áp dụng phải là một trong" in problems["facts.grounds"]
        assert NAME.encode() not in chain_bytes(rt)

    def test_the_api_answers_422_naming_the_field_in_vietnamese_and_english(self, tmp_path: Path) -> None:
        with client_for(tmp_path) as (client, j):
            as_user(client, "cax")
            document = {"number": "3/CV-CA", "date": j.clock.today.isoformat(), "signer": NAME}
            body = {"event": "request_determination", "payload": {"document": document}}

            answer = client.post(f"/api/v1/dossiers/{j.dossier_id}/fire", json=body)

            assert answer.status_code == 422
            problem = next(f for f in answer.json()["fields"] if f["field"] == "document.signer")
            assert "Người ký" in problem["message_vi"]
            assert NAME not in answer.text

    def test_the_person_as_signer_shows_the_name_only_to_readers_of_the_person(self, tmp_path: Path) -> None:
        with client_for(tmp_path) as (client, j):
            today = j.clock.today.isoformat()
            document = {
                "number": "3/CV-CA",
                "date": today,
                "issuer": f"agency:{POLICE}",
                "signer": "title:police_chief",
            }
            j.step("request_determination", "commune_police", {"document": document})
            j.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
            compiled = attachments(j.clock.today)  # the person's own statement: issued and signed by `person`
            compiled[1] = {**compiled[1], "issuer": "person", "signer": "person"}
            j.step(
                "notify_person", "commune_committee", {"grounds": "no_voluntary_rehab", "attachments": compiled}, days=1
            )
            as_user(client, "cax")
            seen = client.get(f"/api/v1/dossiers/{j.dossier_id}").json()["documents"]
            as_user(client, "admin")
            unseen = client.get(f"/api/v1/dossiers/{j.dossier_id}").json()["documents"]

        assert seen["statement"]["signer_label"] == NAME
        assert unseen["statement"]["signer_label"] == "Người bị đề nghị"
        assert seen["determination_request"]["signer_label"].startswith("Trưởng Công an · ")
        assert NAME not in json.dumps(unseen, ensure_ascii=False)

    def test_free_text_of_before_still_displays_but_only_to_readers_of_the_person(self, tmp_path: Path) -> None:
        with client_for(tmp_path) as (client, j):
            with j.rt.db.begin() as conn:  # a document recorded before typed parties: its signer typed by hand
                data = conn.execute(select(DOSSIER.c.data).where(DOSSIER.c.id == j.dossier_id)).scalar_one()
                data["documents"]["violation_record"]["signer"] = NAME
                conn.execute(update(DOSSIER).where(DOSSIER.c.id == j.dossier_id).values(data=data))
            as_user(client, "cax")
            seen = client.get(f"/api/v1/dossiers/{j.dossier_id}").json()["documents"]["violation_record"]
            as_user(client, "admin")
            unseen = client.get(f"/api/v1/dossiers/{j.dossier_id}").json()["documents"]["violation_record"]

        assert seen["signer"] == seen["signer_label"] == NAME
        assert unseen["signer"] == unseen["signer_label"] == "(ẩn)"


class TestFreeTextBesideTheChain:
    def test_a_note_is_kept_beside_the_chain_which_holds_only_its_digest(self, journey_runtime: Any) -> None:
        j = journey(journey_runtime)

        result = j.step("request_determination", "commune_police", {"note": NOTE})

        assert result.applied
        assert NAME.encode() not in chain_bytes(j.rt)
        texts = side_texts(j.rt.db, j.dossier_id)
        assert texts[(j.dossier_id, result.seq, "note")].text == NOTE
        assert verify_chain(j.rt.db).ok
        assert verify_texts(j.rt.db) == (1, [])

    def test_a_refused_attempt_keeps_every_typed_text_off_the_chain(self, journey_runtime: Any) -> None:
        j = journey(journey_runtime)

        with pytest.raises(StepRefused):
            j.step("request_determination", "health_facility", {"note": NOTE})  # not the health facility's step

        assert NAME.encode() not in chain_bytes(j.rt)
        assert verify_texts(j.rt.db) == (1, [])

    def test_erasing_or_correcting_the_text_never_breaks_the_chain_and_a_rewrite_is_caught(
        self, journey_runtime: Any
    ) -> None:
        j = journey(journey_runtime)
        seq = j.step("request_determination", "commune_police", {"note": NOTE}).seq
        j.step("record_determination", "health_facility", {"determination_outcome": "addicted", "note": NOTE}, days=2)
        with j.rt.db.begin() as conn:  # someone with database access rewrites a text
            conn.execute(update(TEXT).where(TEXT.c.seq == seq + 1).values(text="Không có gì"))

        checked, problems = verify_texts(j.rt.db)

        assert checked == 2
        assert [(p.seq, p.field) for p in problems] == [(seq + 1, "note")]
        at = j.clock.now
        assert change_text(j.rt.db, j.dossier_id, seq, "note", by="admin", basis="NĐ 13/2023, Điều 16", at=at)
        assert change_text(
            j.rt.db, j.dossier_id, seq + 1, "note", by="admin", basis="yêu cầu của người", at=at, text="Đã sửa"
        )
        assert verify_chain(j.rt.db).ok
        assert verify_texts(j.rt.db) == (0, [])
        with j.rt.db.connect() as conn:
            erased = conn.execute(select(TEXT).where(TEXT.c.seq == seq)).one()
        assert (erased.text, erased.salt, erased.change) == (None, None, "erased")

    def test_the_history_shows_the_text_to_readers_of_the_person_and_the_digest_to_others(self, tmp_path: Path) -> None:
        with client_for(tmp_path) as (client, j):
            j.step("request_determination", "commune_police", {"note": NOTE})
            as_user(client, "cax")
            seen = client.get(f"/api/v1/dossiers/{j.dossier_id}/history").json()
            as_user(client, "admin")
            unseen = client.get(f"/api/v1/dossiers/{j.dossier_id}/history").json()

        assert seen[-1]["payload"]["note"] == NOTE
        assert unseen[-1]["payload"]["note"]["text"] == "(ẩn)"
        assert len(unseen[-1]["payload"]["note"]["sha256"]) == 64

    def test_unknown_field_names_that_are_not_names_of_fields_stay_off_the_chain(self, journey_runtime: Any) -> None:
        j = journey(journey_runtime)

        with pytest.raises(InvalidInput):
            j.step("request_determination", "commune_police", {NAME: "x"})

        assert NAME.encode() not in chain_bytes(j.rt)

    def test_off_chain_keeps_categories_and_dates_of_an_applied_step(self) -> None:
        payload, texts = off_chain({"outcome": "apply", "on": "2026-01-02", "reason": "x"}, applied=True)

        assert payload["outcome"] == "apply" and payload["on"] == "2026-01-02"
        assert [t.field for t in texts] == ["reason"]
        assert payload["reason"] == {"sha256": texts[0].digest}


class TestLogExport:
    def test_the_export_leaves_health_facts_out_for_an_administrator_and_keeps_them_for_the_procuracy(
        self, tmp_path: Path
    ) -> None:
        with client_for(tmp_path) as (client, j):
            j.step("request_determination", "commune_police")
            j.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
            as_user(client, "admin")
            admin_lines = [json.loads(x) for x in client.get("/api/v1/audit/export").text.splitlines()]
            as_user(client, "vks")
            vks_lines = [json.loads(x) for x in client.get("/api/v1/audit/export").text.splitlines()]

        redacted = [x for x in admin_lines if "redacted" in x]
        assert [x["redacted"] for x in redacted] == [["determination_outcome"]]
        assert "determination_outcome" not in redacted[0]["payload"]
        assert all(entry_hash(x) == x["hash"] for x in vks_lines)
        assert any("determination_outcome" in x["payload"] for x in vks_lines)

    def test_a_procuracy_exports_only_the_dossiers_of_its_area(self, tmp_path: Path) -> None:
        with client_for(tmp_path) as (client, j):
            with j.rt.db.begin() as conn:  # a second province beside the demo's, and a procurator of it
                import_file(conn, Path(demo.reference.__file__).parent / "dak-lak.toml")
                conn.execute(text("UPDATE app_user SET agency_id = 'dak-lak.procuracy' WHERE username = 'vks'"))
            j.rt.engine.reload_directory()
            as_user(client, "vks")
            elsewhere = client.get("/api/v1/audit/export")
            as_user(client, "admin")
            everywhere = client.get("/api/v1/audit/export")

        assert elsewhere.status_code == 200
        assert elsewhere.text == ""
        assert len(everywhere.text.splitlines()) == 1
