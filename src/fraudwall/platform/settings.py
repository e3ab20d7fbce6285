"""What `fraudwall serve` is told: where its data lives, what it listens on, its limits."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

DEFAULT_DATA: Final = Path("fraudwall-data")
DB_FILE: Final = "fraudwall.sqlite"
SNAPSHOT_DIR: Final = "engine-snapshot"


class Clock(Protocol):
    """The service's time, in ms UTC (tests give a fixed one: no test depends on timing)."""

    def now(self) -> int: ...


class WallClock:
    def now(self) -> int:
        return time.time_ns() // 1_000_000


@dataclass
class FixedClock:
    """A clock that moves only when told (`advance`), for tests and replays."""

    ms: int

    def now(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


@dataclass(frozen=True)
class ServeSettings:
    """How the service runs. `db_url` None: SQLite in the data folder."""

    data_dir: Path = DEFAULT_DATA
    db_url: str | None = None
    #: how far behind the newest accepted event the engine absorbs (ms): events may arrive
    #: this much out of order, and a check's outcome is awaited this long
    reorder_window_ms: int = 60_000
    #: engine snapshots: every this many seconds (0: only on shutdown)
    snapshot_interval_s: float = 300.0
    #: how long a key looked up is trusted without asking the database again: a key revoked
    #: by another process (`fraudwall keys revoke`) is refused within this many seconds
    key_cache_s: float = 2.0
    #: seconds between pushes of due orders to institutions' webhooks (0: only on requests)
    webhook_sweep_s: float = 10.0
    #: checked events are absorbed as they come due in steps of a few hundred under load,
    #: and whatever is due after this many seconds without a check (0: only under load)
    idle_absorb_s: float = 0.5
    #: request limits
    max_body_bytes: int = 64 * 1024 * 1024
    max_batch_events: int = 200_000
    #: a return of more than this needs a police supervisor's approval (maker-checker)
    return_approval_fen: int = 50_000_00

    @property
    def database(self) -> str:
        return self.db_url or f"sqlite:///{(self.data_dir / DB_FILE).resolve()}"

    @property
    def snapshot_dir(self) -> Path:
        return self.data_dir / SNAPSHOT_DIR


__all__ = ["DEFAULT_DATA", "Clock", "FixedClock", "ServeSettings", "WallClock"]
