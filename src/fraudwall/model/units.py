"""How fraudwall's two units read for people: fen as yuan, ms since the epoch as a time.

Money is written from the integer fen with integer arithmetic (never through a float), so
every fen shows; times are UTC unless a caller asks for another zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def plain_yuan(fen: int) -> str:
    """Fen as yuan with two decimals and nothing else ("1234.56"): for tables and files."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


def yuan(fen: int) -> str:
    """Fen as yuan for reading ("¥1,234.56")."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def utc(ts: int) -> str:
    """A time in ms since the epoch as a UTC timestamp to the second."""
    return datetime.fromtimestamp(ts / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def local_time(ts: int, zone: tzinfo) -> str:
    """A time in ms since the epoch as a wall-clock time in `zone`, to the second."""
    return datetime.fromtimestamp(ts / 1000, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
