"""The backend's event stream (``GET /events``, Server-Sent Events, resumable)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx

from fodi.gateway.client.errors import BackendUnavailable, error_for
from fodi.gateway.client.models import Event


class EventsClient:
    def __init__(self, http: httpx.AsyncClient, token: str | None) -> None:
        self._http = http
        self._token = token

    async def stream(
        self,
        last_event_id: int | None = None,
        *,
        idle_timeout: float = 60.0,
        opened: asyncio.Event | None = None,
    ) -> AsyncIterator[Event]:
        """Events after ``last_event_id``, as they happen, until the connection ends.

        The backend sends keep-alive comments; silence longer than ``idle_timeout`` is a dead
        connection (:class:`BackendUnavailable`), so the caller reconnects with its last id.
        """
        headers = {"Accept": "text/event-stream"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        timeout = httpx.Timeout(10.0, read=idle_timeout)
        try:
            async with self._http.stream(
                "GET", "/events", headers=headers, timeout=timeout
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise error_for(response.status_code, _message(response))
                if opened is not None:
                    opened.set()
                async for event in parse_sse(response.aiter_lines()):
                    yield event
        except httpx.TimeoutException as exc:
            raise BackendUnavailable("event stream went silent") from exc
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"event stream lost: {exc.__class__.__name__}") from exc


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    return str(body.get("error") or body.get("detail") or response.reason_phrase)


async def parse_sse(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    """Events of an SSE body (comments, retry hints and malformed data are skipped)."""
    event_id: str | None = None
    event_type: str | None = None
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r")
        if line == "":
            event = _event_of(event_id, event_type, data)
            if event is not None:
                yield event
            event_id, event_type, data = None, None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "id":
            event_id = value
        elif field == "event":
            event_type = value
        elif field == "data":
            data.append(value)


def _event_of(event_id: str | None, event_type: str | None, data: list[str]) -> Event | None:
    if not data:
        return None
    try:
        payload = json.loads("\n".join(data))
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    payload.setdefault("type", event_type)
    if "id" not in payload and event_id is not None and event_id.isdigit():
        payload["id"] = int(event_id)
    try:
        return Event.model_validate(payload)
    except ValueError:
        return None
