"""C2SP signed notes, checkpoints and cosignatures against the specification's examples."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fodi.franchise.ledger.canonical import NotCanonical, canonical_bytes, parse_entry
from fodi.franchise.ledger.notes import (
    Checkpoint,
    NoteError,
    Verifier,
    cosignature_line,
    public_bytes,
    sign_note,
    verify_cosignature,
    verify_note,
    vkey,
)

SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZX"
    "sYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


def test_the_signed_note_spec_example_verifies() -> None:
    assert verify_note(SPEC_NOTE, Verifier.parse(SPEC_VKEY)) == "This is an example message.\n"
    with pytest.raises(NoteError):
        verify_note(
            SPEC_NOTE.replace("example message", "example massage"), Verifier.parse(SPEC_VKEY)
        )


def test_checkpoint_signature_is_deterministic_and_matches_the_reference() -> None:
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)
    root = base64.b64decode("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")
    note = sign_note(
        Checkpoint("example.com/franchise-ledger", 8, root).text(),
        "example.com/franchise-ledger",
        key,
    )
    assert note.endswith(
        "\u2014 example.com/franchise-ledger hOB0RvMNqzJeyKMImg1PKG37TSvG0nRCpug2Y+G8rNEWf+d3"
        "/ng8rBLN8/JWKO6gBe/JaHtcsrFMv6knmsO4IRNGYA4=\n"
    )
    name = "example.com/franchise-ledger"
    assert vkey(name, public_bytes(key.public_key())) == (
        "example.com/franchise-ledger+84e07446+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
    )
    assert (
        Checkpoint.parse_text(
            verify_note(note, Verifier.parse(vkey(name, public_bytes(key.public_key()))))
        ).size
        == 8
    )


def test_cosignature_matches_the_reference_and_verifies() -> None:
    witness = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    text = Checkpoint(
        "example.com/franchise-ledger",
        8,
        base64.b64decode("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="),
    ).text()
    line = cosignature_line(text, "witness.example/w1", witness, 1_700_000_000)
    assert line == (
        "\u2014 witness.example/w1 519lMgAAAABlU/EAu6HVWDD2urOjDA3QhZsFPJxQ7xRDg3FQJE6/EuwFYCDC"
        "Lo7HQU2NAqe8IrUq580BSkmkv2u+thgft9N7Uq17Bg==\n"
    )
    witness_key = Verifier.parse(
        vkey("witness.example/w1", public_bytes(witness.public_key()), 0x04)
    )
    assert verify_cosignature(text + "\n" + line, witness_key) == 1_700_000_000


def test_canonical_entries() -> None:
    assert canonical_bytes({"b": 1, "a": ["x", None, True]}) == b'{"a":["x",null,true],"b":1}'
    assert canonical_bytes({"city": "Тбилиси"}) == '{"city":"Тбилиси"}'.encode()
    with pytest.raises(NotCanonical):
        canonical_bytes({"price": 1.5})
    with pytest.raises(NotCanonical):
        parse_entry(b'{"b":1, "a":2}')
    assert parse_entry(b'{"a":2,"b":1}') == {"a": 2, "b": 1}
