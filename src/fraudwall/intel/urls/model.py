"""The fraud-domain model: labels from ground truth, training (on snapshots of the world,
`intel.snapshots`), scoring, evaluation.

All of it is `EntityModel` (kind "url", key "domain") over `domain_features`. The truth
names fraud *links* (entity_kind url, role fraud_url); a domain is a positive when a
fraud link is on it. `evaluate` measures both: per domain, and per link visited (each
link scored as its domain is), which is what "fraud URLs" found means to a user.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.errors import InputError
from fraudwall.intel.entitymodel import (
    SMALL_PARAMS,
    EntityModel,
    classification_metrics,
    truth_labels,
)
from fraudwall.intel.snapshots import fit_on_snapshots
from fraudwall.intel.urls.features import (
    KEY,
    MODEL_FEATURES,
    Progress,
    domain_features,
    visits_of,
    with_domain,
)
from fraudwall.model import EntityKind, Role

#: The risk list a flagged one goes on, and the source it is listed as
#: (`risklists.entries_from_model_scores`).
LIST_KIND: Final = "domain"
SOURCE: Final = "urls-model"
KIND: Final = "url"


def fraud_links(tables: Mapping[str, pa.Table]) -> pa.Array:
    """The links the ground truth names as fraud links (entity_kind url, role fraud_url)."""
    truth = tables.get("truth")
    if truth is None:
        raise InputError("truth", "the world has no ground truth to label links with")
    for column in ("entity_kind", "entity_id", "role"):
        if column not in truth.column_names:
            raise InputError(f"truth.{column}", "missing column")
    named = truth.filter(
        pc.and_(
            pc.equal(truth["entity_kind"].cast(pa.string()), EntityKind.URL.value),
            pc.equal(truth["role"].cast(pa.string()), Role.FRAUD_URL.value),
        )
    )
    return pc.unique(named["entity_id"].cast(pa.string()).combine_chunks())


def fraud_domain_labels(
    tables: Mapping[str, pa.Table], domains: pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """Whether each domain carries a fraud link by the ground truth."""
    links = pl.DataFrame({"url": fraud_links(tables).to_pylist()}, schema={"url": pl.String})
    bad = with_domain(links, "url")[KEY].drop_nulls().unique()
    hit = pc.is_in(domains.cast(pa.string()), pa.array(bad.to_list(), pa.string()))
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def fraud_link_labels(
    tables: Mapping[str, pa.Table], urls: pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """Whether each link is a fraud link by the ground truth."""
    return truth_labels(tables, urls, EntityKind.URL.value, (Role.FRAUD_URL.value,), "links")


def train(
    tables: Mapping[str, pa.Table],
    *,
    seed: int = 0,
    source: str = "",
    progress: Progress | None = None,
) -> EntityModel:
    """A fraud-domain model trained on a world's visits, texts, what followed and truth."""
    return fit_on_snapshots(
        KIND, KEY, tables, domain_features, fraud_domain_labels, features=MODEL_FEATURES,
        params=SMALL_PARAMS, seed=seed, source=source, progress=progress,
        events="url_visits",
    )  # fmt: skip


def score(
    model: EntityModel,
    tables: Mapping[str, pa.Table],
    *,
    progress: Progress | None = None,
    explain: str = "flagged",
) -> pa.Table:
    """Every visited domain's score, flag and top reasons (for the flagged ones, or for all
    with `explain="all"`)."""
    model.require(KIND, KEY, "fraud domains")
    return model.score(domain_features(tables, progress=progress), explain=explain)


def evaluate(
    model: EntityModel, tables: Mapping[str, pa.Table], *, progress: Progress | None = None
) -> dict[str, Any]:
    """Precision, recall, F1, AUPRC and the threshold of `model` against a world's truth
    per visited domain, and the same per visited link (``url_`` figures: each distinct
    link visited, scored as its domain)."""
    model.require(KIND, KEY, "fraud domains")
    features = domain_features(tables, progress=progress)
    metrics: dict[str, Any] = dict(
        model.evaluate(features, fraud_domain_labels(tables, features[KEY]))
    )
    links = visits_of(tables).select("url", KEY).unique()
    scores = pl.DataFrame(
        {KEY: features[KEY].to_pylist(), "score": model.predict(features)},
        schema={KEY: pl.String, "score": pl.Float64},
    )
    links = links.join(scores, on=KEY, how="left").sort("url")
    per_link = classification_metrics(
        fraud_link_labels(tables, pa.array(links["url"].to_list(), pa.string())),
        links["score"].fill_null(0.0).to_numpy(),
        model.threshold,
    )
    for name in ("precision", "recall", "f1", "auprc", "positives", "flagged", "entities"):
        metrics[f"url_{name}"] = per_link[name]
    return metrics


DEFAULT_MODEL: Final = Path(__file__).with_name("default_model.json")


def default_model() -> EntityModel:
    """The model shipped with the package (`make model`: trained on a simulated world of
    another seed than the demo's; its `trained_on` says which)."""
    return EntityModel.load(DEFAULT_MODEL, kind=KIND)
