"""The fraud-number model: labels from ground truth, training, scoring, evaluation.

All of it is `EntityModel` (kind "number", key "number") over `number_features`; what is
particular to numbers is which numbers are positives (those the truth table lists as
`entity_kind` phone with role `fraud_number`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa

from fraudwall.intel.entitymodel import EntityModel, truth_labels
from fraudwall.intel.numbers.features import KEY, Progress, number_features
from fraudwall.model import EntityKind, Role

KIND: Final = "number"


def fraud_number_labels(
    tables: Mapping[str, pa.Table], numbers: pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """Whether each of `numbers` is a fraud number by the ground truth (`truth` rows of
    entity_kind phone, role fraud_number); an `InputError` when there is no truth."""
    return truth_labels(
        tables, numbers, EntityKind.PHONE.value, (Role.FRAUD_NUMBER.value,), "numbers"
    )


def train(
    tables: Mapping[str, pa.Table],
    *,
    seed: int = 0,
    source: str = "",
    progress: Progress | None = None,
) -> EntityModel:
    """A fraud-number model trained on a world's calls, texts, reports and truth."""
    step = progress or (lambda _step, _fraction: None)
    features = number_features(tables, progress=lambda s, f: step(s, 0.6 * f))
    labels = fraud_number_labels(tables, features[KEY])
    step("fit", 0.6)
    model = EntityModel.fit(KIND, KEY, features, labels, seed=seed, source=source)
    step("fit", 1.0)
    return model


def score(
    model: EntityModel,
    tables: Mapping[str, pa.Table],
    *,
    progress: Progress | None = None,
    explain: str = "flagged",
) -> pa.Table:
    """Each calling or texting number's score, flag and top reasons (for the flagged ones,
    or for all with `explain="all"`)."""
    model.require(KIND, KEY, "fraud numbers")
    return model.score(number_features(tables, progress=progress), explain=explain)


def evaluate(
    model: EntityModel, tables: Mapping[str, pa.Table], *, progress: Progress | None = None
) -> dict[str, float | int]:
    """Precision, recall, F1, AUPRC and the threshold against a world's truth."""
    model.require(KIND, KEY, "fraud numbers")
    features = number_features(tables, progress=progress)
    return model.evaluate(features, fraud_number_labels(tables, features[KEY]))


DEFAULT_MODEL: Final = Path(__file__).with_name("default_model.json")


def default_model() -> EntityModel:
    """The model shipped with the package (`make model`: trained on a simulated world of
    another seed than the demo's; its `trained_on` says which)."""
    return EntityModel.load(DEFAULT_MODEL, kind=KIND)
