"""The HTTP layer under every sub-client: one pooled connection set, timeouts, retries.

Only requests that are safe to repeat are retried: GET/PUT/DELETE, the read-only POSTs
(``/auth/verify``) and order creation, which carries an ``Idempotency-Key`` so that a retry
returns the first order instead of making a second.  Retries back off exponentially and only
follow failures that may be transient (no connection, timeout, 502/503/504).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx

from fodi.gateway.client.errors import BackendError, BackendUnavailable, error_for

RETRYABLE_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3  # total tries
    backoff: float = 0.1  # first pause, doubled each time

    def pause(self, attempt: int) -> float:
        return float(self.backoff * (2**attempt))


class Transport:
    """Sends requests to the backend and turns failures into typed errors."""

    def __init__(self, http: httpx.AsyncClient, retry: RetryPolicy) -> None:
        self.http = http
        self.retry = retry

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry: bool | None = None,
    ) -> Any:
        """The decoded JSON of a 2xx answer (None for an empty body); a typed error otherwise."""
        send_headers = dict(headers or {})
        if token:
            send_headers["Authorization"] = f"Bearer {token}"
        may_retry = method in IDEMPOTENT_METHODS if retry is None else retry
        attempts = self.retry.attempts if may_retry else 1
        last: BackendError | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self.retry.pause(attempt - 1))
            try:
                response = await self.http.request(
                    method, path, json=json_body, params=params, headers=send_headers
                )
            except httpx.TimeoutException as exc:
                last = BackendUnavailable(f"backend timed out ({exc.__class__.__name__})")
                continue
            except httpx.TransportError as exc:
                last = BackendUnavailable(f"backend unreachable: {_reason(exc)}")
                continue
            if response.status_code in RETRYABLE_STATUSES:
                last = _error_of(response)
                continue
            if response.status_code >= 400:
                raise _error_of(response)
            return _json_of(response)
        assert last is not None
        raise last


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def _json_of(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise BackendError(
            f"backend answered {response.status_code} with a body that is not JSON",
            status=response.status_code,
        ) from exc


def _error_of(response: httpx.Response) -> BackendError:
    problem: dict[str, Any] = {}
    try:
        body = response.json()
        if isinstance(body, dict):
            problem = body
    except (ValueError, json.JSONDecodeError):
        pass
    message = problem.get("error") or problem.get("detail") or problem.get("message")
    if not isinstance(message, str) or not message:
        message = response.text.strip()[:200] or response.reason_phrase or "backend error"
    return error_for(response.status_code, message, problem)
