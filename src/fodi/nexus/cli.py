"""`fodi nexus` commands: service tokens, bots, and dispatcher worker processes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from fodi.core.cli_support import console, fail, run

if TYPE_CHECKING:
    from fodi.core.db import Database

app = typer.Typer(help="The nexus service.", no_args_is_help=True)
token_app = typer.Typer(help="Service tokens for bots and admins.", no_args_is_help=True)
bot_app = typer.Typer(help="The registry of bots.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(bot_app, name="bot")


@token_app.command("create")
def token_create(
    bot: Annotated[str | None, typer.Option("--bot", help="The bot's code")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="An admin token")] = False,
    name: Annotated[str | None, typer.Option(help="A label for the token")] = None,
) -> None:
    """Issue a token and print it on stdout (only once: just its digest is stored)."""
    from fodi.core.errors import AppError
    from fodi.nexus.auth.service import issue_token

    if admin == (bot is not None):
        fail("give either --bot CODE or --admin", code=2)

    async def create() -> str:
        async with _database() as database, database.session() as session:
            _, token = await issue_token(session, bot_code=bot, admin=admin, name=name)
            await session.commit()
            return token

    try:
        token = run(create())
    except AppError as exc:
        fail(exc.message)
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str | None, typer.Option("--id", help="The token's id")] = None,
    token: Annotated[str | None, typer.Option("--token", help="The token itself")] = None,
    bot: Annotated[str | None, typer.Option("--bot", help="Every token of this bot")] = None,
) -> None:
    """Revoke one token (--id or --token) or all of a bot's (--bot)."""
    from fodi.nexus.auth.service import revoke_tokens

    if sum(value is not None for value in (token_id, token, bot)) != 1:
        fail("give exactly one of --id, --token or --bot", code=2)

    async def revoke() -> int:
        async with _database() as database, database.session() as session:
            count = await revoke_tokens(session, token_id=token_id, token=token, bot_code=bot)
            await session.commit()
            return count

    count = run(revoke())
    if count == 0:
        fail("no such active token")
    console.print(f"revoked {count} token(s)")


@token_app.command("list")
def token_list() -> None:
    """The tokens (ids, bots, state; never the tokens themselves)."""
    from rich.table import Table

    from fodi.nexus.auth.service import list_tokens

    async def fetch() -> list[tuple[str, str, str, str, str]]:
        async with _database() as database, database.session() as session:
            return [
                (
                    token.id,
                    token.name,
                    "admin" if token.is_admin else (code or "?"),
                    token.created_at.isoformat(timespec="seconds"),
                    "revoked" if token.revoked_at else "active",
                )
                for token, code in await list_tokens(session)
            ]

    table = Table("id", "name", "scope", "created", "status")
    for row in run(fetch()):
        table.add_row(*row)
    console.print(table)


@bot_app.command("create")
def bot_create(
    code: Annotated[str, typer.Option(help="Unique code, e.g. youtube_downloader")],
    name: Annotated[str, typer.Option(help="Display name")],
    description: Annotated[str | None, typer.Option(help="What it does")] = None,
    version: Annotated[str, typer.Option(help="Its version")] = "1.0.0",
) -> None:
    """Register a bot (prints its id)."""
    from pydantic import ValidationError

    from fodi.core.errors import AppError
    from fodi.nexus.bots import service
    from fodi.nexus.bots.schemas import BotCreate

    try:
        data = BotCreate(code=code, name=name, description=description, version=version)
    except ValidationError as exc:
        fail(f"invalid bot: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", code=2)

    async def create() -> str:
        async with _database() as database, database.session() as session:
            bot = await service.create(session, data)
            await session.commit()
            return bot.id

    try:
        typer.echo(run(create()))
    except AppError as exc:
        fail(exc.message)


@bot_app.command("list")
def bot_list() -> None:
    """The registered bots."""
    from rich.table import Table

    from fodi.nexus.bots import service

    async def fetch() -> list[tuple[str, str, str, str]]:
        async with _database() as database, database.session() as session:
            bots = await service.list_bots(session, service.list_query())
            return [
                (
                    bot.code,
                    bot.name,
                    "active" if bot.is_active else "inactive",
                    bot.webhook_url or "",
                )
                for bot in bots
            ]

    table = Table("code", "name", "status", "webhook")
    for row in run(fetch()):
        table.add_row(*row)
    console.print(table)


@app.command("dispatch")
def dispatch(
    workers: Annotated[int, typer.Option(min=1, max=64, help="Concurrent worker loops")] = 1,
) -> None:
    """Run dispatcher workers in this process until interrupted (scale out with more
    processes; they never deliver an event twice concurrently)."""
    import asyncio

    from fodi.core.logging import configure_logging
    from fodi.core.settings import load_settings
    from fodi.nexus.dispatcher import running_workers

    settings = load_settings()
    configure_logging(level=settings.log_level, as_json=settings.logs_as_json)

    async def serve() -> None:
        async with (
            _database() as database,
            running_workers(
                database, settings.nexus, production=settings.is_production, workers=workers
            ),
        ):
            console.print(f"dispatching with {workers} worker(s); Ctrl-C to stop", style="dim")
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        run(serve())


@asynccontextmanager
async def _database() -> AsyncIterator[Database]:
    """The database of the environment's settings, disposed when done."""
    from fodi.core.db import Database
    from fodi.core.settings import load_settings

    database = Database.from_url(load_settings().effective_database_url)
    try:
        yield database
    finally:
        await database.dispose()
