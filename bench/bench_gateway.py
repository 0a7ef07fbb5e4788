"""The gateway's benchmark: proxy overhead, notification fan-out, assistant throughput.

One command (``.venv/bin/python bench/bench_gateway.py``), real processes on loopback:
``fodi serve backend`` on a fresh SQLite database with the demo data, and ``fodi serve
gateway`` pointed at it with the orchestrator disabled (``ORCHESTRATOR_ENABLED=false``,
``GO_BACKEND_URL=http://127.0.0.1:PORT/api``).

1. ``GET /api/v1/products`` through the gateway vs ``GET /api/products`` on the backend (wrk).
2. 1,000 WebSocket clients of one customer connected to the gateway; an admin moves one of
   the customer's orders; the time from the request until *every* client has its
   ``notification`` (and each single delivery), over several status changes.
3. Assistant replies per second: ``POST /api/v1/chat`` through the gateway (wrk), and the
   offline classifier alone in this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, free_port, print_table, server, wrk

FODI = [PYTHON, "-m", "fodi"]
JWT_SECRET = "bench-secret-for-the-gateway-0123456789"  # noqa: S105 (a throwaway bench database)
CLIENTS = 1000
ROUNDS = 15
WRK_SECONDS = 8


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "FODI_ENV": "development",
        "FODI_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'bench.db'}",
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def proxy_overhead(backend: str, gateway: str, uncached: str) -> list[list[object]]:
    for url in (
        f"{backend}/api/products",
        f"{gateway}/api/v1/products",
        f"{uncached}/api/v1/products",
    ):
        wrk(url, seconds=2, connections=16, threads=1)  # warm up
    direct = wrk(f"{backend}/api/products", seconds=WRK_SECONDS, connections=32, threads=1)
    rows: list[list[object]] = [
        [
            "backend GET /api/products",
            direct.requests_per_second,
            direct.p50_ms,
            direct.p99_ms,
            direct.errors,
            "1.00",
            "",
            "",
        ],
    ]
    for label, base in (("gateway (1 s menu cache)", gateway), ("gateway (no cache)", uncached)):
        proxied = wrk(f"{base}/api/v1/products", seconds=WRK_SECONDS, connections=32, threads=1)
        ratio = proxied.requests_per_second / direct.requests_per_second
        rows.append(
            [
                f"{label} GET /api/v1/products",
                proxied.requests_per_second,
                proxied.p50_ms,
                proxied.p99_ms,
                proxied.errors,
                f"{ratio:.2f}",
                proxied.p50_ms - direct.p50_ms,
                proxied.p99_ms - direct.p99_ms,
            ]
        )
    return rows  # fmt: skip


async def _fan_out(backend: str, gateway: str, admin_token: str) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=f"{backend}/api", timeout=30) as http:
        customer = (
            await http.post(
                "/auth/register",
                json={"email": "fanout@example.com", "password": "password-123", "name": "Fan"},
            )
        ).json()
        token = customer["token"]
        product = (await http.get("/products")).json()[0]
        orders = []
        for n in range(ROUNDS):
            created = await http.post(
                "/orders",
                headers={"Authorization": f"Bearer {token}"},
                json={"name": "Fan", "phone": "+7 900 000-00-00", "address": f"дом {n}",
                      "items": [{"productId": product["id"], "quantity": 1}]},
            )  # fmt: skip
            orders.append(created.json()["orderId"])

        url = gateway.replace("http://", "ws://") + f"/ws?token={token}"
        sockets = []
        for start in range(0, CLIENTS, 100):  # connect in waves, as a real crowd would
            batch = await asyncio.gather(
                *(websockets.connect(url, max_size=2**20) for _ in range(start, start + 100))
            )
            sockets += batch
        for socket in sockets:
            assert json.loads(await socket.recv())["type"] == "auth_success"

        last_arrivals: list[float] = []
        deliveries: list[float] = []
        for order_id in orders:
            arrivals: list[float] = []

            async def wait_one(socket: websockets.ClientConnection, sink: list[float]) -> None:
                while True:
                    frame = json.loads(await socket.recv())
                    if frame.get("type") == "notification":
                        sink.append(time.perf_counter())
                        return

            waiters = [asyncio.create_task(wait_one(s, arrivals)) for s in sockets]
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            moved = await http.put(
                f"/admin/orders/{order_id}/status",
                headers={"Authorization": f"Bearer {admin_token}"},
                json={"status": "confirmed"},
            )
            moved.raise_for_status()
            await asyncio.wait_for(asyncio.gather(*waiters), 30)
            deliveries += [(t - started) * 1000 for t in arrivals]
            last_arrivals.append((max(arrivals) - started) * 1000)
        await asyncio.gather(*(s.close() for s in sockets))
    return {
        "rounds": float(len(last_arrivals)),
        "all_p50": statistics.median(last_arrivals),
        "all_p99": _percentile(last_arrivals, 99),
        "one_p50": statistics.median(deliveries),
        "one_p99": _percentile(deliveries, 99),
    }


def assistant_throughput(gateway: str, scratch: Path) -> list[list[object]]:
    script = scratch / "chat.lua"
    body = json.dumps(
        {"user_id": "bench", "message": "сколько стоит маргарита"}, ensure_ascii=False
    )
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [[{body}]]\n",
        encoding="utf-8",
    )
    http = wrk(f"{gateway}/api/v1/chat", seconds=WRK_SECONDS, connections=16, threads=1,
               script=script)  # fmt: skip
    from fodi.gateway.assistant.evaluation import load_examples
    from fodi.gateway.assistant.intents import classify

    texts = [e.text for e in load_examples()]
    started = time.perf_counter()
    rounds = 0
    while time.perf_counter() - started < 3:
        for text in texts:
            classify(text)
        rounds += 1
    per_second = rounds * len(texts) / (time.perf_counter() - started)
    return [
        ["POST /api/v1/chat (price question, via HTTP)", http.requests_per_second, http.p50_ms,
         http.p99_ms, http.errors],
        ["offline classifier alone (eval set, 1 core)", per_second, "", "", 0],
    ]  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        scratch = Path(tmp)
        backend_port, gateway_port, uncached_port = free_port(), free_port(), free_port()
        env = _env(scratch)
        subprocess.run([*FODI, "migrate"], env={**os.environ, **env}, cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        subprocess.run([*FODI, "seed-demo"], env={**os.environ, **env}, cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        backend = f"http://127.0.0.1:{backend_port}"
        gateway = f"http://127.0.0.1:{gateway_port}"
        uncached = f"http://127.0.0.1:{uncached_port}"
        gateway_env = {
            **env,
            "ORCHESTRATOR_ENABLED": "false",
            "GO_BACKEND_URL": f"{backend}/api",
        }
        with (
            server([*FODI, "serve", "backend", "--port", str(backend_port)], f"{backend}/health",
                   env=env, log=scratch / "backend.log"),
            server([*FODI, "serve", "gateway", "--port", str(gateway_port)], f"{gateway}/health",
                   env=gateway_env, log=scratch / "gateway.log"),
            server([*FODI, "serve", "gateway", "--port", str(uncached_port)], f"{uncached}/health",
                   env={**gateway_env, "GATEWAY__PRODUCTS_CACHE_SECONDS": "0",
                        "GATEWAY__EVENTS_ENABLED": "false"},
                   log=scratch / "gateway-uncached.log"),
        ):  # fmt: skip
            admin = httpx.post(
                f"{backend}/api/auth/login",
                json={"email": "admin@fodifood.local", "password": "admin12345"},
                timeout=30,
            ).json()["token"]
            for _ in range(100):  # the gateway's event stream must be up before we measure
                if httpx.get(f"{gateway}/api/v1/health").json()["events"] == "connected":
                    break
                time.sleep(0.1)
            overhead = proxy_overhead(backend, gateway, uncached)
            fan_out = asyncio.run(_fan_out(backend, gateway, admin))
            chat = assistant_throughput(gateway, scratch)

    print_table(
        "GET products: gateway vs backend (wrk, 32 connections, 1 thread, 8 s; goal ≥ 0.60)",
        ["path", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "+p50 ms", "+p99 ms"],
        overhead,
    )
    print_table(
        f"Notification fan-out: {CLIENTS} WebSocket clients, "
        f"{int(fan_out['rounds'])} status changes",
        ["measure", "p50 ms", "p99 ms", "goal"],
        [
            ["until every client has it", fan_out["all_p50"], fan_out["all_p99"], "p99 < 250"],
            ["each single delivery", fan_out["one_p50"], fan_out["one_p99"], ""],
        ],
    )
    print_table(
        "Assistant replies (offline engine)",
        ["path", "replies/s", "p50 ms", "p99 ms", "errors"],
        chat,
    )


if __name__ == "__main__":
    main()
