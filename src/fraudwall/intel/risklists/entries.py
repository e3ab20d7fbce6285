"""Risk list entries: what is listed (kind, value), who says so, why, how sure, for how long.

An entry is one source's word on one value: a number, an account, a link, a domain, an
app or a device, in its one written form (`common.lookupkeys`: E.164 numbers, lower-case
hosts in their ASCII form, ...), with the **source** ("mules-model", "numbers-model",
"confirmed-case", "import:lists.csv"), its **evidence** (a short text or JSON), its
**confidence** (0..1) and three times in ms UTC: when the value was first and last seen
doing what got it listed, and when the entry **expires**. An entry counts at a time `t`
when ``first_seen_ts <= t < expires_ts``.

`check_entries` is the one gate: it brings every value to its form and refuses a row
with the field and the reason (`Rejection`), column-wise over a table of entries; nothing
reaches the store unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.common import lookupkeys
from fraudwall.errors import InputError
from fraudwall.model.units import EARLIEST_MS, LATEST_MS


class ListKind(StrEnum):
    NUMBER = "number"
    ACCOUNT = "account"
    URL = "url"
    DOMAIN = "domain"
    APP = "app"
    DEVICE = "device"


_FORMS: Final[dict[ListKind, Callable[[str, str], str]]] = {
    ListKind.NUMBER: lookupkeys.phone_number,
    ListKind.ACCOUNT: lookupkeys.account_id,
    ListKind.URL: lookupkeys.url,
    ListKind.DOMAIN: lookupkeys.host,
    ListKind.APP: lookupkeys.app_id,
    ListKind.DEVICE: lookupkeys.device_id,
}

#: The columns of an entry, in the order tables and CSV files carry them.
ENTRY_SCHEMA: Final = pa.schema(
    [
        ("kind", pa.string()),
        ("value", pa.string()),
        ("source", pa.string()),
        ("evidence", pa.string()),
        ("confidence", pa.float64()),
        ("first_seen_ts", pa.int64()),
        ("last_seen_ts", pa.int64()),
        ("expires_ts", pa.int64()),
    ]
)
TIME_FIELDS: Final = ("first_seen_ts", "last_seen_ts", "expires_ts")
MAX_SOURCE: Final = 100
MAX_EVIDENCE: Final = 4_000


def list_kind(raw: str, where: str = "kind") -> ListKind:
    """The kind named `raw` ("number", "account", ...), or `InputError` listing them."""
    try:
        return ListKind(raw.strip().lower())
    except ValueError:
        known = ", ".join(k.value for k in ListKind)
        raise InputError(where, f"{raw!r} is not a kind of risk list ({known})") from None


def normalise(kind: ListKind | str, raw: str, where: str = "value") -> str:
    """`raw` in the one form entries of `kind` are kept in; `InputError` if it has none."""
    return _FORMS[list_kind(kind)](raw, where)


def normalise_column(kind: ListKind | str, raw: Sequence[str] | pa.Array) -> pa.Array:
    """Values of one kind in their form, or `InputError` naming the first that has none
    (``values[3]``)."""
    kind = list_kind(str(kind))
    text = pa.array(raw, pa.string()) if not isinstance(raw, pa.Array) else _text(raw)
    n = len(text)
    forms, why = _normalised(pa.array([kind.value] * n, pa.string()), pc.fill_null(text, ""))
    bad = np.flatnonzero(why != "")
    if len(bad):
        i = int(bad[0])
        raise InputError(f"values[{i}]", str(why[i]))
    return pa.array(forms, pa.string())


@dataclass(frozen=True)
class RiskEntry:
    """One entry, as a record (see the module doc); tables of them are `ENTRY_SCHEMA`."""

    kind: str
    value: str
    source: str
    evidence: str
    confidence: float
    first_seen_ts: int
    last_seen_ts: int
    expires_ts: int


def entries_table(entries: Iterable[RiskEntry | Mapping[str, Any]]) -> pa.Table:
    """Entries as a table of `ENTRY_SCHEMA` (not checked yet: see `check_entries`)."""
    rows = [asdict(e) if isinstance(e, RiskEntry) else dict(e) for e in entries]
    return pa.Table.from_pylist(rows, schema=ENTRY_SCHEMA)


def entry_records(table: pa.Table) -> list[RiskEntry]:
    return [RiskEntry(**row) for row in table.select(ENTRY_SCHEMA.names).to_pylist()]


@dataclass(frozen=True)
class Rejection:
    """A refused row: its position (`row`, 0-based in the table checked), the field at
    fault and why."""

    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class CheckedEntries:
    """The rows that passed (values in their form) and, for the others, why not."""

    accepted: pa.Table
    accepted_rows: np.ndarray  # each accepted row's position in the table checked
    rejected: list[Rejection]


def check_entries(table: pa.Table) -> CheckedEntries:
    """Check every row of a table of entries (`ENTRY_SCHEMA`'s columns; text where a file
    gave text) and bring values to their form. A row is refused for its first problem, in
    the columns' order: an unknown kind, a value without a form of its kind, an empty or
    overlong source, overlong evidence, a confidence outside 0..1, a time outside
    1973..2100 (seconds or microseconds are caught so), last seen before first seen, or
    an expiry not after the last sighting."""
    missing = [c for c in ENTRY_SCHEMA.names if c not in table.column_names]
    if missing:
        raise InputError("columns", f"missing {', '.join(missing)}")
    n = table.num_rows
    problem = np.full(n, "", object)
    field = np.full(n, "", object)

    def refuse(bad: np.ndarray, name: str, reason: Any) -> None:
        fresh = bad & (problem == "")
        problem[fresh] = reason[fresh] if isinstance(reason, np.ndarray) else reason
        field[fresh] = name

    kind_text = pc.fill_null(pc.utf8_lower(pc.utf8_trim_whitespace(_text(table["kind"]))), "")
    kinds = kind_text.to_numpy(zero_copy_only=False)
    known = pc.is_in(kind_text, pa.array(sorted(_KIND_VALUES))).to_numpy(zero_copy_only=False)
    refuse(~known, "kind", f"not a kind of risk list ({', '.join(k.value for k in ListKind)})")
    values, why = _normalised(kind_text, pc.fill_null(_text(table["value"]), ""))
    refuse(known & (why != ""), "value", why)
    source = pc.utf8_trim_whitespace(_text(table["source"]))
    length = pc.fill_null(pc.utf8_length(source), 0).to_numpy()
    refuse(length == 0, "source", "empty: say who lists the value")
    refuse(length > MAX_SOURCE, "source", f"longer than {MAX_SOURCE} characters")
    evidence = pc.fill_null(_text(table["evidence"]), "")
    refuse(
        pc.utf8_length(evidence).to_numpy() > MAX_EVIDENCE,
        "evidence",
        f"longer than {MAX_EVIDENCE} characters",
    )
    confidence, ok = _numbers(table["confidence"], pa.float64())
    refuse(~ok, "confidence", "not a number")
    refuse(ok & ~((confidence >= 0) & (confidence <= 1)), "confidence", "must be within 0..1")
    times = {}
    for name in TIME_FIELDS:
        ts, ok = _numbers(table[name], pa.int64())
        refuse(~ok, name, "not a whole number of ms UTC")
        refuse(
            ok & ((ts < EARLIEST_MS) | (ts > LATEST_MS)),
            name,
            "not a time in ms UTC between 1973 and 2100 (seconds or microseconds?)",
        )
        times[name] = ts
    first, last, expires = (times[name] for name in TIME_FIELDS)
    refuse(last < first, "last_seen_ts", "before first_seen_ts")
    refuse(expires <= last, "expires_ts", "not after last_seen_ts")
    good = np.flatnonzero(problem == "")
    accepted = pa.table(
        {
            "kind": pa.array(kinds[good], pa.string()),
            "value": pa.array(values[good], pa.string()),
            "source": source.take(good),
            "evidence": evidence.take(good),
            "confidence": confidence[good],
            **{name: times[name][good] for name in TIME_FIELDS},
        },
        schema=ENTRY_SCHEMA,
    )
    bad = np.flatnonzero(problem != "")
    rejected = [Rejection(int(i), str(field[i]), str(problem[i])) for i in bad]
    return CheckedEntries(accepted, good, rejected)


def checked(table: pa.Table) -> pa.Table:
    """The entries of `table` in their form, or `InputError` naming the first bad row
    (for callers that hand over entries they made: nothing wrong is stored)."""
    result = check_entries(table)
    if result.rejected:
        first = result.rejected[0]
        more = len(result.rejected) - 1
        also = f" (and {more} more rows)" if more else ""
        raise InputError(f"entry {first.row}: {first.field}", first.reason + also)
    return result.accepted


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return array if pa.types.is_string(array.type) else pc.cast(array, pa.string())


_NUMBER_TEXT: Final = {
    pa.int64(): r"^\s*[+-]?[0-9]{1,18}\s*$",  # no overflow: times are 13 digits
    pa.float64(): r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$",
}


def _numbers(column: pa.ChunkedArray, to: pa.DataType) -> tuple[np.ndarray, np.ndarray]:
    """The column as numbers of type `to` and which rows held one (text is parsed where
    it reads as one; anything else, or a missing cell, is not a number)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    fill = 0 if to == pa.int64() else np.nan
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        ok = pc.fill_null(pc.match_substring_regex(array, _NUMBER_TEXT[to]), False)
        text = pc.if_else(ok, pc.utf8_trim_whitespace(array), pa.scalar(None, array.type))
        array = pc.cast(text, to)  # only well-formed text is left: overflow still raises
    elif pa.types.is_floating(array.type) and to == pa.int64():
        whole = pc.equal(array, pc.floor(array))
        array = pc.cast(pc.if_else(whole, array, None), to, safe=False)
    else:
        array = pc.cast(array, to)
    ok = pc.is_valid(array).to_numpy(zero_copy_only=False)
    if pa.types.is_floating(to):
        ok &= ~np.isnan(pc.fill_null(array, 0.0).to_numpy())
    return pc.fill_null(array, fill).to_numpy(zero_copy_only=False), ok


def _form_or_why(form: Callable[[str, str], str], value: str) -> tuple[str, str]:
    if not value.strip():
        return "", "empty"
    try:
        return form(value, "value"), ""
    except InputError as exc:
        return "", exc.problem


def _normalised(kinds: pa.Array, raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Each value in its kind's form, and why not where it has none (`kinds` already
    lower-case): one call per distinct (kind, value), not per row (a shared list repeats
    values across sources)."""
    pairs = pc.binary_join_element_wise(kinds, raw, "\x1f").dictionary_encode()
    distinct = pairs.dictionary
    split = pc.split_pattern(distinct, "\x1f", max_splits=1)
    kind_of = pc.list_element(split, 0).to_numpy(zero_copy_only=False)
    value_of = pc.list_element(split, 1).to_numpy(zero_copy_only=False)
    forms = np.full(len(distinct), "", object)
    whys = np.full(len(distinct), "", object)  # an unknown kind is refused for its kind
    for kind in _KIND_VALUES & set(np.unique(kind_of).tolist()):
        mine = np.flatnonzero(kind_of == kind)
        form = _FORMS[ListKind(kind)]
        done = [_form_or_why(form, v) for v in value_of[mine]]
        if done:
            forms[mine], whys[mine] = (np.array(c, object) for c in zip(*done, strict=True))
    at = pairs.indices.to_numpy(zero_copy_only=False)
    return forms[at], whys[at]


_KIND_VALUES: Final = frozenset(k.value for k in ListKind)


__all__ = [
    "ENTRY_SCHEMA",
    "TIME_FIELDS",
    "CheckedEntries",
    "ListKind",
    "Rejection",
    "RiskEntry",
    "check_entries",
    "checked",
    "entries_table",
    "entry_records",
    "list_kind",
    "normalise",
    "normalise_column",
]
