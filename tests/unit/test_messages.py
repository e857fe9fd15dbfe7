"""Messages to agencies: Vietnamese by default, English on request, never a personal ID in a subject."""

from __future__ import annotations

import re

import pytest

from notifications.messages import KINDS, Message, UnknownMessageKind, format_date, render, safe_subject

BASIS = "Nghị định 116/2021/NĐ-CP, Điều 43 khoản 1"


def context(**overrides: object) -> dict[str, object]:
    """A labour-review deadline, two days left, confirmed rule, sent on time."""
    values: dict[str, object] = {
        "dossier_code": "HS-2026-0042",
        "regime": "vn-2021",
        "stage": "labour_review",
        "stage_label_vi": "Phòng LĐTBXH kiểm tra hồ sơ, chuyển Tòa án",
        "stage_label_en": "Labour office review",
        "due_on": "2026-03-12",
        "days_left": 2,
        "rule_label_vi": "Kiểm tra hồ sơ và chuyển Tòa án",
        "rule_label_en": "Check the dossier and send it to the court",
        "basis": BASIS,
        "status_mark": "confirmed",
        "late": False,
        "agency_name": "Phòng LĐTBXH huyện Tuần Giáo",
        "escalated_from": "tuan-giao.labour_office",
        "event": "send_to_court",
        "actor": "ldtbxh.tuangiao",
    }
    return values | overrides


class TestEveryKind:
    @pytest.mark.parametrize("kind", KINDS)
    def test_vietnamese_names_the_dossier_stage_deadline_and_basis(self, kind: str) -> None:
        message = render(kind, context())

        assert isinstance(message, Message)
        assert "HS-2026-0042" in message.subject
        assert "Hồ sơ: HS-2026-0042" in message.body
        assert "Giai đoạn: Phòng LĐTBXH kiểm tra hồ sơ, chuyển Tòa án" in message.body
        assert "Thời hạn: 12/03/2026" in message.body
        assert "Còn 2 ngày đến hạn" in message.body
        assert f"Căn cứ: {BASIS}" in message.body

    @pytest.mark.parametrize("kind", KINDS)
    def test_english_names_the_dossier_stage_deadline_and_basis(self, kind: str) -> None:
        message = render(kind, context(), lang="en")

        assert "HS-2026-0042" in message.subject
        assert "Stage: Labour office review" in message.body
        assert "Deadline: 12/03/2026" in message.body
        assert "2 days left" in message.body
        assert f"Legal basis: {BASIS}" in message.body

    @pytest.mark.parametrize("kind", KINDS)
    def test_renders_with_only_the_kind_known(self, kind: str) -> None:
        message = render(kind, {})

        assert message.subject
        assert "Căn cứ" not in message.body

    @pytest.mark.parametrize("kind", KINDS)
    def test_subject_is_one_line(self, kind: str) -> None:
        assert "\n" not in render(kind, context()).subject


class TestDaysWording:
    def test_overdue_says_by_how_many_days_in_both_languages(self) -> None:
        vi = render("overdue", context(days_left=-3))
        en = render("overdue", context(days_left=-3), lang="en")

        assert vi.subject.startswith("[Quá hạn] Hồ sơ HS-2026-0042: Quá hạn 3 ngày (hạn 12/03/2026)")
        assert "Tình trạng: Quá hạn 3 ngày" in vi.body
        assert "Overdue by 3 days" in en.body

    def test_one_day_overdue_is_singular_in_english(self) -> None:
        assert "Overdue by 1 day\n" in render("overdue", context(days_left=-1), lang="en").body

    def test_due_day_says_today(self) -> None:
        assert "Tình trạng: Đến hạn hôm nay" in render("due", context(days_left=0)).body

    def test_escalation_names_the_agency_that_missed_the_deadline(self) -> None:
        message = render("escalation", context(days_left=-5))

        assert "Quá hạn 5 ngày tại tuan-giao.labour_office" in message.subject
        assert "cơ quan cấp trên" in message.body

    def test_reminder_without_days_left_still_reads(self) -> None:
        message = render("reminder", context(days_left=None))

        assert "sắp đến hạn" in message.subject
        assert "Tình trạng" not in message.body


class TestMarks:
    def test_unconfirmed_rule_is_marked_in_both_languages(self) -> None:
        vi = render("reminder", context(status_mark="unconfirmed"))
        en = render("reminder", context(status_mark="unconfirmed"), lang="en")

        assert "giá trị chưa được xác nhận" in vi.body
        assert "not confirmed yet" in en.body

    def test_rule_to_verify_is_marked(self) -> None:
        assert "cần được kiểm tra lại" in render("due", context(status_mark="to_verify")).body

    def test_confirmed_rule_carries_no_mark(self) -> None:
        body = render("due", context()).body

        assert "xác nhận" not in body
        assert "kiểm tra lại" not in body

    def test_late_alert_is_marked_in_subject_and_body(self) -> None:
        vi = render("overdue", context(late=True, days_left=-1))
        en = render("overdue", context(late=True, days_left=-1), lang="en")

        assert vi.subject.startswith("[Gửi muộn] ")
        assert "gửi muộn do hệ thống gián đoạn" in vi.body
        assert en.subject.startswith("[Sent late] ")
        assert "sent late because the system was interrupted" in en.body

    def test_alert_sent_on_time_is_not_marked_late(self) -> None:
        assert "muộn" not in render("overdue", context(days_left=-1)).body


class TestOtherKinds:
    def test_refusal_names_the_step_and_who_asked(self) -> None:
        message = render("refused", context())

        assert '"send_to_court"' in message.subject
        assert "ldtbxh.tuangiao" in message.body

    def test_reassignment_names_the_new_agency(self) -> None:
        assert "Phòng LĐTBXH huyện Tuần Giáo" in render("reassigned", context()).subject


class TestSubjectsCarryNoPersonalIds:
    @pytest.mark.parametrize(
        "leak", ["001203004567", "012345678", "0012030045671"], ids=["cccd-12", "cmnd-9", "longer"]
    )
    @pytest.mark.parametrize("kind", KINDS)
    def test_strips_long_digit_runs_from_subjects(self, kind: str, leak: str) -> None:
        message = render(kind, context(dossier_code=f"HS-{leak}", agency_name=leak, event=leak))

        assert not re.search(r"\d{9,}", message.subject)

    def test_keeps_short_numbers(self) -> None:
        assert safe_subject("Hồ sơ HS-2026-0042, hạn 12/03/2026") == "Hồ sơ HS-2026-0042, hạn 12/03/2026"

    def test_joins_lines(self) -> None:
        assert safe_subject("a\r\nBcc: x@example.org") == "a Bcc: x@example.org"


class TestDates:
    @pytest.mark.parametrize(
        ("value", "shown"),
        [("2026-03-12", "12/03/2026"), ("2026-03-12T09:30:00", "12/03/2026 09:30"), ("sớm", "sớm"), (None, "")],
        ids=["iso-date", "iso-date-time", "not-a-date", "missing"],
    )
    def test_formats_dd_mm_yyyy(self, value: object, shown: str) -> None:
        assert format_date(value) == shown


def test_unknown_kind_says_which_kinds_exist() -> None:
    with pytest.raises(UnknownMessageKind, match="stage_entered"):
        render("birthday", context())


def test_a_report_alert_names_the_period_the_plan_and_the_due_day_without_any_dossier() -> None:
    from notifications.messages import REPORT_KINDS

    context = {
        "alert_kind": "overdue",
        "plan_title": "Kế hoạch năm 2026",
        "report_period": "Q4",
        "plan_year": 2026,
        "due_on": "2026-12-14",
        "days_left": -3,
        "basis": "Kế hoạch",
    }
    vi = render(REPORT_KINDS[0], context, "vi")
    en = render(REPORT_KINDS[0], context, "en")
    assert vi.subject == "[Quá hạn] Báo cáo quý IV năm 2026: Quá hạn 3 ngày (hạn 14/12/2026)"
    assert "Kế hoạch năm 2026" in vi.body and "Hồ sơ" not in vi.body
    assert en.subject.startswith("[Overdue] Q4 2026 report")


def test_an_email_keeps_its_message_id_on_every_retry_and_a_new_message_gets_another() -> None:
    from datetime import UTC, datetime

    from notifications.channels import email_message

    message = render("overdue", context())
    created = datetime(2026, 3, 15, 2, 0, 1, 250, tzinfo=UTC)
    first = email_message("canh-bao@rehab.local", "a@b.vn", message, 42, created)
    retry = email_message("canh-bao@rehab.local", "a@b.vn", message, 42, created)
    assert first["Message-ID"] == retry["Message-ID"]
    assert first["Message-ID"].startswith("<rehab.outbox-42.") and first["Message-ID"].endswith("@rehab.local>")
    # the same outbox id after a database was reset: another moment, another message
    other = email_message("canh-bao@rehab.local", "a@b.vn", message, 42, created.replace(microsecond=0))
    assert other["Message-ID"] != first["Message-ID"]
