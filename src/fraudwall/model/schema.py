"""One definition per type gives its JSON form, its Arrow schema and its validation.

The msgspec Struct in `fraudwall.model.types` is the only place a field is declared. This
module derives everything else from it, so a field added there is carried to JSON, Parquet
and both validators without further edits:

* `to_json` / `from_json`, `to_dict` / `from_dict`: one record at a time, through msgspec.
* `arrow_schema`, `empty_table`, `table_from_records`, `records_from_table`: columnar form.
* `validate_record`: one incoming record, failing with a `RecordError` that names the field.
* `validate_table`: a whole table at once with pyarrow.compute (no Python loop per row),
  splitting it into accepted rows, cast to `arrow_schema`, and rejected rows with a reason
  (`split_table` also says which input row each one was).

Both validators check the same things in the same order (field by field, in declaration
order) and word their problems the same way, e.g. ``amount_fen: must be > 0, got -5``.
Tables are a little more lenient about types than records: a column whose values *cast*
safely to the Arrow type (int 5 to string "5", float 2.0 to int 2) is accepted. Neither
takes a boolean for a number or a number for a boolean, and both refuse a time (a field
declared with unit "ms") that is not plausibly in ms, hinting at the unit it looks like;
a typed timestamp or date column is converted to ms by its unit.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, reduce
from pathlib import Path
from typing import Any, Final, NamedTuple, TypeVar

import msgspec
import msgspec.inspect as mi
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fraudwall.errors import InputError
from fraudwall.model.types import (
    SCHEMA_VERSION,
    Account,
    Device,
    Institution,
    Person,
    Phone,
    Record,
)
from fraudwall.model.units import EARLIEST_MS, LATEST_MS

R = TypeVar("R", bound=Record)

REASON: Final = "reason"
"""Name of the column `validate_table` adds to rejected rows (see `reason_column`)."""

REF_TYPES: Final[Mapping[str, type[Record]]] = {
    "institution": Institution,
    "person": Person,
    "account": Account,
    "phone": Phone,
    "device": Device,
}
"""The kinds a field may reference (`Meta(extra={"ref": kind})`) and the type named."""

_SHOW: Final = 60  # longest value quoted in full in a reason


# --- errors -----------------------------------------------------------------------------
class RecordError(InputError):
    """A record that does not fit its type; `field` says where, `problem` says what."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(field, problem)


class SchemaError(InputError):
    """A table whose columns do not match its type: nothing in it can be checked per row."""

    def __init__(self, table: str, missing: Sequence[str], extra: Sequence[str]) -> None:
        self.table = table
        self.missing = tuple(missing)
        self.extra = tuple(extra)
        parts = []
        if self.missing:
            parts.append("missing columns: " + ", ".join(self.missing))
        if self.extra:
            parts.append("unexpected columns: " + ", ".join(self.extra))
        super().__init__(table, "; ".join(parts))


# --- field specs ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Spec:
    """Everything the validators need to know about one field, read once per class."""

    name: str
    kind: str  # int | float | str | bool | enum | list
    arrow: Any  # pa.DataType
    nullable: bool
    required: bool
    default: Any
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum_values: tuple[str, ...] = ()
    ref: str | None = None
    unit: str | None = None  # "ms" on a time: plausible values only (see `_time_problem`)
    description: str | None = None

    @property
    def type_name(self) -> str:
        return {"enum": "str", "list": "list[str]"}.get(self.kind, self.kind)


def _spec(field: mi.Field) -> _Spec:
    t: mi.Type = field.type
    nullable = False
    extra: dict[str, Any] = {}
    description: str | None = None

    def unwrap(t: mi.Type) -> mi.Type:
        nonlocal description
        while isinstance(t, mi.Metadata):
            extra.update(t.extra or {})
            description = (t.extra_json_schema or {}).get("description", description)
            t = t.type
        return t

    t = unwrap(t)
    if isinstance(t, mi.UnionType):
        rest = [u for u in t.types if not isinstance(u, mi.NoneType)]
        if len(rest) != 1 or len(rest) == len(t.types):
            raise TypeError(f"{field.name}: only `X | None` unions are supported")
        nullable = True
        t = unwrap(rest[0])

    if field.default_factory is not msgspec.NODEFAULT:
        default: Any = field.default_factory()
    else:
        default = field.default
    base: dict[str, Any] = {
        "name": field.name,
        "nullable": nullable,
        "required": field.required,
        "default": default,
        "ref": extra.get("ref"),
        "unit": extra.get("unit"),
        "description": description,
    }
    if isinstance(t, mi.BoolType):
        return _Spec(kind="bool", arrow=pa.bool_(), **base)
    if isinstance(t, mi.IntType | mi.FloatType):
        is_int = isinstance(t, mi.IntType)
        return _Spec(
            kind="int" if is_int else "float",
            arrow=pa.int64() if is_int else pa.float64(),
            gt=t.gt,
            ge=t.ge,
            lt=t.lt,
            le=t.le,
            **base,
        )
    if isinstance(t, mi.StrType):
        return _Spec(
            kind="str",
            arrow=pa.string(),
            min_length=t.min_length,
            max_length=t.max_length,
            pattern=t.pattern,
            **base,
        )
    if isinstance(t, mi.EnumType) and all(isinstance(m.value, str) for m in t.cls):
        values = tuple(str(m.value) for m in t.cls)
        return _Spec(kind="enum", arrow=pa.string(), enum_values=values, **base)
    if isinstance(t, mi.ListType) and t.item_type == mi.StrType():
        return _Spec(kind="list", arrow=pa.list_(pa.string()), **base)
    raise TypeError(f"{field.name}: no Arrow mapping for {t!r}")


@cache
def _specs(cls: type[Record]) -> tuple[_Spec, ...]:
    info = mi.type_info(cls)
    if not isinstance(info, mi.StructType):
        raise TypeError(f"{cls!r} is not a msgspec Struct")
    return tuple(_spec(f) for f in info.fields)


# --- Arrow schema and tables ------------------------------------------------------------
@cache
def arrow_schema(cls: type[Record]) -> pa.Schema:
    """The Arrow schema of `cls`, derived from its fields so Parquet never drifts from JSON.

    Field metadata carries the field's description and, for references, the kind referenced
    (`ref`); schema metadata carries the table name and `SCHEMA_VERSION`.
    """
    fields = []
    for s in _specs(cls):
        meta = {}
        if s.description:
            meta[b"description"] = s.description.encode()
        if s.ref:
            meta[b"ref"] = s.ref.encode()
        fields.append(pa.field(s.name, s.arrow, nullable=s.nullable, metadata=meta or None))
    return pa.schema(
        fields,
        metadata={
            b"fraudwall.table": cls.table.encode(),
            b"fraudwall.schema_version": SCHEMA_VERSION.encode(),
        },
    )


def empty_table(cls: type[Record]) -> pa.Table:
    """A table of `cls` with no rows, so an absent table still has the right columns."""
    return arrow_schema(cls).empty_table()


def table_from_records(cls: type[R], records: Iterable[R]) -> pa.Table:
    """The records as a table with `arrow_schema(cls)`; every record must be a `cls`."""
    rows = list(records)
    for r in rows:
        if type(r) is not cls:
            raise TypeError(f"expected {cls.__name__}, got {type(r).__name__}")
    return pa.Table.from_pylist(msgspec.to_builtins(rows), schema=arrow_schema(cls))


def records_from_table(cls: type[R], table: pa.Table) -> list[R]:
    """The rows of a table as records, each validated as `from_dict` would."""
    return [from_dict(cls, row) for row in table.to_pylist()]


def reason_column(cls: type[Record]) -> str:
    """Name of the rejection-reason column: `reason`, or `reject_reason` if `cls` has a
    field called `reason` (as `Decision` does)."""
    names = {s.name for s in _specs(cls)}
    return REASON if REASON not in names else f"reject_{REASON}"


# --- JSON and dicts ---------------------------------------------------------------------
def to_json(record: Record) -> bytes:
    """The record as compact JSON (enums as their string values)."""
    return msgspec.json.encode(record)


def from_json(cls: type[R], data: bytes | str) -> R:
    """Decode and validate JSON as a `cls`; a bad field raises `RecordError` naming it."""
    try:
        record = msgspec.json.decode(data, type=cls)
    except msgspec.ValidationError as e:
        raise _explain(cls, msgspec.json.decode(data), None, e) from e
    if (problem := _later_problem(record, None)) is not None:
        raise problem
    return record


def to_dict(record: Record) -> dict[str, Any]:
    """The record as plain builtins (str, int, float, bool, list, None)."""
    out: dict[str, Any] = msgspec.to_builtins(record)
    return out


def from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
    """Validate a dict as a `cls`; a bad field raises `RecordError` naming it."""
    return validate_record(cls, data)


# --- validating one record --------------------------------------------------------------
def _fmt_num(v: float) -> str:
    """Numbers written as Arrow's cast to string writes them, so both validators agree."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = repr(float(v))
    return s[:-2] if s.endswith(".0") else s


def _fmt_str(s: str) -> str:
    return f"'{s[:_SHOW]}...'" if len(s) > _SHOW else f"'{s}'"


def _fmt(v: object) -> str:
    if isinstance(v, str):
        return _fmt_str(v)
    if isinstance(v, int | float):
        return _fmt_num(v)
    if v is None:
        return "null"
    return type(v).__name__


_OPS: Final[Mapping[str, tuple[str, Callable[[Any, Any], Any], Callable[[Any, Any], Any]]]] = {
    # bound -> (symbol, Python test, Arrow test); each says the value is fine
    "gt": (">", operator.gt, pc.greater),
    "ge": (">=", operator.ge, pc.greater_equal),
    "lt": ("<", operator.lt, pc.less),
    "le": ("<=", operator.le, pc.less_equal),
}


def _bounds(s: _Spec) -> list[tuple[str, str, float]]:
    """(problem, op, bound) per bound of `s`, in the order both validators check them."""
    out = []
    for op, (symbol, _, _) in _OPS.items():
        bound = getattr(s, op)
        if bound is not None:
            out.append((f"must be {symbol} {_fmt_num(bound)}", op, bound))
    return out


def _enum_problem(s: _Spec) -> str:
    return "must be one of " + ", ".join(s.enum_values)


def _value_problem(s: _Spec, v: Any, known: Mapping[str, Collection[str]] | None) -> str | None:
    """What is wrong with one value of field `s`, or None; mirrors `_column_checks`."""
    if v is None:
        return None if s.nullable else "must not be null"
    if s.kind == "int":
        if not isinstance(v, int) or isinstance(v, bool):
            return f"expected int, got {_fmt(v)}"
    elif s.kind == "float":
        if not isinstance(v, int | float) or isinstance(v, bool):
            return f"expected float, got {_fmt(v)}"
    elif s.kind == "bool":
        if not isinstance(v, bool):
            return f"expected bool, got {_fmt(v)}"
    elif s.kind in ("str", "enum"):
        if not isinstance(v, str):
            return f"expected str, got {_fmt(v)}"
    elif s.kind == "list":
        if not isinstance(v, list | tuple):
            return f"expected list[str], got {_fmt(v)}"
        if any(i is None for i in v):
            return "items must not be null"
        bad = [i for i in v if not isinstance(i, str)]
        if bad:
            return f"items must be str, got {_fmt(bad[0])}"
        return None
    if s.unit == "ms" and (problem := _time_problem(v)) is not None:
        return problem
    for problem, op, bound in _bounds(s):
        if not _OPS[op][1](v, bound):
            return f"{problem}, got {_fmt_num(v)}"
    if isinstance(v, str):
        if s.min_length is not None and len(v) < s.min_length:
            return f"length must be >= {s.min_length}, got {len(v)}"
        if s.max_length is not None and len(v) > s.max_length:
            return f"length must be <= {s.max_length}, got {len(v)}"
        if s.pattern is not None and not re.search(s.pattern, v):
            return f"must match {s.pattern}, got {_fmt_str(v)}"
        if s.enum_values and v not in s.enum_values:
            return f"{_enum_problem(s)}, got {_fmt_str(v)}"
        if s.ref and known is not None and s.ref in known and v not in known[s.ref]:
            return f"unknown {s.ref} {_fmt_str(v)}"
    return None


# --- times ------------------------------------------------------------------------------
_TIME_PROBLEM: Final = "must be ms since the epoch, 1973-03-03..2100-01-01 UTC"
#: (hint, factor to ms): a value that lands in the plausible range once multiplied by
#: the factor was most likely written in that unit.
_TIME_UNITS: Final = (
    ("looks like seconds: multiply by 1000", 1000),
    ("looks like microseconds: divide by 1000", 1 / 1000),
    ("looks like nanoseconds: divide by 1000000", 1 / 1_000_000),
)


def _time_problem(v: int) -> str | None:
    """What is wrong with a time in ms (None if plausible); negatives are left to `ge`."""
    if v <= 0 or EARLIEST_MS <= v <= LATEST_MS:
        return None
    hints = [h for h, factor in _TIME_UNITS if EARLIEST_MS <= float(v) * factor <= LATEST_MS]
    return f"{_TIME_PROBLEM}, got {v}" + (f" ({hints[0]})" if hints else "")


def _later_problem(
    record: Record, known: Mapping[str, Collection[str]] | None
) -> RecordError | None:
    """What msgspec does not check, in field order: a time's unit, a reference's target."""
    for s in _specs(type(record)):
        v = getattr(record, s.name)
        if v is None:
            continue
        if s.unit == "ms" and (problem := _time_problem(v)) is not None:
            return RecordError(s.name, problem)
        if s.ref and known and s.ref in known and v not in known[s.ref]:
            return RecordError(s.name, f"unknown {s.ref} {_fmt_str(v)}")
    return None


_MISSING_RE = re.compile(r"missing required field `([^`]*)`")
_UNKNOWN_RE = re.compile(r"unknown field `([^`]*)`")
_PATH_RE = re.compile(r"^(.*?)(?: - at `\$\.?([A-Za-z_][A-Za-z0-9_]*)?([^`]*)`)?$")


def _first_problem(
    cls: type[Record], data: object, known: Mapping[str, Collection[str]] | None
) -> RecordError | None:
    """The first problem with `data` in field order, worded as `validate_table` words it."""
    specs = _specs(cls)
    if not isinstance(data, Mapping):
        return RecordError("", f"expected an object, got {_fmt(data)}")
    names = {s.name for s in specs}
    unknown = [k for k in data if k not in names]
    if unknown:
        return RecordError(str(unknown[0]), "unknown field")
    for s in specs:
        if s.name not in data:
            if s.required:
                return RecordError(s.name, "missing required field")
            continue
        problem = _value_problem(s, data[s.name], known)
        if problem is not None:
            return RecordError(s.name, problem)
    return None


def _explain(
    cls: type[Record],
    data: object,
    known: Mapping[str, Collection[str]] | None,
    err: msgspec.ValidationError,
) -> RecordError:
    """A `RecordError` for data msgspec rejected: our own wording if our checks find the
    problem, else msgspec's message with its `$.field` path turned into the field name."""
    found = _first_problem(cls, data, known)
    if found is not None:
        return found
    msg = str(err)
    if m := _MISSING_RE.search(msg):
        return RecordError(m.group(1), "missing required field")
    if m := _UNKNOWN_RE.search(msg):
        return RecordError(m.group(1), "unknown field")
    m = _PATH_RE.match(msg)
    if m and m.group(2):
        rest = m.group(3)
        problem = m.group(1) if not rest else f"{m.group(1)} (at {rest})"
        return RecordError(m.group(2), problem)
    return RecordError("", msg)


def validate_record(
    cls: type[R],
    data: Mapping[str, Any],
    known: Mapping[str, Collection[str]] | None = None,
) -> R:
    """Build a `cls` from a dict, or raise `RecordError` naming the first bad field.

    `known` maps a ref kind ("account", "phone", ...) to the ids that exist; a reference
    to any other id is an error. Kinds absent from `known` are not checked.
    """
    try:
        record = msgspec.convert(dict(data) if isinstance(data, Mapping) else data, cls)
    except msgspec.ValidationError as e:
        raise _explain(cls, data, known, e) from e
    if (problem := _later_problem(record, known)) is not None:
        raise problem
    return record


# --- validating a table -----------------------------------------------------------------
Describe = Callable[[Any], Any]  # row indices (pa.Array) -> reasons (pa.Array of string)


@dataclass(frozen=True, slots=True)
class _Check:
    mask: Any  # boolean, no nulls: True where the row fails
    describe: Describe


def _is_string_type(t: Any) -> bool:
    if pa.types.is_dictionary(t):
        return _is_string_type(t.value_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _as_value_set(ids: Any) -> Any:
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if not isinstance(ids, pa.Array):
        ids = pa.array(list(ids), type=pa.string())
    if pa.types.is_dictionary(ids.type):
        ids = ids.dictionary_decode()
    return ids.cast(pa.string())


def _quote(strings: Any) -> Any:
    """'value' for each string, cut to _SHOW characters like `_fmt_str`."""
    long = pc.greater(pc.utf8_length(strings), _SHOW)
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(strings, 0, _SHOW), "...", "")
    body = pc.if_else(long, cut, strings)
    return pc.binary_join_element_wise("'", body, "'", "")


def _show(values: Any) -> Any:
    """Values as they appear in a reason: strings quoted, numbers and bools as text."""
    if _is_string_type(values.type):
        return _quote(values.cast(pa.string()))
    if pa.types.is_null(values.type):
        return pa.array(["null"] * len(values), pa.string())
    try:
        return pc.fill_null(values.cast(pa.string()), "null")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pa.array([str(values.type)] * len(values), pa.string())


def _prefixed(prefix: str, texts: Any) -> Any:
    return pc.binary_join_element_wise(prefix, texts, "")


def _constant(text: str) -> Describe:
    return lambda idx: pa.array([text] * len(idx), pa.string())


def _cast_chunk(arr: Any, target: Any) -> Any:
    """Cast what casts; values that do not become null. Bisects only a failing chunk."""
    try:
        return arr.cast(target)
    except pa.ArrowInvalid:
        pass
    n = len(arr)
    if n == 1:
        return pa.nulls(1, target)
    if n <= 64:
        return pa.concat_arrays([_cast_chunk(arr.slice(i, 1), target) for i in range(n)])
    mid = n // 2
    return pa.concat_arrays(
        [_cast_chunk(arr.slice(0, mid), target), _cast_chunk(arr.slice(mid), target)]
    )


def _is_bool_or_number(t: Any) -> bool:
    return bool(
        pa.types.is_boolean(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
    )


def _as_ms(col: Any) -> Any:
    """A typed time column as int64 ms, by its unit (s, ms, us, ns; dates at midnight UTC);
    any other column as it is. Timestamps without a zone are taken as UTC."""
    t = col.type
    if pa.types.is_timestamp(t):
        return col.cast(pa.timestamp("ms", t.tz), safe=False).cast(pa.int64())
    if pa.types.is_date(t):
        return col.cast(pa.date64()).cast(pa.int64())
    return col


_INT_TEXT = r"^-?[0-9]+$"
_FLOAT_TEXT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def _cast_column(col: Any, target: Any) -> Any:
    """`col` cast to `target`, values that cannot be cast set to null.

    The whole column is cast at once; only when that fails are the failing rows looked
    for, by a regex on text going to numbers and otherwise by bisecting the chunks.
    """
    if col.type == target:
        return col
    if _is_bool_or_number(col.type) and pa.types.is_boolean(col.type) != pa.types.is_boolean(
        target
    ):
        # Arrow would cast true to 1 and 5 to true: a boolean is not a number, nor the reverse
        return pa.chunked_array([pa.nulls(len(col), target)], type=target)
    try:
        return col.cast(target)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pa.chunked_array([pa.nulls(len(col), target)], type=target)
    except pa.ArrowInvalid:
        pass
    if _is_string_type(col.type) and (pa.types.is_integer(target) or pa.types.is_floating(target)):
        text = col.cast(pa.string())
        pattern = _INT_TEXT if pa.types.is_integer(target) else _FLOAT_TEXT
        looks_ok = pc.fill_null(pc.match_substring_regex(text, pattern), False)
        col = pc.if_else(looks_ok, text, pa.scalar(None, pa.string()))
        try:
            return col.cast(target)
        except pa.ArrowInvalid:
            pass
    chunks = [_cast_chunk(c, target) for c in col.chunks]
    return pa.chunked_array(chunks, type=target)


def _mask(failed: Any) -> Any:
    return pc.fill_null(failed, False)


def _column_checks(s: _Spec, col: Any, known: Mapping[str, Any] | None) -> tuple[Any, list[_Check]]:
    """The column cast to its Arrow type, and its checks in the order `_value_problem` makes
    them. Each check is a boolean mask plus a way to word the problem for chosen rows."""
    name = s.name
    if s.unit == "ms":
        col = _as_ms(col)
    cast = _cast_column(col, s.arrow)
    checks: list[_Check] = []

    def add(mask: Any, describe: Describe) -> None:
        mask = _mask(mask)
        if pc.any(mask).as_py():
            checks.append(_Check(mask, describe))

    if not s.nullable:
        add(col.is_null(), _constant(f"{name}: must not be null"))
    if cast is not col:
        add(
            pc.and_(col.is_valid(), cast.is_null()),
            lambda idx: _prefixed(f"{name}: expected {s.type_name}, got ", _show(col.take(idx))),
        )
    if s.kind == "list":
        parts = []
        for chunk in cast.chunks:
            flat_null = np.asarray(pc.list_flatten(chunk).is_null())
            rows = np.zeros(len(chunk), dtype=bool)
            if flat_null.any():
                parent = np.asarray(pc.list_parent_indices(chunk))
                rows[parent[flat_null]] = True
            parts.append(pa.array(rows))
        add(pa.chunked_array(parts, type=pa.bool_()), _constant(f"{name}: items must not be null"))
        return cast, checks

    def shown(what: str, values: Callable[[Any], Any]) -> Describe:
        return lambda idx: _prefixed(f"{name}: {what}, got ", values(idx))

    if s.unit == "ms":
        add(
            pc.and_(
                pc.greater(cast, 0),
                pc.or_(pc.less(cast, EARLIEST_MS), pc.greater(cast, LATEST_MS)),
            ),
            lambda idx: _time_reasons(name, cast.take(idx)),
        )

    for problem, op, bound in _bounds(s):
        add(pc.invert(_OPS[op][2](cast, bound)), shown(problem, lambda idx: _show(cast.take(idx))))
    if s.kind in ("str", "enum"):
        length = pc.utf8_length(cast)

        def show_length(idx: Any) -> Any:
            return length.take(idx).cast(pa.string())

        if s.min_length is not None:
            add(
                pc.less(length, s.min_length),
                shown(f"length must be >= {s.min_length}", show_length),
            )
        if s.max_length is not None:
            add(
                pc.greater(length, s.max_length),
                shown(f"length must be <= {s.max_length}", show_length),
            )
        if s.pattern is not None:
            add(
                pc.invert(pc.match_substring_regex(cast, s.pattern)),
                shown(f"must match {s.pattern}", lambda idx: _quote(cast.take(idx))),
            )
        if s.enum_values:
            values = pa.array(s.enum_values, pa.string())
            add(
                pc.and_(cast.is_valid(), pc.invert(pc.is_in(cast, value_set=values))),
                shown(_enum_problem(s), lambda idx: _quote(cast.take(idx))),
            )
        if s.ref and known is not None and s.ref in known:
            ids = _as_value_set(known[s.ref])
            add(
                pc.and_(cast.is_valid(), pc.invert(pc.is_in(cast, value_set=ids))),
                lambda idx: _prefixed(f"{name}: unknown {s.ref} ", _quote(cast.take(idx))),
            )
    return cast, checks


def _time_reasons(name: str, values: Any) -> Any:
    """`_time_problem` for implausible times (no nulls), worded the same, row by row."""
    v = np.asarray(values, dtype=np.float64)
    suffixes = np.full(len(v), "", dtype=object)
    for hint, factor in reversed(_TIME_UNITS):  # the first that fits wins, as in _time_problem
        fits = (v * factor >= EARLIEST_MS) & (v * factor <= LATEST_MS)
        suffixes[fits] = f" ({hint})"
    texts = pc.binary_join_element_wise(
        f"{name}: {_TIME_PROBLEM}, got ",
        values.cast(pa.string()),
        pa.array(suffixes.tolist(), pa.string()),
        "",
    )
    return texts


def _default_column(s: _Spec, n: int) -> Any:
    if s.default is None:
        return pa.chunked_array([pa.nulls(n, s.arrow)], type=s.arrow)
    return pa.chunked_array([pa.repeat(pa.scalar(s.default, s.arrow), n)], type=s.arrow)


class TableSplit(NamedTuple):
    """`split_table`'s answer: the rows kept and set apart, and where each came from."""

    accepted: pa.Table
    rejected: pa.Table
    accepted_rows: np.ndarray  # position in the input of each accepted row, ascending
    rejected_rows: np.ndarray  # position in the input of each rejected row, ascending


def validate_table(
    cls: type[Record],
    table: pa.Table,
    known: Mapping[str, pa.Array | pa.ChunkedArray | Collection[str]] | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Split `table` into (accepted, rejected) rows of `cls` without a Python loop per row.

    Accepted rows are cast to `arrow_schema(cls)`; optional columns absent from `table`
    are filled with their defaults. Rejected rows keep their original columns and values
    and gain a `reason_column(cls)` column naming the first failing field and the problem,
    e.g. ``amount_fen: must be > 0, got -5``. Every row lands in exactly one of the two.

    `known` maps a ref kind ("account", ...) to the ids that exist; references to any other
    id are rejected. Raises `SchemaError` if a required column is missing or a column is
    not a field of `cls`: then no row can be judged.
    """
    accepted, rejected, _, _ = split_table(cls, table, known)
    return accepted, rejected


def split_table(
    cls: type[Record],
    table: pa.Table,
    known: Mapping[str, pa.Array | pa.ChunkedArray | Collection[str]] | None = None,
) -> TableSplit:
    """`validate_table`, also saying which input row each accepted and rejected row was,
    so that a caller can name rows by their line in a file or keep columns alongside."""
    specs = _specs(cls)
    names = list(table.column_names)
    fields = {s.name for s in specs}
    missing = [s.name for s in specs if s.required and s.name not in names]
    extra = [c for c in names if c not in fields]
    extra += sorted({c for c in names if names.count(c) > 1} - set(extra))
    if missing or extra:
        raise SchemaError(cls.table or cls.__name__, missing, extra)

    n = table.num_rows
    columns = []
    checks: list[_Check] = []
    for s in specs:
        if s.name not in names:
            columns.append(_default_column(s, n))
            continue
        cast, col_checks = _column_checks(s, table.column(s.name), known)
        columns.append(cast)
        checks.extend(col_checks)

    schema = arrow_schema(cls)
    reason = reason_column(cls)
    if not checks:
        accepted = pa.Table.from_arrays(columns, schema=schema)
        rejected = table.slice(0, 0).append_column(reason, pa.array([], pa.string()))
        return TableSplit(accepted, rejected, np.arange(n, dtype=np.int64), np.zeros(0, np.int64))

    bad = reduce(pc.or_, (c.mask for c in checks))
    rows = pc.indices_nonzero(bad)
    reasons = pa.nulls(len(rows), pa.string())
    for c in checks:
        todo = pc.and_(c.mask.take(rows), reasons.is_null())
        if isinstance(todo, pa.ChunkedArray):
            todo = todo.combine_chunks()
        if not pc.any(todo).as_py():
            continue
        texts = c.describe(rows.filter(todo))
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        reasons = pc.replace_with_mask(reasons, todo, texts.cast(pa.string()))

    good = pc.invert(bad)
    accepted = pa.Table.from_arrays([c.filter(good) for c in columns], schema=schema)
    rejected = table.take(rows).append_column(reason, reasons)
    rejected_rows = np.asarray(rows, dtype=np.int64)
    accepted_rows = np.setdiff1d(np.arange(n, dtype=np.int64), rejected_rows)
    return TableSplit(accepted, rejected, accepted_rows, rejected_rows)


def write_rejected(rejected: pa.Table, path: str | Path) -> Path | None:
    """Write rejected rows to Parquet for a person to look at; nothing is written (and
    None returned) when there are none, so an empty file never suggests a problem."""
    if rejected.num_rows == 0:
        return None
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(rejected, out)
    return out
