"""What each caller may see and speak for: the one place scoping is decided.

Police and the operator see every institution's records. A bank or payment institution
sees its own accounts, the events it reported, their decisions and the orders addressed
to it; a telco its own numbers, its events and its warning tasks; the public app only
what it filed itself. A record another agency owns is answered as not found (404), so a
key cannot even learn that it exists. Writes are in the caller's own name: an institution
reports only its own events.

Every area asks here, never decides scoping itself.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from fraudwall.errors import InputError
from fraudwall.platform.auth import ApiRole, Principal
from fraudwall.platform.errors import NotFound


def institution_scope(who: Principal) -> str | None:
    """The one institution whose records `who` may see, or None for all of them (police,
    operator). The public app sees no institution's records."""
    if who.sees_everything:
        return None
    return who.institution_id or f"(none for {who.agency_id})"


def visible(who: Principal, column: Any) -> sa.ColumnElement[bool]:
    """A WHERE clause keeping the rows whose institution `column` `who` may see."""
    own = institution_scope(who)
    return sa.true() if own is None else column == own


def sees(who: Principal, institution_id: str | None) -> bool:
    own = institution_scope(who)
    return own is None or (institution_id is not None and institution_id == own)


def check_sees(who: Principal, institution_id: str | None, what: str, ident: str) -> None:
    """Refuse (404) a record of another institution as if it did not exist."""
    if not sees(who, institution_id):
        raise NotFound(what, f"no {what} {ident!r}")


def sees_risk_evidence(who: Principal) -> bool:
    """Risk checks: every agency sees the evidence behind a verdict (the shared risk list is
    meant for them; it is aggregate, with no customer's ids); the public app sees only the
    verdict and the advice. Amounts about an account are shown to those who `sees` its
    institution."""
    return who.role is not ApiRole.PUBLIC_APP


def check_speaks_for(who: Principal, institution_id: str, where: str = "institution_id") -> None:
    """An institution or telco writes only in its own name (police and the operator may
    write for any)."""
    if who.sees_everything:
        return
    if who.role in (ApiRole.INSTITUTION, ApiRole.TELCO) and institution_id == who.institution_id:
        return
    raise InputError(
        where,
        f"{institution_id!r} is not your institution "
        f"(this key speaks for {who.institution_id or who.agency_id})",
    )


__all__ = [
    "check_sees",
    "check_speaks_for",
    "institution_scope",
    "sees",
    "sees_risk_evidence",
    "visible",
]
