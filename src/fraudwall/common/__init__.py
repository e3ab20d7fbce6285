"""What several parts share, beside `model`: key hashing and dense ids, stable sorts.

Neutral ground: it imports numpy, pyarrow and `fraudwall.model` only, never another
part, so every part may use it without borrowing from another part's internals.
"""

from fraudwall.common.keys import IntIndex, KeyBatch, KeyIndex, hash_keys, string_offsets
from fraudwall.common.sorting import ledger_order, stable_argsort

__all__ = [
    "IntIndex",
    "KeyBatch",
    "KeyIndex",
    "hash_keys",
    "ledger_order",
    "stable_argsort",
    "string_offsets",
]
