"""Official documents as .docx, generated from the dossier, laid out per Nghị định 30/2020/NĐ-CP.

One template per document type (`workflow/document_templates/<type>.txt.j2`; a regime whose form differs
has `<type>.<regime>.txt.j2`). A template starts with `key: value` lines (`symbol`, `signer_title`,
`recipients` separated by `;`), then `---`, then the body in a small markup: `# ` a centred bold title,
`## ` a centred bold subtitle, `> ` a centred italic line, `- ` an indented item, anything else a
justified paragraph. The frame is python-docx: the issuing agency and the number on the left, the
national name and motto on the right with the place and date, the body in Times New Roman 14, the
recipients bottom left and the signer's title and name bottom right.

The number, date, issuer and signer are the ones recorded on the dossier's chain for the step that
issued the document, so the paper and the chain agree; a document whose step has not been taken yet is
a draft with blanks to fill in ("Số: ……", "ngày … tháng … năm ……") and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "document_templates"
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
FONT = "Times New Roman"
DOCUMENT_TYPES: Mapping[str, str] = {
    "reading_notice": "Thông báo về việc lập hồ sơ đề nghị (Mẫu 32)",
    "transfer_letter": "Văn bản chuyển hồ sơ đề nghị",
    "labour_proposal": "Văn bản đề nghị Tòa án xem xét, quyết định (Mẫu 34/39)",
    "search_decision": "Quyết định truy tìm (Mẫu 41)",
    "handover_record": "Biên bản bàn giao (Mẫu 40)",
    "completion_certificate": "Giấy chứng nhận đã chấp hành xong quyết định (Mẫu 46)",
    "post_rehab_decision": "Quyết định quản lý sau cai nghiện (Mẫu 51)",
}


class UnknownDocumentType(LookupError):
    def __init__(self, doc_type: str) -> None:
        super().__init__(f"no template for document type {doc_type!r}; known: {', '.join(DOCUMENT_TYPES)}")
        self.doc_type = doc_type


@dataclass(frozen=True)
class Issued:
    """The document as recorded on the chain (blanks for a draft)."""

    number: str
    date: date | None
    issuer: str
    signer: str

    @property
    def draft(self) -> bool:
        return self.date is None


def _ddmmyyyy(value: object) -> str:
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if not value:
        return "…/…/……"
    try:
        return f"{date.fromisoformat(str(value)):%d/%m/%Y}"
    except ValueError:
        return str(value)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,  # the text goes into .docx runs as plain text, never parsed as markup
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["d"] = _ddmmyyyy
    return env


_ENV = _environment()


def template_for(doc_type: str, regime: str) -> str:
    if doc_type not in DOCUMENT_TYPES:
        raise UnknownDocumentType(doc_type)
    specific = f"{doc_type}.{regime}.txt.j2"
    return specific if (TEMPLATES / specific).exists() else f"{doc_type}.txt.j2"


def place_of(view: Mapping[str, Any]) -> str:
    """The place line of the header: the commune's name without its level word."""
    name = str(view["commune"].get("name") or "")
    for prefix in ("Thị trấn ", "Phường ", "Xã "):
        name = name.removeprefix(prefix)
    return name


def issued(view: Mapping[str, Any], doc_type: str) -> Issued:
    recorded = view.get("documents", {}).get(doc_type)
    if not recorded:
        return Issued(number="", date=None, issuer="", signer="")
    return Issued(
        number=str(recorded.get("number", "")),
        date=date.fromisoformat(str(recorded["date"])),
        issuer=str(recorded.get("issuer_label", recorded.get("issuer", ""))),  # names (`workflow.parties`)
        signer=str(recorded.get("signer_label", recorded.get("signer", ""))),
    )


def render_text(view: Mapping[str, Any], doc_type: str) -> tuple[Issued, dict[str, str], str]:
    """The issued record, the template's header fields and its body text for the dossier `view`."""
    doc = issued(view, doc_type)
    documents = view.get("documents", {})
    context = {"d": view, "person": view.get("person", {}), "facts": view.get("facts", {}), "doc": doc}
    text = _ENV.get_template(template_for(doc_type, str(view["regime"]["id"]))).render(context, documents=documents)
    meta, _, body = text.partition("---\n")
    fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in meta.splitlines() if ":" in line)}
    return doc, fields, body


# --------------------------------------------------------------------------- the NĐ 30/2020 frame


def _style(paragraph: Paragraph, *, size: int = 14, bold: bool = False, italic: bool = False) -> None:
    for run in paragraph.runs:
        run.font.name = FONT
        run.font.size = Pt(size)
        run.bold = bold
        run.italic = italic


def _para(
    where: Any, text: str, *, align: Any = None, size: int = 14, bold: bool = False, italic: bool = False
) -> Paragraph:
    paragraph: Paragraph = where.add_paragraph(text)
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(3)
    _style(paragraph, size=size, bold=bold, italic=italic)
    return paragraph


def _first(cell: Any, text: str, *, size: int, bold: bool = False, italic: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.text = text
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _style(paragraph, size=size, bold=bold, italic=italic)


def _header(document: Any, agency: str, doc: Issued, symbol: str, place: str) -> None:
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = table.rows[0].cells
    for column, cell, width in ((table.columns[0], left, Cm(6.5)), (table.columns[1], right, Cm(10))):
        column.width = width
        cell.width = width
    _first(left, agency.upper(), size=13, bold=True)
    _para(left, "_______", align=WD_ALIGN_PARAGRAPH.CENTER, size=13)
    _para(left, f"Số: {doc.number or '……/' + symbol}", align=WD_ALIGN_PARAGRAPH.CENTER, size=13)
    _first(right, NATIONAL_NAME, size=12, bold=True)
    _para(right, MOTTO, align=WD_ALIGN_PARAGRAPH.CENTER, size=14, bold=True)
    _para(right, "_______________________", align=WD_ALIGN_PARAGRAPH.CENTER, size=13)
    when = f"ngày {doc.date:%d} tháng {doc.date:%m} năm {doc.date:%Y}" if doc.date else "ngày … tháng … năm ……"
    _para(right, f"{place}, {when}", align=WD_ALIGN_PARAGRAPH.CENTER, size=14, italic=True)


def _body(document: Any, text: str) -> None:
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("## "):
            _para(document, stripped[3:], align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
        elif stripped.startswith("# "):
            _para(document, stripped[2:].upper(), align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
        elif stripped.startswith("> "):
            _para(document, stripped[2:], align=WD_ALIGN_PARAGRAPH.CENTER, italic=True)
        elif stripped.startswith("- "):
            _para(document, stripped[2:], align=WD_ALIGN_PARAGRAPH.JUSTIFY).paragraph_format.left_indent = Cm(1)
        else:
            paragraph = _para(document, stripped, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            paragraph.paragraph_format.first_line_indent = Cm(1)


def _signature(document: Any, doc: Issued, title: str, recipients: list[str]) -> None:
    _para(document, "")
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.paragraphs[0].text = "Nơi nhận:"
    _style(left.paragraphs[0], size=12, bold=True, italic=True)
    for recipient in [*recipients, "Lưu: hồ sơ."]:
        _para(left, f"- {recipient}", size=11)
    _first(right, title.upper(), size=14, bold=True)
    _para(right, "(Ký, ghi rõ họ tên, đóng dấu)", align=WD_ALIGN_PARAGRAPH.CENTER, size=13, italic=True)
    for _ in range(3):
        _para(right, "", size=14)
    _para(right, doc.signer or "……………………", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)


def build_docx(view: Mapping[str, Any], doc_type: str, *, agency: str, place: str) -> tuple[Issued, bytes]:
    """The document for the dossier `view` (a `dossier_view` with "person"): the issued record and the bytes."""
    doc, fields, body = render_text(view, doc_type)
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    normal: Any = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    _header(document, doc.issuer or agency, doc, fields.get("symbol", ""), place)
    if doc.draft:
        _para(document, "BẢN NHÁP: chưa có số, ngày trên hồ sơ", align=WD_ALIGN_PARAGRAPH.CENTER, size=12, italic=True)
    _body(document, body)
    recipients = [r.strip() for r in fields.get("recipients", "").split(";") if r.strip()]
    _signature(document, doc, fields.get("signer_title", "Thủ trưởng cơ quan"), recipients)
    out = BytesIO()
    document.save(out)
    return doc, out.getvalue()
