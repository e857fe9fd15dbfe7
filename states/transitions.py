"""Transitional rules: a later law reaching into dossiers that keep an earlier regime.

Law 120/2025/QH15, art. 56 ◻: a person in rehab before 01/07/2026 finishes the term under the old rules,
then gets post-rehab management under the new law. As data: regimes vn-2021 and vn-2025 carry the new
law's post-rehab durations as rules `post_rehab.duration_2026[.minor]` (copied from vn-2026, so a value
corrected for vn-2026 in config follows), and a `RuleSwitch` reads them instead of their own
`post_rehab.duration` when the completion certificate is dated on or after the day the new law starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from states.model import Doc, Regime, Rule, RuleSwitch, Status, Track

NEW_LAW = "vn-2026"
REACHES_BACK_TO = ("vn-2021", "vn-2025")
RULES_REACHED = ("post_rehab.duration",)
SUFFIX = "_2026"
BASIS = "Luật PCMT 120/2025/QH15, Điều 56 (chuyển tiếp ◻)"


def _copied(rule: Rule, new_id: str) -> Rule:
    status = Status.UNCONFIRMED if rule.status is Status.UNCONFIRMED else Status.TO_VERIFY
    return replace(
        rule,
        id=new_id,
        status=status,
        basis=f"{rule.basis}; {BASIS}",
        label_vi=f"{rule.label_vi} — theo luật mới, chấp hành xong từ ngày luật có hiệu lực",
        note="chép từ vn-2026 (sửa giá trị ở vn-2026)",
    )


def reach_back(regime: Regime, new: Regime) -> Regime:
    """`regime` with the new law's post-rehab durations, applying from the new law's first day."""
    rules = dict(regime.rules)
    switches = [s for s in regime.switches if s.rule not in RULES_REACHED]
    for rule_id in RULES_REACHED:
        alias = f"{rule_id}{SUFFIX}"
        for variant in ("", *(f".{t.value}" for t in Track)):
            if f"{rule_id}{variant}" in new.rules:
                rules[f"{alias}{variant}"] = _copied(new.rules[f"{rule_id}{variant}"], f"{alias}{variant}")
        switches.append(RuleSwitch(rule_id, alias, Doc.COMPLETION_CERTIFICATE, new.in_force_from, BASIS))
    return replace(regime, rules=rules, switches=tuple(switches))


def with_transitions(regimes: Mapping[str, Regime]) -> dict[str, Regime]:
    """Every regime the new law reaches back into, linked to the (configured) new law."""
    out = dict(regimes)
    new = out.get(NEW_LAW)
    if new is None:
        return out
    for regime_id in REACHES_BACK_TO:
        if regime_id in out:
            out[regime_id] = reach_back(out[regime_id], new)
    return out
