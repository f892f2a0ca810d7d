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
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="Mark the sign-in cookies Secure (browsers send them over HTTPS only). "
            "Default: on unless the host is loopback (127.0.0.1, ::1, localhost).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the workbench (pages and /api/v1) beside `dbtl run` on the same database.

    Sessions are signed with $DBTL_SECRET_KEY (a random key if unset: sign-ins end
    at restart). Accounts: `dbtl user add`. Stop with Ctrl-C.
    """
    import uvicorn

    from lab.web import create_app

    secure = cookies_secure(host, secure_cookies)
    app = create_app(Datastore(db), os.environ.get(SECRET_ENV) or None, secure)
    if not _loopback(host):
        console.print(
            f"[yellow]listening on {host}: anyone who can reach it sees the sign-in page; "
            "put it behind TLS[/yellow]"
        )
    if secure:
        console.print(
            "sign-in cookies are Secure: browsers send them over HTTPS only "
            "(--no-secure-cookies for plain http)"
        )
    console.print(f"serving [cyan]{redact(db)}[/cyan] on http://{host}:{port}/ (API: /api/v1)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def cookies_secure(host: str, chosen: bool | None) -> bool:
    """Whether cookies carry ``Secure``: as ``chosen``, else unless ``host`` is loopback.

    Over plain http a browser drops a ``Secure`` cookie, so signing in on
    ``http://127.0.0.1`` needs it off; anywhere else the server should sit behind TLS.
    """
    return (not _loopback(host)) if chosen is None else chosen


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
