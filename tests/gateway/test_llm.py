"""The optional LLM, against local fakes of the OpenAI-compatible and Gemini HTTP APIs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI, Request
from pydantic import SecretStr

from fodi.core.db import Database
from fodi.core.llm import llm_from_settings
from fodi.core.settings import Settings
from fodi.gateway.app import create_app as create_gateway
from fodi.gateway.assistant.llm_fallback import LLMFallback, validate
from fodi.gateway.client import BackendClient, Product
from fodi.gateway.identity import Caller
from tests.gateway.conftest import gateway_settings
from tests.gateway.support import serve
from tests.support import asgi_client

MENU = [
    Product(id="p1", name="Маргарита", price=Decimal(350), category="Пицца"),
    Product(id="p2", name="Филадельфия", price=Decimal(450), category="Роллы",
            description="Лосось, сливочный сыр"),
]  # fmt: skip

# What the fake model answers, by a word in the user's message.
SCRIPT = {
    "honest": {"reply": "Маргарита стоит 350 ₽ — классика.", "dishes": ["Маргарита"]},
    "invented-price": {"reply": "Маргарита стоит 99 ₽!", "dishes": ["Маргарита"]},
    "invented-dish": {"reply": "Попробуйте бургер.", "dishes": ["Бургер Гигант"]},
    "tool-order": {"reply": "Добавил.", "order": [{"dish": "Филадельфия", "quantity": 2}]},
    "tool-search": {"reply": "Вот что нашёл.", "search": "salmon"},
}


def _scripted(text: str) -> str:
    for key, answer in SCRIPT.items():
        if key in text:
            return json.dumps(answer, ensure_ascii=False)
    return "plain text without json"


def fake_providers() -> tuple[FastAPI, list[dict[str, Any]]]:
    app = FastAPI()
    seen: list[dict[str, Any]] = []

    @app.post("/v1/chat/completions")
    async def openai(request: Request) -> dict[str, Any]:
        body = await request.json()
        seen.append({"api": "openai", "auth": request.headers.get("authorization"), **body})
        text = body["messages"][-1]["content"]
        return {"choices": [{"message": {"role": "assistant", "content": _scripted(text)}}]}

    @app.post("/v1beta/models/{model}:generateContent")
    async def gemini(model: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        seen.append(
            {"api": "gemini", "model": model, "key": request.headers.get("x-goog-api-key"), **body}
        )
        text = body["contents"][-1]["parts"][0]["text"]
        return {"candidates": [{"content": {"parts": [{"text": _scripted(text)}]}}]}

    return app, seen


@pytest.fixture
async def providers() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    app, seen = fake_providers()
    async with serve(app) as base:
        yield base, seen


@pytest.mark.parametrize("provider", ["openai-compatible", "gemini", "groq"])
async def test_answers_are_validated_against_the_menu(
    providers: tuple[str, list[dict[str, Any]]], settings: Settings, provider: str
) -> None:
    base, seen = providers
    configured = settings.model_copy(
        update={
            "llm_provider": provider,
            "llm_base_url": base if provider == "gemini" else f"{base}/v1",
            "gemini_api_key": SecretStr("fake-key") if provider == "gemini" else None,
            "groq_api_key": None,
        }
    )
    client = llm_from_settings(configured)
    assert client is not None
    fallback = LLMFallback(client)
    caller = Caller(user_id="u")
    try:
        honest = await fallback.answer(caller, "honest question", MENU)
        assert honest is not None
        assert [p.name for p in honest.products] == ["Маргарита"]
        assert await fallback.answer(caller, "invented-price please", MENU) is None
        assert await fallback.answer(caller, "invented-dish please", MENU) is None
        order = await fallback.answer(caller, "tool-order two philadelphia", MENU)
        assert order is not None
        assert [(p.name, q) for p, q in order.order] == [("Филадельфия", 2)]
        found = await fallback.answer(caller, "tool-search salmon", MENU)
        assert found is not None
        assert [p.name for p in found.products] == ["Филадельфия"]
    finally:
        await client.aclose()
    system = (
        seen[0]["messages"][0]["content"]
        if seen[0]["api"] == "openai"
        else (seen[0]["systemInstruction"]["parts"][0]["text"])
    )
    assert "Маргарита | 350 ₽" in system  # the live menu, with its real prices
    if provider == "gemini":
        assert seen[0]["key"] == "fake-key"


async def test_unreachable_model_is_no_answer(settings: Settings) -> None:
    configured = settings.model_copy(
        update={
            "llm_provider": "ollama",
            "llm_base_url": "http://127.0.0.1:9/v1",
            "llm_timeout": 1.0,
        }
    )
    client = llm_from_settings(configured)
    assert client is not None
    try:
        assert await LLMFallback(client).answer(Caller(user_id="u"), "hm", MENU) is None
    finally:
        await client.aclose()


def test_validate_plain_text() -> None:
    assert validate("Всё вкусно!", MENU) is not None
    assert validate("Стоит 1000 руб", MENU) is None
    assert validate('{"reply": ""}', MENU) is None
    assert (
        validate('{"reply": "ok", "order": [{"dish": "Маргарита", "quantity": 500}]}', MENU) is None
    )


async def test_gateway_chat_falls_back_to_the_model_with_the_live_menu(
    providers: tuple[str, list[dict[str, Any]]],
    settings: Settings,
    demo_db: Database,
    backend: BackendClient,
) -> None:
    base, seen = providers
    configured = gateway_settings(
        settings.model_copy(
            update={"llm_provider": "openai-compatible", "llm_base_url": f"{base}/v1"}
        )
    )
    app = create_gateway(configured, database=demo_db, backend=backend)
    async with asgi_client(app) as gw:

        async def say(text: str) -> dict[str, Any]:
            response = await gw.post("/api/v1/chat", json={"user_id": "llm", "message": text})
            assert response.status_code == 200, response.text
            return dict(response.json())

        honest = await say("honest: кто придумал эту штуку?")
        assert honest["response"] == "Маргарита стоит 350 ₽ — классика."
        assert [p["name"] for p in honest["products"]] == ["Маргарита"]
        invented = await say("invented-price: а подешевле?")
        assert invented["intent"] == "Unknown"
        assert "Не понял" in invented["response"]
        ordered = await say("tool-order: мне как обычно")
        assert ordered["intent"] == "CreateOrder"
        assert "2 × Филадельфия" in ordered["response"]
        assert len(seen) == 3  # the rules answered nothing else by themselves
        assert "Филадельфия | 450" in seen[0]["messages"][0]["content"]  # the real menu
    await app.state.llm.aclose()
