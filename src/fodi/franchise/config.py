"""The franchise service's settings section (environment: ``FRANCHISE__NAME``)."""

from __future__ import annotations

from fodi.core.sections import ServiceSection


class FranchiseSettings(ServiceSection):
    port: int = 8300
