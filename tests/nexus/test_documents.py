"""Settings and state: merge patch (RFC 7396) in the database, PUT, ETag/If-Match, limits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fodi.core.db import Database, utcnow
from fodi.nexus.auth.service import Caller
from fodi.nexus.bots.models import Bot
from fodi.nexus.subscriptions import service
from fodi.nexus.subscriptions.service import Document
from fodi.nexus.users.service import upsert
from tests.nexus.conftest import Nexus

MERGE = {"Content-Type": "application/merge-patch+json"}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396, section 2, as written."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


async def test_get_returns_etag_and_patch_merges(nexus: Nexus) -> None:
    sid = (await nexus.subscription(1))["id"]
    client, headers = nexus.client, nexus.reminder
    read = await client.get(f"/subscriptions/{sid}", headers=headers)
    assert read.headers["ETag"] == '"1"'

    first = await client.patch(
        f"/subscriptions/{sid}/state",
        json={"progress": {"step": 1, "seen": ["a"]}, "lang": "ru"},
        headers={**headers, **MERGE, "If-Match": '"1"'},
    )
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"2"'
    second = await client.patch(
        f"/subscriptions/{sid}/state",
        json={"progress": {"step": 2}, "lang": None},
        headers={**headers, **MERGE},
    )
    assert second.json()["state"] == {"progress": {"step": 2, "seen": ["a"]}}
    assert second.json()["version"] == 3

    settings_doc = await client.patch(
        f"/subscriptions/{sid}/settings", json={"quality": "1080p"}, headers=headers
    )
    assert settings_doc.json()["settings"] == {"quality": "1080p"}
    assert settings_doc.json()["state"] == {"progress": {"step": 2, "seen": ["a"]}}


async def test_stale_if_match_is_412_and_changes_nothing(nexus: Nexus) -> None:
    sid = (await nexus.subscription(2))["id"]
    client, headers = nexus.client, nexus.reminder
    await client.patch(f"/subscriptions/{sid}/state", json={"a": 1}, headers=headers)
    stale = await client.patch(
        f"/subscriptions/{sid}/state", json={"a": 2}, headers={**headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["ETag"] == '"2"'
    assert stale.headers["content-type"].startswith("application/problem+json")
    replaced = await client.put(
        f"/subscriptions/{sid}/state", json={"b": 1}, headers={**headers, "If-Match": '"1"'}
    )
    assert replaced.status_code == 412
    current = await client.get(f"/subscriptions/{sid}", headers=headers)
    assert current.json()["state"] == {"a": 1}
    assert current.json()["version"] == 2
    garbage = await client.patch(
        f"/subscriptions/{sid}/state", json={"a": 3}, headers={**headers, "If-Match": "nonsense"}
    )
    assert garbage.status_code == 412


async def test_put_replaces_the_whole_document(nexus: Nexus) -> None:
    sid = (await nexus.subscription(3))["id"]
    client, headers = nexus.client, nexus.reminder
    await client.patch(f"/subscriptions/{sid}/state", json={"a": 1, "b": 2}, headers=headers)
    replaced = await client.put(
        f"/subscriptions/{sid}/state",
        json={"c": None, "d": [1, 2]},
        headers={**headers, "If-Match": '"2"'},
    )
    assert replaced.status_code == 200
    assert replaced.json()["state"] == {"c": None, "d": [1, 2]}  # PUT keeps nulls as values
    assert replaced.headers["ETag"] == '"3"'


async def test_malformed_and_oversized_documents_are_refused_and_change_nothing(
    nexus: Nexus,
) -> None:
    sid = (await nexus.subscription(4))["id"]
    client, headers = nexus.client, nexus.reminder
    url = f"/subscriptions/{sid}/state"
    await client.patch(url, json={"keep": True}, headers=headers)

    malformed = await client.patch(url, content=b'{"a": ', headers={**headers, **MERGE})
    assert malformed.status_code == 400
    assert "Malformed JSON" in malformed.json()["error"]
    not_object = await client.patch(url, content=b"[1, 2]", headers={**headers, **MERGE})
    assert not_object.status_code == 400
    wrong_type = await client.patch(
        url, content=b"a=1", headers={**headers, "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    unknown_document = await client.patch(f"/subscriptions/{sid}/secrets", json={}, headers=headers)
    assert unknown_document.status_code == 400

    ten_megabytes = json.dumps({"blob": "x" * (10 * 1024 * 1024)}).encode()
    huge = await client.patch(url, content=ten_megabytes, headers={**headers, **MERGE})
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("application/problem+json")

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(ten_megabytes), 1_000_000):
            yield ten_megabytes[start : start + 1_000_000]

    chunked = await client.put(url, content=chunks(), headers=headers)
    assert chunked.status_code == 413

    # Below the body limit but over the document limit after merging: refused, rolled back.
    half = "y" * 600_000
    assert (await client.patch(url, json={"one": half}, headers=headers)).status_code == 200
    too_big = await client.patch(url, json={"two": half}, headers=headers)
    assert too_big.status_code == 413
    current = (await client.get(f"/subscriptions/{sid}", headers=headers)).json()
    assert set(current["state"]) == {"keep", "one"}
    assert current["version"] == 3


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from("abcde"), children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.sampled_from("abcde"), json_values, max_size=4)


def without_nulls(value: Any) -> Any:
    """A stored document: merge patch never stores nulls inside objects."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=json_objects, patch=json_objects)
async def test_database_merge_is_rfc7396(
    db: Database, start: dict[str, Any], patch: dict[str, Any]
) -> None:
    """The invariant: what the database computes equals RFC 7396's algorithm."""
    admin = Caller(token_id="t", is_admin=True)
    initial = without_nulls(start)
    async with db.session() as session:
        bot = Bot(code="merge-bot", name="Merge")
        session.add(bot)
        await session.flush()
        user, _ = await upsert(session, 424242, {}, utcnow())
        row, _ = await service.ensure(session, user["id"], bot.id, bot.code, utcnow())
        write = partial(
            service.write,
            session,
            row["id"],
            admin,
            Document.STATE,
            expected_version=None,
            max_bytes=10**6,
        )
        await write(initial, merge=False)
        result = await write(patch, merge=True)
        assert result["state"] == merge_patch(initial, patch)
        await session.rollback()
