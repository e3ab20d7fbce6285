"""The funds part's `OrderBook`, rebuilt from the database and written back to it.

The database is the source of truth for orders; the book, which holds the legal rules
(48 hours, two stops per account, six months, freezes drawn down by returns), lives for one
write transaction: `load_book` restores it with every order and citation, the request
changes it, `save_book` writes back what changed (an upsert of each changed order), and the
transaction commits both or neither. The book's clock is the service's: `load_book` expires
what ended by `now` at once, so no request ever sees a stop that should have ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from fraudwall.funds import AuditTrail, Citation, OrderBook
from fraudwall.model import Order, OrderKind
from fraudwall.model.sql import record_of, row_of
from fraudwall.platform.schema import order_citations, orders


@dataclass
class LoadedBook:
    """A book as loaded: the book, the orders as they were stored, the book's audit trail."""

    book: OrderBook
    stored: dict[str, Order]
    trail: AuditTrail
    expired: list[Order] = field(default_factory=list)


def stored_orders(conn: sa.Connection) -> dict[str, Order]:
    """Every order in the database, by id, in the order they were issued."""
    rows = conn.execute(sa.select(orders).order_by(orders.c.issued_ts, orders.c.order_id))
    return {r.order_id: record_of(Order, r) for r in rows}


def citations(conn: sa.Connection) -> dict[str, Citation]:
    """The transfer each stop-payment cites, by order id."""
    q = sa.select(order_citations, orders.c.account_id).join(
        orders, orders.c.order_id == order_citations.c.order_id
    )
    return {
        r.order_id: Citation(r.account_id, r.account_name, r.amount_fen, r.ts, r.transfer_id)
        for r in conn.execute(q)
    }


def load_book(conn: sa.Connection, now: int) -> LoadedBook:
    """The book of every stored order, its clock moved to `now` (expiring what ended)."""
    stored = stored_orders(conn)
    trail = AuditTrail()
    settled = [o.order_id for o in stored.values() if o.kind == OrderKind.RETURN]
    book = OrderBook.restore(stored.values(), trail, settled=settled, citations=citations(conn))
    latest = max((max(o.issued_ts, o.applied_ts or 0) for o in stored.values()), default=now)
    expired = book.expire(max(now, latest))  # a clock never goes back (see OrderBook)
    return LoadedBook(book, stored, trail, expired)


def save_order(conn: sa.Connection, order: Order) -> None:
    """Insert one order's row, or update it in place (citations, answers and deliveries
    refer to it, so it is never deleted)."""
    row = row_of(order)
    updated = conn.execute(orders.update().where(orders.c.order_id == order.order_id).values(row))
    if updated.rowcount == 0:
        conn.execute(orders.insert(), [row])


def save_citation(conn: sa.Connection, order_id: str, cite: Citation) -> None:
    conn.execute(
        order_citations.insert(),
        [
            {
                "order_id": order_id,
                "account_name": cite.account_name,
                "amount_fen": cite.amount_fen,
                "ts": cite.ts,
                "transfer_id": cite.transfer_id,
            }
        ],
    )


def save_book(conn: sa.Connection, loaded: LoadedBook) -> list[tuple[Order | None, Order]]:
    """Write back every order of the book that is new or changed; the (before, after) pairs,
    before None for a new order, in the order the book issued them."""
    changed: list[tuple[Order | None, Order]] = []
    for order in loaded.book.orders():
        before = loaded.stored.get(order.order_id)
        if before != order:
            save_order(conn, order)
            changed.append((before, order))
    for order_id, cite in _new_citations(loaded).items():
        save_citation(conn, order_id, cite)
    loaded.stored.update({after.order_id: after for _, after in changed})
    return changed


def _new_citations(loaded: LoadedBook) -> dict[str, Citation]:
    out: dict[str, Citation] = {}
    for order in loaded.book.orders(kind=OrderKind.STOP_PAYMENT):
        if order.order_id not in loaded.stored:
            out[order.order_id] = loaded.book.citation(order.order_id)
    return out


def order_dict(order: Order) -> dict[str, Any]:
    """An order as plain values (what audit entries and webhook bodies hold)."""
    return row_of(order)


def trail_details(trail: AuditTrail, since: int = 0) -> list[str]:
    """The sentences the funds part wrote for its decisions since entry `since`."""
    return [e.detail for e in list(trail)[since:]]


__all__ = [
    "LoadedBook",
    "citations",
    "load_book",
    "order_dict",
    "save_book",
    "save_order",
    "stored_orders",
    "trail_details",
]
