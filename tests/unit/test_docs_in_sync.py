"""The committed documents say what `states/` defines: regenerate them with `uv run python -m states.docs`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from states.docs import (
    DIAGRAM_END,
    DIAGRAM_START,
    REGENERATE,
    expected_files,
    has_diagram_markers,
    mermaid,
    readme_diagram_block,
    sync_readme,
)
from states.model import AgencyType, Doc, Regime, State
from states.registry import all_regimes

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = expected_files()
REGIMES = all_regimes()


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_committed_document_matches_the_process_definition(relative: str) -> None:
    path = ROOT / relative
    committed = path.read_text(encoding="utf-8") if path.exists() else ""

    assert committed == EXPECTED[relative], f"{relative} is out of date: run `{REGENERATE}` and commit the result"


def test_readme_diagram_is_the_generated_one() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    assert has_diagram_markers(text), f"README.md needs the {DIAGRAM_START} … {DIAGRAM_END} markers"

    assert sync_readme(text) == text, f"README.md's diagram is out of date: run `{REGENERATE}`"


class TestReadmeBlock:
    README = f"# Title\n\nIntro.\n\n{DIAGRAM_START}\nold diagram\n{DIAGRAM_END}\n\n## Next\n"

    def test_replaces_only_the_text_between_the_markers(self) -> None:
        synced = sync_readme(self.README, REGIMES[-1])

        assert synced.startswith(f"# Title\n\nIntro.\n\n{DIAGRAM_START}\n```mermaid\nstateDiagram-v2\n")
        assert synced.endswith(f"```\n{DIAGRAM_END}\n\n## Next\n")
        assert "old diagram" not in synced

    def test_syncing_twice_changes_nothing(self) -> None:
        once = sync_readme(self.README)

        assert sync_readme(once) == once

    def test_shows_the_newest_regime_by_default(self) -> None:
        newest = max(REGIMES, key=lambda r: r.in_force_from)

        assert readme_diagram_block(newest) in sync_readme(self.README)

    @pytest.mark.parametrize(
        "text",
        [
            "no markers",
            f"only the start {DIAGRAM_START}",
            f"{DIAGRAM_END} end before start {DIAGRAM_START}",
        ],
        ids=["none", "start-only", "reversed"],
    )
    def test_refuses_a_readme_without_both_markers_in_order(self, text: str) -> None:
        with pytest.raises(ValueError, match="markers"):
            sync_readme(text)


STATE_LINE = re.compile(r'^    state "([^"]+)" as ([a-z_]+)$')
EDGE_LINE = re.compile(r"^    (\[\*\]|[a-z_]+) --> (\[\*\]|[a-z_]+)(?: : ([a-z_, ()/]+))?$")


@pytest.mark.parametrize("regime", REGIMES, ids=[r.id for r in REGIMES])
class TestMermaid:
    def test_every_line_is_a_state_declaration_or_an_arrow(self, regime: Regime) -> None:
        first, *lines = mermaid(regime).splitlines()

        assert first == "stateDiagram-v2"
        assert [line for line in lines if not (STATE_LINE.match(line) or EDGE_LINE.match(line))] == []

    def test_declares_every_state_once_with_a_label_free_of_mermaid_syntax(self, regime: Regime) -> None:
        declared = [m.groups() for line in mermaid(regime).splitlines() if (m := STATE_LINE.match(line))]

        assert sorted(state for _, state in declared) == sorted(s.value for s in regime.stages)
        assert [label for label, _ in declared if set(label) & set(':;#<>{}"')] == []

    def test_arrows_are_exactly_the_steps_plus_start_and_end(self, regime: Regime) -> None:
        arrows = {m.groups()[:2] for line in mermaid(regime).splitlines() if (m := EDGE_LINE.match(line))}

        expected = {(s.value, step.dest.value) for step in regime.steps for s in step.sources}
        expected |= {("[*]", s.value) for s in regime.initial_states}
        expected |= {(s.value, "[*]") for s in regime.final_states}
        assert arrows == expected

    def test_every_trigger_labels_an_arrow(self, regime: Regime) -> None:
        labels = {
            label.split(" (")[0]
            for line in mermaid(regime).splitlines()
            if (m := EDGE_LINE.match(line)) and m.group(3)
            for label in m.group(3).split(", ")
        }

        assert labels == {step.trigger for step in regime.steps}


class TestGlossary:
    TEXT = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")

    @pytest.mark.parametrize("kind", [State, AgencyType, Doc], ids=["states", "agencies", "documents"])
    def test_names_every_value_of_the_model(self, kind: type[State] | type[AgencyType] | type[Doc]) -> None:
        missing = [member.value for member in kind if f"`{member.value}`" not in self.TEXT]

        assert missing == [], "add these to docs/glossary.md (Vietnamese term → English name)"

    def test_fixes_the_house_style_words(self) -> None:
        for vietnamese, english in [
            ("hồ sơ", "dossier"),
            ("biên bản vi phạm", "violation record"),
            ("xác định tình trạng nghiện", "addiction determination"),
            ("kiểm tra tính pháp lý", "legal check"),
            ("thẩm định", "labour review"),
            ("quyết định của Tòa án", "court decision"),
            ("bỏ trốn", "absconding"),
            ("truy tìm", "search"),
            ("quản lý sau cai nghiện", "post-rehab supervision"),
            ("cơ quan", "agency"),
        ]:
            assert re.search(rf"^\| {re.escape(vietnamese)}.*\| \*\*{re.escape(english)}\*\*", self.TEXT, re.M), (
                vietnamese
            )
