"""Where risk list entries live: one table, SQLite by default, PostgreSQL by URL.

Entries are kept per (kind, value, source). **Merging**: an entry for a (kind, value) that
another source already lists is kept beside it (both sources stay, each with its own
evidence, confidence and expiry; a lookup answers with the highest live confidence and
every live source). An entry for the same (kind, value, source) merges into the one
stored: the first sighting is the earlier of the two, and evidence, confidence, last
sighting and expiry are those of the more recent sighting (the later `last_seen_ts`; on a
tie, the one coming in), so a source that re-lists a value with less confidence or a
shorter expiry is taken at its newest word.

The table (`risk_entries`, on its own `METADATA`) is queried through functions of a
connection (`lookup_on`, `entries_on`, `upsert_on`), so the service can hold it in its
own database and answer from there; `RiskListStore` wraps a database of its own (the
embedded default: ``fraudwall-data/risklists.sqlite``, the service's data folder).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from fraudwall.common.sqldb import WRITE_OPTION, sqlite_engine, write_lock
from fraudwall.errors import InputError, RunError
from fraudwall.intel.risklists.entries import (
    ENTRY_SCHEMA,
    CheckedEntries,
    ListKind,
    RiskEntry,
    checked,
    entries_table,
    list_kind,
    normalise_column,
)
from fraudwall.intel.risklists.view import engine_view
from fraudwall.model import RiskListView

if TYPE_CHECKING:
    from fraudwall.intel.risklists.answer import Answer

DEFAULT_DATA: Final = Path("fraudwall-data")
"""The service's data folder by default (`platform.settings.DEFAULT_DATA`, `serve --data`)."""
STORE_FILE: Final = "risklists.sqlite"
"""The store's file in a data folder (beside the service's ``fraudwall.sqlite``)."""
LOCK_WAIT_S: Final = 600
PG_LOCK_KEY: Final = 0x66772D7269736B73
"""The PostgreSQL advisory lock of the risk lists ("fw-risks" in ASCII)."""
_CHUNK: Final = 5_000  # values per IN list

METADATA: Final = sa.MetaData()
risk_entries: Final = sa.Table(
    "risk_entries",
    METADATA,
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("confidence", sa.Double, nullable=False),
    sa.Column("first_seen_ts", sa.BigInteger, nullable=False),
    sa.Column("last_seen_ts", sa.BigInteger, nullable=False),
    sa.Column("expires_ts", sa.BigInteger, nullable=False),
    # The key is the index lookups use: a second one on (kind, expires_ts) tempted
    # SQLite's planner to scan a whole kind for every batch of values asked.
    sa.PrimaryKeyConstraint("kind", "value", "source", name="pk_risk_entries"),
)

#: What `lookup_on` answers, one row per value asked (in its form): listed or not at the
#: time asked, and over the live entries the highest confidence, the sources, the first
#: and last sighting and the latest expiry (null when not listed).
LOOKUP_SCHEMA: Final = pa.schema(
    [
        ("value", pa.string()),
        ("listed", pa.bool_()),
        ("confidence", pa.float64()),
        ("sources", pa.list_(pa.string())),
        ("first_seen_ts", pa.int64()),
        ("last_seen_ts", pa.int64()),
        ("expires_ts", pa.int64()),
    ]
)


def default_url(data_dir: Path = DEFAULT_DATA) -> str:
    """The SQLite URL of the store kept in a data folder."""
    return f"sqlite:///{(Path(data_dir) / STORE_FILE).resolve()}"


# --- on a connection: what the service can call inside its own transactions -------------
def _as_table(rows: Sequence[Any]) -> pa.Table:
    columns: list[Sequence[Any]] = [[] for _ in ENTRY_SCHEMA.names]
    if rows:
        columns = list(zip(*rows, strict=True))
    return pa.table(
        [pa.array(list(c), f.type) for c, f in zip(columns, ENTRY_SCHEMA, strict=True)],
        schema=ENTRY_SCHEMA,
    )


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def entries_on(
    conn: sa.Connection,
    kind: ListKind | str | None = None,
    values: Sequence[str] | None = None,
    live_at: int | None = None,
    ends_after: int | None = None,
) -> pa.Table:
    """The stored entries (`ENTRY_SCHEMA`), of one kind and those values (in their form)
    if given, live at `live_at` and expiring after `ends_after` if given, in (kind,
    value, source) order."""
    t = risk_entries.c
    q = sa.select(*(t[name] for name in ENTRY_SCHEMA.names))
    if kind is not None:
        q = q.where(t.kind == list_kind(str(kind)).value)
    if live_at is not None:
        q = q.where(t.first_seen_ts <= live_at, t.expires_ts > live_at)
    if ends_after is not None:
        q = q.where(t.expires_ts > ends_after)
    q = q.order_by(t.kind, t.value, t.source)
    if values is None:
        return _as_table(conn.execute(q).all())
    distinct = sorted(set(values))
    parts = [_as_table(conn.execute(q.where(t.value.in_(c))).all()) for c in _chunks(distinct)]
    if not parts:
        return ENTRY_SCHEMA.empty_table()
    return pa.concat_tables(parts).sort_by([("kind", "ascending"), ("value", "ascending"),
                                            ("source", "ascending")])  # fmt: skip


def lookup_on(
    conn: sa.Connection, kind: ListKind | str, values: Sequence[str] | pa.Array, at_ts: int
) -> pa.Table:
    """Whether each of `values` (any written form; `InputError` naming the first that has
    none) is listed at `at_ts`: `LOOKUP_SCHEMA`, one row per value in the order given. An
    entry counts from its first sighting until, not at, its expiry."""
    kind = list_kind(str(kind))
    forms = normalise_column(kind, values)
    live = entries_on(conn, kind, forms.unique().to_pylist(), live_at=int(at_ts))
    agg = live.group_by("value", use_threads=False).aggregate(
        [
            ("confidence", "max"),
            ("source", "list"),
            ("first_seen_ts", "min"),
            ("last_seen_ts", "max"),
            ("expires_ts", "max"),
        ]
    )
    at = pc.index_in(forms, agg["value"])
    listed = pc.is_valid(at)
    return pa.table(
        {
            "value": forms,
            "listed": listed,
            "confidence": agg["confidence_max"].take(at),
            "sources": agg["source_list"].take(at),
            "first_seen_ts": agg["first_seen_ts_min"].take(at),
            "last_seen_ts": agg["last_seen_ts_max"].take(at),
            "expires_ts": agg["expires_ts_max"].take(at),
        },
        schema=LOOKUP_SCHEMA,
    )


def view_on(conn: sa.Connection, at_ts: int, min_confidence: float = 0.0) -> RiskListView:
    """What the engine reads (`view.engine_view`, for `Engine.use_risk_lists`): accounts
    and numbers listed at or after `at_ts` with at least `min_confidence`."""
    kinds = (ListKind.ACCOUNT, ListKind.NUMBER)
    current = [entries_on(conn, kind, ends_after=at_ts) for kind in kinds]
    return engine_view(pa.concat_tables(current), at_ts, min_confidence)


@dataclass(frozen=True)
class Stored:
    """What `upsert_on` did: entries new to the store, and entries merged into one there."""

    new: int
    merged: int


def _keys(entries: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(
        entries["kind"], entries["value"], entries["source"], "\x1f"
    ).combine_chunks()


def _one_per_key(entries: pa.Table) -> pa.Table:
    """Entries of one (kind, value, source) in a batch merged as the store merges them:
    the earliest first sighting, the rest from the latest sighting (the later row on a tie)."""
    n = entries.num_rows
    keyed = pa.table({"key": _keys(entries), "last": entries["last_seen_ts"], "row": np.arange(n)})
    order = pc.sort_indices(
        keyed, [("key", "ascending"), ("last", "ascending"), ("row", "ascending")]
    ).to_numpy()
    keys = keyed["key"].take(order).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if n else np.empty(0, np.int64)
    if len(starts) == n:
        return entries
    ends = np.r_[starts[1:], n] - 1
    first = np.minimum.reduceat(entries["first_seen_ts"].to_numpy()[order], starts)
    kept = entries.take(order[ends])
    at = kept.schema.get_field_index("first_seen_ts")
    return kept.set_column(at, "first_seen_ts", pa.array(first, pa.int64()))


def upsert_on(
    conn: sa.Connection, entries: pa.Table | Iterable[RiskEntry] | CheckedEntries
) -> Stored:
    """Add entries, merging each into what is stored (see the module doc). Entries are
    checked first (`InputError` naming the first bad one, and nothing is stored), unless
    they come as the rows `check_entries` accepted."""
    if isinstance(entries, CheckedEntries):
        table = entries.accepted
    else:
        table = entries if isinstance(entries, pa.Table) else entries_table(entries)
        table = checked(table)
    table = _one_per_key(table)
    if not table.num_rows:
        return Stored(0, 0)
    t = risk_entries.c
    key = _keys(table)
    there = np.zeros(table.num_rows, bool)
    for kind in pc.unique(table["kind"]).to_pylist():
        mine = table.filter(pc.equal(table["kind"], kind))
        for chunk in _chunks(pc.unique(mine["value"]).to_pylist()):
            q = sa.select(t.kind, t.value, t.source).where(t.kind == kind, t.value.in_(chunk))
            stored = ["\x1f".join(row) for row in conn.execute(q)]
            if stored:
                there |= pc.is_in(key, pa.array(stored, pa.string())).to_numpy(zero_copy_only=False)
    conn.execute(_upsert_statement(conn.dialect.name), table.to_pylist())
    merged = int(there.sum())
    return Stored(table.num_rows - merged, merged)


def _upsert_statement(dialect: str) -> Any:
    stmt: Any
    if dialect == "sqlite":
        stmt = sqlite.insert(risk_entries)
    elif dialect == "postgresql":
        stmt = postgresql.insert(risk_entries)
    else:  # pragma: no cover - the store refuses other databases when opened
        raise RunError(dialect, "the risk lists run on SQLite or PostgreSQL")
    new, old = stmt.excluded, risk_entries.c
    newer = new.last_seen_ts >= old.last_seen_ts

    def latest(name: str) -> Any:
        return sa.case((newer, new[name]), else_=old[name])

    return stmt.on_conflict_do_update(
        index_elements=["kind", "value", "source"],
        set_={
            "first_seen_ts": sa.case(
                (new.first_seen_ts < old.first_seen_ts, new.first_seen_ts),
                else_=old.first_seen_ts,
            ),
            **{n: latest(n) for n in ("evidence", "confidence", "last_seen_ts", "expires_ts")},
        },
    )


# --- a store of its own -------------------------------------------------------------------
class RiskListStore:
    """The risk lists in a database of their own (see the module doc). Each method is one
    transaction; writes hold the store's write lock from their first statement.
    `create=False` opens only a store that is there (a lookup never makes one)."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        parsed = sa.make_url(url)
        dialect = parsed.get_backend_name()
        self.path: Path | None = None
        if dialect == "sqlite":
            database = parsed.database or ""
            if database in ("", ":memory:") or database.startswith("file:"):
                raise InputError(url, "the risk lists need a file: sqlite:///PATH")
            self.path = Path(database).resolve()
            self.where = str(self.path)
            if not create and not self.path.is_file():
                raise InputError(
                    self.where,
                    "no risk lists here",
                    hint="`fraudwall risk import FILE.csv` makes them, or give --db",
                )
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = sqlite_engine(str(self.path), create=create, timeout_s=LOCK_WAIT_S)
        elif dialect == "postgresql":
            self.where = parsed.render_as_string(hide_password=True)
            self.engine = sa.create_engine(parsed)
        else:
            shown = parsed.render_as_string(hide_password=True)
            raise InputError(shown, "the risk lists run on SQLite or PostgreSQL")
        if create:
            with self.writing():
                pass  # the table, made under the write lock
        else:
            with self.reading():
                pass  # a file that is no store is named now, not at the first lookup

    @classmethod
    def in_folder(cls, data_dir: Path = DEFAULT_DATA, *, create: bool = True) -> RiskListStore:
        return cls(default_url(data_dir), create=create)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> RiskListStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _named_failures(self) -> Iterator[None]:
        try:
            yield
        except sa.exc.DBAPIError as exc:
            text = str(exc.orig).strip()
            if "locked" in text or getattr(exc.orig, "sqlstate", None) == "55P03":
                raise RunError(
                    self.where,
                    f"held by another run for more than {LOCK_WAIT_S} s",
                    hint="let it finish, then run again",
                ) from exc
            if "not a database" in text or "malformed" in text or "no such table" in text:
                raise InputError(self.where, f"not a risk list store ({text})") from exc
            raise

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """One write transaction: all of it is stored, or none."""
        with (
            self._named_failures(),
            self.engine.connect().execution_options(**{WRITE_OPTION: True}) as conn,
            conn.begin(),
        ):
            write_lock(conn, PG_LOCK_KEY, LOCK_WAIT_S)
            METADATA.create_all(conn)
            yield conn

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """One read transaction (a consistent view)."""
        with self._named_failures(), self.engine.connect() as conn, conn.begin():
            if risk_entries.name not in sa.inspect(conn).get_table_names():
                raise InputError(
                    self.where,
                    "holds no risk lists",
                    hint="`fraudwall risk import FILE.csv` makes them",
                )
            yield conn

    def add(self, entries: pa.Table | Iterable[RiskEntry] | CheckedEntries) -> Stored:
        """Add and merge entries (see the module doc); all or none are stored."""
        with self.writing() as conn:
            return upsert_on(conn, entries)

    def lookup(
        self, kind: ListKind | str, values: Sequence[str] | pa.Array, at_ts: int
    ) -> pa.Table:
        """`lookup_on` in a transaction of its own."""
        with self.reading() as conn:
            return lookup_on(conn, kind, values, at_ts)

    def entries(
        self,
        kind: ListKind | str | None = None,
        values: Sequence[str] | None = None,
        live_at: int | None = None,
    ) -> pa.Table:
        """`entries_on` in a transaction of its own."""
        with self.reading() as conn:
            return entries_on(conn, kind, values, live_at)

    def check(self, kind: ListKind | str, raw: str, at_ts: int) -> Answer:
        """One value with the evidence (`answer.answer_on`)."""
        from fraudwall.intel.risklists.answer import answer_on

        with self.reading() as conn:
            return answer_on(conn, kind, raw, at_ts)

    def engine_view(self, at_ts: int, min_confidence: float = 0.0) -> RiskListView:
        """`view_on` in a transaction of its own."""
        with self.reading() as conn:
            return view_on(conn, at_ts, min_confidence)


__all__ = [
    "DEFAULT_DATA",
    "LOOKUP_SCHEMA",
    "METADATA",
    "STORE_FILE",
    "RiskListStore",
    "Stored",
    "default_url",
    "entries_on",
    "lookup_on",
    "risk_entries",
    "upsert_on",
    "view_on",
]
