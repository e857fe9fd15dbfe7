"""`rehab`: the whole command line, the web server included.

The web app's entry point: `workflow.cli` holds the commands of the running system and never
imports the web layer; this module adds `rehab serve` on top of it.
"""

from __future__ import annotations

import typer

from workflow import cli_texts, ops_cli  # noqa: F401  (register `rehab tokens`, `backup`, `restore`, `texts`)
from workflow.cli import app, runtime
from workflow.cli_plans import register as register_plans

__all__ = ["app"]

register_plans(app)


@app.command()
def serve(
    host: str | None = typer.Option(None),
    port: int | None = typer.Option(None, min=1, max=65535),
    scheduler: bool = typer.Option(True, help="run the deadline sweep in the server"),
) -> None:
    """Start the web server (and the deadline scheduler inside it)."""
    import uvicorn

    from admin.app import create_app

    with runtime() as rt:
        bind_host, bind_port = host or rt.settings.host, port or rt.settings.port
        typer.echo(f"Hồ sơ cai nghiện bắt buộc: http://{bind_host}:{bind_port}/")
        uvicorn.run(
            create_app(rt, start_scheduler=scheduler and rt.settings.run_scheduler_in_server),
            host=bind_host,
            port=bind_port,
            log_level="warning",
            proxy_headers=True,  # the client address from X-Forwarded-For, only from these proxies:
            forwarded_allow_ips=rt.settings.forwarded_allow_ips,
        )
