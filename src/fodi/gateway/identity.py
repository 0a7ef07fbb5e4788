"""Who is talking to the gateway: a signed-in person (their JWT) or a guest."""

from __future__ import annotations

from dataclasses import dataclass

from fodi.core.errors import Unauthorized
from fodi.core.security import TokenCodec

# Roles that hear about every new order and low stock, as in the original (admin, manager).
NOTIFIED_STAFF = frozenset({"admin", "manager"})
SERVICE_USER_ID = "service:gateway"


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: str
    role: str = "guest"
    token: str | None = None
    email: str | None = None

    @property
    def is_guest(self) -> bool:
        return self.token is None

    @property
    def is_staff(self) -> bool:
        return self.role in NOTIFIED_STAFF

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def caller_from_token(codec: TokenCodec, token: str) -> Caller:
    """The caller a JWT names; :class:`Unauthorized` for a forged or expired one.

    The gateway shares the backend's ``JWT_SECRET``, so it checks tokens itself instead of a
    round trip to ``/auth/verify`` per message (the original's way).
    """
    claims = codec.verify(token)
    if claims.user_id.startswith("service:"):
        raise Unauthorized("Invalid or expired token")
    return Caller(user_id=claims.user_id, role=claims.role, token=token, email=claims.email)


def guest(connection_id: str) -> Caller:
    return Caller(user_id=f"guest_{connection_id}")
