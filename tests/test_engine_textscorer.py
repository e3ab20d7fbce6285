"""The engine reads SMS texts with the text scorer it is given (issue 14): the feature
`sms_fraud_probability` is the scorer's probability, a batch's texts go to it in one call,
an engine without one decides as before, and a model trained with one needs one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from engine_world import T0, H, registry, table

from fraudwall.engine import Engine, EngineModel, parse_rules
from fraudwall.engine.featureset import FEATURES, MODEL_FEATURES
from fraudwall.engine.scorer import KindModel
from fraudwall.engine.textscore import TextScores
from fraudwall.errors import InputError

SCAM = "【银行】您的账户存在风险，请点击 http://a.top 验证"
PLAIN = "明天下午三点开会"


class CueScorer:
    """A tiny deterministic scorer: 0.9 for a text with a link in it, else 0.1; it keeps
    every call it was given."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def fraud_probability(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array([0.9 if "http" in t else 0.1 for t in texts])


def sms(eid: str, ts: int, text: str | None, sender: str = "+85512345678") -> dict[str, Any]:
    return {"event_id": eid, "ts": ts, "institution_id": "T1", "sender": sender,
            "receiver": "+8613800000001", "text": text, "gateway": "international"}  # fmt: skip


def batch(texts: Sequence[str | None], start: int = T0) -> dict[str, pa.Table]:
    return {"sms": table("sms", [sms(f"S{start}-{i}", start + i, t) for i, t in enumerate(texts)])}


def test_the_feature_is_the_scorers_probability_each_distinct_text_scored_once() -> None:
    scorer = CueScorer()
    engine = Engine(text_scorer=scorer)
    engine.state.load_registry(registry())
    texts = [SCAM, PLAIN, SCAM, SCAM, PLAIN]
    got = engine.process(batch(texts), keep_features=True).features["sms"]
    assert got["sms_fraud_probability"].tolist() == [0.9, 0.1, 0.9, 0.9, 0.1]
    assert [sorted(c) for c in scorer.calls] == [sorted([SCAM, PLAIN])]  # one call, distinct
    # a later batch: known texts are remembered, only the new one goes to the scorer
    later = engine.process(batch([PLAIN, "回复TD退订", SCAM], T0 + H), keep_features=True)
    assert later.features["sms"]["sms_fraud_probability"].tolist() == [0.1, 0.1, 0.9]
    assert scorer.calls[1:] == [["回复TD退订"]]
    assert "sms_fraud_probability" in FEATURES["sms"]
    assert "sms_fraud_probability" in MODEL_FEATURES["sms"]


def test_a_null_text_scores_as_an_empty_one_and_the_lexicon_stays_a_feature() -> None:
    scores = TextScores(CueScorer())
    lexicon, probability = scores(pa.array([None, SCAM, None], pa.string()))
    assert probability.tolist() == [0.1, 0.9, 0.1]
    assert lexicon[0] == lexicon[2] == 0.0 and lexicon[1] > 0.5
    lexicon, probability = TextScores()(pa.array([SCAM, None], pa.string()))
    assert np.isnan(probability).all() and lexicon[0] > 0.5


def test_a_scorer_that_answers_wrongly_is_named() -> None:
    class Short:
        def fraud_probability(self, texts: Sequence[str]) -> np.ndarray:
            return np.zeros(len(texts) - 1)

    with pytest.raises(ValueError, match="text scorer"):
        TextScores(Short())(pa.array([SCAM, PLAIN], pa.string()))

    class Unsure:
        def fraud_probability(self, texts: Sequence[str]) -> np.ndarray:
            return np.array([0.5 if t == PLAIN else np.nan for t in texts])

    with pytest.raises(ValueError, match=r"probability nan of text .* is not within 0\.\.1"):
        TextScores(Unsure())(pa.array([PLAIN, SCAM], pa.string()))


def test_without_a_scorer_the_feature_is_unknown_and_decisions_are_as_before() -> None:
    texts = [SCAM, PLAIN, SCAM]
    plain, read = Engine(), Engine(text_scorer=CueScorer())
    for e in (plain, read):
        e.state.load_registry(registry())
    without = plain.process(batch(texts), keep_features=True)
    with_scorer = read.process(batch(texts), keep_features=True)
    assert np.isnan(without.features["sms"]["sms_fraud_probability"]).all()
    # no model and the default rules read no probability: the same decisions either way
    assert without.decisions.equals(with_scorer.decisions)
    for name, values in without.features["sms"].items():
        if name != "sms_fraud_probability":
            assert np.array_equal(values, with_scorer.features["sms"][name], equal_nan=True)


def test_a_rule_may_read_the_probability() -> None:
    rules = parse_rules(
        'version = "1"\n\n[[rule]]\nname = "model_says_fraud"\n'
        'when = "sms_fraud_probability >= 0.8"\naction = "block"\nseverity = 9\n'
        'reason = "短信被判为诈骗"\napplies_to = "sms"\n',
        FEATURES,
    )
    engine = Engine(rules=rules, text_scorer=CueScorer())
    engine.state.load_registry(registry())
    d = engine.decide(batch([SCAM, PLAIN]))
    assert d["action"].to_pylist() == ["block", "allow"]
    assert Engine(rules=rules).decide(batch([SCAM]))["action"].to_pylist() == ["allow"]


def sms_model(trained_with_scorer: bool | None) -> EngineModel:
    """A small SMS model over the registered SMS features, the text scorer's among them."""
    rng = np.random.default_rng(1)
    x = rng.random((400, len(MODEL_FEATURES["sms"])))
    y = (x[:, -1] > 0.5).astype(np.int8)
    model = KindModel.fit("sms", x, y)
    model.thresholds = {"warn": 0.0, "block": 2.0}
    trained_on = {} if trained_with_scorer is None else {"text_scorer": trained_with_scorer}
    return EngineModel({"sms": model}, trained_on)


def test_a_model_trained_with_a_scorer_refuses_to_decide_without_one(tmp_path: Any) -> None:
    model = sms_model(True)
    assert model.needs_text_scorer == "sms_fraud_probability"
    with pytest.raises(InputError, match="no text scorer") as refused:
        Engine(model=model)
    assert refused.value.where == "model"
    with pytest.raises(InputError, match="no text scorer"):
        Engine.for_world(registry(), model=model)
    engine = Engine.for_world(registry(), model=model, text_scorer=CueScorer())
    engine.process(batch([SCAM, PLAIN]))
    folder = engine.snapshot(tmp_path / "snap")
    with pytest.raises(InputError, match="no text scorer"):
        Engine.restore(folder, model=model)
    again = Engine.restore(folder, model=model, text_scorer=CueScorer())
    assert again.state.clock == engine.state.clock
    # the same model, read back from its file, still needs one
    path = model.save(tmp_path / "m.json")
    assert EngineModel.load(path).needs_text_scorer == "sms_fraud_probability"


def test_a_model_trained_without_a_scorer_decides_without_one() -> None:
    model = sms_model(False)  # its text-scorer column was unknown throughout training
    assert model.needs_text_scorer is None
    engine = Engine(model=model)
    engine.state.load_registry(registry())
    assert engine.decide(batch([SCAM])).num_rows == 1
    assert sms_model(None).needs_text_scorer == "sms_fraud_probability"  # unknown: assumed
    assert EngineModel().needs_text_scorer is None
