"""`rehab reference import FILE`: a deployment's own areas and agencies, from a TOML or JSON file.

The whole file is checked first; any problem is listed (row, field, reason) on stderr with exit code 1 and nothing
is imported. Importing the same file again changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import typer


class _CheckOnly(Exception):
    """Rolls the import back after a successful check."""


reference_app = typer.Typer(help="Địa bàn và cơ quan (areas and agencies)", no_args_is_help=True)


@reference_app.command("import")
def reference_import(
    path: str = typer.Argument(..., help="reference file (.toml or .json), e.g. demo/reference/dien-bien.toml"),
    check_only: bool = typer.Option(False, "--check", help="check the file, import nothing"),
) -> None:
    """Load provinces, communes (with their official codes, dated, with successors) and agencies from a file."""
    from workflow.cli import fail, runtime
    from workflow.reference import ReferenceInvalid, import_file

    file = Path(path)
    if not file.is_file():
        fail(f"{file}: no such file")
    with runtime(migrate_db=True) as rt:
        try:
            with rt.db.begin() as conn:
                report = import_file(conn, file)
                if check_only:
                    raise _CheckOnly
        except _CheckOnly:
            pass
        except ReferenceInvalid as err:
            fail(str(err))
        prefix = "check only, nothing imported: " if check_only else ""
        typer.echo(f"{file}: {prefix}{report.describe()}")
