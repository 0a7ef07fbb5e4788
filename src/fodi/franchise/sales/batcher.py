"""Group commit for RecordSale: concurrent sales share one transaction and one checkpoint.

Each request enqueues its command and waits; one worker takes whatever is queued (up to
``batch_max``), records it in one transaction and answers every waiter.  Under load batches
grow by themselves; alone, a sale is a batch of one and waits for nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

import structlog

from fodi.core.db import Database
from fodi.franchise import flows
from fodi.franchise.sales.service import SaleCommand
from fodi.franchise.state import FranchiseState

log = structlog.get_logger(__name__)

Item = tuple[SaleCommand, asyncio.Future[flows.SaleOutcome]]


class SaleBatcher:
    def __init__(self, database: Database, batch_max: int, linger_seconds: float = 0.0) -> None:
        self.database = database
        self.batch_max = batch_max
        self.linger = linger_seconds
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._state: FranchiseState | None = None

    def submit(self, state: FranchiseState, command: SaleCommand) -> Awaitable[flows.SaleOutcome]:
        self._state = state
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run())
        future: asyncio.Future[flows.SaleOutcome] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((command, future))
        return future

    async def _run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            if self.linger and self.queue.qsize() < self.batch_max:
                # A moment for requests already being parsed to join: a batch costs about the
                # same dozen round trips whether it carries one sale or hundreds.
                await asyncio.sleep(self.linger)
            while len(batch) < self.batch_max and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            await self._process(batch)

    async def _process(self, batch: list[Item]) -> None:
        assert self._state is not None
        try:
            async with self.database.session() as session:
                outcomes = await flows.record_sales(self._state, session, [c for c, _ in batch])
        except Exception as exc:  # answer every waiter; the next batch starts clean
            log.exception("sale batch failed", size=len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
