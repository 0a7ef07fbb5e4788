"""``POST /api/v1/chat`` (and ``/api/v1/chat/message``): the assistant over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from fodi.core.errors import PayloadTooLarge, problem_responses
from fodi.gateway.api.deps import AssistantDep, OptionalCallerDep
from fodi.gateway.identity import Caller

router = APIRouter(prefix="/api/v1")


class ChatBody(BaseModel):
    user_id: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=1_000_000)
    username: str | None = Field(default=None, max_length=200)


@router.post("/chat", responses=problem_responses(400, 401, 413, 503))
@router.post("/chat/message", responses=problem_responses(400, 401, 413, 503))
async def chat(
    body: ChatBody, request: Request, caller: OptionalCallerDep, assistant: AssistantDep
) -> dict[str, Any]:
    limit = request.app.state.settings.gateway.chat_max_chars
    if len(body.message) > limit:
        raise PayloadTooLarge(f"Message too long (limit {limit} characters)")
    # A guest's memory is keyed by the user_id it sends; a signed-in caller's by its token.
    who = caller or Caller(user_id=f"guest_{body.user_id}")
    reply = await assistant.reply(who, body.message)
    return {
        "intent": reply.intent.value,
        "response": reply.text,
        "suggestions": reply.suggestions,
        "products": [p.to_json() for p in reply.products] if reply.products is not None else None,
    }
