"""The service: fraudwall over HTTP for every agency (DESIGN §8).

`create_app(settings)` is the FastAPI app; `Service` holds the database (`PlatformDB`),
the engine (`EngineHost`) and the clock; each area's router (`routes`) is a thin layer
over plain functions. Who may do what is `auth` (agencies, roles, keys, fail-closed
permissions); every write and read of personal data goes to the hash-chained `audit` log.
"""

from fraudwall.platform.app import API_PREFIX, create_app
from fraudwall.platform.auth import SYSTEM as SYSTEM_PRINCIPAL
from fraudwall.platform.auth import AgencyKind, ApiRole, Principal
from fraudwall.platform.db import PlatformDB
from fraudwall.platform.service import Service
from fraudwall.platform.settings import FixedClock, ServeSettings, WallClock

__all__ = [
    "API_PREFIX",
    "SYSTEM_PRINCIPAL",
    "AgencyKind",
    "ApiRole",
    "FixedClock",
    "PlatformDB",
    "Principal",
    "ServeSettings",
    "Service",
    "WallClock",
    "create_app",
]
