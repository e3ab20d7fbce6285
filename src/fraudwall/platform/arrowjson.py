"""JSON text of Arrow columns, without a Python object per value.

A batch of 50,000 events is answered with 50,000 decisions and stores them with their
lists of rules and features as JSON; building a dict per row for that costs more than
deciding them. Here each column becomes JSON text with Arrow's string kernels, and the
rows are joined the same way: strings escaped as JSON requires (quote, backslash, control
characters), numbers as Arrow writes them (shortest round trip), lists of strings as
arrays, nulls as null.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

_CONTROL: Final = "[\\x00-\\x1f]"
_SHORT: Final = {8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}


def _plain(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values


def json_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each string as a JSON string literal (null as null)."""
    s = _plain(values).cast(pa.string())
    s = pc.replace_substring(s, "\\", "\\\\")
    s = pc.replace_substring(s, '"', '\\"')
    if len(s) and pc.any(pc.match_substring_regex(s, _CONTROL)).as_py():
        for code in range(32):
            s = pc.replace_substring(s, chr(code), _SHORT.get(code, f"\\u{code:04x}"))
    return pc.fill_null(pc.binary_join_element_wise('"', s, '"', ""), "null")


def json_lists(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each list of strings as a JSON array (null as null)."""
    lists = _plain(values)
    items = json_strings(lists.values)
    rebuilt = pa.ListArray.from_arrays(lists.offsets, items)
    joined = pc.binary_join_element_wise("[", pc.binary_join(rebuilt, ","), "]", "")
    return pc.if_else(lists.is_null(), pa.scalar("null"), joined)


def json_values(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each value of a column as JSON text, by the column's type."""
    arr = _plain(values)
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return json_strings(arr)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return json_lists(arr)
    if pa.types.is_boolean(t):
        text = pc.if_else(arr, pa.scalar("true"), pa.scalar("false"))
        return pc.fill_null(text, "null")
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return pc.fill_null(arr.cast(pa.string()), "null")
    if pa.types.is_null(t):
        return pa.repeat(pa.scalar("null"), len(arr))
    raise TypeError(f"no JSON text for Arrow type {t}")


def json_objects(table: pa.Table) -> pa.Array:
    """Each row as a JSON object of its columns, in the table's order."""
    if not table.num_rows:
        return pa.array([], pa.string())
    pieces: list[pa.Array | str] = []
    for k, name in enumerate(table.column_names):
        key = json_strings(pa.array([name])).to_pylist()[0]
        pieces.append(("{" if k == 0 else ",") + key + ":")
        pieces.append(json_values(table[name]))
    pieces.append("}")
    return pc.binary_join_element_wise(*pieces, "")


def json_array(texts: pa.Array) -> bytes:
    """JSON values (as text) as one JSON array."""
    if not len(texts):
        return b"[]"
    whole = pa.ListArray.from_arrays(pa.array([0, len(texts)], pa.int32()), texts)
    return b"[" + pc.binary_join(whole, ",")[0].as_py().encode() + b"]"


__all__ = ["json_array", "json_lists", "json_objects", "json_strings", "json_values"]
