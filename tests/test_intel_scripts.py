"""Emerging fraud scripts (`fraudwall.intel.scripts`, `fraudwall scripts`): near-duplicate
groups of suspicious texts the text model cannot place, found as of a time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.intel.scripts import (
    Found,
    build_corpus,
    find_emerging_scripts,
    match_found,
    script_truth,
    time_to_find,
)
from fraudwall.intel.scripts.finder import MEMBER_SCHEMA, SCRIPT_SCHEMA
from fraudwall.intel.scripts.nearduplicates import near_duplicate_groups, signatures
from fraudwall.intel.scripts.suspicious import BROADCAST_RECEIVERS, broadcast_messages
from fraudwall.intel.text import NORMAL, TextModel, labelled_world_texts, train
from fraudwall.model import DAY_MS, FraudType
from fraudwall.sim import SimConfig, World, simulate, write_world
from fraudwall.sim.texts import fraud_sms, normal_sms

T0 = 1_772_409_600_000  # a day's start, ms UTC
LEFT_OUT = str(FraudType.SHOPPING)
WIDE = {"COLUMNS": "400"}  # one line of error is not wrapped by the terminal


# ------------------------------------------------------------------ near duplicates


def test_variants_of_one_script_group_together_and_other_scripts_apart() -> None:
    texts = [
        "【京东】您的订单因仓库爆仓需退款，请添加客服微信kf8821领取赔付368元",
        "【京东】您的订单因仓库爆仓需退款，请添加客服微信zx_0913领取赔付1200元",
        "京东：您的订单因仓库爆仓需退款, 请添加客服 微信 abc77 领取赔付 99 元",
        "您已被选为抖音体验官，点赞博主并截图即可领取5元红包，添加导师QQ 77812",
        "您已被选为抖音体验官，点赞博主并截图即可领取20元红包，添加导师QQ 99102",
        "妈，我今晚加班，你们先吃吧",
    ]
    groups = near_duplicate_groups(signatures(texts))
    assert groups[0] == groups[1] == groups[2]  # slot values (ids, amounts) matter little
    assert groups[3] == groups[4]
    assert len({groups[0], groups[3], groups[5]}) == 3
    assert groups.tolist()[0] == 0  # numbered by first member


def test_no_texts_no_groups() -> None:
    assert near_duplicate_groups(signatures([])).tolist() == []


def test_broadcasting_is_a_young_number_reaching_many_receivers() -> None:
    many = BROADCAST_RECEIVERS
    sender = np.array([0] * many + [1] * many + [2] * many + [3] * (many - 1) + [4] * many)
    receiver = np.concatenate(
        [np.arange(many), np.arange(many), np.zeros(many, np.int64), np.arange(many - 1),
         np.arange(many)]
    )  # fmt: skip
    age = np.array([2.0] * many + [900.0] * many + [2.0] * many + [2.0] * (many - 1)
                   + [np.nan] * many)  # fmt: skip
    out = broadcast_messages(sender, receiver, age)
    # young to many: yes; old: no; young but one receiver again and again: no; one
    # receiver short: no; activation unknown: no
    assert out.tolist() == [True] * many + [False] * (4 * many - 1)


# ------------------------------------------------------------------ the finder on made-up SMS


def _model() -> TextModel:
    rng = np.random.default_rng(5)
    known = [FraudType.REBATE, FraudType.POLICE, FraudType.LOAN]
    texts: list[str] = []
    labels: list[str] = []
    for t in known:
        texts += fraud_sms(t, rng, 150)
        labels += [str(t)] * 150
    for kind in ("personal", "bank_notice", "delivery", "verification", "marketing"):
        texts += normal_sms(kind, rng, 150)
        labels += [NORMAL] * 150
    return train(texts, labels, bits=15, max_iter=30)


@pytest.fixture(scope="module")
def small_model() -> TextModel:
    return _model()


def _sms(rows: list[tuple[str, int, str, str]]) -> pa.Table:
    """SMS of (text, ts, sender, receiver)."""
    return pa.table(
        {
            "event_id": [f"e{i}" for i in range(len(rows))],
            "ts": pa.array([r[1] for r in rows], pa.int64()),
            "sender": [r[2] for r in rows],
            "receiver": [r[3] for r in rows],
            "text": [r[0] for r in rows],
        }
    )


def _phones(young: list[str], old: list[str]) -> pa.Table:
    return pa.table(
        {
            "number": young + old,
            "activated_ts": pa.array(
                [T0 - 2 * DAY_MS] * len(young) + [T0 - 3000 * DAY_MS] * len(old), pa.int64()
            ),
        }
    )


def test_ordinary_templated_sms_are_not_reported(small_model: TextModel) -> None:
    rng = np.random.default_rng(9)
    rows = []
    for kind, sender in (("bank_notice", "+8695588"), ("delivery", "+8610690011"),
                         ("verification", "+8610690002")):  # fmt: skip
        for i, text in enumerate(normal_sms(kind, rng, 300)):
            rows.append((text, T0 + i * 60_000, sender, f"+86138{i:08d}"))
    corpus = build_corpus(_sms(rows), small_model, _phones([], ["+8695588", "+8610690011",
                                                                "+8610690002"]))  # fmt: skip
    found = find_emerging_scripts(corpus, T0 + DAY_MS, 7 * DAY_MS)
    assert found.scripts.num_rows == 0
    assert found.members.num_rows == 0


def test_a_script_the_model_never_saw_is_reported_with_its_numbers(
    small_model: TextModel,
) -> None:
    rng = np.random.default_rng(10)
    new = fraud_sms(FraudType.CUSTOMER_SERVICE, rng, 120)  # a type the model does not know
    senders = ["+8617000000001", "+8617000000002"]
    rows = [(t, T0 + i * 600_000, senders[i % 2], f"+86139{i:08d}") for i, t in enumerate(new)]
    rows += [  # ordinary mail from a bank's old number beside it
        (t, T0 + i * 600_000 + 1, "+8695588", f"+86138{i:08d}")
        for i, t in enumerate(normal_sms("bank_notice", rng, 100))
    ]
    corpus = build_corpus(_sms(rows), small_model, _phones(senders, ["+8695588"]))
    found = find_emerging_scripts(corpus, T0 + 2 * DAY_MS, 7 * DAY_MS)
    assert found.scripts.num_rows >= 1
    top = found.scripts.to_pylist()[0]
    assert top["texts"] >= 0.8 * len(new)
    assert set(top["numbers"]) == set(senders)
    assert top["first_seen_ts"] == T0
    assert top["examples"] and all(e in new for e in top["examples"])
    assert top["guess"] in small_model.labels and 0 < top["guess_probability"] <= 1
    members = found.members.filter(pc.equal(found.members["script_id"], top["script_id"]))
    assert set(members["sender"].to_pylist()) == set(senders)
    # Time-aware: as of before its first message, nothing of it is known.
    assert find_emerging_scripts(corpus, T0 - 1, 7 * DAY_MS).scripts.num_rows == 0


def test_a_script_sent_before_the_window_is_established_not_emerging(
    small_model: TextModel,
) -> None:
    """The model cannot place it, but it was sent before the window: an old script, and its
    numbers' old scripts are not joined to a new one they start sending."""
    rng = np.random.default_rng(11)
    texts = fraud_sms(FraudType.CUSTOMER_SERVICE, rng, 20)  # unknown to the model
    old = [t for t in texts for _ in range(6)]  # a campaign sends its texts again and again
    rng.shuffle(old)
    senders = ["+8617000000001", "+8617000000002"]
    rows = [(t, T0 + i * 600_000, senders[i % 2], f"+86139{i:08d}") for i, t in enumerate(old)]
    corpus = build_corpus(_sms(rows), small_model, _phones(senders, []))
    as_of = T0 + len(old) * 600_000
    assert find_emerging_scripts(corpus, as_of, 30 * DAY_MS).scripts.num_rows >= 1
    window = (as_of - T0) // 2  # its first messages are before the window
    assert find_emerging_scripts(corpus, as_of, window).scripts.num_rows == 0


# ------------------------------------------------------------------ evaluation


def _found(as_of: int, clusters: dict[str, list[str]], since: int = 7 * DAY_MS) -> Found:
    members = pa.table(
        {
            "script_id": [c for c, ev in clusters.items() for _ in ev],
            "event_id": [e for ev in clusters.values() for e in ev],
            "ts": pa.array([0] * sum(map(len, clusters.values())), pa.int64()),
            "sender": [""] * sum(map(len, clusters.values())),
            "receiver": [""] * sum(map(len, clusters.values())),
            "text": [""] * sum(map(len, clusters.values())),
        },
        schema=MEMBER_SCHEMA,
    )
    return Found(as_of, since, SCRIPT_SCHEMA.empty_table(), members)


def _truth(rows: list[tuple[str, int, str, str]]) -> pa.Table:
    """Truth of (event_id, ts, script_id, kind), each script starting at its first row."""
    start: dict[str, int] = {}
    for _, ts, s, _ in rows:
        start[s] = min(start.get(s, ts), ts)
    return pa.table(
        {
            "event_id": [r[0] for r in rows],
            "ts": pa.array([r[1] for r in rows], pa.int64()),
            "script_id": [r[2] for r in rows],
            "family_id": [r[2] for r in rows],
            "fraud_type": ["x"] * len(rows),
            "kind": [r[3] for r in rows],
            "start_ts": pa.array([start[r[2]] for r in rows], pa.int64()),
        }
    )


def test_a_script_is_found_by_a_pure_cluster_holding_most_of_it() -> None:
    truth = _truth(
        [(f"a{i}", T0 + i, "new1", "new_family") for i in range(10)]
        + [(f"b{i}", T0 + i, "new2", "new_variant") for i in range(10)]
        + [(f"c{i}", T0 + i, "old", "base") for i in range(10)]
    )
    found = _found(
        T0 + DAY_MS,
        {
            "k1": [f"a{i}" for i in range(8)],  # 8 of 10, pure: found
            "k2": [f"b{i}" for i in range(9)] + ["c0", "c1"],  # 9 of 10 but 82 % pure
        },
    )
    m = match_found(found, truth, ["new1", "new2"])
    assert m["new1"] == {"cluster": "k1", "purity": 1.0, "share": 0.8, "seen": 10, "found": True}
    assert m["new2"]["found"] is False
    assert m["new2"]["purity"] == pytest.approx(9 / 11, abs=1e-4)
    # Seen so far: messages after the as-of time do not count against it.
    assert match_found(_found(T0 + 7, {"k": ["a0", "a1", "a2", "a3", "a4", "a5", "a6"]}),
                       truth, ["new1"])["new1"]["found"]  # fmt: skip


def test_when_found_is_the_first_time_the_finder_finds_it(small_model: TextModel) -> None:
    rng = np.random.default_rng(11)
    new = fraud_sms(FraudType.CUSTOMER_SERVICE, rng, 60)
    start = T0 + DAY_MS
    rows = [(t, start + i * 1_800_000, "+8617000000009", f"+86139{i:08d}")
            for i, t in enumerate(new)]  # fmt: skip
    sms = _sms(rows)
    corpus = build_corpus(sms, small_model, _phones(["+8617000000009"], []))
    truth = _truth([(f"e{i}", r[1], "cs", "new_family") for i, r in enumerate(rows)])
    times = [T0 + k * DAY_MS // 2 for k in range(1, 8)]
    r = time_to_find(corpus, truth, times, 7 * DAY_MS)
    assert r["true"] == 1
    assert r["found"] == 1
    found_ts = r["scripts"]["cs"]["found_ts"]
    assert found_ts in times and found_ts > start
    assert r["median_days_to_find"] == pytest.approx((found_ts - start) / DAY_MS, abs=0.01)
    earlier = [t for t in times if t < found_ts]
    assert all(
        not match_found(find_emerging_scripts(corpus, t, 7 * DAY_MS), truth, ["cs"])
        .get("cs", {}).get("found") for t in earlier
    )  # fmt: skip


# ------------------------------------------------------------------ truth of a world


def test_script_truth_reads_drift_when_the_world_has_it() -> None:
    sms = _sms([("a", T0 + 5, "s1", "r"), ("b", T0 + 9, "s1", "r"), ("c", T0 + 7, "s2", "r")])
    truth = pa.table(
        {
            "entity_kind": ["sms", "sms", "sms"],
            "entity_id": ["e0", "e1", "e2"],
            "role": ["fraud_sms"] * 3,
            "fraud_type": ["police", "police", "rebate"],
        }
    )
    plain = script_truth({"sms": sms, "truth": truth})
    assert plain["script_id"].to_pylist() == ["police", "rebate", "police"]  # by time
    assert plain["family_id"].to_pylist() == ["police", "rebate", "police"]
    assert plain["kind"].to_pylist() == ["base"] * 3
    assert plain["start_ts"].to_pylist() == [T0 + 5, T0 + 7, T0 + 5]
    drift = truth.append_column("script_id", pa.array(["p_new", None, "r0"]))
    scripts = pa.table(
        {
            "script_id": ["p_new", "r0"],
            "fraud_type": ["police", "rebate"],
            "family_id": ["fam_p", "fam_r"],
            "kind": ["new_family", "base"],
            "start_ts": pa.array([T0, T0 - DAY_MS], pa.int64()),
            "topic": ["", ""],
        }
    )
    drifted = script_truth({"sms": sms, "truth": drift, "scripts": scripts})
    assert drifted["script_id"].to_pylist() == ["p_new", "r0", "police"]
    assert drifted["family_id"].to_pylist() == ["fam_p", "fam_r", "police"]
    assert drifted["kind"].to_pylist() == ["new_family", "base", "base"]
    assert drifted["start_ts"].to_pylist() == [T0, T0 - DAY_MS, T0 + 9]


# ------------------------------------------------------------------ leave one family out


@pytest.fixture(scope="module")
def small_world() -> World:
    return simulate(SimConfig(people=8000, days=10, seed=3, fraud_rate=120.0, activity=0.1))


def test_a_family_left_out_of_training_emerges_within_two_days(small_world: World) -> None:
    tables = dict(small_world.tables)
    labelled = labelled_world_texts(tables)
    keep = labelled.filter(pc.not_equal(labelled["label"], LEFT_OUT))
    model = train(keep["text"].to_pylist(), keep["label"].to_pylist(), bits=15, max_iter=30)
    assert LEFT_OUT not in model.labels
    corpus = build_corpus(tables["sms"], model, tables["phones"])
    truth = script_truth(tables)
    family = truth.filter(pc.equal(truth["fraud_type"], LEFT_OUT))
    start = int(pc.min(family["ts"]).as_py())
    times = [start + k * DAY_MS // 4 for k in range(1, 9)]  # every 6 hours for two days
    r = time_to_find(corpus, truth, times, 7 * DAY_MS, scripts=[LEFT_OUT], key="fraud_type")
    got = r["scripts"][LEFT_OUT]
    assert r["found"] == 1, got
    assert got["days_to_find"] <= 2.0
    assert got["purity"] >= 0.9 and got["share"] >= 0.8


# ------------------------------------------------------------------ the command


@pytest.fixture(scope="module")
def world_dir(small_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scripts") / "world"
    write_world(small_world, path)
    return path


def test_scripts_command_writes_the_emerging_scripts(world_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "found"
    result = CliRunner().invoke(app, ["scripts", str(world_dir), "--since", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "scripts.json").read_text(encoding="utf-8"))
    assert report["since_days"] == 7 and isinstance(report["scripts"], list)
    members = pa.parquet.read_table(out / "script_texts.parquet")
    assert members.schema.names == MEMBER_SCHEMA.names
    assert members.num_rows == sum(s["texts"] for s in report["scripts"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--since", "0"], "--since"),
        (["--since", "-3"], "--since"),
        (["--since", "nan"], "--since"),
        (["--since", "7", "--as-of", "-1"], "--as-of"),
        (["--since", "7", "--model", "no-such-model.npz"], "--model"),
    ],
)
def test_scripts_command_refuses_bad_options_in_one_line(
    world_dir: Path, tmp_path: Path, args: list[str], says: str
) -> None:
    result = CliRunner().invoke(
        app, ["scripts", str(world_dir), "--out", str(tmp_path / "o"), *args]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in result.output


def test_scripts_command_refuses_a_missing_world(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["scripts", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")], env=WIDE
    )
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "nowhere" in result.output
