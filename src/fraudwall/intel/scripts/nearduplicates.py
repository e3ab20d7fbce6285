"""Near-duplicate texts: MinHash signatures of character shingles, grouped with LSH.

Why shingles of the normal form: `fraudwall.intel.text.normalize` has already turned every
number, phone and URL into one token and dropped the spacing and symbols put between
characters, so two texts of one script that differ in their slot values (an amount, a
link, a contact) share almost all their 3-character shingles; a name changes two or
three of forty. Why MinHash and LSH (datasketch): the candidate pairs come from the
bands in time linear in the texts, never all pairs; each candidate pair is then kept
only if its estimated Jaccard similarity reaches the threshold, and the groups are the
connected components of the kept pairs (a script's variants chain through each other).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fraudwall.intel.text.normalize import normalize_texts

__all__ = [
    "NUM_PERM",
    "SHINGLE",
    "SIMILARITY",
    "linked",
    "near_duplicate_groups",
    "shingle_hashes",
    "signatures",
]

SHINGLE: Final = 3
"""Characters per shingle: a Chinese word and a half; shorter ones match unrelated texts."""
NUM_PERM: Final = 64
"""Permutations per signature: a Jaccard estimate within about ±0.06, and cheap bands."""
SIMILARITY: Final = 0.5
"""Estimated Jaccard similarity of shingle sets from which two texts are one script's."""
_SEED: Final = 1
_MULT: Final = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F], np.uint32)


def shingle_hashes(normal_text: str, k: int = SHINGLE) -> np.ndarray:
    """The distinct 32-bit hashes of the `k`-character shingles of a normal-form text (the
    whole text as one shingle when it is shorter)."""
    codes = np.frombuffer(normal_text.encode("utf-32-le"), dtype=np.uint32)
    if len(codes) == 0:
        return np.zeros(0, np.uint32)
    k = min(k, len(codes))
    h = np.zeros(len(codes) - k + 1, np.uint32)
    for i in range(k):
        h = h * np.uint32(31) + codes[i : len(codes) - k + 1 + i] * _MULT[i % len(_MULT)]
    return np.unique(h ^ (h >> np.uint32(16)))


def _identity(value: int) -> int:
    return value


def signatures(texts: Sequence[str]) -> list[LeanMinHash]:
    """The MinHash signature of every text's normal form (`NUM_PERM` permutations, seeded,
    so signatures of different calls compare)."""
    shingles = [shingle_hashes(t).tolist() for t in normalize_texts(list(texts))]
    made = MinHash.bulk(shingles, num_perm=NUM_PERM, seed=_SEED, hashfunc=_identity)
    return [LeanMinHash(m) for m in made]


def near_duplicate_groups(
    sigs: Sequence[LeanMinHash], similarity: float = SIMILARITY
) -> np.ndarray:
    """A group number per signature (0, 1, ... in order of first member): texts whose
    estimated Jaccard similarity reaches `similarity` are in one group, and so, through
    them, are the texts chained to them."""
    n = len(sigs)
    pairs: list[tuple[int, int]] = []
    if n > 1:
        lsh = MinHashLSH(threshold=similarity, num_perm=NUM_PERM)
        with lsh.insertion_session() as session:
            for i, sig in enumerate(sigs):
                session.insert(i, sig, check_duplication=False)
        pairs = [(i, j) for i, sig in enumerate(sigs) for j in lsh.query(sig) if j > i]
    a, b = np.array(pairs, np.int64).reshape(-1, 2).T
    if len(a):  # the candidates' estimated Jaccard similarity, all at once
        values = np.stack([sig.hashvalues for sig in sigs])
        kept = np.count_nonzero(values[a] == values[b], axis=1) >= similarity * NUM_PERM
        a, b = a[kept], b[kept]
    roots = linked(n, a, b)
    _, first, inverse = np.unique(roots, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # groups numbered by their first member
    return order[inverse].astype(np.int64)


def linked(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per node of 0..n-1, the smallest node it is linked to through the pairs (a, b): the
    connected components, each named by its first node."""
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    first = np.full(int(component.max()) + 1 if n else 0, n, np.int64)
    np.minimum.at(first, component, np.arange(n))
    return first[component]
