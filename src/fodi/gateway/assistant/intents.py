"""The offline intent classifier and entity extractor (Russian and English).

It keeps the original's intents and their names (``ViewMenu``, ``SearchByIngredient``...), but
decides in an explicit order instead of summing keyword hits: what a message *asks for*
(cancel, courier, delivery, stock, figures, order status, recipe, price, ordering,
recommendation, dish details, search, menu) before how it is *said* (thanks, bye, help,
greeting).  Vocabulary is stems with typo tolerance (:mod:`.text`), so inflections and small
slips need no extra entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from fodi.gateway.assistant.text import has_any, normalize, phrase_at, tokens
from fodi.gateway.client.products import INGREDIENT_FORMS


class Intent(StrEnum):
    GREETING = "Greeting"
    FAREWELL = "Farewell"
    THANKS = "Thanks"
    HELP = "Help"
    WHO_AM_I = "WhoAmI"
    ORDER_STATUS = "OrderStatus"
    CREATE_ORDER = "CreateOrder"
    CANCEL_ORDER = "CancelOrder"
    CONFIRM = "Confirm"
    VIEW_MENU = "ViewMenu"
    PRODUCT_INFO = "ProductInfo"
    PRICE_INQUIRY = "PriceInquiry"
    RECOMMENDATION = "Recommendation"
    PRODUCT_SEARCH = "ProductSearch"
    SEARCH_BY_INGREDIENT = "SearchByIngredient"
    CHECK_INGREDIENTS = "CheckIngredients"
    STOCK_STATUS = "StockStatus"
    GET_STATISTICS = "GetStatistics"
    SALES_ANALYSIS = "SalesAnalysis"
    ANALYZE_BUSINESS = "AnalyzeBusiness"
    COMPARE_BUSINESSES = "CompareBusinesses"
    BUSINESS_INSIGHTS = "BusinessInsights"
    DELIVERY_INFO = "DeliveryInfo"
    COURIER_STATUS = "CourierStatus"
    UNKNOWN = "Unknown"


# Dishes of the demo menu (the original bot's fallback menu) under their usual spellings;
# the live menu's names are added at run time.
DISH_ALIASES: dict[str, tuple[str, ...]] = {
    "Филадельфия": ("филадельф~", "philadelph~", "филла~"),
    "Калифорния": ("калифорн~", "californ~"),
    "Маргарита": ("маргарит~", "margherit~", "margarit~"),
    "Пепперони": ("пеперон~", "пепперон~", "pepperon~"),
    "Том Ям": ("том ям", "tom yum", "tom yam", "томям"),
    "Coca-Cola": ("кол", "cola", "coke", "coca"),
}

CATEGORIES: dict[str, tuple[str, ...]] = {
    "Пицца": ("пицц~", "pizz~"),
    "Роллы": ("ролл", "рол", "roll"),
    "Суши": ("суши", "sushi", "нигири"),
    "Супы": ("суп", "soup"),
    "Напитки": ("напит~", "drink", "beverage"),
    "Салаты": ("салат", "salad"),
    "Десерты": ("десерт~", "dessert~"),
}

NUMBER_WORDS = {
    "один": 1, "одна": 1, "одну": 1, "one": 1, "a": 1,
    "два": 2, "две": 2, "пару": 2, "пара": 2, "two": 2, "couple": 2,
    "три": 3, "three": 3, "четыре": 4, "four": 4, "пять": 5, "five": 5,
    "шесть": 6, "six": 6, "семь": 7, "seven": 7, "восемь": 8, "eight": 8,
    "девять": 9, "nine": 9, "десять": 10, "ten": 10,
}  # fmt: skip

_ORDER_ID = re.compile(
    r"\b(ord-[a-z0-9-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"
    r"|(?:#|№)\s*([a-z0-9-]+)"
)
_NUMBER = re.compile(r"(?<![\w-])(\d{1,3})(?:\s*(?:шт|x|х|pcs))?(?![\w-])")

# Vocabulary, by what it signals.
CANCEL = ("отмен~", "cancel~", "передумал~", "не надо")
COURIER = ("курьер~", "courier~", "доставщик")
DELIVERY = ("доставк~", "доставля~", "доставит", "deliver~")
STOCK = ("склад~", "остат~", "stock", "inventor~", "на исходе", "заканчива", "running low")
STATS = ("статисти~", "stats", "statistic~", "выручк~", "revenue", "продаж~", "sales",
         "заработ~", "аналитик~", "оборот")  # fmt: skip
COUNT = ("сколько", "how many", "total", "всего", "количеств")
COUNTABLE = ("заказов", "orders", "пользовател~", "users", "клиент~", "customers")
PERIOD = ("сегодн~", "вчера", "недел~", "месяц~", "today", "yesterday", "week", "month",
          "year", "год", "за день", "daily")  # fmt: skip
ORDER_NOUN = ("заказ~", "order")
STATUS_WORDS = ("статус~", "status", "где", "where", "когда", "when", "готов", "ready",
                "в пути", "track~", "отслед~", "провер~", "привез~", "what happened",
                "что с")  # fmt: skip
RECIPE = ("состав", "из чего", "ингредиент~", "ingredient~", "whats in", "what is in",
          "что входит", "внутри", "глютен", "gluten", "аллерген")  # fmt: skip
PRICE = ("сколько стоит", "цен~", "почем", "how much", "price~", "стоимост~", "прайс",
         "cost~", "стоит")  # fmt: skip
ORDER_VERBS = ("закаж", "заказать", "оформ~", "беру", "возьму", "добав~", "buy", "купить",
               "сделать заказ", "хочу заказ", "to order", "i order", "please order",
               "can i order", "lets order", "order a", "order an", "order the", "order one",
               "order two", "order me")  # fmt: skip
WANT = ("хочу", "want", "id like", "would like", "давай~", "мне", "please", "can i have")
RECOMMEND = ("посовет~", "совет~", "рекоменд~", "порекоменд~", "recommend~", "suggest~",
             "популярн~", "popular", "вкусн~", "что взять", "что выбрать", "advise")  # fmt: skip
INFO = ("расскаж~", "что такое", "что за", "опиш~", "описан~", "tell me about", "info",
        "about", "вес", "weight", "подробн~", "what is")  # fmt: skip
SEARCH = ("найд~", "найти", "ищу", "поиск~", "search~", "find", "looking for", "есть ли",
          "do you have", "какие есть", "у вас есть", "покаж~", "show")  # fmt: skip
MENU = ("меню~", "menu~", "ассортимент~", "что у вас есть", "что есть поесть",
        "what do you have", "whats on", "что есть в", "блюда", "dishes")  # fmt: skip
WHO = ("кто я", "профил~", "profile", "аккаунт~", "account", "who am i", "мои данные",
       "под каким именем", "logged in")  # fmt: skip
THANKS = ("спасиб~", "спс", "thank~", "thx", "благодар~", "cпасибо")
BYE = ("пока", "до свидан~", "bye", "goodbye", "до встреч~", "до скорого", "увидимся",
       "see you", "всего доброго", "всего хорошего", "бай")  # fmt: skip
HELP = ("помощ~", "помоги", "help", "умеешь", "можешь", "can you do", "команд~", "справк~",
        "как тобой", "how does this work", "how to use")  # fmt: skip
GREET = ("привет~", "здравств~", "hi", "hello", "hey", "добрый", "доброе", "good morning",
         "good evening", "good afternoon", "хай", "приветству~")  # fmt: skip
YES = ("да", "yes", "ага", "подтвержда~", "confirm~", "ok", "окей", "ок", "конечно", "sure",
       "верно", "оформляй")  # fmt: skip
ANAPHORA = ("таких", "такую", "такой", "такие", "those", "these", "same", "того же", "ещ",
            "еще", "еще", "of them", "их")  # fmt: skip
INGREDIENT_CUES = ("с", "со", "with", "из", "something", "anything", "что-нибудь", "что-то",
                   "блюда", "dishes", "что")  # fmt: skip


@dataclass(slots=True)
class Entities:
    dishes: list[str] = field(default_factory=list)
    ingredient: str | None = None
    category: str | None = None
    quantity: int | None = None
    order_id: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Classification:
    intent: Intent
    entities: Entities
    text: str


@lru_cache(maxsize=64)
def _dish_aliases(menu_names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    aliases = dict(DISH_ALIASES)
    for name in menu_names:
        words = tokens(normalize(name))
        if words and name not in aliases:
            aliases[name] = (" ".join(words),)
    return aliases


# Ingredient word forms as stems (two-letter forms would match too much).
_INGREDIENT_STEMS = tuple(tuple(f for f in forms if len(f) > 2) for forms in INGREDIENT_FORMS)
_PHONE = re.compile(r"\+?\d[\d\s()-]{8,}\d")


def extract_entities(text: str, menu_names: tuple[str, ...] = ()) -> Entities:
    normalized = normalize(text)
    words = tokens(normalized)
    found = Entities()
    if match := _ORDER_ID.search(normalized):
        raw = match.group(1) or match.group(2)
        found.order_id = raw.upper() if raw.startswith("ord-") else raw
    if phone := _PHONE.search(text):
        found.phone = phone.group(0).strip()
    for dish, aliases in _dish_aliases(menu_names).items():
        if any(phrase_at(words, alias.split(" ")) >= 0 for alias in aliases if alias):
            found.dishes.append(dish)
    for category, stems in CATEGORIES.items():
        if has_any(words, stems):
            found.category = category
            break
    for forms in _INGREDIENT_STEMS:
        if has_any(words, forms):
            found.ingredient = forms[0]
            break
    found.quantity = _quantity(normalized, words, found)
    return found


def _quantity(normalized: str, words: list[str], found: Entities) -> int | None:
    without_ids = _ORDER_ID.sub(" ", normalized)
    if found.phone:
        without_ids = without_ids.replace(normalize(found.phone), " ")
    if match := _NUMBER.search(without_ids):
        value = int(match.group(1))
        return value if 0 < value <= 100 else None
    for word in words:
        if word in NUMBER_WORDS and word != "a":
            return NUMBER_WORDS[word]
    return None


def classify(
    text: str, *, menu_names: tuple[str, ...] = (), previous: Intent | None = None
) -> Classification:
    """The intent of ``text`` and its entities (``previous`` resolves "cancel it", "yes")."""
    entities = extract_entities(text, menu_names)
    words = tokens(normalize(text))
    return Classification(_decide(words, entities, previous), entities, text)


def _decide(words: list[str], e: Entities, previous: Intent | None) -> Intent:
    if not words:
        return Intent.UNKNOWN
    mentions_food = bool(e.dishes or e.category)
    if has_any(words, CANCEL):
        return Intent.CANCEL_ORDER
    if previous is Intent.CREATE_ORDER and len(words) <= 3 and has_any(words, YES):
        return Intent.CONFIRM
    if has_any(words, COURIER):
        return Intent.COURIER_STATUS
    ordering = has_any(words, ORDER_VERBS) or _order_with_count(words)
    asks_status = e.order_id or (has_any(words, ORDER_NOUN) and has_any(words, STATUS_WORDS))
    if asks_status and (not ordering or has_any(words, ("статус~", "status"))):
        return Intent.ORDER_STATUS
    if has_any(words, DELIVERY):
        return Intent.DELIVERY_INFO
    if has_any(words, STOCK):
        return Intent.STOCK_STATUS
    counting = has_any(words, COUNT) and has_any(words, COUNTABLE)
    if has_any(words, STATS) or counting:
        return Intent.SALES_ANALYSIS if has_any(words, PERIOD) else Intent.GET_STATISTICS
    if has_any(words, RECIPE) and not (e.ingredient and not e.dishes and "из" in words):
        return Intent.CHECK_INGREDIENTS
    if has_any(words, PRICE):
        return Intent.PRICE_INQUIRY
    if has_any(words, RECOMMEND):
        return Intent.RECOMMENDATION
    if ordering:
        return Intent.CREATE_ORDER
    wants = has_any(words, WANT)
    ingredient_search = e.ingredient and (has_any(words, INGREDIENT_CUES) or len(words) <= 2)
    if ingredient_search and not e.dishes:
        return Intent.SEARCH_BY_INGREDIENT
    if e.quantity and has_any(words, ANAPHORA) and previous in (Intent.CREATE_ORDER, None):
        return Intent.CREATE_ORDER
    if wants and (mentions_food or e.quantity):
        return Intent.CREATE_ORDER
    if e.dishes and has_any(words, INFO):
        return Intent.PRODUCT_INFO
    if e.category and (has_any(words, SEARCH) or len(words) <= 2):
        return Intent.PRODUCT_SEARCH
    if has_any(words, MENU):
        return Intent.VIEW_MENU
    if has_any(words, WHO):
        return Intent.WHO_AM_I
    if e.dishes:
        return Intent.PRODUCT_INFO
    if e.category:
        return Intent.PRODUCT_SEARCH
    if e.ingredient:
        return Intent.SEARCH_BY_INGREDIENT
    return _social(words)


def _order_with_count(words: list[str]) -> bool:
    """English "order 2 ..." (the noun "order" is no request to place one)."""
    at = phrase_at(words, ["order"])
    return 0 <= at < len(words) - 1 and (words[at + 1].isdigit() or words[at + 1] in NUMBER_WORDS)


def _social(words: list[str]) -> Intent:
    for keywords, intent in (
        (THANKS, Intent.THANKS),
        (BYE, Intent.FAREWELL),
        (HELP, Intent.HELP),
        (GREET, Intent.GREETING),
    ):
        if has_any(words, keywords):
            return intent
    return Intent.UNKNOWN
