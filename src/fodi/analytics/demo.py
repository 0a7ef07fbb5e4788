"""Realistic, deterministic demo payments for a restaurant chain in several currencies.

The same ``--seed`` and ``--end`` always give the same rows (external ids ``demo_<seed>_<n>``,
so running it twice adds nothing).  Each location has its own currency — KGS, KZT, JPY (a
zero-decimal currency), USD and EUR — so money answers come per currency; traffic peaks at
lunch and dinner and on weekends; about 7% of payments fail, 6% of successful ones are
refunded in full or in part.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from fodi.analytics.money import exponent
from fodi.analytics.store import PaymentRow

LOCATIONS: tuple[tuple[str, str, int, int, float], ...] = (
    # name, currency, typical bill low/high in major units, share of traffic
    ("Bishkek", "KGS", 350, 2500, 0.26),
    ("Osh", "KGS", 300, 1800, 0.12),
    ("Almaty", "KZT", 2500, 18000, 0.2),
    ("Tokyo", "JPY", 900, 7000, 0.14),
    ("New York", "USD", 12, 95, 0.16),
    ("Berlin", "EUR", 10, 80, 0.12),
)
STATUSES = (("succeeded", 0.88), ("failed", 0.07), ("pending", 0.03), ("canceled", 0.02))
METHODS = (("card", 0.6), ("apple_pay", 0.14), ("google_pay", 0.1), ("cash", 0.1), ("qr", 0.06))
BRANDS = (
    ("visa", 0.46),
    ("mastercard", 0.34),
    ("amex", 0.08),
    ("unionpay", 0.05),
    ("mir", 0.04),
    ("jcb", 0.03),
)
HOUR_WEIGHTS = (
    1, 1, 1, 1, 1, 1, 2, 4, 6, 5, 5, 8, 14, 13, 8, 6, 6, 9, 14, 15, 12, 8, 4, 2,
)  # fmt: skip
CHANNELS = ("dine_in", "delivery", "takeaway")


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in table], weights=[w for _, w in table])[0]


def demo_rows(
    count: int, *, seed: int = 42, end: datetime | None = None, days: int = 800
) -> Iterator[PaymentRow]:
    """``count`` payments spread over the ``days`` before ``end`` (UTC)."""
    rng = random.Random(seed)  # noqa: S311 (demo data must repeat for a seed; no secret here)
    end = (end or datetime.now(UTC)).astimezone(UTC)
    start = end - timedelta(days=days)
    customers = max(count // 8, 10)
    location_weights = [loc[4] for loc in LOCATIONS]
    id_namespace = uuid.UUID(int=seed)
    for number in range(count):
        name, currency, low, high, _ = rng.choices(LOCATIONS, weights=location_weights)[0]
        created = _moment(rng, start, days)
        if created >= end:
            created = end - timedelta(seconds=1 + number % 3600)
        digits = exponent(currency)
        major = rng.uniform(low, high) * (6 if rng.random() < 0.02 else 1)  # catering orders
        amount = max(int(round(major, 2 if digits else 0) * 10**digits), 1)
        if digits == 0:
            amount = int(round(major, -1))
        status = _pick(rng, STATUSES)
        refunded = 0
        if status == "succeeded":
            roll = rng.random()
            if roll < 0.04:
                refunded = amount
            elif roll < 0.06:
                refunded = amount * rng.randint(1, 9) // 10
        method = _pick(rng, METHODS)
        brand = None
        if method in ("card", "apple_pay", "google_pay"):
            brand = _pick(rng, BRANDS)
            if brand == "jcb" and currency != "JPY":
                brand = "visa"
        customer = rng.randrange(customers)
        fee = (amount * 29 // 1000 + (30 if digits else 0)) if method != "cash" else 0
        if status != "succeeded":
            fee = 0
        yield (
            str(uuid.uuid5(id_namespace, str(number))),
            f"demo_{seed}_{number}",
            created,
            amount,
            refunded,
            currency,
            status,
            f"cus_{seed:x}{customer:06d}",
            f"guest{customer}@example.com",
            brand,
            method,
            name,
            f"Order #{number + 1} at FodiFood {name}",
            fee,
            {"location": name, "channel": rng.choice(CHANNELS)},
            None,
            "demo",
        )


def _moment(rng: random.Random, start: datetime, days: int) -> datetime:
    day = rng.randrange(days)
    moment = start + timedelta(days=day)
    # Weekends are busier: redraw a weekday now and then.
    if moment.weekday() < 5 and rng.random() < 0.15:
        moment += timedelta(days=5 - moment.weekday())
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    return moment.replace(
        hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0
    )
