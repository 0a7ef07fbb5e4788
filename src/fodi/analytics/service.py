"""The rules of the analytics API: asking (with context, audit log), chats, examples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.analytics.context import ContextStore
from fodi.analytics.engine import AnalyticsEngine, Answer
from fodi.analytics.guard import GuardError, guard
from fodi.analytics.models import Example, QueryLog
from fodi.analytics.ratelimit import RateLimiter
from fodi.core.errors import BadRequest, Forbidden, NotFound, TooManyRequests
from fodi.core.security import TokenClaims


@dataclass
class AnalyticsState:
    """Everything the analytics app keeps for its lifetime (``app.state.analytics``)."""

    engine: AnalyticsEngine
    contexts: ContextStore
    limiter: RateLimiter
    max_question_chars: int


def check_rate(state: AnalyticsState, claims: TokenClaims) -> None:
    wait = state.limiter.check(claims.user_id)
    if wait > 0:
        retry = state.limiter.retry_after(wait)
        raise TooManyRequests(
            f"Too many questions; try again in {retry} s",
            headers={"Retry-After": retry},
        )


def check_question(state: AnalyticsState, question: str) -> str:
    question = question.strip()
    if not question:
        raise BadRequest("The question is empty")
    if len(question) > state.max_question_chars:
        raise BadRequest(f"The question is longer than {state.max_question_chars} characters")
    return question


async def ask(
    state: AnalyticsState,
    session: AsyncSession,
    claims: TokenClaims,
    question: str,
    *,
    use_cache: bool = False,
    context_key: str | None = None,
) -> Answer:
    """Answer for the signed-in user, remember it for follow-ups, and write the audit log.

    The engine reads through its own connections; ``session`` is only written at the end
    (on SQLite an open write transaction would otherwise hold the lock while it reads).
    """
    question = check_question(state, question)
    if question.lower().startswith("sql:") and not claims.is_admin:
        # The guard would still hold, but typing SQL is an administrator's tool.
        raise Forbidden("Only administrators may run their own SQL")
    if context_key is None:
        context = state.contexts.for_user(claims.user_id)
    else:
        _, context = state.contexts.for_session(claims.user_id, context_key)
    answer = await state.engine.answer(
        question,
        context=context.last_query,
        history=list(context.history),
        use_cache=use_cache,
    )
    if answer.structured is not None and answer.error is None:
        context.last_query = answer.structured
    if answer.sql and answer.error is None:
        context.history.append((question, answer.sql))
    session.add(
        QueryLog(
            user_id=claims.user_id,
            question=question[:10_000],
            generated_sql=answer.sql or "",
            engine=answer.engine[:32],
            understood=answer.understood,
            success=answer.understood and answer.error is None,
            error_message=answer.error or (None if answer.understood else "not understood"),
            row_count=answer.row_count,
            execution_time_ms=round(answer.execution_time_ms),
        )
    )
    return answer


def query_log_statement(claims: TokenClaims, user_id: str | None) -> Select[Any]:
    """Admins read everyone's log (optionally one user's); others only their own."""
    statement = select(QueryLog).order_by(QueryLog.created_at.desc(), QueryLog.id)
    if not claims.is_admin:
        return statement.where(QueryLog.user_id == claims.user_id)
    if user_id:
        statement = statement.where(QueryLog.user_id == user_id)
    return statement


def validate_example_sql(engine: AnalyticsEngine, sql: str) -> str:
    """Examples are shown to models as trusted: they must pass the guard when stored."""
    try:
        guard(sql, engine.dialect, max_rows=engine.settings.max_rows)
    except GuardError as exc:
        raise BadRequest(f"The example's SQL is refused by the guard: {exc}") from exc
    return sql.strip().rstrip(";").strip()


async def get_example(session: AsyncSession, example_id: str) -> Example:
    example = await session.get(Example, example_id)
    if example is None:
        raise NotFound("Example not found")
    return example


def make_state(engine: AnalyticsEngine, settings: Any) -> AnalyticsState:
    return AnalyticsState(
        engine=engine,
        contexts=ContextStore(),
        limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
        max_question_chars=settings.max_question_chars,
    )
