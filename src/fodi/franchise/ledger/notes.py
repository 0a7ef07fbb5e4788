"""C2SP signed notes: checkpoints (tlog-checkpoint) and witness cosignatures (tlog-cosignature).

A note is UTF-8 text ending in a newline, a blank line, then signature lines
``— <key name> <base64(4-byte key ID || signature)>``.  Ed25519 log keys have type 0x01 and
sign the text; Ed25519 cosignatures have type 0x04 and sign
``cosignature/v1\\ntime <t>\\n<checkpoint text>`` with an 8-byte big-endian timestamp before the
signature.  Key ID = ``SHA-256(name || 0x0A || type || public key)[:4]``.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014 "


class NoteError(ValueError):
    pass


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def vkey(name: str, public_key: bytes, key_type: int = ED25519) -> str:
    """The verifier key text ``<name>+<hex key ID>+<base64(type || public key)>``."""
    encoded = base64.b64encode(bytes([key_type]) + public_key).decode()
    return f"{name}+{key_id(name, key_type, public_key).hex()}+{encoded}"


@dataclass(frozen=True, slots=True)
class Verifier:
    name: str
    key_type: int
    public_key: Ed25519PublicKey
    id: bytes

    @classmethod
    def parse(cls, text: str) -> Verifier:
        try:
            name, hex_id, encoded = text.strip().split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
            key_type, key = raw[0], raw[1:]
            public_key = Ed25519PublicKey.from_public_bytes(key)
        except (ValueError, IndexError) as exc:
            raise NoteError("malformed verifier key") from exc
        if key_type not in (ED25519, COSIGNATURE_V1) or key_id(name, key_type, key).hex() != hex_id:
            raise NoteError("verifier key id does not match its key")
        return cls(name, key_type, public_key, bytes.fromhex(hex_id))


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint has an origin, a size and a root hash")
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
            raise NoteError("malformed tree size")
        try:
            root = base64.b64decode(root_text, validate=True)
        except ValueError as exc:
            raise NoteError("malformed root hash") from exc
        if len(root) != 32 or not origin:
            raise NoteError("malformed checkpoint")
        return cls(origin, int(size_text), root)


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The signed text and its ``(key name, key ID || signature)`` lines."""
    if not note.endswith("\n") or "\n\n" not in note:
        raise NoteError("a signed note is text, a blank line and signature lines")
    cut = note.rindex("\n\n")
    text, signature_block = note[: cut + 1], note[cut + 2 :]
    signatures: list[tuple[str, bytes]] = []
    for line in signature_block.splitlines():
        if not line.startswith(DASH):
            raise NoteError("malformed signature line")
        name, _, encoded = line[len(DASH) :].rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise NoteError("malformed signature") from exc
        if len(raw) < 5 or not name:
            raise NoteError("malformed signature")
        signatures.append((name, raw))
    if not signatures:
        raise NoteError("the note carries no signature")
    return text, signatures


def sign_note(text: str, name: str, key: Ed25519PrivateKey) -> str:
    public = public_bytes(key.public_key())
    signature = key_id(name, ED25519, public) + key.sign(text.encode())
    return f"{text}\n{DASH}{name} {base64.b64encode(signature).decode()}\n"


def verify_note(note: str, verifier: Verifier) -> str:
    """The note's text if ``verifier``'s Ed25519 signature on it is valid; else NoteError."""
    text, signatures = split_note(note)
    found = False
    for name, raw in signatures:
        if name != verifier.name or raw[:4] != verifier.id:
            continue  # unknown keys are ignored, as the spec says
        try:
            verifier.public_key.verify(raw[4:], text.encode())
        except InvalidSignature as exc:
            raise NoteError(f"bad signature by {name}") from exc
        found = True
    if not found:
        raise NoteError(f"no signature by {verifier.name}")
    return text


def _cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def cosignature_line(
    checkpoint_text: str, name: str, key: Ed25519PrivateKey, timestamp: int
) -> str:
    """A tlog-cosignature/v1 line (type 0x04) over a checkpoint's text."""
    public = public_bytes(key.public_key())
    body = struct.pack(">Q", timestamp) + key.sign(_cosigned_message(checkpoint_text, timestamp))
    raw = key_id(name, COSIGNATURE_V1, public) + body
    return f"{DASH}{name} {base64.b64encode(raw).decode()}\n"


def verify_cosignature(note: str, verifier: Verifier) -> int:
    """The timestamp of ``verifier``'s valid cosignature on the note; NoteError otherwise."""
    text, signatures = split_note(note)
    for name, raw in signatures:
        if name == verifier.name and raw[:4] == verifier.id and len(raw) == 4 + 8 + 64:
            (timestamp,) = struct.unpack(">Q", raw[4:12])
            try:
                verifier.public_key.verify(raw[12:], _cosigned_message(text, timestamp))
            except InvalidSignature as exc:
                raise NoteError(f"bad cosignature by {name}") from exc
            return int(timestamp)
    raise NoteError(f"no cosignature by {verifier.name}")
