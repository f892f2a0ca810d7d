"""``dbtl serve``: the web app and REST API over one datastore (uvicorn)."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated

import typer
from rich.console import Console

from datastore import Datastore
from datastore.engine import DEFAULT_URL, redact

console = Console()
SECRET_ENV = "DBTL_SECRET_KEY"


def serve(
    db: Annotated[str, typer.Option("--db", envvar="DBTL_DB", help="Database URL.")] = DEFAULT_URL,
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback unless you give another).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
) -> None:
    """Serve the workbench (pages and /api/v1) beside `dbtl run` on the same database.

    Sessions are signed with $DBTL_SECRET_KEY (a random key if unset: sign-ins end
    at restart). Accounts: `dbtl user add`. Stop with Ctrl-C.
    """
    import uvicorn

    from lab.web import create_app

    app = create_app(Datastore(db), os.environ.get(SECRET_ENV) or None)
    if not _loopback(host):
        console.print(
            f"[yellow]listening on {host}: anyone who can reach it sees the sign-in page; "
            "put it behind TLS[/yellow]"
        )
    console.print(f"serving [cyan]{redact(db)}[/cyan] on http://{host}:{port}/ (API: /api/v1)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
