"""Where cases, orders, refused reports and the audit trail live between commands.

SQLite by default (a file beside the world, nothing to install), PostgreSQL otherwise
(any `postgresql+...` SQLAlchemy URL). Tables come from the domain types (`model.sql`),
so the database never drifts from JSON and Parquet. Writes are upserts by key: running a
step twice leaves one row per case and per order.

The store never holds something wrong:

* **One transaction per step.** `CaseStore.writing()` is one transaction that holds the
  store's write lock from its first statement (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a
  transaction-scoped advisory lock), so a command reads what it needs, checks that its
  work is not done yet, and stores its cases, orders, policy and audit entries all or
  nothing. A second run on the same store waits for the first and then sees its result.
* **Bound to its world.** The store keeps the id of the world it was made from
  (`World.world_id`) and refuses to be read or written against another one.
* **Damage is named.** A file SQLite cannot read, or one holding only some of the
  store's tables, is refused with the file's name; a read never creates a store.

The store also keeps the `RecoveryPolicy` the orders were made under (rule, hops, window,
working times), so that returns and later traces follow the money the way the stops did.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa

from fraudwall.common.sqldb import WRITE_OPTION, sqlite_engine, write_lock
from fraudwall.errors import FraudwallError, InputError, RunError
from fraudwall.funds.audit import AuditEntry, AuditTrail
from fraudwall.funds.recovery import RecoveryPolicy
from fraudwall.model import CaseFile, Order, OrderKind
from fraudwall.model.sql import record_of, row_of, sql_table

STORE_FILE: Final = "funds.sqlite"
"""The store's file name inside a world directory, for the embedded deployment."""

POLICY_KEY: Final = "recovery_policy"
"""The `meta` row holding the policy the orders were made under."""

WORLD_KEY: Final = "world_id"
"""The `meta` row holding the id of the world the store was made from."""

LOCK_WAIT_S: Final = 600
"""How long a command waits for another run holding the store's write lock."""

PG_LOCK_KEY: Final = 0x66772D73746F7265
"""The PostgreSQL advisory lock of the case store ("fw-store" in ASCII)."""

TEST_KILL_ENV: Final = "FRAUDWALL_TEST_KILL_AFTER_ROWS"
"""A test hook, not for users: ``SIGNAL:N`` (e.g. ``SIGKILL:120``) makes the process send
itself that signal once the store has inserted N rows, so that tests interrupt a command
at an exact point of its transaction."""

_DAMAGED_HINT: Final = (
    "move it away and run `fraudwall cases open` (then `cases stop`, `cases return`) again: "
    "the same world gives the same cases and orders"
)


def store_url(world_dir: Path) -> str:
    """The SQLite URL of the store kept in a world directory."""
    return f"sqlite:///{(world_dir / STORE_FILE).resolve()}"


def _arm_test_kill(engine: sa.Engine) -> None:
    """Arm the `TEST_KILL_ENV` hook on this engine, when the variable is set."""
    spec = os.environ.get(TEST_KILL_ENV, "")
    if not spec:
        return
    name, _, rows = spec.partition(":")
    signum, limit = signal.Signals[name], int(rows)
    written = [0]

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:6].upper() == "INSERT" and written[0] < limit:
            written[0] += max(cursor.rowcount, 1)
            if written[0] >= limit:
                os.kill(os.getpid(), signum)


class CaseStore:
    """Cases, orders, refused reports and the audit trail, behind SQLAlchemy Core.

    `create=False` opens only a store that is already there (for commands that just read).
    Work is done in one transaction, `writing()` or `reading()`; the methods on the store
    itself (`put_cases`, `all_orders`, ...) each run one such transaction of their own.
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        parsed = sa.make_url(url)
        self.dialect = parsed.get_backend_name()
        self.path: Path | None = None
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database in ("", ":memory:") or database.startswith("file:"):
                raise InputError(url, "the case store needs a file: sqlite:///PATH")
            self.path = Path(database).resolve()
            self.where = str(self.path)
            self.engine = sqlite_engine(str(self.path), create=create, timeout_s=LOCK_WAIT_S)
        elif self.dialect == "postgresql":
            self.where = parsed.render_as_string(hide_password=True)
            self.engine = sa.create_engine(parsed)
        else:
            shown = parsed.render_as_string(hide_password=True)
            raise InputError(shown, "the case store runs on SQLite or PostgreSQL")
        _arm_test_kill(self.engine)
        self.metadata = sa.MetaData()
        self.cases = sql_table(CaseFile, self.metadata)
        self.orders = sql_table(Order, self.metadata)
        self.rejected = sa.Table(
            "rejected_reports",
            self.metadata,
            sa.Column("report_id", sa.Text, primary_key=True),
            sa.Column("reason", sa.Text, nullable=False),
        )
        self.audit = sa.Table(
            "audit",
            self.metadata,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("ts", sa.BigInteger, nullable=False),
            sa.Column("actor", sa.Text, nullable=False),
            sa.Column("action", sa.Text, nullable=False),
            sa.Column("subject", sa.Text, nullable=False),
            sa.Column("detail", sa.Text, nullable=False),
            sa.Column("figures", sa.JSON, nullable=False),
        )
        self.meta = sa.Table(
            "meta",
            self.metadata,
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("value", sa.JSON, nullable=False),
        )
        if self.path is not None and self.path.exists():
            self._check_file()
        if create:
            with self.writing():
                pass  # the tables, made under the write lock

    @classmethod
    def in_world(cls, world_dir: Path, *, create: bool = True) -> CaseStore:
        return cls(store_url(world_dir), create=create)

    def close(self) -> None:
        self.engine.dispose()

    # --- state of the database --------------------------------------------------------
    @contextmanager
    def _named_failures(self) -> Iterator[None]:
        """Database failures a person can act on, as one line naming the store."""
        try:
            yield
        except sa.exc.DBAPIError as exc:
            named = self._explain(exc)
            if named is None:
                raise
            raise named from exc

    def _explain(self, exc: sa.exc.DBAPIError) -> FraudwallError | None:
        text = str(exc.orig).strip()
        if "locked" in text or getattr(exc.orig, "sqlstate", None) == "55P03":
            return RunError(
                self.where,
                f"held by another run for more than {LOCK_WAIT_S} s",
                hint="let it finish, then run again",
            )
        if "malformed" in text or "not a database" in text:
            return InputError(self.where, f"damaged ({text})", hint=_DAMAGED_HINT)
        return None

    def _check_file(self) -> None:
        """Refuse a file SQLite cannot read through, or one that holds only some of the
        store's tables (a file with no tables at all is a store not begun yet)."""
        with self._named_failures(), self.engine.connect() as conn:
            problems = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise InputError(self.where, f"damaged ({problems[0]})", hint=_DAMAGED_HINT)
            self._tables_present(conn)

    def _tables_present(self, conn: sa.Connection) -> bool:
        """True if the store's tables are all there, False if none is; a part is damage."""
        there = set(sa.inspect(conn).get_table_names())
        missing = sorted(set(self.metadata.tables) - there)
        if missing and len(missing) < len(self.metadata.tables):
            raise InputError(
                self.where,
                f"damaged: the case store's tables {', '.join(missing)} are missing",
                hint=_DAMAGED_HINT,
            )
        return not missing

    def exists(self) -> bool:
        """True if the store has been made (its tables are there)."""
        if self.path is not None and not self.path.exists():
            return False
        with self._named_failures(), self.engine.connect() as conn:
            return self._tables_present(conn)

    # --- transactions -------------------------------------------------------------------
    @contextmanager
    def writing(self, world_id: str | None = None) -> Iterator[StoreTx]:
        """One transaction holding the store's write lock from its start: everything
        written in it is stored together when the block ends, or nothing is (an exception,
        Ctrl-C or a killed process). With `world_id`, the store is bound to that world (a
        store made from another one is refused)."""
        with (
            self._named_failures(),
            self.engine.connect().execution_options(**{WRITE_OPTION: True}) as conn,
            conn.begin(),
        ):
            write_lock(conn, PG_LOCK_KEY, LOCK_WAIT_S)
            self.metadata.create_all(conn)
            tx = StoreTx(self, conn)
            if world_id is not None:
                tx.bind(world_id)
            yield tx

    @contextmanager
    def reading(self, world_id: str | None = None) -> Iterator[StoreTx]:
        """One read transaction (a consistent view). A store not made yet is refused, and
        so, with `world_id`, is a store made from another world."""
        if not self.exists():
            raise InputError(
                self.where,
                "no case store here yet",
                hint="`fraudwall cases open WORLD` opens the world's reports as cases",
            )
        with self._named_failures(), self.engine.connect() as conn, conn.begin():
            tx = StoreTx(self, conn)
            if world_id is not None:
                tx.check_world(world_id)
            yield tx

    # --- one transaction per call -------------------------------------------------------
    def put_cases(self, cases: Iterable[CaseFile]) -> None:
        with self.writing() as tx:
            tx.put_cases(cases)

    def put_orders(self, orders: Iterable[Order]) -> None:
        with self.writing() as tx:
            tx.put_orders(orders)

    def put_rejected(self, rejected: Iterable[tuple[str, str]]) -> None:
        with self.writing() as tx:
            tx.put_rejected(rejected)

    def put_policy(self, policy: RecoveryPolicy) -> None:
        with self.writing() as tx:
            tx.put_policy(policy)

    def append_audit(self, entries: Iterable[AuditEntry]) -> None:
        with self.writing() as tx:
            tx.append_audit(entries)

    def all_cases(self) -> list[CaseFile]:
        with self.reading() as tx:
            return tx.all_cases()

    def case(self, case_id: str) -> CaseFile:
        with self.reading() as tx:
            return tx.case(case_id)

    def all_orders(self, kind: OrderKind | None = None) -> list[Order]:
        with self.reading() as tx:
            return tx.all_orders(kind)

    def all_rejected(self) -> list[tuple[str, str]]:
        with self.reading() as tx:
            return tx.all_rejected()

    def policy(self) -> RecoveryPolicy | None:
        with self.reading() as tx:
            return tx.policy()

    def audit_trail(self) -> AuditTrail:
        with self.reading() as tx:
            return tx.audit_trail()

    def world_id(self) -> str | None:
        with self.reading() as tx:
            return tx.world_id()


class StoreTx:
    """The store within one transaction (`CaseStore.writing()` or `reading()`)."""

    def __init__(self, store: CaseStore, conn: sa.Connection) -> None:
        self.store = store
        self.conn = conn
        self.where = store.where

    # --- the world the store belongs to -------------------------------------------------
    def world_id(self) -> str | None:
        """The id of the world the store was made from (None: not recorded)."""
        meta = self.store.meta
        value = self.conn.execute(sa.select(meta.c.value).where(meta.c.key == WORLD_KEY)).scalar()
        return value if isinstance(value, str) else None

    def is_empty(self) -> bool:
        """True if the store holds nothing at all (not a case, order, entry or setting)."""
        s = self.store
        tables = (s.cases, s.orders, s.rejected, s.audit, s.meta)
        return not any(self.conn.execute(sa.select(sa.literal(1)).select_from(t)).first()
                       for t in tables)  # fmt: skip

    def check_world(self, world_id: str) -> None:
        """Refuse a store made from another world than `world_id` (or from an unknown one)."""
        made_from = self.world_id()
        if made_from == world_id or (made_from is None and self.is_empty()):
            return
        if made_from is None:
            raise InputError(
                self.where,
                f"records no world id (made before stores were bound to their world), so "
                f"whether it belongs to this world ({world_id}) cannot be told",
                hint="if it does, move it away and run `fraudwall cases open` (then `cases "
                "stop`, `cases return`) again: the same world gives the same cases and orders",
            )
        raise InputError(
            self.where,
            f"made from world {made_from}, not from this world ({world_id})",
            hint="keep it with the world it was made from; for this world, move it away and "
            "run `fraudwall cases open` to start its cases",
        )

    def bind(self, world_id: str) -> None:
        """Record that the store belongs to `world_id` (refusing one that belongs to another)."""
        self.check_world(world_id)
        if self.world_id() is None:
            self.conn.execute(self.store.meta.insert(), [{"key": WORLD_KEY, "value": world_id}])

    # --- writes ---------------------------------------------------------------------------
    def _upsert(self, table: sa.Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        keys = [r[key] for r in rows]
        self.conn.execute(table.delete().where(table.c[key].in_(keys)))
        self.conn.execute(table.insert(), list(rows))

    def put_cases(self, cases: Iterable[CaseFile]) -> None:
        self._upsert(self.store.cases, "case_id", [row_of(c) for c in cases])

    def put_orders(self, orders: Iterable[Order]) -> None:
        self._upsert(self.store.orders, "order_id", [row_of(o) for o in orders])

    def put_rejected(self, rejected: Iterable[tuple[str, str]]) -> None:
        rows = [{"report_id": r, "reason": why} for r, why in rejected]
        self._upsert(self.store.rejected, "report_id", rows)

    def put_policy(self, policy: RecoveryPolicy) -> None:
        """Keep the policy the orders are made under (replacing any kept before)."""
        self._upsert(self.store.meta, "key", [{"key": POLICY_KEY, "value": policy.to_record()}])

    def append_audit(self, entries: Iterable[AuditEntry]) -> None:
        """Append entries after those already kept; the stored trail is never rewritten."""
        rows = [
            {
                "ts": e.ts,
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "detail": e.detail,
                "figures": json.loads(json.dumps(dict(e.figures))),
            }
            for e in entries
        ]
        if rows:
            self.conn.execute(self.store.audit.insert(), rows)

    # --- reads ----------------------------------------------------------------------------
    def all_cases(self) -> list[CaseFile]:
        cases = self.store.cases
        rows = self.conn.execute(sa.select(cases).order_by(cases.c.report_ts))
        return [record_of(CaseFile, r) for r in rows]

    def case(self, case_id: str) -> CaseFile:
        cases = self.store.cases
        row = self.conn.execute(sa.select(cases).where(cases.c.case_id == case_id)).first()
        if row is None:
            raise KeyError(f"case_id: no case '{case_id}' in the store")
        return record_of(CaseFile, row)

    def all_orders(self, kind: OrderKind | None = None) -> list[Order]:
        orders = self.store.orders
        q = sa.select(orders).order_by(orders.c.issued_ts, orders.c.order_id)
        if kind is not None:
            q = q.where(orders.c.kind == kind.value)
        return [record_of(Order, r) for r in self.conn.execute(q)]

    def has_orders(self, kind: OrderKind | None = None) -> bool:
        """True if the store holds an order (of `kind`, when given)."""
        orders = self.store.orders
        q = sa.select(sa.literal(1)).select_from(orders)
        if kind is not None:
            q = q.where(orders.c.kind == kind.value)
        return self.conn.execute(q.limit(1)).first() is not None

    def all_rejected(self) -> list[tuple[str, str]]:
        rejected = self.store.rejected
        rows = self.conn.execute(sa.select(rejected).order_by(rejected.c.report_id))
        return [(r.report_id, r.reason) for r in rows]

    def policy(self) -> RecoveryPolicy | None:
        """The policy kept by `put_policy`, or None; a damaged record is refused naming the
        field (an `InputError`, which is a ValueError)."""
        meta = self.store.meta
        value = self.conn.execute(sa.select(meta.c.value).where(meta.c.key == POLICY_KEY)).scalar()
        if value is None:
            return None
        try:
            if not isinstance(value, dict):
                raise ValueError(f"expected the policy's fields, got {value!r}")
            return RecoveryPolicy.from_record(value)
        except FraudwallError:
            raise
        except ValueError as exc:
            raise InputError(self.where, f"{POLICY_KEY}: {exc}", hint=_DAMAGED_HINT) from None

    def audit_trail(self) -> AuditTrail:
        """The whole trail, in the order it was recorded."""
        audit = self.store.audit
        trail = AuditTrail()
        for r in self.conn.execute(sa.select(audit).order_by(audit.c.seq)):
            trail.append(AuditEntry(r.ts, r.actor, r.action, r.subject, r.detail, r.figures))
        return trail
