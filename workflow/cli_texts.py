"""`rehab texts`: free text typed into steps, kept beside the chain (`workflow.texts`): check it against the
digests on the chain, correct it, or erase it on a legal ground; the chain never changes.

Registered on the `rehab` command by the entry point (admin/cli.py).
"""

from __future__ import annotations

import typer

from workflow.cli import app, fail, runtime

texts_app = typer.Typer(help="Nội dung tự do bên cạnh nhật ký (free text beside the chain)", no_args_is_help=True)
app.add_typer(texts_app, name="texts")
FIELD_HELP = "the payload's field, e.g. reasons, note"


@texts_app.command("verify")
def texts_verify(dossier: int | None = typer.Option(None, help="only this dossier")) -> None:
    """Check every side text against its digest on the chain; exit 1 naming each one that differs."""
    from workflow.texts import verify_texts

    with runtime(needs_secrets=False) as rt:
        checked, problems = verify_texts(rt.db, dossier)
    for problem in problems:
        typer.echo(f"MISMATCH: {problem.describe()}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"ok: {checked} texts match their digests on the chain")


def _change(dossier: int, seq: int, field: str, by: str, basis: str, text: str | None) -> None:
    from workflow.texts import change_text

    if not basis.strip():
        fail("--basis: nêu căn cứ pháp lý (the legal ground is required)", 2)
    with runtime() as rt:
        if not change_text(rt.db, dossier, seq, field, by=by, basis=basis.strip(), at=rt.now(), text=text):
            fail(f"no text «{field}» at entry {seq} of dossier {dossier}")
    typer.echo(f"dossier {dossier}, entry {seq}, «{field}»: {'corrected' if text is not None else 'erased'}")


@texts_app.command("erase")
def texts_erase(
    dossier: int = typer.Option(..., min=1),
    seq: int = typer.Option(..., min=1, help="the log entry"),
    field: str = typer.Option(..., help=FIELD_HELP),
    by: str = typer.Option(..., help="who erases (username)"),
    basis: str = typer.Option(..., help="the legal ground, e.g. Nghị định 13/2023/NĐ-CP, Điều 16"),
) -> None:
    """Erase a text (and its salt): the chain keeps the digest and still verifies."""
    _change(dossier, seq, field, by, basis, None)


@texts_app.command("correct")
def texts_correct(
    dossier: int = typer.Option(..., min=1),
    seq: int = typer.Option(..., min=1, help="the log entry"),
    field: str = typer.Option(..., help=FIELD_HELP),
    text: str = typer.Option(..., help="the corrected text"),
    by: str = typer.Option(..., help="who corrects (username)"),
    basis: str = typer.Option(..., help="why, e.g. the request of the person concerned"),
) -> None:
    """Replace a text; the row says it was corrected (the chain's digest is of the original)."""
    if not text.strip():
        fail("--text: empty (to remove a text, use `rehab texts erase`)", 2)
    _change(dossier, seq, field, by, basis, text)
