"""The service's keys: account xpubs (public) and the Ed25519 checkpoint key, sealed at rest.

The signing key is encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from
``FRANCHISE__LEDGER_SECRET`` (or, outside production, a secret generated once under
``var/secrets``).  The mnemonic that produced the xpubs is never stored.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from fodi.core.settings import Settings
from fodi.franchise.ledger.notes import public_bytes
from fodi.franchise.wallets.hd import Account, Keyring
from fodi.franchise.wallets.models import FranchiseKeyring

_INFO = b"fodi franchise ledger signing key v1"


class KeyringError(RuntimeError):
    pass


def _aead(settings: Settings) -> AESGCM:
    secret = settings.secret("FRANCHISE__LEDGER_SECRET", settings.franchise.ledger_secret)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return AESGCM(key)


def seal(settings: Settings, key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    nonce = os.urandom(12)
    return base64.b64encode(nonce + _aead(settings).encrypt(nonce, raw, _INFO)).decode()


def unseal(settings: Settings, sealed: str) -> Ed25519PrivateKey:
    data = base64.b64decode(sealed)
    try:
        raw = _aead(settings).decrypt(data[:12], data[12:], _INFO)
    except InvalidTag as exc:
        raise KeyringError(
            "cannot unseal the ledger signing key: FRANCHISE__LEDGER_SECRET changed?"
        ) from exc
    return Ed25519PrivateKey.from_private_bytes(raw)


@dataclass(frozen=True, slots=True)
class LoadedKeyring:
    keyring: Keyring
    signing_key: Ed25519PrivateKey


def new_row(
    settings: Settings, xpubs: dict[Account, str]
) -> tuple[FranchiseKeyring, Ed25519PrivateKey]:
    signing_key = Ed25519PrivateKey.generate()
    row = FranchiseKeyring(
        id=1,
        xpubs={a.name.lower(): x for a, x in xpubs.items()},
        signing_public_key=public_bytes(signing_key.public_key()).hex(),
        signing_key_sealed=seal(settings, signing_key),
    )
    return row, signing_key


def load_row(settings: Settings, row: FranchiseKeyring) -> LoadedKeyring:
    xpubs = {Account[name.upper()]: str(x) for name, x in row.xpubs.items()}
    key = unseal(settings, row.signing_key_sealed)
    if public_bytes(key.public_key()).hex() != row.signing_public_key:
        raise KeyringError("the sealed signing key does not match its public key")
    return LoadedKeyring(Keyring(xpubs), key)
