"""Mule accounts (DESIGN §7, issue 13): per-account features over the transfer history,
and a boosted model on them.

- `behaviour`: degrees, amounts, how fast money passes through, fan-in and fan-out in a
  day, age, dormancy, night share, round amounts and amounts just under limits;
- `patterns`: scatter-gather, gather-scatter, temporal cycles of 2-4 hops, chain position;
- `shared`: devices, IPs and owners shared with other accounts, exposure to reported ones;
- `neighbours`: the behaviour of the account's senders and receivers;
- `ledger`: the transfers as the others read them (dense account ids, pairs, time scale);
- `features`: all of them per account (`account_features`), column-wise with polars;
- `model`: labels from ground truth, `train`, `score`, `evaluate` with `EntityModel`.

Only `transfers` (event_id, ts, from_account, to_account, amount_fen) is needed; accounts,
logins and reports add what they can when present.
"""

from fraudwall.intel.mules.features import TABLES, account_features
from fraudwall.intel.mules.model import (
    KIND,
    MULE_ROLES,
    default_model,
    evaluate,
    mule_labels,
    score,
    train,
)

__all__ = [
    "KIND",
    "MULE_ROLES",
    "TABLES",
    "account_features",
    "default_model",
    "evaluate",
    "mule_labels",
    "score",
    "train",
]
