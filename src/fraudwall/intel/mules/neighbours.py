"""What an account's counterparties look like: mules pay and are paid by mules.

A chain of mules is a chain of pass-through accounts, and the crumbs a laundering ring
splits money into go between its own accounts; so an account's senders and receivers say
much about it. Per account, over the accounts that paid it (senders) and that it paid
(receivers): the mean and the most of a few of their own behaviour features.
"""

from __future__ import annotations

import polars as pl

from fraudwall.intel.mules.ledger import Ledger

#: Behaviour features read off the counterparties on each side.
SENDER_FEATURES = (
    "pass_through",
    "out_small_share",
    "out_min_rel",
    "repeat_share",
    "forwarded_day_share",
    "fan_out_day",
)
RECEIVER_FEATURES = (
    "pass_through",
    "in_small_share",
    "in_min_rel",
    "repeat_share",
    "forwarded_day_share",
    "fan_in_day",
)


def neighbour_features(ledger: Ledger, behaviour: pl.DataFrame) -> pl.DataFrame:
    """Per account: `senders_<f>_mean|max` and `receivers_<f>_mean|max` (see the module)."""
    senders = _side(
        ledger.pairs_in, behaviour, me="dst", them="src", cols=SENDER_FEATURES, name="senders"
    )
    receivers = _side(
        ledger.pairs, behaviour, me="src", them="dst", cols=RECEIVER_FEATURES, name="receivers"
    )
    return senders.join(receivers, on="account_id", how="full", coalesce=True)


def _side(
    pairs: pl.DataFrame,
    behaviour: pl.DataFrame,
    *,
    me: str,
    them: str,
    cols: tuple[str, ...],
    name: str,
) -> pl.DataFrame:
    """`pairs` sorted by `me` (kept by the join: the group-by reads consecutive rows, and
    sums in one order every run)."""
    theirs = behaviour.select("account_id", *cols).rename({"account_id": them})
    linked = pairs.select(me, them).join(theirs, on=them, maintain_order="left")
    linked = linked.with_columns(pl.col(me).set_sorted())
    aggs = [pl.col(c).mean().alias(f"{name}_{c}_mean") for c in cols]
    aggs += [pl.col(c).max().alias(f"{name}_{c}_max") for c in cols]
    return linked.group_by(me).agg(aggs).rename({me: "account_id"})


def neighbour_names() -> tuple[str, ...]:
    """The columns `neighbour_features` gives, in order."""
    names = []
    for name, cols in (("senders", SENDER_FEATURES), ("receivers", RECEIVER_FEATURES)):
        names += [f"{name}_{c}_mean" for c in cols] + [f"{name}_{c}_max" for c in cols]
    return tuple(names)
