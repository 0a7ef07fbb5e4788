"""The platform's services: their names, app factories and where each listens by default."""

from __future__ import annotations

from dataclasses import dataclass

from fodi.core.sections import ServiceSection
from fodi.core.settings import Settings


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    title: str
    factory: str  # "module:function" building the ASGI app from the environment's settings
    health_path: str = "/health"

    def section(self, settings: Settings) -> ServiceSection:
        section: ServiceSection = getattr(settings, self.name)
        return section

    def base_url(self, settings: Settings) -> str:
        section = self.section(settings)
        return f"http://{section.host}:{section.port}"


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("backend", "accounts, menu, orders, inventory", "fodi.backend.app:create_app"),
        ServiceSpec(
            "gateway", "bot API, WebSocket, assistant, supervisor", "fodi.gateway.app:create_app"
        ),
        ServiceSpec("nexus", "Telegram bot registry and coordinator", "fodi.nexus.app:create_app"),
        ServiceSpec(
            "analytics", "payment questions in plain language", "fodi.analytics.app:create_app"
        ),
        ServiceSpec(
            "franchise", "franchise network and verifiable ledger", "fodi.franchise.app:create_app"
        ),
    )
}

# The services the supervisor runs under `fodi up`, in start-up order (the gateway hosts it).
SUPERVISED = ("backend", "nexus", "analytics", "franchise")
