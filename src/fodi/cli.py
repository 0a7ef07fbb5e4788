"""The `fodi` command: serve, migrate, seed, manage users, and run the whole platform."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from fodi.analytics.cli import app as analytics_app
from fodi.backend.cli import seed_demo, user_app
from fodi.core.cli_support import console, fail, run
from fodi.core.logging import configure_logging
from fodi.core.settings import load_settings
from fodi.franchise.cli import app as franchise_app
from fodi.franchise.cli import ledger_app
from fodi.gateway.cli import app as gateway_app
from fodi.nexus.cli import app as nexus_app
from fodi.services import SERVICES
from fodi.supervisor.cli import ctl_app, up

app = typer.Typer(
    name="fodi",
    help="FodiFood: an open restaurant platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("seed-demo")(seed_demo)
app.command("up")(up)
app.add_typer(user_app, name="user")
app.add_typer(ctl_app, name="ctl")
app.add_typer(gateway_app, name="gateway")
app.add_typer(nexus_app, name="nexus")
app.add_typer(analytics_app, name="analytics")
app.add_typer(franchise_app, name="franchise")
app.add_typer(ledger_app, name="ledger")


@app.command()
def serve(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}")],
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Serve one service over HTTP."""
    spec = SERVICES.get(name)
    if spec is None:
        fail(f"unknown service {name!r}; choose one of {', '.join(SERVICES)}", code=2)
    settings = load_settings()
    configure_logging(level=settings.log_level, as_json=settings.logs_as_json)
    section = spec.section(settings)
    uvicorn.run(
        spec.factory,
        factory=True,
        host=host or section.host,
        port=port or section.port,
        workers=workers,
        log_config=None,
        access_log=False,
        # Above the gateway's own frame limit, so an oversized frame gets an `error` frame
        # from the gateway rather than a bare close from the server.
        ws_max_size=2 * 1024 * 1024,
    )


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Apply the database migrations (SQLite or PostgreSQL, per DATABASE_URL)."""
    from fodi.core import migrations  # Alembic is heavy: only this command needs it

    settings = load_settings()
    url = settings.effective_database_url
    run(migrations.upgrade(url, revision))
    console.print(f"database at revision [bold]{run(migrations.current_revision(url))}[/]")


def main() -> None:
    app()
