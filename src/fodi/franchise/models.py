"""Every table of the franchise service (imported by the migrations' metadata)."""

from fodi.franchise.auth.models import FranchiseApiKey
from fodi.franchise.ledger.models import (
    FranchiseCheckpoint,
    FranchiseLedgerEntry,
    FranchiseLedgerHead,
)
from fodi.franchise.network.models import FranchiseNode, FranchisePos
from fodi.franchise.sales.models import FranchiseSale
from fodi.franchise.wallets.models import (
    FranchiseCheck,
    FranchiseKeyring,
    FranchisePosting,
    FranchiseWallet,
)

__all__ = [
    "FranchiseApiKey",
    "FranchiseCheck",
    "FranchiseCheckpoint",
    "FranchiseKeyring",
    "FranchiseLedgerEntry",
    "FranchiseLedgerHead",
    "FranchiseNode",
    "FranchisePos",
    "FranchisePosting",
    "FranchiseSale",
    "FranchiseWallet",
]
