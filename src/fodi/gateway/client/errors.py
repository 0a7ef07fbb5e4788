"""Typed errors of the backend client: each says what went wrong, in the backend's words.

The backend answers failures with RFC 9457 problem documents whose ``error`` member carries
the message; every exception keeps that message, the HTTP status and the whole document.
"""

from __future__ import annotations

from typing import Any


class BackendError(Exception):
    """The backend refused or failed a request."""

    status: int | None = None

    def __init__(
        self, message: str, *, status: int | None = None, problem: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.problem = problem or {}


class BackendUnavailable(BackendError):
    """The backend could not be reached, timed out, or said it is unavailable (after retries)."""

    status = 503


class InvalidRequest(BackendError):
    """400/422: the request was malformed or broke a rule."""

    status = 400


class Unauthorized(BackendError):
    """401: no token, or a bad or expired one."""

    status = 401


class Forbidden(BackendError):
    """403: the token's role may not do this."""

    status = 403


class NotFound(BackendError):
    """404: no such thing."""

    status = 404


class Conflict(BackendError):
    """409: a duplicate, an illegal status move, or stock that would go negative."""

    status = 409


class RateLimited(BackendError):
    """429: too many requests."""

    status = 429


_BY_STATUS: dict[int, type[BackendError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidRequest,
    429: RateLimited,
    502: BackendUnavailable,
    503: BackendUnavailable,
    504: BackendUnavailable,
}


def error_for(status: int, message: str, problem: dict[str, Any] | None = None) -> BackendError:
    """The typed exception for an HTTP error status."""
    kind = _BY_STATUS.get(status, BackendError)
    return kind(message, status=status, problem=problem)
