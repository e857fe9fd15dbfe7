"""Who issued and who signed a document: typed references, never a typed name.

An issuer is an agency of the directory (`agency:<id>`) or the person the dossier is about (`person`).
A signer is an officer of the issuing agency, named by their position (`title:<code>`, e.g.
`title:police_chief`, shown "Trưởng Công an · Công an xã Quài Cang") or by their user account
(`user:<username>`), or the person (`person`). `person` is a reference to the dossier's subject: pages put the
person's name in its place only for readers of personal data (`workflow.access`); the chain never holds it.

Values recorded before these types were free text (possibly the person's name): they still display, but only
to readers of personal data; everyone else sees "(ẩn)".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from typing import Any

PERSON = "person"
AGENCY, TITLE, USER = "agency:", "title:", "user:"
HIDDEN = "(ẩn)"
PERSON_VI = "Người bị đề nghị"  # shown for `person` to a reader who may not read the name
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Positions that sign the documents of the procedure (Nghị định 30/2020/NĐ-CP: the signer's position).
TITLES: dict[str, tuple[str, str]] = {
    "chairman": ("Chủ tịch", "Chairman"),
    "vice_chairman": ("Phó Chủ tịch", "Vice-chairman"),
    "police_chief": ("Trưởng Công an", "Chief of police"),
    "deputy_police_chief": ("Phó Trưởng Công an", "Deputy chief of police"),
    "director": ("Giám đốc", "Director"),
    "deputy_director": ("Phó Giám đốc", "Deputy director"),
    "head": ("Trưởng phòng", "Head of office"),
    "deputy_head": ("Phó Trưởng phòng", "Deputy head of office"),
    "chief_judge": ("Chánh án", "Chief judge"),
    "judge": ("Thẩm phán", "Judge"),
    "chief_procurator": ("Viện trưởng", "Chief procurator"),
    "doctor": ("Bác sĩ", "Physician"),
    "officer": ("Cán bộ", "Officer"),
}
# The usual signer's position by the issuing agency's type (the demo and the forms' default).
TITLE_BY_AGENCY_TYPE = {
    "commune_police": "police_chief",
    "district_police": "police_chief",
    "provincial_police": "director",
    "commune_committee": "chairman",
    "district_committee": "chairman",
    "provincial_committee": "chairman",
    "labour_office": "head",
    "justice_office": "head",
    "health_facility": "director",
    "facility": "director",
    "district_court": "chief_judge",
    "regional_court": "chief_judge",
    "provincial_court": "chief_judge",
    "procuracy": "chief_procurator",
}
ISSUER_WRONG = (
    "Cơ quan ban hành phải là một cơ quan trong danh mục («agency:<mã cơ quan>») hoặc người bị đề nghị "
    "(«person»); không nhập họ tên.",
    "must be `agency:<id>` of a known agency or `person`; a name is not accepted",
)
SIGNER_WRONG = (
    "Người ký phải là chức vụ («title:" + "|".join(TITLES) + "»), tài khoản cán bộ («user:<tên đăng nhập>») "
    "hoặc người bị đề nghị («person»); không nhập họ tên.",
    "must be `title:<position>`, `user:<username>` or `person`; a name is not accepted",
)


def is_typed(value: Any) -> bool:
    """Whether the recorded value is a typed reference (or blank), not free text of before."""
    text = str(value or "")
    return text in ("", PERSON) or text.startswith((AGENCY, TITLE, USER))


def issuer_problem(value: Any, agencies: Container[str] | None = None) -> tuple[str, str] | None:
    """(vi, en) when `value` is not an issuer: `person`, or `agency:<id>` (of `agencies`, when given)."""
    if value in ("", None, PERSON):
        return None
    text = str(value)
    agency = text.removeprefix(AGENCY)
    if text.startswith(AGENCY) and agency and (agencies is None or agency in agencies):
        return None
    return ISSUER_WRONG


def signer_problem(value: Any) -> tuple[str, str] | None:
    """(vi, en) when `value` is not a signer: `person`, `title:<one of TITLES>` or `user:<username>`."""
    if value in ("", None, PERSON):
        return None
    text = str(value)
    if text.startswith(TITLE) and text.removeprefix(TITLE) in TITLES:
        return None
    if text.startswith(USER) and _USERNAME.match(text.removeprefix(USER)):
        return None
    return SIGNER_WRONG


def label(
    value: Any,
    *,
    agency_name: Callable[[str], str | None],
    person_name: str | None = None,
    issuer: Any = "",
) -> str:
    """What a page shows for an issuer or signer. `person_name`: the name, only for readers of the person
    (otherwise `person` shows as "Người bị đề nghị" and free text of before as "(ẩn)")."""
    text = str(value or "")
    if not text:
        return ""
    if text == PERSON:
        return person_name or PERSON_VI
    if text.startswith(AGENCY):
        return agency_name(text.removeprefix(AGENCY)) or text.removeprefix(AGENCY)
    if text.startswith(TITLE):
        title = TITLES.get(text.removeprefix(TITLE), (text.removeprefix(TITLE), ""))[0]
        agency = str(issuer or "")
        named = agency_name(agency.removeprefix(AGENCY)) if agency.startswith(AGENCY) else None
        return f"{title} · {named}" if named else title
    if text.startswith(USER):
        return "Cán bộ " + text.removeprefix(USER)
    return text if person_name is not None else HIDDEN


def labelled(
    document: Mapping[str, Any], agency_name: Callable[[str], str | None], person_name: str | None
) -> dict[str, Any]:
    """The document with `issuer_label` and `signer_label`; free text of before masked unless `person_name`."""
    out = dict(document)
    issuer, signer = document.get("issuer", ""), document.get("signer", "")
    out["issuer_label"] = label(issuer, agency_name=agency_name, person_name=person_name)
    out["signer_label"] = label(signer, agency_name=agency_name, person_name=person_name, issuer=issuer)
    if person_name is None:
        for part in ("issuer", "signer"):
            if not is_typed(out.get(part)):
                out[part] = HIDDEN
    return out


def masked(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with free text of before in issuer and signer replaced by "(ẩn)" (typed values kept)."""
    return {k: (HIDDEN if k in ("issuer", "signer") and not is_typed(v) else v) for k, v in document.items()}


def of_agency(agency_id: str, agency_type: str | None) -> tuple[str, str]:
    """(issuer, signer) of a document an agency issues, signed by the usual position for its type."""
    return AGENCY + agency_id, TITLE + TITLE_BY_AGENCY_TYPE.get(agency_type or "", "officer")


__all__ = [
    "PERSON",
    "TITLES",
    "is_typed",
    "issuer_problem",
    "label",
    "labelled",
    "masked",
    "of_agency",
    "signer_problem",
]
