"""What several parts share, beside `model`: key hashing and dense ids, stable sorts,
per-id columns, output folders written whole.

Neutral ground: it imports numpy, pyarrow, `fraudwall.model` and `fraudwall.errors` only,
never another part, so every part may use it without borrowing from another part's
internals.
"""

from fraudwall.common.columns import IdColumn, capacity_for, grown
from fraudwall.common.folders import check_new_folder, remove_stale, replace_folder
from fraudwall.common.keys import IntIndex, KeyBatch, KeyIndex, hash_keys, string_offsets
from fraudwall.common.sorting import ledger_order, stable_argsort

__all__ = [
    "IdColumn",
    "IntIndex",
    "KeyBatch",
    "KeyIndex",
    "capacity_for",
    "check_new_folder",
    "grown",
    "hash_keys",
    "ledger_order",
    "remove_stale",
    "replace_folder",
    "stable_argsort",
    "string_offsets",
]
