"""One value checked against the risk lists, with the evidence: what `risk check` answers.

A link is also listed when its host, or a domain above it, is (``https://a.evil.com/x``
by a ``domain`` entry for ``evil.com``); a domain when a domain above it is. Every entry
for the value is shown, expired ones and those not begun too, each marked, so the answer
says why it is (or no longer is) listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from fraudwall.common import lookupkeys
from fraudwall.intel.risklists.entries import ListKind, list_kind, normalise
from fraudwall.intel.risklists.store import entries_on


@dataclass(frozen=True)
class Answer:
    """Whether `value` (in its form) is listed at `at_ts`, and every entry that bears on
    it (`ENTRY_SCHEMA` and `status`: live, expired or not yet)."""

    kind: ListKind
    value: str
    at_ts: int
    listed: bool
    entries: pa.Table


def domains_above(host: str) -> list[str]:
    """The host and every domain above it of two labels or more
    (``a.b.example.com`` -> itself, ``b.example.com``, ``example.com``)."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def answer_on(conn: sa.Connection, kind: ListKind | str, raw: str, at_ts: int) -> Answer:
    """Check `raw` (any written form; `InputError` if it has none) at `at_ts`."""
    kind = list_kind(str(kind))
    value = normalise(kind, raw)
    parts = [entries_on(conn, kind, [value])]
    if kind in (ListKind.URL, ListKind.DOMAIN):
        host = lookupkeys.host(value) if kind is ListKind.URL else value
        above = domains_above(host)
        if kind is ListKind.DOMAIN:
            above = above[1:]  # the domain itself is asked above
        if above:
            parts.append(entries_on(conn, ListKind.DOMAIN, above))
    found = pa.concat_tables(parts)
    first, expires = found["first_seen_ts"], found["expires_ts"]
    status = pc.if_else(
        pc.less_equal(expires, at_ts),
        "expired",
        pc.if_else(pc.greater(first, at_ts), "not yet", "live"),
    )
    found = found.append_column("status", status)
    listed = bool(pc.any(pc.equal(status, "live")).as_py() or False)
    return Answer(kind, value, int(at_ts), listed, found)


__all__ = ["Answer", "answer_on", "domains_above"]
