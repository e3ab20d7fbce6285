"""The feature registry says what the engine computes: the same names per kind, units the
values keep, a reason for each, and a docs page that never goes stale."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from fraudwall.engine.actions import KINDS
from fraudwall.engine.engine import Engine
from fraudwall.engine.featureset import (
    BY_NAME,
    FEATURES,
    REGISTRY,
    Feature,
    Unit,
    _by_name,
    main,
    markdown,
    reason,
)
from fraudwall.engine.stream import time_batches
from fraudwall.intel.shipped import shipped_text_scorer
from fraudwall.sim import SimConfig, simulate

DOCS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "features.md"
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def computed() -> dict[str, dict[str, np.ndarray]]:
    """Every kind's features as the engine computes them over a small world, batch by
    batch, joined (the SMS read by the shipped text model, as users' engines read them)."""
    world = simulate(SimConfig(people=400, days=2, seed=3))
    engine = Engine.for_world(world.tables, text_scorer=shipped_text_scorer())
    parts: dict[str, list[dict[str, np.ndarray]]] = {}
    for batch in time_batches(world.tables, 500):
        for kind, f in engine.process(batch, keep_features=True).features.items():
            parts.setdefault(kind, []).append(f)
    return {
        kind: {name: np.concatenate([p[name] for p in ps]) for name in ps[0]}
        for kind, ps in parts.items()
    }


def test_each_kind_computes_exactly_its_registered_features(
    computed: dict[str, dict[str, np.ndarray]],
) -> None:
    assert set(computed) == set(KINDS)
    assert set(computed["transfer"]) == set(FEATURES["transfer"])
    assert set(computed["sms"]) == set(FEATURES["sms"])
    # Calls and SMS are computed together: a call carries the SMS text columns too (zero
    # and nan), which only SMS rules and models read.
    assert set(computed["call"]) == set(FEATURES["call"]) | {
        "sms_text_score",
        "sms_fraud_probability",
    }
    assert "sms_text_score" not in FEATURES["call"]
    # Nothing computed but unregistered, nothing registered but not computed.
    assert set().union(*map(set, computed.values())) == set(BY_NAME)


def test_computed_values_keep_their_registered_units(
    computed: dict[str, dict[str, np.ndarray]],
) -> None:
    for kind, features in computed.items():
        for name in FEATURES[kind]:
            values, unit = features[name], BY_NAME[name].unit
            assert (values.dtype == np.bool_) == (unit is Unit.BOOL), name
            if unit is Unit.BOOL:
                continue
            known = values[~np.isnan(values.astype(np.float64))]
            assert len(known), name
            if unit in (Unit.SHARE, Unit.SCORE):
                assert ((known >= 0) & (known <= 1)).all(), name
            if unit is Unit.FEN:
                assert values.dtype == np.int64 and (values >= 0).all(), name
            if unit in (Unit.COUNT, Unit.RATIO, Unit.YEARS):
                assert (known >= 0).all(), name


def test_each_kind_lists_features_in_registry_order_and_fits_decides_packing() -> None:
    for kind in KINDS:
        assert FEATURES[kind] == tuple(f.name for f in REGISTRY if kind in f.kinds)
        assert len(FEATURES[kind]) < 64  # decide packs a feature's index in 6 bits
    assert FEATURES["sms"] == (*FEATURES["call"], "sms_text_score", "sms_fraud_probability")


def test_every_entry_has_kinds_a_unit_a_chinese_reason_and_a_description() -> None:
    for f in REGISTRY:
        assert f.kinds and set(f.kinds) <= set(KINDS), f.name
        assert isinstance(f.unit, Unit)
        assert _CJK.search(f.reason), f.name
        assert reason(f.name) == f.reason
        assert f.description.strip() and f.description.isascii(), f.name


def test_an_unknown_feature_has_no_reason() -> None:
    with pytest.raises(KeyError, match="'amout_fen' is not in the feature registry"):
        reason("amout_fen")


def test_a_repeated_name_or_an_unknown_kind_is_refused() -> None:
    one = Feature("x", ("call",), Unit.COUNT, "多", "many")
    with pytest.raises(ValueError, match="'x' is registered twice"):
        _by_name([one, one])
    with pytest.raises(ValueError, match="'y': kinds"):
        _by_name([Feature("y", ("login",), Unit.COUNT, "多", "many")])


def test_the_docs_page_is_what_the_registry_generates() -> None:
    page = DOCS_PAGE.read_text(encoding="utf-8")
    assert page == markdown(), "run: python -m fraudwall.engine.featureset --out docs/features.md"
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [f.name for f in REGISTRY]
    assert "| `sms_text_score` | sms | score 0..1 | yes | 短信内容符合诈骗话术 |" in page


def test_the_module_prints_or_writes_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == markdown()
    out = tmp_path / "features.md"
    assert main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == markdown()
