"""The seed's ``ApiResponse {success, data, error, timestamp}`` envelope, errors included.

The platform answers errors in problem+json; this service's ``/api/v1`` routes keep the
seed's envelope instead (PLATFORM.md), so these handlers replace the core ones for them and
hand every other path (``/health``, ``/metrics``) the platform's problem documents.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fodi.core.errors import AppError, problem

API_PREFIX = "/api/v1"
log = structlog.get_logger(__name__)


def ok(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(
        {"success": True, "data": data, "error": None, "timestamp": int(time.time())},
        status_code=status,
    )


def failure(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"success": False, "data": None, "error": message, "timestamp": int(time.time())},
        status_code=status,
        headers=headers,
    )


def error_response(exc: AppError) -> JSONResponse:
    return failure(exc.status, exc.message, exc.headers or None)


def _ours(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


async def _on_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if _ours(request):
        return error_response(exc)
    return problem(exc.status, exc.message, code=exc.code, extra=exc.extra, headers=exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    message = f"Invalid request: {where + ': ' if where else ''}{first.get('msg', 'invalid')}"
    if _ours(request):
        return failure(400, message)
    return problem(400, message, code="invalid-request")


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if _ours(request):
        return failure(exc.status_code, str(exc.detail), dict(exc.headers or {}) or None)
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path, method=request.method)
    if _ours(request):
        return failure(500, "Internal server error")
    return problem(500, "Internal server error")


def install_envelope_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _on_app_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
