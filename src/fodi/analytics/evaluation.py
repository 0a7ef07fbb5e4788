"""``fodi analytics eval``: the offline engine against the gold answers, on the demo data.

Right = understood and the same rows as the gold query (period labels aside; order aside
except that a top-N must pick the same rows), or, for an out-of-scope question, declined.
Reported per split: accuracy on in-scope questions, and the rate of wrong answers presented as
understood over all questions (the number that must stay near zero).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fodi.analytics.config import AnalyticsSettings
from fodi.analytics.engine import AnalyticsEngine, compile_structured
from fodi.analytics.eval_set import EVAL_END, EvalCase
from fodi.analytics.structured import StructuredQuery, finish_rows


@dataclass(slots=True)
class CaseResult:
    case: EvalCase
    understood: bool
    correct: bool
    detail: str = ""


@dataclass(slots=True)
class SplitScore:
    split: str
    total: int = 0
    in_scope: int = 0
    in_scope_right: int = 0
    out_of_scope: int = 0
    declined_right: int = 0
    wrong_understood: int = 0
    failures: list[CaseResult] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.in_scope_right / self.in_scope if self.in_scope else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong_understood / self.total if self.total else 0.0

    @property
    def precision(self) -> float:
        understood = self.in_scope_right + self.wrong_understood
        return self.in_scope_right / understood if understood else 0.0


def _normalized(query: StructuredQuery, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    labels = {}
    if query.period is not None:
        labels[query.period.label] = "A"
    if query.compare is not None:
        labels[query.compare.label] = "B"
    normalized = []
    for row in rows:
        items = []
        for key in sorted(row):
            value = row[key]
            if key == "period":
                value = labels.get(value, value)
            items.append((key, str(value)))
        normalized.append(tuple(items))
    return sorted(normalized)


async def gold_rows(engine: AnalyticsEngine, query: StructuredQuery) -> list[tuple[Any, ...]]:
    statement = compile_structured(query, engine.dialect, engine.settings.max_rows)
    result = await engine.executor.run(statement)
    return _normalized(query, finish_rows(query, result.rows))


async def evaluate(
    engine: AnalyticsEngine, cases: Sequence[EvalCase]
) -> tuple[dict[str, SplitScore], float]:
    """Scores per split and the mean time (ms) the parser took per question."""
    scores: dict[str, SplitScore] = {}
    parse_ms: list[float] = []
    for case in cases:
        score = scores.setdefault(case.split, SplitScore(case.split))
        score.total += 1
        started = time.perf_counter()
        await engine.parse(case.question)
        parse_ms.append((time.perf_counter() - started) * 1000)
        answer = await engine.answer(case.question)
        if case.gold is None:
            score.out_of_scope += 1
            if answer.understood:
                score.wrong_understood += 1
                score.failures.append(CaseResult(case, True, False, "should have been declined"))
            else:
                score.declined_right += 1
            continue
        score.in_scope += 1
        if not answer.understood or answer.structured is None:
            score.failures.append(CaseResult(case, False, False, answer.text_response[-120:]))
            continue
        expected = await gold_rows(engine, case.gold)
        got = _normalized(answer.structured, answer.data)
        if answer.error is None and got == expected:
            score.in_scope_right += 1
        else:
            score.wrong_understood += 1
            score.failures.append(CaseResult(case, True, False, str(answer.structured.describe())))
    mean = sum(parse_ms) / len(parse_ms) if parse_ms else 0.0
    return scores, mean


def eval_settings() -> AnalyticsSettings:
    return AnalyticsSettings(engine="offline", statement_timeout_ms=30_000)


def eval_clock() -> datetime:
    return EVAL_END


async def run_evaluation_on(
    url: str, cases: Sequence[EvalCase], settings: Any
) -> tuple[dict[str, SplitScore], float]:
    """Migrate ``url``, load the evaluation's demo data, and evaluate."""
    from fodi.analytics.demo import demo_rows
    from fodi.analytics.eval_set import EVAL_ROWS, EVAL_SEED
    from fodi.analytics.store import PaymentWriter
    from fodi.core import migrations
    from fodi.core.db import Database

    await migrations.upgrade(url)
    database = Database.from_url(url)
    try:
        async with database.session() as session:
            writer = PaymentWriter(session)
            await writer.add(list(demo_rows(EVAL_ROWS, seed=EVAL_SEED, end=EVAL_END)))
            await writer.finish()
            await session.commit()
        engine = AnalyticsEngine(database, eval_settings(), clock=eval_clock)
        return await evaluate(engine, cases)
    finally:
        await database.dispose()
