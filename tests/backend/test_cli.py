"""``fodi seed-demo`` and ``fodi user create``, run as commands against a fresh database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from fodi.backend.catalog.models import Product
from fodi.backend.inventory.models import Ingredient
from fodi.backend.users.models import User
from fodi.cli import app
from fodi.core import migrations
from fodi.core.db import Database
from fodi.core.security import verify_password

runner = CliRunner()


@pytest.fixture
def fresh_url(tmp_path: Path, clean_environment: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    clean_environment.setenv("DATABASE_URL", url)
    clean_environment.setenv("FODI_VAR_DIR", str(tmp_path / "var"))
    clean_environment.chdir(tmp_path)  # no developer .env
    return url


def migrate(url: str) -> None:
    asyncio.run(migrations.upgrade(url))


def query(url: str, statement: Any) -> Any:
    async def go() -> Any:
        database = Database.from_url(url)
        try:
            async with database.session() as session:
                return await session.scalar(statement)
        finally:
            await database.dispose()

    return asyncio.run(go())


def count(url: str, model: Any) -> int:
    return int(query(url, select(func.count()).select_from(model)))


def test_seed_demo_loads_the_fallback_menu_once(fresh_url: str) -> None:
    migrate(fresh_url)
    first = runner.invoke(app, ["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@fodifood.local" in first.output
    products, ingredients = count(fresh_url, Product), count(fresh_url, Ingredient)
    assert products >= 20
    names = set(query(fresh_url, select(func.group_concat(Product.name))).split(","))
    assert {"Филадельфия", "Калифорния", "Маргарита", "Пепперони", "Том Ям", "Coca-Cola"} <= names
    philadelphia = query(
        fresh_url, select(Product.price_minor).where(Product.name == "Филадельфия")
    )
    assert philadelphia == 45_000

    again = runner.invoke(app, ["seed-demo"])  # idempotent: nothing doubles
    assert again.exit_code == 0, again.output
    assert (count(fresh_url, Product), count(fresh_url, Ingredient)) == (products, ingredients)
    once = runner.invoke(app, ["seed-demo", "--once"])
    assert "already loaded" in once.output
    admin_hash = query(fresh_url, select(User.password_hash).where(User.role == "admin"))
    assert verify_password(str(admin_hash), "admin12345")


def test_seed_demo_explains_missing_tables(fresh_url: str) -> None:
    result = runner.invoke(app, ["seed-demo"])
    assert result.exit_code == 1
    assert "fodi migrate" in result.output


def test_seed_demo_refuses_production(
    fresh_url: str, clean_environment: pytest.MonkeyPatch
) -> None:
    clean_environment.setenv("FODI_ENV", "production")
    result = runner.invoke(app, ["seed-demo"])
    assert result.exit_code == 1
    assert "production" in result.output


def test_user_create_prompts_for_a_hidden_password(fresh_url: str) -> None:
    migrate(fresh_url)
    result = runner.invoke(
        app,
        ["user", "create", "--email", "Cook@Example.com", "--name", "Повар", "--role", "cook"],
        input="kitchen-secret\nkitchen-secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "kitchen-secret" not in result.output
    stored = query(fresh_url, select(User).where(User.email == "cook@example.com"))
    assert isinstance(stored, User)
    assert stored.role == "cook"
    assert verify_password(stored.password_hash, "kitchen-secret")

    duplicate = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "cook@example.com",
            "--name",
            "X",
            "--password",
            "long-pass-1",
        ],
    )
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output
    bad_role = runner.invoke(
        app, ["user", "create", "--email", "a@b.example", "--name", "X", "--role", "king"]
    )
    assert bad_role.exit_code == 2
    short = runner.invoke(
        app, ["user", "create", "--email", "a@b.example", "--name", "X", "--password", "short"]
    )
    assert short.exit_code == 2
