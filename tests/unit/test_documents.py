"""Every document template renders, per regime, into the NĐ 30/2020 frame with the dossier's own values."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from docx import Document

from workflow.documents import DOCUMENT_TYPES, MOTTO, NATIONAL_NAME, UnknownDocumentType, build_docx

NAME = "Lò Văn Minh"


def view(regime: str = "vn-2021", track: str = "adult", **documents: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "code": "HS-2024-0007",
        "regime": {"id": regime},
        "track": track,
        "state": "in_facility",
        "commune": {"code": "dien-bien.tuan-giao.quai-cang", "name": "Xã Quài Cang"},
        "agency": {"id": "a", "name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên"},
        "facts": {"term_months": 18, "facility_name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên"},
        "documents": documents,
        "person": {"full_name": NAME, "birth_date": "1990-05-01", "nationality": "VN", "address": "Bản Lồng"},
    }


def text_of(content: bytes) -> str:
    document = Document(BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("regime", ["vn-2014", "vn-2021", "vn-2025", "vn-2026"])
@pytest.mark.parametrize("doc_type", list(DOCUMENT_TYPES))
@pytest.mark.parametrize("track", ["adult", "minor"])
def test_every_template_renders_with_the_national_header_the_person_and_the_dossier(
    doc_type: str, regime: str, track: str
) -> None:
    issued, content = build_docx(view(regime, track), doc_type, agency="UBND xã Quài Cang", place="Quài Cang")
    text = text_of(content)
    assert issued.draft
    assert NATIONAL_NAME in text and MOTTO in text
    assert NAME in text and "HS-2024-0007" in text
    assert "BẢN NHÁP" in text and "ngày … tháng … năm" in text
    assert "UBND XÃ QUÀI CANG" in text


def test_a_recorded_document_carries_its_number_date_issuer_and_signer_from_the_chain() -> None:
    recorded = {"number": "46/GCN-CSCN", "date": "2025-03-02", "issuer": "Cơ sở cai nghiện", "signer": "Quàng Văn Ba"}
    court = {"number": "22/QĐ-TA", "date": "2024-02-17", "issuer": "TAND", "signer": "X"}
    issued, content = build_docx(
        view(completion_certificate=recorded, court_decision=court),
        "completion_certificate",
        agency="?",
        place="Tuần Giáo",
    )
    text = text_of(content)
    assert not issued.draft and issued.number == "46/GCN-CSCN"
    assert "Số: 46/GCN-CSCN" in text and "Tuần Giáo, ngày 02 tháng 03 năm 2025" in text
    assert "Quàng Văn Ba" in text and "CƠ SỞ CAI NGHIỆN" in text and "22/QĐ-TA" in text
    assert "BẢN NHÁP" not in text


def test_body_text_is_set_in_times_new_roman() -> None:
    _, content = build_docx(view(), "reading_notice", agency="UBND", place="Quài Cang")
    document = Document(BytesIO(content))
    fonts = {run.font.name for p in document.paragraphs for run in p.runs if run.text.strip()}
    assert fonts == {"Times New Roman"}


def test_an_unknown_document_type_is_refused_by_name() -> None:
    with pytest.raises(UnknownDocumentType, match="known: reading_notice"):
        build_docx(view(), "nonsense", agency="x", place="y")
