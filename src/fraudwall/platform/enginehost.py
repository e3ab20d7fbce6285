"""The engine inside the service: one `engine.Engine` in memory, used by one thread at a time.

Deciding (checks, ingest) never changes the engine's state; absorbing does, in time
order, up to a watermark behind the newest accepted event (`ServeSettings.reorder_window_ms`).
The state is snapshotted on shutdown and at an interval; on start it is restored and the
events stored after the snapshot are absorbed again, so nothing acknowledged is lost.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fraudwall.engine import Engine

if TYPE_CHECKING:
    from fraudwall.platform.service import Service


class EngineHost:
    """The service's engine and the lock that serialises its use."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.lock = threading.Lock()
        self.engine = Engine()

    def start(self) -> None:
        """Restore the engine from its snapshot, when there is one."""

    def stop(self) -> None:
        """Snapshot the engine."""


__all__ = ["EngineHost"]
