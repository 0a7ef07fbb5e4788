"""The yardstick for ``GET /api/products``: a bare Starlette app returning the same bytes.

The body is read once at start-up from the file named by ``BARE_BODY_FILE`` (the backend's
own answer, captured by bench_backend.py), so both servers send identical responses.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


def create_app() -> Starlette:
    body = Path(os.environ["BARE_BODY_FILE"]).read_bytes()

    async def products(_request: Request) -> Response:
        return Response(body, media_type="application/json")

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/api/products", products), Route("/health", health)])
