"""The menu's rules: categories, dishes, recipes and search.  Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.backend.catalog.models import Category, Product, RecipeItem
from fodi.backend.catalog.schemas import (
    CategoryOut,
    ProductDetail,
    ProductIn,
    ProductOut,
    ProductPatch,
    RecipeLineIn,
    RecipeLineOut,
)
from fodi.backend.inventory.models import Ingredient
from fodi.backend.units import from_milli, from_minor, to_milli, to_minor
from fodi.core.errors import BadRequest, Conflict, NotFound

# The original guessed a missing category from the dish's name (lower-case stems).
CATEGORY_HINTS = (
    (("ролл",), "Роллы"),
    (("суши", "нигири"), "Суши"),
    (("салат",), "Салаты"),
    (("напиток", "сок", "чай"), "Напитки"),
    (("суп", "мисо"), "Супы"),
    (("пицц",), "Пицца"),
)


def guess_category(name: str) -> str | None:
    lowered = name.lower()
    for stems, category in CATEGORY_HINTS:
        if any(stem in lowered for stem in stems):
            return category
    return None


def product_out(product: Product, category: str) -> ProductOut:
    return ProductOut(
        id=product.id,
        name=product.name,
        description=product.description,
        price=from_minor(product.price_minor),
        image_url=product.image_url,
        weight=product.weight,
        category=category,
        is_visible=product.is_visible,
        created_at=product.created_at,
    )


async def find_category(session: AsyncSession, name: str) -> Category | None:
    """Case-insensitive, compared in Python: SQLite's lower() leaves Cyrillic alone."""
    wanted = name.strip().casefold()
    for category in await session.scalars(select(Category)):
        if category.name.casefold() == wanted:
            return category
    return None


async def category_by_name(session: AsyncSession, name: str, *, create: bool) -> Category:
    category = await find_category(session, name)
    if category is not None:
        return category
    if not create:
        raise NotFound(f"Category {name!r} not found")
    category = Category(name=name.strip(), position=0)
    session.add(category)
    await session.flush()
    return category


async def list_categories(session: AsyncSession, *, visible_only: bool) -> list[CategoryOut]:
    counted = func.count(Product.id)
    join_on = Product.category_id == Category.id
    if visible_only:
        join_on = join_on & Product.is_visible.is_(True)
    rows = await session.execute(
        select(Category, counted)
        .outerjoin(Product, join_on)
        .group_by(Category.id)
        .order_by(Category.position, Category.name)
    )
    return [
        CategoryOut(id=c.id, name=c.name, position=c.position, products_count=int(n))
        for c, n in rows
    ]


async def create_category(session: AsyncSession, name: str, position: int) -> Category:
    if await find_category(session, name) is not None:
        raise Conflict(f"Category {name!r} already exists")
    category = Category(name=name, position=position)
    session.add(category)
    await session.flush()
    return category


async def list_products(
    session: AsyncSession,
    *,
    visible_only: bool,
    name: str | None = None,
    ingredient: str | None = None,
    category: str | None = None,
) -> list[ProductOut]:
    """Newest first (as the original); search by name, by ingredient name, by category."""
    statement = select(Product, Category.name).join(Category, Product.category_id == Category.id)
    if visible_only:
        statement = statement.where(Product.is_visible.is_(True))
    if name:
        statement = statement.where(Product.name_key.contains(name.lower(), autoescape=True))
    if category:
        found = await find_category(session, category)
        if found is None:
            return []
        statement = statement.where(Product.category_id == found.id)
    if ingredient:
        matching = await ingredient_ids_matching(session, ingredient)
        with_ingredient = select(RecipeItem.product_id).where(
            RecipeItem.ingredient_id.in_(matching)
        )
        statement = statement.where(Product.id.in_(with_ingredient))
    rows = await session.execute(statement.order_by(Product.created_at.desc(), Product.name))
    return [product_out(product, category_name) for product, category_name in rows]


async def ingredient_ids_matching(session: AsyncSession, text: str) -> list[str]:
    """Ingredients whose name contains ``text``, case-insensitively in any alphabet."""
    wanted = text.casefold()
    rows = await session.execute(select(Ingredient.id, Ingredient.name))
    return [item_id for item_id, name in rows if wanted in name.casefold()]


async def recipe_lines(session: AsyncSession, product_id: str) -> list[RecipeLineOut]:
    rows = await session.execute(
        select(RecipeItem, Ingredient)
        .join(Ingredient, RecipeItem.ingredient_id == Ingredient.id)
        .where(RecipeItem.product_id == product_id)
        .order_by(Ingredient.name)
    )
    lines = []
    for item, ingredient in rows:
        unit_price = ingredient.price_per_unit_minor or 0
        lines.append(
            RecipeLineOut(
                id=item.id,
                product_id=item.product_id,
                ingredient_id=ingredient.id,
                ingredient_name=ingredient.name,
                quantity=from_milli(item.quantity_milli),
                unit=ingredient.unit,
                price_per_unit=from_minor(unit_price),
                # per-portion cost, rounded to the kopeck in integer arithmetic
                total_price=from_minor((unit_price * item.quantity_milli + 500) // 1000),
            )
        )
    return lines


async def get_product(session: AsyncSession, product_id: str, *, visible_only: bool) -> Product:
    product = await session.get(Product, product_id)
    if product is None or (visible_only and not product.is_visible):
        raise NotFound("Product not found")
    return product


async def product_detail(
    session: AsyncSession, product_id: str, *, visible_only: bool
) -> ProductDetail:
    product = await get_product(session, product_id, visible_only=visible_only)
    category = await session.get(Category, product.category_id)
    base = product_out(product, category.name if category else "")
    return ProductDetail(
        **base.model_dump(), ingredients=await recipe_lines(session, product.id), semi_finished=[]
    )


async def _set_recipe(
    session: AsyncSession, product: Product, lines: Sequence[RecipeLineIn]
) -> None:
    ids = [line.ingredient_id for line in lines]
    if len(set(ids)) != len(ids):
        raise BadRequest("Each ingredient may appear once in a recipe")
    known = set(await session.scalars(select(Ingredient.id).where(Ingredient.id.in_(ids))))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise BadRequest(f"Unknown ingredient(s): {', '.join(unknown)}")
    await session.execute(delete(RecipeItem).where(RecipeItem.product_id == product.id))
    session.add_all(
        RecipeItem(
            product_id=product.id,
            ingredient_id=line.ingredient_id,
            quantity_milli=to_milli(line.quantity),
        )
        for line in lines
    )


async def _resolve_category(session: AsyncSession, name: str | None, product_name: str) -> Category:
    chosen = name or guess_category(product_name)
    if not chosen:
        raise BadRequest("Category is required (it could not be guessed from the name)")
    return await category_by_name(session, chosen, create=True)


async def _flush_unique(session: AsyncSession, name: str, category: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Product {name!r} already exists in category {category!r}") from exc


async def create_product(session: AsyncSession, data: ProductIn) -> Product:
    category = await _resolve_category(session, data.category, data.name)
    product = Product(
        name=data.name,
        name_key=data.name.lower(),
        description=data.description,
        price_minor=to_minor(data.price),
        image_url=data.image_url,
        weight=data.weight,
        category_id=category.id,
        is_visible=data.is_visible,
    )
    session.add(product)
    await _flush_unique(session, data.name, category.name)
    await _set_recipe(session, product, data.ingredients)
    await session.flush()
    return product


async def update_product(session: AsyncSession, product_id: str, data: ProductPatch) -> Product:
    product = await get_product(session, product_id, visible_only=False)
    if data.name is not None:
        product.name, product.name_key = data.name, data.name.lower()
    if data.category is not None:
        product.category_id = (await category_by_name(session, data.category, create=True)).id
    if data.price is not None:
        product.price_minor = to_minor(data.price)
    for name in ("description", "image_url", "weight"):
        if name in data.model_fields_set:
            setattr(product, name, getattr(data, name))
    if data.is_visible is not None:
        product.is_visible = data.is_visible
    category = await session.get(Category, product.category_id)
    await _flush_unique(session, product.name, category.name if category else "")
    if data.ingredients is not None:
        await _set_recipe(session, product, data.ingredients)
        await session.flush()
    return product


async def delete_product(session: AsyncSession, product_id: str) -> None:
    product = await get_product(session, product_id, visible_only=False)
    await session.delete(product)
    await session.flush()


@dataclass(slots=True)
class Priced:
    """A dish as an order sees it: its current price and its recipe (ingredient, amount)."""

    id: str
    name: str
    price_minor: int
    recipe: list[tuple[str, int]] = field(default_factory=list)


# Built once: every order runs it, and building and hashing the statement per call cost
# more than the database's part of it.
_PRICED_PRODUCTS = (
    select(
        Product.id,
        Product.name,
        Product.price_minor,
        RecipeItem.ingredient_id,
        RecipeItem.quantity_milli,
    )
    .outerjoin(RecipeItem, RecipeItem.product_id == Product.id)
    .where(Product.id.in_(bindparam("ids", expanding=True)), Product.is_visible.is_(True))
)


async def priced_products(session: AsyncSession, product_ids: Iterable[str]) -> dict[str, Priced]:
    """Visible dishes' current prices and recipes, in one query: the only prices orders use."""
    rows = await session.execute(_PRICED_PRODUCTS, {"ids": list(product_ids)})
    priced: dict[str, Priced] = {}
    for pid, name, price, ingredient_id, amount in rows:
        dish = priced.setdefault(pid, Priced(pid, name, price))
        if ingredient_id is not None:
            dish.recipe.append((ingredient_id, amount))
    return priced


async def count_products(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Product)) or 0)
