"""The backend's own dependencies: who may do what, and per-app helpers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from fodi.backend.config import BackendSettings
from fodi.backend.events.service import OutboxSignal
from fodi.core.deps import require_roles
from fodi.core.security import Role, TokenClaims

StaffDep = Annotated[
    TokenClaims,
    Depends(
        require_roles(
            Role.ADMIN, Role.MANAGER, Role.COOK, Role.COURIER, message="Staff access required"
        )
    ),
]
ManagerDep = Annotated[
    TokenClaims,
    Depends(require_roles(Role.ADMIN, Role.MANAGER, message="Admin or manager access required")),
]
IdPath = Annotated[str, Path(min_length=1, max_length=64)]


async def backend_settings(request: Request) -> BackendSettings:
    section: BackendSettings = request.app.state.settings.backend
    return section


BackendSettingsDep = Annotated[BackendSettings, Depends(backend_settings)]


def announce_events(request: Request) -> None:
    """Wake this process's event streams (call after a commit that wrote events)."""
    signal: OutboxSignal = request.app.state.outbox_signal
    signal.notify()
