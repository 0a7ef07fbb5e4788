"""/bots: the registry, and each bot's webhook registration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from fodi.core.deps import SessionDep, SettingsDep
from fodi.core.errors import Forbidden, problem_responses
from fodi.core.pagination import count_rows, set_page_headers
from fodi.nexus.auth.deps import AdminCallerDep, CallerDep
from fodi.nexus.auth.service import Caller, forget_callers
from fodi.nexus.bots import service
from fodi.nexus.bots.models import Bot
from fodi.nexus.bots.schemas import ADMIN_ONLY_FIELDS, BotCreate, BotRead, BotUpdate
from fodi.nexus.http import PageDep

router = APIRouter(prefix="/bots", tags=["bots"], responses=problem_responses(400, 401, 403))


def shown_to(bot: Bot, caller: Caller) -> BotRead:
    """A bot as ``caller`` may see it: its webhook (URL and secret) only for itself and admins."""
    read = BotRead.model_validate(bot)
    if caller.can_reach_bot(bot.id):
        return read
    return read.model_copy(update={"webhook_url": None, "webhook_secret": None})


@router.get("", response_model=list[BotRead])
async def list_bots(
    request: Request,
    response: Response,
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    code: Annotated[str | None, Query(max_length=100)] = None,
    is_active: bool | None = None,
) -> Any:
    statement = service.list_query(code=code, is_active=is_active)
    set_page_headers(request, response, page, await count_rows(session, statement))
    return [
        shown_to(bot, caller) for bot in await service.list_bots(session, page.apply(statement))
    ]


@router.post("", response_model=BotRead, status_code=201, responses=problem_responses(409))
async def create_bot(data: BotCreate, session: SessionDep, _: AdminCallerDep) -> Any:
    bot = await service.create(session, data)
    await session.commit()
    return bot


@router.get("/{bot_ref}", response_model=BotRead, responses=problem_responses(404))
async def get_bot(bot_ref: str, session: SessionDep, caller: CallerDep) -> Any:
    """A bot by id or code; its webhook secret only for itself and admins."""
    return shown_to(await service.get(session, bot_ref), caller)


@router.patch("/{bot_ref}", response_model=BotRead, responses=problem_responses(404))
async def update_bot(
    bot_ref: str, data: BotUpdate, session: SessionDep, caller: CallerDep, settings: SettingsDep
) -> Any:
    """Register ``webhook_url`` (a ``webhook_secret`` comes with it), rotate the secret, or
    change the description; name and ``is_active`` are for admins."""
    bot = await service.get(session, bot_ref)
    caller.require_bot(bot.id)
    if not caller.is_admin and data.model_fields_set & ADMIN_ONLY_FIELDS:
        raise Forbidden("Only an admin may change a bot's name or activity")
    bot = await service.update(session, bot, data, production=settings.is_production)
    await session.commit()
    if "is_active" in data.model_fields_set:
        forget_callers()  # a deactivated bot's tokens stop working in this process at once
    return shown_to(bot, caller)


@router.delete("/{bot_ref}", status_code=204, responses=problem_responses(404))
async def delete_bot(bot_ref: str, session: SessionDep, _: AdminCallerDep) -> Response:
    await service.delete(session, await service.get(session, bot_ref))
    await session.commit()
    forget_callers()
    return Response(status_code=204)
