"""Accounts: login, register, verify, profile, and the admin's user management."""

from __future__ import annotations

from typing import Any

from fodi.gateway.client.errors import BackendError, BackendUnavailable
from fodi.gateway.client.models import LoginResponse, UserInfo, UserProfile, VerifyResult
from fodi.gateway.client.transport import Transport


class AuthClient:
    def __init__(self, transport: Transport, token: str | None) -> None:
        self._t = transport
        self._token = token

    async def login(self, email: str, password: str) -> LoginResponse:
        body = {"email": email, "password": password}
        data = await self._t.request("POST", "/auth/login", json_body=body)
        return LoginResponse.model_validate(data)

    async def register(self, email: str, password: str, name: str) -> LoginResponse:
        body = {"email": email, "password": password, "name": name}
        data = await self._t.request("POST", "/auth/register", json_body=body)
        return LoginResponse.model_validate(data)

    async def verify_token(self, token: str) -> VerifyResult:
        """Whether the backend accepts ``token``; a refusal is ``valid=False``, not an error.

        An unreachable backend still raises :class:`BackendUnavailable`: "cannot tell" is not
        "invalid".
        """
        try:
            data = await self._t.request(
                "POST", "/auth/verify", json_body={"token": token}, retry=True
            )
        except BackendUnavailable:
            raise
        except BackendError:
            return VerifyResult(valid=False)
        return VerifyResult.model_validate(data)

    async def get_user_profile(self, token: str | None = None) -> UserProfile:
        data = await self._t.request("GET", "/user/profile", token=token or self._token)
        return UserProfile.model_validate(data)

    async def get_users(self) -> list[UserInfo]:
        data = await self._t.request("GET", "/admin/users", token=self._token)
        return [UserInfo.model_validate(row) for row in _rows(data, "users")]

    async def update_user(
        self, user_id: str, *, name: str | None = None, email: str | None = None
    ) -> UserInfo:
        body = {key: value for key, value in (("name", name), ("email", email)) if value}
        data = await self._t.request(
            "PUT", f"/admin/users/{user_id}", token=self._token, json_body=body
        )
        return UserInfo.model_validate(data)

    async def delete_user(self, user_id: str) -> str:
        data = await self._t.request("DELETE", f"/admin/users/{user_id}", token=self._token)
        return str((data or {}).get("message", "User deleted successfully"))


def _rows(data: Any, key: str) -> list[Any]:
    """A bare array, or the array under ``key`` (the original used both)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get(key), list):
        rows: list[Any] = data[key]
        return rows
    return []
