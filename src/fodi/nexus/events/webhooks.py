"""Webhook URLs (what may be registered) and signatures (how a bot verifies a delivery).

A delivery carries ``X-Nexus-Timestamp`` (Unix seconds) and ``X-Nexus-Signature``
(``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}." + body`` with the bot's webhook secret).
Signing the timestamp with the body lets a bot refuse replays of old deliveries.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from urllib.parse import urlsplit

from fodi.core.errors import BadRequest

SIGNATURE_HEADER = "X-Nexus-Signature"
TIMESTAMP_HEADER = "X-Nexus-Timestamp"
EVENT_ID_HEADER = "X-Nexus-Event-Id"
MAX_URL_LENGTH = 2000


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    signature: str,
    *,
    tolerance_seconds: float = 300,
    now: float | None = None,
) -> bool:
    """True if ``signature`` is ours for this body and the timestamp is recent enough."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


async def _resolve(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BadRequest(f"webhook host {host!r} does not resolve") from exc
    return [str(info[4][0]) for info in infos]


async def validate_webhook_url(url: str, *, production: bool) -> str:
    """The URL if it may receive deliveries: http(s) with a host; in production public only.

    In production the host's addresses are resolved and every one must be public, so a bot
    cannot point the dispatcher at the service's own network (the dispatcher checks again
    at delivery time, against DNS rebinding).
    """
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest("webhook_url is too long")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BadRequest("webhook_url must be an http:// or https:// URL")
    if not parts.hostname:
        raise BadRequest("webhook_url has no host")
    if parts.username or parts.password:
        raise BadRequest("webhook_url must not carry credentials")
    if production:
        host = parts.hostname
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            if host.lower() == "localhost" or host.lower().endswith(".localhost"):
                raise BadRequest("webhook_url points at a private or loopback address") from None
            addresses = await _resolve(host)
        if not all(_is_public(address) for address in addresses):
            raise BadRequest("webhook_url points at a private or loopback address")
    return url
