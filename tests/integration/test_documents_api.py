"""Documents over HTTP: the .docx of a dossier's step holds the person, the recorded number and date and
the NĐ 30/2020 header; only roles that read the person's file get it."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from docx import Document

from tests.integration.test_api import NAME, as_, client_for, request_determination


def _text(content: bytes) -> str:
    document = Document(BytesIO(content))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_a_document_is_generated_from_the_dossier_with_the_chain_s_number_and_date(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, journey):
        fired = client.post(
            f"/api/v1/dossiers/{journey.dossier_id}/fire", json=request_determination(journey), auth=as_("cax")
        )
        assert fired.status_code == 200, fired.text
        listed = client.get(f"/api/v1/dossiers/{journey.dossier_id}/documents", auth=as_("cax"))
        assert listed.status_code == 200
        assert {d["type"] for d in listed.json()} >= {"reading_notice", "completion_certificate", "post_rehab_decision"}
        notice = client.get(f"/api/v1/dossiers/{journey.dossier_id}/documents/reading_notice.docx", auth=as_("cax"))
        assert notice.status_code == 200 and notice.headers["content-type"].endswith("wordprocessingml.document")
        text = _text(notice.content)
        assert NAME in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
        assert "12/BB-VPHC" in text  # the violation record's number, as recorded on the chain
        assert "BẢN NHÁP" in text  # the notice's own step has not been taken yet


def test_roles_without_the_person_s_file_get_no_document_and_unknown_types_are_404(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, journey):
        url = f"/api/v1/dossiers/{journey.dossier_id}/documents/reading_notice.docx"
        assert client.get(url, auth=as_("admin")).status_code in (403, 404)
        unknown = client.get(f"/api/v1/dossiers/{journey.dossier_id}/documents/x.docx", auth=as_("cax"))
        assert unknown.status_code == 404 and unknown.json()["code"] == "document.unknown_type"
