"""An aiogram 3 bot whose FSM state lives in Bot Nexus, and which receives Nexus events.

    export BOT_TOKEN=123:telegram-token              # from @BotFather
    export NEXUS_URL=http://127.0.0.1:8100
    export NEXUS_TOKEN=$(fodi nexus token create --bot reminder)
    export NEXUS_BOT_CODE=reminder
    .venv/bin/python examples/nexus_bot/bot.py

What it shows:
- every update first registers the user with Nexus (``POST /users/from-telegram``);
- a two-step form (/start asks a name, the answer is remembered) keeps its state and data
  in the user's Nexus subscription through ``NexusStorage``: restart the bot, run two
  copies of it, the conversation carries on;
- /remind N asks Nexus to send this bot a ``reminder`` event in N seconds; the bot
  long-polls its events and messages the user when one arrives (then acks it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message, TelegramObject

from fodi.nexus.aiogram import NexusStorage
from fodi.nexus.client import NexusClient


class Form(StatesGroup):
    name = State()


class RegisterUser(BaseMiddleware):
    """The seed's main scenario on every update: Nexus knows the user and touches the
    subscription's last_interaction_at."""

    def __init__(self, client: NexusClient, bot_code: str) -> None:
        self.client = client
        self.bot_code = bot_code

    async def __call__(self, handler: Any, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is not None and not user.is_bot:
            arrival = await self.client.from_telegram(
                user.id,
                self.bot_code,
                username=user.username,
                first_name=user.first_name,
                last_name=user.last_name,
                language_code=user.language_code,
            )
            data["nexus_user_id"] = arrival["user"]["id"]
        return await handler(event, data)


def build_router(client: NexusClient, bot_code: str) -> Router:
    router = Router(name="nexus-example")

    @router.message(CommandStart())
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state(Form.name)
        await state.update_data(started=True)
        await message.answer("Hi! What is your name?")

    @router.message(Form.name, F.text)
    async def remember_name(message: Message, state: FSMContext) -> None:
        data = await state.update_data(name=message.text)
        await state.set_state(None)
        await message.answer(f"Nice to meet you, {data['name']}!")

    @router.message(Command("remind"))
    async def remind(
        message: Message, command: CommandObject, state: FSMContext, nexus_user_id: str
    ) -> None:
        seconds = int(command.args) if command.args and command.args.isdigit() else 60
        when = datetime.now(UTC) + timedelta(seconds=seconds)
        await client.emit(
            bot_code,
            "reminder",
            {"chat_id": message.chat.id, "text": "You asked me to remind you."},
            user_id=nexus_user_id,
            scheduled_at=when,
        )
        await message.answer(f"I will remind you in {seconds} s.")

    @router.message(F.text)
    async def echo(message: Message, state: FSMContext) -> None:
        data = await state.get_data()
        name = data.get("name", "stranger")
        await message.answer(f"{name}, send /start to begin or /remind 30.")

    return router


def build_dispatcher(client: NexusClient, bot_code: str) -> Dispatcher:
    """The dispatcher with Nexus-backed FSM storage (its storage closes the client)."""
    dispatcher = Dispatcher(storage=NexusStorage(client, bot_code))
    dispatcher.update.outer_middleware(RegisterUser(client, bot_code))
    dispatcher.include_router(build_router(client, bot_code))
    return dispatcher


async def deliver_events(bot: Bot, client: NexusClient, bot_code: str) -> None:
    """Long-poll Nexus for this bot's events, act on them, ack them (at least once: an
    event id seen before is skipped)."""
    seen: set[str] = set()
    while True:
        for event in await client.pull_events(bot_code, wait=25):
            if event["id"] not in seen and event["type"] == "reminder":
                payload = event["payload"]
                await bot.send_message(payload["chat_id"], payload["text"])
            seen.add(event["id"])
            await client.ack(bot_code, event["id"])


async def main() -> None:
    bot_code = os.environ.get("NEXUS_BOT_CODE", "reminder")
    client = NexusClient(
        os.environ.get("NEXUS_URL", "http://127.0.0.1:8100"), os.environ["NEXUS_TOKEN"]
    )
    bot = Bot(os.environ["BOT_TOKEN"])
    dispatcher = build_dispatcher(client, bot_code)
    events = asyncio.create_task(deliver_events(bot, client, bot_code))
    try:
        await dispatcher.start_polling(bot)
    finally:
        events.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await events


if __name__ == "__main__":
    asyncio.run(main())
