"""/users: the seed's main scenario, CRUD, look-up by telegram id, the user's bots."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from pydantic_core import to_json

from fodi.core.deps import SessionDep
from fodi.core.errors import problem_responses
from fodi.core.pagination import count_rows, set_page_headers
from fodi.nexus import flows
from fodi.nexus.arrival import HotPath, in_session
from fodi.nexus.auth.deps import AdminCallerDep, CallerDep
from fodi.nexus.bots.schemas import BotRead
from fodi.nexus.http import PageDep
from fodi.nexus.subscriptions import service as subscriptions
from fodi.nexus.subscriptions.schemas import SubscriptionRead, UserBot
from fodi.nexus.users import service
from fodi.nexus.users.schemas import FromTelegram, UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], responses=problem_responses(400, 401, 403))


class Arrival(BaseModel):
    user: UserRead
    subscription: SubscriptionRead
    user_created: bool
    subscription_created: bool


USER_FIELDS = tuple(UserRead.model_fields)
SUBSCRIPTION_FIELDS = tuple(SubscriptionRead.model_fields)


def arrival_json(arrival: flows.Arrival) -> bytes:
    """``Arrival`` as JSON, straight from the rows: the shape (and pydantic's datetime and
    JSON encoding) of the response model, without validating what the database returned."""
    return to_json(
        {
            "user": {name: arrival.user[name] for name in USER_FIELDS},
            "subscription": {name: arrival.subscription[name] for name in SUBSCRIPTION_FIELDS},
            "user_created": arrival.user_created,
            "subscription_created": arrival.subscription_created,
        }
    )


@router.post("/from-telegram", response_model=Arrival, responses=problem_responses(404))
async def from_telegram(
    data: FromTelegram, request: Request, session: SessionDep, caller: CallerDep
) -> Response:
    """Upsert the user, find the bot by code, subscribe if needed, touch the subscription."""
    hot: HotPath = request.app.state.nexus_hot_path
    reachable = caller.is_admin or caller.bot_code == data.bot_code
    if reachable and hot.usable:
        # The hot path: one statement on an autocommit connection (see fodi.nexus.arrival).
        arrival = await hot.from_telegram(data)
    elif reachable and session.get_bind().dialect.name == "postgresql":
        arrival = await in_session(session, data)  # the same statement, in the session
        await session.commit()
    else:
        arrival = await flows.from_telegram(session, data, caller)
        await session.commit()
    return Response(arrival_json(arrival), media_type="application/json")


@router.get("", response_model=list[UserRead])
async def list_users(
    request: Request,
    response: Response,
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    telegram_id: Annotated[int | None, Query(gt=0)] = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """Users (a bot token sees its own subscribers), paginated (X-Total-Count, Link)."""
    statement = service.list_query(caller, telegram_id=telegram_id, username=username)
    set_page_headers(request, response, page, await count_rows(session, statement))
    return (await session.execute(page.apply(statement))).scalars().all()


@router.post("", response_model=UserRead, status_code=201, responses=problem_responses(409))
async def create_user(data: UserCreate, session: SessionDep, _: AdminCallerDep) -> Any:
    user = await service.create(session, data)
    await session.commit()
    return user


@router.get("/by-telegram/{telegram_id}", response_model=UserRead)
async def get_by_telegram(telegram_id: int, session: SessionDep, caller: CallerDep) -> Any:
    return await service.get_by_telegram(session, telegram_id, caller)


@router.get("/{user_id}", response_model=UserRead, responses=problem_responses(404))
async def get_user(user_id: str, session: SessionDep, caller: CallerDep) -> Any:
    return await service.get(session, user_id, caller)


@router.patch("/{user_id}", response_model=UserRead, responses=problem_responses(404))
async def update_user(
    user_id: str, data: UserUpdate, session: SessionDep, caller: AdminCallerDep
) -> Any:
    user = await service.update(session, await service.get(session, user_id, caller), data)
    await session.commit()
    return user


@router.delete("/{user_id}", status_code=204, responses=problem_responses(404))
async def delete_user(user_id: str, session: SessionDep, caller: AdminCallerDep) -> Response:
    await service.delete(session, await service.get(session, user_id, caller))
    await session.commit()
    return Response(status_code=204)


@router.get("/{user_id}/bots", response_model=list[UserBot], responses=problem_responses(404))
async def user_bots(user_id: str, session: SessionDep, caller: CallerDep) -> Any:
    """The user's bots with their settings and state (a bot token sees its own only)."""
    await service.get(session, user_id, caller)
    return [
        UserBot(
            bot=BotRead.model_validate(bot).model_copy(
                update={"webhook_url": None, "webhook_secret": None}
            ),
            subscription=SubscriptionRead.model_validate(row),
        )
        for bot, row in await subscriptions.for_user(session, user_id, caller)
    ]
