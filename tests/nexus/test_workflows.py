"""Workflows: a step fires when its bot emits its event, schedules the next, keeps history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fodi.core.db import Database
from fodi.nexus.dispatcher import Dispatcher
from tests.nexus.conftest import Nexus
from tests.nexus.receiver import running_receiver
from tests.nexus.test_dispatcher import FAST

DEFINITION = {
    "steps": [
        {
            "name": "report-after-done",
            "on": {"bot": "reminder", "type": "done"},
            "then": [
                {
                    "bot": "downloader",
                    "type": "report",
                    "delay_seconds": 600,
                    "payload": {"format": "short"},
                }
            ],
        },
        {
            "name": "stop",
            "on": {"bot": "reminder", "type": "stop"},
            "then": [{"bot": "downloader", "type": "bye"}],
            "finish": True,
        },
    ],
    "start": [{"bot": "reminder", "type": "tick", "cron": "0 9 * * *"}],
}


async def create(nexus: Nexus, user_id: str, definition: object = DEFINITION) -> dict[str, object]:
    response = await nexus.client.post(
        "/workflows",
        json={"user_id": user_id, "name": "daily", "definition": definition},
        headers=nexus.reminder,
    )
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


async def test_a_step_schedules_events_and_a_final_step_finishes(nexus: Nexus) -> None:
    user_id = (await nexus.arrive(60))["user"]["id"]
    workflow = await create(nexus, user_id)
    assert workflow["status"] == "active"
    started = (
        await nexus.client.get(
            "/events", params={"workflow_id": str(workflow["id"])}, headers=nexus.admin
        )
    ).json()
    assert [(e["type"], e["cron"]) for e in started] == [("tick", "0 9 * * *")]

    done = await nexus.client.post(
        "/events",
        json={"bot_code": "reminder", "type": "done", "user_id": user_id},
        headers=nexus.reminder,
    )
    [report_id] = done.json()["triggered"]
    report = (await nexus.client.get(f"/events/{report_id}", headers=nexus.admin)).json()
    assert report["type"] == "report"
    assert report["payload"] == {"format": "short"}
    assert report["workflow_id"] == workflow["id"]
    delay = datetime.fromisoformat(report["scheduled_at"]) - datetime.now(UTC)
    assert 590 < delay.total_seconds() <= 600

    other_bot = await nexus.client.post(  # the same type from another bot triggers nothing
        "/events",
        json={"bot_code": "reminder", "type": "done", "user_id": user_id},
        headers=nexus.downloader,
    )
    assert other_bot.status_code == 404  # and the downloader cannot even see that user...
    await nexus.arrive(60, bot="downloader")
    other_bot = await nexus.client.post(
        "/events",
        json={"bot_code": "reminder", "type": "done", "user_id": user_id},
        headers=nexus.downloader,
    )
    assert other_bot.json()["triggered"] == []

    stop = await nexus.client.post(
        "/events",
        json={"bot_code": "reminder", "type": "stop", "user_id": user_id},
        headers=nexus.reminder,
    )
    assert len(stop.json()["triggered"]) == 1
    current = (
        await nexus.client.get(f"/workflows/{workflow['id']}", headers=nexus.reminder)
    ).json()
    assert current["status"] == "finished"
    history = (
        await nexus.client.get(f"/workflows/{workflow['id']}/history", headers=nexus.reminder)
    ).json()
    assert [h["kind"] for h in history] == [
        "created",
        "started",
        "triggered",
        "triggered",
        "finished",
    ]

    after = await nexus.client.post(
        "/events",
        json={"bot_code": "reminder", "type": "done", "user_id": user_id},
        headers=nexus.reminder,
    )
    assert after.json()["triggered"] == []  # a finished workflow listens no more


async def test_paused_workflows_do_not_fire_and_status_rules_hold(nexus: Nexus) -> None:
    user_id = (await nexus.arrive(61))["user"]["id"]
    workflow = await create(nexus, user_id)
    url = f"/workflows/{workflow['id']}"
    paused = await nexus.client.patch(url, json={"status": "paused"}, headers=nexus.reminder)
    assert paused.json()["status"] == "paused"
    done = await nexus.client.post(
        "/events",
        json={"bot_code": "reminder", "type": "done", "user_id": user_id},
        headers=nexus.reminder,
    )
    assert done.json()["triggered"] == []
    assert (
        await nexus.client.patch(url, json={"status": "active"}, headers=nexus.reminder)
    ).status_code == 200
    assert (
        await nexus.client.patch(url, json={"status": "finished"}, headers=nexus.reminder)
    ).status_code == 200
    reopen = await nexus.client.patch(url, json={"status": "active"}, headers=nexus.reminder)
    assert reopen.status_code == 409
    failed = await nexus.client.patch(url, json={"status": "failed"}, headers=nexus.reminder)
    assert failed.status_code == 400
    # Another bot's token cannot see it; an admin can.
    assert (await nexus.client.get(url, headers=nexus.downloader)).status_code == 404
    assert (await nexus.client.get(url, headers=nexus.admin)).status_code == 200
    listed = await nexus.client.get("/workflows", params={"user_id": user_id}, headers=nexus.admin)
    assert [w["id"] for w in listed.json()] == [workflow["id"]]
    assert (await nexus.client.delete(url, headers=nexus.reminder)).status_code == 204


@pytest.mark.parametrize(
    ("definition", "status", "needle"),
    [
        (
            {
                "steps": [
                    {
                        "name": "s",
                        "on": {"bot": "ghost", "type": "a"},
                        "then": [{"bot": "downloader", "type": "b"}],
                    }
                ]
            },
            404,
            "ghost",
        ),
        (
            {
                "steps": [
                    {
                        "name": "s",
                        "on": {"bot": "reminder", "type": "a"},
                        "then": [{"bot": "ghost", "type": "b"}],
                    }
                ]
            },
            404,
            "ghost",
        ),
        ({"start": [{"bot": "reminder", "type": "t", "cron": "0 0 31 2 *"}]}, 400, "never fires"),
        ({"steps": [{"name": "s", "on": {"bot": "reminder", "type": "a"}, "then": []}]}, 400, ""),
        ({"steps": [], "extra": 1}, 400, ""),
    ],
)
async def test_bad_definitions_are_refused(
    nexus: Nexus, definition: dict[str, object], status: int, needle: str
) -> None:
    user_id = (await nexus.arrive(62))["user"]["id"]
    response = await nexus.client.post(
        "/workflows",
        json={"user_id": user_id, "name": "bad", "definition": definition},
        headers=nexus.reminder,
    )
    assert response.status_code == status, response.text
    assert needle in response.json()["error"]
    assert (await nexus.client.get("/workflows", headers=nexus.admin)).json() == []


@pytest.mark.slow
async def test_a_dead_lettered_step_fails_the_workflow(
    committed_nexus: Nexus, committing_db: Database
) -> None:
    nexus = committed_nexus

    async def broken(_path: str, _n: int) -> int:
        return 503

    async with running_receiver(broken) as receiver:
        await nexus.client.patch(
            "/bots/downloader", json={"webhook_url": receiver.url()}, headers=nexus.downloader
        )
        user_id = (await nexus.arrive(63))["user"]["id"]
        definition = {
            "steps": [
                {
                    "name": "now",
                    "on": {"bot": "reminder", "type": "go"},
                    "then": [{"bot": "downloader", "type": "work"}],
                }
            ]
        }
        workflow = await create(nexus, user_id, definition)
        await nexus.client.post(
            "/events",
            json={"bot_code": "reminder", "type": "go", "user_id": user_id},
            headers=nexus.reminder,
        )
        config = FAST.model_copy(update={"max_attempts": 1})
        assert await Dispatcher(committing_db, config).run_once() == 1
    current = (await nexus.client.get(f"/workflows/{workflow['id']}", headers=nexus.admin)).json()
    assert current["status"] == "failed"
    history = (
        await nexus.client.get(f"/workflows/{workflow['id']}/history", headers=nexus.admin)
    ).json()
    assert history[-1]["kind"] == "failed"
    assert "HTTP 503" in history[-1]["detail"]["error"]
