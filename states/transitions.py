"""Transitional rules: another law reaching into dossiers that keep their regime.

The court ordinance follows the court's acceptance, not the violation (PL 03/2022/UBTVQH15 art. 44(1) ✔):
an adult case accepted before 01/02/2023 stays under PL 09/2014/UBTVQH13 (complaint 3 working days,
provincial court 7 working days), a case accepted from that day follows PL 03/2022. As data: vn-2021 carries
vn-2014's court rules as `<rule>_pl09` (adults, acceptance notice up to 31/01/2023), vn-2014 carries vn-2021's
as `<rule>_pl03` (acceptance notice from 01/02/2023); copied, so a value corrected in one regime follows.

Law 120/2025/QH15, art. 56 ◻: a person in rehab before 01/07/2026 finishes the term under the old rules,
then gets post-rehab management under the new law. As data: regimes vn-2021 and vn-2025 carry the new
law's post-rehab durations as rules `post_rehab.duration_2026[.minor]` (copied from vn-2026, so a value
corrected for vn-2026 in config follows), and a `RuleSwitch` reads them instead of their own
`post_rehab.duration` when the completion certificate is dated on or after the day the new law starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta

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


PL03_FROM = date(2023, 2, 1)
COURT_RULES = ("complaint.period", "complaint.review")
PL03_44 = "Pháp lệnh 03/2022/UBTVQH15, Điều 44 khoản 1 (vụ việc thụ lý từ 01/02/2023)"
PL09_KEPT = "Pháp lệnh 03/2022/UBTVQH15, Điều 44 khoản 1 (vụ việc thụ lý trước 01/02/2023 theo Pháp lệnh 09/2014)"


def _court_rule(rule: Rule, new_id: str, when_vi: str, source: str) -> Rule:
    return replace(
        rule,
        id=new_id,
        label_vi=f"{rule.label_vi} — {when_vi}",
        label_en=f"{rule.label_en} ({'before' if new_id.endswith('_pl09') else 'from'} 01/02/2023 acceptance)",
        note=f"chép từ {source} (sửa giá trị ở {source})",
    )


def court_ordinance(regimes: Mapping[str, Regime]) -> dict[str, Regime]:
    """vn-2021 adult cases accepted before 01/02/2023 read PL 09/2014's limits; vn-2014 cases accepted later
    read PL 03/2022's."""
    out = dict(regimes)
    old, new = out.get("vn-2014"), out.get("vn-2021")
    if old is None or new is None:
        return out
    pairs = (
        (new, old, "_pl09", "vụ việc thụ lý trước 01/02/2023 (Pháp lệnh 09/2014)", PL09_KEPT),
        (old, new, "_pl03", "vụ việc thụ lý từ 01/02/2023 (Pháp lệnh 03/2022)", PL03_44),
    )
    for target, source, suffix, when_vi, basis in pairs:
        rules = dict(target.rules)
        switches = [s for s in target.switches if s.rule not in COURT_RULES]
        for rule_id in COURT_RULES:
            rules[f"{rule_id}{suffix}"] = _court_rule(source.rules[rule_id], f"{rule_id}{suffix}", when_vi, source.id)
            if suffix == "_pl09":
                until = PL03_FROM - timedelta(days=1)
                switch = RuleSwitch(
                    rule_id,
                    f"{rule_id}{suffix}",
                    Doc.ACCEPTANCE_NOTICE,
                    target.in_force_from,
                    basis,
                    until,
                    (Track.ADULT,),
                )
            else:
                switch = RuleSwitch(rule_id, f"{rule_id}{suffix}", Doc.ACCEPTANCE_NOTICE, PL03_FROM, basis)
            switches.append(switch)
        out[target.id] = replace(target, rules=rules, switches=tuple(switches))
    return out


def with_transitions(regimes: Mapping[str, Regime]) -> dict[str, Regime]:
    """Every regime another law reaches into: the court ordinance by acceptance date, and the new drug law."""
    out = court_ordinance(regimes)
    new = out.get(NEW_LAW)
    if new is None:
        return out
    for regime_id in REACHES_BACK_TO:
        if regime_id in out:
            out[regime_id] = reach_back(out[regime_id], new)
    return out
