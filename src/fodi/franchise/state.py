"""What one process of the service holds: settings, keys, the ledger cache, the key cache."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fodi.core.settings import Settings
from fodi.franchise.auth.service import KeyResolver
from fodi.franchise.config import FranchiseSettings
from fodi.franchise.ledger.service import Ledger
from fodi.franchise.wallets.hd import Keyring


@dataclass(slots=True)
class FranchiseState:
    settings: Settings
    keyring: Keyring
    ledger: Ledger
    keys: KeyResolver
    code_key: bytes  # keys the activation codes (derived from the ledger secret)

    @property
    def config(self) -> FranchiseSettings:
        return self.settings.franchise

    @property
    def expiry_wallet(self) -> str:
        return self.settings.franchise.expiry_wallet or self.keyring.charity_address

    def activation_code(self, check_id: str) -> str:
        """The check's 6-digit code: derived, so a replayed sale can answer it again."""
        digest = hmac.new(self.code_key, b"code:" + check_id.encode(), hashlib.sha256).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"

    def code_hash(self, check_id: str, code: str) -> str:
        return hmac.new(self.code_key, f"{check_id}:{code}".encode(), hashlib.sha256).hexdigest()
