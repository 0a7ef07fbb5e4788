"""Limit/offset pagination that keeps the original bare-array shapes.

List endpoints keep their JSON shape (a bare array or ``{"orders": [...]}``) and report the
total in ``X-Total-Count`` and the neighbouring pages in a ``Link`` header (RFC 8288).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request, Response
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_LIMIT = 500
T = TypeVar("T", bound=tuple[Any, ...])


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int

    def apply(self, statement: Select[T]) -> Select[T]:
        return statement.limit(self.limit).offset(self.offset)


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


async def count_rows(session: AsyncSession, statement: Select[Any]) -> int:
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return int((await session.execute(counted)).scalar_one())


def set_page_headers(request: Request, response: Response, page: PageParams, total: int) -> None:
    response.headers["X-Total-Count"] = str(total)
    links = []
    if page.offset + page.limit < total:
        url = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        links.append(f'<{url}>; rel="next"')
    if page.offset > 0:
        url = request.url.include_query_params(
            offset=max(page.offset - page.limit, 0), limit=page.limit
        )
        links.append(f'<{url}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
