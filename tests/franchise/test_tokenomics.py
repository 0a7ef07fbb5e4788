"""Largest-remainder allocation (hypothesis) and the splits' validation at start-up."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from fodi.core.errors import BadRequest
from fodi.franchise.config import FranchiseSettings, Tokenomics
from fodi.franchise.sales.service import compute_minting, content_hash, parse_sale
from fodi.franchise.tokenomics import BPS_TOTAL, allocate, allocate_split


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10_000), min_size=1, max_size=6))
def test_parts_always_sum_to_the_whole_and_stay_within_quota(
    total: int, weights: list[int]
) -> None:
    if sum(weights) == 0:
        weights[0] = 1
    parts = allocate(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        quota = Fraction(total * weight, sum(weights))
        assert quota - 1 < part < quota + 1
        if weight == 0:
            assert part == 0


@given(
    st.integers(0, 10**9),
    st.sampled_from(["OWNER", "FRANCHISE"]),
    st.sampled_from(["fixed", "proportional"]),
)
def test_minting_splits_sum_to_the_minted_units(price: int, node_type: str, mode: str) -> None:
    settings = FranchiseSettings(tokenomics=Tokenomics(mint_mode=mode))
    minting = compute_minting(node_type, price, settings)
    assert minting.owner_units + minting.buyer_units + minting.royalty_units == minting.minted_units
    if mode == "proportional":
        assert minting.minted_units == price


def test_examples_from_the_research() -> None:
    assert allocate(100, [3333, 3333, 3334]) == [33, 33, 34]
    assert allocate(1, [5000, 3000, 2000]) == [1, 0, 0]
    assert allocate(5, [5000, 5000]) == [3, 2]
    assert allocate_split(100, {"owner": 4800, "royalty": 300, "buyer": 4900}) == {
        "owner": 48,
        "royalty": 3,
        "buyer": 49,
    }
    assert allocate_split(7, {"owner": 4800, "royalty": 300, "buyer": 4900}) == {
        "owner": 3,
        "royalty": 0,
        "buyer": 4,
    }


@pytest.mark.parametrize(
    "split",
    [
        {"owner": 5000, "buyer": 4000},
        {"owner": 5100, "buyer": 4900, "royalty": 1},
        {"owner": -100, "buyer": 10100},
        {"owner": 5000, "cook": 5000},
    ],
)
def test_bad_splits_stop_the_service_at_start_up(split: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        Tokenomics(owner_node_split=split)
    assert sum(Tokenomics().franchise_node_split.values()) == BPS_TOTAL


def test_bad_split_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from fodi.core.settings import Settings

    monkeypatch.setenv("FRANCHISE__TOKENOMICS__OWNER_NODE_SPLIT", '{"owner": 6000, "buyer": 3000}')
    with pytest.raises(ValidationError, match="10000"):
        Settings()


@given(
    sale_id=st.text(min_size=1, max_size=40),
    buyer=st.text(max_size=60),
    item=st.text(min_size=1, max_size=30),
    price=st.integers(min_value=1, max_value=10**9),
)
def test_a_sale_hashes_as_it_always_did(sale_id: str, buyer: str, item: str, price: int) -> None:
    """Replays compare against hashes stored by earlier versions: the bytes must not change."""
    payload = {
        "node_id": 1,
        "sale_id": sale_id.strip() or "s",
        "price_subunits": price,
        "buyer_meta": buyer,
        "pos_id": "pos_1",
        "items": [{"item_id": item.strip() or "i", "quantity": 1, "price_subunits": price}],
    }
    try:
        command = parse_sale(payload, FranchiseSettings())
    except BadRequest:
        return  # refused input has no hash
    body = {
        "node_id": command.node_id,
        "sale_id": command.sale_id,
        "price_subunits": command.price_subunits,
        "buyer_meta": command.buyer_meta,
        "pos_id": command.pos_id,
        "items": [item.json() for item in command.items],
    }
    reference = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert content_hash(command) == hashlib.sha256(reference.encode()).hexdigest()
