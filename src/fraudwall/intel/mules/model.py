"""The mule model: labels from ground truth, training and scoring with `EntityModel`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa

from fraudwall.intel.entitymodel import EntityModel, truth_labels
from fraudwall.intel.mules.features import KEY, account_features
from fraudwall.model.enums import EntityKind, Role

KIND: Final = "account"
Progress = Callable[[str, float], None]  # (step, fraction of the whole done)
#: The truth roles of a mule account: it takes fraud money in and passes it on or out.
MULE_ROLES: Final = (Role.MULE.value, Role.FIRST_HOP_MULE.value, Role.CASH_OUT.value)


def mule_labels(
    tables: Mapping[str, pa.Table], account_ids: pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """Whether each account is a mule: the ground truth names it (entity_kind account) in a
    mule role (mule, first-hop mule, cash-out)."""
    return truth_labels(tables, account_ids, EntityKind.ACCOUNT.value, MULE_ROLES, "accounts")


def train(
    tables: Mapping[str, pa.Table],
    *,
    seed: int = 0,
    source: str = "",
    progress: Progress | None = None,
) -> EntityModel:
    """A mule model trained on a world's history and truth (threshold chosen on a held-out
    share of the accounts, see `EntityModel.fit`)."""
    step = progress or _quiet
    step("features", 0.0)
    features = account_features(tables)
    labels = mule_labels(tables, features[KEY])
    step("fit", 0.5)
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
    """Every account's mule score, flag and top reasons (for the flagged ones, or for
    all with `explain="all"`)."""
    model.require(KIND, KEY, "mule accounts")
    step = progress or _quiet
    step("features", 0.0)
    features = account_features(tables)
    step("score", 0.6)
    return model.score(features, explain=explain)


def evaluate(
    model: EntityModel, tables: Mapping[str, pa.Table], *, progress: Progress | None = None
) -> dict[str, float | int]:
    """Precision, recall, F1, AUPRC and the threshold of `model` against a world's truth."""
    model.require(KIND, KEY, "mule accounts")
    step = progress or _quiet
    step("features", 0.0)
    features = account_features(tables)
    step("score", 0.6)
    return model.evaluate(features, mule_labels(tables, features[KEY]))


def _quiet(step: str, fraction: float) -> None:
    """No progress to show."""


DEFAULT_MODEL: Final = Path(__file__).with_name("default_model.json")


def default_model() -> EntityModel:
    """The model shipped with the package (`make model`: trained on a simulated world of
    another seed than the demo's; its `trained_on` says which)."""
    return EntityModel.load(DEFAULT_MODEL, kind=KIND)
