"""Credentials: Argon2id password hashes and HS256 JWTs (userId, email, role)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fodi.core.errors import Unauthorized

JWT_ALGORITHM = "HS256"

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"
    MANAGER = "manager"
    COOK = "cook"
    COURIER = "courier"
    BUSINESS_OWNER = "business_owner"
    INVESTOR = "investor"


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.COOK, Role.COURIER})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified people-token says about its bearer."""

    user_id: str
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class TokenCodec:
    """Issues and verifies the platform's HS256 JWTs with one secret."""

    def __init__(self, secret: str, ttl_seconds: int = 24 * 3600) -> None:
        if len(secret) < 16:
            raise ValueError("the JWT secret must be at least 16 characters")
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(self, claims: TokenClaims, *, now: datetime | None = None) -> str:
        issued = now or datetime.now(UTC)
        payload: dict[str, Any] = {
            "userId": claims.user_id,
            "email": claims.email,
            "role": claims.role,
            "iat": int(issued.timestamp()),
            "exp": int((issued + self._ttl).timestamp()),
        }
        return jwt.encode(payload, self._secret, algorithm=JWT_ALGORITHM)

    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token; :class:`Unauthorized` for anything else."""
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[JWT_ALGORITHM],
                options={"require": ["exp", "iat"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized("Invalid or expired token") from exc
        user_id, email, role = payload.get("userId"), payload.get("email"), payload.get("role")
        if not isinstance(user_id, str) or not isinstance(role, str):
            raise Unauthorized("Invalid or expired token")
        return TokenClaims(user_id=user_id, email=str(email or ""), role=role)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header, with the original's messages."""
    if not authorization:
        raise Unauthorized("Authorization header required")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Invalid Authorization header format")
    return token.strip()


def new_api_token(prefix: str) -> str:
    """A fresh opaque service token such as ``nxs_...``; store only :func:`token_digest`."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    """The stored form of an opaque service token (SHA-256; tokens are high-entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
