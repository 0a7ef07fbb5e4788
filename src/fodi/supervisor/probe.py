"""A minimal HTTP health probe: one fresh connection per probe, healthy on 2xx/3xx.

Hand-rolled over asyncio streams rather than an HTTP client so that a probe costs one short
connection and no pool (a pooled keep-alive connection to a killed process would fail the
first probe of its successor), and so the supervisor's idle CPU stays near zero.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class ProbeResult:
    healthy: bool
    detail: str  # "200" or why it failed

    def describe(self) -> str:
        return "healthy" if self.healthy else f"unhealthy: {self.detail}"


async def http_probe(url: str, within: float) -> ProbeResult:
    try:
        async with asyncio.timeout(within):
            status = await _get_status(url)
    except TimeoutError:
        return ProbeResult(False, f"timed out after {within:g}s")
    except (OSError, ValueError) as exc:
        return ProbeResult(False, _describe_error(exc))
    if 200 <= status < 400:
        return ProbeResult(True, str(status))
    return ProbeResult(False, f"HTTP {status}")


async def _get_status(url: str) -> int:
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    context = ssl.create_default_context() if secure else None
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    try:
        authority = parts.netloc.rsplit("@", 1)[-1]
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: fodi-supervisor\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = await reader.readline()
    finally:
        writer.close()
    fields = status_line.split()
    if len(fields) < 2 or not fields[0].startswith(b"HTTP/") or not fields[1].isdigit():
        raise ValueError("not an HTTP response")
    return int(fields[1])


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return str(exc) or type(exc).__name__
