"""Growing entity tables (accounts, phones, devices) shared by ordinary life and fraud."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

_CODES: dict[tuple[type, str], int] = {}


def code(value: StrEnum) -> int:
    """The integer code of an enum member: its position in the enum."""
    key = (type(value), str(value))  # members of different enums may share a value
    c = _CODES.get(key)
    if c is None:
        c = _CODES[key] = list(type(value)).index(value)
    return c


class EntityTable:
    """Entities with dense ids 0..n-1 in the order added, in growable int64 columns.

    Columns double their capacity when full, so adding a few rows at a time (as fraud
    infrastructure does) stays cheap and reading a column is a view, not a copy.
    """

    def __init__(self, *names: str) -> None:
        self._cols = {name: np.empty(1024, dtype=np.int64) for name in names}
        self.n = 0

    def add_rows(self, **cols: np.ndarray | int) -> np.ndarray:
        """Append rows; return their new ids."""
        if set(cols) != set(self._cols):
            raise ValueError(f"columns: expected {sorted(self._cols)}, got {sorted(cols)}")
        k = max((len(v) for v in cols.values() if isinstance(v, np.ndarray)), default=0)
        start, end = self.n, self.n + k
        for name, value in cols.items():
            arr = self._cols[name]
            if end > len(arr):
                arr = self._cols[name] = np.resize(arr, max(end, 2 * len(arr)))
            arr[start:end] = value
        self.n = end
        return np.arange(start, end, dtype=np.int64)

    def col(self, name: str) -> np.ndarray:
        return self._cols[name][: self.n]


def new_accounts() -> EntityTable:
    return EntityTable(
        "inst", "owner", "kind", "opened_ts", "credit_limit", "last_active_ts", "external_kind",
        "name", "region",
    )  # fmt: skip


def new_phones() -> EntityTable:
    return EntityTable("number", "telco", "owner", "country_code", "activated_ts", "line_kind")


def new_devices() -> EntityTable:
    return EntityTable("serial", "owner", "kind", "first_seen_ts")
