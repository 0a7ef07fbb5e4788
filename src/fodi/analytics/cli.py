"""`fodi analytics` commands: import, demo data, order sync, evaluation, and asking."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The analytics service.", no_args_is_help=True)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Stripe CSV export")],
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Import the good rows even if some are bad")
    ] = False,
) -> None:
    """Import a Stripe Dashboard payments export (CSV); re-importing adds nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from fodi.analytics.importer import ImportFormatError, count_lines, import_csv
    from fodi.core.cli_support import console, err_console, fail, run
    from fodi.core.db import Database
    from fodi.core.settings import load_settings

    settings = load_settings()
    total = count_lines(file)

    async def go() -> object:
        database = Database.from_url(settings.effective_database_url)
        try:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err_console,
                transient=total < 20_000,
            ) as progress:
                task = progress.add_task(f"importing {file.name}", total=total)
                async with database.session() as session:
                    return await import_csv(
                        session,
                        file,
                        skip_bad=skip_bad,
                        progress=lambda n: progress.advance(task, n),
                    )
        finally:
            await database.dispose()

    try:
        report = run(go())
    except ImportFormatError as exc:
        fail(str(exc), code=2)
    from fodi.analytics.importer import ImportReport

    assert isinstance(report, ImportReport)
    for error in report.errors[:50]:
        err_console.print(f"line {error.line}: {error.reason}")
    if len(report.errors) > 50:
        err_console.print(f"… and {len(report.errors) - 50} more bad rows")
    if report.errors and not report.committed:
        fail(
            f"{len(report.errors)} bad row(s) of {report.rows}: nothing was imported "
            "(fix them, or pass --skip-bad to import the good rows)",
            code=2,
        )
    console.print(
        f"imported [bold]{report.inserted}[/] new payment(s) of {report.rows} row(s); "
        f"{report.skipped_existing} already present, {len(report.errors)} bad"
    )
    if report.errors:
        raise typer.Exit(2)


@app.command()
def demo(
    rows: Annotated[int, typer.Option("--rows", min=1, max=5_000_000)] = 5000,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    days: Annotated[int, typer.Option("--days", min=1, max=3650)] = 800,
) -> None:
    """Generate realistic demo payments ending now (deterministic for a seed and day)."""
    from datetime import UTC, datetime

    from rich.progress import Progress

    from fodi.analytics.demo import demo_rows
    from fodi.analytics.store import PaymentWriter
    from fodi.core.cli_support import console, err_console, run
    from fodi.core.db import Database
    from fodi.core.settings import load_settings

    settings = load_settings()
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    async def go() -> int:
        database = Database.from_url(settings.effective_database_url)
        try:
            async with database.session() as session:
                writer = PaymentWriter(session)
                batch = []
                with Progress(console=err_console, transient=True) as progress:
                    task = progress.add_task("generating", total=rows)
                    for row in demo_rows(rows, seed=seed, end=end, days=days):
                        batch.append(row)
                        if len(batch) == 5000:
                            await writer.add(batch)
                            progress.advance(task, len(batch))
                            batch = []
                    await writer.add(batch)
                inserted = await writer.finish()
                await session.commit()
                return inserted
        finally:
            await database.dispose()

    inserted = run(go())
    console.print(
        f"added [bold]{inserted}[/] demo payment(s) (seed {seed}, ending {end:%Y-%m-%d %H:00} UTC)"
    )


@app.command("sync-orders")
def sync_orders_command(
    backend_url: Annotated[
        str | None, typer.Option(help="The backend's base URL (default ANALYTICS__BACKEND_URL)")
    ] = None,
) -> None:
    """Turn FodiFood orders (read from the backend's admin API) into payments."""
    import httpx

    from fodi.analytics.orders_sync import SyncError, sync_orders
    from fodi.core.cli_support import console, fail, run
    from fodi.core.db import Database
    from fodi.core.settings import load_settings

    settings = load_settings()
    url = backend_url or settings.analytics.backend_url

    async def go() -> object:
        database = Database.from_url(settings.effective_database_url)
        try:
            async with (
                httpx.AsyncClient(base_url=url.rstrip("/"), timeout=30.0) as client,
                database.session() as session,
            ):
                return await sync_orders(
                    session, client, settings.analytics, settings.jwt_secret_value
                )
        finally:
            await database.dispose()

    try:
        report = run(go())
    except SyncError as exc:
        fail(str(exc))
    console.print(str(report))


@app.command("eval")
def eval_command(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every miss")] = False,
    database_url: Annotated[
        str | None,
        typer.Option(help="Evaluate on this (empty) database instead of a temporary SQLite file"),
    ] = None,
) -> None:
    """Score the offline engine on the evaluation set (accuracy, wrong-as-understood)."""
    import tempfile

    from fodi.analytics.eval_set import ALL_CASES
    from fodi.analytics.evaluation import run_evaluation_on
    from fodi.core.cli_support import console, run
    from fodi.core.settings import load_settings

    settings = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'eval.db'}"
        scores, parse_ms = run(run_evaluation_on(url, ALL_CASES, settings))
    from rich.table import Table

    table = Table(title="offline engine evaluation")
    for column in (
        "split",
        "questions",
        "in scope",
        "right",
        "accuracy",
        "declined ok",
        "wrong as understood",
        "precision",
    ):
        table.add_column(column, justify="right")
    for score in scores.values():
        table.add_row(
            score.split,
            str(score.total),
            str(score.in_scope),
            str(score.in_scope_right),
            f"{score.accuracy:.1%}",
            f"{score.declined_right}/{score.out_of_scope}",
            f"{score.wrong_understood} ({score.wrong_rate:.1%})",
            f"{score.precision:.1%}",
        )
    console.print(table)
    console.print(
        f"mean parse time {parse_ms:.2f} ms per question; "
        "goals: ≥90% accuracy, <2% wrong as understood"
    )
    for score in scores.values():
        if verbose or score.failures:
            for failure in score.failures if verbose else score.failures[:20]:
                verdict = "WRONG" if failure.understood else "missed"
                console.print(
                    f"[{score.split}] {verdict}: {failure.case.question} — {failure.detail}"
                )
