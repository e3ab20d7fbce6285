"""The fraud-text classifier: normalisation, training on simulated texts, files, commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.intel.text import (
    NORMAL,
    TextModel,
    classification_report,
    evaluate,
    normalize_text,
    normalize_texts,
    score_texts,
    stratified_split,
    train,
)
from fraudwall.intel.text.normalize import LONG_NUMBER_TOKEN, NUMBER_TOKEN, URL_TOKEN
from fraudwall.model import FraudType
from fraudwall.sim import World, write_world
from fraudwall.sim.texts import fraud_sms, normal_sms

runner = CliRunner()


# ------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("刷 单 返.利", "刷单返利"),  # separators between characters vanish
        ("兼*职·日-结", "兼职日结"),
        ("验丨证丨码", "验证码"),  # separator strokes too
        ("ＶＸ：ＡＢＣ", "vxabc"),  # full-width → half-width, lower case
        ("請點擊領獎", "请点击领奖"),  # traditional → simplified
        ("日结300元", f"日结{NUMBER_TOKEN}元"),  # a short number is one token
        ("致电13812345678", f"致电{LONG_NUMBER_TOKEN}"),  # a phone or card number another
        ("日结３００元", f"日结{NUMBER_TOKEN}元"),  # full-width digits are digits
        ("点击 http://t.cn/abc 领取", f"点击{URL_TOKEN}领取"),
        ("登录www.icbc-vip.top/x办理", f"登录{URL_TOKEN}办理"),
        ("access abc.com now", f"access{URL_TOKEN}now"),
        ("余额3.5元", f"余额{NUMBER_TOKEN}{NUMBER_TOKEN}元"),  # no URL without a letter
        ("", ""),
        ("！！！", ""),
    ],
)
def test_normalisation_undoes_obfuscation(raw: str, normal: str) -> None:
    assert normalize_text(raw) == normal


def test_normalisation_keeps_texts_apart() -> None:
    assert normalize_texts(["a\x01b", "", "刷单"]) == ["ab", "", "刷单"]


# ------------------------------------------------------------------------- the model
KINDS = ("bank_notice", "delivery", "personal", "loan_ad")
TYPES = (FraudType.LOAN, FraudType.POLICE, FraudType.REBATE)


def _labelled(seed: int, per_class: int = 80) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    labels: list[str] = []
    for t in TYPES:
        texts += fraud_sms(t, rng, per_class)
        labels += [str(t)] * per_class
    for kind in KINDS:
        texts += normal_sms(kind, rng, per_class)
        labels += [NORMAL] * per_class
    return texts, labels


@pytest.fixture(scope="module")
def model() -> TextModel:
    texts, labels = _labelled(1)
    return train(texts, labels, bits=16, lexicon=True)  # the cue groups too, to test them


def test_a_model_tells_fraud_types_from_normal_texts_it_has_not_seen(model: TextModel) -> None:
    texts, labels = _labelled(2, per_class=40)
    report = evaluate(model, texts, labels)
    assert report["macro_f1"] >= 0.9
    assert report["binary"]["macro_f1"] >= 0.95
    assert set(report["per_class"]) == {NORMAL, *map(str, TYPES)}
    assert np.array(report["confusion"]["matrix"]).sum() == len(texts)
    proba = model.predict_proba(texts)
    assert np.allclose(proba.sum(axis=1), 1.0)
    fraud = model.fraud_probability(texts)
    is_fraud = np.array(labels) != NORMAL
    assert fraud[is_fraud].mean() > 0.8 > 0.2 > fraud[~is_fraud].mean()


def test_explain_names_the_ngrams_that_weighed_most(model: TextModel) -> None:
    said = model.explain("您涉嫌洗钱，请将资金转入安全账户配合调查")
    assert said["label"] == str(FraudType.POLICE)
    assert 0.0 < said["probability"] <= 1.0
    grams = [g["ngram"] for g in said["top_ngrams"]]
    ngrams = [g for g in grams if not g.startswith("<cue:")]
    normal = normalize_text("您涉嫌洗钱请将资金转入安全账户配合调查")
    assert ngrams and all(g in normal for g in ngrams)
    assert "<cue:fake_police>" in grams  # the lexicon's cue group, a feature of the model


def test_a_saved_model_loads_with_the_same_predictions(model: TextModel, tmp_path: Path) -> None:
    texts, _ = _labelled(3, per_class=10)
    path = model.save(tmp_path / "m.npz")
    again = TextModel.load(path)
    assert again.labels == model.labels
    assert again.predict(texts) == model.predict(texts)
    assert np.allclose(again.predict_proba(texts), model.predict_proba(texts), atol=2e-3)


def test_a_stratified_split_holds_out_every_class() -> None:
    labels = ["a"] * 10 + ["b"] * 5 + ["c"]
    keep, held = stratified_split(labels, 0.2, seed=7)
    assert sorted(np.concatenate([keep, held]).tolist()) == list(range(16))
    assert sorted(labels[i] for i in held) == ["a", "a", "b"]


def test_the_report_counts_what_it_should() -> None:
    report = classification_report(["x", "x", "y", "y"], ["x", "y", "y", "y"])
    assert report["accuracy"] == 0.75
    assert report["per_class"]["x"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert report["confusion"] == {"labels": ["x", "y"], "matrix": [[1, 1], [0, 2]]}


# ------------------------------------------------------------------------- the commands
def _write(path: Path, texts: list[str | None], labels: list[str | None]) -> Path:
    pacsv.write_csv(pa.table({"body": texts, "kind": labels}), path)
    return path


def test_text_train_eval_classify_on_files(tmp_path: Path) -> None:
    texts, labels = _labelled(4, per_class=40)
    texts, labels = [*texts, "你好\n明天见"], [*labels, NORMAL]  # a line break in a value
    data = _write(tmp_path / "train.csv", [*texts, "", None, "好的"], [*labels, NORMAL, "x", None])
    out = tmp_path / "m.npz"
    args = ["text", "train", "--data", str(data), "--text-column", "body"]
    trained = runner.invoke(app, [*args, "--label-column", "kind", "--out", str(out)])
    assert trained.exit_code == 1, trained.output  # written, but rows were rejected
    assert out.exists()
    rejected = pacsv.read_csv(out.with_name("m.npz.rejected.csv")).to_pylist()
    assert [(r["row"], r["field"], r["reason"]) for r in rejected] == [
        (len(texts) + 1, "body", "empty text"),
        (len(texts) + 2, "body", "empty text"),
        (len(texts) + 3, "kind", "missing label"),
    ]
    test = _write(tmp_path / "test.csv", *_labelled(5, per_class=20))
    evaluated = runner.invoke(
        app, ["text", "eval", "--model", str(out), "--data", str(test), "--text-column", "body",
              "--label-column", "kind"],
    )  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert {"macro_f1", "accuracy", "per_class", "confusion", "binary"} <= set(report)
    assert report["macro_f1"] > 0.8
    one = runner.invoke(
        app, ["text", "classify", "--model", str(out), "安全账户 配合调查 涉嫌洗钱"]
    )
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["label"] != NORMAL
    scored = tmp_path / "scored.csv"
    many = runner.invoke(
        app, ["text", "classify", "--model", str(out), "--data", str(test), "--text-column",
              "body", "--out", str(scored)],
    )  # fmt: skip
    assert many.exit_code == 0, many.output
    table = pacsv.read_csv(scored)
    assert table.num_rows == 20 * (len(TYPES) + len(KINDS))
    assert {"label", "probability", "fraud_probability"} <= set(table.column_names)


def test_a_missing_column_is_one_line_naming_it(tmp_path: Path) -> None:
    data = _write(tmp_path / "d.csv", ["刷单返利"], ["rebate"])
    result = runner.invoke(
        app, ["text", "train", "--data", str(data), "--text-column", "message",
              "--out", str(tmp_path / "m.npz")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "message" in result.output and "body" in result.output
    assert "Traceback" not in result.output
    assert result.output.count("error:") == 1


def test_import_teleantifraud_joins_turns_in_order(tmp_path: Path) -> None:
    folder = tmp_path / "taf"
    folder.mkdir()
    fraud = {
        "left": ["您好，这里是客服", "请提供验证码"],
        "right": ["什么事？"],
        "fraud_type": "客服诈骗",
    }
    normal = {"left": ["欢迎订餐"], "right": ["来一份面"], "fraud_type": "订餐服务"}
    (folder / "fraud_dialogues-1.jsonl").write_text(
        json.dumps(fraud, ensure_ascii=False) + "\nnot json\n", encoding="utf-8"
    )
    (folder / "normal_dialogues-1.jsonl").write_text(
        json.dumps(normal, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    out = tmp_path / "taf.csv"
    result = runner.invoke(app, ["import", "teleantifraud", str(folder), "--out", str(out)])
    assert result.exit_code == 1, result.output  # one line rejected
    rows = pacsv.read_csv(out).to_pylist()
    assert [(r["text"], r["label"], r["binary"]) for r in rows] == [
        ("您好，这里是客服\n什么事？\n请提供验证码", "客服诈骗", "fraud"),
        ("欢迎订餐\n来一份面", NORMAL, NORMAL),
    ]
    rejected = pacsv.read_csv(out.with_name("taf.csv.rejected.csv")).to_pylist()
    assert rejected[0]["line"] == 2 and rejected[0]["reason"].startswith("not JSON")


def test_a_file_that_is_no_model_is_refused_in_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "m.npz"
    bogus.write_bytes(b"not a model")
    result = runner.invoke(app, ["text", "classify", "--model", str(bogus), "刷单返利"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "not a fraudwall text model" in said and "Traceback" not in said
    data = _write(tmp_path / "d.csv", ["刷单返利", "明天见"], ["rebate", NORMAL])
    kept = runner.invoke(app, ["text", "train", "--data", str(data), "--text-column", "body",
                               "--label-column", "kind", "--out", str(bogus)])  # fmt: skip
    assert kept.exit_code == 2 and "left alone" in " ".join(kept.output.split())
    assert bogus.read_bytes() == b"not a model"


def test_export_labels_a_worlds_sms_by_its_truth(default_world: World, tmp_path: Path) -> None:
    folder = write_world(default_world, tmp_path / "world")
    out = tmp_path / "texts.csv"
    result = runner.invoke(app, ["text", "export", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pacsv.read_csv(out, parse_options=pacsv.ParseOptions(newlines_in_values=True))
    labels = set(rows["label"].to_pylist())
    assert NORMAL in labels and labels - {NORMAL} <= {str(t) for t in FraudType}
    assert len(labels) > 3
    pairs = list(zip(rows["text"].to_pylist(), rows["label"].to_pylist(), strict=True))
    assert len(pairs) == len(set(pairs))  # each distinct (text, label) once
    binary = rows["binary"].to_pylist()
    assert all((b == NORMAL) == (lab == NORMAL) for b, (_, lab) in zip(binary, pairs, strict=True))


def test_the_shipped_model_scores_fraud_above_ordinary_texts() -> None:
    scores = score_texts(
        ["您的贷款审核已通过，需先缴纳解冻费才能放款", "妈，我今晚加班不回来吃饭了"]
    )
    assert scores.shape == (2,) and scores.min() >= 0.0 and scores.max() <= 1.0
    assert scores[0] > 0.5 > scores[1]


def test_a_missing_model_file_is_named_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["text", "classify", "--model", str(tmp_path / "none.npz"), "刷单返利"]
    )
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "none.npz: no such file" in said and "Errno" not in said


def test_a_csv_with_a_quote_never_closed_is_refused_not_merged(tmp_path: Path) -> None:
    data = tmp_path / "texts.csv"  # the stray quote would swallow the lines after it
    data.write_text('text\n明天见\n"刷单返利\n第三行\n第四行\n', encoding="utf-8")
    out = tmp_path / "scored.csv"
    result = runner.invoke(
        app, ["text", "classify", "--data", str(data), "--text-column", "text", "--out", str(out)]
    )
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "never closed" in said and "line 3" in said
    assert not out.exists()
