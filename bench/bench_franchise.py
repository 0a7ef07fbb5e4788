"""The franchise benchmark: RecordSale throughput with the ledger, proofs and verification at 1M.

One command (``.venv/bin/python bench/bench_franchise.py``), on PostgreSQL at 127.0.0.1:5432
(database ``bench_franchise``, recreated each run; ``BENCH_DATABASE_URL`` overrides it):

1. sustained ``POST /api/v1/pos {"RecordSale": ...}`` against a real ``fodi serve franchise``
   process, driven by wrk (every request a new sale id; each sale mints, posts, opens a check
   wallet, appends a ledger entry; concurrent sales share a transaction and one signed
   checkpoint per batch);
2. the log is then filled to 1,000,000 entries (bulk COPY of canonical sale entries plus one
   signed checkpoint per 10,000), and inclusion proofs are timed in-process (the service's
   cached tree) and over HTTP;
3. ``fodi ledger verify --full`` over the 1,000,000 entries (download, re-check every entry,
   recompute the tree, compare with the signed checkpoint).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, LoadResult, free_port, print_table, server, wrk
from fodi.core.db import create_engine
from fodi.core.migrations import upgrade
from fodi.core.settings import Settings

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_franchise"
)
LEDGER_SECRET = "bench-ledger-secret-0123456789abcdef"  # noqa: S105 (a throwaway bench database)
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CONNECTIONS = 64
TARGET_ENTRIES = int(os.environ.get("BENCH_ENTRIES", "1000000"))
CHECKPOINT_EVERY = 10_000
FODI = [PYTHON, "-m", "fodi"]


def environment(var_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": DATABASE_URL,
        "FODI_ENV": "development",
        "FODI_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "FRANCHISE__LEDGER_SECRET": LEDGER_SECRET,
        "FRANCHISE__EXPIRY_INTERVAL_SECONDS": "0",
    }


async def create_database_if_missing() -> None:
    """A fresh machine has no ``bench_franchise`` database: create it from ``postgres``."""
    import asyncpg  # type: ignore[import-untyped]  # no stubs; two calls used here
    from sqlalchemy.engine import make_url

    url = make_url(DATABASE_URL)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database="postgres"
    )
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", url.database
        )
        if not exists:  # CREATE DATABASE takes no parameters: quote the name as an identifier
            name = str(url.database).replace('"', '""')
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def reset_database() -> None:
    from sqlalchemy import text

    await create_database_if_missing()
    engine = create_engine(DATABASE_URL)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    await upgrade(DATABASE_URL)


async def prepare_network(settings: Settings) -> tuple[str, list[int]]:
    import fodi.franchise.flows as flows
    from fodi.core.db import Database
    from fodi.franchise.auth.roles import FranchiseRole
    from fodi.franchise.auth.service import create_key

    database = Database.from_url(DATABASE_URL)
    async with database.session() as session:
        await flows.initialise(session, settings)
        state = await flows.load_state(session, settings)
        assert state is not None
        nodes = [
            (await flows.register_node(state, session, f"0xowner{n}", kind, "Tbilisi")).node_id
            for n, kind in enumerate(["OWNER", "FRANCHISE", "FRANCHISE", "FRANCHISE"])
        ]
        await flows.whitelist_pos(state, session, "pos_bench", None)
        _, token = await create_key(session, FranchiseRole.SUPER_ADMIN)
        await session.commit()
    await database.dispose()
    return token, nodes


def wrk_script(token: str, nodes: list[int], directory: Path, run: str) -> Path:
    """A wrk script whose sale ids are new to this ``run``.

    Each wrk thread counts from 1 again in every run, so without the run's name in the id a
    second run would replay the first one's sales (answered, but not stored again).
    """
    script = directory / f"sale-{run}.lua"
    script.write_text(
        textwrap.dedent(
            f"""
            local counter = 0
            local threads = 0
            local nodes = {{{", ".join(map(str, nodes))}}}
            function setup(thread)
              threads = threads + 1
              thread:set("tid", threads)
            end
            function request()
              counter = counter + 1
              local node = nodes[(counter % #nodes) + 1]
              local body = string.format(
                '{{"RecordSale":{{"node_id":%d,"sale_id":"bench-{run}-%d-%d",' ..
                '"price_subunits":2500,"buyer_meta":"table","pos_id":"pos_bench","items":[' ..
                '{{"item_id":"hotpot","quantity":1,"price_subunits":2000}},' ..
                '{{"item_id":"tea","quantity":2,"price_subunits":500}}]}}}}',
                node, tid, counter)
              return wrk.format("POST", "/api/v1/pos",
                {{["Content-Type"] = "application/json", ["X-API-Key"] = "{token}"}}, body)
            end
            """
        )
    )
    return script


async def count_sales() -> tuple[int, int]:
    from sqlalchemy import func, select

    from fodi.core.db import Database
    from fodi.franchise.ledger.service import head_size
    from fodi.franchise.sales.models import FranchiseSale

    database = Database.from_url(DATABASE_URL)
    async with database.session() as session:
        sales = await session.scalar(select(func.count()).select_from(FranchiseSale))
        size = await head_size(session)
    await database.dispose()
    return int(sales or 0), size


def entry_template() -> bytes:
    """A sale-shaped canonical entry with markers (split and postings add up, as checked)."""
    from fodi.franchise.ledger.canonical import canonical_bytes

    return canonical_bytes(
        {
            "type": "sale_minted",
            "v": 1,
            "sale_id": "bulk-@I@",
            "node_id": 2,
            "node_type": "FRANCHISE",
            "pos_id": "pos_bench",
            "price_subunits": 2500,
            "items": [{"item_id": "hotpot", "quantity": 1, "price_subunits": 2500}],
            "buyer_meta_sha256": "0" * 64,
            "content_hash": "@H@",
            "mint_id": "mint_2_@I@",
            "minted_units": 100,
            "owner_units": 48,
            "buyer_units": 49,
            "royalty_units": 3,
            "split_bps": {"owner": 4800, "royalty": 300, "buyer": 4900},
            "check_address": "0xcheck@I@",
            "check_expires_at": "2026-12-31T00:00:00.000000+00:00",
            "postings": [
                ["@issuance", -100],
                ["0xowner1", 48],
                ["0xcheck@I@", 49],
                ["0xmaster", 3],
            ],
            "at": "2026-12-01T00:00:00.000000+00:00",
        }
    )


def synthetic_entry(template: bytes, index: int) -> bytes:
    # Filling markers keeps the bytes canonical: key order and layout do not change.
    digest = hashlib.sha256(index.to_bytes(8, "big")).hexdigest().encode()
    return template.replace(b"@I@", str(index).encode()).replace(b"@H@", digest)


async def fill_log(settings: Settings, target: int) -> float:
    """Bulk-append entries up to ``target`` with one signed checkpoint every 10,000."""
    import asyncpg  # the bench talks COPY directly

    import fodi.franchise.flows as flows
    from fodi.core.db import Database
    from fodi.franchise.ledger.notes import Checkpoint, sign_note
    from fodi.franchise.merkle import leaf_hash

    started = time.perf_counter()
    template = entry_template()
    database = Database.from_url(DATABASE_URL)
    async with database.session() as session:
        state = await flows.load_state(session, settings)
        assert state is not None
        from fodi.franchise.ledger.service import head_size

        size = await head_size(session)
        await state.ledger.sync_to(session, size)
    await database.dispose()
    tree = state.ledger.tree
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        for chunk_start in range(size, target, 100_000):
            chunk_end = min(target, chunk_start + 100_000)
            rows = []
            checkpoints = []
            for index in range(chunk_start, chunk_end):
                body = synthetic_entry(template, index)
                leaf = leaf_hash(body)
                rows.append((index, "sale_minted", body, leaf))
                tree.append(leaf)
                if tree.size % CHECKPOINT_EVERY == 0 or tree.size == target:
                    text = Checkpoint(state.ledger.origin, tree.size, tree.root()).text()
                    note = sign_note(text, state.ledger.origin, state.ledger.signing_key)
                    checkpoints.append((tree.size, tree.root(), note))
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "franchise_ledger_entries",
                    records=rows,
                    columns=["idx", "kind", "body", "leaf_hash"],
                )
                await connection.executemany(
                    "INSERT INTO franchise_checkpoints (size, root, note, created_at) "
                    "VALUES ($1, $2, $3, now())",
                    checkpoints,
                )
                await connection.execute(
                    "UPDATE franchise_ledger_head SET size = $1 WHERE id = 1", chunk_end
                )
    finally:
        await connection.close()
    return time.perf_counter() - started


def in_process_proof_ms(settings: Settings, samples: int = 2_000) -> tuple[float, float]:
    """Median and p99 of MerkleTree.inclusion_proof at the log's size (the cached tree)."""

    async def load() -> object:
        import fodi.franchise.flows as flows
        from fodi.core.db import Database
        from fodi.franchise.ledger.service import head_size

        database = Database.from_url(DATABASE_URL)
        async with database.session() as session:
            state = await flows.load_state(session, settings)
            assert state is not None
            await state.ledger.sync_to(session, await head_size(session))
        await database.dispose()
        return state.ledger.tree

    from fodi.franchise.merkle import MerkleTree

    tree = asyncio.run(load())
    assert isinstance(tree, MerkleTree)
    rng = random.Random(7)
    timings = []
    for _ in range(samples):
        index = rng.randrange(tree.size)
        started = time.perf_counter()
        tree.inclusion_proof(index, tree.size)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99)]


def http_proof_ms(url: str, size: int, samples: int = 500) -> tuple[float, float]:
    rng = random.Random(11)
    timings = []
    with httpx.Client(base_url=url, timeout=30) as client:
        client.get("/api/v1/ledger/proof/inclusion", params={"index": 0, "tree_size": size})
        for _ in range(samples):
            params = {"index": rng.randrange(size), "tree_size": size}
            started = time.perf_counter()
            response = client.get("/api/v1/ledger/proof/inclusion", params=params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99)]


def http_health_ms(url: str, samples: int = 500) -> tuple[float, float]:
    timings = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(samples):
            started = time.perf_counter()
            client.get("/health")
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99)]


@dataclass(frozen=True, slots=True)
class SalesLoad:
    wrk: LoadResult
    stored_per_second: float  # the goal's measure: sales in the database, not responses
    log_size: int


def measure_sales(url: str, script: Path) -> SalesLoad:
    """Drive RecordSale with wrk; count the sales the run stored (rows), not the answers."""
    before, _ = asyncio.run(count_sales())
    result = wrk(url, seconds=SECONDS, connections=CONNECTIONS, script=script)
    after, size = asyncio.run(count_sales())
    while True:  # sales wrk left in flight (at most one per connection) still finish
        time.sleep(1.0)
        settled, size = asyncio.run(count_sales())
        if settled == after:
            break
        after = settled
    return SalesLoad(result, (after - before) / SECONDS, size)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        env = environment(directory / "var")
        os.environ.update(env)
        settings = Settings()
        asyncio.run(reset_database())
        token, nodes = asyncio.run(prepare_network(settings))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [*FODI, "serve", "franchise", "--port", str(port)]
        rows: list[list[object]] = []
        with server(command, f"{url}/health", env=env, log=directory / "server.log"):
            warm_up = wrk_script(token, nodes, directory, "warm")
            wrk(f"{url}/api/v1/pos", seconds=3, connections=CONNECTIONS, script=warm_up)
            load = measure_sales(f"{url}/api/v1/pos", wrk_script(token, nodes, directory, "run"))
            rows.append(
                [
                    f"RecordSale via POST /api/v1/pos (wrk, {CONNECTIONS} conns, {SECONDS} s)",
                    f"{load.stored_per_second:,.0f} sales/s stored "
                    f"(wrk: {load.wrk.requests_per_second:,.0f} responses/s); "
                    f"p50 {load.wrk.p50_ms:.1f} ms, p99 {load.wrk.p99_ms:.1f} ms; "
                    f"{load.wrk.errors} errors",
                    ">= 1,000 sales/s",
                    f"{load.stored_per_second / 1000:.2f}x",
                ]
            )
            health = wrk(f"{url}/health", seconds=5, connections=CONNECTIONS)
            rows.append(
                [
                    "  beside it: GET /health on the same process (its HTTP ceiling here)",
                    f"{health.requests_per_second:,.0f} req/s; p50 {health.p50_ms:.1f} ms",
                    "",
                    f"sales = {load.stored_per_second / health.requests_per_second:.2f}x of it",
                ]
            )
            console_note(
                f"log size after the load: {load.log_size:,} entries; filling to {TARGET_ENTRIES:,}"
            )
            fill_seconds = asyncio.run(fill_log(settings, TARGET_ENTRIES))
            console_note(f"bulk fill took {fill_seconds:.1f} s")
            median, p99 = in_process_proof_ms(settings)
            rows.append(
                [
                    "inclusion proof at 1,000,000 entries (in-process, cached tree)",
                    f"p50 {median * 1000:.1f} µs, p99 {p99 * 1000:.1f} µs",
                    "< 2 ms",
                    f"{2 / median:,.0f}x under",
                ]
            )
            http_median, http_p99 = http_proof_ms(url, TARGET_ENTRIES)
            health_median, _ = http_health_ms(url)
            rows.append(
                [
                    "inclusion proof at 1,000,000 entries (HTTP GET, loopback)",
                    f"p50 {http_median:.2f} ms, p99 {http_p99:.2f} ms",
                    "< 2 ms",
                    f"{2 / http_median:.2f}x under"
                    if http_median < 2
                    else f"{http_median / 2:.2f}x over",
                ]
            )
            rows.append(
                [
                    "  beside it: GET /health, same client and server (HTTP floor)",
                    f"p50 {health_median:.2f} ms",
                    "",
                    f"proof = {http_median / health_median:.2f}x of it",
                ]
            )
            started = time.perf_counter()
            verify = subprocess.run(
                [
                    *FODI,
                    "ledger",
                    "verify",
                    url,
                    "--full",
                    "--samples",
                    "16",
                    "--state",
                    str(directory / "verifier"),
                ],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                check=False,
            )
            verify_seconds = time.perf_counter() - started
            ok = verify.returncode == 0
            rows.append(
                [
                    "fodi ledger verify --full over 1,000,000 entries",
                    f"{verify_seconds:.1f} s ({TARGET_ENTRIES / verify_seconds:,.0f} entries/s)"
                    + ("" if ok else f" FAILED: {verify.stderr.strip()[-200:]}"),
                    "report",
                    "ok" if ok else "failed",
                ]
            )
        print_table(
            "franchise: sales with the ledger on PostgreSQL, proofs and verification at 1M",
            ["measure", "result", "goal", "ratio"],
            rows,
        )


def console_note(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    main()
