"""Rules as data: the file format's checks, the condition language's safety, and that the
vectorised evaluator means what the same condition means for one event at a time."""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine import FEATURES, RuleError, RuleSet, default_rules, load_rules, parse_rules
from fraudwall.engine import rules as rules_module
from fraudwall.engine.actions import ACTIONS
from fraudwall.engine.rules import (
    RuleEngine,
    default_rules_path,
)
from fraudwall.errors import InputError
from fraudwall.model import Action

# ---------------------------------------------------------------------------------------
# helpers: a small feature set and rule files written as text
# ---------------------------------------------------------------------------------------

FEATS = ("i1", "i2", "f1", "f2", "b1", "b2", "amount", "x", "y", "r")
CODE = {a: i for i, a in enumerate(ACTIONS)}


def block(
    name: str = "bad",
    when: str = "x > 1",
    action: str = "warn",
    severity: Any = 10,
    reason: str = "原因",
    applies_to: str = "transfer",
    extra: str = "",
) -> str:
    """One [[rule]] table; strings are written as TOML basic strings (JSON-compatible)."""

    def q(s: str) -> str:
        return json.dumps(s, ensure_ascii=False)

    sev = severity if isinstance(severity, str) else json.dumps(severity)
    return (
        f"\n[[rule]]\nname = {q(name)}\nwhen = {q(when)}\naction = {q(action)}\n"
        f"severity = {sev}\nreason = {q(reason)}\napplies_to = {q(applies_to)}\n{extra}"
    )


def ruleset_text(*blocks: str, version: str = "t1") -> str:
    return f'version = "{version}"\n' + "".join(blocks)


GOOD = block("good", "x > 1 and y < 2", "warn", 10, "x是{x}")


def line_of(text: str, prefix: str, after: str = 'name = "bad"') -> int:
    """The 1-based line of the first line starting with prefix at or after `after`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(after))
    return next(i for i in range(start, len(lines)) if lines[i].startswith(prefix)) + 1


def parse(text: str, features: Any = FEATS) -> RuleSet:
    return parse_rules(text, features)


# ---------------------------------------------------------------------------------------
# the default rules
# ---------------------------------------------------------------------------------------


def test_default_rules_load_and_check_each_kind() -> None:
    rs = default_rules()
    assert rs.version
    assert rs.source == str(default_rules_path())
    assert default_rules_path().is_file()
    text = default_rules_path().read_text(encoding="utf-8")
    assert rs.digest == hashlib.sha256(text.encode()).hexdigest()
    assert 12 <= len(rs.rules) <= 25
    assert {r.applies_to for r in rs.rules} == {"transfer", "call", "sms"}
    assert sum(r.shadow for r in rs.rules) >= 2
    for rule in rs.rules:
        assert set(rule.features_used) <= set(FEATURES[rule.applies_to])
        assert rule.line is not None
        assert text.splitlines()[rule.line - 1] == f'name = "{rule.name}"'
    # the same file loads against one flat set of all the features, too
    union = set(FEATURES["transfer"]) | set(FEATURES["call"]) | set(FEATURES["sms"])
    assert load_rules(default_rules_path(), union).digest == rs.digest


def _quiet(kind: str, n: int = 1) -> dict[str, np.ndarray]:
    """Features of an ordinary event: an old payee, a known payer, a trusted caller."""
    f: dict[str, np.ndarray] = {}
    for name in FEATURES[kind]:
        f[name] = np.zeros(n, dtype=np.int64)
    bools = [
        "payee_on_risk_list",
        "payee_in_reported_case",
        "payer_first_to_payee",
        "payer_risky_contact_6h",
        "payer_international_contact_6h",
        "payer_on_call",
        "payer_remote_app_24h",
        "payer_risky_url_24h",
        "payer_stopped",
        "international_gateway",
        "spoofed",
    ]
    for name in bools:
        if name in f:
            f[name] = np.zeros(n, dtype=bool)
    if kind == "transfer":
        f["amount_fen"] = np.full(n, 20_000)
        f["payee_account_age_days"] = np.full(n, 2000)
        f["payee_distinct_payers_24h"] = np.full(n, 1)
        f["payer_amount_ratio"] = np.full(n, 1.0)
        f["payer_age"] = np.full(n, 40)
    else:
        f["caller_reputation"] = np.full(n, 0.9)
        f["sim_age_days"] = np.full(n, 900)
        f["caller_fanout_24h"] = np.full(n, 3)
        f["caller_callback_share_24h"] = np.full(n, 0.5)
    return f


@pytest.mark.parametrize("kind", ["transfer", "call", "sms"])
def test_default_rules_leave_ordinary_events_alone(kind: str) -> None:
    hits = default_rules().evaluate(kind, _quiet(kind, 3))
    assert not hits.fired.any()
    assert (hits.action() == 0).all()
    assert (hits.top() == -1).all()


def test_default_rules_block_spoofed_numbers_and_stopped_payers() -> None:
    rs = default_rules()
    for kind in ("call", "sms"):
        f = _quiet(kind, 2)
        f["spoofed"] = np.array([True, False])
        f["international_gateway"] = np.array([True, False])
        hits = rs.evaluate(kind, f)
        assert hits.action().tolist() == [CODE[Action.BLOCK], 0]
        assert hits.fired_names(0)[0] == f"spoofed_{kind}"
    f = _quiet("transfer", 2)
    f["payer_stopped"] = np.array([False, True])
    hits = rs.evaluate("transfer", f)
    assert hits.action().tolist() == [0, CODE[Action.BLOCK]]
    assert hits.fired_names(1) == ["payer_stopped"]


def test_default_rules_read_the_call_to_transfer_link() -> None:
    f = _quiet("transfer", 1)
    f["payer_first_to_payee"][:] = True
    f["payer_risky_contact_6h"][:] = True
    f["payer_on_call"][:] = True
    f["amount_fen"][:] = 3_000_000
    hits = default_rules().evaluate("transfer", f)
    names = hits.fired_names(0)
    assert names[0] == "on_call_after_risky_contact"
    assert "risky_contact_first_payee" in names
    assert hits.action()[0] == CODE[Action.DELAY]
    assert "several_victim_signals" in hits.fired_names(0, include_shadow=True)
    assert "several_victim_signals" not in names
    assert all(r and "{" not in r for r in hits.reasons(0, f))


def test_new_payee_reason_is_filled_from_the_event() -> None:
    f = _quiet("transfer", 2)
    f["payee_account_age_days"] = np.array([3, 3])
    f["payee_distinct_payers_1h"] = np.array([7, 2])
    hits = default_rules().evaluate("transfer", f)
    assert hits.fired_names(0) == ["new_payee_fan_in"]
    assert hits.fired_names(1) == []
    assert hits.reasons(0, f) == ["收款账户为新开户（3天）且近1小时有7人转入，疑似涉诈账户"]
    assert hits.action().tolist() == [CODE[Action.HOLD], 0]


# ---------------------------------------------------------------------------------------
# vectorised evaluation = row-by-row reference semantics
# ---------------------------------------------------------------------------------------

INT_FEATS = ("i1", "i2")
FLOAT_FEATS = ("f1", "f2")
BOOL_FEATS = ("b1", "b2")


def _isnan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _div(a: float, b: float) -> float:
    return math.nan if b == 0 else a / b  # x / 0 is undefined


def _numpy1(fn: Any, *args: float) -> float:
    with np.errstate(all="ignore"):
        return float(fn(*(np.float64(a) for a in args)))


_PY_CMP: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}

Unknown = None  # a condition that is undefined for the event


def _truth(value: Any) -> bool | None:
    """A value read as a condition: nan (or an undefined condition) is undefined."""
    if value is None or isinstance(value, bool):
        return value
    return None if _isnan(value) else value != 0


def _number(value: Any) -> Any:
    """A value read as a number: an undefined condition is nan, a condition 0 or 1."""
    if value is None:
        return math.nan
    return float(value) if isinstance(value, bool) else value


def _and(values: list[bool | None]) -> bool | None:
    if False in values:
        return False
    return True if all(v is True for v in values) else Unknown


def _or(values: list[bool | None]) -> bool | None:
    if True in values:
        return True
    return False if all(v is False for v in values) else Unknown


def reference(node: ast.AST, row: dict[str, Any]) -> Any:
    """The documented meaning of a condition, for one event, in plain Python: numbers
    (nan undefined) and three-valued conditions (None undefined)."""
    if isinstance(node, ast.Expression):
        return reference(node.body, row)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return row[node.id]
    if isinstance(node, ast.BoolOp):
        values = [_truth(reference(v, row)) for v in node.values]
        return _and(values) if isinstance(node.op, ast.And) else _or(values)
    if isinstance(node, ast.UnaryOp):
        value = reference(node.operand, row)
        if isinstance(node.op, ast.Not):
            t = _truth(value)
            return Unknown if t is None else not t
        return -float(_number(value))
    if isinstance(node, ast.BinOp):
        a, b = float(_number(reference(node.left, row))), float(_number(reference(node.right, row)))
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        return _div(a, b)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [float(_number(reference(a, row))) for a in node.args]
        fn = {"abs": np.absolute, "min": np.minimum, "max": np.maximum, "log1p": np.log1p}
        return _numpy1(fn[node.func.id], *args)
    if isinstance(node, ast.Compare):
        left = _number(reference(node.left, row))
        results: list[bool | None] = []
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                assert isinstance(comp, ast.Tuple | ast.List)
                values = [reference(e, row) for e in comp.elts]
                if _isnan(left):
                    return Unknown
                return (left in values) == isinstance(op, ast.In)
            right = _number(reference(comp, row))
            if _isnan(left) or _isnan(right):
                results.append(Unknown)
            else:
                results.append(_PY_CMP[type(op)](left, right))
            left = right
        return _and(results)
    raise AssertionError(f"unexpected node {node!r}")


def fires(when: str, row: dict[str, Any]) -> bool:
    """Whether the rule fires for the event: only where its condition holds."""
    return _truth(reference(ast.parse(when, mode="eval"), row)) is True


def undefined(when: str, row: dict[str, Any]) -> bool:
    return _truth(reference(ast.parse(when, mode="eval"), row)) is None


_num_leaf = st.one_of(
    st.sampled_from(INT_FEATS + FLOAT_FEATS + BOOL_FEATS),
    st.integers(-5, 5).map(str),
    st.sampled_from(["0.5", "2.0", "0", "1e3", "True", "False"]),
)


def _num_ext(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from("+-*/"), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"-{x}"),
        st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        st.tuples(st.sampled_from(["abs", "log1p"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
    )


_num = st.recursive(_num_leaf, _num_ext, max_leaves=6)
_cmp_op = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
_consts = st.lists(st.sampled_from(["0", "1", "-1", "2", "0.5", "True"]), min_size=1, max_size=4)

_cond_leaf = st.one_of(
    st.tuples(_num, _cmp_op, _num).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.tuples(_num, _cmp_op, _num, _cmp_op, _num).map(lambda t: " ".join(t)),
    st.tuples(_num, st.sampled_from(["in", "not in"]), _consts).map(
        lambda t: f"{t[0]} {t[1]} ({', '.join(t[2])},)"
    ),
    st.sampled_from(BOOL_FEATS + FLOAT_FEATS + ("i1", "True", "False")),
)


def _cond_ext(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda x: f"not ({x})"),
    )


_condition = st.recursive(_cond_leaf, _cond_ext, max_leaves=4)
_float = st.one_of(
    st.floats(-1e6, 1e6),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, 0.5]),
)
_row = st.fixed_dictionaries(
    {
        "i1": st.integers(-1000, 1000),
        "i2": st.sampled_from([-1, 0, 1, 2, 1000]),
        "f1": _float,
        "f2": _float,
        "b1": st.booleans(),
        "b2": st.booleans(),
    }
)


def _batch(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    dtypes = {"i1": np.int64, "i2": np.int64, "f1": np.float64, "f2": np.float64}
    out: dict[str, np.ndarray] = {}
    for name in INT_FEATS + FLOAT_FEATS + BOOL_FEATS:
        out[name] = np.array([r[name] for r in rows], dtype=dtypes.get(name, bool))
    return out


@settings(max_examples=300, deadline=None)
@given(when=_condition, rows=st.lists(_row, min_size=0, max_size=12))
def test_vectorised_evaluation_equals_row_by_row_reference(
    when: str, rows: list[dict[str, Any]]
) -> None:
    try:
        rs = parse(ruleset_text(block("r", when)))
    except RuleError as e:  # undefined for every event: refused at load
        assert "division by zero" in e.reason or "not a finite number" in e.reason, e.reason
        return
    features = _batch(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # undefined arithmetic is quiet
        hits = rs.evaluate("transfer", features)
        alone = rs["r"].evaluate(features, n=len(rows))
    expected = [fires(rs["r"].when, row) for row in rows]
    assert hits.fired.dtype == bool
    assert hits.fired[:, 0].tolist() == expected, when
    assert alone.tolist() == expected
    assert hits.undefined_by_rule() == {"r": sum(undefined(rs["r"].when, row) for row in rows)}


# ---------------------------------------------------------------------------------------
# what a rule file may not say: every refusal names the rule and the line
# ---------------------------------------------------------------------------------------

WHEN_REJECTED = [
    ("x.real > 1", "attribute access"),
    ("x.__class__", "attribute access"),
    ("__import__('os').system('ls')", "may be called"),
    ("__import__('os')", "unknown function '__import__'"),
    ("x[0] > 1", "subscripts"),
    ("sqrt(x) > 1", "unknown function 'sqrt'"),
    ("open('f')", "unknown function 'open'"),
    ("globals()", "unknown function 'globals'"),
    ("amout > 1", "unknown feature 'amout' (did you mean 'amount'?)"),
    ("x == 'a'", "strings not allowed"),
    ('f"{x}" == x', "strings not allowed"),
    ("b'x' == x", "strings not allowed"),
    ("lambda: 1", "lambda not allowed"),
    ("(lambda: 1)() > 0", "may be called"),
    ("[i for i in (1, 2)]", "comprehensions not allowed"),
    ("any(x > 1 for x in (1, 2))", "unknown function 'any'"),
    ("(z := x) > 1", "assignment"),
    ("x ** 2 > 1", "operator '**' not allowed"),
    ("x // 2 > 1", "operator '//' not allowed"),
    ("x % 2 == 0", "operator '%' not allowed"),
    ("(x > 1) & (y > 1)", "operator '&' not allowed (use 'and')"),
    ("~b1", "operator '~' not allowed (use 'not')"),
    ("x is None", "'is' not allowed"),
    ("x == None", "constant None not allowed"),
    ("x if y else 1", "conditional expressions"),
    ("x in y", "literal tuple or list"),
    ("x in (y, 1)", "constants, not features"),
    ("x in ()", "at least one value"),
    ("x in (1, 2) < 3", "cannot be chained"),
    ("x < (1, 2)", "only allowed after 'in'"),
    ("{x: 1}", "dicts not allowed"),
    ("{x} == 1", "sets not allowed"),
    ("x + 1", "a number is not a condition"),
    ("b1 and x * 2", "a number is not a condition"),
    ("not abs(x)", "a number is not a condition"),
    ("1j == x", "constant 1j not allowed"),
    ("... == x", "not allowed"),
    ("abs(x, 1) > 0", "'abs' takes 1 argument"),
    ("min(x) > 0", "'min' takes 2 arguments"),
    ("abs(x=1) > 0", "plain arguments"),
    ("abs(*x) > 0", "plain arguments"),
    ("abs > 0", "function 'abs' must be called"),
    ("x >", "syntax error"),
    ("x > 1; y > 1", "syntax error"),
    ("import os", "syntax error"),
    ("", "empty condition"),
    ("nan > 1", "unknown feature 'nan'"),
    ("-" * 60 + "x > 1", "nested"),
    ("x + " * 1000 + "x > 1", "longer than"),
]


@pytest.mark.parametrize(("when", "fragment"), WHEN_REJECTED)
def test_rejected_conditions_name_rule_and_line(when: str, fragment: str) -> None:
    text = ruleset_text(GOOD, block("bad", when))
    with pytest.raises(RuleError) as info:
        parse(text)
    e = info.value
    assert e.rule == "bad"
    assert e.line == line_of(text, "when =")
    assert fragment in e.reason
    assert str(e).startswith(f"<string> line {e.line}, rule 'bad': ")


OTHER_REJECTED = [
    ({"action": "blok"}, "action =", "unknown action 'blok'"),
    ({"action": "blok"}, "action =", "did you mean 'block'"),
    ({"action": "allow"}, "action =", "unknown action 'allow'"),
    ({"applies_to": "transfers"}, "applies_to =", "did you mean 'transfer'"),
    ({"severity": 0}, "severity =", "severity must be"),
    ({"severity": 101}, "severity =", "severity must be"),
    ({"severity": "true"}, "severity =", "severity must be"),
    ({"severity": '"50"'}, "severity =", "severity must be"),
    ({"severity": 5.5}, "severity =", "severity must be"),
    ({"name": "Bad-Name"}, "name =", "bad name"),
    ({"reason": "金额{amout}"}, "reason =", "unknown placeholder '{amout}'"),
    ({"reason": "金额{amout}"}, "reason =", "did you mean 'amount'"),
    ({"reason": "{x!r}"}, "reason =", "conversions not allowed"),
    ({"reason": "{x.real}"}, "reason =", "unknown placeholder"),
    ({"reason": "{x[0]}"}, "reason =", "unknown placeholder"),
    ({"reason": "{0}"}, "reason =", "unknown placeholder"),
    ({"reason": "{}"}, "reason =", "unknown placeholder"),
    ({"reason": "少了{"}, "reason =", "bad reason text"),
    ({"reason": "{x:zz}"}, "reason =", "bad format"),
    ({"reason": "{x:{y}}"}, "reason =", "bad format"),
    ({"reason": "  "}, "reason =", "non-empty"),
    ({"extra": "severty = 3\n"}, "severty =", "unknown key 'severty' (did you mean 'severity'?)"),
    ({"extra": 'shadow = "yes"\n'}, "shadow =", "'shadow' must be true or false"),
    ({"extra": "enabled = 1\n"}, "enabled =", "'enabled' must be true or false"),
]


@pytest.mark.parametrize(("override", "key", "fragment"), OTHER_REJECTED)
def test_rejected_fields_name_rule_and_line(
    override: dict[str, Any], key: str, fragment: str
) -> None:
    name = override.get("name", "bad")
    text = ruleset_text(GOOD, block(**{"name": "bad", **override}))
    with pytest.raises(RuleError) as info:
        parse(text)
    e = info.value
    assert e.rule == name
    assert e.line == line_of(text, key, after=f"name = {json.dumps(name)}")
    assert fragment in e.reason


def test_duplicate_name_points_at_the_second() -> None:
    text = ruleset_text(GOOD, block("other"), block("good"))
    with pytest.raises(RuleError) as info:
        parse(text)
    lines = text.splitlines()
    name_lines = [i + 1 for i, line in enumerate(lines) if line == 'name = "good"']
    assert info.value.rule == "good"
    assert info.value.line == name_lines[1]
    assert f"duplicate rule name 'good' (first at line {name_lines[0]})" in info.value.reason


def test_missing_key_points_at_the_rule() -> None:
    text = ruleset_text(GOOD, block("bad").replace('action = "warn"\n', ""))
    with pytest.raises(RuleError) as info:
        parse(text)
    assert info.value.rule == "bad"
    assert info.value.line == line_of(text, "name =")
    assert "missing key 'action'" in info.value.reason


def test_message_reads_like_the_issue_asks(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        ruleset_text(block("new_payee_big", "amout_fen > 100"), version="v"), encoding="utf-8"
    )
    with pytest.raises(RuleError) as info:
        load_rules(path, ["amount_fen"])
    assert str(info.value) == (
        f"{path} line 5, rule 'new_payee_big': "
        "unknown feature 'amout_fen' (did you mean 'amount_fen'?)"
    )


def test_a_feature_of_another_kind_is_refused_with_features_by_kind() -> None:
    text = ruleset_text(block("bad", "sms_text_score > 0.5", applies_to="transfer"))
    with pytest.raises(RuleError, match="not available for this rule's kind"):
        parse(text, FEATURES)
    # the same rule for sms is fine
    parse(ruleset_text(block("ok", "sms_text_score > 0.5", applies_to="sms")), FEATURES)


def test_rules_are_checked_against_the_feature_registry_by_default(tmp_path: Path) -> None:
    ok = ruleset_text(block("ok", "caller_fanout_24h >= 50", applies_to="call"))
    assert parse_rules(ok).active("call")[0].features_used == ("caller_fanout_24h",)
    cases = [
        ("sms_text_score > 0.5", "call", "feature 'sms_text_score' is not available for "
         "this rule's kind (only for sms)"),
        ("payer_on_call and spoofed", "transfer", "feature 'spoofed' is not available for "
         "this rule's kind (only for call, sms)"),
        ("caller_fanout > 5", "sms", "unknown feature 'caller_fanout' (did you mean "
         "'caller_fanout_24h'?)"),
    ]  # fmt: skip
    engine = RuleEngine(default_rules())
    for k, (when, kind, message) in enumerate(cases):
        path = tmp_path / f"rules{k}.toml"
        path.write_text(ruleset_text(block("bad", when, applies_to=kind)), encoding="utf-8")
        with pytest.raises(RuleError) as parsed:
            parse_rules(path.read_text(encoding="utf-8"))
        with pytest.raises(RuleError) as loaded:
            load_rules(path)
        with pytest.raises(RuleError) as reloaded:
            engine.reload(path)
        assert parsed.value.reason == loaded.value.reason == reloaded.value.reason == message
        assert engine.ruleset.digest == default_rules().digest  # the old rules stay live


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("", "empty rule file", None),
        ("  \n# only a comment\n", "empty rule file", None),
        ('version = "v"\n', "no rules", None),
        ('version = "v"\nrule = []\n', "no rules", None),
        ('version = "v"\nrule = 3\n', "array of tables", None),
        (block("a").lstrip(), "missing 'version'", None),
        ("version = 3\n" + block("a"), "'version' must be a non-empty string", None),
        ('version = "v"\n' + block("a").replace("[[rule]]", "[[rules]]"), "'rules'", None),
        ('version = "v"\n' + block("a").replace("[[rule]]", "[[rules]]"), "'rule'?", None),
        ('version = "v"\n\n[[rule]]\nname = "a"\nwhen = "x > 1\n', "TOML syntax error", 5),
        ('version = "v"\nversion = "w"\n', "TOML syntax error", 2),
    ],
)
def test_rejected_files(text: str, fragment: str, line: int | None) -> None:
    with pytest.raises(RuleError) as info:
        parse(text)
    assert fragment in info.value.reason
    assert info.value.rule is None
    assert info.value.line == line


def test_unreadable_file_is_a_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="cannot read"):
        load_rules(tmp_path / "missing.toml", FEATS)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('version = "é"\n'.encode("latin-1"))
    with pytest.raises(RuleError, match="UTF-8"):
        load_rules(bad, FEATS)


def test_the_module_never_evaluates_text() -> None:
    tree = ast.parse(inspect.getsource(rules_module))
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__", "setattr"}
    # getattr is used once, for a numpy dtype, never with a name from a rule file
    getattrs = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
    ]
    assert all(isinstance(g.args[1], ast.Constant) for g in getattrs)


# ---------------------------------------------------------------------------------------
# the engine: reloads, shadows, severity
# ---------------------------------------------------------------------------------------


def test_reload_with_a_bad_file_keeps_the_previous_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(ruleset_text(GOOD, version="one"), encoding="utf-8")
    engine = RuleEngine(load_rules(path, FEATS))
    before = engine.ruleset
    features = {"x": np.array([0, 5]), "y": np.array([0, 0])}
    assert engine.evaluate("transfer", features).fired_names(1) == ["good"]

    path.write_text(ruleset_text(GOOD, block("bad", "x.real > 1"), version="two"), "utf-8")
    with pytest.raises(RuleError) as info:
        engine.reload(path, FEATS)
    assert info.value.rule == "bad"
    assert engine.ruleset is before
    assert engine.ruleset.version == "one"
    assert engine.evaluate("transfer", features).fired_names(1) == ["good"]

    with pytest.raises(RuleError):
        engine.reload(tmp_path / "gone.toml", FEATS)
    assert engine.ruleset is before

    path.write_text(ruleset_text(block("renamed", "x > 4"), version="three"), "utf-8")
    after = engine.reload(path, FEATS)
    assert engine.ruleset is after
    assert after.version == "three"
    assert after.digest != before.digest
    assert engine.evaluate("transfer", features).fired_names(1) == ["renamed"]
    assert before.evaluate("transfer", features).fired_names(1) == ["good"]  # untouched


def test_shadow_rules_fire_but_do_not_act() -> None:
    text = ruleset_text(
        block("loud", "x > 1", "block", 90, "不会显示", extra="shadow = true\n"),
        block("quiet", "x > 5", "warn", 10, "提醒"),
    )
    rs = parse(text)
    features = {"x": np.array([0, 3, 9])}
    hits = rs.evaluate("transfer", features)
    assert hits.names == ("loud", "quiet")
    assert hits.shadow.tolist() == [True, False]
    assert hits.fired.tolist() == [[False, False], [True, False], [True, True]]
    assert hits.action().tolist() == [0, 0, CODE[Action.WARN]]
    assert hits.top().tolist() == [-1, -1, 1]
    assert hits.fired_names(1) == []
    assert hits.fired_names(1, include_shadow=True) == ["loud"]
    assert hits.fired_names(2, include_shadow=True) == ["loud", "quiet"]
    assert hits.reasons(2, features) == ["提醒"]


def test_most_severe_action_wins_then_severity() -> None:
    text = ruleset_text(
        block("w", "x > 0", "warn", 99, "w"),
        block("b", "x > 2", "block", 20, "b"),
        block("h", "x > 1", "hold", 50, "h"),
        block("h2", "x > 1", "hold", 60, "h2"),
        block("d", "x > 0", "delay", 10, "d"),
    )
    rs = parse(text)
    features = {"x": np.array([0, 1, 2, 3])}
    hits = rs.evaluate("transfer", features)
    codes = [CODE[a] for a in (Action.ALLOW, Action.DELAY, Action.HOLD, Action.BLOCK)]
    assert hits.action().tolist() == codes
    assert [hits.names[j] if j >= 0 else None for j in hits.top()] == [None, "d", "h2", "b"]
    assert hits.fired_names(3) == ["b", "h2", "h", "d", "w"]
    assert hits.reasons(3, features) == ["b", "h2", "h", "d", "w"]


def test_kinds_and_disabled_rules() -> None:
    text = ruleset_text(
        block("t", "x > 0", applies_to="transfer"),
        block("off", "x > 0", applies_to="transfer", extra="enabled = false\n"),
        block("c", "x > 0", "block", applies_to="call"),
    )
    rs = parse(text)
    assert [r.name for r in rs.rules] == ["t", "off", "c"]
    assert not rs["off"].enabled
    assert [r.name for r in rs.active("transfer")] == ["t"]
    x = {"x": np.array([1, 0])}
    assert rs.evaluate("transfer", x).names == ("t",)
    assert rs.evaluate("call", x).action().tolist() == [CODE[Action.BLOCK], 0]
    empty = rs.evaluate("sms", x)
    assert empty.fired.shape == (2, 0)
    assert empty.action().tolist() == [0, 0]
    assert empty.top().tolist() == [-1, -1]
    with pytest.raises(ValueError, match="unknown kind"):
        rs.evaluate("fax", x)
    with pytest.raises(KeyError, match="'x' is missing"):
        rs.evaluate("transfer", {"y": np.array([1])})
    with pytest.raises(ValueError, match="has 1 values"):
        parse(ruleset_text(block("xy", "x > y"))).evaluate(
            "transfer", {"x": np.array([1, 2]), "y": np.array([1])}
        )


def test_division_by_zero_and_nan_are_quiet_never_fire_and_are_counted() -> None:
    text = ruleset_text(
        block("big_ratio", "x / y > 1"),
        block("not_one", "x / y != 1"),
        block("not_in", "x / y not in (1, 2)"),
        block("log", "log1p(x - 2) < 0"),
        block("neg_inf", "-x / y < -1"),
        block("negated", "not (x / y <= 1)"),
        block("either", "x / y > 1 or x >= 3"),
    )
    rs = parse(text)
    features = {"x": np.array([1, 0, 4, 3]), "y": np.array([0, 0, 2, 3])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hits = rs.evaluate("transfer", features)
    fired = {name: hits.fired[:, j].tolist() for j, name in enumerate(hits.names)}
    # x / 0 is undefined (1/0 and 0/0 alike): no rule fires on it, whatever it says
    assert fired["big_ratio"] == [False, False, True, False]  # ?, ?, 2, 1
    assert fired["not_one"] == [False, False, True, False]
    assert fired["not_in"] == [False, False, False, False]
    assert fired["log"] == [True, False, False, False]  # log1p(-1) = -inf; log1p(-2) = nan
    assert fired["neg_inf"] == [False, False, True, False]
    assert fired["negated"] == [False, False, True, False]  # not (undefined) is undefined
    assert fired["either"] == [False, False, True, True]  # or: one side holding is enough
    assert hits.undefined_by_rule() == {
        "big_ratio": 2, "not_one": 2, "not_in": 2, "log": 1, "neg_inf": 2, "negated": 2,
        "either": 2,
    }  # fmt: skip


@pytest.mark.parametrize(
    "when", ["1 / 0 > 1", "x / 0 > 1", "x / (2 - 2) > 1", "0 / 0 == 0", "x > 1 or 1 / 0 > 1"]
)
def test_a_constant_division_by_zero_is_refused_at_load(when: str) -> None:
    """`1/0 > 1` once loaded and blocked every transfer (issue 11, finding 9)."""
    with pytest.raises(RuleError, match="division by zero") as info:
        parse(ruleset_text(GOOD, block("bad", when, action="block")))
    assert info.value.rule == "bad"


@pytest.mark.parametrize("when", ["x > 1e400", "x > 1e308 * 10", "x < log1p(-1)"])
def test_a_constant_that_is_no_finite_number_is_refused(when: str) -> None:
    with pytest.raises(RuleError, match=r"too large|not a finite number"):
        parse(ruleset_text(block("bad", when)))


def test_a_rule_error_is_an_input_error_with_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(ruleset_text(block("bad", "1 / 0 > 1", action="block")), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_rules(path, FEATS)
    e = info.value
    assert isinstance(e, RuleError) and e.exit_code == 2
    assert (e.source, e.line, e.rule) == (str(path), 5, "bad")
    assert e.where == f"{path} line 5, rule 'bad'" and "division by zero" in e.problem


def test_log1p_of_too_small_is_nan_and_does_not_fire() -> None:
    rs = parse(ruleset_text(block("l", "log1p(x) > -100 or log1p(x) <= -100")))
    assert rs.evaluate("transfer", {"x": np.array([-2.0, -1.0, 0.0])}).fired[:, 0].tolist() == [
        False,
        True,
        True,
    ]


def test_language_features() -> None:
    text = ruleset_text(
        block("chain", "0 <= x <= 7"),
        block("member", "x in (1, 3, -5)"),
        block("count", "(x > 1) + (y > 1) + b1 >= 2"),
        block("funcs", "max(x, y) - min(x, y) >= 3 and abs(-x) == x"),
        block("const", "True"),
        block("multi", "(x > 1\n and y > 1)"),
        block("bare_float", "r"),
    )
    rs = parse(text)
    features = {
        "x": np.array([-5, 1, 3, 9]),
        "y": np.array([0, 5, 0, 2]),
        "b1": np.array([True, False, True, False]),
        "r": np.array([0.0, np.nan, 0.5, 0.0]),
    }
    hits = rs.evaluate("transfer", features)
    fired = {name: hits.fired[:, j].tolist() for j, name in enumerate(hits.names)}
    assert fired["chain"] == [False, True, True, False]
    assert fired["member"] == [True, True, True, False]
    assert fired["count"] == [False, False, True, True]
    assert fired["funcs"] == [False, True, True, True]
    assert fired["const"] == [True] * 4
    assert fired["multi"] == [False, False, False, True]
    assert fired["bare_float"] == [False, False, True, False]  # nan is undefined: no fire
    assert rs["chain"].features_used == ("x",)
    assert rs["count"].features_used == ("b1", "x", "y")
    assert rs["const"].evaluate({"x": np.arange(3)}).tolist() == [True] * 3


def test_multi_line_condition_without_parentheses_says_so() -> None:
    with pytest.raises(RuleError, match="wrap a multi-line condition in parentheses"):
        parse(ruleset_text(block("bad", "x > 1\nand y > 1")))


def test_reasons_are_formatted_with_feature_values() -> None:
    text = ruleset_text(
        block(
            "r",
            "x > 0",
            reason="金额{amount}分，比例{r:.0%}，倍数{y}，命中{b1}，{{原样}}，x={x}",
        )
    )
    rs = parse(text)
    features = {
        "x": np.array([1, 1, 1]),
        "amount": np.array([500_000, 7, 8]),
        "r": np.array([0.934, 0.5, np.nan]),
        "y": np.array([2.5, 3.0, 1 / 3]),
        "b1": np.array([True, False, True]),
    }
    hits = rs.evaluate("transfer", features)
    assert hits.reasons(0, features) == ["金额500000分，比例93%，倍数2.5，命中是，{原样}，x=1"]
    assert hits.reasons(1, features) == ["金额7分，比例50%，倍数3，命中否，{原样}，x=1"]
    assert hits.reasons(2, features) == ["金额8分，比例未知，倍数0.33，命中是，{原样}，x=1"]
    with pytest.raises(KeyError, match="amount"):
        hits.reasons(0, {"x": features["x"]})


def test_digest_and_source() -> None:
    text = ruleset_text(GOOD)
    rs = parse(text)
    assert rs.source == "<string>"
    assert rs.digest == hashlib.sha256(text.encode()).hexdigest()
    assert rs.rules[0].action is Action.WARN
    assert rs.rules[0].line == 4
    assert parse(text + "\n# a comment\n").digest != rs.digest


def test_rules_without_table_headers_still_get_lines() -> None:
    text = (
        'version = "v"\n'
        "rule = [\n"
        '  {name = "a", when = "x > 1", action = "warn", severity = 1, reason = "r",'
        ' applies_to = "call"},\n'
        '  {name = "b", when = "x.y", action = "warn", severity = 1, reason = "r",'
        ' applies_to = "call"},\n'
        "]\n"
    )
    with pytest.raises(RuleError) as info:
        parse(text)
    assert (info.value.rule, info.value.line) == ("b", 4)
