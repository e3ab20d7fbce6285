"""What an account shares with others: devices, IPs and owners, and closeness to accounts
that victims reported.

Mule accounts bought or rented from many people are run from a few gang devices and
networks, so one device or IP shows many accounts of many owners; an ordinary person's
accounts share a phone with each other only. Reported accounts are the payees of the
transfers victims named in their reports (no ground truth): a mule sits one or two hops
from them.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from fraudwall.intel.mules.ledger import Ledger, pack, unpack
from fraudwall.intel.mules.patterns import HUB_PATHS

#: A device or IP with more accounts than this (a carrier NAT, a shop terminal) is counted
#: in the maxima but not joined pairwise.
WIDE_RESOURCE: Final = 200


def usage(logins: pl.DataFrame | None, payers: pl.DataFrame | None, what: str) -> pl.DataFrame:
    """(account_id, resource) pairs from logins (account_id) and from the payer side of
    transfers (from_account), for `what` in ("device_id", "ip"); ids as the frames have them."""
    parts = []
    if logins is not None and {"account_id", what} <= set(logins.columns):
        parts.append(logins.select("account_id", resource=pl.col(what).cast(pl.String)))
    if payers is not None and {"from_account", what} <= set(payers.columns):
        parts.append(
            payers.select(account_id="from_account", resource=pl.col(what).cast(pl.String))
        )
    if not parts:
        return pl.DataFrame(schema={"account_id": pl.UInt32, "resource": pl.String})
    return pl.concat(parts).drop_nulls().unique()


def shared_resource(use: pl.DataFrame, owners: pl.DataFrame | None, name: str) -> pl.DataFrame:
    """Per account: how many `name`s it used, the most accounts on one of them, and how many
    other accounts and other owners it shares one with."""
    width = use.group_by("resource").agg(k=pl.len())
    per = (
        use.join(width, on="resource")
        .group_by("account_id")
        .agg(pl.len().alias(f"{name}s"), (pl.col("k").max() - 1).alias(f"{name}_max_sharing"))
    )
    narrow = use.join(width.filter(pl.col("k") <= WIDE_RESOURCE), on="resource").drop("k")
    peers = (
        narrow.join(narrow.rename({"account_id": "peer"}), on="resource")
        .filter(pl.col("peer") != pl.col("account_id"))
        .select("account_id", "peer")
        .unique()
    )
    counted = [pl.col("peer").n_unique().alias(f"{name}_peers")]
    if owners is not None:
        peers = peers.join(owners, on="account_id", how="left").join(
            owners.rename({"account_id": "peer", "owner": "peer_owner"}), on="peer", how="left"
        )
        other = (
            pl.col("peer_owner").is_null()
            | pl.col("owner").is_null()
            | (pl.col("peer_owner") != pl.col("owner"))
        )
        counted.append(pl.col("peer_owner").filter(other).n_unique().alias(f"{name}_other_owners"))
    return per.join(peers.group_by("account_id").agg(counted), on="account_id", how="left")


def owner_features(owners: pl.DataFrame) -> pl.DataFrame:
    """How many accounts the account's owner holds."""
    per_owner = owners.drop_nulls().group_by("owner").agg(owner_accounts=pl.len())
    return owners.join(per_owner, on="owner", how="left").select("account_id", "owner_accounts")


def reported_payees(reports: pl.DataFrame | None, transfers: pl.DataFrame | None) -> pl.DataFrame:
    """The payees of the transfers victims named in their reports, with the payment time."""
    empty = pl.DataFrame(schema={"account_id": pl.String, "ts": pl.Int64, "amount": pl.Int64})
    if reports is None or transfers is None or "transfer_ids" not in reports.columns:
        return empty
    named = reports.select(event_id=pl.col("transfer_ids")).explode("event_id").drop_nulls()
    if "event_id" not in transfers.columns or named.height == 0:
        return empty
    return (
        transfers.select(
            pl.col("event_id").cast(pl.String),
            account_id=pl.col("to_account").cast(pl.String),
            ts=pl.col("ts").cast(pl.Int64),
            amount=pl.col("amount_fen").cast(pl.Int64),
        )
        .join(named.with_columns(pl.col("event_id").cast(pl.String)).unique(), on="event_id")
        .drop("event_id")
    )


EXPOSURE_SCHEMA: Final = {
    "account_id": pl.UInt32,
    "reported": pl.Float64,
    "reported_neighbours": pl.UInt32,
    "reported_2hop": pl.UInt32,
    "reported_in_share": pl.Float64,
}


def exposure(ledger: Ledger, payees: pl.DataFrame) -> pl.DataFrame:
    """Per account: reported as a payee (and the share of its incoming money that victims
    reported), reported accounts among its counterparties, and within two hops (either way
    of the money, through non-hub accounts)."""
    if payees.height == 0:  # no reports: nobody is reported or near a reported account
        return pl.DataFrame(schema=EXPOSURE_SCHEMA)
    reported = payees.select("account_id").unique()
    flagged = reported.with_columns(reported=pl.lit(True))
    neighbours = (
        pl.concat(
            [ledger.pairs.select(k=pack("src", "dst")), ledger.pairs.select(k=pack("dst", "src"))]
        )
        .unique()
        .select(*unpack("k", "account_id", "other"))
    )
    direct = (
        neighbours.join(reported.rename({"account_id": "other"}), on="other")
        .group_by("account_id")
        .agg(reported_neighbours=pl.col("other").n_unique())
    )
    degree = neighbours.group_by("account_id").agg(d=pl.len())
    thin = degree.filter(pl.col("d").cast(pl.Int64) ** 2 <= HUB_PATHS).select("account_id")
    via = neighbours.join(thin, left_on="other", right_on="account_id")
    two = (
        neighbours.join(reported, on="account_id", how="semi")
        .select(far="account_id", mid="other")
        .join(via.rename({"account_id": "near", "other": "mid"}), on="mid")
        .filter(pl.col("near") != pl.col("far"))
        .group_by("near")
        .agg(reported_2hop=pl.col("far").n_unique())
        .rename({"near": "account_id"})
    )
    in_money = ledger.transfers.group_by("dst").agg(total=pl.col("amount").sum())
    victim_money = payees.group_by("account_id").agg(paid=pl.col("amount").sum())
    share = victim_money.join(in_money.rename({"dst": "account_id"}), on="account_id").select(
        "account_id", reported_in_share=pl.col("paid") / pl.col("total")
    )
    out = flagged.join(direct, on="account_id", how="full", coalesce=True)
    for part in (two, share):
        out = out.join(part, on="account_id", how="full", coalesce=True)
    return out.with_columns(reported=pl.col("reported").fill_null(False).cast(pl.Float64))
