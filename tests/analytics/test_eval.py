"""The evaluation set and `fodi analytics demo` (determinism, idempotence)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from fodi.analytics.demo import demo_rows
from fodi.analytics.engine import AnalyticsEngine
from fodi.analytics.eval_set import ALL_CASES, EVAL_END, EVAL_SEED, HELD_OUT, TUNING
from fodi.analytics.evaluation import eval_clock, eval_settings, evaluate
from fodi.analytics.models import Payment
from fodi.analytics.store import PaymentWriter
from fodi.cli import app
from fodi.core.db import Database
from tests.support import TEST_JWT_SECRET


def test_the_set_is_large_bilingual_and_has_out_of_scope_questions() -> None:
    assert len(ALL_CASES) >= 150
    russian = [c for c in ALL_CASES if re.search("[а-я]", c.question.lower())]
    assert len(russian) >= 50
    assert len(ALL_CASES) - len(russian) >= 50
    assert sum(c.gold is None for c in ALL_CASES) >= 20
    assert HELD_OUT
    assert TUNING


async def test_the_offline_engine_meets_its_goals(committing_db: Database) -> None:
    async with committing_db.session() as session:
        writer = PaymentWriter(session)
        await writer.add(list(demo_rows(4000, seed=EVAL_SEED, end=EVAL_END)))
        await writer.finish()
        await session.commit()
    engine = AnalyticsEngine(committing_db, eval_settings(), clock=eval_clock)
    scores, _ = await evaluate(engine, ALL_CASES)
    for score in scores.values():
        assert score.accuracy >= 0.9, [f.case.question for f in score.failures]
        assert score.wrong_rate < 0.02, [f.case.question for f in score.failures if f.understood]


def test_demo_is_deterministic_and_idempotent(
    committing_db: Database, migrated_url: str, tmp_path: Path
) -> None:
    assert list(demo_rows(20, seed=5, end=EVAL_END)) == list(demo_rows(20, seed=5, end=EVAL_END))
    env = {
        "DATABASE_URL": migrated_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "FODI_VAR_DIR": str(tmp_path),
    }
    first = CliRunner().invoke(app, ["analytics", "demo", "--rows", "300", "--seed", "9"], env=env)
    assert first.exit_code == 0
    assert "added 300 demo payment(s)" in first.output
    second = CliRunner().invoke(app, ["analytics", "demo", "--rows", "300", "--seed", "9"], env=env)
    assert "added 0 demo payment(s)" in second.output

    async def count() -> int:
        database = Database.from_url(migrated_url)
        try:
            async with database.session() as session:
                return int(
                    (await session.execute(select(func.count()).select_from(Payment))).scalar_one()
                )
        finally:
            await database.dispose()

    assert asyncio.run(count()) == 300
