"""Importing existing cases from an Excel workbook (paper dossiers already under way).

The first sheet has one dossier per row under these Vietnamese headers (order free, extra columns
ignored): see `COLUMNS`. Every row is checked first: dates, 12-digit ID numbers, the commune's name
against the areas in force on the violation date, the regime by that date, the stage's name in that
regime, and that the documents given are those the stage needs (a dossier in the facility has its
court decision, term and admission date). Every bad row is reported with its row number, column and
reason, and nothing is imported until the whole file is clean.

Each imported dossier starts its chain with one `import` entry (not an `open` one) naming the file's
SHA-256 and the row, with the documents given and the stage it is in; its current stage's deadlines
are opened from those documents as the engine would. Importing the same file again imports nothing
(each row's key is kept); a row whose violation record is already on a dossier is skipped.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Connection, func, insert, select, update

from handlers.eligibility import age_on
from states.model import Doc, Regime, State, Track
from states.registry import NoRegimeForDate, regime_for
from workflow import opening
from workflow.chain import GENESIS, seal
from workflow.stage_changes import DeadlineWriter
from workflow.store import Store
from workflow.tables import Area, Dossier, IdempotencyKey, TransitionLog

AREA = Area.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
IDEM = IdempotencyKey.__table__  # type: ignore[attr-defined]

# key -> (header, required)
COLUMNS: dict[str, tuple[str, bool]] = {
    "full_name": ("Họ và tên", True),
    "birth_date": ("Ngày sinh", True),
    "sex": ("Giới tính", False),
    "id_number": ("Số CCCD", False),
    "commune": ("Xã nơi lập biên bản", True),
    "violation_number": ("Số biên bản vi phạm", True),
    "violation_date": ("Ngày biên bản vi phạm", True),
    "stage": ("Giai đoạn hiện tại", True),
    "court_number": ("Số quyết định của Tòa án", False),
    "court_date": ("Ngày quyết định của Tòa án", False),
    "term_months": ("Thời hạn (tháng)", False),
    "admitted_on": ("Ngày vào cơ sở cai nghiện", False),
    "completed_on": ("Ngày chấp hành xong", False),
    "post_rehab_number": ("Số quyết định quản lý sau cai", False),
    "post_rehab_date": ("Ngày quyết định quản lý sau cai", False),
}
COURT_DECIDED = (
    State.COMPLAINT_PERIOD,
    State.COMPLAINT_REVIEW,
    State.AWAITING_ESCORT,
    State.POSTPONED,
    State.ABSCONDED_BEFORE_ADMISSION,
)
ADMITTED = (State.IN_FACILITY, State.ABSCONDED_FROM_FACILITY)
COMPLETED = (State.COMPLETION_CERTIFIED, State.RETURN_REPORTED, State.POST_REHAB_PROPOSED)
SUPERVISED = (State.POST_REHAB_SUPERVISION,)
SEX = {"nam": "male", "nữ": "female", "nu": "female", "male": "male", "female": "female"}


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f'dòng {self.row}, cột "{self.column}": {self.reason}'


class ImportRejected(ValueError):
    """The file has bad rows: every one listed; nothing was imported."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ImportReport:
    sha256: str
    rows: int
    imported: list[str] = field(default_factory=list)  # dossier codes
    skipped: list[int] = field(default_factory=list)  # row numbers already imported or on a dossier


@dataclass
class _Row:
    number: int
    person: dict[str, Any]
    commune: str
    regime: Regime
    state: State
    track: Track
    documents: dict[str, dict[str, str]]
    facts: dict[str, Any]


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).replace("Đ", "D").replace("đ", "d"))
    return " ".join("".join(c for c in plain if unicodedata.category(c) != "Mn").lower().split())


class _Checker:
    """Turns one sheet row into a `_Row`, or records every problem it has."""

    def __init__(self, conn: Connection, regimes: Mapping[str, Regime], today: date) -> None:
        self.areas = [r for r in conn.execute(select(AREA).where(AREA.c.level == "commune")).all()]
        self.regimes = regimes
        self.today = today
        self.problems: list[RowProblem] = []

    def fail(self, row: int, key: str, reason: str) -> None:
        self.problems.append(RowProblem(row, COLUMNS[key][0], reason))

    def day(self, row: int, key: str, value: Any) -> date | None:
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        self.fail(row, key, f"'{text}' không phải ngày dd/mm/yyyy")
        return None

    def commune(self, row: int, name: str, on: date) -> str | None:
        wanted = _fold(name)
        hits = [
            a.code
            for a in self.areas
            if (a.code == name or _fold(a.name) == wanted or _fold(a.name).split(" ", 1)[-1] == wanted)
            and a.valid_from <= on
            and (a.valid_to is None or on <= a.valid_to)
        ]
        if len(hits) != 1:
            why = "không có xã/phường nào tên này" if not hits else "trùng tên nhiều xã; ghi mã xã"
            self.fail(row, "commune", f"'{name}' {why} vào ngày {on:%d/%m/%Y}")
            return None
        return str(hits[0])

    def stage(self, row: int, regime: Regime, given: str) -> State | None:
        wanted = _fold(given)
        for state, stage in regime.stages.items():
            if given == state.value or _fold(stage.label_vi) == wanted:
                if state in regime.initial_states or state == State.CLOSED:
                    break
                return state
        self.fail(row, "stage", f"'{given}' không phải giai đoạn nhập được của chế độ {regime.id}")
        return None

    def check(self, number: int, cells: Mapping[str, Any]) -> _Row | None:
        before = len(self.problems)
        text = {k: str(v).strip() if v is not None else "" for k, v in cells.items()}
        for key, (_, required) in COLUMNS.items():
            if required and not text.get(key):
                self.fail(number, key, "bắt buộc, đang để trống")
        born = self.day(number, "birth_date", cells.get("birth_date"))
        if born and born > self.today:
            self.fail(number, "birth_date", "ngày sinh ở tương lai")
        id_number = text.get("id_number", "")
        if id_number and not (id_number.isdigit() and len(id_number) == 12):
            self.fail(number, "id_number", "số CCCD phải gồm đúng 12 chữ số")
        violated = self.day(number, "violation_date", cells.get("violation_date"))
        regime = None
        if violated:
            if violated > self.today:
                self.fail(number, "violation_date", "ngày ở tương lai")
            try:
                regime = regime_for(violated, self.regimes)
            except NoRegimeForDate as err:
                self.fail(number, "violation_date", str(err))
        commune = self.commune(number, text["commune"], violated) if violated and text.get("commune") else None
        state = self.stage(number, regime, text["stage"]) if regime and text.get("stage") else None
        documents, facts = self._documents(number, cells, text, state, violated)
        if len(self.problems) > before or not (born and violated and regime and commune and state):
            return None
        person = {
            "full_name": unicodedata.normalize("NFC", text["full_name"]),
            "birth_date": born.isoformat(),
            "sex": SEX.get(text.get("sex", "").lower(), "male"),
            "id_number": id_number or None,
        }
        track = Track.ADULT if age_on(born, violated) >= 18 else Track.MINOR
        documents["violation_record"] = {"number": text["violation_number"], "date": violated.isoformat()}
        return _Row(number, person, commune, regime, state, track, documents, facts)

    def _documents(
        self, number: int, cells: Mapping[str, Any], text: Mapping[str, str], state: State | None, violated: date | None
    ) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
        """The documents the stage needs, in order of the procedure: each must be given, dated after the last."""
        needs: list[tuple[str, str, str | None]] = []  # (document type, date column, number column)
        if state in COURT_DECIDED + ADMITTED + COMPLETED + SUPERVISED:
            needs.append((Doc.COURT_DECISION.value, "court_date", "court_number"))
        if state in ADMITTED + COMPLETED + SUPERVISED:
            needs.append((Doc.HANDOVER_RECORD.value, "admitted_on", None))
        if state in COMPLETED + SUPERVISED:
            needs.append((Doc.COMPLETION_CERTIFICATE.value, "completed_on", None))
        if state in SUPERVISED:
            needs.append((Doc.POST_REHAB_DECISION.value, "post_rehab_date", "post_rehab_number"))
        documents: dict[str, dict[str, str]] = {}
        facts: dict[str, Any] = {}
        previous = violated
        for doc_type, date_key, number_key in needs:
            when = self.day(number, date_key, cells.get(date_key))
            if when is None:
                self.fail(number, date_key, f"bắt buộc với giai đoạn '{text.get('stage')}'")
                continue
            if previous and when < previous or when > self.today:
                self.fail(number, date_key, "ngày không khớp trình tự (trước văn bản trước đó hoặc ở tương lai)")
            previous = when
            doc_number = text.get(number_key, "") if number_key else ""
            if number_key and not doc_number:
                self.fail(number, number_key, f"bắt buộc với giai đoạn '{text.get('stage')}'")
            documents[doc_type] = {"number": doc_number or "(nhập từ hồ sơ giấy)", "date": when.isoformat()}
        if state in COURT_DECIDED + ADMITTED + COMPLETED + SUPERVISED:
            term = text.get("term_months", "")
            try:
                facts["term_months"] = int(float(term))
            except ValueError:
                self.fail(number, "term_months", "bắt buộc: số tháng theo quyết định của Tòa án")
        return documents, facts


def _sheet_rows(content: bytes) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    try:
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises several kinds for a file that is not a workbook
        return [], [RowProblem(0, "(tệp)", f"không đọc được tệp Excel: {err}")]
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return [], [RowProblem(1, "(tiêu đề)", "tệp trống")]
    headers = {_fold(str(h)): i for i, h in enumerate(rows[0]) if h is not None}
    index = {key: headers.get(_fold(header)) for key, (header, _) in COLUMNS.items()}
    missing = [RowProblem(1, h, "thiếu cột") for k, (h, req) in COLUMNS.items() if req and index[k] is None]
    out = []
    for number, values in enumerate(rows[1:], start=2):
        if all(v in (None, "") for v in values):
            continue
        out.append((number, {k: values[i] if i is not None and i < len(values) else None for k, i in index.items()}))
    return out, missing


def check_workbook(engine: Any, content: bytes) -> list[_Row]:
    """Every row checked; `ImportRejected` with every problem, or the rows ready to import."""
    rows, problems = _sheet_rows(content)
    if problems:
        raise ImportRejected(problems)
    _, today = engine._now()
    with engine.db.connect() as conn:
        checker = _Checker(conn, engine.regimes, today)
        checked = [checker.check(number, cells) for number, cells in rows]
    if checker.problems:
        raise ImportRejected(checker.problems)
    return [r for r in checked if r is not None]


def import_workbook(engine: Any, content: bytes, actor: Any) -> ImportReport:
    """Check the whole file, then import every new row in one transaction."""
    sha = hashlib.sha256(content).hexdigest()
    rows = check_workbook(engine, content)
    report = ImportReport(sha, len(rows))
    now, today = engine._now()
    with engine.db.begin() as conn:
        for row in rows:
            key = f"import:{sha}:{row.number}"
            if conn.execute(select(IDEM.c.key).where(IDEM.c.key == key)).first() or _already_on_file(conn, row):
                report.skipped.append(row.number)
                continue
            code, dossier_id = _insert(engine, conn, row, sha, actor, now, today)
            conn.execute(insert(IDEM).values(key=key, dossier_id=dossier_id, result={"code": code}, created_at=now))
            report.imported.append(code)
    return report


def _already_on_file(conn: Connection, row: _Row) -> bool:
    record = row.documents["violation_record"]
    same = select(func.count()).where(
        DOSSIER.c.commune_code == row.commune,
        DOSSIER.c.data["documents"]["violation_record"]["number"].as_string() == record["number"],
        DOSSIER.c.data["documents"]["violation_record"]["date"].as_string() == record["date"],
    )
    return bool(conn.execute(same).scalar_one())


def _insert(
    engine: Any, conn: Connection, row: _Row, sha: str, actor: Any, now: datetime, today: date
) -> tuple[str, int]:
    stage = row.regime.stages[row.state]
    directory = engine.directory(conn)
    agency_id = directory.resolve(stage.agency.value, row.commune, today) if stage.agency else None
    who = opening._clean_person(row.person)
    person_id = opening._person_id(engine, conn, who)
    data: dict[str, Any] = {
        **row.facts,
        "birth_date": who["birth_date"].isoformat(),
        "nationality": who["nationality"],
        "sex": who["sex"],
        "violation_on": row.documents["violation_record"]["date"],
        "documents": {t: {"type": t, "issuer": "", "signer": "", **d} for t, d in row.documents.items()},
        "imported_from": sha,
    }
    values = {
        "code": f"tmp-{uuid.uuid4().hex}",
        "person_id": person_id,
        "regime": row.regime.id,
        "track": row.track.value,
        "state": row.state.value,
        "version": 1,
        "commune_code": row.commune,
        "agency_id": agency_id,
        "data": data,
        "opened_at": now,
        "updated_at": now,
        "last_seq": 0,
        "last_hash": "",
    }
    dossier_id = int(conn.execute(insert(DOSSIER).values(values).returning(DOSSIER.c.id)).scalar_one())
    record_date = date.fromisoformat(row.documents["violation_record"]["date"])
    code = f"HS-{record_date.year}-{dossier_id:06d}"
    entry = {
        "dossier_id": dossier_id,
        "seq": 1,
        "at": now,
        "kind": "import",
        "actor": actor.user,
        "actor_agency": actor.agency_id,
        "event": "import_dossier",
        "from_state": None,
        "to_state": row.state.value,
        "applied": True,
        "payload": {
            "source_sha256": sha,
            "row": row.number,
            "regime": row.regime.id,
            "track": row.track.value,
            "commune_code": row.commune,
            "documents": list(data["documents"].values()),
            **row.facts,
        },
        "reasons": [],
        "prev_hash": GENESIS,
    }
    seal(entry, engine.signer)
    conn.execute(insert(LOG).values(**entry))
    conn.execute(
        update(DOSSIER).where(DOSSIER.c.id == dossier_id).values(code=code, last_seq=1, last_hash=entry["hash"])
    )
    store = Store(conn)
    latest = max(date.fromisoformat(d["date"]) for d in row.documents.values())
    DeadlineWriter(store, engine.policy, directory, row.regime, row.track).transition(
        dossier_id, row.commune, stage, None, data, latest, now, today
    )
    store.flush()
    return code, dossier_id


def template_workbook(examples: Iterable[Mapping[str, Any]] = ()) -> bytes:
    """An empty import workbook with the expected headers (and example rows), for users to fill in."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Hồ sơ"
    sheet.append([header for header, _ in COLUMNS.values()])
    for example in examples:
        sheet.append([example.get(key) for key in COLUMNS])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
