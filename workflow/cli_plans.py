"""`rehab plans …` and `rehab reports …`: plans imported from files, their progress, periodic reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from workflow.cli import emit, fail, runtime
from workflow.progress import Progress
from workflow.runtime import Runtime

plans_app = typer.Typer(help="Kế hoạch, chỉ tiêu và KPI (plans, targets, KPIs)", no_args_is_help=True)
reports_app = typer.Typer(help="Báo cáo định kỳ (periodic reports)", no_args_is_help=True)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: expected a date YYYY-MM-DD, got {value!r}", 2)
    return None


@plans_app.command("import")
def import_command(file: Annotated[Path, typer.Argument(help="a plan as TOML (see demo/data/plans/)")]) -> None:
    """Import a plan: validated first (every error listed, nothing written on error); twice = once."""
    from workflow.plans import PlanFileError, import_plan_file

    with runtime() as rt:
        try:
            result = import_plan_file(rt.db, file, rt.policy, rt.now())
        except PlanFileError as err:
            for problem in err.problems:
                typer.echo(f"error: {file}: {problem}", err=True)
            raise typer.Exit(1) from err
        verb = "imported" if result.created else ("updated" if result.changed else "unchanged")
        typer.echo(f"{verb} plan {result.plan_id}: {result.targets} targets, {result.reports} new reports")


@plans_app.command("list")
def list_command() -> None:
    """The plans known, newest year first."""
    from workflow.plans import plan_ids

    with runtime() as rt:
        emit([{k: p[k] for k in ("id", "year", "area_code", "title")} for p in plan_ids(rt.db)])


@plans_app.command("progress")
def progress_command(
    plan_id: str,
    start: str | None = typer.Option(None, "--from", help="period start YYYY-MM-DD (default: 1 January)"),
    end: str | None = typer.Option(None, "--to", help="period end YYYY-MM-DD (default: 31 December)"),
) -> None:
    """A plan's progress and KPIs as JSON (the same figures as the dashboard and the Excel report)."""
    with runtime() as rt:
        emit(_progress(rt, plan_id, _day(start, "--from"), _day(end, "--to")).as_json())


def _progress(rt: Runtime, plan_id: str, start: date | None, end: date | None) -> Progress:
    from workflow.progress import PlanNotFound, ProgressReader

    try:
        return ProgressReader(rt.db, rt.regimes, rt.tz).progress(plan_id, rt.today(), start, end)
    except PlanNotFound:
        fail(f"plan {plan_id} not found")
    except ValueError as err:
        fail(f"--from/--to: {err}", 2)
    raise AssertionError("unreachable")


@reports_app.command("excel")
def excel_command(
    plan_id: str,
    out: Annotated[Path, typer.Option("--out", help="the .xlsx file to write")],
    start: str | None = typer.Option(None, "--from"),
    end: str | None = typer.Option(None, "--to"),
) -> None:
    """Write a plan's periodic report as an Excel workbook."""
    from workflow.report_book import build_workbook

    with runtime() as rt:
        progress = _progress(rt, plan_id, _day(start, "--from"), _day(end, "--to"))
        directory = rt.engine.directory()
        out.write_bytes(build_workbook(progress, directory.name))
        typer.echo(f"wrote {out}")


@reports_app.command("submit")
def submit_command(report_id: int, user: str = typer.Option("cli", help="who submitted it")) -> None:
    """Mark a periodic report submitted: its deadline closes and no further alert is sent."""
    from workflow.plans import ReportNotFound, mark_submitted

    with runtime() as rt:
        try:
            changed = mark_submitted(rt.db, report_id, user, rt.now())
        except ReportNotFound:
            fail(f"report {report_id} not found")
        typer.echo(f"report {report_id} {'marked submitted' if changed else 'was already submitted'}")


documents_app = typer.Typer(help="Văn bản .docx theo thể thức NĐ 30/2020 (official documents)", no_args_is_help=True)
import_app = typer.Typer(help="Nhập hồ sơ đang có từ Excel (import existing cases)", no_args_is_help=True)


@documents_app.command("list")
def documents_list() -> None:
    """The document types the system issues."""
    from workflow.documents import DOCUMENT_TYPES

    emit(DOCUMENT_TYPES)


@documents_app.command("render")
def documents_render(
    dossier_id: int,
    doc_type: str,
    out: Annotated[Path, typer.Option("--out", help="the .docx file to write")],
    place: Annotated[str, typer.Option(help="the place line of the header")] = "",
) -> None:
    """Write one document of a dossier as .docx (number, date and signer as recorded on its chain)."""
    from workflow.documents import UnknownDocumentType, build_docx, place_of
    from workflow.queries import dossier_view

    with runtime() as rt:
        view = dossier_view(rt.db, rt.regimes, dossier_id, rt.today(), with_person=True, reveal=rt.engine.ids.reveal)
        if view is None:
            fail(f"dossier {dossier_id} not found")
        assert view is not None
        commune = place_of(view)
        try:
            doc, content = build_docx(view, doc_type, agency=str(view["agency"]["name"] or ""), place=place or commune)
        except UnknownDocumentType as err:
            fail(str(err), 2)
            raise AssertionError("unreachable") from err
        out.write_bytes(content)
        typer.echo(f"wrote {out} ({'draft' if doc.draft else doc.number})")


@import_app.command("dossiers")
def import_dossiers(
    file: Annotated[Path, typer.Argument(help="an .xlsx workbook (headers: rehab import template)")],
    user: Annotated[str, typer.Option(help="who imports (written on each dossier's chain)")] = "cli",
) -> None:
    """Import existing cases: every row checked first; any bad row and nothing is imported."""
    from workflow.engine import Actor
    from workflow.importing import ImportRejected, import_workbook

    with runtime() as rt:
        try:
            content = file.read_bytes()
        except OSError as err:
            fail(f"{file}: {err}", 2)
            raise AssertionError("unreachable") from err
        try:
            report = import_workbook(rt.engine, content, Actor(user, None, "admin"))
        except ImportRejected as err:
            for problem in err.problems:
                typer.echo(f"error: {file}: {problem}", err=True)
            typer.echo(f"error: {len(err.problems)} problem(s); nothing imported", err=True)
            raise typer.Exit(1) from err
        typer.echo(f"imported {len(report.imported)} dossiers, skipped {len(report.skipped)} (sha256 {report.sha256})")


@import_app.command("template")
def import_template(out: Annotated[Path, typer.Option("--out", help="the .xlsx to write")]) -> None:
    """Write an empty import workbook with the expected headers."""
    from workflow.importing import template_workbook

    out.write_bytes(template_workbook())
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(plans_app, name="plans")
    app.add_typer(reports_app, name="reports")
    app.add_typer(documents_app, name="documents")
    app.add_typer(import_app, name="import")
