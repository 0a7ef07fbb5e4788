"""A witness (C2SP tlog-witness): cosigns checkpoints it has checked are consistent.

``add_checkpoint`` implements the protocol's request (``old <size>``, the consistency proof
lines, a blank line, the signed checkpoint) and status codes (403 bad log signature, 400 old
above new, 409 stale old size, 422 bad proof, 200 with the cosignature line).  The witness
keeps the latest cosigned checkpoint per origin and its own Ed25519 key in its state directory.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from fodi.franchise.ledger.notes import (
    COSIGNATURE_V1,
    Checkpoint,
    NoteError,
    Verifier,
    cosignature_line,
    public_bytes,
    verify_note,
    vkey,
)
from fodi.franchise.merkle import EMPTY_ROOT, verify_consistency


@dataclass(frozen=True, slots=True)
class WitnessResponse:
    status: int
    body: str


class Witness:
    def __init__(self, name: str, state_dir: Path, log_key: Verifier) -> None:
        self.name = name
        self.dir = state_dir
        self.log_key = log_key
        self.key = self._load_key()

    @property
    def vkey(self) -> str:
        return vkey(self.name, public_bytes(self.key.public_key()), COSIGNATURE_V1)

    def _load_key(self) -> Ed25519PrivateKey:
        path = self.dir / "witness.key"
        if path.exists():
            return Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_text()))
        self.dir.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        path.touch(mode=0o600)
        path.write_text(base64.b64encode(raw).decode())
        return key

    def _latest_path(self) -> Path:
        return self.dir / f"latest-{self.log_key.name.replace('/', '_')}"

    def latest(self) -> Checkpoint | None:
        path = self._latest_path()
        return Checkpoint.parse_text(path.read_text()) if path.exists() else None

    def add_checkpoint(self, request: str, now: int | None = None) -> WitnessResponse:
        try:
            head, _, note = request.partition("\n\n")
            lines = head.split("\n")
            if not lines[0].startswith("old "):
                return WitnessResponse(400, "missing old size\n")
            old = int(lines[0][4:])
            proof = [base64.b64decode(line, validate=True) for line in lines[1:] if line]
            text = verify_note(note, self.log_key)
            checkpoint = Checkpoint.parse_text(text)
        except NoteError as exc:
            return WitnessResponse(403, f"{exc}\n")
        except ValueError as exc:
            return WitnessResponse(400, f"malformed request: {exc}\n")
        if checkpoint.origin != self.log_key.name:
            return WitnessResponse(404, "unknown origin\n")
        if old > checkpoint.size:
            return WitnessResponse(400, "old size is above the checkpoint's\n")
        latest = self.latest()
        known = latest.size if latest else 0
        if old != known:
            return WitnessResponse(409, f"{known}\n")
        if latest is None:
            if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
                return WitnessResponse(422, "an empty tree has the empty root\n")
        elif not verify_consistency(old, checkpoint.size, latest.root, checkpoint.root, proof):
            return WitnessResponse(422, "consistency proof does not verify\n")
        temporary = self._latest_path().with_suffix(".tmp")
        temporary.write_text(checkpoint.text())
        temporary.replace(self._latest_path())
        line = cosignature_line(checkpoint.text(), self.name, self.key, now or int(time.time()))
        return WitnessResponse(200, line)


def request_body(old: int, proof: list[str], note: str) -> str:
    return "".join([f"old {old}\n", *(f"{p}\n" for p in proof), "\n", note])
