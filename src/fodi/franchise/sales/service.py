"""RecordSale: parse and validate a command, compute the minting.  Pure where it can be."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from fodi.core.errors import BadRequest
from fodi.franchise.config import FranchiseSettings
from fodi.franchise.tokenomics import allocate_split, proportional_units

MAX_TEXT = 128
MAX_BUYER_META = 1024
MAX_QUANTITY = 10_000


@dataclass(frozen=True, slots=True)
class SaleItem:
    item_id: str
    quantity: int
    price_subunits: int  # the line's total

    def json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "quantity": self.quantity,
            "price_subunits": self.price_subunits,
        }


@dataclass(frozen=True, slots=True)
class SaleCommand:
    node_id: int
    sale_id: str
    price_subunits: int
    buyer_meta: str
    pos_id: str
    items: tuple[SaleItem, ...]
    content_hash: str = field(default="", compare=False)


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be an integer")
    return value


def _text(value: Any, name: str, limit: int = MAX_TEXT, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()) or len(value) > limit:
        raise BadRequest(f"{name} must be a non-empty string of at most {limit} characters")
    return value


def parse_sale(payload: Any, settings: FranchiseSettings) -> SaleCommand:
    """A RecordSale command, checked field by field (absurd values refused, items add up)."""
    if not isinstance(payload, dict):
        raise BadRequest("RecordSale takes an object")
    known = {"node_id", "sale_id", "price_subunits", "buyer_meta", "pos_id", "items"}
    missing = known - set(payload)
    if missing:
        raise BadRequest(f"RecordSale is missing {', '.join(sorted(missing))}")
    node_id = _int(payload["node_id"], "node_id")
    price = _int(payload["price_subunits"], "price_subunits")
    if not settings.min_price_subunits <= price <= settings.max_price_subunits:
        raise BadRequest(
            f"price_subunits must be between {settings.min_price_subunits} and "
            f"{settings.max_price_subunits}"
        )
    raw_items = payload["items"]
    if not isinstance(raw_items, list) or len(raw_items) > settings.max_items:
        raise BadRequest(f"items must be a list of at most {settings.max_items} items")
    items = tuple(_item(raw, i) for i, raw in enumerate(raw_items))
    if items and sum(item.price_subunits for item in items) != price:
        total = sum(item.price_subunits for item in items)
        raise BadRequest(f"Items add up to {total} subunits, not the sale's {price}")
    command = SaleCommand(
        node_id=node_id,
        sale_id=_text(payload["sale_id"], "sale_id"),
        price_subunits=price,
        buyer_meta=_text(payload["buyer_meta"], "buyer_meta", MAX_BUYER_META, empty=True),
        pos_id=_text(payload["pos_id"], "pos_id"),
        items=items,
    )
    return SaleCommand(**{**_fields(command), "content_hash": content_hash(command)})


def _fields(command: SaleCommand) -> dict[str, Any]:
    return {
        "node_id": command.node_id,
        "sale_id": command.sale_id,
        "price_subunits": command.price_subunits,
        "buyer_meta": command.buyer_meta,
        "pos_id": command.pos_id,
        "items": command.items,
    }


def _item(raw: Any, position: int) -> SaleItem:
    where = f"items[{position}]"
    if not isinstance(raw, dict):
        raise BadRequest(f"{where} must be an object")
    quantity = _int(raw.get("quantity"), f"{where}.quantity")
    price = _int(raw.get("price_subunits"), f"{where}.price_subunits")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BadRequest(f"{where}.quantity must be between 1 and {MAX_QUANTITY}")
    if price < 0:
        raise BadRequest(f"{where}.price_subunits must not be negative")
    return SaleItem(_text(raw.get("item_id"), f"{where}.item_id"), quantity, price)


def content_hash(command: SaleCommand) -> str:
    """What makes two RecordSale commands 'the same sale' (for replays).

    The bytes are those of ``json.dumps(body, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` in UTF-8, which the stored hashes of earlier sales were made from;
    orjson writes the same bytes (a test holds it to that) at a fraction of the cost.
    """
    body = {**_fields(command), "items": [item.json() for item in command.items]}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class Minting:
    minted_units: int
    owner_units: int
    buyer_units: int
    royalty_units: int
    split_bps: dict[str, int]


def compute_minting(node_type: str, price_subunits: int, settings: FranchiseSettings) -> Minting:
    tokenomics = settings.tokenomics
    if tokenomics.mint_mode == "proportional":
        units = proportional_units(price_subunits, tokenomics.units_per_subunit_bps)
    else:
        units = tokenomics.units_per_sale
    split = tokenomics.owner_node_split if node_type == "OWNER" else tokenomics.franchise_node_split
    shares = allocate_split(units, split)
    return Minting(
        minted_units=units,
        owner_units=shares.get("owner", 0),
        buyer_units=shares.get("buyer", 0),
        royalty_units=shares.get("royalty", 0),
        split_bps=dict(split),
    )
