"""Unit allocation: splits in basis points, allocated by the largest-remainder method.

Each split names its parties in a fixed order, which is also the tie-break order for the
leftover units, so any verifier re-running :func:`allocate` on a ledger entry gets the same
integers.  Nothing is lost to rounding: the parts always sum to the whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

BPS_TOTAL = 10_000


class SplitError(ValueError):
    """A split that does not describe exactly 100 % (or has a negative part)."""


def validate_split(name: str, split: Mapping[str, int]) -> None:
    if not split:
        raise SplitError(f"split {name!r} is empty")
    if any(not isinstance(bps, int) or bps < 0 for bps in split.values()):
        raise SplitError(f"split {name!r} has a negative or non-integer part: {dict(split)}")
    total = sum(split.values())
    if total != BPS_TOTAL:
        raise SplitError(
            f"split {name!r} sums to {total} basis points; it must be exactly {BPS_TOTAL}"
        )


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` units in proportion to ``weights`` (largest remainder, ties by order).

    Every part is the floor or the ceiling of its exact quota, and the parts sum to ``total``.
    """
    if total < 0:
        raise ValueError("cannot allocate a negative total")
    weight_sum = sum(weights)
    if weight_sum <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    parts: list[int] = []
    remainders: list[tuple[int, int]] = []
    for position, weight in enumerate(weights):
        quotient, remainder = divmod(total * weight, weight_sum)
        parts.append(quotient)
        remainders.append((-remainder, position))
    left = total - sum(parts)
    for _, position in sorted(remainders)[:left]:
        parts[position] += 1
    return parts


def allocate_split(total: int, split: Mapping[str, int]) -> dict[str, int]:
    """``allocate`` over a named split, keeping the split's party order."""
    names = list(split)
    return dict(zip(names, allocate(total, [split[n] for n in names]), strict=True))


def proportional_units(price_subunits: int, units_per_price_subunit_bps: int) -> int:
    """Units minted for a price when minting is proportional (integer floor, documented)."""
    return price_subunits * units_per_price_subunit_bps // BPS_TOTAL
