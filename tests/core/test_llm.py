"""The optional LLM clients against local fakes of each provider's HTTP API (no keys)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from fodi.core.llm import (
    ChatMessage,
    GeminiClient,
    LLMError,
    OpenAICompatibleClient,
    llm_from_settings,
)
from fodi.core.settings import Settings


def _fake(handler: Any) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


async def test_openai_compatible_sends_messages_and_reads_the_answer() -> None:
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["path"] = request.url.path
        seen["auth"] = request.headers.get("authorization")
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json={"choices": [{"message": {"content": "Привет!"}}]})

    client = OpenAICompatibleClient(
        base_url="http://llm.local/v1", model="m", api_key="k", transport=_fake(handler)
    )
    answer = await client.complete([ChatMessage("system", "be brief"), ChatMessage("user", "hi")])
    assert answer == "Привет!"
    assert seen["path"] == "/v1/chat/completions"
    assert seen["auth"] == "Bearer k"
    assert seen["body"]["messages"][1] == {"role": "user", "content": "hi"}


async def test_gemini_puts_the_system_prompt_aside() -> None:
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["path"] = request.url.path
        seen["key"] = request.headers.get("x-goog-api-key")
        seen["body"] = json.loads(request.content)
        return httpx.Response(
            200, json={"candidates": [{"content": {"parts": [{"text": "ok"}, {"text": "!"}]}}]}
        )

    client = GeminiClient(api_key="g", model="gemini-x", transport=_fake(handler))
    assert (
        await client.complete([ChatMessage("system", "rules"), ChatMessage("user", "q")]) == "ok!"
    )
    assert seen["path"] == "/v1beta/models/gemini-x:generateContent"
    assert seen["key"] == "g"
    assert seen["body"]["systemInstruction"] == {"parts": [{"text": "rules"}]}
    assert seen["body"]["contents"] == [{"role": "user", "parts": [{"text": "q"}]}]


@pytest.mark.parametrize(
    "response",
    [httpx.Response(500), httpx.Response(200, text="<html>"), httpx.Response(200, json={"x": 1})],
)
async def test_unusable_answers_are_llm_errors(response: httpx.Response) -> None:
    client = OpenAICompatibleClient(
        base_url="http://llm.local", model="m", transport=_fake(lambda _request: response)
    )
    with pytest.raises(LLMError):
        await client.complete([ChatMessage("user", "q")])


def test_provider_selection_from_settings() -> None:
    assert llm_from_settings(Settings()) is None
    groq = llm_from_settings(Settings(LLM_PROVIDER="groq", GROQ_API_KEY="k"))
    assert groq is not None
    assert (groq.provider, groq.model) == ("groq", "llama-3.1-8b-instant")
    gemini = llm_from_settings(Settings(LLM_PROVIDER="gemini", GEMINI_API_KEY="k"))
    assert gemini is not None
    assert gemini.provider == "gemini"
    with pytest.raises(ValueError, match="GEMINI_API_KEY"):
        llm_from_settings(Settings(LLM_PROVIDER="gemini"))
    with pytest.raises(ValueError, match="unknown"):
        llm_from_settings(Settings(LLM_PROVIDER="telepathy"))
