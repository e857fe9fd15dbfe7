"""Documents generated from the process definition: diagrams, the legal-rules table, the README block.

Pure text functions of the regimes; only `write_docs` and `main` touch files. Regenerate with
`uv run python -m states.docs`; `tests/unit/test_docs_in_sync.py` fails when a committed file is stale.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from handlers.labels import doc_label_vi
from states.applied import Usage, applied
from states.model import STATUS_MARK, UNIT_VI, AgencyType, DeadlineSpec, Regime, Rule, Stage, State, Status, Step, Track
from states.registry import all_regimes

REGENERATE = "uv run python -m states.docs"
DIAGRAM_START = "<!-- diagram:start -->"
DIAGRAM_END = "<!-- diagram:end -->"
GENERATED_NOTE = f"<!-- Sinh tự động từ states/ bằng `{REGENERATE}`; không sửa tay. Generated: do not edit. -->"

AGENCY_VI: dict[AgencyType, str] = {
    AgencyType.COMMUNE_POLICE: "Công an cấp xã",
    AgencyType.COMMUNE_COMMITTEE: "UBND cấp xã",
    AgencyType.HEALTH_FACILITY: "Cơ sở y tế xác định tình trạng nghiện",
    AgencyType.JUSTICE_OFFICE: "Phòng Tư pháp cấp huyện",
    AgencyType.LABOUR_OFFICE: "Phòng LĐTBXH cấp huyện",
    AgencyType.DISTRICT_COURT: "Tòa án nhân dân cấp huyện",
    AgencyType.REGIONAL_COURT: "Tòa án nhân dân khu vực",
    AgencyType.PROVINCIAL_COURT: "Tòa án nhân dân cấp tỉnh",
    AgencyType.PROCURACY: "Viện kiểm sát nhân dân",
    AgencyType.DISTRICT_POLICE: "Công an cấp huyện",
    AgencyType.PROVINCIAL_POLICE: "Công an cấp tỉnh",
    AgencyType.FACILITY: "Cơ sở cai nghiện bắt buộc",
    AgencyType.DISTRICT_COMMITTEE: "UBND cấp huyện",
    AgencyType.PROVINCIAL_COMMITTEE: "UBND cấp tỉnh",
    AgencyType.PERSON: "Người bị đề nghị hoặc người đại diện",
}
TRACK_VI = {Track.ADULT: "người thành niên", Track.MINOR: "người chưa thành niên"}
STATUS_VI = {
    Status.CONFIRMED: "đã đối chiếu văn bản (confirmed)",
    Status.TO_VERIFY: "cách hiểu tốt nhất, cần xác minh (to verify)",
    Status.UNCONFIRMED: "chưa xác nhận, giá trị cấu hình (unconfirmed)",
}
# Characters Mermaid reads as syntax inside a label, and their harmless stand-ins.
_MERMAID_UNSAFE = str.maketrans({":": " -", ";": ",", '"': "'", "#": "số ", "<": "‹", ">": "›", "{": "(", "}": ")"})


def ordered(regimes: Iterable[Regime]) -> tuple[Regime, ...]:
    """Regimes oldest first (by the first violation date they apply to)."""
    return tuple(sorted(regimes, key=lambda r: (r.in_force_from, r.id)))


def stages_in_order(regime: Regime) -> list[Stage]:
    """The regime's stages in process order (the order of `State`), whatever order `revise` added them in."""
    position = {state: i for i, state in enumerate(State)}
    return sorted(regime.stages.values(), key=lambda stage: position[stage.state])


# --------------------------------------------------------------------------- Mermaid


def _mermaid_text(text: str) -> str:
    return " ".join(text.translate(_MERMAID_UNSAFE).split())


def _edge_label(step: Step) -> str:
    if set(step.tracks) == set(Track):
        return step.trigger
    return f"{step.trigger} ({'/'.join(t.value for t in step.tracks)} only)"


def _edges(regime: Regime) -> dict[tuple[State, State], list[str]]:
    """Triggers per (source, dest), in the order of the stages: one arrow per pair."""
    order = {stage.state: i for i, stage in enumerate(stages_in_order(regime))}
    edges: dict[tuple[State, State], list[str]] = {}
    for step in regime.steps:
        for source in step.sources:
            labels = edges.setdefault((source, step.dest), [])
            if _edge_label(step) not in labels:
                labels.append(_edge_label(step))
    return dict(sorted(edges.items(), key=lambda item: (order[item[0][0]], order[item[0][1]])))


def mermaid(regime: Regime) -> str:
    """The regime as a Mermaid `stateDiagram-v2`: ids are state values, labels Vietnamese, arrows triggers."""
    lines = ["stateDiagram-v2"]
    lines += [f'    state "{_mermaid_text(st.label_vi)}" as {st.state.value}' for st in stages_in_order(regime)]
    lines += [f"    [*] --> {state.value}" for state in regime.initial_states]
    lines += [
        f"    {src.value} --> {dest.value} : {', '.join(labels)}" for (src, dest), labels in _edges(regime).items()
    ]
    lines += [f"    {state.value} --> [*]" for state in regime.final_states]
    return "\n".join(lines) + "\n"


def readme_diagram_block(regime: Regime) -> str:
    """The fenced block README.md shows between its diagram markers."""
    return f"```mermaid\n{mermaid(regime)}```\n"


def has_diagram_markers(readme_text: str) -> bool:
    start = readme_text.find(DIAGRAM_START)
    return start >= 0 and readme_text.find(DIAGRAM_END, start) > start


def sync_readme(readme_text: str, regime: Regime | None = None) -> str:
    """README text with the diagram of `regime` (default: the newest built-in) between the markers."""
    if not has_diagram_markers(readme_text):
        raise ValueError(f"README.md has no {DIAGRAM_START} … {DIAGRAM_END} markers to put the diagram between")
    chosen = regime or ordered(all_regimes())[-1]
    head, rest = readme_text.split(DIAGRAM_START, 1)
    _, tail = rest.split(DIAGRAM_END, 1)
    return f"{head}{DIAGRAM_START}\n{readme_diagram_block(chosen)}{DIAGRAM_END}{tail}"


def process_markdown(regimes: Sequence[Regime]) -> str:
    """docs/process.md: one diagram per regime."""
    out = [
        "# Sơ đồ quy trình (process diagrams)",
        "",
        GENERATED_NOTE,
        "",
        "Mỗi chế độ pháp lý một sơ đồ; mũi tên ghi tên bước (trigger) của máy trạng thái. "
        "Chi tiết thời hạn, căn cứ và điều kiện: [legal-rules.md](legal-rules.md).",
        "",
    ]
    for regime in ordered(regimes):
        out += [
            f"## `{regime.id}`: {regime.label_vi}",
            "",
            f"{_in_force(regime)}. {regime.label_en}.",
            "",
            readme_diagram_block(regime).rstrip("\n"),
            "",
        ]
    return "\n".join(out)


# --------------------------------------------------------------------------- legal rules


def _cell(text: object) -> str:
    return " ".join(str(text).replace("|", "\\|").split()) or "—"


def _row(*cells: object) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    return [_row(*header), "|" + "---|" * len(header), *(_row(*r) for r in rows)]


def _in_force(regime: Regime) -> str:
    until = f"{regime.in_force_to:%d/%m/%Y}" if regime.in_force_to else "nay"
    return f"Áp dụng cho biên bản vi phạm lập từ {regime.in_force_from:%d/%m/%Y} đến {until}"


def value_vi(rule: Rule) -> str:
    return f"{rule.value} {UNIT_VI[rule.unit]}".strip()


def _rule_ref(regime: Regime, rule_id: str) -> str:
    rule = regime.rules.get(rule_id)
    if rule is None:
        return f"`{rule_id}` (không có trong chế độ này)"
    text = f"`{rule_id}` = {value_vi(rule)} {STATUS_MARK[rule.status]}"
    variants = [regime.rules[f"{rule_id}.{t.value}"] for t in Track if f"{rule_id}.{t.value}" in regime.rules]
    extra = "; ".join(
        f"{TRACK_VI[Track(v.id.rsplit('.', 1)[1])]}: {value_vi(v)} {STATUS_MARK[v.status]}" for v in variants
    )
    return f"{text} ({extra})" if extra else text


def agency_vi(regime: Regime, agency: AgencyType) -> str:
    """The agency type's name in the regime (a successor's name after the 2025 reform)."""
    return regime.agency_labels.get(agency) or AGENCY_VI[agency]


def _deadline_vi(regime: Regime, spec: DeadlineSpec) -> str:
    parts = [f"**{spec.key}**: {_rule_ref(regime, spec.rule)}"]
    if spec.length_fact:
        parts[0] += f", độ dài theo dữ kiện `{spec.length_fact}`"
    if spec.plus_rule:
        parts.append(f"rồi {_rule_ref(regime, spec.plus_rule)}")
    start = doc_label_vi(spec.counted_from) if spec.counted_from else "ngày của bước chuyển vào giai đoạn"
    if spec.from_fact:
        start = f"ngày `{spec.from_fact}` khi đã ghi nhận, nếu chưa: {start}"
    parts.append(f"tính từ: {start}")
    if spec.ends:
        parts.append(f"ngày hết hạn do `{spec.ends.__name__}` tính từ toàn bộ hồ sơ (cùng hàm với điều kiện kiểm tra)")
    if spec.remind_before_rule:
        parts.append(f"nhắc trước {_rule_ref(regime, spec.remind_before_rule)}")
    if spec.agency:
        parts.append(f"do {agency_vi(regime, spec.agency)}")
    if spec.spans:
        parts.append("vẫn chạy khi ở: " + ", ".join(f"`{s.value}`" for s in spec.spans))
    if spec.escalate_to:
        parts.append("quá hạn báo: " + ", ".join(agency_vi(regime, a) for a in spec.escalate_to))
    return "; ".join(parts)


def _stage_deadlines(regime: Regime, stage: Stage) -> str:
    if stage.final:
        return "Trạng thái cuối: không có thời hạn"
    if not stage.deadlines:
        return f"Không có thời hạn: {stage.no_deadline_reason or '(chưa nêu lý do)'}"
    return " <br> ".join(_deadline_vi(regime, spec) for spec in stage.deadlines)


def _sources(regime: Regime, step: Step) -> str:
    not_final = [s for s, st in regime.stages.items() if not st.final]
    if len(step.sources) > 1 and set(step.sources) == set(not_final):
        return "mọi trạng thái chưa kết thúc"
    return ", ".join(f"`{s.value}`" for s in step.sources)


def _step_text(step: Step) -> str:
    text = step.label_vi
    if set(step.tracks) != set(Track):
        text += " (chỉ " + ", ".join(TRACK_VI[t] for t in step.tracks) + ")"
    if step.closing_reason:
        text += f"; lý do kết thúc `{step.closing_reason.value}`"
    if step.opens:
        text += "; mở thời hạn " + ", ".join(f"`{spec.key}` ({spec.rule})" for spec in step.opens)
    if step.restarts:
        text += "; tính lại thời hạn " + ", ".join(f"`{key}`" for key in step.restarts)
    return text


def _step_row(regime: Regime, step: Step) -> tuple[str, ...]:
    guards = " <br> ".join(f"`{g.__name__}`" for g in step.guards) or "—"
    produced = f"{doc_label_vi(step.produces)} (`{step.produces.value}`)" if step.produces else "—"
    actors = ", ".join(agency_vi(regime, a) for a in dict.fromkeys(step.actors))
    return (
        f"`{step.name}`",
        _step_text(step),
        _sources(regime, step),
        f"`{step.dest.value}`",
        actors,
        guards,
        produced,
        step.basis,
    )


def _override_example(regimes: Sequence[Regime]) -> tuple[str, Rule] | None:
    """The first rule that is not confirmed, newest regime first: the config.toml example."""
    for regime in reversed(regimes):
        for rule in regime.rules.values():
            if rule.status is not Status.CONFIRMED:
                return regime.id, rule
    return None


def _status_legend(regimes: Sequence[Regime]) -> list[str]:
    overridable = 'Có, theo từng chế độ, trong mục `[rules."<mã chế độ>"]`'
    lines = [
        "## Dấu trạng thái (status marks)",
        "",
        *_table(
            ("Dấu", "Nghĩa", "Sửa trong `config.toml`?"),
            (
                ("✔", STATUS_VI[Status.CONFIRMED], "Không: cấu hình sửa giá trị ✔ bị từ chối"),
                ("◻", STATUS_VI[Status.TO_VERIFY], overridable),
                ("?", STATUS_VI[Status.UNCONFIRMED], overridable),
            ),
        ),
        "",
        'Giá trị ◻ là mặc định có thể sửa theo từng chế độ trong `config.toml`, mục `[rules."<mã chế độ>"]`, '
        "không cần sửa mã nguồn. Giá trị ? là giá trị cấu hình chưa được xác nhận: hệ thống dùng giá trị đang "
        "cấu hình. Mọi từ chối dựa trên giá trị ◻ hoặc ? đều ghi rõ giá trị đó chưa được xác nhận.",
        "",
        '◻ values can be overridden per regime in `config.toml` under `[rules."<regime id>"]`, without a code '
        "change. ? values are unconfirmed configured values: the deployment uses what is configured. A refusal "
        "that relies on a ◻ or ? value says the value is not confirmed. ✔ values cannot be overridden.",
    ]
    example = _override_example(regimes)
    if example is not None:
        regime_id, rule = example
        lines += ["", "```toml", f'[rules."{regime_id}"]', f'"{rule.id}" = {rule.value}  # {rule.label_vi}', "```"]
    return lines


def _side_by_side(regimes: Sequence[Regime]) -> list[str]:
    ids = list(dict.fromkeys(rule_id for regime in regimes for rule_id in regime.rules))
    uses = {r.id: applied(r) for r in regimes}
    rows = []
    for rule_id in ids:
        defined = [r.rules[rule_id] for r in regimes if rule_id in r.rules]
        cells = [
            f"{value_vi(r.rules[rule_id])} {STATUS_MARK[r.rules[rule_id].status]}" if rule_id in r.rules else "—"
            for r in regimes
        ]
        differs = len(defined) != len(regimes) or len({(d.value, d.unit) for d in defined}) > 1
        cells = [
            f"{c} (chưa áp dụng)" if c != "—" and not uses[r.id][rule_id].kind else c
            for r, c in zip(regimes, cells, strict=True)
        ]
        rows.append((f"`{rule_id}`", defined[-1].label_vi, *cells, "≠" if differs else "="))
    header = ("Mã quy tắc", "Nội dung", *(f"`{r.id}`" for r in regimes), "Khác")
    return [
        "## So sánh các chế độ (regimes side by side)",
        "",
        "Mỗi dòng một quy tắc; — là quy tắc không có trong chế độ đó; cột Khác: ≠ khi giá trị khác nhau "
        "hoặc quy tắc thiếu ở một chế độ, = khi cùng giá trị (dấu ✔/◻/? vẫn có thể khác); "
        "(chưa áp dụng): giá trị ghi nhận nhưng không thời hạn hay điều kiện nào của chế độ đó dùng đến.",
        "",
        *_table(header, rows),
    ]


def _switches(regime: Regime) -> list[str]:
    """Rules a later law makes apply to dossiers of this regime, from a date (transitional provisions)."""
    if not regime.switches:
        return []
    rows = (
        (
            f"`{sw.rule}`",
            _rule_ref(regime, sw.use),
            f"{doc_label_vi(sw.after)} (`{sw.after.value}`) lập từ {sw.from_date:%d/%m/%Y}"
            + (f" đến {sw.until:%d/%m/%Y}" if sw.until else "")
            + ("" if set(sw.tracks) == set(Track) else " (chỉ " + ", ".join(TRACK_VI[t] for t in sw.tracks) + ")"),
            sw.basis,
        )
        for sw in regime.switches
    )
    return [
        "",
        f"### Quy định chuyển tiếp của `{regime.id}` (rule switches)",
        "",
        "Khi hồ sơ có văn bản nêu ở cột thứ ba lập từ ngày đó trở đi, quy tắc ở cột đầu được đọc là quy tắc ở cột hai.",
        "",
        *_table(("Quy tắc", "Được thay bằng", "Khi có văn bản", "Căn cứ"), rows),
    ]


def _regime_section(regime: Regime) -> list[str]:
    out = [
        f"## Chế độ `{regime.id}`: {regime.label_vi}",
        "",
        f"- {_in_force(regime)}.",
        f"- Căn cứ: {regime.basis}.",
        f"- English: {regime.label_en}.",
        "- Trạng thái đầu: "
        + ", ".join(f"`{s.value}`" for s in regime.initial_states)
        + "; trạng thái cuối: "
        + ", ".join(f"`{s.value}`" for s in regime.final_states)
        + ".",
    ]
    out += [f"- Ghi chú: {note}" for note in regime.notes]
    uses = applied(regime)
    used = [r for r in regime.rules.values() if uses[r.id].kind]
    unused = [r for r in regime.rules.values() if not uses[r.id].kind]
    out += [
        "",
        f"### Quy tắc của `{regime.id}` (rules)",
        "",
        "Cột Áp dụng ở: thời hạn (giai đoạn hoặc bước mở thời hạn), điều kiện (bước mà điều kiện của nó "
        "dùng quy tắc; `open_dossier` là kiểm tra khi mở hồ sơ), tính từ định nghĩa của chế độ.",
        "",
        *_table(
            ("Mã", "Nội dung", "Giá trị", "Dấu", "Căn cứ", "Áp dụng ở", "Ghi chú"),
            (
                (f"`{r.id}`", r.label_vi, value_vi(r), STATUS_MARK[r.status], r.basis, _where(uses[r.id]), r.note)
                for r in used
            ),
        ),
    ]
    if unused:
        out += [
            "",
            f"#### Giá trị ghi nhận nhưng `{regime.id}` chưa áp dụng (not applied)",
            "",
            "Không thời hạn và không điều kiện nào dùng các giá trị này: hệ thống không cảnh báo, không từ chối "
            "theo chúng.",
            "",
            *_table(
                ("Mã", "Nội dung", "Giá trị", "Dấu", "Căn cứ"),
                ((f"`{r.id}`", r.label_vi, value_vi(r), STATUS_MARK[r.status], r.basis) for r in unused),
            ),
        ]
    out += _switches(regime)
    out += [
        "",
        f"### Giai đoạn của `{regime.id}` (stages)",
        "",
        *_table(
            ("Trạng thái", "Giai đoạn", "Cơ quan chịu trách nhiệm", "Thời hạn"),
            (
                (
                    f"`{st.state.value}`",
                    st.label_vi,
                    agency_vi(regime, st.agency) if st.agency else "—",
                    _stage_deadlines(regime, st),
                )
                for st in stages_in_order(regime)
            ),
        ),
    ]
    out += [
        "",
        f"### Bước của `{regime.id}` (steps)",
        "",
        *_table(
            ("Bước", "Nội dung", "Từ", "Đến", "Chủ thể", "Điều kiện (guards)", "Văn bản tạo ra", "Căn cứ"),
            (_step_row(regime, step) for step in regime.steps),
        ),
    ]
    return out


WHERE_VI = {"deadline": "thời hạn", "guard": "điều kiện", "both": "thời hạn và điều kiện"}


def _where(usage: Usage, shown: int = 4) -> str:
    """'thời hạn: `stage`; điều kiện: `step`, …' (the first few places of each kind)."""

    def names(places: list[str]) -> str:
        more = f" và {len(places) - shown} nơi khác" if len(places) > shown else ""
        return ", ".join(f"`{p}`" for p in places[:shown]) + more

    parts = [f"**{WHERE_VI[usage.kind]}**"]
    if usage.deadlines:
        parts.append("thời hạn: " + names(usage.deadlines))
    if usage.guards:
        parts.append("điều kiện: " + names(usage.guards))
    return "; ".join(parts)


def legal_rules_markdown(regimes: Sequence[Regime]) -> str:
    """docs/legal-rules.md: every rule, stage and step of every regime, for a legal officer."""
    chosen = ordered(regimes)
    out = [
        "# Quy tắc pháp lý theo từng chế độ (legal rules by regime)",
        "",
        GENERATED_NOTE,
        "",
        "Mọi thời hạn, điều kiện và căn cứ của từng chế độ, lấy trực tiếp từ định nghĩa quy trình (`states/`), "
        "kèm nơi hệ thống áp dụng từng quy tắc (thời hạn, điều kiện hay cả hai); giá trị chưa được áp dụng ở đâu "
        "được liệt kê riêng. Hồ sơ theo chế độ có hiệu lực vào ngày lập biên bản vi phạm và giữ chế độ đó đến hết.",
        "",
        *(f"- `{r.id}`: {r.label_vi}. {_in_force(r)}." for r in chosen),
        "",
        *_status_legend(chosen),
        "",
        *_side_by_side(chosen),
    ]
    for regime in chosen:
        out += ["", *_regime_section(regime)]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- files


def expected_files(regimes: Sequence[Regime] | None = None) -> dict[str, str]:
    """Committed path (relative to the repository root) -> its generated text (default: every built-in regime)."""
    chosen = all_regimes() if regimes is None else regimes
    return {"docs/legal-rules.md": legal_rules_markdown(chosen), "docs/process.md": process_markdown(chosen)}


def write_docs(root: Path, regimes: Sequence[Regime] | None = None) -> list[Path]:
    """Write the generated docs under `root`; returns the paths whose content changed."""
    changed = []
    for relative, text in expected_files(regimes).items():
        path = root / relative
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main(root: Path | None = None) -> int:
    """Regenerate docs/ and, when README.md has the markers, its diagram block."""
    base = root or Path(__file__).resolve().parent.parent
    changed = write_docs(base)
    readme = base / "README.md"
    if readme.exists() and has_diagram_markers(text := readme.read_text(encoding="utf-8")):
        if (synced := sync_readme(text)) != text:
            readme.write_text(synced, encoding="utf-8")
            changed.append(readme)
    for path in changed:
        sys.stdout.write(f"wrote {path.relative_to(base)}\n")
    sys.stdout.write("docs up to date\n" if not changed else f"{len(changed)} file(s) regenerated\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
