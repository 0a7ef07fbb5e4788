"""The gateway service's settings section (environment: ``GATEWAY__NAME``)."""

from __future__ import annotations

from fodi.core.sections import ServiceSection


class GatewaySettings(ServiceSection):
    port: int = 8000
