"""The malicious-app model: labels from ground truth, training (on snapshots of the world,
`intel.snapshots`), scoring, evaluation.

All of it is `EntityModel` (kind "app", key "app_id") over `app_features`; what is
particular to apps is which are positives (those the truth lists as entity_kind app,
role fraud_app) and that a world has only tens to hundreds of apps (`SMALL_PARAMS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.intel.apps.features import KEY, MODEL_FEATURES, Progress, app_features
from fraudwall.intel.entitymodel import SMALL_PARAMS, EntityModel, truth_labels
from fraudwall.intel.snapshots import fit_on_snapshots
from fraudwall.model import EntityKind, Role

#: The risk list a flagged one goes on, and the source it is listed as
#: (`risklists.entries_from_model_scores`).
LIST_KIND: Final = "app"
SOURCE: Final = "apps-model"
KIND: Final = "app"


def malicious_app_labels(
    tables: Mapping[str, pa.Table], app_ids: pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """Whether each app is a fraud app by the ground truth (entity_kind app, role fraud_app)."""
    return truth_labels(tables, app_ids, EntityKind.APP.value, (Role.FRAUD_APP.value,), "apps")


def train(
    tables: Mapping[str, pa.Table],
    *,
    seed: int = 0,
    source: str = "",
    progress: Progress | None = None,
) -> EntityModel:
    """A malicious-app model trained on a world's installs, what followed them and truth."""
    return fit_on_snapshots(
        KIND, KEY, tables, app_features, malicious_app_labels, features=MODEL_FEATURES,
        params=SMALL_PARAMS, seed=seed, source=source, progress=progress,
        events="app_installs",
    )  # fmt: skip


def score(
    model: EntityModel,
    tables: Mapping[str, pa.Table],
    *,
    progress: Progress | None = None,
    explain: str = "flagged",
) -> pa.Table:
    """Every installed app's score, flag and top reasons (for the flagged ones, or for all
    with `explain="all"`)."""
    model.require(KIND, KEY, "apps")
    return model.score(app_features(tables, progress=progress), explain=explain)


def evaluate(
    model: EntityModel, tables: Mapping[str, pa.Table], *, progress: Progress | None = None
) -> dict[str, Any]:
    """Precision, recall, F1, AUPRC and the threshold of `model` against a world's truth,
    over the apps installed in it (`truth_not_installed`: fraud apps the truth knows that
    nobody installed, which no history can show)."""
    model.require(KIND, KEY, "apps")
    features = app_features(tables, progress=progress)
    metrics: dict[str, Any] = dict(
        model.evaluate(features, malicious_app_labels(tables, features[KEY]))
    )
    metrics["truth_not_installed"] = _known_not_seen(tables, features[KEY])
    return metrics


def _known_not_seen(tables: Mapping[str, pa.Table], seen: pa.ChunkedArray) -> int:
    truth = tables["truth"]
    named = truth.filter(
        pc.and_(
            pc.equal(truth["entity_kind"], EntityKind.APP.value),
            pc.equal(truth["role"], Role.FRAUD_APP.value),
        )
    )["entity_id"].unique()
    return int(len(named) - pc.sum(pc.is_in(named, seen.combine_chunks())).as_py())


DEFAULT_MODEL: Final = Path(__file__).with_name("default_model.json")


def default_model() -> EntityModel:
    """The model shipped with the package (`make model`: trained on a simulated world of
    another seed than the demo's; its `trained_on` says which)."""
    return EntityModel.load(DEFAULT_MODEL, kind=KIND)
