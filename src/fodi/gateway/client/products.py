"""The menu: products, search by name and by ingredient, and the bot's menu formatting."""

from __future__ import annotations

import time

from fodi.gateway.client.auth import _rows
from fodi.gateway.client.models import Product
from fodi.gateway.client.transport import Transport

# Word forms of the common ingredients, Russian and English (the original's table, extended):
# searching for any of them finds dishes naming any other.
INGREDIENT_FORMS: tuple[tuple[str, ...], ...] = (
    ("лосос", "сёмг", "семг", "salmon"),
    ("кревет", "shrimp", "prawn"),
    ("тунец", "тунц", "tuna"),
    ("угор", "угр", "eel"),
    ("авокадо", "avocado"),
    ("огур", "cucumber"),
    ("сыр", "cheese", "моцарел", "mozzarella", "пармезан"),
    ("икр", "caviar", "roe"),
    ("краб", "crab"),
    ("курин", "куриц", "chicken"),
    ("грибы", "гриб", "mushroom", "шампинь"),
    ("томат", "помидор", "tomato"),
    ("пепперони", "колбас", "pepperoni", "salami"),
    ("рис", "rice"),
    ("нори", "nori"),
    ("кокос", "coconut"),
)

CATEGORY_ORDER = ("Роллы", "Суши", "Закуски", "Пицца", "Супы", "Салаты", "Напитки")
MENU_FOOTER = "🚚 Доставка от 1500₽ — бесплатно!"


def ingredient_forms(word: str) -> tuple[str, ...]:
    """Every form that means the same ingredient as ``word`` (the word itself at least)."""
    needle = word.strip().lower().replace("ё", "е")
    for forms in INGREDIENT_FORMS:
        normalized = tuple(form.replace("ё", "е") for form in forms)
        if any(needle.startswith(form) or form.startswith(needle) for form in normalized):
            return normalized
    return (needle,)


def _haystack(product: Product) -> str:
    parts = [product.name, product.description or ""]
    parts += [line.ingredient_name or "" for line in product.ingredients]
    return " ".join(parts).lower().replace("ё", "е")


class ProductsClient:
    def __init__(self, transport: Transport, token: str | None) -> None:
        self._t = transport
        self._token = token
        self._cached: tuple[float, list[Product]] | None = None

    async def get_products(self, *, max_age: float = 0.0) -> list[Product]:
        """The visible menu.  ``max_age`` > 0 reuses a list fetched that recently."""
        now = time.monotonic()
        if max_age > 0 and self._cached and now - self._cached[0] < max_age:
            return self._cached[1]
        data = await self._t.request("GET", "/products")
        products = [Product.model_validate(row) for row in _rows(data, "products")]
        products = [p for p in products if p.is_visible is not False]
        self._cached = (now, products)
        return products

    async def get_product(self, product_id: str) -> Product:
        data = await self._t.request("GET", f"/products/{product_id}")
        return Product.model_validate(data)

    async def find_product_by_name(self, name: str, *, max_age: float = 0.0) -> Product | None:
        """The product whose name matches best: exact, then prefix, then contained."""
        needle = name.strip().lower().replace("ё", "е")
        if not needle:
            return None
        products = await self.get_products(max_age=max_age)
        names = [(p.name.lower().replace("ё", "е"), p) for p in products]
        for test in (
            lambda n: n == needle,
            lambda n: n.startswith(needle),
            lambda n: needle in n,
        ):
            for product_name, product in names:
                if test(product_name):
                    return product
        return None

    async def filter_by_ingredient(self, ingredient: str, *, max_age: float = 0.0) -> list[Product]:
        """Dishes naming the ingredient (any word form, Russian or English) or using it.

        The backend searches recipes by ingredient name; the word-form table adds the
        dishes whose name or description mentions it in another language or inflection.
        """
        forms = ingredient_forms(ingredient)
        products = await self.get_products(max_age=max_age)
        data = await self._t.request("GET", "/products", params={"ingredient": forms[0]})
        in_recipe = {str(row.get("id")) for row in _rows(data, "products") if isinstance(row, dict)}
        return [p for p in products if p.id in in_recipe or any(f in _haystack(p) for f in forms)]

    @staticmethod
    def format_products_list(products: list[Product]) -> str:
        """The bot's menu text, grouped by category (every category shown, unlike the original)."""
        if not products:
            return "Меню пока пусто."
        groups: dict[str, list[Product]] = {}
        for product in products:
            groups.setdefault(product.category or "Другое", []).append(product)
        ordered = [c for c in CATEGORY_ORDER if c in groups]
        ordered += sorted(c for c in groups if c not in CATEGORY_ORDER)
        lines = ["🍽 **Наше меню:**"]
        for category in ordered:
            lines.append(f"\n**{category}**")
            for product in groups[category]:
                weight = f" ({product.weight})" if product.weight else ""
                lines.append(f"• **{product.name}** — {int(product.price)}₽{weight}")
                if product.description and len(product.description.encode()) < 100:
                    lines.append(f"  _{product.description}_")
        lines.append(f"\n{MENU_FOOTER}")
        return "\n".join(lines)
