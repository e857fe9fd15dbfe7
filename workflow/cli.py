"""`rehab`: the command line. Each command builds the runtime once (the composition root).

Errors are one line on stderr and a non-zero exit code; nothing half-written is left behind.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import typer

from workflow.errors import WorkflowError
from workflow.logs import configure_logging
from workflow.runtime import Runtime
from workflow.settings import Settings

app = typer.Typer(help="Hồ sơ cai nghiện bắt buộc — compulsory rehabilitation dossiers", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
audit_app = typer.Typer(help="Kiểm tra nhật ký (transition log audit)", no_args_is_help=True)
agencies_app = typer.Typer(help="Cơ quan (agencies)", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(agencies_app, name="agencies")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def runtime(*, migrate_db: bool = False, clock: Callable[[], datetime] | None = None) -> Iterator[Runtime]:
    try:
        settings = Settings()
    except Exception as err:  # pydantic's ValidationError: show the first problem on one line
        fail(f"configuration: {str(err).splitlines()[0]} {str(err).splitlines()[1:2]}", 2)
    configure_logging(settings.log_level)
    try:
        yield Runtime.build(settings, migrate_db=migrate_db, clock=clock)
    except WorkflowError as err:
        fail(str(err))
    except ValueError as err:
        fail(str(err), 2)


def emit(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command()
def init() -> None:
    """Create or migrate the database schema (idempotent)."""
    with runtime(migrate_db=True) as rt:
        from workflow.reference import load_reference

        with rt.db.begin() as conn:
            load_reference(conn)
        typer.echo(f"database ready: {rt.db.url.render_as_string(hide_password=True)}")


@app.command()
def demo(count: int = typer.Option(220, min=1, max=5000, help="number of dossiers")) -> None:
    """Fill an empty database with realistic demo data from the seed plans."""
    with runtime(migrate_db=True) as rt:
        from workflow.demo import build_demo

        report = build_demo(rt, count=count)
        typer.echo(str(report))


@app.command()
def show(dossier_id: int, person: bool = typer.Option(False, help="include personal data")) -> None:
    """Show a dossier: regime, state, responsible agency, documents, open deadlines, next steps."""
    from workflow.queries import dossier_view

    with runtime() as rt:
        view = dossier_view(rt.db, rt.regimes, dossier_id, rt.today(), with_person=person)
        if view is None:
            fail(f"dossier {dossier_id} not found")
        emit(view)


@app.command()
def history(dossier_id: int) -> None:
    """The dossier's transition log, oldest first."""
    from workflow.queries import history as load_history

    with runtime() as rt:
        rows = load_history(rt.db, dossier_id)
        if not rows:
            fail(f"dossier {dossier_id} not found")
        emit(rows)


@app.command()
def fire(
    dossier_id: int,
    event: str,
    payload: str = typer.Option("{}", help="JSON object: document, attachments, step fields"),
    agency: str | None = typer.Option(None, help="acting agency id (default: the responsible agency)"),
    user: str = typer.Option("cli", help="acting user"),
    key: str | None = typer.Option(None, help="idempotency key"),
    expected_version: int | None = typer.Option(None, help="fail if the dossier changed meanwhile"),
) -> None:
    """Take a step on a dossier (guarded, logged)."""
    from workflow.engine import Actor
    from workflow.errors import StepRefused

    try:
        body = json.loads(payload)
    except json.JSONDecodeError as err:
        fail(f"--payload is not valid JSON: {err.msg} at position {err.pos}", 2)
    with runtime() as rt:
        acting = agency or _responsible(rt, dossier_id)
        try:
            result = rt.engine.fire(dossier_id, event, Actor(user, acting), body, idempotency_key=key,
                                    expected_version=expected_version)
        except StepRefused as err:
            for r in err.result.refusals:
                typer.echo(f"refused [{r['code']}] {r['reason_vi']} / {r['reason_en']} ({r['basis']})", err=True)
            raise typer.Exit(3) from None
        emit(result.as_dict())


def _responsible(rt: Runtime, dossier_id: int) -> str | None:
    from workflow.queries import dossier_view

    view = dossier_view(rt.db, rt.regimes, dossier_id, rt.today())
    if view is None:
        fail(f"dossier {dossier_id} not found")
    return view["agency"]["id"] if view else None


@audit_app.command("verify")
def audit_verify(dossier: int | None = typer.Option(None, help="only this dossier")) -> None:
    """Recompute the hash chains; print the first broken entry and exit 1 if any."""
    from workflow.audit import verify_chain

    with runtime() as rt:
        report = verify_chain(rt.db, dossier)
    if report.first_break is not None:
        typer.echo(f"BROKEN: {report.first_break.describe()}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {report.entries} entries in {report.dossiers} dossier chains verified")


@app.command("check-config")
def check_config() -> None:
    """Print the effective settings (secrets masked)."""
    with runtime() as rt:
        emit(rt.settings.masked())


def main() -> None:  # pragma: no cover - console entry
    app(prog_name="rehab")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
