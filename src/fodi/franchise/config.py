"""The franchise service's settings section (environment: ``FRANCHISE__NAME``).

Splits are basis points per party (``owner``, ``royalty``, ``buyer``), in tie-break order, and
must sum to exactly 10,000; a wrong split stops the service at start-up, not at the first sale.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from fodi.core.sections import ServiceSection
from fodi.franchise.tokenomics import validate_split

PARTIES = frozenset({"owner", "royalty", "buyer"})


class Tokenomics(BaseModel):
    """How many units a sale mints and who gets them (defaults: the original's)."""

    mint_mode: Literal["fixed", "proportional"] = "fixed"
    units_per_sale: int = Field(default=100, ge=0)
    # proportional mode: units = price_subunits * units_per_subunit_bps // 10_000
    units_per_subunit_bps: int = Field(default=10_000, ge=0)
    owner_node_split: dict[str, int] = {"owner": 5_100, "buyer": 4_900}
    franchise_node_split: dict[str, int] = {"owner": 4_800, "royalty": 300, "buyer": 4_900}
    genesis_units: int = Field(default=100, ge=0)

    @field_validator("owner_node_split", "franchise_node_split")
    @classmethod
    def _valid_split(cls, split: dict[str, int]) -> dict[str, int]:
        unknown = set(split) - PARTIES
        if unknown:
            raise ValueError(f"unknown parties {sorted(unknown)}; use {sorted(PARTIES)}")
        validate_split("split", split)
        return split


class FranchiseSettings(ServiceSection):
    port: int = 8300
    # The log's origin line and signing key name (a schema-less URL, C2SP tlog-checkpoint).
    origin: str = "fodifood.dev/franchise-ledger"
    tokenomics: Tokenomics = Tokenomics()
    min_price_subunits: int = Field(default=1, ge=0)
    max_price_subunits: int = Field(default=100_000_000, ge=1)  # 1,000,000 GEL
    max_items: int = Field(default=200, ge=1)
    check_expiry_days: int = Field(default=30, ge=1)
    # Where expired checks go; empty means the charity wallet m/44'/60'/4'/0/0.
    expiry_wallet: str = ""
    expiry_interval_seconds: float = Field(default=60.0, ge=0)  # 0: no background expiry
    check_max_attempts: int = Field(default=5, ge=1)
    # RecordSale group commit: concurrent sales share one transaction and one checkpoint.
    batch_sales: bool = True
    batch_max: int = Field(default=500, ge=1)
    batch_linger_ms: float = Field(default=5.0, ge=0, le=1000)
    key_cache_seconds: float = Field(default=5.0, ge=0)
    ledger_secret: SecretStr | None = None  # FRANCHISE__LEDGER_SECRET protects the signing key

    @field_validator("origin")
    @classmethod
    def _valid_origin(cls, origin: str) -> str:
        if not origin or any(c.isspace() or c == "+" for c in origin):
            raise ValueError("the origin has no spaces and no '+'")
        return origin

    @model_validator(mode="after")
    def _price_bounds(self) -> FranchiseSettings:
        if self.min_price_subunits > self.max_price_subunits:
            raise ValueError("min_price_subunits is above max_price_subunits")
        return self
