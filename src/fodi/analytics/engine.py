"""From a question to an answer: the offline parser or an LLM, then the guard, then the data.

``AnalyticsEngine.answer`` is the one path every question takes (HTTP, chat, the evaluation):

1. ``sql:`` prefix → the user's own SQL, guarded like everything else;
2. the offline parser (unless the engine is ``llm``) → a structured query compiled to SQL;
3. when it does not understand and an LLM is configured (engine ``auto`` or ``llm``) → the LLM;
4. otherwise "not understood", with questions that would work, and no SQL run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg2

from fodi.analytics.charts import ChartData, suggest_chart
from fodi.analytics.config import AnalyticsSettings
from fodi.analytics.executor import GuardedExecutor, QueryError, QueryResult
from fodi.analytics.glossary import GLOSSARY, MONEY_RULE
from fodi.analytics.guard import GuardedSQL, GuardError, guard
from fodi.analytics.llm_engine import (
    ExamplePair,
    ask_for_sql,
    build_messages,
    retry_messages,
    similar_examples,
)
from fodi.analytics.models import Example, Payment
from fodi.analytics.money import to_major
from fodi.analytics.parser import OfflineParser, ParseResult, language_of
from fodi.analytics.structured import (
    MONEY_COLUMNS,
    StructuredQuery,
    compile_query,
    finish_rows,
)
from fodi.core.db import Database
from fodi.core.llm import LLMClient, LLMError

Clock = Callable[[], datetime]
KNOWN_VALUES_TTL = 30.0
_NAMED_DIALECTS = {
    "postgresql": psycopg2.dialect(paramstyle="named"),  # type: ignore[no-untyped-call]
    "sqlite": sqlite.dialect(paramstyle="named"),
}


@dataclass(slots=True)
class Answer:
    question: str
    understood: bool
    engine: str
    sql: str | None = None
    data: list[dict[str, Any]] = field(default_factory=list)
    row_count: int = 0
    execution_time_ms: float = 0.0
    text_response: str = ""
    chart_data: ChartData | None = None
    suggestions: list[str] = field(default_factory=list)
    structured: StructuredQuery | None = None
    error: str | None = None
    truncated: bool = False
    cached: bool = False


def compile_structured(query: StructuredQuery, dialect: str, max_rows: int) -> GuardedSQL:
    """A structured query as guarded SQL with bound parameters (it takes the guard too)."""
    compiled = compile_query(query, dialect).compile(
        dialect=_NAMED_DIALECTS[dialect], compile_kwargs={"render_postcompile": True}
    )
    return guard(str(compiled), dialect, max_rows=max_rows, params=dict(compiled.params))


class AnalyticsEngine:
    def __init__(
        self,
        database: Database,
        settings: AnalyticsSettings,
        *,
        llm: LLMClient | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.llm = llm
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.dialect = database.dialect
        self.executor = GuardedExecutor(
            database,
            timeout_ms=settings.statement_timeout_ms,
            reader_role=settings.reader_role,
            work_mem_mb=settings.work_mem_mb,
        )
        self._parser = OfflineParser()
        self._known_at = -KNOWN_VALUES_TTL
        self._cache: dict[tuple[str, tuple[Any, ...]], tuple[float, QueryResult]] = {}

    @property
    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    async def parser(self) -> OfflineParser:
        """The parser, knowing the locations, brands and methods now in the data."""
        if time.monotonic() - self._known_at > KNOWN_VALUES_TTL:
            known: dict[str, list[str]] = {}
            async with self.database.session() as session:
                for name in ("location", "card_brand", "payment_method"):
                    column = getattr(Payment, name)
                    result = await session.execute(
                        select(column).where(column.is_not(None)).distinct().limit(500)
                    )
                    values = [str(v) for v in result.scalars()]
                    known[name] = sorted(values, key=lambda value: (-len(value), value))
            self._parser = OfflineParser(known)
            self._known_at = time.monotonic()
        return self._parser

    async def load_examples(self) -> list[ExamplePair]:
        """The stored examples (a short session of its own, never the caller's transaction)."""
        async with self.database.session() as session:
            rows = (await session.execute(select(Example.question, Example.sql).limit(500))).all()
        return [ExamplePair(question, sql) for question, sql in rows]

    def refresh_known_values(self) -> None:
        self._known_at = -KNOWN_VALUES_TTL

    async def parse(self, question: str, context: StructuredQuery | None = None) -> ParseResult:
        return (await self.parser()).parse(question, self.today, context)

    async def answer(
        self,
        question: str,
        *,
        context: StructuredQuery | None = None,
        examples: Sequence[ExamplePair] | None = None,
        history: Sequence[tuple[str, str]] = (),
        use_cache: bool = False,
    ) -> Answer:
        question = question.strip()
        if question.lower().startswith("sql:"):
            return await self._answer_sql(question, question[4:].strip(), use_cache)
        parsed: ParseResult | None = None
        if self.settings.engine != "llm":
            parsed = await self.parse(question, context)
            if parsed.understood and parsed.query is not None:
                return await self._answer_structured(question, parsed.query, use_cache)
        if self.llm is not None and self.settings.engine in ("llm", "auto"):
            if examples is None:
                examples = await self.load_examples()
            return await self._answer_llm(question, examples, history)
        language = parsed.language if parsed else language_of(question)
        return _not_understood(question, parsed, language)

    async def _answer_structured(
        self, question: str, query: StructuredQuery, use_cache: bool
    ) -> Answer:
        statement = compile_structured(query, self.dialect, self.settings.max_rows)
        try:
            result = await self._run(statement, use_cache)
        except QueryError as exc:
            return Answer(
                question, True, "offline", statement.display_sql, error=str(exc), structured=query
            )
        rows = finish_rows(query, result.rows)
        answer = Answer(
            question=question,
            understood=True,
            engine="offline",
            sql=statement.display_sql,
            data=rows,
            row_count=len(rows),
            execution_time_ms=result.elapsed_ms,
            structured=query,
            truncated=result.truncated,
            cached=bool(result.extra.get("cached")),
        )
        answer.text_response = describe_answer(query, rows, language_of(question))
        answer.chart_data = suggest_chart(rows, query.metric, title=_title(query))
        return answer

    async def _answer_sql(self, question: str, sql: str, use_cache: bool) -> Answer:
        try:
            statement = guard(sql, self.dialect, max_rows=self.settings.max_rows)
        except GuardError as exc:
            return Answer(question, True, "sql", sql, error=f"refused by the guard: {exc}")
        try:
            result = await self._run(statement, use_cache)
        except QueryError as exc:
            return Answer(question, True, "sql", statement.display_sql, error=str(exc))
        return self._raw_answer(question, "sql", statement, result)

    async def _answer_llm(
        self,
        question: str,
        examples: Sequence[ExamplePair],
        history: Sequence[tuple[str, str]],
    ) -> Answer:
        assert self.llm is not None
        messages = build_messages(
            question,
            dialect=self.dialect,
            today=self.today,
            max_rows=self.settings.max_rows,
            examples=similar_examples(question, examples),
            history=history,
        )
        engine = self.llm.provider
        last_error = ""
        last_sql: str | None = None
        for attempt in range(2):
            try:
                raw, sql = await ask_for_sql(self.llm, messages)
            except LLMError as exc:
                return Answer(question, False, engine, error=str(exc), text_response=str(exc))
            if sql is None:
                return _not_understood(question, None, language_of(question), engine=engine)
            last_sql = sql
            try:
                statement = guard(sql, self.dialect, max_rows=self.settings.max_rows)
                result = await self.executor.run(statement)
            except (GuardError, QueryError) as exc:
                last_error = (
                    f"refused by the guard: {exc}" if isinstance(exc, GuardError) else str(exc)
                )
                if attempt == 0:
                    messages = retry_messages(messages, raw, last_error)
                continue
            return self._raw_answer(question, engine, statement, result)
        return Answer(question, True, engine, last_sql, error=last_error)

    def _raw_answer(
        self, question: str, engine: str, statement: GuardedSQL, result: QueryResult
    ) -> Answer:
        rows = [_major_units(row) for row in result.rows]
        answer = Answer(
            question=question,
            understood=True,
            engine=engine,
            sql=statement.display_sql,
            data=rows,
            row_count=len(rows),
            execution_time_ms=result.elapsed_ms,
            truncated=result.truncated,
            cached=bool(result.extra.get("cached")),
        )
        answer.text_response = f"{len(rows)} row(s)." + (
            " (truncated to the row limit)" if result.truncated else ""
        )
        answer.chart_data = suggest_chart(rows)
        return answer

    async def _run(self, statement: GuardedSQL, use_cache: bool) -> QueryResult:
        key = (statement.sql, tuple(statement.params.items()))
        now = time.monotonic()
        if use_cache and key in self._cache:
            stored_at, result = self._cache[key]
            if now - stored_at < self.settings.cache_ttl_seconds:
                return QueryResult(
                    result.columns, result.rows, 0.0, result.truncated, {"cached": True}
                )
        result = await self.executor.run(statement)
        if use_cache:
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[key] = (now, result)
        return result


def _major_units(row: dict[str, Any]) -> dict[str, Any]:
    """LLM and typed SQL return money as ``*_minor`` next to ``currency``: add major units."""
    currency = row.get("currency")
    if not isinstance(currency, str):
        return row
    converted = dict(row)
    for key, value in row.items():
        if key.endswith("_minor") and isinstance(value, int | Decimal) and value is not None:
            try:
                converted[key[: -len("_minor")]] = to_major(int(value), currency)
            except (ValueError, ArithmeticError):
                continue
    return converted


def _not_understood(
    question: str, parsed: ParseResult | None, language: str, engine: str = "offline"
) -> Answer:
    from fodi.analytics.vocabulary import SUGGESTIONS

    suggestions = parsed.suggestions if parsed and parsed.suggestions else SUGGESTIONS[language]
    if language == "ru":
        text = "Я не понял вопрос и не стал угадывать. Попробуйте, например: " + "; ".join(
            suggestions[:3]
        )
    else:
        text = (
            "I did not understand the question, so I ran nothing rather than guess. Try: "
            + "; ".join(suggestions[:3])
        )
    if parsed and parsed.reason:
        text += f" ({parsed.reason})"
    return Answer(
        question=question,
        understood=False,
        engine=engine,
        text_response=text,
        suggestions=list(suggestions),
    )


def _title(query: StructuredQuery, *, with_period: bool = True) -> str:
    title = query.metric.replace("_", " ")
    if query.dimension:
        title += f" by {query.dimension.replace('_', ' ')}"
    if query.period and query.compare:
        title += f": {query.period.label} vs {query.compare.label}"
    elif query.period and with_period:
        title += f", {query.period.label}"
    return title


def _format(value: Any, metric: str) -> str:
    if value is None:
        return "n/a"
    if metric in ("refund_rate", "failure_rate"):
        return f"{Decimal(value) * 100:.2f}%"
    if isinstance(value, Decimal):
        return f"{value:,}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def describe_answer(query: StructuredQuery, rows: Sequence[dict[str, Any]], language: str) -> str:
    """A one-paragraph answer that states the glossary definition it used."""
    metric = query.metric
    definition = GLOSSARY[metric]
    scope = f" ({query.period.describe()})" if query.period and not query.compare else ""
    if not rows:
        body = "no payments match." if language == "en" else "нет подходящих платежей."
    elif query.compare and query.period:
        body = _describe_comparison(query, rows)
    elif query.dimension is None:
        body = "; ".join(
            f"{_format(row.get(metric), metric)}"
            + (f" {row['currency']}" if row.get("currency") else "")
            + (
                f" {query.filter_value('currency')}"
                if query.filter_value("currency") and metric in MONEY_COLUMNS
                else ""
            )
            for row in rows
        )
    else:
        label = "customer_id" if query.dimension == "customer" else query.dimension
        shown = [
            f"{row.get('weekday_name', row.get(label))}: {_format(row.get(metric), metric)}"
            + (f" {row['currency']}" if row.get("currency") and label != "currency" else "")
            for row in rows[:10]
        ]
        more = f" … ({len(rows)} rows)" if len(rows) > 10 else ""
        body = "; ".join(shown) + more
    notes = f"{definition}. {MONEY_RULE}." if query.per_currency else f"{definition}."
    head = _title(query, with_period=False).capitalize() + scope
    return f"{head}: {body} — {notes}"


def _describe_comparison(query: StructuredQuery, rows: Sequence[dict[str, Any]]) -> str:
    assert query.period is not None
    assert query.compare is not None
    metric = query.metric
    by_currency: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_currency.setdefault(str(row.get("currency") or ""), {})[row["period"]] = row.get(metric)
    parts = []
    for currency, values in by_currency.items():
        first, second = values.get(query.period.label), values.get(query.compare.label)
        change = ""
        if isinstance(first, int | Decimal) and isinstance(second, int | Decimal) and second:
            change = f" ({(Decimal(first) - Decimal(second)) / Decimal(second) * 100:+.1f}%)"
        suffix = f" {currency}" if currency else ""
        parts.append(
            f"{query.period.label}: {_format(first, metric)}{suffix} vs "
            f"{query.compare.label}: {_format(second, metric)}{suffix}{change}"
        )
    return "; ".join(parts)
