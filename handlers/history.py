"""The person's history: under Law 120/2025 the term follows earlier rehab episodes (regime vn-2026).

24 months the first time, 36 from the second (art. 29 ◻). Earlier episodes are counted from the
person's other dossiers that reached the facility (`prior_episodes`, given by the system when the
dossier is opened, identifying the person by the hash of their ID number), earlier episodes entered
from paper records (`recorded_episodes`, by kind: compulsory and voluntary count, post-rehab
supervision is not an episode of rehab), plus earlier voluntary rehab stated when opening
(`prior_voluntary_episodes`). Whether minors keep a separate range is unconfirmed.
"""

from __future__ import annotations

from datetime import date

from handlers.facts import DossierFacts
from handlers.periods import _refused, term_within_range
from handlers.verdict import ALLOWED, Verdict

COUNTED_KINDS = ("compulsory", "voluntary")  # of the episodes recorded from paper


def earlier_episodes(facts: DossierFacts) -> int:
    """Compulsory episodes in other dossiers of the person, those recorded from paper, and the voluntary
    episodes stated at opening."""
    recorded = facts.fact("recorded_episodes", {}) or {}
    on_paper = sum(int(recorded.get(kind, 0) or 0) for kind in COUNTED_KINDS)
    return int(facts.fact("prior_episodes", 0) or 0) + int(facts.fact("prior_voluntary_episodes", 0) or 0) + on_paper


def term_for_history(facts: DossierFacts) -> int:
    """The term the law sets for this person: the first-time term, or the repeat term from the second time."""
    rule = facts.rule("term.repeat" if earlier_episodes(facts) else "term.first")
    return rule.value


def term_follows_history(facts: DossierFacts, today: date) -> Verdict:
    """An adult's term is fixed by their history (24 months first, 36 from the second); minors: the range."""
    if facts.track.value == "minor":
        return term_within_range(facts, today)
    earlier = earlier_episodes(facts)
    rule = facts.rule("term.repeat" if earlier else "term.first")
    months = facts.fact("term_months")
    if months == rule.value and not isinstance(months, bool):
        return ALLOWED
    times = "lần đầu" if not earlier else f"lần thứ {earlier + 1}"
    return _refused(
        "decision.term_not_per_history",
        f"Thời hạn cai nghiện bắt buộc {times} là {rule.value} tháng (nhận được: {months}).",
        f"The term for a {'repeat' if earlier else 'first'} episode (earlier episodes: {earlier}) "
        f"is {rule.value} months (got {months}).",
        rule,
    )
