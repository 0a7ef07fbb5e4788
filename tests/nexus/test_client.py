"""NexusClient, the SDK: every call against the real app through an in-process transport."""

from __future__ import annotations

import httpx
import pytest

from fodi.nexus.client import NexusClient, NexusError, NotFoundError, PreconditionFailedError
from tests.nexus.conftest import Nexus


def client_for(nexus: Nexus, headers: dict[str, str]) -> NexusClient:
    token = headers["Authorization"].removeprefix("Bearer ")
    return NexusClient("http://testserver", token, transport=httpx.ASGITransport(app=nexus.app))


async def test_sdk_covers_users_bots_and_subscriptions(nexus: Nexus) -> None:
    async with client_for(nexus, nexus.reminder) as bot, client_for(nexus, nexus.admin) as admin:
        assert await bot.health()
        arrival = await bot.from_telegram(77, "reminder", first_name="Ann", username="ann")
        user_id = arrival["user"]["id"]
        assert (await bot.get_user(user_id))["username"] == "ann"
        assert (await bot.get_user_by_telegram(77))["id"] == user_id
        assert [u["id"] for u in await bot.list_users()] == [user_id]
        assert [b["bot"]["code"] for b in await bot.user_bots(user_id)] == ["reminder"]

        sub = await bot.subscription_for(77)
        assert sub.version == 1
        assert sub.etag == '"1"'
        assert sub.state == {}
        sub = await bot.patch_state(sub.id, {"step": 1}, if_match=sub.etag)
        assert sub.state == {"step": 1}
        assert sub.version == 2
        with pytest.raises(PreconditionFailedError):
            await bot.patch_state(sub.id, {"step": 9}, if_match='"1"')
        sub = await bot.replace_settings(sub.id, {"lang": "en"})
        sub = await bot.patch_settings(sub.id, {"tz": "UTC"})
        assert sub.settings == {"lang": "en", "tz": "UTC"}
        sub = await bot.replace_state(sub.id, {"fresh": True}, if_match=sub.etag)
        assert (await bot.get_subscription(sub.id)).state == {"fresh": True}
        assert len(await bot.list_subscriptions(bot_code="reminder")) == 1

        made = await admin.create_bot("weather", "Weather")
        assert (await admin.get_bot("weather"))["id"] == made["id"]
        assert (await admin.update_bot("weather", description="d"))["description"] == "d"
        hooked = await bot.set_webhook("reminder", "http://127.0.0.1:9/hook")
        assert hooked["webhook_secret"]
        assert {b["code"] for b in await bot.list_bots()} == {"downloader", "reminder", "weather"}
        other = await admin.create_subscription(user_id, "weather", state={"city": "Oslo"})
        assert other.state == {"city": "Oslo"}
        await admin.delete_subscription(other.id)
        await admin.delete_bot("weather")
        with pytest.raises(NotFoundError):
            await admin.get_bot("weather")

        created = await admin.create_user(telegram_id=78, first_name="Ben")
        assert (await admin.update_user(created["id"], last_name="B"))["last_name"] == "B"
        await admin.delete_user(created["id"])
        with pytest.raises(NexusError) as forbidden:
            await bot.create_user(telegram_id=79, first_name="C")
        assert forbidden.value.status == 403


async def test_sdk_covers_events_and_workflows(nexus: Nexus) -> None:
    async with (
        client_for(nexus, nexus.reminder) as reminder,
        client_for(nexus, nexus.downloader) as downloader,
    ):
        user_id = (await reminder.from_telegram(80, "reminder", first_name="D"))["user"]["id"]
        workflow = await reminder.create_workflow(
            user_id,
            "chain",
            {
                "steps": [
                    {
                        "name": "s",
                        "on": {"bot": "reminder", "type": "done"},
                        "then": [{"bot": "downloader", "type": "fetch"}],
                    }
                ]
            },
        )
        emitted = await reminder.emit("reminder", "done", {"ok": True}, user_id=user_id)
        assert len(emitted["triggered"]) == 1
        [fetch] = await downloader.pull_events("downloader")
        assert fetch["type"] == "fetch"
        assert fetch["workflow_id"] == workflow["id"]
        await downloader.ack("downloader", fetch["id"])
        assert (await downloader.get_event(fetch["id"]))["status"] == "delivered"
        assert {e["type"] for e in await reminder.list_events()} == {"done", "fetch"}

        await reminder.emit("downloader", "again")
        [again] = await downloader.pull_events("downloader")
        await downloader.nack("downloader", again["id"], "nope")
        assert (await downloader.get_event(again["id"]))["last_error"] == "nope"
        with pytest.raises(NexusError):
            await downloader.retry_event(again["id"])  # only dead events

        assert (await reminder.get_workflow(workflow["id"]))["status"] == "active"
        assert len(await reminder.list_workflows(user_id=user_id)) == 1
        paused = await reminder.update_workflow(workflow["id"], status="paused")
        assert paused["status"] == "paused"
        kinds = [h["kind"] for h in await reminder.workflow_history(workflow["id"])]
        assert kinds == ["created", "triggered", "status"]
        await reminder.delete_workflow(workflow["id"])
