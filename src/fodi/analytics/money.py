"""Currencies and money: amounts are integers in minor units; exponents say how many digits.

Zero-decimal currencies (JPY, KRW, ...) have exponent 0, three-decimal ones (KWD, BHD, ...)
have 3, every other ISO currency 2 (Stripe's list).  Conversions are exact (``Decimal``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

ZERO_DECIMAL = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF",
        "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# The currencies seeded into the analytics_currencies table (any other ISO code gets 2).
KNOWN_CURRENCIES = (
    "USD", "EUR", "GBP", "KGS", "KZT", "RUB", "UZS", "CHF", "CAD", "AUD", "CNY", "INR", "TRY",
    *sorted(ZERO_DECIMAL), *sorted(THREE_DECIMAL),
)  # fmt: skip

SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₽": "RUB", "₸": "KZT", "₩": "KRW"}


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in its currency's minor units."""


def exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor(amount: str | Decimal, currency: str) -> int:
    """``"12.50"`` USD → 1250; refuses anything that is not exact in the currency."""
    try:
        value = Decimal(amount) if isinstance(amount, str) else amount
    except InvalidOperation as exc:
        raise MoneyError(f"{amount!r} is not a number") from exc
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not a number")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more decimals than {currency.upper()} allows")
    return int(scaled)


def to_major(minor: int | Decimal, currency: str) -> Decimal:
    """1250 USD → Decimal("12.50"); 1250 JPY → Decimal("1250")."""
    digits = exponent(currency)
    value = Decimal(minor).scaleb(-digits)
    return value.quantize(Decimal(1).scaleb(-digits))
