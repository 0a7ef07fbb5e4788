"""`fodi analytics import`: Stripe exports with synonyms, exact money, idempotence, bad rows."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from fodi.analytics.importer import BATCH, HeaderMap, ImportFormatError, convert_row
from fodi.analytics.models import Payment
from fodi.cli import app
from fodi.core.db import Database
from tests.support import TEST_JWT_SECRET

HEADER = (
    "id,Description,Created date (UTC),Amount,Amount Refunded,Currency,Status,Customer ID,"
    "Customer Email,Card Brand,Payment Source Type,Fee,location (metadata),"
    "order_id (metadata),Table (metadata)\n"
)
GOOD = (
    HEADER
    + """\
ch_1,Lunch,2025-03-01 12:30:00,12.50,0,usd,Paid,cus_a,a@example.com,Visa,card,0.66,Bishkek,ord-1,7
ch_2,Sushi,2025-03-02 19:05,1500,1500,JPY,Refunded,cus_b,b@example.com,MasterCard,card,45,Tokyo,,
ch_3,Tea,02/03/2025 08:00,1.234,,KWD,Failed,cus_c,,Amex,card,,Berlin,,
ch_4,Catering,2025-03-03T10:00:00Z,"1,234.50",100.25,EUR,Paid,cus_a,a@example.com,,sepa_debit,12.00,Berlin,,
"""
)

BAD = """\
ID,CREATED (UTC),AMOUNT,CURRENCY,STATUS
ok_1,2025-03-01 10:00,10.00,USD,Paid
bad_1,2025-03-01 10:00,12.345,USD,Paid
bad_2,yesterday-ish,10.00,USD,Paid
bad_3,2025-03-01 10:00,10.00,USD,Exploded
,2025-03-01 10:00,10.00,USD,Paid
bad_5,2025-03-01 10:00,-4.00,USD,Paid
ok_2,2025-03-02 11:00,20,JPY,Paid
"""


def _run(*args: str, url: str, tmp_path: Path) -> Any:
    env = {"DATABASE_URL": url, "JWT_SECRET": TEST_JWT_SECRET, "FODI_VAR_DIR": str(tmp_path)}
    return CliRunner().invoke(app, ["analytics", *args], env=env)


def _payments(url: str) -> dict[str, Payment]:
    async def load() -> dict[str, Payment]:
        database = Database.from_url(url)
        try:
            async with database.session() as session:
                rows = (await session.execute(select(Payment))).scalars().all()
                return {row.external_id: row for row in rows}
        finally:
            await database.dispose()

    return asyncio.run(load())


def test_import_converts_exactly_and_reimport_adds_nothing(
    committing_db: Database, migrated_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "payments.csv"
    export.write_text(GOOD)
    result = _run("import", str(export), url=migrated_url, tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert "imported 4 new payment(s) of 4 row(s)" in result.output
    assert gc.isenabled()  # paused during the import only
    stored = _payments(migrated_url)
    assert stored["ch_1"].amount == 1250
    assert stored["ch_1"].currency == "USD"
    assert stored["ch_1"].fee == 66
    assert stored["ch_1"].status == "succeeded"
    assert stored["ch_1"].location == "Bishkek"
    assert stored["ch_1"].order_id == "ord-1"
    assert stored["ch_1"].metadata_ == {"location": "Bishkek", "order_id": "ord-1", "table": "7"}
    assert stored["ch_1"].card_brand == "visa"
    assert stored["ch_1"].payment_method == "card"
    assert (stored["ch_2"].amount, stored["ch_2"].amount_refunded) == (1500, 1500)  # JPY
    assert stored["ch_3"].amount == 1234
    assert stored["ch_3"].status == "failed"
    assert stored["ch_3"].created_at.isoformat() == "2025-03-02T08:00:00+00:00"
    assert (stored["ch_4"].amount, stored["ch_4"].amount_refunded) == (123450, 10025)
    again = _run("import", str(export), url=migrated_url, tmp_path=tmp_path)
    assert again.exit_code == 0
    assert "imported 0 new payment(s)" in again.output
    assert "4 already present" in again.output
    assert len(_payments(migrated_url)) == 4


def test_bad_rows_are_reported_and_nothing_is_imported(
    committing_db: Database, migrated_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "bad.csv"
    export.write_text(BAD)
    result = _run("import", str(export), url=migrated_url, tmp_path=tmp_path)
    assert result.exit_code == 2
    for expected in (
        "line 3: amount '12.345'",
        "line 4: created time 'yesterday-ish' is not a date",
        "line 5: status 'Exploded'",
        "line 6: id is empty",
        "line 7: amount '-4.00' is negative",
        "5 bad row(s) of 7: nothing was imported",
    ):
        assert expected in result.output.replace("\n", " "), expected
    assert _payments(migrated_url) == {}
    partial = _run("import", str(export), "--skip-bad", url=migrated_url, tmp_path=tmp_path)
    assert partial.exit_code == 2
    assert set(_payments(migrated_url)) == {"ok_1", "ok_2"}


def test_a_file_without_the_needed_columns_is_refused(migrated_url: str, tmp_path: Path) -> None:
    export = tmp_path / "odd.csv"
    export.write_text("name,price\npizza,10\n")
    result = _run("import", str(export), url=migrated_url, tmp_path=tmp_path)
    assert result.exit_code == 2
    assert "missing column(s): id, created (utc), amount, currency" in result.output


def test_header_synonyms_are_case_insensitive() -> None:
    header = HeaderMap.from_header(
        ["PaymentIntent ID", "created (UTC)", "AMOUNT", "currency", "Payment method type"]
    )
    row = convert_row(["pi_1", "2025-01-01 00:00", "3", "usd", "Apple Pay"], header)
    assert row[1] == "pi_1"
    assert row[3] == 300
    assert row[10] == "apple_pay"
    with pytest.raises(ImportFormatError):
        HeaderMap.from_header(["Amount", "Currency"])


def _large_export(rows: int, bad_line: int | None = None) -> str:
    """More rows than one write batch, so several batches are in flight during the import."""
    lines = [HEADER]
    for n in range(rows):
        amount = "oops" if n + 2 == bad_line else f"{n % 500}.{n % 100:02d}"
        lines.append(
            f"ch_big_{n},Lunch,2025-04-01 {n % 24:02d}:{n % 60:02d}:00,{amount},0,usd,Paid,"
            f"cus_{n % 97},c{n % 97}@example.com,Visa,card,0.30,Osh,,\n"
        )
    return "".join(lines)


def test_a_large_import_is_whole_idempotent_and_rolled_back_on_a_late_bad_row(
    committing_db: Database, migrated_url: str, tmp_path: Path
) -> None:
    rows = BATCH * 2 + 123
    doomed = tmp_path / "doomed.csv"
    doomed.write_text(_large_export(rows, bad_line=rows))  # the last batch's bad row
    refused = _run("import", str(doomed), url=migrated_url, tmp_path=tmp_path)
    assert refused.exit_code == 2
    assert f"line {rows}: amount 'oops' is not a number" in refused.output.replace("\n", " ")
    assert _payments(migrated_url) == {}  # the batches already written were rolled back

    export = tmp_path / "large.csv"
    export.write_text(_large_export(rows))
    first = _run("import", str(export), url=migrated_url, tmp_path=tmp_path)
    assert first.exit_code == 0, first.output
    assert f"imported {rows} new payment(s) of {rows} row(s)" in first.output.replace("\n", " ")
    stored = _payments(migrated_url)
    assert len(stored) == rows
    assert stored["ch_big_7"].amount == 707
    assert stored["ch_big_7"].location == "Osh"
    again = _run("import", str(export), url=migrated_url, tmp_path=tmp_path)
    assert again.exit_code == 0
    assert "imported 0 new payment(s)" in again.output
    assert len(_payments(migrated_url)) == rows
