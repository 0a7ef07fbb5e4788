"""RFC 6962 / 9162 hashing and proofs: published vectors, then properties (hypothesis)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fodi.franchise.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# The leaves of the RFC 6962 test tree (certificate-transparency / transparency-dev/merkle).
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAVES = [leaf_hash(data) for data in CT_LEAVES]


def h(value: str) -> bytes:
    return bytes.fromhex(value)


def test_hashes_are_domain_separated() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()


@pytest.mark.parametrize("size", range(9))
def test_roots_match_rfc6962_vectors(size: int) -> None:
    assert root_hash(LEAVES[:size]).hex() == CT_ROOTS[size]
    assert MerkleTree(LEAVES[:size]).root().hex() == CT_ROOTS[size]


def test_hand_computed_three_leaf_tree() -> None:
    a, b, c = (leaf_hash(x) for x in (b"0", b"1", b"2"))
    assert root_hash([a, b, c]) == node_hash(node_hash(a, b), c)
    # An independent published value (Haskell hash-tree docs) for ["0", "1", "2"].
    assert root_hash([a, b, c]).hex() == (
        "725d5230db68f557470dc35f1d8865813acd7ebb07ad152774141decbae71327"
    )


def test_inclusion_and_consistency_vectors() -> None:
    assert [p.hex() for p in inclusion_proof(0, LEAVES)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    assert [p.hex() for p in inclusion_proof(5, LEAVES)] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
    assert [p.hex() for p in consistency_proof(4, LEAVES)] == [
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
    ]
    proof = consistency_proof(3, LEAVES[:7])
    assert [p.hex()[:8] for p in proof] == ["0298d122", "07506a85", "fac54203", "837dbb15"]
    assert verify_consistency(3, 7, h(CT_ROOTS[3]), h(CT_ROOTS[7]), proof)
    assert verify_inclusion(5, 8, LEAVES[5], inclusion_proof(5, LEAVES), h(CT_ROOTS[8]))


def test_degenerate_cases() -> None:
    assert verify_consistency(0, 5, EMPTY_ROOT, h(CT_ROOTS[5]), [])
    assert verify_consistency(4, 4, h(CT_ROOTS[4]), h(CT_ROOTS[4]), [])
    assert not verify_consistency(4, 4, h(CT_ROOTS[4]), h(CT_ROOTS[5]), [])
    assert not verify_consistency(5, 4, h(CT_ROOTS[5]), h(CT_ROOTS[4]), [])
    assert not verify_inclusion(8, 8, LEAVES[0], [], h(CT_ROOTS[8]))
    assert verify_inclusion(0, 1, LEAVES[0], [], h(CT_ROOTS[1]))


sizes = st.integers(min_value=1, max_value=300)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[list[bytes], int]:
    size = draw(sizes)
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    return leaves, draw(st.integers(min_value=0, max_value=size - 1))


def _flip(proof: list[bytes], which: int, bit: int) -> list[bytes]:
    altered = [bytearray(p) for p in proof]
    target = altered[which % len(altered)]
    target[(which // 7) % 32] ^= 1 << (bit % 8)
    return [bytes(p) for p in altered]


@settings(max_examples=100, deadline=None)
@given(tree_and_index(), st.integers(0, 10_000), st.integers(0, 255))
def test_inclusion_proofs_verify_and_any_altered_byte_fails(
    case: tuple[list[bytes], int], which: int, bit: int
) -> None:
    leaves, index = case
    root = root_hash(leaves)
    proof = inclusion_proof(index, leaves)
    assert proof == MerkleTree(leaves).inclusion_proof(index)
    assert verify_inclusion(index, len(leaves), leaves[index], proof, root)
    bad_leaf = bytearray(leaves[index])
    bad_leaf[which % 32] ^= 1 << (bit % 8)
    assert not verify_inclusion(index, len(leaves), bytes(bad_leaf), proof, root)
    if proof:
        assert not verify_inclusion(
            index, len(leaves), leaves[index], _flip(proof, which, bit), root
        )
        assert not verify_inclusion(index, len(leaves), leaves[index], proof[:-1], root)
    if len(leaves) > 1:
        other = (index + 1) % len(leaves)
        assert not verify_inclusion(other, len(leaves), leaves[index], proof, root)


@settings(max_examples=100, deadline=None)
@given(tree_and_index(), st.integers(0, 10_000), st.integers(0, 255))
def test_consistency_proofs_verify_and_any_altered_byte_fails(
    case: tuple[list[bytes], int], which: int, bit: int
) -> None:
    leaves, first = case
    first += 1  # 1..n
    old, new = root_hash(leaves[:first]), root_hash(leaves)
    proof = consistency_proof(first, leaves)
    assert proof == MerkleTree(leaves).consistency_proof(first)
    assert verify_consistency(first, len(leaves), old, new, proof)
    if proof:
        assert not verify_consistency(first, len(leaves), old, new, _flip(proof, which, bit))
    bad_old = bytearray(old)
    bad_old[which % 32] ^= 1 << (bit % 8)
    if first < len(leaves):
        assert not verify_consistency(first, len(leaves), bytes(bad_old), new, proof)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 200), st.integers(0, 200))
def test_truncating_the_cached_tree_restores_every_prefix(size: int, cut: int) -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(size)]
    tree = MerkleTree(leaves)
    cut = min(cut, size)
    tree.truncate(cut)
    assert tree.root() == root_hash(leaves[:cut])
    tree.extend(leaves[cut:])
    assert tree.root() == root_hash(leaves)
