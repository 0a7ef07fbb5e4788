"""The gateway's consumer of the backend's event stream.

Each gateway instance reads ``GET /api/events`` on its own (fan-out: every instance sees every
event and pushes it to the clients connected to *it*), so instances need no shared state and
a client may connect to any of them.  The instance keeps the id of the last event it handled
in ``var/gateway/<instance>.cursor``; after a restart it asks the stream to resume from there,
so nothing that happened meanwhile is lost.  It also re-reads a window of older events
(``events_replay``) without pushing them, to answer clients that reconnect with an older
``last_event_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path

import structlog

from fodi.core.security import TokenClaims, TokenCodec
from fodi.gateway.client import BackendClient, BackendError, Unauthorized
from fodi.gateway.identity import SERVICE_USER_ID
from fodi.gateway.ws.hub import Hub

log = structlog.get_logger(__name__)


class CursorFile:
    """The last handled event id, written atomically (a crash never leaves half a number)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> int | None:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None

    def write(self, event_id: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(str(event_id))
        os.replace(temporary, self.path)


def service_token(codec: TokenCodec) -> str:
    """The gateway's own staff token for the event stream (same JWT_SECRET as the backend)."""
    claims = TokenClaims(user_id=SERVICE_USER_ID, email="gateway@fodifood.local", role="admin")
    return codec.issue(claims)


class EventConsumer:
    def __init__(
        self,
        backend: BackendClient,
        hub: Hub,
        cursor: CursorFile,
        codec: TokenCodec,
        *,
        replay: int = 1000,
        reconnect_max: float = 5.0,
    ) -> None:
        self.backend = backend
        self.hub = hub
        self.cursor = cursor
        self.codec = codec
        self.replay = replay
        self.reconnect_max = reconnect_max
        self.connected = asyncio.Event()
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="gateway-events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run(self) -> None:
        delivered_up_to = self.cursor.read()
        # Re-read a window of already-delivered events, to serve reconnecting clients.  On the
        # very first start there is no cursor: read from the beginning, and treat what was
        # written before this start as already delivered (nobody was connected to hear it).
        resume_from = max(0, delivered_up_to - self.replay) if delivered_up_to else 0
        first_start = datetime.now(UTC) if delivered_up_to is None else None
        pause = 0.1
        while True:
            events = self.backend.as_user(service_token(self.codec)).events
            try:
                async for event in events.stream(resume_from, opened=self.connected):
                    pause = 0.1
                    resume_from = event.id
                    old = delivered_up_to is not None and event.id <= delivered_up_to
                    if first_start and event.created_at and event.created_at < first_start:
                        old = True
                    if old:
                        self.hub.remember(event)
                        continue
                    self.hub.publish(event)
                    delivered_up_to = event.id
                    self.cursor.write(event.id)
                self.last_error = "event stream ended"
            except Unauthorized as exc:
                self.last_error = f"event stream refused the gateway's token: {exc.message}"
                pause = self.reconnect_max
            except BackendError as exc:
                self.last_error = exc.message
            except Exception as exc:  # keep consuming whatever a bad event did
                log.exception("event consumer failed")
                self.last_error = f"{exc.__class__.__name__}: {exc}"
            self.connected.clear()
            # The backend is often still starting: only a persistent outage deserves a warning.
            report = log.warning if pause >= self.reconnect_max else log.debug
            report("event stream reconnecting", reason=self.last_error, pause=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.reconnect_max)
