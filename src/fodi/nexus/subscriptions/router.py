"""/subscriptions: CRUD, versioned settings/state (ETag, If-Match, merge patch, replace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from fodi.core.deps import SessionDep, SettingsDep
from fodi.core.errors import BadRequest, problem_responses
from fodi.core.pagination import count_rows, set_page_headers
from fodi.nexus.auth.deps import CallerDep
from fodi.nexus.bots import service as bots
from fodi.nexus.http import PageDep, json_object
from fodi.nexus.subscriptions import service
from fodi.nexus.subscriptions.schemas import SubscriptionCreate, SubscriptionRead
from fodi.nexus.subscriptions.service import Document, etag, parse_if_match

router = APIRouter(
    prefix="/subscriptions", tags=["subscriptions"], responses=problem_responses(400, 401, 403)
)
IfMatch = Annotated[str | None, Header(alias="If-Match")]
DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/merge-patch+json": {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


def versioned(row: Mapping[Any, Any], status_code: int = 200) -> JSONResponse:
    """The subscription with its ETag (the version a writer sends back in If-Match)."""
    body = SubscriptionRead.model_validate(row).model_dump(mode="json")
    return JSONResponse(body, status_code=status_code, headers={"ETag": etag(row["version"])})


@router.get("", response_model=list[SubscriptionRead])
async def list_subscriptions(
    request: Request,
    response: Response,
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    user_id: Annotated[str | None, Query(max_length=36)] = None,
    bot_code: Annotated[str | None, Query(max_length=100)] = None,
    telegram_id: Annotated[int | None, Query(gt=0)] = None,
) -> Any:
    statement = service.list_query(
        caller, user_id=user_id, bot_code=bot_code, telegram_id=telegram_id
    )
    set_page_headers(request, response, page, await count_rows(session, statement))
    return await service.rows(session, page.apply(statement))


@router.post("", response_model=SubscriptionRead, status_code=201)
async def create_subscription(
    data: SubscriptionCreate, session: SessionDep, caller: CallerDep, settings: SettingsDep
) -> Any:
    limit = settings.nexus.max_document_bytes
    service.check_size(data.settings, limit)
    service.check_size(data.state, limit)
    bot = await bots.get_active_by_code(session, data.bot_code)
    caller.require_bot(bot.id)
    subscription_id = await service.create(
        session, user_id=data.user_id, bot=bot, settings=data.settings, state=data.state
    )
    row = await service.get(session, subscription_id, caller)
    await session.commit()
    return versioned(row, 201)


@router.get("/by-telegram/{telegram_id}", response_model=SubscriptionRead)
async def get_by_telegram(
    telegram_id: int,
    session: SessionDep,
    caller: CallerDep,
    bot_code: Annotated[str | None, Query(max_length=100)] = None,
) -> Any:
    """The subscription of a Telegram user to ``bot_code`` (default: the calling bot)."""
    code = bot_code or caller.bot_code
    if code is None:
        raise BadRequest("bot_code is required with an admin token")
    return versioned(await service.get_for(session, telegram_id, code, caller))


@router.get("/{subscription_id}", response_model=SubscriptionRead)
async def get_subscription(subscription_id: str, session: SessionDep, caller: CallerDep) -> Any:
    return versioned(await service.get(session, subscription_id, caller))


@router.delete("/{subscription_id}", status_code=204)
async def delete_subscription(
    subscription_id: str, session: SessionDep, caller: CallerDep
) -> Response:
    await service.delete(session, subscription_id, caller)
    await session.commit()
    return Response(status_code=204)


async def _write(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    subscription_id: str,
    document: Document,
    if_match: str | None,
    *,
    merge: bool,
) -> JSONResponse:
    body = await json_object(request, document.value)
    row = await service.write(
        session,
        subscription_id,
        caller,
        document,
        body,
        merge=merge,
        expected_version=parse_if_match(if_match),
        max_bytes=settings.nexus.max_document_bytes,
    )
    await session.commit()
    return versioned(row)


@router.patch(
    "/{subscription_id}/{document}",
    response_model=SubscriptionRead,
    openapi_extra=DOCUMENT_BODY,
    responses=problem_responses(404, 412, 413, 415),
)
async def patch_document(
    subscription_id: str,
    document: Document,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """JSON merge patch (RFC 7396) of ``state`` or ``settings``, atomic in the database;
    with ``If-Match`` it applies only to that version (412 otherwise)."""
    return await _write(
        request, session, caller, settings, subscription_id, document, if_match, merge=True
    )


@router.put(
    "/{subscription_id}/{document}",
    response_model=SubscriptionRead,
    openapi_extra=DOCUMENT_BODY,
    responses=problem_responses(404, 412, 413, 415),
)
async def replace_document(
    subscription_id: str,
    document: Document,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Replace ``state`` or ``settings`` wholesale (``If-Match`` as for PATCH)."""
    return await _write(
        request, session, caller, settings, subscription_id, document, if_match, merge=False
    )
