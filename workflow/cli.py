"""`rehab`: the command line. Each command builds the runtime once (the composition root).

Errors are one line on stderr and a non-zero exit code; nothing half-written is left behind.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import typer

from workflow.cli_reference import reference_app
from workflow.errors import WorkflowError
from workflow.logs import configure_logging
from workflow.runtime import Runtime
from workflow.settings import Settings

app = typer.Typer(
    help="Hồ sơ cai nghiện bắt buộc — compulsory rehabilitation dossiers",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
audit_app = typer.Typer(help="Kiểm tra nhật ký (transition log audit)", no_args_is_help=True)
agencies_app = typer.Typer(help="Cơ quan (agencies)", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(agencies_app, name="agencies")
app.add_typer(reference_app, name="reference")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def runtime(
    *, migrate_db: bool = False, clock: Callable[[], datetime] | None = None, needs_secrets: bool = True
) -> Iterator[Runtime]:
    """The runtime of one command. `needs_secrets`: in production mode, refuse to run with a committed or
    short secret (the web server, the scheduler, anything that writes dossiers)."""
    from workflow.production import InsecureSettings, is_production, require_secure

    try:
        settings = Settings()
    except Exception as err:  # pydantic's ValidationError: show the first problem on one line
        fail(f"configuration: {str(err).splitlines()[0]} {str(err).splitlines()[1:2]}", 2)
    json_logs = settings.log_json if settings.log_json is not None else is_production(settings)
    configure_logging(settings.log_level, json=json_logs)
    if needs_secrets:
        try:
            require_secure(settings)
        except InsecureSettings as err:
            fail(str(err), 2)
    built: Runtime | None = None
    try:
        built = Runtime.build(settings, migrate_db=migrate_db, clock=clock)
        yield built
    except WorkflowError as err:
        fail(str(err))
    except ValueError as err:
        fail(str(err), 2)
    finally:
        if built is not None:
            built.dispose()  # close pooled connections now, not at garbage collection


def emit(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command()
def init() -> None:
    """Create or migrate the database schema (idempotent). Areas and agencies: `rehab reference import FILE`."""
    with runtime(migrate_db=True, needs_secrets=False) as rt:
        typer.echo(f"database ready: {rt.db.url.render_as_string(hide_password=True)}")


@app.command()
def demo(count: int = typer.Option(220, min=1, max=5000, help="number of dossiers")) -> None:
    """Fill an empty database with realistic demo data from the seed plans."""
    with runtime(migrate_db=True) as rt:
        from demo import build_demo

        report = build_demo(rt, count=count)
        typer.echo(str(report))


@app.command()
def show(dossier_id: int, person: bool = typer.Option(False, help="include personal data")) -> None:
    """Show a dossier: regime, state, responsible agency, documents, open deadlines, next steps."""
    from workflow.queries import dossier_view

    with runtime(needs_secrets=False) as rt:
        view = dossier_view(rt.db, rt.regimes, dossier_id, rt.today(), with_person=person, reveal=rt.engine.ids.reveal)
        if view is None:
            fail(f"dossier {dossier_id} not found")
        emit(view)


@app.command()
def history(dossier_id: int) -> None:
    """The dossier's transition log, oldest first."""
    from workflow.queries import history as load_history

    with runtime(needs_secrets=False) as rt:
        rows = load_history(rt.db, dossier_id)
        if not rows:
            fail(f"dossier {dossier_id} not found")
        emit(rows)


@app.command()
def fire(
    dossier_id: int,
    event: str,
    payload: str = typer.Option(
        "{}",
        help="JSON object: document (issuer agency:ID or person; signer title:POSITION, user:NAME or person, "
        "never a name), attachments, step fields",
    ),
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
            result = rt.engine.fire(
                dossier_id, event, Actor(user, acting), body, idempotency_key=key, expected_version=expected_version
            )
        except StepRefused as err:
            for r in err.result.refusals:
                typer.echo(f"refused [{r['code']}] {r['reason_vi']} / {r['reason_en']} ({r['basis']})", err=True)
            raise typer.Exit(3) from None
        emit(result.as_dict())


@app.command("open")
def open_command(
    json_file: str = typer.Option(..., "--json", help="request body file (- for stdin), as for POST /api/v1/dossiers"),
    agency: str = typer.Option(..., help="the opening agency's id, e.g. dien-bien.tuan-giao.quai-cang.commune_police"),
    user: str = typer.Option("cli", help="acting user (recorded on the dossier's chain)"),
    key: str | None = typer.Option(None, help="idempotency key: running again opens nothing new"),
) -> None:
    """Open a dossier from a JSON file: person, commune, violation record (or management decision), facts."""
    import sys
    from pathlib import Path

    from workflow.engine import Actor
    from workflow.errors import InvalidFields, StepRefused
    from workflow.intake import open_request
    from workflow.people import dossier_brief

    try:
        raw = sys.stdin.read() if json_file == "-" else Path(json_file).read_text(encoding="utf-8")
        body = json.loads(raw)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        fail(f"--json: cannot read a JSON body from {json_file}: {err}", 2)
    with runtime() as rt:
        if agency not in rt.engine.directory().agencies:
            fail(f"unknown agency '{agency}'", 2)
        try:
            result = open_request(rt.engine, body, Actor(user, agency), key)
        except InvalidFields as err:
            for p in err.problems:
                typer.echo(f"invalid {p.field}: {p.message_vi} / {p.message_en}", err=True)
            raise typer.Exit(2) from None
        except StepRefused as err:
            for r in err.result.refusals:
                typer.echo(f"refused [{r['code']}] {r['reason_vi']} / {r['reason_en']} ({r['basis']})", err=True)
            raise typer.Exit(3) from None
        if result.replayed:
            typer.echo("already opened with this key: nothing new was written", err=True)
        brief = dossier_brief(rt.db, result.dossier_id or 0)
        emit({"id": result.dossier_id, "code": result.code, "state": result.to_state, **brief})


def _responsible(rt: Runtime, dossier_id: int) -> str | None:
    from workflow.queries import dossier_view

    view = dossier_view(rt.db, rt.regimes, dossier_id, rt.today())
    if view is None:
        fail(f"dossier {dossier_id} not found")
    return view["agency"]["id"] if view else None


@audit_app.command("verify")
def audit_verify(
    dossier: int | None = typer.Option(None, help="only this dossier"),
    anchor: str | None = typer.Option(None, help="an anchor file from `rehab audit anchor`: chains must extend it"),
    chain_only: bool = typer.Option(False, help="check the chains only, not the dossiers derived from them"),
    full: bool = typer.Option(False, "--full", help="read every entry, not only those after the last checkpoint"),
    workers: int | None = typer.Option(
        None, min=1, help="processes for --full (default: every core from 200,000 entries, else one)"
    ),
    checkpoint: bool = typer.Option(True, help="after a verify that passes, write a signed checkpoint"),
    adopt_unsigned: bool = typer.Option(
        False, help="once after upgrading: accept chains whose last entry predates signatures (implies --full)"
    ),
) -> None:
    """Check the hash chains and the server's signatures (since the last signed checkpoint, or --full), then
    re-derive each dossier (state, facts, open deadlines) from its chain, and check the free texts beside the
    chains (`workflow.texts`); print the first broken entry, every dossier that differs from its chain and every
    text that differs from its digest, and exit 1 if any."""
    from workflow.cli_audit import run_verify
    from workflow.texts import verify_texts

    with runtime(needs_secrets=False) as rt:
        report, what = run_verify(
            rt, dossier=dossier, full=full, workers=workers, checkpoint=checkpoint, adopt_unsigned=adopt_unsigned
        )
        anchored = _anchored(rt, anchor) if anchor and report.ok else None
        differing = _dossiers_differ(rt, dossier) if not chain_only else 0
        texts, mismatched = verify_texts(rt.db, dossier)
    broken = report.first_break or anchored
    for problem in mismatched:
        typer.echo(f"MISMATCH: {problem.describe()}", err=True)
    if broken is not None:
        typer.echo(f"BROKEN: {broken.describe()}", err=True)
    if broken is not None or differing or mismatched:
        raise typer.Exit(1)
    suffix = f", and every chain extends the anchor {anchor}" if anchor else ""
    derived = "" if chain_only else "; every dossier's state, facts and open deadlines follow from its chain"
    typer.echo(f"ok: {what}{suffix}{derived}; {texts} texts beside the chains match their digests")


def _dossiers_differ(rt: Runtime, dossier: int | None) -> int:
    """Each dossier whose row or open deadlines differ from what its chain derives, one line each."""
    from workflow.audit_state import verify_state

    state = verify_state(rt.engine, dossier)
    for mismatch in state.mismatches:
        typer.echo(f"DIFFERS: {mismatch.describe()}", err=True)
    if state.found > len(state.mismatches):
        typer.echo(f"DIFFERS: … and {state.found - len(state.mismatches)} more differences", err=True)
    return state.found


def _anchored(rt: Runtime, path: str) -> Any:
    from workflow.audit import check_anchor

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, json.JSONDecodeError) as err:
        fail(f"--anchor: cannot read {path}: {err}", 2)
    return check_anchor(rt.db, data, rt.keyring)


@audit_app.command("anchor")
def audit_anchor(out: str = typer.Option(..., help="file to write; keep it outside the database's reach")) -> None:
    """Record every chain's tip and one digest over them, signed, for the procuracy to keep."""
    from workflow.audit import take_anchor

    with runtime(needs_secrets=False) as rt:
        from workflow.production import is_production

        unkeyed = rt.signer.development and is_production(rt.settings)  # never sign with the committed key there
        data = take_anchor(rt.db, rt.now().isoformat(), None if unkeyed else rt.signer)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
    typer.echo(f"anchor of {len(data['chains'])} chains written to {out}; root {data['root']}")


@audit_app.command("export")
def audit_export(
    out: str = typer.Option("-", help="file to write (JSON lines); - for stdout"),
    dossier: int | None = typer.Option(None, help="only this dossier"),
) -> None:
    """Export the transition log as JSON lines, with hashes, for the procuracy."""
    from workflow.queries import export_log

    with runtime(needs_secrets=False) as rt:
        lines = export_log(rt.db, dossier)
        if out == "-":
            for line in lines:
                typer.echo(line)
            return
        with open(out, "w", encoding="utf-8") as handle:
            count = sum(1 for line in lines if handle.write(line + "\n"))
        typer.echo(f"exported {count} entries to {out}")


@app.command("scheduler")
def scheduler_command(
    metrics_port: int | None = typer.Option(None, min=1, max=65535, help="serve Prometheus /metrics on this port"),
) -> None:
    """Run the deadline sweep and message delivery every interval, in the foreground."""
    from workflow.service import scheduler_for

    with runtime() as rt:
        if metrics_port is not None:
            from prometheus_client import start_http_server

            start_http_server(metrics_port, addr=rt.settings.host)  # the cycle's duration, from this process
        typer.echo(f"scheduler: sweeping every {rt.settings.sweep_interval_seconds}s (Ctrl-C to stop)")
        scheduler = scheduler_for(rt, background=False)
        signal.signal(signal.SIGTERM, _exit_on_sigterm)  # systemd and docker stop with SIGTERM
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            # Finish the running cycle: a send under way is recorded, not left to its lease (another
            # scheduler would take it over only once the lease ran out).
            typer.echo("scheduler: stopping after the current cycle", err=True)
            if scheduler.running:
                scheduler.shutdown(wait=True)


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


@app.command()
def sweep(now: str | None = typer.Option(None, help="ISO time with offset, e.g. 2026-03-02T08:00+07:00")) -> None:
    """Run one deadline sweep (and delivery) by hand."""
    from workflow.service import cycle

    moment = None
    if now is not None:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now: '{now}' is not an ISO date-time (e.g. 2026-03-02T08:00+07:00)", 2)
        if moment is not None and moment.tzinfo is None:
            fail("--now needs a UTC offset, e.g. 2026-03-02T08:00+07:00", 2)
    with runtime() as rt:
        written = cycle(rt, moment)
        typer.echo(f"alerts written: {written}")


@app.command()
def deadlines(
    agency: str | None = typer.Option(None, help="agency id"), overdue: bool = typer.Option(False, help="only overdue")
) -> None:
    """Open deadlines with days left (negative: overdue)."""
    from workflow.queries import deadline_rows

    with runtime(needs_secrets=False) as rt:
        if agency is not None and agency not in rt.engine.directory().agencies:
            fail(f"unknown agency '{agency}'")
        for d in deadline_rows(rt.db, rt.today(), agency_id=agency, overdue_only=overdue):
            typer.echo(
                f"{d['dossier_code']}\t{d['stage']}\t{d['rule_id']}\t{d['due_on']}\t{d['days_left']:+d}"
                f"\t{d['agency_id']}\t{d['status_mark']}"
            )


@agencies_app.command("reassign")
def agencies_reassign(
    agency_id: str = typer.Argument(..., help="the abolished agency, e.g. dien-bien.tuan-giao.district_court"),
    basis: str = typer.Option(..., help="legal basis, e.g. 'Nghị quyết 81/2025/UBTVQH15'"),
    to: str | None = typer.Option(None, "--to", help="successor agency id (default: the recorded successor)"),
    user: str = typer.Option("cli", help="acting user (recorded in each dossier's log)"),
) -> None:
    """Hand everything open of an abolished agency to its successor (exactly once; logged per dossier)."""
    from workflow.agencies import reassign

    with runtime() as rt:
        report = reassign(
            rt.db, agency_id, actor=user, basis=basis, now=rt.now(), successor_id=to, tz=rt.tz, signer=rt.signer
        )
        typer.echo(report.describe())


deliveries_app = typer.Typer(help="Gửi thông báo (message deliveries)", no_args_is_help=True)
app.add_typer(deliveries_app, name="deliveries")


@deliveries_app.command("dead")
def deliveries_dead() -> None:
    """Deliveries that failed every retry (dead letters)."""
    from notifications.worker import dead_letters

    with runtime(needs_secrets=False) as rt:
        for d in dead_letters(rt.db):
            typer.echo(f"{d.delivery_id}\t{d.channel}\t{d.kind}\t{d.agency_id}\tattempts={d.attempts}\t{d.last_error}")


@deliveries_app.command("retry")
def deliveries_retry(delivery_id: int) -> None:
    """Put a dead letter back in the queue (after fixing the address or endpoint)."""
    from notifications.worker import DeadLetterNotFound, retry_dead

    with runtime(needs_secrets=False) as rt:
        try:
            retry_dead(rt.db, delivery_id, rt.now())
        except DeadLetterNotFound as err:
            fail(str(err))
        typer.echo(f"delivery {delivery_id} queued again")


from workflow import cli_audit  # noqa: E402, F401  (registers `rehab audit public-key`, `verify-export`, `new-key`)
