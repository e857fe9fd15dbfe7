"""`rehab audit …`: verifying the chain (incremental from the last signed checkpoint, or `--full` on
every core), the server's public key, and the procuracy's offline check of an export and an anchor."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from workflow.cli import audit_app, fail, runtime


def run_verify(
    rt: Any, *, dossier: int | None, full: bool, workers: int | None, checkpoint: bool, adopt_unsigned: bool
) -> tuple[Any, str]:
    """The verify the options ask for, and the line saying what was read (and the checkpoint written)."""
    from workflow.audit import verify_chain
    from workflow.checkpoints import verify_since_checkpoint

    if dossier is not None:
        report = verify_chain(rt.db, dossier, keys=rt.keyring)
        return report, f"{report.entries} entries in {report.dossiers} dossier chains verified"
    if full or adopt_unsigned:
        cores = workers or os.cpu_count() or 1
        report = verify_chain(rt.db, keys=rt.keyring, workers=cores, adopt_unsigned=adopt_unsigned)
        total, what = report.entries, f"{report.entries} entries in {report.dossiers} dossier chains verified"
    else:
        report, total = verify_since_checkpoint(rt.db, rt.keyring)
        since = f" since checkpoint {report.checkpoint}" if report.checkpoint else ""
        what = f"{report.entries} entries in {report.dossiers} dossier chains verified{since}"
    if report.ok and checkpoint:
        what += _checkpoint(rt, report, total)
    return report, what


def _checkpoint(rt: Any, report: Any, total: int) -> str:
    from workflow.checkpoints import write_checkpoint
    from workflow.production import is_production

    if rt.signer.development and is_production(rt.settings):
        typer.echo("no checkpoint written: REHAB_SIGNING_KEY is not set", err=True)
        return ""
    number = write_checkpoint(rt.db, rt.signer, report, rt.now().isoformat(), total)
    return f"; signed checkpoint {number} written"


@audit_app.command("public-key")
def audit_public_key() -> None:
    """Print the public key that checks the server's signatures (base64; give it to the procuracy)."""
    from workflow.signing import public_text

    with runtime(needs_secrets=False) as rt:
        signer = rt.signer
    label = " (the DEVELOPMENT key: not for production)" if signer.development else ""
    typer.echo(public_text(signer.public))
    typer.echo(f"key id {signer.key_id}{label}", err=True)


@audit_app.command("new-key")
def audit_new_key() -> None:
    """Print a new private signing key for REHAB_SIGNING_KEY (keep it secret; its public key on stderr)."""
    from workflow.signing import Signer, generate_private_text, load_private, public_text

    text = generate_private_text()
    signer = Signer(load_private(text))
    typer.echo(text)
    typer.echo(f"public key {public_text(signer.public)} (key id {signer.key_id})", err=True)


@audit_app.command("verify-export")
def audit_verify_export(
    file: Annotated[Path, typer.Argument(help="an export from `rehab audit export` (JSON lines)")],
    public_key: Annotated[list[str], typer.Option("--public-key", help="a trusted public key (base64 or PEM file)")],
    anchor: Annotated[Path | None, typer.Option(help="a signed anchor from `rehab audit anchor`")] = None,
) -> None:
    """Check an exported log offline, without a database: hashes, links, each chain's signature, and
    (with --anchor) the anchor's signature and that every anchored tip is in the export."""
    from workflow.offline import ExportUnreadable, verify_export
    from workflow.signing import KeyRing, SigningKeyError, load_public

    try:
        keys = KeyRing.of(load_public(_key_text(k)) for k in public_key)
    except (SigningKeyError, ValueError) as err:
        fail(f"--public-key: {err}", 2)
    anchored = _read_json(anchor, "--anchor") if anchor else None
    try:
        with file.open(encoding="utf-8") as lines:
            report = verify_export(lines, keys, anchored)
    except OSError as err:
        fail(f"cannot read {file}: {err}", 2)
    except ExportUnreadable as err:
        fail(str(err), 2)
    if report.first_break is not None:
        typer.echo(f"BROKEN: {report.first_break.describe()}", err=True)
        raise typer.Exit(1)
    suffix = ", and every chain extends the signed anchor" if anchor else ""
    typer.echo(f"ok: {report.entries} entries in {report.chains} chains, signed by a trusted key{suffix}")


def _key_text(value: str) -> str:
    path = Path(value)
    return path.read_text(encoding="utf-8") if len(value) < 4096 and path.is_file() else value


def _read_json(path: Path, option: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        fail(f"{option}: cannot read {path}: {err}", 2)
