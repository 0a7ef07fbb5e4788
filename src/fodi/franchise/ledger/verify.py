"""What a franchise node runs against the log: ``fodi ledger verify URL``.

1. the latest checkpoint's signature, against the network's key (given, or pinned on first use);
2. consistency with the last checkpoint this verifier saw (kept in its state directory), so
   the log can only have grown;
3. inclusion of random entries (their bytes hashed here, their proofs from the log);
4. with ``full``: every entry downloaded, checked (canonical form, postings summing to zero,
   splits adding up) and the whole tree recomputed.  On a mismatch the signed checkpoint
   history brackets the damage and inclusion proofs name the first bad index.
"""

from __future__ import annotations

import base64
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fodi.franchise.ledger.canonical import NotCanonical, parse_entry
from fodi.franchise.ledger.notes import Checkpoint, NoteError, Verifier, verify_note
from fodi.franchise.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion

API = "/api/v1/ledger"
PAGE = 50_000


class VerificationFailed(Exception):
    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


@dataclass
class Report:
    origin: str
    size: int
    root: str
    previous_size: int | None = None
    spot_checked: list[int] = field(default_factory=list)
    full: bool = False


class StateDir:
    """The verifier's memory: the pinned key and the last verified checkpoint."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, name: str) -> str | None:
        file = self.path / name
        return file.read_text() if file.exists() else None

    def write(self, name: str, text: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        temporary = self.path / f".{name}.tmp"
        temporary.write_text(text)
        temporary.replace(self.path / name)  # atomic: never a half-written checkpoint


async def _data(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params)
    body = response.json()
    if response.status_code != 200 or not body.get("success"):
        raise VerificationFailed(f"{path}: {body.get('error') or response.status_code}")
    return body["data"]


def _proof(items: list[str]) -> list[bytes]:
    return [base64.b64decode(p) for p in items]


async def fetch_bundle(client: httpx.AsyncClient, start: int, end: int) -> list[tuple[int, bytes]]:
    response = await client.get(f"{API}/entries/bundle", params={"start": start, "end": end})
    if response.status_code != 200:
        raise VerificationFailed(f"cannot read entries {start}..{end}: {response.status_code}")
    data, offset, out = response.content, 0, []
    while offset < len(data):
        index, length = struct.unpack_from(">QI", data, offset)
        offset += 12
        out.append((index, data[offset : offset + length]))
        offset += length
    return out


async def signed_checkpoint(
    client: httpx.AsyncClient, verifier: Verifier
) -> tuple[Checkpoint, str]:
    note = (await _data(client, f"{API}/checkpoint"))["note"]
    try:
        checkpoint = Checkpoint.parse_text(verify_note(note, verifier))
    except NoteError as exc:
        raise VerificationFailed(f"checkpoint signature: {exc}") from exc
    if checkpoint.origin != verifier.name:
        raise VerificationFailed(f"checkpoint origin {checkpoint.origin!r} is not the key's")
    return checkpoint, note


async def resolve_verifier(
    client: httpx.AsyncClient, state: StateDir, vkey: str | None
) -> Verifier:
    pinned = state.read("vkey")
    if vkey and pinned and vkey.strip() != pinned.strip():
        raise VerificationFailed("the given key differs from the one pinned in the state directory")
    text = vkey or pinned or (await _data(client, f"{API}/key"))["vkey"]
    try:
        verifier = Verifier.parse(text)
    except NoteError as exc:
        raise VerificationFailed(str(exc)) from exc
    if not pinned:
        state.write("vkey", text.strip() + "\n")
    return verifier


async def check_consistency(
    client: httpx.AsyncClient, previous: Checkpoint, current: Checkpoint
) -> None:
    if current.size < previous.size:
        raise VerificationFailed(
            f"the log shrank from {previous.size} to {current.size} entries", previous.size - 1
        )
    data = await _data(client, f"{API}/proof/consistency", first=previous.size, second=current.size)
    if not verify_consistency(
        previous.size, current.size, previous.root, current.root, _proof(data["proof"])
    ):
        raise VerificationFailed(
            f"checkpoint {current.size} is not consistent with the last seen ({previous.size})"
        )


async def spot_check(
    client: httpx.AsyncClient, checkpoint: Checkpoint, samples: int, rng: random.Random
) -> list[int]:
    if checkpoint.size == 0:
        return []
    chosen = sorted(rng.sample(range(checkpoint.size), min(samples, checkpoint.size)))
    for index in chosen:
        entries = await fetch_bundle(client, index, index + 1)
        if not entries or entries[0][0] != index:
            raise VerificationFailed(f"entry {index} is missing", index)
        data = await _data(client, f"{API}/proof/inclusion", index=index, tree_size=checkpoint.size)
        if not verify_inclusion(
            index, checkpoint.size, leaf_hash(entries[0][1]), _proof(data["proof"]), checkpoint.root
        ):
            raise VerificationFailed(f"entry {index} is not in the signed tree", index)
    return chosen


def check_entry(index: int, body: bytes) -> None:
    """An entry's own rules: canonical bytes, postings summing to zero, splits adding up."""
    try:
        entry = parse_entry(body)
    except NotCanonical as exc:
        raise VerificationFailed(f"entry {index} is not canonical: {exc}", index) from exc
    postings = entry.get("postings")
    if postings is not None and sum(int(amount) for _, amount in postings) != 0:
        raise VerificationFailed(f"entry {index}: postings do not sum to zero", index)
    if entry.get("type") == "sale_minted":
        parts = entry["owner_units"] + entry["buyer_units"] + entry["royalty_units"]
        if parts != entry["minted_units"]:
            raise VerificationFailed(f"entry {index}: the split does not add up", index)


async def full_check(
    client: httpx.AsyncClient,
    verifier: Verifier,
    checkpoint: Checkpoint,
    progress: Callable[[int], None] | None = None,
    page: int = PAGE,
) -> None:
    tree = MerkleTree()
    for start in range(0, checkpoint.size, page):
        end = min(checkpoint.size, start + page)
        entries = await fetch_bundle(client, start, end)
        for expected, (index, body) in enumerate(entries, start):
            if index != expected:
                raise VerificationFailed(f"entry {expected} is missing", expected)
            check_entry(index, body)
            tree.append(leaf_hash(body))
        if tree.size != end:
            raise VerificationFailed(f"entry {tree.size} is missing", tree.size)
        if progress is not None:
            progress(end)
    if tree.root() != checkpoint.root:
        index = await locate_damage(client, verifier, tree, checkpoint)
        raise VerificationFailed(f"entry {index} does not match the signed log", index)


async def locate_damage(
    client: httpx.AsyncClient, verifier: Verifier, tree: MerkleTree, checkpoint: Checkpoint
) -> int:
    """The first index whose recomputed leaf disagrees with what the log signed."""
    good, bad = 0, checkpoint
    after = -1
    while True:  # the first signed checkpoint the recomputed tree disagrees with
        rows = await _data(client, f"{API}/checkpoints", after=after, limit=10_000)
        if not rows:
            break
        for row in rows:
            try:
                signed = Checkpoint.parse_text(verify_note(row["note"], verifier))
            except NoteError:
                continue  # an unsigned or forged history line proves nothing
            if signed.size > checkpoint.size:
                break
            if tree.root(signed.size) == signed.root:
                good = signed.size
            else:
                bad = signed
                break
        else:
            after = rows[-1]["size"]
            continue
        break
    for index in range(good, bad.size):
        data = await _data(client, f"{API}/proof/inclusion", index=index, tree_size=bad.size)
        if not verify_inclusion(
            index, bad.size, tree.levels[0][index], _proof(data["proof"]), bad.root
        ):
            return index
    return good


async def verify_log(
    client: httpx.AsyncClient,
    state: StateDir,
    *,
    vkey: str | None = None,
    samples: int = 16,
    full: bool = False,
    rng: random.Random | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    verifier = await resolve_verifier(client, state, vkey)
    checkpoint, note = await signed_checkpoint(client, verifier)
    report = Report(verifier.name, checkpoint.size, base64.b64encode(checkpoint.root).decode())
    previous_note = state.read("checkpoint")
    if previous_note:
        previous = Checkpoint.parse_text(verify_note(previous_note, verifier))
        await check_consistency(client, previous, checkpoint)
        report.previous_size = previous.size
    report.spot_checked = await spot_check(
        client, checkpoint, samples, rng or random.SystemRandom()
    )
    if full:
        await full_check(client, verifier, checkpoint, progress)
        report.full = True
    state.write("checkpoint", note)
    return report
