"""fraudwall's two units: money in int64 fen, time in int64 ms since the epoch, UTC.

The spans of time every part counts in are defined here once, and so is China's offset
from UTC, by which local hours and days (night calls, daily limits) are told. Money is
written from the integer fen with integer arithmetic (never through a float), so every
fen shows; times read as UTC unless a caller asks for another zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Final

MINUTE_MS: Final = 60_000
HOUR_MS: Final = 60 * MINUTE_MS
DAY_MS: Final = 24 * HOUR_MS
#: China Standard Time is UTC+8 all year (no daylight saving).
LOCAL_OFFSET_MS: Final = 8 * HOUR_MS
#: The plausible times, in ms: from 1973-03-03 09:46:40 UTC (1e11 ms) to 2100-01-01 UTC. A
#: time in seconds (about 1.7e9 today) or microseconds (1.7e15) falls far outside, so a
#: wrong unit is caught instead of read as 1970 or as a date thousands of years away. 0
#: (the epoch) is allowed as "before any history": the simulator opens external accounts then.
EARLIEST_MS: Final = 100_000_000_000
LATEST_MS: Final = 4_102_444_800_000


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
