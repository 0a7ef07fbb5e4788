"""The HTTP API: health, queries with auth and rate limit, chat, context, audit log, examples."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from fodi.core.db import Database
from fodi.core.settings import Settings
from tests.analytics.conftest import build_app
from tests.support import asgi_client, bearer


async def test_health_reports_database_and_llm(client: httpx.AsyncClient) -> None:
    for path in ("/api/health", "/health"):
        body = (await client.get(path)).json()
        assert body["status"] == "ok"
        assert body["database"] == "connected"
        assert body["llm"] == "offline"
        assert body["timestamp"]


async def test_queries_need_a_signed_in_user(app: FastAPI) -> None:
    async with asgi_client(app) as anonymous:
        response = await anonymous.post("/api/query", json={"question": "revenue"})
        assert response.status_code == 401
        assert response.json()["error"] == "Authorization header required"
        response = await anonymous.post(
            "/api/query",
            json={"question": "revenue"},
            headers={"Authorization": "Bearer forged.token.here"},
        )
        assert response.status_code == 401
        assert (await anonymous.post("/api/chat", json={"message": "hi"})).status_code == 401
        assert (await anonymous.get("/api/queries")).status_code == 401


async def test_a_question_gets_the_original_shape_plus_understood_and_engine(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/query",
        json={"question": "revenue by month in 2025", "include_sql": True, "user_id": "bob"},
    )
    assert response.status_code == 200
    body = response.json()
    for key in (
        "question", "sql", "data", "row_count", "execution_time_ms", "chart_data",
        "text_response", "cached", "understood", "engine",
    ):  # fmt: skip
        assert key in body
    assert body["understood"] is True
    assert body["engine"] == "offline"
    assert body["sql"].startswith("SELECT")
    assert "LIMIT" in body["sql"]
    assert body["row_count"] == len(body["data"]) > 0
    assert {"month", "currency", "revenue"} <= set(body["data"][0])
    # Money is never summed across currencies; the glossary is stated.
    assert len({row["currency"] for row in body["data"]}) > 1
    assert "revenue = sum of amount of succeeded payments" in body["text_response"]
    chart = body["chart_data"]
    assert chart["chart_type"] == "line"
    assert chart["labels"][0] == "2025-01"
    assert {d["label"] for d in chart["datasets"]} == {r["currency"] for r in body["data"]}
    without_sql = (await client.post("/api/query", json={"question": "revenue"})).json()
    assert without_sql["sql"] is None


async def test_not_understood_runs_nothing_and_suggests(client: httpx.AsyncClient) -> None:
    body = (
        await client.post("/api/query", json={"question": "what is the weather in Bishkek"})
    ).json()
    assert body["understood"] is False
    assert body["data"] == []
    assert body["sql"] is None
    assert body["suggested_questions"]
    assert "revenue" in body["text_response"]
    russian = (await client.post("/api/query", json={"question": "какая погода"})).json()
    assert russian["understood"] is False
    assert "выручка" in russian["text_response"]


async def test_output_types(client: httpx.AsyncClient) -> None:
    table = (
        await client.post(
            "/api/query", json={"question": "revenue by location", "output_type": "table"}
        )
    ).json()
    assert table["table"].startswith("| location")
    assert table["chart_data"] is None
    chart = (
        await client.post(
            "/api/query", json={"question": "payments by status", "output_type": "chart"}
        )
    ).json()
    assert chart["chart_data"]["chart_type"] == "pie"


async def test_bad_input_is_a_400(client: httpx.AsyncClient) -> None:
    for body in ({}, {"question": ""}, {"question": "x", "output_type": "spreadsheet"}):
        assert (await client.post("/api/query", json=body)).status_code == 400
    too_long = (await client.post("/api/query", json={"question": "revenue " * 500})).status_code
    assert too_long == 400


async def test_cached_answers(client: httpx.AsyncClient) -> None:
    question = {"question": "payments by card brand", "use_cache": True}
    first = (await client.post("/api/query", json=question)).json()
    second = (await client.post("/api/query", json=question)).json()
    assert first["cached"] is False
    assert second["cached"] is True
    assert first["data"] == second["data"]


async def test_chat_keeps_session_context(client: httpx.AsyncClient) -> None:
    first = (await client.post("/api/chat", json={"message": "revenue in Bishkek"})).json()
    session_id = first["session_id"]
    assert first["understood"]
    assert "KGS" in first["message"]
    follow = (
        await client.post(
            "/api/chat", json={"message": "and by card brand?", "session_id": session_id}
        )
    ).json()
    assert follow["session_id"] == session_id
    assert follow["understood"]
    assert "card brand" in follow["message"].lower()
    assert all(row["currency"] == "KGS" for row in follow["data"])
    other = (await client.post("/api/chat", json={"message": "and by card brand?"})).json()
    assert other["understood"] is False  # a new session has nothing to follow up on


async def test_payment_questions_need_an_analyst_role(app: FastAPI) -> None:
    """Payments name customers: a shopper's token (role user) is refused."""
    async with asgi_client(app, **bearer("shopper")) as shopper:
        for path, body in (
            ("/api/query", {"question": "revenue"}),
            ("/api/chat", {"message": "revenue"}),
        ):
            refused = await shopper.post(path, json=body)
            assert refused.status_code == 403
            assert refused.json()["error"] == "Analyst access required"
    async with asgi_client(app, **bearer("owner", "business_owner")) as owner:
        assert (await owner.post("/api/query", json={"question": "revenue"})).status_code == 200


async def test_context_clear(app: FastAPI) -> None:
    async with asgi_client(app, **bearer("carol", "manager")) as carol:
        await carol.post("/api/query", json={"question": "revenue in Tokyo"})
        assert (await carol.post("/api/query", json={"question": "and by month?"})).json()[
            "understood"
        ]
        cleared = (await carol.post("/api/context/clear", json={})).json()
        assert cleared == {"success": True, "message": "Context cleared for user: carol"}
        after = (await carol.post("/api/query", json={"question": "and by month?"})).json()
        assert after["understood"] is False
        denied = await carol.post("/api/context/clear", json={"user_id": "dave"})
        assert denied.status_code == 403


async def test_audit_log_is_per_user_and_complete_for_admins(app: FastAPI) -> None:
    async with (
        asgi_client(app, **bearer("erin", "manager")) as erin,
        asgi_client(app, **bearer("root", "admin")) as admin,
    ):
        await erin.post("/api/query", json={"question": "revenue last month"})
        typed = await erin.post("/api/query", json={"question": "sql: SELECT 1"})
        assert typed.status_code == 403  # typing SQL is for administrators only
        await admin.post("/api/query", json={"question": "sql: DELETE FROM payments"})
        await admin.post("/api/query", json={"question": "how many payments"})
        mine = (await erin.get("/api/queries")).json()
        assert {entry["user_id"] for entry in mine} == {"erin"}
        assert len(mine) == 1
        good = mine[0]
        assert good["question"] == "revenue last month"
        assert good["success"]
        assert good["generated_sql"].startswith("SELECT")
        everyone = await admin.get("/api/queries", params={"limit": 1})
        assert everyone.headers["X-Total-Count"] == "3"
        assert len(everyone.json()) == 1
        refused = next(
            e
            for e in (await admin.get("/api/queries", params={"user_id": "root"})).json()
            if e["question"].startswith("sql:")
        )
        assert refused["success"] is False
        assert "guard" in refused["error_message"]
        only_erin = (await admin.get("/api/queries", params={"user_id": "erin"})).json()
        assert len(only_erin) == 1


async def test_examples_crud_validates_sql_and_roles(app: FastAPI) -> None:
    async with (
        asgi_client(app, **bearer("frank")) as user,
        asgi_client(app, **bearer("boss", "admin")) as admin,
    ):
        good = {
            "question": "revenue by currency",
            "sql": "SELECT currency, SUM(amount) AS revenue_minor FROM payments GROUP BY currency;",
        }
        assert (await user.post("/api/examples", json=good)).status_code == 403
        created = await admin.post("/api/examples", json=good)
        assert created.status_code == 201
        example = created.json()
        assert example["sql"].endswith("GROUP BY currency")
        poisoned = {"question": "revenue", "sql": "SELECT 1; DROP TABLE payments"}
        refused = await admin.post("/api/examples", json=poisoned)
        assert refused.status_code == 400
        assert "guard" in refused.json()["error"]
        listed = await user.get("/api/examples")
        assert [e["id"] for e in listed.json()] == [example["id"]]
        changed = await admin.put(
            f"/api/examples/{example['id']}",
            json={"question": "revenue per currency", "sql": good["sql"]},
        )
        assert changed.json()["question"] == "revenue per currency"
        bad_update = await admin.put(
            f"/api/examples/{example['id']}",
            json={"question": "the log", "sql": "SELECT * FROM analytics_query_log"},
        )
        assert bad_update.status_code == 400
        assert (await user.get(f"/api/examples/{example['id']}")).status_code == 200
        assert (await admin.delete(f"/api/examples/{example['id']}")).status_code == 204
        assert (await user.get(f"/api/examples/{example['id']}")).status_code == 404


async def test_each_user_is_rate_limited(settings: Settings, seeded_db: Database) -> None:
    app = build_app(settings, seeded_db, rate_limit_burst=3, rate_limit_per_minute=6)
    async with (
        asgi_client(app, **bearer("gina", "manager")) as gina,
        asgi_client(app, **bearer("hank", "manager")) as hank,
    ):
        for _ in range(3):
            assert (await gina.post("/api/query", json={"question": "revenue"})).status_code == 200
        limited = await gina.post("/api/query", json={"question": "revenue"})
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "10"
        assert (await gina.post("/api/chat", json={"message": "revenue"})).status_code == 429
        assert (await hank.post("/api/query", json={"question": "revenue"})).status_code == 200


@pytest.mark.postgres
async def test_postgres_answers_match_sqlite_labels(client: httpx.AsyncClient) -> None:
    body = (await client.post("/api/query", json={"question": "revenue by quarter in 2025"})).json()
    assert {row["quarter"] for row in body["data"]} == {"2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"}
    weekdays = (await client.post("/api/query", json={"question": "payments by weekday"})).json()
    assert sorted(row["weekday"] for row in weekdays["data"]) == list(range(1, 8))


async def test_query_session_ids_keep_separate_follow_up_context(client: httpx.AsyncClient) -> None:
    await client.post("/api/query", json={"question": "revenue in Tokyo", "session_id": "s1"})
    await client.post("/api/query", json={"question": "revenue in Berlin", "session_id": "s2"})
    first = (
        await client.post("/api/query", json={"question": "and by month?", "session_id": "s1"})
    ).json()
    second = (
        await client.post("/api/query", json={"question": "and by month?", "session_id": "s2"})
    ).json()
    assert {row["currency"] for row in first["data"]} == {"JPY"}
    assert {row["currency"] for row in second["data"]} == {"EUR"}
