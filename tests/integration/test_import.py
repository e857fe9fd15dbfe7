"""Importing existing cases from Excel: every bad row listed and nothing imported; the clean file imported
once, each dossier's chain starting with an `import` entry naming the file's SHA-256."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from tests.journeys import make_runtime
from workflow.audit import verify_chain
from workflow.engine import Actor
from workflow.importing import ImportRejected, import_workbook, template_workbook
from workflow.tables import Deadline, Dossier, TransitionLog

ADMIN = Actor("nhap.excel", None, "admin")
GOOD = [
    {
        "full_name": "Lò Văn Pọm",
        "birth_date": "12/03/1988",
        "sex": "Nam",
        "id_number": "011088001122",
        "commune": "Xã Quài Cang",
        "violation_number": "5/BB-VPHC",
        "violation_date": date(2024, 2, 5),
        "stage": "Chấp hành tại cơ sở cai nghiện",
        "court_number": "12/QĐ-TA",
        "court_date": "20/03/2024",
        "term_months": 18,
        "admitted_on": "02/04/2024",
    },
    {
        "full_name": "Quàng Thị Xuân",
        "birth_date": "01/01/1995",
        "sex": "Nữ",
        "commune": "Quài Tở",
        "violation_number": "9/BB-VPHC",
        "violation_date": "10/09/2024",
        "stage": "labour_review",
    },
]


@pytest.fixture
def rt(db_url: str):  # type: ignore[no-untyped-def]
    runtime, _ = make_runtime(db_url, datetime(2024, 10, 1, 2, tzinfo=UTC))
    yield runtime
    runtime.db.dispose()


def count(rt, table) -> int:  # type: ignore[no-untyped-def]
    with rt.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table.__table__)).scalar_one())


def test_a_file_with_three_bad_rows_changes_nothing_and_lists_all_three(rt) -> None:  # type: ignore[no-untyped-def]
    bad = [
        {**GOOD[0], "id_number": "12345"},  # row 2: not 12 digits
        GOOD[1],
        {**GOOD[1], "commune": "Xã Không Tồn Tại", "violation_number": "10/BB"},  # row 4
        {**GOOD[0], "admitted_on": None, "violation_number": "11/BB"},  # row 5: in the facility without admission
    ]
    with pytest.raises(ImportRejected) as err:
        import_workbook(rt.engine, template_workbook(bad), ADMIN)
    where = {(p.row, p.column) for p in err.value.problems}
    assert where == {(2, "Số CCCD"), (4, "Xã nơi lập biên bản"), (5, "Ngày vào cơ sở cai nghiện")}
    assert count(rt, Dossier) == 0 and count(rt, TransitionLog) == 0


def test_the_clean_file_imported_twice_is_imported_once_with_an_import_entry_and_deadlines(rt) -> None:  # type: ignore[no-untyped-def]
    content = template_workbook(GOOD)
    first = import_workbook(rt.engine, content, ADMIN)
    second = import_workbook(rt.engine, content, ADMIN)
    assert len(first.imported) == 2 and second.imported == [] and second.skipped == [2, 3]
    assert count(rt, Dossier) == 2
    with rt.db.connect() as conn:
        log = conn.execute(select(TransitionLog.__table__)).all()  # type: ignore[attr-defined]
        states = dict(conn.execute(select(Dossier.__table__.c.code, Dossier.__table__.c.state)).all())  # type: ignore[attr-defined]
        facility = (
            conn.execute(
                select(Deadline.__table__.c.due_on).where(  # type: ignore[attr-defined]
                    Deadline.__table__.c.stage == "in_facility",  # type: ignore[attr-defined]
                    Deadline.__table__.c.key == "term",  # type: ignore[attr-defined]
                )
            )
            .scalars()
            .all()
        )
    assert {e.kind for e in log} == {"import"}
    assert {e.payload["source_sha256"] for e in log} == {hashlib.sha256(content).hexdigest()}
    assert sorted(states.values()) == ["in_facility", "labour_review"]
    assert facility and facility[0] > date(2025, 9, 1)  # 18 months from admission on 02/04/2024
    assert verify_chain(rt.db).ok
    # the same cases under another file name (another sha) are still not duplicated
    renamed = template_workbook([GOOD[1], GOOD[0]])
    assert import_workbook(rt.engine, renamed, ADMIN).imported == []


def test_a_file_that_is_not_a_workbook_is_refused_with_a_reason(rt) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRejected, match="không đọc được tệp Excel"):
        import_workbook(rt.engine, b"not a workbook", ADMIN)


def test_the_upload_api_is_for_admins_and_lists_bad_rows_in_the_error_shape(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.test_api import as_, client_for

    with client_for(tmp_path) as (client, _):
        rows = [  # the test client's clock stands on 01/03/2023
            {**GOOD[0], "violation_date": "01/06/2022", "court_date": "01/07/2022", "admitted_on": "20/07/2022"},
            {**GOOD[1], "violation_date": "10/10/2022"},
        ]
        good = {"file": ("ho-so.xlsx", template_workbook(rows), "application/octet-stream")}
        assert client.post("/api/v1/import/dossiers", files=good, auth=as_("cax")).status_code == 403
        bad = {
            "file": ("x.xlsx", template_workbook([{**GOOD[1], "birth_date": "32/13/1990"}]), "application/octet-stream")
        }
        refused = client.post("/api/v1/import/dossiers", files=bad, auth=as_("admin"))
        assert refused.status_code == 422 and refused.json()["code"] == "import.rejected"
        assert "dòng 2" in refused.json()["fields"][0]["message_vi"]
        done = client.post("/api/v1/import/dossiers", files=good, auth=as_("admin"))
        assert done.status_code == 200 and len(done.json()["imported"]) == 2
