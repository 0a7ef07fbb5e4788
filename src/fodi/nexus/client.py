"""``NexusClient``: the async SDK bots use to talk to Bot Nexus (httpx).

    async with NexusClient("http://127.0.0.1:8100", token) as nexus:
        arrival = await nexus.from_telegram(42, "reminder", first_name="Alex")
        sub = await nexus.subscription_for(42)
        sub = await nexus.patch_state(sub.id, {"step": 2}, if_match=sub.etag)

Errors come back as :class:`NexusError` (``status``, ``problem``); a stale ``If-Match`` is
:class:`PreconditionFailedError`, a missing resource :class:`NotFoundError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from fodi.nexus.events.webhooks import verify_signature

__all__ = [
    "NexusClient",
    "NexusError",
    "NotFoundError",
    "PreconditionFailedError",
    "Subscription",
    "verify_signature",
]

_UNSET: Any = object()


class NexusError(Exception):
    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem = dict(problem)
        super().__init__(f"{status}: {problem.get('detail') or problem.get('error') or problem}")


class NotFoundError(NexusError):
    pass


class PreconditionFailedError(NexusError):
    pass


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription and its ETag (send it back as ``if_match`` to write safely)."""

    data: dict[str, Any]
    etag: str

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def version(self) -> int:
        return int(self.data["version"])

    @property
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.data["state"]
        return state

    @property
    def settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = self.data["settings"]
        return settings


def _clean(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


class NexusClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> NexusClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text}
            error = {404: NotFoundError, 412: PreconditionFailedError}.get(
                response.status_code, NexusError
            )
            raise error(response.status_code, problem if isinstance(problem, dict) else {})
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._request(method, path, **kwargs)
        return None if response.status_code == 204 else response.json()

    async def _subscription(self, method: str, path: str, **kwargs: Any) -> Subscription:
        response = await self._request(method, path, **kwargs)
        return Subscription(response.json(), response.headers["ETag"])

    # -- service --------------------------------------------------------------------------
    async def health(self) -> bool:
        response = await self._http.get("/health")
        return response.status_code == 200 and response.text == "ok"

    # -- users ----------------------------------------------------------------------------
    async def from_telegram(
        self,
        telegram_id: int,
        bot_code: str,
        *,
        username: str | None = _UNSET,
        first_name: str | None = _UNSET,
        last_name: str | None = _UNSET,
        language_code: str | None = _UNSET,
    ) -> dict[str, Any]:
        """The seed's main scenario; profile fields left out are kept as stored."""
        body: dict[str, Any] = {"telegram_id": telegram_id, "bot_code": bot_code}
        profile = {
            "username": username,
            "first_name": first_name,
            "last_name": last_name,
            "language_code": language_code,
        }
        body.update({key: value for key, value in profile.items() if value is not _UNSET})
        result: dict[str, Any] = await self._json("POST", "/users/from-telegram", json=body)
        return result

    async def get_user(self, user_id: str) -> dict[str, Any]:
        user: dict[str, Any] = await self._json("GET", f"/users/{user_id}")
        return user

    async def get_user_by_telegram(self, telegram_id: int) -> dict[str, Any]:
        user: dict[str, Any] = await self._json("GET", f"/users/by-telegram/{telegram_id}")
        return user

    async def list_users(self, **filters: Any) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = await self._json("GET", "/users", params=_clean(filters))
        return users

    async def create_user(self, **fields: Any) -> dict[str, Any]:
        user: dict[str, Any] = await self._json("POST", "/users", json=fields)
        return user

    async def update_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        user: dict[str, Any] = await self._json("PATCH", f"/users/{user_id}", json=fields)
        return user

    async def delete_user(self, user_id: str) -> None:
        await self._request("DELETE", f"/users/{user_id}")

    async def user_bots(self, user_id: str) -> list[dict[str, Any]]:
        bots: list[dict[str, Any]] = await self._json("GET", f"/users/{user_id}/bots")
        return bots

    # -- bots -----------------------------------------------------------------------------
    async def list_bots(self, **filters: Any) -> list[dict[str, Any]]:
        bots: list[dict[str, Any]] = await self._json("GET", "/bots", params=_clean(filters))
        return bots

    async def get_bot(self, ref: str) -> dict[str, Any]:
        bot: dict[str, Any] = await self._json("GET", f"/bots/{ref}")
        return bot

    async def create_bot(self, code: str, name: str, **fields: Any) -> dict[str, Any]:
        bot: dict[str, Any] = await self._json(
            "POST", "/bots", json={"code": code, "name": name, **fields}
        )
        return bot

    async def update_bot(self, ref: str, **fields: Any) -> dict[str, Any]:
        bot: dict[str, Any] = await self._json("PATCH", f"/bots/{ref}", json=fields)
        return bot

    async def set_webhook(self, ref: str, url: str | None) -> dict[str, Any]:
        """Register (or with None remove) the bot's webhook; the answer has its secret."""
        return await self.update_bot(ref, webhook_url=url)

    async def delete_bot(self, ref: str) -> None:
        await self._request("DELETE", f"/bots/{ref}")

    # -- subscriptions --------------------------------------------------------------------
    async def list_subscriptions(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._json(
            "GET", "/subscriptions", params=_clean(filters)
        )
        return found

    async def create_subscription(
        self,
        user_id: str,
        bot_code: str,
        *,
        settings: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> Subscription:
        body = {
            "user_id": user_id,
            "bot_code": bot_code,
            "settings": dict(settings or {}),
            "state": dict(state or {}),
        }
        return await self._subscription("POST", "/subscriptions", json=body)

    async def get_subscription(self, subscription_id: str) -> Subscription:
        return await self._subscription("GET", f"/subscriptions/{subscription_id}")

    async def subscription_for(self, telegram_id: int, bot_code: str | None = None) -> Subscription:
        params = _clean({"bot_code": bot_code})
        path = f"/subscriptions/by-telegram/{telegram_id}"
        return await self._subscription("GET", path, params=params)

    async def delete_subscription(self, subscription_id: str) -> None:
        await self._request("DELETE", f"/subscriptions/{subscription_id}")

    async def _write(
        self,
        method: str,
        subscription_id: str,
        document: str,
        body: Mapping[str, Any],
        if_match: str | None,
    ) -> Subscription:
        headers = {
            "Content-Type": "application/merge-patch+json"
            if method == "PATCH"
            else "application/json"
        }
        if if_match is not None:
            headers["If-Match"] = if_match
        path = f"/subscriptions/{subscription_id}/{document}"
        return await self._subscription(method, path, json=dict(body), headers=headers)

    async def patch_state(
        self, subscription_id: str, patch: Mapping[str, Any], *, if_match: str | None = None
    ) -> Subscription:
        """RFC 7396 merge patch of the state (``None`` values delete keys)."""
        return await self._write("PATCH", subscription_id, "state", patch, if_match)

    async def patch_settings(
        self, subscription_id: str, patch: Mapping[str, Any], *, if_match: str | None = None
    ) -> Subscription:
        return await self._write("PATCH", subscription_id, "settings", patch, if_match)

    async def replace_state(
        self, subscription_id: str, state: Mapping[str, Any], *, if_match: str | None = None
    ) -> Subscription:
        return await self._write("PUT", subscription_id, "state", state, if_match)

    async def replace_settings(
        self, subscription_id: str, settings: Mapping[str, Any], *, if_match: str | None = None
    ) -> Subscription:
        return await self._write("PUT", subscription_id, "settings", settings, if_match)

    # -- events ---------------------------------------------------------------------------
    async def emit(
        self,
        bot_code: str,
        type: str,
        payload: Mapping[str, Any] | None = None,
        *,
        user_id: str | None = None,
        scheduled_at: datetime | None = None,
        cron: str | None = None,
    ) -> dict[str, Any]:
        body = _clean(
            {
                "bot_code": bot_code,
                "type": type,
                "payload": dict(payload or {}),
                "user_id": user_id,
                "scheduled_at": scheduled_at.isoformat() if scheduled_at else None,
                "cron": cron,
            }
        )
        event: dict[str, Any] = await self._json("POST", "/events", json=body)
        return event

    async def list_events(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._json("GET", "/events", params=_clean(filters))
        return found

    async def get_event(self, event_id: str) -> dict[str, Any]:
        event: dict[str, Any] = await self._json("GET", f"/events/{event_id}")
        return event

    async def retry_event(self, event_id: str) -> dict[str, Any]:
        event: dict[str, Any] = await self._json("POST", f"/events/{event_id}/retry")
        return event

    async def pull_events(
        self, bot_code: str, *, wait: float = 0, limit: int = 10, lease: float = 30
    ) -> list[dict[str, Any]]:
        """Due events for the bot (long polling up to ``wait`` s); ack each one."""
        params = {"wait": wait, "limit": limit, "lease": lease}
        events: list[dict[str, Any]] = await self._json(
            "GET", f"/bots/{bot_code}/events", params=params, timeout=wait + 30
        )
        return events

    async def ack(self, bot_code: str, event_id: str) -> None:
        await self._request("POST", f"/bots/{bot_code}/events/{event_id}/ack")

    async def nack(self, bot_code: str, event_id: str, error: str = "rejected") -> None:
        await self._request(
            "POST", f"/bots/{bot_code}/events/{event_id}/nack", json={"error": error}
        )

    # -- workflows ------------------------------------------------------------------------
    async def create_workflow(
        self, user_id: str, name: str, definition: Mapping[str, Any]
    ) -> dict[str, Any]:
        body = {"user_id": user_id, "name": name, "definition": dict(definition)}
        workflow: dict[str, Any] = await self._json("POST", "/workflows", json=body)
        return workflow

    async def get_workflow(self, workflow_id: str) -> dict[str, Any]:
        workflow: dict[str, Any] = await self._json("GET", f"/workflows/{workflow_id}")
        return workflow

    async def list_workflows(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._json("GET", "/workflows", params=_clean(filters))
        return found

    async def update_workflow(self, workflow_id: str, **fields: Any) -> dict[str, Any]:
        workflow: dict[str, Any] = await self._json(
            "PATCH", f"/workflows/{workflow_id}", json=fields
        )
        return workflow

    async def delete_workflow(self, workflow_id: str) -> None:
        await self._request("DELETE", f"/workflows/{workflow_id}")

    async def workflow_history(self, workflow_id: str) -> list[dict[str, Any]]:
        history: list[dict[str, Any]] = await self._json("GET", f"/workflows/{workflow_id}/history")
        return history
