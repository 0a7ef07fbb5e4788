"""Backend commands: ``fodi seed-demo`` and ``fodi user create``.

Both assume ``fodi migrate`` ran; they say so clearly when the tables are missing.  Heavy
imports live inside the commands so ``fodi --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fodi.core.cli_support import console, fail, run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fodi.core.settings import Settings

user_app = typer.Typer(help="Manage people's accounts.", no_args_is_help=True)

MISSING_TABLES = "the database has no backend tables yet; run `fodi migrate` first"


def _is_missing_table(error: Exception) -> bool:
    text = str(error).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


async def _has_demo_data(session: AsyncSession, settings: Settings) -> bool:
    from sqlalchemy import func, select

    from fodi.backend.catalog.models import Product
    from fodi.backend.users import service as users

    admin = await users.find_by_email(session, settings.backend.demo_admin_email)
    products = await session.scalar(select(func.count()).select_from(Product))
    return admin is not None and bool(products)


async def load_demo(session: AsyncSession, settings: Settings) -> dict[str, int]:
    """Add whatever part of the demo data is missing (safe to run again).  Never commits."""
    from sqlalchemy import select

    from fodi.backend import demo
    from fodi.backend.catalog import service as catalog
    from fodi.backend.catalog.models import Product
    from fodi.backend.catalog.schemas import ProductIn, RecipeLineIn
    from fodi.backend.inventory import service as inventory
    from fodi.backend.inventory.models import Ingredient
    from fodi.backend.inventory.schemas import StockItemIn, Unit
    from fodi.backend.users import service as users
    from fodi.core.security import Role

    added = {"ingredients": 0, "products": 0, "admins": 0}
    for position, name in enumerate(demo.CATEGORY_ORDER):
        category = await catalog.category_by_name(session, name, create=True)
        category.position = position
    ingredient_ids: dict[str, str] = {}
    for name, unit, stock, minimum, unit_price in demo.INGREDIENTS:
        item = await session.scalar(select(Ingredient).where(Ingredient.name == name))
        if item is None:
            item = await inventory.create_item(
                session,
                StockItemIn(
                    name=name,
                    unit=Unit(unit),
                    quantity=demo.decimal(stock),
                    min_quantity=demo.decimal(minimum),
                    price_per_unit=demo.decimal(unit_price),
                    supplier="Демо-поставщик",
                ),
                user_id=None,
            )
            added["ingredients"] += 1
        ingredient_ids[name] = item.id
    for name, price, category_name, weight, description, recipe in demo.DISHES:
        exists = await session.scalar(select(Product.id).where(Product.name_key == name.lower()))
        if exists is not None:
            continue
        await catalog.create_product(
            session,
            ProductIn(
                name=name,
                price=demo.decimal(price),
                category=category_name,
                weight=weight,
                description=description,
                is_visible=True,
                image_url=None,
                ingredients=[
                    RecipeLineIn(
                        ingredient_id=ingredient_ids[ingredient], quantity=demo.decimal(amount)
                    )
                    for ingredient, amount in recipe
                ],
            ),
        )
        added["products"] += 1
    email = settings.backend.demo_admin_email
    if await users.find_by_email(session, email) is None:
        await users.create(
            session,
            email=email,
            name="Demo admin",
            password=settings.backend.demo_admin_password,
            role=Role.ADMIN,
        )
        added["admins"] += 1
    return added


async def _seed(settings: Settings, once: bool) -> None:
    from sqlalchemy.exc import DBAPIError

    import fodi.backend.models  # noqa: F401 (every table, so foreign keys resolve)
    from fodi.core.db import Database

    database = Database.from_url(settings.effective_database_url)
    try:
        async with database.session() as session:
            if once and await _has_demo_data(session, settings):
                console.print("demo data already loaded; nothing to do")
                return
            added = await load_demo(session, settings)
            await session.commit()
    except DBAPIError as error:
        if _is_missing_table(error):
            fail(MISSING_TABLES)
        raise
    finally:
        await database.dispose()
    console.print(
        f"demo data: {added['products']} dishes, {added['ingredients']} ingredients added; "
        f"admin [bold]{settings.backend.demo_admin_email}[/] / "
        f"[bold]{settings.backend.demo_admin_password}[/]"
    )


def seed_demo(
    once: Annotated[
        bool, typer.Option("--once", help="Do nothing if the demo data is already there")
    ] = False,
) -> None:
    """Load the demo menu, recipes, stock and admin (idempotent; refused in production)."""
    from fodi.core.settings import load_settings

    settings = load_settings()
    if settings.is_production:
        fail("seed-demo is for development and demos; it refuses to run in production")
    run(_seed(settings, once))


async def _create_user(settings: Settings, email: str, name: str, role: str, password: str) -> str:
    from sqlalchemy.exc import DBAPIError

    import fodi.backend.models  # noqa: F401 (every table, so foreign keys resolve)
    from fodi.backend.users import service as users
    from fodi.core.db import Database
    from fodi.core.errors import AppError

    database = Database.from_url(settings.effective_database_url)
    try:
        async with database.session() as session:
            user = await users.create(session, email=email, name=name, password=password, role=role)
            await session.commit()
            return user.id
    except AppError as error:
        fail(error.message)
    except DBAPIError as error:
        if _is_missing_table(error):
            fail(MISSING_TABLES)
        raise
    finally:
        await database.dispose()


@user_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="Login email")],
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[str, typer.Option(help="user, admin, manager, cook, courier, ...")] = "user",
    password: Annotated[
        str | None, typer.Option(help="Asked for (hidden, twice) when not given")
    ] = None,
) -> None:
    """Create an account."""
    from pydantic import TypeAdapter, ValidationError

    from fodi.backend.users.schemas import RegisterIn
    from fodi.backend.users.service import ROLES
    from fodi.core.settings import load_settings

    if role not in ROLES:
        fail(f"unknown role {role!r}; use one of: {', '.join(ROLES)}", code=2)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        TypeAdapter(RegisterIn).validate_python(
            {"email": email, "name": name, "password": password}
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        fail(problems, code=2)
    user_id = run(_create_user(load_settings(), email, name, role, password))
    console.print(f"created {role} [bold]{email}[/] (id {user_id})")
