"""Optional language models: any OpenAI-compatible chat-completions endpoint, and Gemini.

Every engine in FodiFood works offline; a model is only consulted when ``LLM_PROVIDER`` names
one.  ``llm_from_settings`` returns ``None`` when none is configured.  Providers:

- ``groq``: ``GROQ_API_KEY``, ``GROQ_MODEL`` (OpenAI-compatible API)
- ``openai``: ``OPENAI_API_KEY``, ``LLM_MODEL``
- ``openai-compatible`` (also ``ollama``, ``vllm``): ``LLM_BASE_URL``, optional ``LLM_API_KEY``
- ``gemini``: ``GEMINI_API_KEY``, ``GEMINI_MODEL``

``LLM_BASE_URL`` overrides any provider's address (the tests point it at a local fake).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from fodi.core.settings import Settings

Role = Literal["system", "user", "assistant"]

DEFAULT_BASE_URLS = {
    "groq": "https://api.groq.com/openai/v1",
    "openai": "https://api.openai.com/v1",
    "gemini": "https://generativelanguage.googleapis.com",
}


class LLMError(Exception):
    """The model could not be reached or answered something unusable."""


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


class LLMClient(Protocol):
    provider: str
    model: str

    async def complete(
        self, messages: list[ChatMessage], *, temperature: float = 0.0, max_tokens: int = 512
    ) -> str: ...

    async def aclose(self) -> None: ...


@dataclass
class OpenAICompatibleClient:
    """``POST {base_url}/chat/completions`` as OpenAI, Groq, Ollama and vLLM serve it."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 20.0
    provider: str = "openai-compatible"
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    _http: httpx.AsyncClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._http = httpx.AsyncClient(
            base_url=self.base_url.rstrip("/"),
            headers=headers,
            timeout=self.timeout,
            transport=self.transport,
        )

    async def complete(
        self, messages: list[ChatMessage], *, temperature: float = 0.0, max_tokens: int = 512
    ) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        data = await _post_json(self._http, "/chat/completions", body)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError("the model's answer has no message content") from exc
        if not isinstance(content, str):
            raise LLMError("the model's answer has no message content")
        return content

    async def aclose(self) -> None:
        await self._http.aclose()


@dataclass
class GeminiClient:
    """Gemini's ``models/{model}:generateContent`` REST API."""

    api_key: str
    model: str
    base_url: str = DEFAULT_BASE_URLS["gemini"]
    timeout: float = 20.0
    provider: str = "gemini"
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    _http: httpx.AsyncClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = httpx.AsyncClient(
            base_url=self.base_url.rstrip("/"),
            headers={"x-goog-api-key": self.api_key},
            timeout=self.timeout,
            transport=self.transport,
        )

    async def complete(
        self, messages: list[ChatMessage], *, temperature: float = 0.0, max_tokens: int = 512
    ) -> str:
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        body: dict[str, Any] = {
            "contents": [
                {
                    "role": "model" if m.role == "assistant" else "user",
                    "parts": [{"text": m.content}],
                }
                for m in messages
                if m.role != "system"
            ],
            "generationConfig": {"temperature": temperature, "maxOutputTokens": max_tokens},
        }
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        data = await _post_json(self._http, f"/v1beta/models/{self.model}:generateContent", body)
        try:
            parts = data["candidates"][0]["content"]["parts"]
            return "".join(str(part.get("text", "")) for part in parts)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMError("the model's answer has no candidate text") from exc

    async def aclose(self) -> None:
        await self._http.aclose()


async def _post_json(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = await http.post(path, json=body)
    except httpx.HTTPError as exc:
        raise LLMError(f"the model is unreachable: {exc.__class__.__name__}") from exc
    if response.status_code >= 400:
        raise LLMError(f"the model answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise LLMError("the model answered something that is not JSON") from exc
    if not isinstance(data, dict):
        raise LLMError("the model answered something that is not a JSON object")
    return data


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def llm_from_settings(settings: Settings) -> LLMClient | None:
    """The configured model client, or None when the platform runs offline."""
    provider = (settings.llm_provider or "").strip().lower()
    if provider in ("", "none", "offline", "rules"):
        return None
    timeout = settings.llm_timeout
    if provider == "gemini":
        key = _secret(settings.gemini_api_key) or _secret(settings.llm_api_key)
        if not key:
            raise ValueError("LLM_PROVIDER=gemini needs GEMINI_API_KEY")
        base = settings.llm_base_url or DEFAULT_BASE_URLS["gemini"]
        model = settings.llm_model or settings.gemini_model
        return GeminiClient(api_key=key, model=model, base_url=base, timeout=timeout)
    if provider == "groq":
        key = _secret(settings.groq_api_key) or _secret(settings.llm_api_key)
        model = settings.llm_model or settings.groq_model
    elif provider == "openai":
        key = _secret(settings.openai_api_key) or _secret(settings.llm_api_key)
        model = settings.llm_model or "gpt-4o-mini"
    elif provider in ("openai-compatible", "ollama", "vllm", "local"):
        key = _secret(settings.llm_api_key)
        model = settings.llm_model or "llama3.1"
        if not settings.llm_base_url:
            raise ValueError(f"LLM_PROVIDER={provider} needs LLM_BASE_URL")
    else:
        raise ValueError(f"unknown LLM_PROVIDER {provider!r}")
    base = settings.llm_base_url or DEFAULT_BASE_URLS.get(provider, "")
    return OpenAICompatibleClient(
        base_url=base, model=model, api_key=key, timeout=timeout, provider=provider
    )
