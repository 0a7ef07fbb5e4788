"""The optional language model, for what the rules do not understand.

The model sees the live menu and answers in a small JSON protocol whose fields are the
assistant's tools: ``dishes`` (menu items it talks about), ``search`` (an ingredient to look
up) and ``order`` (dishes and quantities to put in the pending order, which the person still
confirms).  Everything it says is checked against the real menu: an unknown dish or a price
that is not on the menu throws the answer away, so the model can never invent either.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import structlog

from fodi.core.llm import ChatMessage, LLMClient, LLMError
from fodi.gateway.assistant.metrics import AI_LLM_CALLS
from fodi.gateway.client import Product
from fodi.gateway.client.products import ingredient_forms
from fodi.gateway.identity import Caller

log = structlog.get_logger(__name__)

SYSTEM_PROMPT = """Ты — вежливый помощник ресторана FodiFood. Отвечай кратко (1-3 предложения)
на языке пользователя. Говори только о блюдах из меню ниже и только с их ценами; ничего не
выдумывай. Ответь ТОЛЬКО объектом JSON:
{"reply": "текст ответа", "dishes": ["точные названия блюд из меню, о которых ответ"],
 "search": "ингредиент, если человек ищет блюда с ним, иначе null",
 "order": [{"dish": "точное название", "quantity": 1}] — только если человек просит заказать}
Меню (название | цена | категория):
"""

_PRICE = re.compile(r"(\d+(?:[.,]\d{1,2})?)\s*(?:₽|руб|р\.|rub|сом)", re.IGNORECASE)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(slots=True)
class LLMAnswer:
    text: str
    products: list[Product] = field(default_factory=list)
    order: list[tuple[Product, int]] = field(default_factory=list)


class LLMFallback:
    def __init__(self, client: LLMClient) -> None:
        self.client = client

    async def answer(self, caller: Caller, text: str, menu: list[Product]) -> LLMAnswer | None:
        """A validated answer, or None (unreachable model, unusable or invented answer)."""
        lines = "\n".join(f"{p.name} | {p.price} ₽ | {p.category or ''}" for p in menu)
        messages = [
            ChatMessage("system", SYSTEM_PROMPT + lines),
            ChatMessage("user", text[:2000]),
        ]
        try:
            raw = await self.client.complete(messages, temperature=0.3, max_tokens=300)
        except LLMError as exc:
            log.warning("llm unavailable", provider=self.client.provider, reason=str(exc))
            AI_LLM_CALLS.labels("error").inc()
            return None
        answer = validate(raw, menu)
        AI_LLM_CALLS.labels("accepted" if answer else "rejected").inc()
        return answer


def _parse(raw: str) -> dict[str, Any]:
    match = _JSON_OBJECT.search(raw)
    if match:
        try:
            data = json.loads(match.group(0))
        except ValueError:
            data = None
        if isinstance(data, dict):
            return data
    return {"reply": raw.strip()}


def validate(raw: str, menu: list[Product]) -> LLMAnswer | None:
    """The model's answer if every dish and price in it is on the menu, else None."""
    data = _parse(raw)
    reply = data.get("reply")
    if not isinstance(reply, str) or not reply.strip():
        return None
    by_name = {p.name.lower(): p for p in menu}
    prices = {p.price for p in menu}
    for amount in _PRICE.findall(reply):
        if Decimal(amount.replace(",", ".")) not in prices:
            return None  # a price the menu does not have: invented
    products: list[Product] = []
    for name in data.get("dishes") or []:
        product = by_name.get(str(name).lower())
        if product is None:
            return None  # a dish the menu does not have: invented
        products.append(product)
    search = data.get("search")
    if isinstance(search, str) and search.strip():
        forms = ingredient_forms(search)
        products += [
            p
            for p in menu
            if p not in products and any(f in f"{p.name} {p.description}".lower() for f in forms)
        ]
    order: list[tuple[Product, int]] = []
    for line in data.get("order") or []:
        if not isinstance(line, dict):
            return None
        product = by_name.get(str(line.get("dish", "")).lower())
        quantity = line.get("quantity", 1)
        if product is None or not isinstance(quantity, int) or not 0 < quantity <= 50:
            return None
        order.append((product, quantity))
    return LLMAnswer(reply.strip()[:1000], products, order)
