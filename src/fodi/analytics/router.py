"""The analytics HTTP API under /api (the original's endpoints and shapes, plus the new ones)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import text

from fodi.analytics import service
from fodi.analytics.engine import Answer
from fodi.analytics.models import Example
from fodi.analytics.schemas import (
    ChatRequest,
    ChatResponse,
    ClearContextRequest,
    ClearContextResponse,
    ExampleIn,
    ExampleOut,
    HealthResponse,
    QueryLogEntry,
    QueryRequest,
    QueryResponse,
)
from fodi.analytics.service import AnalyticsState
from fodi.core.deps import ClaimsDep, SessionDep, require_roles
from fodi.core.errors import Forbidden, problem_responses
from fodi.core.pagination import PageParams, count_rows, page_params, set_page_headers
from fodi.core.security import TokenClaims

router = APIRouter(prefix="/api", tags=["analytics"])
health_router = APIRouter(tags=["health"])
EditorDep = Annotated[
    TokenClaims, Depends(require_roles("admin", "manager", message="Admin access required"))
]
# Payment data names customers: only the people who run the business may ask about it.
AnalystDep = Annotated[
    TokenClaims,
    Depends(require_roles("admin", "manager", "business_owner", message="Analyst access required")),
]
PageDep = Annotated[PageParams, Depends(page_params)]


async def get_state(request: Request) -> AnalyticsState:
    state: AnalyticsState = request.app.state.analytics
    return state


StateDep = Annotated[AnalyticsState, Depends(get_state)]


async def _health(request: Request, session: SessionDep, state: AnalyticsState) -> HealthResponse:
    try:
        await session.execute(text("SELECT 1"))
        database = "connected"
    except Exception as exc:
        database = f"error: {exc.__class__.__name__}"
    llm = state.engine.llm.provider if state.engine.llm else "offline"
    return HealthResponse(
        status="ok" if database == "connected" else "degraded",
        timestamp=datetime.now(UTC),
        database=database,
        llm=llm,
    )


@router.get("/health", response_model=HealthResponse)
async def api_health(request: Request, session: SessionDep, state: StateDep) -> HealthResponse:
    return await _health(request, session, state)


@health_router.get("/health", response_model=HealthResponse)
async def health(request: Request, session: SessionDep, state: StateDep) -> HealthResponse:
    return await _health(request, session, state)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _markdown_table(rows: list[dict[str, Any]]) -> str | None:
    if not rows:
        return None
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row.get(c, "")) for c in columns) + " |" for row in rows[:100]]
    return "\n".join(lines)


def _response(answer: Answer, body: QueryRequest) -> QueryResponse:
    data = [{k: _json_value(v) for k, v in row.items()} for row in answer.data]
    chart = answer.chart_data
    if body.output_type in ("table", "json") or (
        body.output_type == "auto" and chart is not None and len(chart.labels) > 60
    ):
        chart = None
    return QueryResponse(
        question=answer.question,
        sql=answer.sql if body.include_sql else None,
        data=data,
        row_count=answer.row_count,
        execution_time_ms=round(answer.execution_time_ms),
        chart_data=chart,
        text_response=answer.text_response or None,
        table=_markdown_table(data) if body.output_type == "table" else None,
        cached=answer.cached,
        understood=answer.understood,
        engine=answer.engine,
        suggested_questions=answer.suggestions,
        interpretation=answer.structured.describe() if answer.structured else None,
        truncated=answer.truncated,
        error=answer.error,
    )


@router.post(
    "/query", response_model=QueryResponse, responses=problem_responses(400, 401, 403, 429)
)
async def query(
    body: QueryRequest, claims: AnalystDep, session: SessionDep, state: StateDep
) -> QueryResponse:
    """Answer a question about payments (or guarded SQL after an ``sql:`` prefix)."""
    service.check_rate(state, claims)
    # A session_id keeps its own follow-up context (as /api/chat does); else the user's.
    answer = await service.ask(
        state,
        session,
        claims,
        body.question,
        use_cache=body.use_cache,
        context_key=body.session_id or None,
    )
    await session.commit()
    return _response(answer, body)


@router.post("/chat", response_model=ChatResponse, responses=problem_responses(400, 401, 403, 429))
async def chat(
    body: ChatRequest, claims: AnalystDep, session: SessionDep, state: StateDep
) -> ChatResponse:
    """A conversation: follow-ups ("and last year?") reuse the session's last question."""
    service.check_rate(state, claims)
    started = datetime.now(UTC)
    session_id, context = state.contexts.for_session(claims.user_id, body.session_id)
    answer = await service.ask(state, session, claims, body.message, context_key=session_id)
    await session.commit()
    reply = answer.text_response or ""
    if answer.error:
        reply = f"{reply} {answer.error}".strip()
    context.messages.append(("user", body.message))
    context.messages.append(("assistant", reply))
    elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
    return ChatResponse(
        message=reply,
        session_id=session_id,
        response_time_ms=round(elapsed),
        understood=answer.understood,
        data=[{k: _json_value(v) for k, v in row.items()} for row in answer.data[:50]],
        sql=answer.sql,
    )


@router.post("/context/clear", response_model=ClearContextResponse)
async def clear_context(
    claims: ClaimsDep, state: StateDep, body: ClearContextRequest | None = None
) -> ClearContextResponse:
    user_id = (body.user_id if body else None) or claims.user_id
    if user_id != claims.user_id and not claims.is_admin:
        raise Forbidden("Only admins may clear another user's context")
    state.contexts.clear(user_id)
    return ClearContextResponse(success=True, message=f"Context cleared for user: {user_id}")


@router.get("/queries", response_model=list[QueryLogEntry], responses=problem_responses(401))
async def queries(
    request: Request,
    response: Response,
    claims: ClaimsDep,
    session: SessionDep,
    page: PageDep,
    user_id: Annotated[str | None, Query(max_length=100)] = None,
) -> list[QueryLogEntry]:
    """The audit log: admins see everyone's questions, others their own."""
    statement = service.query_log_statement(claims, user_id)
    total = await count_rows(session, statement)
    rows = (await session.execute(page.apply(statement))).scalars().all()
    set_page_headers(request, response, page, total)
    return [QueryLogEntry.model_validate(row) for row in rows]


@router.get("/examples", response_model=list[ExampleOut])
async def list_examples(
    request: Request, response: Response, _claims: ClaimsDep, session: SessionDep, page: PageDep
) -> list[ExampleOut]:
    from sqlalchemy import select

    statement = select(Example).order_by(Example.created_at, Example.id)
    total = await count_rows(session, statement)
    paged = statement.limit(page.limit).offset(page.offset)
    rows = (await session.execute(paged)).scalars().all()
    set_page_headers(request, response, page, total)
    return [ExampleOut.model_validate(row) for row in rows]


@router.post(
    "/examples",
    response_model=ExampleOut,
    status_code=201,
    responses=problem_responses(400, 401, 403),
)
async def create_example(
    body: ExampleIn, claims: EditorDep, session: SessionDep, state: StateDep
) -> ExampleOut:
    sql = service.validate_example_sql(state.engine, body.sql)
    example = Example(question=body.question.strip(), sql=sql, created_by=claims.user_id)
    session.add(example)
    await session.commit()
    return ExampleOut.model_validate(example)


@router.get("/examples/{example_id}", response_model=ExampleOut, responses=problem_responses(404))
async def get_example(example_id: str, _claims: ClaimsDep, session: SessionDep) -> ExampleOut:
    return ExampleOut.model_validate(await service.get_example(session, example_id))


@router.put(
    "/examples/{example_id}", response_model=ExampleOut, responses=problem_responses(400, 403, 404)
)
async def update_example(
    example_id: str, body: ExampleIn, _claims: EditorDep, session: SessionDep, state: StateDep
) -> ExampleOut:
    example = await service.get_example(session, example_id)
    example.sql = service.validate_example_sql(state.engine, body.sql)
    example.question = body.question.strip()
    await session.commit()
    return ExampleOut.model_validate(example)


@router.delete("/examples/{example_id}", status_code=204, responses=problem_responses(403, 404))
async def delete_example(example_id: str, _claims: EditorDep, session: SessionDep) -> Response:
    example = await service.get_example(session, example_id)
    await session.delete(example)
    await session.commit()
    return Response(status_code=204)
