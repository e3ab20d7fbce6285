"""`account_features`: one row of numeric features per account, from the history alone.

Joins what `behaviour`, `patterns` and `shared` find per account onto every account seen
in the transfers or the accounts table. Counts an account has none of are 0; what cannot
be measured for it (the time money stays in an account that never pays on, hops from a
victim in a ledger with no reports) is null, which the trees treat as its own value.
Ground truth is never read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl
import pyarrow as pa

from fraudwall.intel.mules import behaviour, neighbours, patterns, shared
from fraudwall.intel.mules.ledger import Ledger, frame, ledger_of

KEY: Final = "account_id"
#: The tables the features read (only transfers is needed), and truth for the labels.
TABLES: Final = ("transfers", "accounts", "logins", "reports", "truth")
#: Features that count something: 0 when an account has none of it (or the world has
#: nothing to count it from: no logins, no reports).
COUNTS: Final = (
    "in_count", "out_count", "in_degree", "out_degree", "fan_in_day", "fan_out_day",
    "sg_source", "sg_middle", "sg_sink", "gs_senders", "gs_receivers", "gather_scatter",
    "cycle2", "cycle3", "cycle4", "reported_neighbours", "reported_2hop", "reported",
    "devices", "device_max_sharing", "device_peers", "device_other_owners",
    "ips", "ip_max_sharing", "ip_peers", "ip_other_owners",
)  # fmt: skip


#: Every feature, in order: each world gets all of them (null where it has not the tables
#: to measure one), so a model trained on one world scores another.
FEATURES: Final = (
    # behaviour
    "in_count", "out_count", "in_degree", "out_degree", "in_amount_rank", "out_amount_rank",
    "in_small_share", "out_small_share", "in_min_rel", "out_min_rel",
    "log_in_amount", "log_out_amount", "log_mean_in", "log_mean_out", "in_degree_share",
    "pass_through", "out_in_ratio", "repeat_share", "night_share", "first_seen_share",
    "active_span_share", "max_gap_share", "busiest_day_share", "active_day_share",
    "per_active_day", "wake_burst", "round_share", "under_limit_share", "in_round_share",
    "forwarded_day_share", "forwarded_share", "stay_share", "stay_rank", "fan_in_day",
    "fan_out_day", "age_log_days", "opened_in_ledger", "slept_log_days",
    # graph patterns
    "sg_source", "sg_middle", "sg_sink", "gs_senders", "gs_receivers", "gather_scatter",
    "cycle2", "cycle3", "cycle4", "hops_to_exit", "hops_from_victim",
    # shared use and exposure
    "reported", "reported_neighbours", "reported_2hop", "reported_in_share",
    "devices", "device_max_sharing", "device_peers", "device_other_owners",
    "ips", "ip_max_sharing", "ip_peers", "ip_other_owners", "owner_accounts",
    # counterparties
    *neighbours.neighbour_names(),
)  # fmt: skip


def account_features(tables: Mapping[str, pa.Table], *, window_ms: int | None = None) -> pa.Table:
    """One row per account of `transfers` (from_account, to_account) or `accounts`: the key
    `account_id` and float64 features (see the package doc). `window_ms` is how long one
    pattern may take (default: a quarter of the ledger's span, at least a day)."""
    ledger = ledger_of(tables, window_ms=window_ms)
    return features_of(ledger, tables).to_arrow()


def features_of(ledger: Ledger, tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    """`account_features` as a polars frame, over a ledger already read."""
    accounts = _encoded(ledger, frame(tables, "accounts"), KEY)
    logins = _encoded(ledger, frame(tables, "logins"), KEY)
    transfers = frame(tables, "transfers")
    own = behaviour.behaviour_features(ledger, accounts)
    parts = [own, neighbours.neighbour_features(ledger, own)]
    paths = patterns.two_hop(ledger)
    parts.append(patterns.scatter_gather(paths))
    parts.append(patterns.cycles(ledger, paths))
    payees = ledger.encode(shared.reported_payees(frame(tables, "reports"), transfers))
    parts.append(patterns.chain_position(ledger, payees, _exits(ledger, accounts)))
    parts.append(shared.exposure(ledger, payees))
    owners = _owners(accounts)
    payers = None
    if transfers is not None:
        used = [c for c in ("device_id", "ip") if c in transfers.columns]
        payers = _encoded(ledger, transfers.select("from_account", *used), "from_account")
    for what, name in (("device_id", "device"), ("ip", "ip")):
        use = shared.usage(logins, payers, what)
        if use.height:
            parts.append(shared.shared_resource(use, owners, name))
    if owners is not None:
        parts.append(shared.owner_features(owners))
    out = ledger.accounts
    for part in parts:
        out = out.join(part, on=KEY, how="left")
    absent = [pl.lit(None, pl.Float64).alias(c) for c in FEATURES if c not in out.columns]
    out = out.with_columns(absent).with_columns(pl.col(COUNTS).fill_null(0))
    out = out.select(KEY, *(pl.col(c).cast(pl.Float64) for c in FEATURES))
    return ledger.decode(out).sort(KEY)


def _encoded(ledger: Ledger, table: pl.DataFrame | None, column: str) -> pl.DataFrame | None:
    """A table naming accounts in `column`, with the ledger's dense ids (None if absent)."""
    if table is None or column not in table.columns:
        return None
    return ledger.encode(table, column)


def _owners(accounts: pl.DataFrame | None) -> pl.DataFrame | None:
    if accounts is None or "owner_person_id" not in accounts.columns:
        return None
    return accounts.select(KEY, owner=pl.col("owner_person_id").cast(pl.String))


def _exits(ledger: Ledger, accounts: pl.DataFrame | None) -> pl.DataFrame:
    """Where money leaves the ledger: external accounts when the accounts table says which,
    else accounts that take money from several and pay none."""
    if accounts is not None and "kind" in accounts.columns:
        external = accounts.filter(pl.col("kind").cast(pl.String) == "external").select(KEY)
        if external.height:
            return external
    payers = ledger.pairs.select(account_id="src").unique()
    takers = ledger.pairs.group_by("dst").agg(k=pl.len()).filter(pl.col("k") >= 2)
    return takers.select(account_id="dst").join(payers, on=KEY, how="anti")
