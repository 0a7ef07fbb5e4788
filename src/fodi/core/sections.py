"""The base of every service's settings section (each service defines its own in config.py)."""

from __future__ import annotations

from pydantic import BaseModel


class ServiceSection(BaseModel):
    """What every service section has: where it listens."""

    host: str = "127.0.0.1"
    port: int
