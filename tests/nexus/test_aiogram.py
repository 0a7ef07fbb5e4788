"""NexusStorage under a real aiogram Dispatcher fed Update objects (no network at all)."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import SendMessage
from aiogram.types import Chat, Message, Update, User

from fodi.nexus.aiogram import NexusStorage, storage_slot
from fodi.nexus.client import NexusClient
from tests.nexus.conftest import Nexus

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nexus_bot" / "bot.py"
TELEGRAM_USER = 4242


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nexus_example_bot", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RecordingSession(BaseSession):
    """A Telegram session that never touches the network: it records what the bot sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:
        assert isinstance(method, SendMessage)
        self.sent.append(str(method.text))
        chat = Chat(id=int(method.chat_id), type="private")
        return Message(
            message_id=len(self.sent), date=datetime.now(UTC), chat=chat, text=method.text
        )

    async def stream_content(  # pragma: no cover - never called
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise AssertionError("no network in tests")
        yield b""

    async def close(self) -> None:
        pass


_update_ids = itertools.count(1)


def text_update(text: str, user_id: int = TELEGRAM_USER) -> Update:
    user = User(id=user_id, is_bot=False, first_name="Alex", username="alex", language_code="en")
    message = Message(
        message_id=next(_update_ids),
        date=datetime.now(UTC),
        chat=Chat(id=user_id, type="private"),
        from_user=user,
        text=text,
    )
    return Update(update_id=next(_update_ids), message=message)


def client_for(nexus: Nexus, headers: dict[str, str]) -> NexusClient:
    token = headers["Authorization"].removeprefix("Bearer ")
    transport = httpx.ASGITransport(app=nexus.app)
    return NexusClient("http://testserver", token, transport=transport)


@pytest.fixture
async def example_bot(nexus: Nexus) -> AsyncIterator[tuple[Dispatcher, Bot, RecordingSession]]:
    example = load_example()
    session = RecordingSession()
    bot = Bot("123456:TEST-TOKEN", session=session)
    dispatcher: Dispatcher = example.build_dispatcher(client_for(nexus, nexus.reminder), "reminder")
    yield dispatcher, bot, session
    await dispatcher.storage.close()


async def test_the_example_bots_conversation_lives_in_nexus(
    nexus: Nexus, example_bot: tuple[Dispatcher, Bot, RecordingSession]
) -> None:
    dispatcher, bot, session = example_bot
    await dispatcher.feed_update(bot, text_update("/start"))
    assert session.sent == ["Hi! What is your name?"]

    stored = await nexus.client.get(
        f"/subscriptions/by-telegram/{TELEGRAM_USER}", headers=nexus.reminder
    )
    slot = stored.json()["state"]["aiogram"][f"{TELEGRAM_USER}:::default"]
    assert slot == {"state": "Form:name", "data": {"started": True}}
    user = await nexus.client.get(f"/users/by-telegram/{TELEGRAM_USER}", headers=nexus.reminder)
    assert user.json()["first_name"] == "Alex"  # registered by the example's middleware

    await dispatcher.feed_update(bot, text_update("Alice"))
    assert session.sent[-1] == "Nice to meet you, Alice!"
    stored = await nexus.client.get(
        f"/subscriptions/by-telegram/{TELEGRAM_USER}", headers=nexus.reminder
    )
    slot = stored.json()["state"]["aiogram"][f"{TELEGRAM_USER}:::default"]
    assert slot == {"data": {"started": True, "name": "Alice"}}  # state cleared, data kept

    await dispatcher.feed_update(bot, text_update("hello"))
    assert session.sent[-1] == "Alice, send /start to begin or /remind 30."


async def test_a_second_instance_continues_the_conversation(
    nexus: Nexus, example_bot: tuple[Dispatcher, Bot, RecordingSession]
) -> None:
    dispatcher, bot, session = example_bot
    await dispatcher.feed_update(bot, text_update("/start"))
    # Another process running the same bot, with its own client and storage.
    other = load_example().build_dispatcher(client_for(nexus, nexus.reminder), "reminder")
    await other.feed_update(bot, text_update("Bob"))
    assert session.sent[-1] == "Nice to meet you, Bob!"
    await other.storage.close()


async def test_state_is_keyed_by_bot_as_well_as_user(nexus: Nexus) -> None:
    key = StorageKey(bot_id=1, chat_id=TELEGRAM_USER, user_id=TELEGRAM_USER)
    reminder = NexusStorage(client_for(nexus, nexus.reminder), "reminder")
    downloader = NexusStorage(client_for(nexus, nexus.downloader), "downloader")
    await reminder.set_state(key, "Reminder:when")
    await reminder.set_data(key, {"at": "09:00", "none": None})
    assert await downloader.get_state(key) is None
    assert await downloader.get_data(key) == {}
    await downloader.set_state(key, "Download:url")
    assert await reminder.get_state(key) == "Reminder:when"
    assert await reminder.get_data(key) == {"at": "09:00", "none": None}
    assert await downloader.get_state(key) == "Download:url"
    group = StorageKey(bot_id=1, chat_id=-100, user_id=TELEGRAM_USER, thread_id=7)
    assert await reminder.get_state(group) is None  # another chat, another context
    assert storage_slot(group) == "-100:7::default"
    await reminder.set_state(key, None)
    assert await reminder.get_state(key) is None
    await reminder.close()
    await downloader.close()


async def test_concurrent_updates_from_two_instances_lose_nothing(
    committed_nexus: Nexus,
) -> None:
    key = StorageKey(bot_id=1, chat_id=TELEGRAM_USER, user_id=TELEGRAM_USER)
    first = NexusStorage(client_for(committed_nexus, committed_nexus.reminder), "reminder")
    second = NexusStorage(client_for(committed_nexus, committed_nexus.reminder), "reminder")
    await first.set_data(key, {})
    await asyncio.gather(
        *(
            storage.update_data(key, {f"{name}{n}": n})
            for n in range(5)
            for storage, name in ((first, "a"), (second, "b"))
        )
    )
    data = await first.get_data(key)
    assert data == {f"{name}{n}": n for n in range(5) for name in "ab"}
    await first.close()
    await second.close()
