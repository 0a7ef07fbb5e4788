"""``NexusStorage``: an aiogram 3 FSM storage keeping each user's state and data in their
Nexus subscription for the bot, so several bots (and several instances of one bot) share
one source of truth.

    storage = NexusStorage(NexusClient(url, token), bot_code="reminder")
    dp = Dispatcher(storage=storage)

Everything lives under ``state["aiogram"][<chat:thread:business:destiny>]`` of the
subscription of (Telegram user, ``bot_code``): ``{"state": "Form:name", "data": {...}}``.
``set_state`` is one atomic merge patch; ``set_data``/``update_data`` replace the data
with ``If-Match`` and retry on 412, so concurrent writers never lose an update.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from fodi.nexus.client import NexusClient, NotFoundError, PreconditionFailedError, Subscription

NAMESPACE = "aiogram"


class ConcurrentUpdateError(RuntimeError):
    """The data kept changing under us for ``max_retries`` attempts."""


def storage_slot(key: StorageKey) -> str:
    """The slot of one FSM context inside the subscription (the bot is the subscription's)."""
    thread = "" if key.thread_id is None else str(key.thread_id)
    business = key.business_connection_id or ""
    return f"{key.chat_id}:{thread}:{business}:{key.destiny}"


class NexusStorage(BaseStorage):
    def __init__(
        self,
        client: NexusClient,
        bot_code: str,
        *,
        max_retries: int = 10,
        close_client: bool = True,
    ) -> None:
        self.client = client
        self.bot_code = bot_code
        self.max_retries = max_retries
        self.close_client = close_client

    async def _find(self, key: StorageKey) -> Subscription | None:
        try:
            return await self.client.subscription_for(key.user_id, self.bot_code)
        except NotFoundError:
            return None

    async def _ensure(self, key: StorageKey) -> Subscription:
        found = await self._find(key)
        if found is not None:
            return found
        # No profile fields: an existing user keeps theirs, a new one is filled in by the
        # bot's next from-telegram call.
        await self.client.from_telegram(key.user_id, self.bot_code)
        return await self.client.subscription_for(key.user_id, self.bot_code)

    @staticmethod
    def _slot(subscription: Subscription | None, key: StorageKey) -> dict[str, Any]:
        if subscription is None:
            return {}
        slot: dict[str, Any] = subscription.state.get(NAMESPACE, {}).get(storage_slot(key), {})
        return slot

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        subscription = await self._ensure(key)
        patch = {NAMESPACE: {storage_slot(key): {"state": value}}}  # None deletes the key
        await self.client.patch_state(subscription.id, patch)

    async def get_state(self, key: StorageKey) -> str | None:
        state = self._slot(await self._find(key), key).get("state")
        return str(state) if state is not None else None

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data: dict[str, Any] = copy.deepcopy(self._slot(await self._find(key), key).get("data", {}))
        return data

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._rewrite(key, lambda _current: dict(data))

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        return await self._rewrite(key, lambda current: {**current, **data})

    async def _rewrite(self, key: StorageKey, change: Any) -> dict[str, Any]:
        """Read, change and write back the data under ``If-Match``; retry when outrun."""
        slot_name = storage_slot(key)
        for _ in range(self.max_retries):
            subscription = await self._ensure(key)
            state = copy.deepcopy(subscription.state)
            slot = state.setdefault(NAMESPACE, {}).setdefault(slot_name, {})
            new_data: dict[str, Any] = change(slot.get("data", {}))
            slot["data"] = new_data
            try:
                await self.client.replace_state(subscription.id, state, if_match=subscription.etag)
            except PreconditionFailedError:
                continue
            return copy.deepcopy(new_data)
        raise ConcurrentUpdateError(f"gave up after {self.max_retries} conflicting writes")

    async def close(self) -> None:
        if self.close_client:
            await self.client.close()
