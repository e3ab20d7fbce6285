"""Fraud numbers (DESIGN §7): which calling and texting numbers are fraud lines, and why.

`number_features` turns call and SMS records (with phones, devices and victims' reports
when the source has them) into one row of behaviour per number; `train` fits an
`EntityModel` on them with labels from ground truth (`fraud_number_labels`); `score`
gives each number a score, a flag and the features that raised its score.
"""

from fraudwall.intel.numbers.features import TABLES, number_features
from fraudwall.intel.numbers.model import (
    KIND,
    default_model,
    evaluate,
    fraud_number_labels,
    score,
    train,
)

__all__ = [
    "KIND",
    "TABLES",
    "default_model",
    "evaluate",
    "fraud_number_labels",
    "number_features",
    "score",
    "train",
]
