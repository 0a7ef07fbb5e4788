"""HTTP helpers the nexus routers share: pagination, JSON bodies read by hand, body limits."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fodi.core.errors import AppError, BadRequest, problem
from fodi.core.pagination import PageParams, page_params

PageDep = Annotated[PageParams, Depends(page_params)]

JSON_MEDIA_TYPES = ("application/json", "application/merge-patch+json")


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported-media-type"


async def json_object(request: Request, what: str) -> dict[str, Any]:
    """The request body as a JSON object, with clear 4xx answers for anything else."""
    media_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if media_type.lower() not in JSON_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Send {what} as application/merge-patch+json or application/json"
        )
    raw = await request.body()
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Malformed JSON in {what}: {exc}") from exc
    if not isinstance(document, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return document


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413 before anything reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await problem(400, "Invalid Content-Length")(scope, receive, send)
            return
        if declared is not None:
            if declared > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        # A chunked body: read it (up to the limit) and hand it on in one piece.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.max_bytes} bytes"
        await problem(413, message, code="payload-too-large")(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
            return length if length >= 0 else -1
    return None
