"""Who may control the supervisor: an admin JWT, or the configured ``ADMIN_TOKEN``.

The original left these endpoints open.  ``ADMIN_TOKEN`` is compared in constant time; in
production a short or well-known one is refused (a JWT with role admin still works).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request

from fodi.core.errors import Forbidden
from fodi.core.security import TokenCodec, bearer_token, same_secret
from fodi.core.settings import KNOWN_INSECURE_SECRETS, Settings

MIN_ADMIN_TOKEN_LENGTH = 16


def configured_admin_token(settings: Settings) -> str | None:
    """The usable ``ADMIN_TOKEN``, or None (unset, or too weak for production)."""
    if settings.admin_token is None:
        return None
    token = settings.admin_token.get_secret_value()
    if not token:
        return None
    weak = len(token) < MIN_ADMIN_TOKEN_LENGTH or token in KNOWN_INSECURE_SECRETS
    if weak and settings.is_production:
        return None
    return token


async def require_control_token(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """401 without a valid token, 403 for a valid token without the admin role."""
    token = bearer_token(authorization)
    settings: Settings = request.app.state.settings
    admin_token = configured_admin_token(settings)
    if admin_token is not None and same_secret(token, admin_token):
        return
    codec: TokenCodec = request.app.state.tokens
    claims = codec.verify(token)
    if not claims.is_admin:
        raise Forbidden("Admin access required")
