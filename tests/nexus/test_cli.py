"""`fodi nexus token|bot` commands against a real database."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from fodi.cli import app
from fodi.core.db import Database
from fodi.core.errors import Unauthorized
from fodi.nexus.auth.service import Caller, authenticate


def check(url: str, token: str) -> Caller:
    async def go() -> Caller:
        database = Database.from_url(url)
        try:
            async with database.session() as session:
                return await authenticate(session, token)
        finally:
            await database.dispose()

    return asyncio.run(go())


def test_bot_and_token_lifecycle(committing_db: Database, migrated_url: str) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": migrated_url, "FODI_ENV": "test"}

    created = runner.invoke(
        app, ["nexus", "bot", "create", "--code", "reminder", "--name", "R"], env=env
    )
    assert created.exit_code == 0, created.output
    duplicate = runner.invoke(
        app, ["nexus", "bot", "create", "--code", "reminder", "--name", "R"], env=env
    )
    assert duplicate.exit_code == 1
    bad = runner.invoke(app, ["nexus", "bot", "create", "--code", "Bad!", "--name", "R"], env=env)
    assert bad.exit_code == 2

    issued = runner.invoke(app, ["nexus", "token", "create", "--bot", "reminder"], env=env)
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert token.startswith("nxs_")
    assert "\n" not in token
    caller = check(migrated_url, token)
    assert caller.bot_code == "reminder"
    assert not caller.is_admin

    admin = runner.invoke(app, ["nexus", "token", "create", "--admin"], env=env)
    assert check(migrated_url, admin.stdout.strip()).is_admin

    unknown = runner.invoke(app, ["nexus", "token", "create", "--bot", "ghost"], env=env)
    assert unknown.exit_code == 1
    both = runner.invoke(app, ["nexus", "token", "create", "--bot", "reminder", "--admin"], env=env)
    assert both.exit_code == 2

    listed = runner.invoke(app, ["nexus", "token", "list"], env=env)
    assert "reminder" in listed.stdout
    assert token not in listed.stdout

    revoked = runner.invoke(app, ["nexus", "token", "revoke", "--token", token], env=env)
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(Unauthorized):
        check(migrated_url, token)
    again = runner.invoke(app, ["nexus", "token", "revoke", "--token", token], env=env)
    assert again.exit_code == 1

    second = runner.invoke(app, ["nexus", "token", "create", "--bot", "reminder"], env=env)
    all_of_bot = runner.invoke(app, ["nexus", "token", "revoke", "--bot", "reminder"], env=env)
    assert all_of_bot.exit_code == 0
    with pytest.raises(Unauthorized):
        check(migrated_url, second.stdout.strip())
