"""Cues matched one at a time find exactly what the trees of unions find (the lexicon of
`fraudwall.common.lexicon`, the engine's `textscore`)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from test_textscore import FRAUD, LEGIT

from fraudwall.common import lexicon as textscore
from fraudwall.sim import World


def test_scores_do_not_depend_on_how_the_cues_are_matched(
    default_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sms = pc.unique(default_world.tables["sms"]["text"]).drop_null()
    hand = pa.array([*FRAUD.values(), *LEGIT.values(), "", "ａｂｃ１２３ 微 信 vx"])
    texts = pa.concat_arrays([hand, sms])
    assert len(texts) > 200
    monkeypatch.setattr(textscore, "_EACH_BELOW", 0)  # always down the trees of unions
    trees = textscore.sms_text_score(texts)
    monkeypatch.setattr(textscore, "_EACH_BELOW", 1 << 30)  # always one cue at a time
    each = textscore.sms_text_score(texts)
    assert (each[: len(FRAUD)] >= 0.5).mean() > 0.9
    assert np.array_equal(each.view(np.uint64), trees.view(np.uint64))
