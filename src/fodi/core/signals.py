"""An in-process wake-up call for pollers.

A writer that has just committed calls :meth:`Signal.notify`; a reader blocked in
:meth:`Signal.wait` wakes at once instead of at its next poll.  Readers still poll with a
timeout, so work written by other processes (other workers, the CLI) is found too.
"""

from __future__ import annotations

import asyncio
import contextlib


class Signal:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake every current waiter; later waiters wait for the next notification."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Return when notified or after ``seconds`` seconds, whichever comes first."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
