"""What several parts share, beside `model`: key hashing and dense ids, stable sorts,
per-id columns.

Neutral ground: it imports numpy, pyarrow and `fraudwall.model` only, never another
part, so every part may use it without borrowing from another part's internals.
"""

from fraudwall.common.columns import IdColumn, capacity_for, grown
from fraudwall.common.keys import IntIndex, KeyBatch, KeyIndex, hash_keys, string_offsets
from fraudwall.common.sorting import ledger_order, stable_argsort

__all__ = [
    "IdColumn",
    "IntIndex",
    "KeyBatch",
    "KeyIndex",
    "capacity_for",
    "grown",
    "hash_keys",
    "ledger_order",
    "stable_argsort",
    "string_offsets",
]
