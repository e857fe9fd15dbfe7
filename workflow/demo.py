"""Demo data for `make run`: about 220 dossiers of Tuần Giáo district (Điện Biên), driven through the engine.

Nothing here writes the dossier, log or deadline tables. Each dossier is opened with `open_dossier`
and moved with `fire` while the engine's clock stands on the legal date of each step (the demo drives
its own copy of the runtime: the caller's clock is untouched), so every step passed its guards, every
deadline was opened and closed by the engine, and every hash chain verifies.

The generator knows the process only from the regimes: a planner walks `regime.steps` from the
initial state to a target (a state to leave the dossier in, or a closing step), dates each step from
the stage's own deadline and the step's guards (run purely, exactly as the engine will run them),
then shifts the whole timeline so that it ends by `today`, on time or deliberately overdue. A regime
added to the registry gets demo dossiers without code here.

One module, longer than the house ~300 lines: planner and executor share every helper, and the
brief for this feature allowed exactly this file (plus `passwords.py`).
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from time import perf_counter
from typing import Any

import structlog
from sqlalchemy import distinct, func, insert, select

from handlers.eligibility import age_on
from handlers.facts import DocumentRef, DossierFacts
from handlers.periods import EXEMPTION_GROUNDS, POSTPONEMENT_GROUNDS
from handlers.verdict import Refused
from states.model import AgencyType, ClosingReason, Doc, Event, Regime, State, Step, Track
from states.registry import all_regimes
from workflow.deadlines import plan_deadline
from workflow.directory import AgencyRow
from workflow.engine import Actor
from workflow.errors import StepRefused, WorkflowError
from workflow.opening import OPENERS, START_DOCUMENT
from workflow.passwords import hash_password
from workflow.payload import CleanPayload, clean
from workflow.reference import COMMUNES, commune_code, load_reference
from workflow.runtime import Runtime
from workflow.tables import Deadline, Dossier, User

log = structlog.get_logger(__name__)

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]

DEMO_PASSWORD = "demo"
DEMO_ITERATIONS = 20_000  # a public demo password: a lower count keeps the build fast; the count is stored
DEMO_FROM = date(2021, 1, 1)  # the Tuần Giáo 2021 plan (seed 000) is the oldest
PERSON_ACTOR = Actor("nguoi-bi-de-nghi", None, "person")
PLACEHOLDER = "0/DEMO"  # document numbers are given at execution, in order per issuer and year

# ----------------------------------------------------------------------------- how the demo is spread

CLOSED_SHARE = 0.42  # random targets: closed dossiers vs dossiers still under way
OVERDUE_SHARE = 0.10  # of dossiers left in a stage with a deadline: left past it
COVERAGE_SHARE = 0.6  # at most this share of `count` goes to covering every state and closing step
MINOR_SHARE, FEMALE_SHARE, NO_RESIDENCE_SHARE = 0.07, 0.06, 0.05
DETOUR_CHANCE, MAX_DETOURS = 0.12, 2  # supplementation, complaint, postponement, absconding and found
ATTEMPTS, FILL_TRIES, FIT_ROUNDS, MAX_WAIT_DAYS = 10, 12, 4, 2048
STATE_WEIGHTS = {
    State.IN_FACILITY: 24.0,
    State.POST_REHAB_SUPERVISION: 18.0,
    State.AWAITING_ESCORT: 3.0,
    State.ABSCONDED_BEFORE_ADMISSION: 2.0,
    State.ABSCONDED_FROM_FACILITY: 2.0,
    State.POSTPONED: 2.0,
}
CLOSING_WEIGHTS = {
    ClosingReason.SUPERVISION_COMPLETED: 30.0,
    ClosingReason.NOT_ADDICTED: 9.0,
    ClosingReason.RELAPSED: 5.0,
    ClosingReason.COURT_REJECTED: 5.0,
    ClosingReason.EXEMPTED: 4.0,
    ClosingReason.DISCONTINUED: 4.0,
    ClosingReason.LIMITATION_EXPIRED: 3.0,
    ClosingReason.DECEASED: 3.0,
    ClosingReason.NOT_ELIGIBLE: 3.0,
}
LEAD_STATES = (State.IN_FACILITY, State.POST_REHAB_SUPERVISION)  # covered first, even in a small demo
LATE_STATES = (State.LABOUR_REVIEW, State.AWAITING_ESCORT, State.COURT_ACCEPTED)  # left overdue on purpose
# Days spent in a stage whose deadline is only a product reminder (or that has none).
FIXED_DWELL = {
    State.POSTPONED: (30, 150),
    State.ABSCONDED_BEFORE_ADMISSION: (10, 120),
    State.ABSCONDED_FROM_FACILITY: (7, 60),
}
QUICK_STATES = {State.COMPLAINT_PERIOD: (0.1, 0.3)}  # share of the deadline used: complaints come early
# NĐ 116/2021 art. 41: compiled by the commune, produced by no step of the process.
COMPILED_DOCUMENTS = (Doc.CV, Doc.STATEMENT, Doc.COMPILER_PROPOSAL)
FIELD_CHOICES = {"facility_kind": ("reform_school", "rehab_facility", "public_facility")}  # vn-2026 placement
ROLES = {"procuracy": "procurator", "district_committee": "supervisor", "provincial_committee": "supervisor"}
USER_PREFIX = {
    "commune_police": "cax",
    "commune_committee": "ubndx",
    "health_facility": "yte",
    "justice_office": "tuphap",
    "labour_office": "ldtbxh",
    "district_court": "toa",
    "regional_court": "toakv",
    "provincial_court": "toa",
    "procuracy": "vks",
    "district_police": "cah",
    "provincial_police": "cat",
    "facility": "cscn",
    "district_committee": "ubndh",
    "provincial_committee": "ubndt",
}
DOC_SUFFIX = {
    "violation_record": "BB-VPHC",
    "determination_request": "CV-CA",
    "determination_result": "PKQ-TTYT",
    "cv": "SYLL",
    "statement": "BTT",
    "compiler_proposal": "ĐN-UBND",
    "residence_confirmation": "XN-CA",
    "reading_notice": "TB-UBND",
    "transfer_letter": "CV-UBND",
    "legal_check_opinion": "YK-TP",
    "return_letter": "CV-TL",
    "labour_proposal": "ĐN-LĐTBXH",
    "acceptance_notice": "TB-TA",
    "session_decision": "QĐMPH-TA",
    "court_decision": "QĐ-TA",
    "complaint": "ĐKN",
    "complaint_decision": "QĐ-TA",
    "postponement_decision": "QĐ-TA",
    "exemption_decision": "QĐ-TA",
    "handover_record": "BB-BG",
    "search_decision": "QĐ-TN",
    "found_record": "BB-CA",
    "transfer_decision": "QĐ-CSCN",
    "completion_certificate": "GCN",
    "return_report": "BB-TD",
    "post_rehab_proposal": "ĐN-CAX",
    "post_rehab_decision": "QĐ-UBND",
    "monitoring_order": "QĐ-CAX",
    "supervision_certificate": "GCN-UBND",
    "relapse_record": "BB-CA",
    "discontinuation_decision": "QĐ-ĐC",
    "death_record": "TB-UBND",
    "criminal_transfer": "QĐ-CA",
    "user_management_decision": "QĐ-CAX",
    "move_notice": "TB-CA",
}

# ----------------------------------------------------------------------------- people of the district

SURNAMES = {
    "thai": ("Lò", "Quàng", "Lường", "Cà", "Tòng", "Điêu", "Vì", "Lò", "Quàng"),
    "hmong": ("Giàng", "Vừ", "Sùng", "Mùa", "Thào", "Lầu", "Hạng", "Lý", "Tráng", "Cứ"),
    "kinh": ("Nguyễn", "Trần", "Phạm", "Lê", "Hoàng", "Đỗ", "Bùi", "Vũ"),
}
GIVEN = {
    ("thai", "male"): (
        "Văn Thanh",
        "Văn Hùng",
        "Văn Phong",
        "Văn Sơn",
        "Văn Tuấn",
        "Văn Chiến",
        "Văn Biên",
        "Văn Xuân",
        "Văn Dũng",
        "Văn Hải",
        "Văn Inh",
        "Văn Ơn",
        "Văn Panh",
        "Văn Phóng",
        "Văn Thưởng",
        "Văn Tiến",
        "Văn Pọm",
        "Văn Khánh",
        "Văn Muôn",
        "Văn Nhất",
    ),
    ("thai", "female"): ("Thị Hương", "Thị Lả", "Thị Ín", "Thị Xuân", "Thị Hoa", "Thị Pâng"),
    ("hmong", "male"): (
        "A Chứ",
        "A Dế",
        "A Lử",
        "A Páo",
        "A Pó",
        "A Sử",
        "A Tủa",
        "A Vàng",
        "A Dùng",
        "A Chá",
        "A Sình",
        "A Nhìa",
        "A Lềnh",
        "A Khua",
        "A Của",
        "A Dia",
    ),
    ("hmong", "female"): ("Thị Mỷ", "Thị Dợ", "Thị Chở", "Thị Máy", "Thị Say", "Thị Pà"),
    ("kinh", "male"): (
        "Văn Nam",
        "Văn Long",
        "Văn Đức",
        "Văn Quang",
        "Văn Tùng",
        "Văn Việt",
        "Văn Công",
        "Văn Thắng",
        "Đình Hùng",
        "Mạnh Cường",
    ),
    ("kinh", "female"): ("Thị Hoa", "Thị Lan", "Thị Huyền", "Thị Thu", "Thị Nga"),
}
VILLAGES = {
    "lowland": (
        "Bản Đông",
        "Bản Hới Nọ",
        "Bản Sáng",
        "Bản Chằn",
        "Bản Bó",
        "Bản Co Muông",
        "Bản Nà Cương",
        "Bản Kép",
        "Bản Món",
        "Bản Hua Nạ",
        "Bản Lồng",
    ),
    "highland": (
        "Bản Phình Cứ",
        "Bản Háng Tàu",
        "Bản Hua Sa A",
        "Bản Thẳm Xả",
        "Bản Trạng Đông",
        "Bản Lồng Sáng",
        "Bản Pú Nhung",
    ),
    "town": ("Khối Tân Giang", "Khối Sơn Thủy", "Khối Đồng Tâm", "Khối Tân Tiến", "Khối Trung Tâm"),
}
HIGHLAND = {"phinh-sang", "ta-ma", "toa-tinh", "pu-xi", "rang-dong"}  # mostly H'Mông communes
MIX = {"lowland": (0.65, 0.25, 0.10), "highland": (0.15, 0.80, 0.05), "town": (0.35, 0.10, 0.55)}
GROUNDS = (("no_voluntary_rehab", 6), ("used_during_voluntary", 2), ("substitution_breach", 2))
RETURN_REASONS = (
    "Thiếu bản tường trình của người bị đề nghị (Mẫu 31).",
    "Bản tóm tắt lý lịch chưa có xác nhận của UBND cấp xã.",
    "Kết quả xác định tình trạng nghiện là bản sao không chứng thực.",
    "Văn bản đề nghị chưa ghi rõ căn cứ áp dụng theo Điều 32 Luật PCMT.",
    "Chưa có tài liệu chứng minh đã thông báo cho người bị đề nghị đọc hồ sơ.",
)
REASONS = {
    ClosingReason.NOT_ELIGIBLE: (
        "Người bị đề nghị mất năng lực hành vi dân sự (kết luận giám định).",
        "Người bị đề nghị một mình nuôi con dưới 36 tháng tuổi (UBND xã xác nhận).",
    ),
    ClosingReason.DISCONTINUED: (
        "Người bị đề nghị tự nguyện đăng ký cai nghiện và được chấp thuận.",
        "Cơ quan lập hồ sơ rút văn bản đề nghị.",
        "Người bị đề nghị bị khởi tố trong một vụ án khác.",
    ),
}
PREGNANT = "Người bị đề nghị đang mang thai (Bệnh viện đa khoa huyện Tuần Giáo xác nhận)."


@dataclass
class DemoReport:
    """What `build_demo` made: counts per regime and state, overdue dossiers, refused steps."""

    skipped: bool = False
    today: date | None = None
    dossiers: int = 0
    steps: int = 0
    users: int = 0
    relapses: int = 0  # dossiers opened after a relapse, linked to the previous one
    by_regime: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    by_regime_state: dict[str, dict[str, int]] = field(default_factory=dict)
    closing_reasons: dict[str, int] = field(default_factory=dict)
    overdue: int = 0  # dossiers with an open, running deadline whose due day is before `today`
    refused: int = 0  # steps the engine refused: a generator bug, logged as demo.step_refused
    failed: int = 0  # other engine errors (invalid input, step not available), logged as demo.step_failed
    unplanned: int = 0  # targets the planner could not fit before `today`
    seconds: float = 0.0

    def __str__(self) -> str:
        if self.skipped:
            return f"demo: the database already has {self.dossiers} dossiers; nothing added"
        lines = [
            f"demo: {self.dossiers} dossiers, {self.steps} steps, {self.users} users "
            f"(password '{DEMO_PASSWORD}'), as of {self.today}, in {self.seconds:.1f} s",
            f"  overdue {self.overdue}, refused {self.refused}, failed {self.failed}, "
            f"unplanned {self.unplanned}, relapses {self.relapses}",
        ]
        for regime, states in sorted(self.by_regime_state.items()):
            listed = ", ".join(f"{s} {n}" for s, n in sorted(states.items(), key=lambda x: -x[1]))
            lines.append(f"  {regime} ({self.by_regime[regime]}): {listed}")
        lines.append("  closed: " + ", ".join(f"{r} {n}" for r, n in sorted(self.closing_reasons.items())))
        return "\n".join(lines)


def build_demo(runtime: Runtime, *, seed: int = 2021, count: int = 220, today: date | None = None) -> DemoReport:
    """Fill an empty database with `count` dossiers, only through the engine; a database with dossiers is left alone."""
    started = perf_counter()
    today = today or datetime.now(runtime.tz).date()
    with runtime.db.connect() as conn:
        existing = conn.execute(select(func.count()).select_from(DOSSIER)).scalar_one()
    if existing:
        log.info("demo.skipped", reason="the database already has dossiers", dossiers=existing)
        return DemoReport(skipped=True, today=today, dossiers=existing)
    with runtime.db.begin() as conn:
        load_reference(conn)
    runtime.engine.reload_directory()
    demo = _Demo(runtime, seed, today)
    demo.report.users = demo.create_users()
    demo.execute(demo.plan(count))
    demo.summarise()
    demo.report.seconds = round(perf_counter() - started, 2)
    log.info(
        "demo.built",
        dossiers=demo.report.dossiers,
        steps=demo.report.steps,
        overdue=demo.report.overdue,
        refused=demo.report.refused,
        failed=demo.report.failed,
        unplanned=demo.report.unplanned,
        seconds=demo.report.seconds,
    )
    return demo.report


# ----------------------------------------------------------------------------- plans


@dataclass
class _Person:
    full_name: str
    sex: str
    address: str
    age_days: int  # age at the violation; the birth date follows the violation date until the plan is fixed
    stable_residence: bool
    birth_date: date | None = None
    id_number: str | None = None

    def born(self, violation_on: date) -> date:
        return self.birth_date or violation_on - timedelta(days=self.age_days)


@dataclass(frozen=True)
class _Target:
    regime: Regime
    state: State | None = None  # leave the dossier in this state ...
    closing: Step | None = None  # ... or close it with this step
    overdue: bool | None = False  # None: on time if it fits the regime's window, else overdue
    strict_late: bool = True  # overdue by days or weeks, not years

    @property
    def label(self) -> str:
        return f"{self.regime.id}:{self.closing.name if self.closing else self.state}"


@dataclass
class _Case:
    person: _Person
    commune: str
    target: _Target
    track: Track
    initial: State
    path: list[Step]
    seed: int
    previous: _Plan | None = None

    @property
    def regime(self) -> Regime:
        return self.target.regime


@dataclass
class _Planned:
    step: Step
    on: date
    actor: Actor | None
    payload: dict[str, Any]


@dataclass
class _Plan:
    case: _Case
    start: date
    opener: Actor
    data: dict[str, Any]
    state: State
    last: date
    steps: list[_Planned] = field(default_factory=list)
    docs: dict[str, DocumentRef] = field(default_factory=dict)  # `data`'s documents, parsed once per step
    due: date | None = None
    dossier_id: int | None = None


def _windows(runtime: Runtime, today: date) -> dict[str, tuple[date, date]]:
    """Violation dates each regime gets: its configured and its declared period, from 2021, up to today."""
    declared = {r.id: r for r in all_regimes()}
    out: dict[str, tuple[date, date]] = {}
    for regime in runtime.regimes.values():
        own = declared.get(regime.id, regime)
        lo = max(regime.in_force_from, own.in_force_from, DEMO_FROM)
        hi = min([d for d in (regime.in_force_to, own.in_force_to) if d is not None] + [today])
        if lo <= hi:
            out[regime.id] = (lo, hi)
    return out


def _distances(regime: Regime, track: Track, goals: Iterable[State]) -> dict[State, int]:
    """Steps from each state to the nearest goal, through non-final states only (a reverse BFS)."""
    final = set(regime.final_states)
    dist = {g: 0 for g in goals}
    queue = deque(dist)
    while queue:
        current = queue.popleft()
        for step in regime.steps:
            if step.dest is not current or track not in step.tracks:
                continue
            for source in step.sources:
                if source not in dist and source not in final:
                    dist[source] = dist[current] + 1
                    queue.append(source)
    return dist


def _walk(regime: Regime, track: Track, state: State, goal: State, rng: random.Random) -> list[Step]:
    """A path from `state` to `goal` (reachable): mostly forward, with the odd detour (a loop that comes back)."""
    dist = _distances(regime, track, (goal,))
    path: list[Step] = []
    detours = 0
    while state is not goal:
        here = dist[state]
        options = [s for s in regime.steps_from(state, track) if s.dest in dist]
        ahead = [s for s in options if dist[s.dest] < here]
        aside = [s for s in options if here <= dist[s.dest] <= here + 2 and s not in path]
        if aside and detours < MAX_DETOURS and rng.random() < DETOUR_CHANCE:
            step, detours = rng.choice(aside), detours + 1
        else:
            step = rng.choice(ahead)
        path.append(step)
        state = step.dest
    return path


def _merge(data: Mapping[str, Any], cp: CleanPayload, step: Step, legal_date: date) -> dict[str, Any]:
    """The dossier data after the step, as the engine stores it."""
    merged = {k: v for k, v in data.items() if k != "documents"}
    merged.update(cp.facts)
    for stamp in step.stamps:
        merged[stamp] = legal_date.isoformat()
    documents = dict(data.get("documents", {}))
    documents.update({d.type: d.as_json() for d in cp.documents})
    merged["documents"] = documents
    return merged


def _documents(data: Mapping[str, Any]) -> dict[str, DocumentRef]:
    return {k: DocumentRef.from_json(v) for k, v in data.get("documents", {}).items()}


def _weighted(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


class _Demo:
    def __init__(self, runtime: Runtime, seed: int, today: date) -> None:
        # A copy of the runtime whose engine reads the demo's moving clock: the caller's runtime keeps its own.
        self.rt = replace(runtime, clock=lambda: self._now, _engine=None)
        self.today, self.rng = today, random.Random(seed)
        self.calendar, self.policy, self.tz = runtime.calendar, runtime.policy, runtime.tz
        self.directory = self.rt.engine.directory()
        self.windows = _windows(runtime, today)
        self.report = DemoReport(today=today)
        self.users: dict[str, str] = {}
        self.ids: set[str] = set()
        self.numbers: dict[tuple[str, str, int], int] = {}
        self.signers: dict[str, str] = {}
        self.unfit: set[str] = set()
        self.communes = [(commune_code(name), name, quota) for name, quota in COMMUNES]
        self._now = datetime.now(self.tz)

    # ------------------------------------------------------------------------- users

    def create_users(self) -> int:
        """One demo user per agency (password 'demo') and an admin; existing usernames are kept."""
        with self.rt.db.begin() as conn:
            have = {r.username: r.agency_id for r in conn.execute(select(USER.c.username, USER.c.agency_id))}
            by_agency = {agency: user for user, agency in have.items() if agency}
            rows = []
            for agency in sorted(self.directory.agencies.values(), key=lambda a: a.id):
                name = by_agency.get(agency.id) or _username(agency, set(have))
                self.users[agency.id] = name
                if name not in have:
                    have[name] = agency.id
                    rows.append(_user_row(name, agency.id, ROLES.get(agency.type, "staff"), f"Cán bộ {agency.name_vi}"))
            if "admin" not in have:
                rows.append(_user_row("admin", None, "admin", "Quản trị hệ thống"))
            if rows:
                conn.execute(insert(USER), rows)
        return len(rows)

    # ------------------------------------------------------------------------- choosing targets

    def plan(self, count: int) -> list[_Plan]:
        plans: list[_Plan] = []
        for target in self._coverage()[: max(1, int(count * COVERAGE_SHARE))]:
            if len(plans) < count:
                plans += self._plan_target(target, count - len(plans), note=True)
        while len(plans) < count:
            got: list[_Plan] = []
            for _ in range(FILL_TRIES):
                got = self._plan_target(
                    self._random_target(self._pick_regime(), count - len(plans)), count - len(plans)
                )
                if got:
                    break
            if not got:
                self.report.unplanned += count - len(plans)
                log.warning("demo.fill_stopped", missing=count - len(plans))
                break
            plans += got
        return plans

    def _coverage(self) -> list[_Target]:
        """Every state and closing step of each regime, the lead states first, regimes interleaved."""
        ids = sorted(self.windows, key=lambda r: self.windows[r][1] - self.windows[r][0], reverse=True)
        current = max(self.windows, key=lambda r: self.windows[r][1])
        lists = []
        for regime_id in ids:
            regime = self.rt.regimes[regime_id]
            lead = [_Target(regime, state=s, overdue=None) for s in LEAD_STATES if s in regime.stages]
            lead += [
                _Target(regime, closing=s)
                for s in _closings(regime)
                if s.closing_reason is ClosingReason.SUPERVISION_COMPLETED
            ]
            if regime_id == current:
                lead += [_Target(regime, state=s, overdue=True) for s in LATE_STATES if s in regime.stages]
            rest = [
                _Target(regime, state=s, overdue=None)
                for s in regime.states
                if s not in LEAD_STATES and not regime.stages[s].final
            ]
            rest += [
                _Target(regime, closing=s)
                for s in _closings(regime)
                if s.closing_reason is not ClosingReason.SUPERVISION_COMPLETED
            ]
            self.rng.shuffle(rest)
            lists.append(lead + rest)
        return [t for group in _interleave(lists) for t in group]

    def _pick_regime(self) -> Regime:
        ids = sorted(self.windows)
        weights = [(self.windows[i][1] - self.windows[i][0]).days + 30 for i in ids]
        return self.rt.regimes[_weighted(self.rng, ids, weights)]

    def _random_target(self, regime: Regime, room: int) -> _Target:
        if self.rng.random() < CLOSED_SHARE:
            closings = [s for s in _closings(regime) if room >= 2 or s.closing_reason is not ClosingReason.RELAPSED]
            per_reason = Counter(s.closing_reason for s in closings)
            weights = [
                CLOSING_WEIGHTS.get(s.closing_reason, 1.5) / per_reason[s.closing_reason]  # type: ignore[arg-type]
                for s in closings
            ]
            return _Target(regime, closing=_weighted(self.rng, closings, weights))
        states = [s for s in regime.states if not regime.stages[s].final]
        state = _weighted(self.rng, states, [STATE_WEIGHTS.get(s, 1.5) for s in states])
        stage = regime.stages[state]
        late = bool(stage.deadlines) and not stage.clock_paused and self.rng.random() < OVERDUE_SHARE
        return _Target(regime, state=state, overdue=late)

    def _plan_target(self, target: _Target, room: int, note: bool = False) -> list[_Plan]:
        """Plans for one target (two when the dossier closes on a relapse), or none if it cannot fit."""
        if target.closing is not None and target.closing.closing_reason is ClosingReason.RELAPSED and room < 2:
            return []
        modes = [target]
        if target.overdue is None:
            modes = [replace(target, overdue=False), replace(target, overdue=True, strict_late=False)]
        elif target.overdue:
            modes = [target, replace(target, strict_late=False)]
        for mode in modes:
            key = f"{mode.label}:{mode.overdue}:{mode.strict_late}"
            for _ in range(0 if key in self.unfit else ATTEMPTS):
                plans = self._attempt(mode)
                if plans:
                    return plans
            self.unfit.add(key)  # the regime's window leaves no room for it: do not try again
        if note:
            self.report.unplanned += 1
            log.info("demo.target_unplanned", target=target.label)
        return []

    def _attempt(self, target: _Target) -> list[_Plan]:
        case = self._case(target)
        plan = self._fit(case) if case else None
        if plan is None or case is None:
            return []
        self._fix_person(case.person, plan.start)
        if target.closing is None or target.closing.closing_reason is not ClosingReason.RELAPSED:
            return [plan]
        follow = self._follow_up(plan)
        return [plan, follow] if follow else []

    # ------------------------------------------------------------------------- cases and people

    def _case(self, target: _Target, previous: _Plan | None = None, start: date | None = None) -> _Case | None:
        rng = self.rng
        if previous is not None and start is not None:
            person, commune = previous.case.person, previous.case.commune
            tracks = [_track(person.born(start), start)]
        else:
            commune = _weighted(rng, [c[0] for c in self.communes], [c[2] for c in self.communes])
            minor = rng.random() < MINOR_SHARE
            person = self._person(commune, minor)
            tracks = [Track.MINOR, Track.ADULT] if minor else [Track.ADULT, Track.MINOR]
        for track in tracks:
            route = self._route(target, track)
            if route is None:
                continue
            if track is not tracks[0]:  # the target needs the other track: a person of the other age
                person = self._person(commune, track is Track.MINOR)
            return _Case(person, commune, target, track, route[0], route[1], rng.getrandbits(32), previous)
        return None

    def _route(self, target: _Target, track: Track) -> tuple[State, list[Step]] | None:
        """The initial state and the steps to the target (a closing step is reached from one of its sources)."""
        regime, closing = target.regime, target.closing
        if closing is not None and track not in closing.tracks:
            return None
        goals = [target.state] if target.state is not None else list(closing.sources if closing else ())
        routes = [(i, g) for g in goals for i in regime.initial_states if i in _distances(regime, track, (g,))]
        if not routes:
            return None
        usual = [r for r in routes if r[0] is regime.initial_states[0]]
        initial, goal = self.rng.choice(usual if usual and self.rng.random() < 0.85 else routes)
        path = _walk(regime, track, initial, goal, self.rng)
        return initial, path + ([closing] if closing else [])

    def _person(self, commune: str, minor: bool) -> _Person:
        rng = self.rng
        place = commune.rsplit(".", 1)[-1]
        area = "town" if place == "tuan-giao" else "highland" if place in HIGHLAND else "lowland"
        ethnic = _weighted(rng, ("thai", "hmong", "kinh"), MIX[area])
        sex = "female" if rng.random() < FEMALE_SHARE else "male"
        name = f"{rng.choice(SURNAMES[ethnic])} {rng.choice(GIVEN[(ethnic, sex)])}"
        years = rng.uniform(15.3, 17.7) if minor else rng.triangular(18.4, 55.0, 29.0)
        commune_name = next(c[1] for c in self.communes if c[0] == commune)
        address = f"{rng.choice(VILLAGES[area])}, {commune_name}, huyện Tuần Giáo, tỉnh Điện Biên"
        return _Person(name, sex, address, int(years * 365.25), rng.random() >= NO_RESIDENCE_SHARE)

    def _fix_person(self, person: _Person, start: date) -> None:
        """Once a plan is kept: the birth date and a 12-digit CCCD (011 = Điện Biên, century/sex, year, serial)."""
        if person.id_number is not None:
            return
        person.birth_date = person.born(start)
        century = (0 if person.birth_date.year < 2000 else 2) + (1 if person.sex == "female" else 0)
        while person.id_number is None or person.id_number in self.ids:
            person.id_number = f"011{century}{person.birth_date.year % 100:02d}{self.rng.randrange(10**6):06d}"
        self.ids.add(person.id_number)

    # ------------------------------------------------------------------------- fitting a case before today

    def _fit(self, case: _Case) -> _Plan | None:
        """Simulate from a random start in the regime's window, then shift it until the end fits `today`."""
        lo, hi = self.windows[case.regime.id]
        start = lo + timedelta(days=self.rng.randint(0, (hi - lo).days))
        for _ in range(FIT_ROUNDS):
            plan = self._simulate(case, start)
            if plan is None:
                return None
            shift = self._shift(plan, case.target)
            if shift is None:
                return plan
            start += timedelta(days=shift or -1)
            if not lo <= start <= hi:
                return None
        return None

    def _shift(self, plan: _Plan, target: _Target) -> int | None:
        """Days to move the timeline so it ends as the target wants (None: it already does)."""
        today, last, due = self.today, plan.last, plan.due
        if target.closing is not None:
            return None if last <= today else (today - last).days - self.rng.randint(0, 45)
        if due is None:  # no running deadline (postponed): the end must be past, and recent unless lenient
            if last <= today and (not target.strict_late or (today - last).days <= 400):
                return None
            return (today - timedelta(days=self.rng.randint(0, 365)) - last).days
        if target.overdue:
            late = (today - due).days
            if last <= today and late > 0 and (not target.strict_late or late <= 90):
                return None
            return (today - timedelta(days=self.rng.randint(3, 90)) - due).days
        if last <= today <= due:
            return None
        return (today - timedelta(days=self.rng.randint(0, max(0, (due - last).days))) - last).days

    def _follow_up(self, plan: _Plan) -> _Plan | None:
        """The dossier opened after a relapse: same person and commune, run up to today wherever it gets."""
        start = plan.last + timedelta(days=self.rng.randint(1, 20))
        regime = next((self.rt.regimes[r] for r, (lo, hi) in self.windows.items() if lo <= start <= hi), None)
        if regime is None:
            return None
        for _ in range(ATTEMPTS):
            case = self._case(self._random_target(regime, 1), previous=plan, start=start)
            follow = self._simulate(case, start, truncate=True) if case else None
            if follow is not None:
                return follow
        return None

    # ------------------------------------------------------------------------- simulating a timeline

    def _simulate(self, case: _Case, start: date, *, truncate: bool = False) -> _Plan | None:
        """Every step's date, actor and payload, as pure arithmetic and guard checks (no database)."""
        rng = random.Random(case.seed)
        birth = case.person.born(start)
        opener = self._actor([AgencyType(t) for t in OPENERS], case, None, start, rng.random())
        if opener is None or _track(birth, start) is not case.track:
            return None
        plan = _Plan(case, start, opener, self._opening_data(case, start, birth), case.initial, start)
        data, plan.docs = plan.data, _documents(plan.data)
        due = self._due(case, plan.state, data, start, None)
        ctx: dict[str, date] = {}
        for step in case.path:
            planned = self._plan_step(plan, step, due, rng, ctx)
            if planned is None or planned.actor is None or planned.on > self.today and truncate:
                if truncate:
                    break
                return None
            cp = clean(step, planned.payload, planned.on)
            plan.data = _merge(plan.data, cp, step, cp.document.date if cp.document else (cp.on or planned.on))
            plan.docs = _documents(plan.data)
            if step.event is Event.REPORT_ABSCONDING:
                ctx["absconded_on"] = planned.on
            plan.steps.append(planned)
            plan.state, plan.last = step.dest, planned.on
            due = self._due(case, plan.state, plan.data, planned.on, step)
        plan.due = due
        return plan

    def _opening_data(self, case: _Case, start: date, birth: date) -> dict[str, Any]:
        """The dossier data `open_dossier` stores, with the earlier episodes it counts for the person."""
        kind = START_DOCUMENT.get(case.initial, Doc.VIOLATION_RECORD.value)
        data: dict[str, Any] = {
            **_opening_facts(case, start),
            "birth_date": birth.isoformat(),
            "nationality": "VN",
            "sex": case.person.sex,
            "prior_episodes": _episodes(case.previous),
            "documents": {
                kind: {"type": kind, "number": PLACEHOLDER, "date": start.isoformat(), "issuer": "", "signer": ""}
            },
        }
        data["violation_on" if kind == Doc.VIOLATION_RECORD.value else "management_started_on"] = start.isoformat()
        return data

    def _plan_step(
        self, plan: _Plan, step: Step, due: date | None, rng: random.Random, ctx: dict[str, date]
    ) -> _Planned | None:
        case = plan.case
        choices = {name: self._draw(name, kind, case, step, plan.data, rng) for name, kind in step.fields.items()}
        choices["_session_wd"], choices["_att"] = rng.randint(2, 5), (rng.randint(1, 3), rng.randint(0, 2))
        pref, jitter = rng.random(), rng.choice((0, 0, 0, 1, 2))
        natural = self._natural(plan.state, plan.last, due, plan.data, rng)
        attach = any(
            r.code.startswith("documents.") for r in self._refused(plan, step, natural, choices, ctx, attach=False)
        )
        self._repair(plan, step, natural, choices, ctx, attach)

        def allowed(day: date) -> bool:
            return not self._refused(plan, step, day, choices, ctx, attach)

        on = _first_allowed(allowed, natural)
        if on is None:
            return None
        if on > natural and jitter and allowed(moved := self.calendar.next_working_day(on + timedelta(jitter))):
            on = moved
        actor = self._actor(list(step.actors), case, plan.state, on, pref)
        return _Planned(step, on, actor, self._payload(plan, step, on, choices, ctx, attach, actor))

    def _repair(
        self, plan: _Plan, step: Step, on: date, choices: dict[str, Any], ctx: Mapping[str, date], attach: bool
    ) -> None:
        """Where a field has alternatives (a term, a kind of facility), keep the one the guards refuse least."""
        if not self._refused(plan, step, on, choices, ctx, attach):
            return
        for name, kind in step.fields.items():
            options = _alternatives(name, kind, plan.case, choices[name])
            if len(options) > 1:
                choices[name] = min(
                    options, key=lambda v: len(self._refused(plan, step, on, {**choices, name: v}, ctx, attach))
                )

    def _natural(self, state: State, day: date, due: date | None, data: Mapping[str, Any], rng: random.Random) -> date:
        """When the agency would act if no guard made it wait: a share of the stage's own deadline."""
        u = rng.random()
        if state in FIXED_DWELL:
            lo, hi = FIXED_DWELL[state]
            days = lo + int(u * (hi - lo + 1))
        elif due is not None:
            lo_share, hi_share = QUICK_STATES.get(state, (0.05, 0.85))
            days = round((lo_share + u * (hi_share - lo_share)) * max(0, (due - day).days))
        else:
            days = 2 + int(u * 18)
        natural = day + timedelta(days=days)
        if state is State.SESSION_SCHEDULED and data.get("session_on"):
            natural = max(natural, date.fromisoformat(str(data["session_on"])))
        return self.calendar.next_working_day(natural)

    def _refused(
        self, plan: _Plan, step: Step, on: date, choices: Mapping[str, Any], ctx: Mapping[str, date], attach: bool
    ) -> list[Refused]:
        """The guards' refusals on `on`, computed as the engine computes them."""
        try:
            cp = clean(step, self._payload(plan, step, on, choices, ctx, attach, None), on)
        except WorkflowError as err:
            return [Refused("payload.invalid", str(err), str(err), "")]
        case = plan.case
        facts = DossierFacts(
            case.regime,
            case.track,
            plan.state.value,
            self.calendar,
            plan.data,
            {**plan.docs, **{d.type: d for d in cp.attachments}},
            dict(cp.facts),
            cp.document,
        )
        return [v for guard in step.guards if isinstance(v := guard(facts, on), Refused)]

    def _due(self, case: _Case, state: State, data: Mapping[str, Any], day: date, step: Step | None) -> date | None:
        """The earliest deadline the engine opens on entering `state` (None: none, or the clock is paused)."""
        stage = case.regime.stages[state]
        specs = [*stage.deadlines, *(step.opens if step else ())]
        if stage.final or stage.clock_paused or not specs:
            return None
        now = datetime.combine(day, time(10), tzinfo=self.tz)
        dues: list[date] = [
            plan_deadline(self.policy, case.regime, stage, s, track=case.track, data=data, legal_date=day, now=now)[
                "due_on"
            ]
            for s in specs
        ]
        return min(dues)

    # ------------------------------------------------------------------------- actors and payloads

    def _actor(self, types: list[AgencyType], case: _Case, state: State | None, on: date, pref: float) -> Actor | None:
        """The agency of an allowed type serving the commune that day; the stage's own agency first."""
        first = case.regime.stages[state].agency if state else None
        if AgencyType.PERSON in types:
            first = AgencyType.PERSON if pref < 0.7 else AgencyType.PROCURACY
        ordered = sorted(types, key=lambda t: t is not first)
        for kind in ordered:
            if kind is AgencyType.PERSON:
                return PERSON_ACTOR
            agency = self.directory.resolve(kind.value, case.commune, on)
            if agency is not None:
                return Actor(self.users.get(agency, "admin"), agency, ROLES.get(kind.value, "staff"))
        return None

    def _payload(
        self,
        plan: _Plan,
        step: Step,
        on: date,
        choices: Mapping[str, Any],
        ctx: Mapping[str, date],
        attach: bool,
        actor: Actor | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = (
            {"document": {"number": PLACEHOLDER, "date": on.isoformat()}} if step.produces else {"on": on.isoformat()}
        )
        if attach:
            payload["attachments"] = self._attachments(plan, on, choices["_att"])
        for name, kind in step.fields.items():
            payload[name] = self._value(name, kind, plan, on, choices, ctx, actor)
        return payload

    def _attachments(self, plan: _Plan, on: date, back: tuple[int, int]) -> list[dict[str, str]]:
        dated = {
            Doc.CV: on - timedelta(days=back[0]),
            Doc.STATEMENT: on - timedelta(days=back[1]),
            Doc.COMPILER_PROPOSAL: on,
        }
        wanted = list(COMPILED_DOCUMENTS)
        if not plan.case.person.stable_residence:
            wanted.append(Doc.RESIDENCE_CONFIRMATION)
            dated[Doc.RESIDENCE_CONFIRMATION] = on - timedelta(days=back[0] + 1)
        have = plan.data.get("documents", {})
        return [
            {"type": d.value, "number": PLACEHOLDER, "date": max(plan.start, dated[d]).isoformat()}
            for d in wanted
            if d.value not in have
        ]

    def _value(
        self,
        name: str,
        kind: type,
        plan: _Plan,
        on: date,
        choices: Mapping[str, Any],
        ctx: Mapping[str, date],
        actor: Actor | None,
    ) -> Any:
        if name == "session_on":
            return self.calendar.add_working_days(on, int(choices["_session_wd"])).isoformat()
        if name == "days_absconded":
            return max(0, (on - ctx.get("absconded_on", on)).days)
        if name == "days_held_pending":
            return min(int(choices[name]), max(0, (on - plan.start).days))
        if name == "facility_name":
            agency = self.directory.resolve(AgencyType.FACILITY.value, plan.case.commune, on)
            return self.directory.name(agency) if agency else "Cơ sở cai nghiện ma túy tỉnh Điện Biên"
        if name == "complainant":
            agency_id = actor.agency_id if actor else None
            return self.directory.name(agency_id) if agency_id else "Người bị đề nghị"
        if kind is date:
            return on.isoformat()
        return choices[name]

    def _draw(self, name: str, kind: type, case: _Case, step: Step, data: Mapping[str, Any], rng: random.Random) -> Any:
        """A step field's value, chosen once per step (dates and derived values come later)."""
        if step.when is not None and step.when[0] == name:
            return step.when[1]
        if name == "grounds":
            return self._grounds(case, rng)
        if name == "term_months":
            return _term(case, data, rng)
        if name in ("ground", "reason", "reasons"):
            return _text(name, case, step, rng)
        if name == "complicated":
            return rng.random() < 0.1
        if name == "days_held_pending":
            return 0 if rng.random() < 0.7 else rng.randint(3, 30)
        if name == "new_commune":
            return rng.choice([c[0] for c in self.communes if c[0] != case.commune])
        if name in FIELD_CHOICES:
            return FIELD_CHOICES[name][0]
        return {bool: False, int: 0, str: "Theo hồ sơ"}.get(kind)

    def _grounds(self, case: _Case, rng: random.Random) -> str:
        if case.previous is not None and case.track is Track.ADULT:
            return "relapse_in_post_rehab"
        return str(_weighted(rng, [g for g, _ in GROUNDS], [w for _, w in GROUNDS]))

    # ------------------------------------------------------------------------- execution through the engine

    def execute(self, plans: list[_Plan]) -> None:
        for plan in sorted(plans, key=lambda p: p.start):
            self._execute(plan)

    def _execute(self, plan: _Plan) -> None:
        case, moments = plan.case, _Moments(self.tz, random.Random(plan.case.seed))
        person = case.person
        self._now = moments.on(plan.start)
        try:
            opened = self.rt.engine.open_dossier(
                person={
                    "full_name": person.full_name,
                    "id_number": person.id_number,
                    "birth_date": person.born(plan.start).isoformat(),
                    "sex": person.sex,
                    "nationality": "VN",
                    "address": person.address,
                },
                commune_code=case.commune,
                violation=self._opening_document(plan),
                actor=plan.opener,
                facts=_opening_facts(case, plan.start),
                previous_dossier_id=case.previous.dossier_id if case.previous else None,
                **({} if case.initial is case.regime.initial_states[0] else {"start_state": case.initial.value}),
            )
        except WorkflowError as err:
            self._failed(err, case, "open_dossier", plan.start)
            return
        plan.dossier_id = opened.dossier_id
        self.report.relapses += case.previous is not None
        for planned in plan.steps:
            self._now = moments.on(planned.on)
            assert planned.actor is not None and opened.dossier_id is not None
            try:
                self.rt.engine.fire(
                    opened.dossier_id, planned.step.event.value, planned.actor, self._numbered(planned, case)
                )
            except WorkflowError as err:
                self._failed(err, case, planned.step.name, planned.on, opened.code)
                return
            self.report.steps += 1

    def _opening_document(self, plan: _Plan) -> dict[str, str]:
        kind = START_DOCUMENT.get(plan.case.initial, Doc.VIOLATION_RECORD.value)
        return {"type": kind, **self._document(kind, plan.opener, plan.start, plan.case)}

    def _failed(self, err: WorkflowError, case: _Case, step: str, on: date, code: str = "") -> None:
        refused = isinstance(err, StepRefused)
        self.report.refused += refused
        self.report.failed += not refused
        codes = [r["code"] for r in err.result.refusals] if isinstance(err, StepRefused) else []
        log.warning(
            "demo.step_refused" if refused else "demo.step_failed",
            dossier=code,
            regime=case.regime.id,
            target=case.target.label,
            step=step,
            on=on.isoformat(),
            codes=codes,
            error=str(err),
        )

    def _numbered(self, planned: _Planned, case: _Case) -> dict[str, Any]:
        """The planned payload with real document numbers, issuers and signers."""
        payload = dict(planned.payload)
        actor = planned.actor or PERSON_ACTOR
        if "document" in payload and planned.step.produces is not None:
            payload["document"] = self._document(planned.step.produces.value, actor, planned.on, case)
        if "attachments" in payload:
            payload["attachments"] = [
                {
                    "type": a["type"],
                    **self._document(
                        a["type"],
                        PERSON_ACTOR if a["type"] == Doc.STATEMENT.value else actor,
                        date.fromisoformat(a["date"]),
                        case,
                    ),
                }
                for a in payload["attachments"]
            ]
        return payload

    def _document(self, doc_type: str, actor: Actor, on: date, case: _Case) -> dict[str, str]:
        issuer = actor.agency_id or "person"
        key = (issuer, doc_type, on.year)
        self.numbers[key] = self.numbers.get(key, self.rng.randint(1, 40)) + self.rng.randint(1, 3)
        if actor.agency_id is None:
            name = signer = case.person.full_name
        else:
            name = self.directory.name(actor.agency_id)
            signer = self.signers.setdefault(actor.agency_id, self._person(case.commune, False).full_name)
        return {
            "number": f"{self.numbers[key]}/{DOC_SUFFIX.get(doc_type, 'VB')}",
            "date": on.isoformat(),
            "issuer": name,
            "signer": signer,
        }

    def summarise(self) -> None:
        with self.rt.db.connect() as conn:
            rows = conn.execute(select(DOSSIER.c.regime, DOSSIER.c.state, DOSSIER.c.closing_reason)).all()
            self.report.overdue = conn.execute(
                select(func.count(distinct(DEADLINE.c.dossier_id))).where(
                    DEADLINE.c.closed_at.is_(None), DEADLINE.c.paused_at.is_(None), DEADLINE.c.due_on < self.today
                )
            ).scalar_one()
        report = self.report
        report.dossiers = len(rows)
        report.by_regime = dict(Counter(r.regime for r in rows))
        report.by_state = dict(Counter(r.state for r in rows))
        report.closing_reasons = dict(Counter(r.closing_reason for r in rows if r.closing_reason))
        for r in rows:
            report.by_regime_state.setdefault(r.regime, {}).setdefault(r.state, 0)
            report.by_regime_state[r.regime][r.state] += 1


# ----------------------------------------------------------------------------- small helpers


class _Moments:
    """Clock times for one dossier: office hours on each legal date, always moving forward."""

    def __init__(self, tz: Any, rng: random.Random) -> None:
        self.tz, self.rng = tz, rng
        self.last: datetime | None = None

    def on(self, day: date) -> datetime:
        last = self.last
        if last is None or day > last.date():
            moment = datetime.combine(day, time(7, 30), tzinfo=self.tz) + timedelta(minutes=self.rng.randint(0, 420))
        else:
            moment = min(
                last + timedelta(minutes=self.rng.randint(3, 40)), datetime.combine(day, time(23, 59), tzinfo=self.tz)
            )
            moment = max(moment, last + timedelta(microseconds=1))
        self.last = moment
        return moment


def _first_allowed(allowed: Callable[[date], bool], start: date) -> date | None:
    """The first day from `start` on which the guards allow the step (they only ever start allowing)."""
    if allowed(start):
        return start
    lo, gap = start, 1
    while True:
        if gap > MAX_WAIT_DAYS:
            return None
        hi = start + timedelta(days=gap)
        if allowed(hi):
            break
        lo, gap = hi, gap * 2
    while (hi - lo).days > 1:
        mid = lo + timedelta(days=(hi - lo).days // 2)
        if allowed(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _opening_facts(case: _Case, start: date) -> dict[str, Any]:
    facts: dict[str, Any] = {"stable_residence": case.person.stable_residence}
    if case.initial is State.DRUG_USER_MANAGEMENT:  # decided the day of the positive test (within 24 hours)
        facts["positive_test_on"] = start.isoformat()
    return facts


def _episodes(previous: _Plan | None) -> int:
    """Earlier dossiers of the person that reached the facility, as `open_dossier` counts them."""
    count = 0
    while previous is not None:
        count += any(p.step.dest is State.IN_FACILITY for p in previous.steps)
        previous = previous.case.previous
    return count


def _alternatives(name: str, kind: type, case: _Case, drawn: Any) -> list[Any]:
    """Other values worth trying for a field: the regime's own limits for '<x>_months', or listed choices."""
    if kind is int and name.endswith("_months"):
        stem = name.removesuffix("_months") + "."
        bases = {r.removesuffix(".minor").removesuffix(".adult") for r in case.regime.rules if r.startswith(stem)}
        values = sorted({case.regime.rule(b, case.track).value for b in bases})
        spread = list(range(values[0], values[-1] + 1)) if len(values) > 1 else []
        return [drawn, *values, *spread]
    return [drawn, *FIELD_CHOICES.get(name, ())]


def _track(birth: date, violation_on: date) -> Track:
    return Track.ADULT if age_on(birth, violation_on) >= 18 else Track.MINOR


def _term(case: _Case, data: Mapping[str, Any], rng: random.Random) -> int:
    try:
        lo = case.regime.rule("term.min", case.track).value
        hi = case.regime.rule("term.max", case.track).value
    except KeyError:
        return 12
    current = data.get("term_months")
    usual = [m for m in (6, 9, 12, 18, 24) if lo <= m <= hi and m != current] or [m for m in range(lo, hi + 1)]
    return rng.choice(usual) if rng.random() < 0.8 else rng.randint(lo, hi)


def _text(name: str, case: _Case, step: Step, rng: random.Random) -> str:
    """A ground (postpone/exempt), a closing reason, or the reasons for returning a dossier."""
    if name == "reasons":
        return rng.choice(RETURN_REASONS)
    if name == "ground":
        if step.event is Event.POSTPONE:
            return rng.choice(sorted(POSTPONEMENT_GROUNDS))
        grounds = sorted(EXEMPTION_GROUNDS - ({"pregnant"} if case.person.sex == "male" else set()))
        return rng.choice(grounds)
    if step.closing_reason is ClosingReason.NOT_ELIGIBLE and case.person.sex == "female":
        return PREGNANT
    return rng.choice(
        REASONS.get(step.closing_reason or ClosingReason.DISCONTINUED, REASONS[ClosingReason.DISCONTINUED])
    )


def _closings(regime: Regime) -> list[Step]:
    final = set(regime.final_states)
    seen: dict[str, Step] = {}
    for step in regime.steps:
        if step.dest in final:
            seen.setdefault(step.name, step)
    return list(seen.values())


def _interleave(lists: Sequence[Sequence[_Target]]) -> list[list[_Target]]:
    longest = max((len(x) for x in lists), default=0)
    return [[x[i] for x in lists if i < len(x)] for i in range(longest)]


def _username(agency: AgencyRow, taken: set[str]) -> str:
    """'cax.quaicang', 'ldtbxh.tuangiao', 'toa.dienbien': the agency type's prefix and the area's name."""
    prefix = USER_PREFIX.get(agency.type, agency.type.replace("_", ""))
    base = f"{prefix}.{agency.area_code.rsplit('.', 1)[-1].replace('-', '')}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def _user_row(username: str, agency_id: str | None, role: str, display: str) -> dict[str, Any]:
    return {
        "username": username,
        "agency_id": agency_id,
        "role": role,
        "display_name": display,
        "password_hash": hash_password(DEMO_PASSWORD, iterations=DEMO_ITERATIONS),
    }


__all__ = ["DEMO_PASSWORD", "DemoReport", "build_demo"]
