"""What several parts share, beside `model`: key hashing and dense ids, stable sorts,
per-id columns, output folders written whole; and the fraud-script lexicon of Chinese SMS
(`fraudwall.common.lexicon`, imported by its own path: it compiles its cues on import),
the engine's SMS score and features of the learned text classifier of intel.

Neutral ground: it imports numpy, pyarrow, `fraudwall.model` and `fraudwall.errors` only,
never another part, so every part may use it without borrowing from another part's
internals.
"""

from fraudwall.common.columns import IdColumn, capacity_for, grown
from fraudwall.common.files import (
    check_new_folder,
    check_output_file,
    holds_manifest_of,
    remove_stale,
    replace_folder,
    sha256_of,
    write_file_atomically,
)
from fraudwall.common.keys import IntIndex, KeyBatch, KeyIndex, hash_keys, string_offsets
from fraudwall.common.sorting import ledger_order, stable_argsort

__all__ = [
    "IdColumn",
    "IntIndex",
    "KeyBatch",
    "KeyIndex",
    "capacity_for",
    "check_new_folder",
    "check_output_file",
    "grown",
    "hash_keys",
    "holds_manifest_of",
    "ledger_order",
    "remove_stale",
    "replace_folder",
    "sha256_of",
    "stable_argsort",
    "string_offsets",
    "write_file_atomically",
]
