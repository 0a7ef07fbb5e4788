"""The offline rule engine: intents, entities, typo tolerance, and the evaluation set."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fodi.gateway.assistant.admin import classify_admin
from fodi.gateway.assistant.evaluation import evaluate, load_examples
from fodi.gateway.assistant.intents import Intent, classify, extract_entities
from fodi.gateway.assistant.text import normalize, token_matches
from fodi.gateway.cli import app as gateway_cli


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("покажи меню", Intent.VIEW_MENU),
        ("пакажи мнею", Intent.VIEW_MENU),
        ("what's on the menu?", Intent.VIEW_MENU),
        ("что есть с лососем", Intent.SEARCH_BY_INGREDIENT),
        ("dishes with shrimp", Intent.SEARCH_BY_INGREDIENT),
        ("закажи две маргариты", Intent.CREATE_ORDER),
        ("где мой заказ ORD-12AB", Intent.ORDER_STATUS),
        ("отмени его", Intent.CANCEL_ORDER),
        ("сколько стоит доставка", Intent.DELIVERY_INFO),
        ("сколько стоит филадельфия", Intent.PRICE_INQUIRY),
        ("выручка за неделю", Intent.SALES_ANALYSIS),
        ("статистика", Intent.GET_STATISTICS),
        ("hello", Intent.GREETING),
        ("сыграй музыку", Intent.UNKNOWN),
    ],
)
def test_intents(text: str, intent: Intent) -> None:
    assert classify(text).intent is intent


def test_entities() -> None:
    found = extract_entities("закажи 3 филадельфии и колу, заказ ord-7x")
    assert found.dishes == ["Филадельфия", "Coca-Cola"]
    assert found.quantity == 3
    assert found.order_id == "ORD-7X"
    assert extract_entities("две пепперони").quantity == 2
    assert extract_entities("something with tuna").ingredient == "тунец"
    assert extract_entities("Мой номер +7 900 123-45-67").phone == "+7 900 123-45-67"
    live = extract_entities("хочу бабл ти", menu_names=("Бабл ти",))
    assert live.dishes == ["Бабл ти"]


def test_memory_dependent_intents() -> None:
    assert classify("да", previous=Intent.CREATE_ORDER).intent is Intent.CONFIRM
    assert classify("да", previous=None).intent is not Intent.CONFIRM
    assert classify("и ещё две таких", previous=Intent.CREATE_ORDER).intent is Intent.CREATE_ORDER


def test_typos_need_the_first_letter_and_a_long_enough_word() -> None:
    assert token_matches("мнею", "меню~")
    assert token_matches("здраствуйте", "здравств~")
    assert not token_matches("hello", "help")
    assert not token_matches("день", "цен~")


def test_admin_rules_follow_the_original_order() -> None:
    assert classify_admin("перезапусти бэкенд") == ("BackendControl", "Restart")
    assert classify_admin("restart the backend") == ("BackendControl", "Restart")
    assert classify_admin("статус системы") == ("SystemStatus", None)
    assert classify_admin("покажи метрики") == ("MetricsQuery", "Dashboard")
    assert classify_admin("метрики интентов") == ("MetricsQuery", "Intents")
    assert classify_admin("сколько пользователей онлайн") == ("ConnectionInfo", None)
    assert classify_admin("останови сервер") == ("BackendControl", "Stop")
    assert classify_admin("спой песню") == ("Unknown", None)


def test_evaluation_set_meets_the_goal_on_both_splits() -> None:
    examples = load_examples()
    assert len(examples) >= 200
    assert {e.lang for e in examples} == {"ru", "en"}
    for split in ("dev", "heldout"):
        report = evaluate([e for e in examples if e.split == split])
        assert report.total > 50
        assert report.accuracy >= 0.9, (split, report.misses)


def test_eval_command_prints_accuracy_and_confusion() -> None:
    result = CliRunner().invoke(gateway_cli, ["eval", "--min-accuracy", "0.9"])
    assert result.exit_code == 0, result.output
    assert "heldout" in result.output
    assert "Confusion" in result.output
    failing = CliRunner().invoke(gateway_cli, ["eval", "--min-accuracy", "1.01"])
    assert failing.exit_code == 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_classifies_without_error(text: str) -> None:
    result = classify(text)
    assert isinstance(result.intent, Intent)
    assert normalize(normalize(text)) == normalize(text)
