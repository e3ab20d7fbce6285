"""The simulator's working state: dense-id entity tables and event columns being filled."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fraudwall.model import InstitutionKind
from fraudwall.sim.columns import Columns, StringPool
from fraudwall.sim.config import SimConfig
from fraudwall.sim.entities import EntityTable, new_accounts, new_devices, new_phones

EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "transfers": ("ts", "inst", "src", "dst", "amount", "channel", "device", "ip", "memo"),
    "calls": ("ts", "inst", "caller", "callee", "duration", "gateway", "presented", "device"),
    "sms": ("ts", "inst", "sender", "receiver", "text", "gateway", "device"),
    "app_installs": ("ts", "inst", "device", "app"),
    "url_visits": ("ts", "inst", "device", "url"),
    "logins": ("ts", "inst", "account", "device", "ip"),
}
#: `script` is a code into `SimState.scripts` (the script that wrote a fraud SMS), else NULL.
TRUTH_COLUMNS = ("kind", "ref", "role", "case", "gang", "fraud_type", "typology", "script")


@dataclass
class Institution:
    id: str
    name: str
    kind: InstitutionKind


@dataclass
class SimState:
    """Everything the simulation steps share. Entity ids are dense ints into the tables."""

    cfg: SimConfig
    rng: np.random.Generator
    institutions: list[Institution] = field(default_factory=list)
    people: dict[str, np.ndarray] = field(default_factory=dict)
    accounts: EntityTable = field(default_factory=new_accounts)
    phones: EntityTable = field(default_factory=new_phones)
    devices: EntityTable = field(default_factory=new_devices)
    #: Named groups of entity ids: main accounts, merchants, service numbers, sinks, ...
    groups: dict[str, np.ndarray] = field(default_factory=dict)
    texts: StringPool = field(default_factory=StringPool)
    apps: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # app id -> name, perms
    events: dict[str, Columns] = field(
        default_factory=lambda: {name: Columns(*cols) for name, cols in EVENT_COLUMNS.items()}
    )
    truth: Columns = field(default_factory=lambda: Columns(*TRUTH_COLUMNS))
    #: Truth rows added one at a time (fraud planting), as tuples in TRUTH_COLUMNS order.
    truth_rows: list[tuple[int, ...]] = field(default_factory=list)
    cases: list[dict[str, object]] = field(default_factory=list)
    #: The scripts fraud SMS are written by (rows of the `scripts` table); a code is an index.
    scripts: list[dict[str, object]] = field(default_factory=list)
    reports: list[dict[str, object]] = field(default_factory=list)
    #: Ids of ips as int; formatted as dotted quads on output.
    n_ips: int = 0

    def inst_index(self, kind: InstitutionKind) -> np.ndarray:
        return np.array(
            [i for i, inst in enumerate(self.institutions) if inst.kind == kind], dtype=np.int64
        )

    def new_ips(self, n: int) -> np.ndarray:
        start = self.n_ips
        self.n_ips += n
        return np.arange(start, self.n_ips, dtype=np.int64)
