"""The engine's remembered SMS text scores are the scores of the texts themselves."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fraudwall.engine import sms_text_score
from fraudwall.engine.textscore import TextScores

TEXTS = [
    "【XX银行】您的账户存在风险，请立即点击 http://a.top 验证",
    "明天下午三点开会",
    None,
    "刷单返利，日赚500，加微信 ab12345",
    "明天下午三点开会",
]


def test_remembered_scores_are_each_texts_own_across_batches_and_resets() -> None:
    scores = TextScores(capacity=4)
    for batch in ([TEXTS[:3], TEXTS[1:]], [TEXTS, TEXTS[::-1]]):
        arr = pa.chunked_array([pa.array(part, pa.string()) for part in batch])
        got, probability = scores(arr)
        flat = [t for part in batch for t in part]
        expect = sms_text_score(flat)
        assert np.array_equal(got, expect)
        assert np.isnan(probability).all()  # no text scorer: unknown
        assert got[[i for i, t in enumerate(flat) if t is None]].tolist() == [0.0] * flat.count(
            None
        )
    assert len(scores.known) <= 4
