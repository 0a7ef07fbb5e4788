"""The nexus service's settings section (environment: ``NEXUS__NAME``)."""

from __future__ import annotations

from fodi.core.sections import ServiceSection


class NexusSettings(ServiceSection):
    port: int = 8100
