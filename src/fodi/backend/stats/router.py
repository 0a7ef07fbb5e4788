"""``GET /admin/stats``."""

from __future__ import annotations

from fastapi import APIRouter

from fodi.backend.deps import ManagerDep
from fodi.backend.stats import service
from fodi.backend.stats.schemas import StatsOut
from fodi.core.deps import SessionDep
from fodi.core.errors import problem_responses

router = APIRouter(prefix="/api", tags=["stats"])


@router.get("/admin/stats", response_model=StatsOut, responses=problem_responses(401, 403))
async def get_stats(_staff: ManagerDep, session: SessionDep) -> StatsOut:
    """Users, orders, dishes and revenue (cancelled orders excluded), today, best sellers."""
    return await service.stats(session)
