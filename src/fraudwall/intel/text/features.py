"""Character n-grams of normalised texts, hashed into a sparse matrix.

Why characters: Chinese has no spaces, and a word segmenter would be one more model to
ship; character 1-3-grams hold the words of the scripts (刷单, 安全账户, 保证金) and are
robust to the odd character swapped. Why hashing: no vocabulary to build or ship, the same
columns for any text; collisions cost little at 2^18 buckets.

A row is about L2-normalised: each n-gram occurrence weighs ``1/sqrt(n)``, n the text's
number of n-grams (unit length when no n-gram repeats), so a 40-character SMS and a
2,000-character call transcript lie on one scale. All of it is numpy over the batch's code
points: no Python per text or per n-gram.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from fraudwall.intel.text.normalize import SEPARATOR, normal_codes

__all__ = ["DEFAULT_BITS", "MAX_ORDER", "ngram_matrix", "ngrams_of"]

DEFAULT_BITS = 18
MAX_ORDER = 3
_SEP = ord(SEPARATOR)
# Odd 32-bit multipliers, one per position in the n-gram, and one per order.
_MULT = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D], np.uint32)
_ORDER = np.array([0x27D4EB2F, 0x165667B1, 0xD3A2646C], np.uint32)
_MIX = np.uint32(0x85EBCA6B)


def _hashes(codes: np.ndarray, bits: int, max_order: int) -> tuple[np.ndarray, np.ndarray]:
    """(bucket, valid) per position and order, len(codes) x max_order."""
    length = len(codes)
    ok = codes != _SEP  # an n-gram of order n + 1 at i is valid where ok[i:i + n + 1] all hold
    buckets = np.zeros((length, max_order), np.uint32)
    valid = np.zeros((length, max_order), bool)
    shift = np.uint32(32 - bits)
    h = np.zeros(length, np.uint32)
    for n in range(min(max_order, length)):
        span = length - n  # starts of n-grams of order n + 1
        h[:span] += codes[n:] * _MULT[n]
        mixed = (h[:span] ^ _ORDER[n]) * _MIX
        mixed ^= mixed >> np.uint32(15)
        mixed *= _MULT[0]
        buckets[:span, n] = mixed >> shift
        valid[:span, n] = ok[n:] if n == 0 else valid[:span, n - 1] & ok[n:]
    return buckets, valid


def _rows(texts: Sequence[str], bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(bucket of every n-gram, row pointer per text)."""
    codes = normal_codes(texts)
    buckets, valid = _hashes(codes, bits, MAX_ORDER)
    row_of_position = np.cumsum(codes == _SEP)
    counts = np.bincount(row_of_position, weights=valid.sum(axis=1), minlength=len(texts)).astype(
        np.int64
    )
    indptr = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    return buckets[valid], indptr


def ngram_matrix(texts: Sequence[str], bits: int = DEFAULT_BITS) -> sp.csr_matrix:
    """The hashed, row-normalised n-gram counts of `texts` (len(texts) x 2**bits, float32).

    Repeated n-grams stay as repeated entries (a CSR product sums them)."""
    buckets, indptr = _rows(texts, bits)
    counts = np.diff(indptr)
    norm = np.zeros(len(counts), np.float32)
    np.divide(1.0, np.sqrt(counts, dtype=np.float32), out=norm, where=counts > 0)
    data = np.repeat(norm, counts)
    index = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
    return sp.csr_matrix(
        (data, buckets.astype(index), indptr.astype(index)), shape=(len(texts), 1 << bits)
    )


def ngrams_of(text: str, bits: int = DEFAULT_BITS) -> list[tuple[str, int]]:
    """(n-gram of the normal form, its bucket) for one text: for explanations."""
    codes = normal_codes([text])
    normal = codes.tobytes().decode("utf-32-le")
    buckets, valid = _hashes(codes, bits, MAX_ORDER)
    starts, orders = np.nonzero(valid)  # row-major: the order of buckets[valid]
    return [
        (normal[s : s + n + 1], int(b))
        for s, n, b in zip(starts.tolist(), orders.tolist(), buckets[valid].tolist(), strict=True)
    ]
