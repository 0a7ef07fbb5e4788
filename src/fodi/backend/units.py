"""Exact quantities: money in minor units (kopecks/cents), stock in thousandths of a unit.

The database and every calculation use integers; JSON shows decimals as the original did
(``price: 450.0``), converted only at the edge.
"""

from __future__ import annotations

from decimal import Decimal

MINOR_PER_MAJOR = 100
MILLI_PER_UNIT = 1000


def to_minor(amount: Decimal) -> int:
    """450.5 → 45050 (the schemas already refuse more than two decimal places)."""
    return int((amount * MINOR_PER_MAJOR).to_integral_value())


def from_minor(minor: int) -> float:
    """45050 → 450.5, for JSON only."""
    return minor / MINOR_PER_MAJOR


def to_milli(quantity: Decimal) -> int:
    return int((quantity * MILLI_PER_UNIT).to_integral_value())


def from_milli(milli: int) -> float:
    return milli / MILLI_PER_UNIT
