"""Malicious apps (App专项治理, DESIGN §7): which installed apps are fraud apps, and why.

`app_features` turns app installs (with the permissions they ask for and the app's name
when the source has them) and what happened around them — texts and visits just before,
payments to new payees just after, reports later — into one row per app; `train` fits
an `EntityModel` on them with labels from ground truth (`malicious_app_labels`); `score`
gives each app a score, a flag and the features that raised it.

- `permissions`: dangerous and abused permissions, from their names;
- `features`: all the features per app (names against `intel.brands`, installers'
  trails from `intel.devicetrail`);
- `model`: labels, `train`, `score`, `evaluate`, `default_model`.
"""

from fraudwall.intel.apps.features import FEATURES, KEY, TABLES, app_features
from fraudwall.intel.apps.model import (
    KIND,
    LIST_KIND,
    SOURCE,
    default_model,
    evaluate,
    malicious_app_labels,
    score,
    train,
)
from fraudwall.intel.apps.permissions import ABUSED, DANGEROUS, permission_features

__all__ = [
    "ABUSED",
    "DANGEROUS",
    "FEATURES",
    "KEY",
    "KIND",
    "LIST_KIND",
    "SOURCE",
    "TABLES",
    "app_features",
    "default_model",
    "evaluate",
    "malicious_app_labels",
    "permission_features",
    "score",
    "train",
]
