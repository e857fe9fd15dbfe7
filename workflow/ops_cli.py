"""Operator commands: `rehab tokens` (API bearer tokens), `rehab backup FILE`, `rehab restore FILE`,
`rehab people reencrypt` (ID numbers stored before encryption) and `rehab users create` (the first administrator).

Registered on the `rehab` command by the entry point (admin/cli.py).
"""

from __future__ import annotations

from datetime import timedelta

import typer

from workflow.cli import app, emit, fail, runtime

tokens_app = typer.Typer(help="Mã truy cập API (bearer tokens for scripts)", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("issue")
def tokens_issue(
    username: str = typer.Argument(..., help="the user the token acts as"),
    label: str = typer.Option(..., help="what the token is for, e.g. 'nightly export'"),
    days: int | None = typer.Option(None, min=1, max=3650, help="expires after this many days (default: never)"),
) -> None:
    """Issue a token: printed once on stdout, stored only as its digest. Use `Authorization: Bearer TOKEN`."""
    from workflow import credentials

    with runtime() as rt:
        if not credentials.user_exists(rt.db, username):
            fail(f"no user '{username}'")
        now = rt.now()
        expires = now + timedelta(days=days) if days else None
        token, info = credentials.issue_token(rt.db, username, by="cli", label=label, now=now, expires_at=expires)
    typer.echo(f"token {info.id} for {username} (shown once; keep it secret):", err=True)
    typer.echo(token)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke a token at once (every server process stops accepting it)."""
    from workflow import credentials

    with runtime() as rt:
        if credentials.revoke_token(rt.db, token_id, rt.now()) is None:
            fail(f"no live token {token_id}")
    typer.echo(f"token {token_id} revoked")


@tokens_app.command("list")
def tokens_list(user: str | None = typer.Option(None, help="only this user's")) -> None:
    """Tokens with their first characters, owner, label and state (never the token itself)."""
    from workflow import credentials

    with runtime(needs_secrets=False) as rt:
        emit([t.as_dict() for t in credentials.list_tokens(rt.db, user)])


@app.command("backup")
def backup_command(file: str = typer.Argument(..., help="file to write (SQLite copy, or pg_dump archive)")) -> None:
    """A consistent copy of the database while it runs (SQLite backup API; pg_dump for PostgreSQL)."""
    from pathlib import Path

    from workflow.backup import BackupError, backup

    with runtime(needs_secrets=False) as rt:
        url = rt.settings.database_url
    try:
        written = backup(url, Path(file))
    except BackupError as err:
        fail(str(err))
    typer.echo(f"backup written to {written} ({written.stat().st_size} bytes)")


@app.command("restore")
def restore_command(
    file: str = typer.Argument(..., help="a file written by `rehab backup`"),
    replace: bool = typer.Option(False, "--replace", help="overwrite a database that already has a schema"),
) -> None:
    """Load a backup into REHAB_DATABASE_URL; then check it with `rehab audit verify --anchor ANCHOR`."""
    from pathlib import Path

    from workflow.backup import BackupError, restore

    with runtime(needs_secrets=False) as rt:
        url = rt.settings.database_url
        rt.db.dispose()
    try:
        restore(url, Path(file), replace=replace)
    except BackupError as err:
        fail(str(err))
    typer.echo(f"restored {file}; now run: rehab audit verify --anchor <the anchor taken before the backup>")


people_app = typer.Typer(help="Người (people): bảo vệ số định danh", no_args_is_help=True)
app.add_typer(people_app, name="people")


@people_app.command("reencrypt")
def people_reencrypt(
    dry_run: bool = typer.Option(False, help="count what would change, write nothing"),
) -> None:
    """Encrypt ID numbers stored in clear (before the upgrade) and give them the keyed hash; idempotent."""
    from workflow.id_upgrade import reencrypt

    with runtime() as rt:  # production mode: only with the deployment's own key and salt
        done = reencrypt(rt.db, rt.engine.ids, dry_run=dry_run)
    typer.echo(("would change: " if dry_run else "") + done.describe())


users_app = typer.Typer(help="Người dùng (users): the first administrator; then /admin/users", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
def users_create(
    username: str = typer.Argument(..., help="3-64 of a-z, 0-9, '.', '_', '-'"),
    role: str = typer.Option(..., help="admin | staff | supervisor | procurator"),
    agency: str | None = typer.Option(None, help="the user's agency id (an administrator has none)"),
    name: str = typer.Option("", "--name", help="display name, e.g. 'Nguyễn Văn A'"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input"),
) -> None:
    """Create a user, e.g. a new deployment's first administrator. The password is asked twice (or read from
    standard input), never taken from the command line."""
    import sys

    from workflow.errors import InvalidInput
    from workflow.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mật khẩu (password)", hide_input=True, confirmation_prompt=True)
    with runtime(needs_secrets=False) as rt:
        try:
            user = create_user(
                rt.db,
                username=username,
                role=role,
                agency_id=agency,
                display_name=name,
                password=password,
                by="cli",
                today=rt.today(),
            )
        except InvalidInput as err:
            fail(f"{err.field}: {err.reason_vi} / {err.reason}", 2)
    typer.echo(f"user {user.username} created ({user.role}{', ' + user.agency_id if user.agency_id else ''})")
