"""The assistant: classify a message, answer it from live data, remember the conversation.

Every answer about dishes and prices comes from the backend's menu through the client, never
from a built-in list.  Orders are placed on the person's behalf only after they confirm, and
with the contact details they gave (the original sent a hard-coded test customer).
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fodi.gateway.assistant import metrics
from fodi.gateway.assistant.intents import CATEGORIES, Classification, Intent, classify
from fodi.gateway.assistant.llm_fallback import LLMFallback
from fodi.gateway.assistant.memory import Memory, MemoryStore, PendingLine
from fodi.gateway.assistant.text import has_any, normalize, tokens
from fodi.gateway.client import (
    BackendClient,
    BackendError,
    BackendUnavailable,
    NewOrder,
    OrderLine,
    Product,
    ProductInfo,
)
from fodi.gateway.client.products import MENU_FOOTER, ProductsClient
from fodi.gateway.identity import Caller

_ORDER_FLOW = frozenset({Intent.CREATE_ORDER, Intent.CANCEL_ORDER, Intent.CONFIRM})
MENU_MAX_AGE = 5.0  # seconds the assistant reuses a fetched menu
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)

STATUS_NAMES = {
    "pending": "принят",
    "confirmed": "подтверждён",
    "preparing": "готовится",
    "ready": "готов",
    "delivered": "доставлен",
    "cancelled": "отменён",
}


@dataclass(slots=True)
class Reply:
    intent: Intent
    text: str
    products: list[ProductInfo] | None = None
    suggestions: list[str] | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _price(value: Decimal) -> str:
    return f"{value.normalize():f}".rstrip(".") + "₽" if value % 1 else f"{int(value)}₽"


def _minor(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


class Assistant:
    def __init__(
        self,
        backend: BackendClient,
        *,
        memory: MemoryStore | None = None,
        llm: LLMFallback | None = None,
    ) -> None:
        self.backend = backend
        self.memory = memory or MemoryStore()
        self.llm = llm

    async def menu(self) -> list[Product]:
        return await self.backend.products.get_products(max_age=MENU_MAX_AGE)

    async def classify(self, text: str, caller: Caller | None = None) -> Classification:
        previous = self.memory.get(caller.user_id).last_intent if caller else None
        names: tuple[str, ...] = ()
        # Without the menu the demo vocabulary still classifies; answers say it is away.
        with contextlib.suppress(BackendError):
            names = tuple(p.name for p in await self.menu())
        return classify(text, menu_names=names, previous=previous)

    async def reply(self, caller: Caller, text: str) -> Reply:
        started = time.perf_counter()
        memory = self.memory.get(caller.user_id)
        classification = await self.classify(text, caller)
        english = not _CYRILLIC.search(text)
        try:
            answer = await self._answer(caller, memory, classification, english)
        finally:
            metrics.record(classification.intent.value, time.perf_counter() - started)
        if answer.intent is not Intent.CONFIRM:
            memory.last_intent = answer.intent
        return answer

    async def _answer(self, caller: Caller, memory: Memory, c: Classification, en: bool) -> Reply:
        intent = c.intent
        if memory.pending and c.entities.phone and intent not in _ORDER_FLOW:
            return await self._contact(memory, c, en)
        if intent is Intent.GREETING:
            return Reply(
                intent,
                _t(
                    en,
                    "👋 Привет! Я бот FodiFood. Показать меню?",
                    "👋 Hi! I'm the FodiFood bot. Shall I show the menu?",
                ),
            )
        if intent is Intent.FAREWELL:
            return Reply(intent, _t(en, "👋 До встречи! Приятного аппетита!", "👋 Bye! Enjoy!"))
        if intent is Intent.THANKS:
            return Reply(intent, _t(en, "😊 Пожалуйста! Обращайтесь.", "😊 You're welcome!"))
        if intent is Intent.HELP:
            return Reply(intent, HELP_TEXT_EN if en else HELP_TEXT_RU)
        if intent is Intent.WHO_AM_I:
            return self._who(caller, en)
        if intent is Intent.DELIVERY_INFO:
            return Reply(intent, _t(en, DELIVERY_RU, DELIVERY_EN))
        if intent in (Intent.VIEW_MENU, Intent.PRODUCT_SEARCH):
            return await self._menu(intent, c, en)
        if intent is Intent.SEARCH_BY_INGREDIENT:
            return await self._by_ingredient(c, en)
        if intent in (Intent.PRODUCT_INFO, Intent.PRICE_INQUIRY, Intent.CHECK_INGREDIENTS):
            return await self._dish(intent, memory, c, en)
        if intent is Intent.RECOMMENDATION:
            return await self._recommend(c, en)
        if intent is Intent.CREATE_ORDER:
            return await self._propose_order(memory, c, en)
        if intent is Intent.CONFIRM:
            return await self._confirm(caller, memory, c, en)
        if intent is Intent.CANCEL_ORDER:
            return await self._cancel(caller, memory, c, en)
        if intent in (Intent.ORDER_STATUS, Intent.COURIER_STATUS):
            return await self._status(intent, caller, memory, c, en)
        if intent in (Intent.STOCK_STATUS, Intent.GET_STATISTICS, Intent.SALES_ANALYSIS):
            return await self._staff(intent, caller, en)
        return await self._unknown(caller, c, en)

    # --- people and menus -------------------------------------------------------------

    def _who(self, caller: Caller, en: bool) -> Reply:
        if caller.is_guest:
            return Reply(
                Intent.WHO_AM_I,
                _t(
                    en,
                    "Вы гость. Войдите, чтобы видеть свои заказы.",
                    "You are a guest. Sign in to see your orders.",
                ),
            )
        who = caller.email or caller.user_id
        return Reply(
            Intent.WHO_AM_I,
            _t(en, f"Вы {who}, роль: {caller.role}.", f"You are {who}, role: {caller.role}."),
        )

    async def _menu(self, intent: Intent, c: Classification, en: bool) -> Reply:
        products = await self.menu()
        category = c.entities.category
        if intent is Intent.PRODUCT_SEARCH and category:
            stems = CATEGORIES.get(category, ())
            products = [p for p in products if _in_category(p, category, stems)]
            if not products:
                return Reply(
                    intent,
                    _t(
                        en,
                        f"😔 {category}: сейчас нет в меню.",
                        f"😔 No {category} on the menu right now.",
                    ),
                    products=[],
                )
        text = ProductsClient.format_products_list(products)
        suggestions = ["Показать роллы", "Показать суши", "Что посоветуешь?"]
        return Reply(intent, text, [ProductInfo.of(p) for p in products], suggestions)

    async def _by_ingredient(self, c: Classification, en: bool) -> Reply:
        ingredient = c.entities.ingredient or c.text.strip()
        found = await self.backend.products.filter_by_ingredient(ingredient, max_age=MENU_MAX_AGE)
        suggestions = ["Добавить в корзину", "Узнать больше", "Показать похожие"]
        if not found:
            return Reply(
                c.intent,
                _t(en, f"😔 Не нашёл блюд с «{ingredient}».", f"😔 No dishes with '{ingredient}'."),
                [],
                suggestions,
            )
        lines = [f'🔍 **Нашёл {len(found)} блюд с "{ingredient}":**']
        lines += [f"• **{p.name}** — {_price(p.price)}" for p in found]
        return Reply(c.intent, "\n".join(lines), [ProductInfo.of(p) for p in found], suggestions)

    async def _find_dishes(self, c: Classification, memory: Memory) -> list[Product]:
        products = await self.menu()
        by_name = {p.name.lower(): p for p in products}
        found = [by_name[d.lower()] for d in c.entities.dishes if d.lower() in by_name]
        if not found and c.entities.dishes:
            for dish in c.entities.dishes:
                match = await self.backend.products.find_product_by_name(
                    dish.split(" ")[0][:6], max_age=MENU_MAX_AGE
                )
                if match:
                    found.append(match)
        if not found and memory.last_dish:
            found = [p for p in products if p.id == memory.last_dish]
        return found

    async def _dish(self, intent: Intent, memory: Memory, c: Classification, en: bool) -> Reply:
        dishes = await self._find_dishes(c, memory)
        if not dishes:
            if intent is Intent.PRICE_INQUIRY:
                products = await self.menu()
                lines = ["💰 **Актуальные цены:**"]
                lines += [f"• {p.name} — {_price(p.price)}" for p in products]
                return Reply(intent, "\n".join(lines), [ProductInfo.of(p) for p in products])
            return Reply(
                intent,
                _t(
                    en,
                    "🤔 Такого блюда нет в меню. Показать меню?",
                    "🤔 That dish is not on the menu. Shall I show it?",
                ),
            )
        dish = dishes[0]
        memory.last_dish = dish.id
        if intent is Intent.PRICE_INQUIRY:
            text = "\n".join(f"💰 {p.name} — {_price(p.price)}" for p in dishes)
        elif intent is Intent.CHECK_INGREDIENTS:
            detailed = await self.backend.products.get_product(dish.id)
            names = [line.ingredient_name for line in detailed.ingredients if line.ingredient_name]
            text = (
                f"🥢 {dish.name}: " + ", ".join(names)
                if names
                else _t(en, f"Состав «{dish.name}» не указан.", f"No recipe for {dish.name}.")
            )
        else:
            weight = f" ({dish.weight})" if dish.weight else ""
            text = f"🍽 **{dish.name}** — {_price(dish.price)}{weight}"
            if dish.description:
                text += f"\n_{dish.description}_"
        return Reply(intent, text, [ProductInfo.of(p) for p in dishes])

    async def _recommend(self, c: Classification, en: bool) -> Reply:
        products = await self.menu()
        if c.entities.category:
            stems = CATEGORIES.get(c.entities.category, ())
            products = [p for p in products if _in_category(p, c.entities.category, stems)]
        picks = products[:3]
        if not picks:
            return Reply(c.intent, _t(en, "Пока нечего посоветовать.", "Nothing to suggest yet."))
        lines = [_t(en, "⭐ Советую попробовать:", "⭐ Try these:")]
        lines += [f"• **{p.name}** — {_price(p.price)}" for p in picks]
        return Reply(c.intent, "\n".join(lines), [ProductInfo.of(p) for p in picks])

    # --- ordering -------------------------------------------------------------------------

    async def _propose_order(self, memory: Memory, c: Classification, en: bool) -> Reply:
        dishes = await self._find_dishes(c, memory)
        if not dishes:
            return Reply(
                c.intent,
                _t(
                    en,
                    "🛒 Что заказать? Назовите блюдо из меню.",
                    "🛒 What would you like? Name a dish on the menu.",
                ),
            )
        quantity = c.entities.quantity or 1
        for dish in dishes:
            line = next((x for x in memory.pending if x.product_id == dish.id), None)
            if line:
                line.quantity += quantity
            else:
                memory.pending.append(PendingLine(dish.id, dish.name, quantity, _minor(dish.price)))
        memory.last_dish = dishes[-1].id
        if c.entities.phone:
            self._take_contact(memory, c)
        return Reply(c.intent, self._pending_text(memory, en), data=self._pending_data(memory))

    def _pending_text(self, memory: Memory, en: bool) -> str:
        lines = [_t(en, "🛒 Ваш заказ:", "🛒 Your order:")]
        lines += [
            f"• {x.quantity} × {x.name} — {_price(Decimal(x.price_minor * x.quantity) / 100)}"
            for x in memory.pending
        ]
        lines.append(
            _t(en, "Итого: ", "Total: ") + _price(Decimal(memory.pending_total_minor) / 100)
        )
        if not (memory.phone and memory.address):
            lines.append(
                _t(
                    en,
                    "Напишите телефон и адрес доставки, например: +7 900 123-45-67, ул. Ленина 1",
                    "Send your phone and delivery address, e.g. +7 900 123-45-67, 1 Main St",
                )
            )
        else:
            lines.append(
                _t(
                    en,
                    f"Доставка: {memory.address}. Подтвердить? (да/нет)",
                    f"Delivery to {memory.address}. Confirm? (yes/no)",
                )
            )
        return "\n".join(lines)

    @staticmethod
    def _pending_data(memory: Memory) -> dict[str, Any]:
        return {
            "pending": [
                {"productId": x.product_id, "name": x.name, "quantity": x.quantity}
                for x in memory.pending
            ],
            "total": memory.pending_total_minor / 100,
        }

    @staticmethod
    def _take_contact(memory: Memory, c: Classification) -> None:
        assert c.entities.phone is not None
        rest = c.text.replace(c.entities.phone, " ")
        rest = re.sub(r"(?i)\b(адрес|телефон|phone|address|тел)\b[:.]?", " ", rest)
        address = re.sub(r"\s+", " ", rest).strip(" ,.;:-")
        memory.phone = c.entities.phone
        if len(address) >= 3:
            memory.address = address[:200]

    async def _contact(self, memory: Memory, c: Classification, en: bool) -> Reply:
        self._take_contact(memory, c)
        return Reply(Intent.CREATE_ORDER, self._pending_text(memory, en))

    async def _confirm(self, caller: Caller, memory: Memory, c: Classification, en: bool) -> Reply:
        if not memory.pending:
            return Reply(Intent.CONFIRM, _t(en, "Нечего подтверждать.", "Nothing to confirm."))
        if not (memory.phone and memory.address):
            return Reply(Intent.CREATE_ORDER, self._pending_text(memory, en))
        order = NewOrder(
            name=(caller.email or "Гость") if not caller.is_guest else "Гость",
            phone=memory.phone,
            address=memory.address,
            comment="via FodiFood assistant",
            items=[OrderLine(product_id=x.product_id, quantity=x.quantity) for x in memory.pending],
        )
        client = self.backend.as_user(caller.token)
        try:
            created = await client.orders.create_order(order)
        except BackendUnavailable:
            raise
        except BackendError as exc:
            return Reply(
                Intent.CREATE_ORDER,
                _t(en, f"😔 Заказ не принят: {exc.message}", f"😔 Order refused: {exc.message}"),
            )
        memory.pending.clear()
        memory.last_order_id = created.order_id
        text = _t(
            en,
            f"✅ Заказ {created.order_id} принят! Сумма: {_price(created.total)}.",
            f"✅ Order {created.order_id} placed! Total: {_price(created.total)}.",
        )
        return Reply(Intent.CREATE_ORDER, text, data={"order": created.to_json()})

    async def _cancel(self, caller: Caller, memory: Memory, c: Classification, en: bool) -> Reply:
        if memory.pending and not c.entities.order_id:
            memory.pending.clear()
            return Reply(
                c.intent,
                _t(
                    en,
                    "❌ Заказ отменён, ничего не оформлено.",
                    "❌ Cancelled; nothing was ordered.",
                ),
            )
        order_id = c.entities.order_id or memory.last_order_id
        if not order_id:
            return Reply(
                c.intent,
                _t(en, "Какой заказ отменить? Укажите номер.", "Which order? Give me its number."),
            )
        if caller.is_guest:
            return Reply(
                c.intent,
                _t(
                    en,
                    "Чтобы отменить заказ, войдите в аккаунт или позвоните нам.",
                    "Sign in to cancel an order.",
                ),
            )
        try:
            await self.backend.as_user(caller.token).orders.cancel_order(order_id)
        except BackendUnavailable:
            raise
        except BackendError as exc:
            return Reply(
                c.intent,
                _t(
                    en,
                    f"😔 Не удалось отменить: {exc.message}",
                    f"😔 Could not cancel: {exc.message}",
                ),
            )
        return Reply(
            c.intent, _t(en, f"❌ Заказ {order_id} отменён.", f"❌ Order {order_id} cancelled.")
        )

    async def _status(
        self, intent: Intent, caller: Caller, memory: Memory, c: Classification, en: bool
    ) -> Reply:
        if caller.is_guest:
            return Reply(
                intent,
                _t(
                    en,
                    "Войдите, чтобы узнать статус своих заказов.",
                    "Sign in to see your orders' status.",
                ),
            )
        client = self.backend.as_user(caller.token)
        order_id = c.entities.order_id or memory.last_order_id
        try:
            if order_id:
                order = await client.orders.get_order(order_id)
            else:
                orders = await client.orders.get_orders()
                if not orders:
                    return Reply(intent, _t(en, "У вас пока нет заказов.", "No orders yet."))
                order = max(orders, key=lambda o: o.created_at.timestamp() if o.created_at else 0)
        except BackendUnavailable:
            raise
        except BackendError as exc:
            return Reply(intent, f"😔 {exc.message}")
        status = order.status if en else STATUS_NAMES.get(order.status, order.status)
        text = _t(
            en,
            f"📦 Заказ {order.id}: {status}, сумма {_price(order.total)}.",
            f"📦 Order {order.id}: {status}, total {_price(order.total)}.",
        )
        return Reply(intent, text, data={"orderId": order.id, "status": order.status})

    # --- staff ----------------------------------------------------------------------------

    async def _staff(self, intent: Intent, caller: Caller, en: bool) -> Reply:
        if not caller.is_staff:
            return Reply(intent, _t(en, "🔒 Это доступно только сотрудникам.", "🔒 Staff only."))
        client = self.backend.as_user(caller.token)
        try:
            if intent is Intent.STOCK_STATUS:
                items = await client.admin.get_ingredients()
                low = [i for i in items if i.is_low]
                lines = [
                    _t(
                        en,
                        f"📦 На складе {len(items)} позиций, мало: {len(low)}.",
                        f"📦 {len(items)} stock items, {len(low)} low.",
                    )
                ]
                lines += [f"⚠️ {i.display_name}: {i.quantity} {i.display_unit}" for i in low]
                return Reply(intent, "\n".join(lines))
            stats = await client.admin.get_stats()
        except BackendUnavailable:
            raise
        except BackendError as exc:
            return Reply(intent, f"😔 {exc.message}")
        text = _t(
            en,
            f"📊 Заказов: {stats.total_orders} (сегодня {stats.today_orders}), выручка "
            f"{_price(stats.revenue)} (сегодня {_price(stats.today_revenue)}), "
            f"пользователей: {stats.total_users}, блюд: {stats.total_products}.",
            f"📊 Orders: {stats.total_orders} (today {stats.today_orders}), revenue "
            f"{_price(stats.revenue)} (today {_price(stats.today_revenue)}), "
            f"users: {stats.total_users}, dishes: {stats.total_products}.",
        )
        return Reply(intent, text, data={"stats": stats.to_json()})

    # --- the rest ---------------------------------------------------------------------

    async def _unknown(self, caller: Caller, c: Classification, en: bool) -> Reply:
        if self.llm is not None:
            answer = await self.llm.answer(caller, c.text, await self.menu())
            if answer is not None:
                if answer.order:
                    memory = self.memory.get(caller.user_id)
                    for product, quantity in answer.order:
                        memory.pending.append(
                            PendingLine(product.id, product.name, quantity, _minor(product.price))
                        )
                    return Reply(Intent.CREATE_ORDER, self._pending_text(memory, en))
                products = [ProductInfo.of(p) for p in answer.products] or None
                return Reply(Intent.UNKNOWN, answer.text, products, data={"from_llm": True})
        return Reply(
            Intent.UNKNOWN,
            _t(
                en,
                "🤔 Не понял, попробуй иначе. Напиши «помощь».",
                "🤔 I didn't get that. Type 'help'.",
            ),
        )


def _in_category(product: Product, category: str, stems: tuple[str, ...]) -> bool:
    if (product.category or "").lower() == category.lower():
        return True
    words = tokens(normalize(f"{product.category or ''} {product.name}"))
    return has_any(words, stems)


def _t(english: bool, ru: str, en: str) -> str:
    return en if english else ru


HELP_TEXT_RU = (
    "Я умею:\n• показать меню и цены\n• найти блюда по ингредиенту («что есть с лососем»)\n"
    "• рассказать о блюде и его составе\n• оформить заказ («закажи две маргариты»)\n"
    "• узнать статус и отменить заказ\n• сотрудникам — статистика и склад"
)
HELP_TEXT_EN = (
    "I can:\n• show the menu and prices\n• find dishes by ingredient ('dishes with salmon')\n"
    "• describe a dish and its recipe\n• place an order ('order two margheritas')\n"
    "• check or cancel an order\n• for staff: stats and stock"
)
DELIVERY_RU = f"🚚 Доставляем за 45–60 минут. {MENU_FOOTER.removeprefix('🚚 ')}"
DELIVERY_EN = "🚚 Delivery takes 45-60 minutes; free for orders from 1500₽."
