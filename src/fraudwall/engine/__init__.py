"""The real-time risk engine: state, features, rules, model, decisions, warnings.

`Engine` decides batches of events (transfers, calls, SMS, with app installs, URL visits,
logins and reports as context) without changing its state (`Engine.decide`,
`Engine.decide_one`), and folds them in with what happened to them (`Engine.absorb`,
`Outcomes`), returning the warning tasks that follow (`WarningPolicy`); `process` is the
two together. Rules are data (`load_rules`, `default_rules`) over the registered features
(`FEATURES`); the model is a scorer per kind (`EngineModel`, `default_model`, `train`);
`replay` streams a world's history through it in time order (`time_batches`) and scores
the decisions and warnings against the ground truth (`replay_metrics`). SMS texts are read
by the lexicon (`sms_text_score`) and by the text scorer the engine is given
(`model.TextScorer`, e.g. intel's fraud-text model: `Engine(text_scorer=...)`); a model
trained with one needs one (`EngineModel.needs_text_scorer`).
"""

from fraudwall.engine.engine import (
    DECISION_SCHEMA,
    WARNING_SCHEMA,
    BatchResult,
    Engine,
    Outcomes,
    decision_records,
    decision_table,
)
from fraudwall.engine.featureset import FEATURES, MODEL_FEATURES
from fraudwall.engine.labelled import LabelledHistory, read_labelled
from fraudwall.engine.metrics import replay_metrics
from fraudwall.engine.priority import CallPriority
from fraudwall.engine.replay import STOP_PROBABILITY, Replay, replay, write_replay
from fraudwall.engine.rules import RuleError, RuleSet, default_rules, load_rules, parse_rules
from fraudwall.engine.scorer import EngineModel, default_model
from fraudwall.engine.scoring import Scorer
from fraudwall.engine.state import EngineState
from fraudwall.engine.stream import EventBatch, time_batches
from fraudwall.engine.textscore import sms_text_score
from fraudwall.engine.train import train
from fraudwall.engine.warning_metrics import warning_metrics
from fraudwall.engine.warnings import WarningPolicy

__all__ = [
    "DECISION_SCHEMA",
    "FEATURES",
    "MODEL_FEATURES",
    "STOP_PROBABILITY",
    "WARNING_SCHEMA",
    "BatchResult",
    "CallPriority",
    "Engine",
    "EngineModel",
    "EngineState",
    "EventBatch",
    "LabelledHistory",
    "Outcomes",
    "Replay",
    "RuleError",
    "RuleSet",
    "Scorer",
    "WarningPolicy",
    "decision_records",
    "decision_table",
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
    "warning_metrics",
    "write_replay",
]
