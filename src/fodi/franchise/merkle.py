"""RFC 6962 / RFC 9162 Merkle tree hashing and proofs, over 32-byte leaf hashes.

Leaf hash ``SHA-256(0x00 || entry)``, interior node ``SHA-256(0x01 || left || right)``; a tree
of ``n`` leaves splits at ``k``, the largest power of two smaller than ``n``; the empty tree's
root is ``SHA-256("")``.  The functions here are pure and take the whole list of leaf hashes;
:class:`MerkleTree` answers the same questions in O(log n) from a cache of the perfect
subtrees (immutable once complete), which is what the service uses at a million entries.
Both share one proof algorithm, parametrised by how a subtree hash is obtained.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHash = Callable[[int, int], bytes]  # (start, end) -> MTH(D[start:end])


class ProofError(ValueError):
    """A proof or a request for one that cannot be right (bad sizes, bad lengths)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _naive_subtree(leaf_hashes: Sequence[bytes]) -> SubtreeHash:
    def mth(start: int, end: int) -> bytes:
        size = end - start
        if size == 0:
            return EMPTY_ROOT
        if size == 1:
            return leaf_hashes[start]
        k = _split(size)
        return node_hash(mth(start, start + k), mth(start + k, end))

    return mth


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaf hashes."""
    return _naive_subtree(leaf_hashes)(0, len(leaf_hashes))


def _path(index: int, start: int, end: int, mth: SubtreeHash) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[start:end]), leaf side first."""
    proof: list[bytes] = []
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(mth(start + k, end))
            end = start + k
        else:
            proof.append(mth(start, start + k))
            start += k
    proof.reverse()
    return proof


def _subproof(first: int, start: int, end: int, complete: bool, mth: SubtreeHash) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b)."""
    size = end - start
    if first == size:
        return [] if complete else [mth(start, end)]
    k = _split(size)
    if first <= k:
        return [*_subproof(first, start, start + k, complete, mth), mth(start + k, end)]
    return [*_subproof(first - k, start + k, end, False, mth), mth(start, start + k)]


def _inclusion(index: int, size: int, mth: SubtreeHash) -> list[bytes]:
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    return _path(index, 0, size, mth)


def _consistency(first: int, second: int, mth: SubtreeHash) -> list[bytes]:
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first == 0 or first == second:
        return []
    return _subproof(first, 0, second, True, mth)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of all ``leaf_hashes``."""
    return _inclusion(index, len(leaf_hashes), _naive_subtree(leaf_hashes))


def consistency_proof(first: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The proof that the tree of the first ``first`` leaves is a prefix of the whole tree."""
    return _consistency(first, len(leaf_hashes), _naive_subtree(leaf_hashes))


def verify_inclusion(
    index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` put ``leaf_hash`` at ``index`` under ``root``?"""
    if not 0 <= index < tree_size or any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of size ``first`` a prefix of the one of size ``second``?"""
    if not 0 <= first <= second or any(len(p) != HASH_SIZE for p in proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: first_root is the first node of the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


class MerkleTree:
    """An append-only tree that keeps every complete perfect subtree hash.

    ``levels[k][i]`` is the hash of leaves ``[i * 2**k, (i + 1) * 2**k)``; level 0 holds the
    leaf hashes.  Once complete such a subtree never changes, so every root, inclusion and
    consistency proof needs only O(log n) look-ups and O(log n) hashes for the ragged right
    edge.  Memory is about two hashes per leaf.
    """

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        if len(leaf) != HASH_SIZE:
            raise ProofError("a leaf hash is 32 bytes")
        self.levels[0].append(leaf)
        level, index = 0, len(self.levels[0]) - 1
        while index & 1:  # this node completed its parent
            row = self.levels[level]
            parent = node_hash(row[index - 1], row[index])
            level += 1
            if level == len(self.levels):
                self.levels.append([])
            self.levels[level].append(parent)
            index >>= 1

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        for leaf in leaf_hashes:
            self.append(leaf)

    def truncate(self, size: int) -> None:
        """Forget leaves from ``size`` on (a failed append that was rolled back)."""
        for level, row in enumerate(self.levels):
            del row[size >> level :]

    def subtree(self, start: int, end: int) -> bytes:
        size = end - start
        if size == 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and start % size == 0:
            return self.levels[size.bit_length() - 1][start // size]
        k = _split(size)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        return self.subtree(0, self.size if size is None else self._checked(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return _inclusion(index, self.size if size is None else self._checked(size), self.subtree)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self.size if second is None else self._checked(second)
        return _consistency(first, second, self.subtree)

    def _checked(self, size: int) -> int:
        if not 0 <= size <= self.size:
            raise ProofError(f"tree size {size} is beyond the log's {self.size} entries")
        return size
