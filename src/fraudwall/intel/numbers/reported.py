"""What victims' reports say about a number: who it reached before they reported, and
how much its reach overlaps that of the numbers victims were reached by.

Only the `reports` table (who reported, when) and the phones' owners are used — never
ground truth — so these features exist wherever police reports do:

- `later_victims`: the people it contacted who then reported a fraud (contact before the
  report), as a log count and as a share of everyone it contacted;
- known fraud numbers: those given (a risk list, numbers victims named), or else, inferred
  from the reports, numbers that contacted at least `KNOWN_MIN_VICTIMS` different
  reporting victims within `KNOWN_WINDOW_MS` before their reports (an inferred list is
  noisy — a victim's friends are in it too — which is why it is only a feature);
- co-callee overlap: the largest Jaccard similarity between a number's set of contacts
  and a known number's (itself left out), and how many known numbers share a contact
  with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import polars as pl
import pyarrow as pa

from fraudwall.intel.tables import frame
from fraudwall.model import DAY_MS

KNOWN_WINDOW_MS: Final = 30 * DAY_MS
KNOWN_MIN_VICTIMS: Final = 2

REPORT_FEATURES: Final = (
    "later_victims_log",
    "later_victim_share",
    "known_jaccard_max",
    "known_sharing_log",
)


def victim_phones(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    """The numbers of people who reported a fraud, with the time of their first report."""
    reports = frame(tables, "reports", ("person_id", "ts"))
    phones = frame(tables, "phones", ("number", "owner_person_id"))
    empty = pl.DataFrame(schema={"other": pl.String, "report_ts": pl.Int64})
    if reports is None or phones is None or reports.height == 0:
        return empty
    first = reports.group_by(pl.col("person_id").cast(pl.String)).agg(
        pl.col("ts").cast(pl.Int64).min().alias("report_ts")
    )
    owned = phones.select(
        pl.col("number").cast(pl.String).alias("other"),
        pl.col("owner_person_id").cast(pl.String).alias("person_id"),
    ).filter(pl.col("person_id").is_not_null())
    return owned.join(first, on="person_id", how="inner").select("other", "report_ts")


def report_features(
    tables: Mapping[str, pa.Table], contacts: pl.DataFrame, known: Iterable[str] | None = None
) -> pl.DataFrame:
    """Per number that contacted anyone: the features of the module doc. `known` gives the
    known fraud numbers (a risk list, numbers victims named) instead of inferring them.
    Without a reports table (and no `known`), nothing is known: the features are null."""
    if known is None and "reports" not in tables:
        return contacts.select("number").unique()
    edges = contacts.select("number", "other").unique()
    reached = edges.group_by("number").agg(pl.len().alias("reach"))
    hits = contacts.join(victim_phones(tables), on="other", how="inner").filter(
        pl.col("ts") <= pl.col("report_ts")
    )
    later = hits.group_by("number").agg(pl.col("other").n_unique().alias("later_victims"))
    known_numbers = (
        pl.DataFrame({"known": list(known)}, schema={"known": pl.String})
        if known is not None
        else hits.filter(pl.col("report_ts") - pl.col("ts") <= KNOWN_WINDOW_MS)
        .group_by("number")
        .agg(pl.col("other").n_unique().alias("victims"))
        .filter(pl.col("victims") >= KNOWN_MIN_VICTIMS)
        .select(pl.col("number").alias("known"))
    )
    overlap = co_contact_overlap(edges, known_numbers.unique(), reached)
    return (
        reached.join(later, on="number", how="left")
        .join(overlap, on="number", how="left")
        .with_columns(pl.col("later_victims").fill_null(0))
        .with_columns(
            (pl.col("later_victims").cast(pl.Float64) + 1.0).log().alias("later_victims_log"),
            (pl.col("later_victims") / pl.col("reach")).alias("later_victim_share"),
            pl.col("known_jaccard_max").fill_null(0.0),
            (pl.col("known_sharing").fill_null(0).cast(pl.Float64) + 1.0)
            .log()
            .alias("known_sharing_log"),
        )
        .select("number", *REPORT_FEATURES)
    )


def co_contact_overlap(
    edges: pl.DataFrame, known: pl.DataFrame, reached: pl.DataFrame
) -> pl.DataFrame:
    """Per number, against the `known` numbers other than itself: the largest Jaccard of
    contact sets (`known_jaccard_max`), how many known numbers share a contact with it
    (`known_sharing`) and how many of its contacts a known number reached too
    (`known_shared`)."""
    known_edges = edges.join(known, left_on="number", right_on="known", how="semi").rename(
        {"number": "known"}
    )
    pairs = edges.join(known_edges, on="other", how="inner").filter(
        pl.col("number") != pl.col("known")
    )
    sizes = reached.rename({"number": "known", "reach": "known_reach"})
    jaccard = (
        pairs.group_by("number", "known")
        .agg(pl.len().alias("both"))
        .join(reached, on="number", how="left")
        .join(sizes, on="known", how="left")
        .with_columns(
            (pl.col("both") / (pl.col("reach") + pl.col("known_reach") - pl.col("both"))).alias("j")
        )
        .group_by("number")
        .agg(
            pl.col("j").max().alias("known_jaccard_max"),
            pl.col("known").n_unique().alias("known_sharing"),
        )
    )
    return jaccard
