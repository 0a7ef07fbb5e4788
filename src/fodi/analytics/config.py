"""The analytics service's settings section (environment: ``ANALYTICS__NAME``)."""

from __future__ import annotations

from fodi.core.sections import ServiceSection


class AnalyticsSettings(ServiceSection):
    port: int = 8200
