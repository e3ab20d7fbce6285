"""The real-time risk engine: state, features, rules, model, decisions, warnings.

`Engine` decides batches of events (transfers, calls, SMS, with app installs, URL visits,
logins and reports as context) and keeps per-entity state between them; rules are data
(`load_rules`, `default_rules`), the model a LightGBM scorer per kind (`EngineModel`,
`default_model`, `train`); `replay` streams a world's history through it in time order
(`time_batches`) and scores the decisions against the ground truth (`replay_metrics`).
"""

from fraudwall.engine.engine import DECISION_SCHEMA, WARNING_SCHEMA, BatchResult, Engine
from fraudwall.engine.labelled import LabelledHistory, read_labelled
from fraudwall.engine.metrics import replay_metrics
from fraudwall.engine.replay import STOP_PROBABILITY, Replay, replay, write_replay
from fraudwall.engine.rules import (
    FEATURES,
    RuleError,
    RuleSet,
    default_rules,
    load_rules,
    parse_rules,
)
from fraudwall.engine.scorer import EngineModel, default_model
from fraudwall.engine.state import EngineState
from fraudwall.engine.stream import EventBatch, time_batches
from fraudwall.engine.textscore import sms_text_score
from fraudwall.engine.train import train

__all__ = [
    "DECISION_SCHEMA",
    "FEATURES",
    "STOP_PROBABILITY",
    "WARNING_SCHEMA",
    "BatchResult",
    "Engine",
    "EngineModel",
    "EngineState",
    "EventBatch",
    "LabelledHistory",
    "Replay",
    "RuleError",
    "RuleSet",
    "default_model",
    "default_rules",
    "load_rules",
    "parse_rules",
    "read_labelled",
    "replay",
    "replay_metrics",
    "sms_text_score",
    "time_batches",
    "train",
    "write_replay",
]
