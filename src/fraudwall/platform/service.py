"""The running service: settings, clock, database and engine, shared by every route.

Routes are thin: they take the caller (`auth.Caller`) and the `Service` (`ServiceDep`) and
call plain functions of each area with them. The service starts by making or checking its
database, bringing the event lookups up to date (`eventlookups.EventLookups`, followed
from a thread from then on) and restoring the engine (`enginehost.EngineHost`), and stops
by snapshotting it.
"""

from __future__ import annotations

import gc
from typing import Annotated, Any

from fastapi import Depends, Request

from fraudwall.platform import audit, migrate
from fraudwall.platform.auth import KeyCache, Principal, principal_for
from fraudwall.platform.db import PlatformDB
from fraudwall.platform.enginehost import EngineHost
from fraudwall.platform.eventlookups import EventLookups
from fraudwall.platform.ops import Metrics
from fraudwall.platform.settings import Clock, ServeSettings, WallClock


class Service:
    """One per server process (see the module doc)."""

    def __init__(self, settings: ServeSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock if clock is not None else WallClock()
        self.db = PlatformDB(settings.database, serving=True)
        self.host = EngineHost(self)
        self.lookups = EventLookups(self.db)  # what risk checks read: catch_up first
        self.keys = KeyCache(settings.key_cache_s)
        self.metrics = Metrics(self)  # count_decisions, count_ingest: see platform.ops
        self.started = False

    def now(self) -> int:
        return self.clock.now()

    def start(self) -> None:
        """Bring the schema to the newest revision (SQLite: in place; PostgreSQL: refused
        unless `fraudwall db upgrade` ran, `migrate.prepare`), and the engine up to date."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        migrate.prepare(self.db)
        self.lookups.start()
        self.host.start()
        # what start loaded (the engine's state, the app) lives as long as the process:
        # kept out of the collector's full passes, which would otherwise walk all of it
        # in the middle of requests
        gc.collect()
        gc.freeze()
        self.started = True

    def stop(self) -> None:
        if self.started:
            self.host.stop()
            self.lookups.stop()
        self.db.close()
        self.started = False

    def principal(self, key: str) -> Principal | None:
        """Who holds `key` now (None: unknown, expired or revoked); cached for a moment
        (`auth.KeyCache`), expiry checked on every use."""
        now = self.now()
        principal = self.keys.cached(key)
        if principal is None:
            with self.db.reading() as conn:
                principal = principal_for(conn, key, now)
            if principal is not None:
                self.keys.keep(key, principal)
        if principal is None or principal.expires_ts <= now:
            return None
        return principal

    def audit(self, conn: Any, who: Principal, notes: list[audit.AuditNote]) -> None:
        """Append audit entries inside the caller's write transaction."""
        audit.record(conn, who, self.now(), notes)


async def _service(request: Request) -> Service:  # async: no worker thread for a lookup
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(_service)]
"""The running `Service`, for route functions."""

__all__ = ["Service", "ServiceDep"]
