"""Fraud links and domains (DESIGN §7): which visited domains serve fraud, and why.

`domain_features` turns link visits (and the texts that carry links, and what happened
to the visitors) into one row per registered domain; `train` fits an `EntityModel` on
them with labels from ground truth (`fraud_domain_labels`: a domain carrying a fraud
link); `score` gives each domain a score, a flag and the features that raised it;
`evaluate` measures it per domain and per link.

- `lookalike`: what the name gives away (brands' look-alikes, homoglyphs, punycode,
  abused TLDs, digits and hyphens);
- `features`: all the features per domain (visitors' trails from `intel.devicetrail`,
  the texts linking to it);
- `model`: labels, `train`, `score`, `evaluate`, `default_model`.
"""

from fraudwall.intel.urls.features import FEATURES, KEY, TABLES, domain_features
from fraudwall.intel.urls.lookalike import (
    ABUSED_TLDS,
    domain_facts,
    fold_homoglyphs,
    lookalike_features,
)
from fraudwall.intel.urls.model import (
    KIND,
    LIST_KIND,
    SOURCE,
    default_model,
    evaluate,
    fraud_domain_labels,
    fraud_link_labels,
    score,
    train,
)

__all__ = [
    "ABUSED_TLDS",
    "FEATURES",
    "KEY",
    "KIND",
    "LIST_KIND",
    "SOURCE",
    "TABLES",
    "default_model",
    "domain_facts",
    "domain_features",
    "evaluate",
    "fold_homoglyphs",
    "fraud_domain_labels",
    "fraud_link_labels",
    "lookalike_features",
    "score",
    "train",
]
