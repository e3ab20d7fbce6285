"""Rules as data: a versioned TOML file of named conditions over features (DESIGN §5).

Why data and not code: analysts change rules daily; a file can be reviewed, versioned,
backtested per rule and reloaded while the engine runs, and a rule in shadow mode can be
watched on live traffic before it acts.

Why a whitelisted expression language: a rule file must never run code. A condition is
Python expression *syntax* (``payee_account_age_days <= 30 and payee_distinct_payers_1h >= 5``)
parsed with :func:`ast.parse`, checked node by node against a small whitelist and compiled
into a tree of closures that each apply one numpy operation to a whole batch. Nothing from
the file is ever passed to ``eval``, ``exec`` or ``compile``.

The condition language:

- feature names (by default the feature registry's for the rule's kind, see
  ``featureset.py``), ``int``, ``float`` and ``bool`` constants;
- comparisons ``< <= > >= == !=``, chained (``0 <= sim_age_days <= 7``), and ``in`` /
  ``not in`` with a literal tuple or list of constants;
- ``and``, ``or``, ``not`` (elementwise); ``+ - * /`` and unary minus, computed in float64
  (booleans count as 0/1, so ``(a > 1) + (b > 2) >= 2`` counts conditions);
- the functions ``abs(x)``, ``min(x, y)``, ``max(x, y)`` (elementwise) and ``log1p(x)``.

Undefined arithmetic is quiet: ``x / 0`` is ``inf`` (``nan`` for ``0 / 0``), with no
warning, and every comparison with ``nan`` is False, ``!=`` and ``not in`` included, so an
undefined value never fires a rule. ``min`` and ``max`` propagate ``nan``.
"""

from __future__ import annotations

import ast
import difflib
import functools
import hashlib
import math
import re
import string
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from fraudwall.engine.actions import ACTION_CODE, KINDS
from fraudwall.engine.featureset import FEATURES
from fraudwall.model import Action

#: The actions a rule may take (allowing is what happens when no rule fires).
RULE_ACTIONS: Final[tuple[Action, ...]] = (Action.WARN, Action.DELAY, Action.HOLD, Action.BLOCK)

_RULE_KEYS: Final = (
    "name",
    "when",
    "action",
    "severity",
    "reason",
    "applies_to",
    "shadow",
    "enabled",
)
_REQUIRED_KEYS: Final = ("name", "when", "action", "severity", "reason", "applies_to")
_TOP_KEYS: Final = ("version", "rule")
_NAME_RE: Final = re.compile(r"[a-z0-9_]+")
_MAX_NAME: Final = 64
_MAX_WHEN: Final = 2000
_MAX_DEPTH: Final = 40

Array = npt.NDArray[Any]
Features = Mapping[str, npt.ArrayLike]
FeatureSpec = Collection[str] | Mapping[str, Collection[str]]


class RuleError(ValueError):
    """A rule file that cannot be used, with where and why, for the person who wrote it."""

    def __init__(
        self,
        reason: str,
        *,
        source: str | None = None,
        line: int | None = None,
        rule: str | None = None,
    ) -> None:
        self.reason = reason
        self.source = source
        self.line = line
        self.rule = rule
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.source or ""
        if self.line is not None:
            where = f"{where} line {self.line}" if where else f"line {self.line}"
        if self.rule is not None:
            where = f"{where}, rule '{self.rule}'" if where else f"rule '{self.rule}'"
        return f"{where}: {self.reason}" if where else self.reason


class _Invalid(Exception):
    """Raised inside the compiler; turned into a RuleError that knows the rule and line."""


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# ---------------------------------------------------------------------------------------
# The condition compiler: validated AST -> tree of numpy closures.
# ---------------------------------------------------------------------------------------

Env = Mapping[str, Array]
Fn = Callable[[Env], Any]

_F64 = np.float64
_ARITH: Final[Mapping[type[ast.operator], Callable[..., Any]]] = {
    ast.Add: functools.partial(np.add, dtype=_F64),
    ast.Sub: functools.partial(np.subtract, dtype=_F64),
    ast.Mult: functools.partial(np.multiply, dtype=_F64),
    ast.Div: functools.partial(np.true_divide, dtype=_F64),
}
_FUNCS: Final[Mapping[str, tuple[int, Callable[..., Any]]]] = {
    "abs": (1, functools.partial(np.absolute, dtype=_F64)),
    "min": (2, functools.partial(np.minimum, dtype=_F64)),
    "max": (2, functools.partial(np.maximum, dtype=_F64)),
    "log1p": (1, functools.partial(np.log1p, dtype=_F64)),
}
_NEG: Final = functools.partial(np.negative, dtype=_F64)
_OP_TEXT: Final[Mapping[type[ast.AST], str]] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.UAdd: "unary +",
}
_OP_HINT: Final[Mapping[str, str]] = {"&": " (use 'and')", "|": " (use 'or')", "~": " (use 'not')"}
_NODE_TEXT: Final[Mapping[type[ast.AST], str]] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.NamedExpr: "assignment (':=')",
    ast.IfExp: "conditional expressions ('a if c else b')",
    ast.JoinedStr: "strings",
    ast.FormattedValue: "strings",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "'*' unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


def _is_floating(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    return dtype.kind == "f" if dtype is not None else isinstance(x, float)


def _not_nan(x: Any) -> Any:
    return np.logical_not(np.isnan(x))


def _ne(a: Any, b: Any) -> Any:
    """``a != b``, but False when either side is nan: an undefined value fires nothing."""
    r = np.not_equal(a, b)
    if _is_floating(a):
        r = np.logical_and(r, _not_nan(a))
    if _is_floating(b):
        r = np.logical_and(r, _not_nan(b))
    return r


_CMP: Final[Mapping[type[ast.cmpop], Callable[[Any, Any], Any]]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: _ne,
}


@dataclass(frozen=True, slots=True)
class _Node:
    """A compiled subexpression: a closure over the batch, or a constant folded at load."""

    kind: str  # "bool" (a condition), "num" (a number) or "any" (a feature: either)
    fn: Fn | None
    value: Any = None

    def lift(self) -> Fn:
        if self.fn is not None:
            return self.fn
        value = self.value
        return lambda env: value


def _unary(op: Callable[[Any], Any], a: _Node, kind: str) -> _Node:
    if a.fn is None:
        return _Node(kind, None, op(a.value))
    fa = a.fn
    return _Node(kind, lambda env: op(fa(env)))


def _binary(op: Callable[[Any, Any], Any], a: _Node, b: _Node, kind: str) -> _Node:
    """One numpy operation per batch; a constant side is bound once, not looked up."""
    if a.fn is None and b.fn is None:
        return _Node(kind, None, op(a.value, b.value))
    if b.fn is None:
        left, vb = a.fn, b.value
        assert left is not None
        return _Node(kind, lambda env: op(left(env), vb))
    if a.fn is None:
        va, right = a.value, b.fn
        return _Node(kind, lambda env: op(va, right(env)))
    fa, fb = a.fn, b.fn
    return _Node(kind, lambda env: op(fa(env), fb(env)))


class _Compiler:
    """Validates a condition's AST against the whitelist and compiles it, in one pass."""

    def __init__(
        self, text: str, features: frozenset[str], other: Mapping[str, tuple[str, ...]]
    ) -> None:
        self.text = text
        self.features = features
        self.other = other  # features of the other kinds, and their kinds: for the message
        self.used: set[str] = set()

    def _show(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.text, node) or ""
        segment = " ".join(segment.split())
        return segment if len(segment) <= 40 else segment[:37] + "..."

    def _fail(self, what: str, node: ast.AST) -> _Invalid:
        shown = self._show(node)
        return _Invalid(f"{what}: '{shown}'" if shown else what)

    def condition(self, node: ast.AST) -> _Node:
        return self._truth(self._compile(node, 0), node)

    def _truth(self, compiled: _Node, node: ast.AST) -> _Node:
        if compiled.kind == "num":
            raise self._fail("a number is not a condition (compare it, e.g. '... > 0')", node)
        return compiled

    def _compile(self, node: ast.AST, depth: int) -> _Node:
        if depth > _MAX_DEPTH:
            raise _Invalid(f"condition nested more than {_MAX_DEPTH} deep")
        d = depth + 1
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.BoolOp):
            op = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            result = self._truth(self._compile(node.values[0], d), node.values[0])
            for value in node.values[1:]:
                result = _binary(op, result, self._truth(self._compile(value, d), value), "bool")
            return result
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                operand = self._truth(self._compile(node.operand, d), node.operand)
                return _unary(np.logical_not, operand, "bool")
            if isinstance(node.op, ast.USub):
                return _unary(_NEG, self._compile(node.operand, d), "num")
            raise self._operator(node.op, node)
        if isinstance(node, ast.BinOp):
            arith = _ARITH.get(type(node.op))
            if arith is None:
                raise self._operator(node.op, node)
            left, right = self._compile(node.left, d), self._compile(node.right, d)
            return _binary(arith, left, right, "num")
        if isinstance(node, ast.Compare):
            return self._compare(node, d)
        if isinstance(node, ast.Call):
            return self._call(node, d)
        if isinstance(node, ast.Tuple | ast.List):
            raise self._fail("a tuple or list is only allowed after 'in'", node)
        what = _NODE_TEXT.get(type(node), f"'{type(node).__name__}'")
        raise self._fail(f"{what} not allowed", node)

    def _operator(self, op: ast.AST, node: ast.AST) -> _Invalid:
        text = _OP_TEXT.get(type(op), type(op).__name__)
        return self._fail(f"operator '{text}' not allowed{_OP_HINT.get(text, '')}", node)

    def _constant(self, node: ast.Constant) -> _Node:
        value = node.value
        if isinstance(value, bool):
            return _Node("bool", None, value)
        if isinstance(value, int):
            # beyond int64 numpy cannot compare exactly; a float is close enough there
            return _Node("num", None, value if abs(value) < 2**62 else float(value))
        if isinstance(value, float):
            return _Node("num", None, value)
        if isinstance(value, str | bytes):
            raise self._fail("strings not allowed", node)
        raise self._fail(f"constant {value!r} not allowed (only numbers and True/False)", node)

    def _name(self, node: ast.Name) -> _Node:
        name = node.id
        if name in self.features:
            self.used.add(name)
            return _Node("any", lambda env: env[name])
        if name in _FUNCS:
            raise self._fail(f"function '{name}' must be called", node)
        kinds = self.other.get(name)
        if kinds is not None:
            raise _Invalid(
                f"feature '{name}' is not available for this rule's kind (only for "
                f"{', '.join(kinds)})"
            )
        raise _Invalid(f"unknown feature '{name}'{_suggest(name, self.features)}")

    def _compare(self, node: ast.Compare, d: int) -> _Node:
        ops = node.ops
        if any(isinstance(op, ast.Is | ast.IsNot) for op in ops):
            raise self._fail("'is' not allowed (use '==')", node)
        if any(isinstance(op, ast.In | ast.NotIn) for op in ops):
            if len(ops) != 1:
                raise self._fail("'in' cannot be chained with other comparisons", node)
            return self._membership(node, d)
        operands = [self._compile(x, d) for x in (node.left, *node.comparators)]
        cmps = [_CMP[type(op)] for op in ops]
        if len(cmps) == 1:
            return _binary(cmps[0], operands[0], operands[1], "bool")
        # a chain evaluates each operand once, like Python's a < b < c
        fns = [x.lift() for x in operands]

        def chain(env: Env) -> Any:
            left = fns[0](env)
            result: Any = None
            for cmp, fn in zip(cmps, fns[1:], strict=True):
                right = fn(env)
                hit = cmp(left, right)
                result = hit if result is None else np.logical_and(result, hit)
                left = right
            return result

        if all(x.fn is None for x in operands):
            return _Node("bool", None, chain({}))
        return _Node("bool", chain)

    def _membership(self, node: ast.Compare, d: int) -> _Node:
        seq = node.comparators[0]
        if not isinstance(seq, ast.Tuple | ast.List):
            raise self._fail("'in' needs a literal tuple or list of numbers", seq)
        values: list[Any] = []
        for elt in seq.elts:
            item = self._compile(elt, d)
            if item.fn is not None:
                raise self._fail("'in' needs constants, not features", elt)
            values.append(item.value)
        if not values:
            raise self._fail("'in' needs at least one value", seq)
        table = np.array(values)
        negate = isinstance(node.ops[0], ast.NotIn)

        def member(x: Any) -> Any:
            hit = np.isin(x, table)
            if not negate:
                return hit
            out = np.logical_not(hit)
            return np.logical_and(out, _not_nan(x)) if _is_floating(x) else out

        return _unary(member, self._compile(node.left, d), "bool")

    def _call(self, node: ast.Call, d: int) -> _Node:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self._fail(f"only {', '.join(_FUNCS)} may be called", node)
        spec = _FUNCS.get(func.id)
        if spec is None:
            raise self._fail(
                f"unknown function '{func.id}' (allowed: {', '.join(_FUNCS)})"
                f"{_suggest(func.id, _FUNCS)}",
                node,
            )
        arity, fn = spec
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self._fail(f"'{func.id}' takes plain arguments only", node)
        if len(node.args) != arity:
            plural = "s" if arity > 1 else ""
            raise self._fail(f"'{func.id}' takes {arity} argument{plural}", node)
        args = [self._compile(a, d) for a in node.args]
        if arity == 1:
            return _unary(fn, args[0], "num")
        return _binary(fn, args[0], args[1], "num")


def _compile_condition(
    when: str, features: frozenset[str], other: Mapping[str, tuple[str, ...]]
) -> tuple[_Node, tuple[str, ...]]:
    """Parse, validate and compile a condition; raise _Invalid with a readable reason."""
    text = when.strip()
    if not text:
        raise _Invalid("empty condition")
    if len(text) > _MAX_WHEN:
        raise _Invalid(f"condition longer than {_MAX_WHEN} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        where = f" at column {e.offset}" if e.offset and "\n" not in text else ""
        hint = " (wrap a multi-line condition in parentheses)" if "\n" in text else ""
        raise _Invalid(f"syntax error in condition: {e.msg}{where}{hint}") from None
    except (RecursionError, MemoryError, ValueError) as e:
        raise _Invalid(f"condition cannot be parsed: {type(e).__name__}") from None
    compiler = _Compiler(text, features, other)
    with np.errstate(all="ignore"):
        node = compiler.condition(tree.body)
    return node, tuple(sorted(compiler.used))


# ---------------------------------------------------------------------------------------
# Reasons: a template with {feature} placeholders, parsed once at load.
# ---------------------------------------------------------------------------------------

_Template = tuple[tuple[str, str | None, str], ...]  # (literal, feature or None, format spec)


def _parse_template(reason: str, features: frozenset[str]) -> _Template:
    parts: list[tuple[str, str | None, str]] = []
    try:
        parsed = list(string.Formatter().parse(reason))
    except ValueError as e:
        raise _Invalid(f"bad reason text: {e} (write '{{{{' and '}}}}' for braces)") from None
    for literal, name, spec, conversion in parsed:
        if name is None:
            parts.append((literal, None, ""))
            continue
        if name not in features:
            raise _Invalid(f"unknown placeholder '{{{name}}}' in reason{_suggest(name, features)}")
        if conversion is not None:
            raise _Invalid(f"placeholder '{{{name}!{conversion}}}': conversions not allowed")
        spec = spec or ""
        if "{" in spec or not (_spec_ok(spec, 1.5) or _spec_ok(spec, 1)):
            raise _Invalid(f"bad format '{spec}' for placeholder '{{{name}}}'")
        parts.append((literal, name, spec))
    return tuple(parts)


def _spec_ok(spec: str, sample: float) -> bool:
    try:
        format(sample, spec)
    except (ValueError, TypeError):
        return False
    return True


def _show_value(value: Any, spec: str) -> str:
    """A feature value as a person reads it: 是/否 for booleans, no float noise."""
    x = value.item() if isinstance(value, np.generic) else value
    if isinstance(x, float) and math.isnan(x):
        return "未知"
    if spec:
        try:
            return format(x, spec)
        except (ValueError, TypeError):
            pass
    if isinstance(x, bool):
        return "是" if x else "否"
    if isinstance(x, float):
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return str(x)


# ---------------------------------------------------------------------------------------
# Rules, rule sets, hits.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One named rule, validated and compiled; made by :func:`parse_rules`, not by hand."""

    name: str
    when: str
    action: Action
    severity: int
    reason: str
    applies_to: str
    shadow: bool
    enabled: bool
    line: int | None
    #: the features the condition reads, sorted
    features_used: tuple[str, ...]
    _condition: _Node = field(repr=False, compare=False)
    _template: _Template = field(repr=False, compare=False)

    @property
    def code(self) -> int:
        """The action's code (its index in ``actions.ACTIONS``)."""
        return ACTION_CODE[self.action]

    def evaluate(self, features: Features, n: int | None = None) -> npt.NDArray[np.bool_]:
        """Whether the rule fires, per event of the batch (a bool array of length n)."""
        env, n = _prepare(features, self.features_used, n)
        with np.errstate(all="ignore"):
            return _run(self._condition, env, n)

    @property
    def static_reason(self) -> bool:
        """Whether the reason has no placeholders (the same text for every event)."""
        return all(name is None for _, name, _ in self._template)

    def format_reason(self, features: Features, i: int) -> str:
        """The reason for event i of the batch, its placeholders filled from the features."""
        out: list[str] = []
        for literal, name, spec in self._template:
            out.append(literal)
            if name is not None:
                if name not in features:
                    raise KeyError(f"feature '{name}' (in the reason of rule '{self.name}')")
                out.append(_show_value(np.asarray(features[name])[i], spec))
        return "".join(out)


def _run(condition: _Node, env: Env, n: int) -> npt.NDArray[np.bool_]:
    result = condition.value if condition.fn is None else condition.fn(env)
    out = np.asarray(result, dtype=bool)
    return out if out.shape == (n,) else np.broadcast_to(out, (n,)).copy()


def _prepare(features: Features, names: Iterable[str], n: int | None) -> tuple[Env, int]:
    """The arrays the rules read, checked once per batch: present, 1-D, numeric, same length."""
    env: dict[str, Array] = {}
    for name in names:
        if name not in features:
            raise KeyError(f"feature '{name}' is missing from the batch")
        a = np.asarray(features[name])
        if a.ndim != 1:
            raise ValueError(f"feature '{name}' must be a 1-D array, not shape {a.shape}")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"feature '{name}' must be numeric or bool, not {a.dtype}")
        if n is None:
            n = len(a)
        elif len(a) != n:
            raise ValueError(f"feature '{name}' has {len(a)} values, expected {n}")
        env[name] = a
    if n is None:
        first = next(iter(features.values()), None)
        n = 0 if first is None else len(np.asarray(first))
    return env, n


@dataclass(frozen=True)
class _Plan:
    """A kind's enabled rules and their columns, made once per rule set."""

    rules: tuple[Rule, ...]
    names: tuple[str, ...]
    codes: npt.NDArray[np.int8]
    severity: npt.NDArray[np.int16]
    shadow: npt.NDArray[np.bool_]
    used: tuple[str, ...]
    order: tuple[int, ...]

    @staticmethod
    def of(rules: Iterable[Rule]) -> _Plan:
        rs = tuple(rules)
        codes = np.array([r.code for r in rs], dtype=np.int8)
        severity = np.array([r.severity for r in rs], dtype=np.int16)
        shadow = np.array([r.shadow for r in rs], dtype=bool)
        for a in (codes, severity, shadow):
            a.flags.writeable = False
        used = tuple(sorted({f for r in rs for f in r.features_used}))
        order = _rank(codes, severity)
        return _Plan(rs, tuple(r.name for r in rs), codes, severity, shadow, used, order)


def _rank(codes: npt.NDArray[np.int8], severity: npt.NDArray[np.int16]) -> tuple[int, ...]:
    """Columns most severe first: by action, then severity, then file order."""
    return tuple(sorted(range(len(codes)), key=lambda j: (-int(codes[j]), -int(severity[j]), j)))


@dataclass
class RuleHits:
    """Which rules fired for each event of a batch: the matrix backtests and decisions read.

    Columns are the kind's enabled rules in file order (``names``). Shadow rules fire here
    like the others, so a backtest can measure them, but never count in :meth:`action`.
    """

    names: tuple[str, ...]
    fired: npt.NDArray[np.bool_]  # (n_events, n_rules)
    shadow: npt.NDArray[np.bool_]  # (n_rules,)
    codes: npt.NDArray[np.int8]  # (n_rules,) each rule's action code
    severity: npt.NDArray[np.int16]  # (n_rules,)
    rules: tuple[Rule, ...] = field(repr=False)
    #: the columns most severe first (by action, then severity, then file order)
    order: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if len(self.order) != len(self.names):
            self.order = _rank(self.codes, self.severity)

    @property
    def live(self) -> npt.NDArray[np.bool_]:
        """Fired and acted on (not shadow), per event and rule."""
        return np.logical_and(self.fired, np.logical_not(self.shadow))

    def action(self) -> npt.NDArray[np.int8]:
        """Per event, the code of the most severe acted-on action that fired (0 = allow)."""
        n = self.fired.shape[0]
        if not self.names:
            return np.zeros(n, dtype=np.int8)
        return np.where(self.live, self.codes, 0).max(axis=1).astype(np.int8)

    def top(self) -> npt.NDArray[np.intp]:
        """Per event, the column of the deciding rule (most severe action, then severity;
        ties to the earlier rule), or -1 when no acted-on rule fired."""
        n = self.fired.shape[0]
        if not self.names:
            return np.full(n, -1, dtype=np.intp)
        key = self.codes.astype(np.int32) * 128 + self.severity
        ranked = np.where(self.live, key, -1)
        best = ranked.argmax(axis=1)
        best[ranked[np.arange(n), best] < 0] = -1
        return best

    def fired_names(self, i: int, include_shadow: bool = False) -> list[str]:
        """The rules that fired for event i, most severe first (as :meth:`top` ranks)."""
        row = self.fired[i]
        return [
            self.names[j] for j in self.order if row[j] and (include_shadow or not self.shadow[j])
        ]

    def reasons(self, i: int, features: Features) -> list[str]:
        """The reasons a person is shown for event i: acted-on rules, most severe first."""
        row = self.fired[i]
        return [
            self.rules[j].format_reason(features, i)
            for j in self.order
            if row[j] and not self.shadow[j]
        ]


@dataclass(frozen=True)
class RuleSet:
    """A validated, versioned rule file; immutable, so a running batch never sees a reload."""

    version: str
    rules: tuple[Rule, ...]
    source: str = "<string>"
    digest: str = ""  # sha256 of the file's text: which rules made a decision
    _plans: dict[str, _Plan] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        plans = {
            kind: _Plan.of(r for r in self.rules if r.enabled and r.applies_to == kind)
            for kind in KINDS
        }
        object.__setattr__(self, "_plans", plans)

    def __getitem__(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    def active(self, kind: str) -> tuple[Rule, ...]:
        """The enabled rules for a kind, in file order: the columns of its hits."""
        return self._plan(kind).rules

    def _plan(self, kind: str) -> _Plan:
        plan = self._plans.get(kind)
        if plan is None:
            raise ValueError(f"unknown kind '{kind}' (one of {', '.join(KINDS)})")
        return plan

    def evaluate(self, kind: str, features: Features) -> RuleHits:
        """Every enabled rule of the kind over a batch: one numpy pass per condition node."""
        plan = self._plan(kind)
        env, n = _prepare(features, plan.used, None)
        fired = np.empty((len(plan.rules), n), dtype=bool)
        with np.errstate(all="ignore"):
            for j, rule in enumerate(plan.rules):
                c = rule._condition
                fired[j] = c.value if c.fn is None else c.fn(env)
        return RuleHits(
            plan.names, fired.T, plan.shadow, plan.codes, plan.severity, plan.rules, plan.order
        )


# ---------------------------------------------------------------------------------------
# Parsing and loading.
# ---------------------------------------------------------------------------------------

_HEADER_RE: Final = re.compile(r"^\s*\[\[\s*(?:rule|\"rule\"|'rule')\s*\]\]\s*(?:#.*)?$")
_TABLE_RE: Final = re.compile(r"^\s*\[")


class _Locator:
    """Finds the line of each [[rule]] table and its keys by scanning the text (tomllib
    reports no positions)."""

    def __init__(self, text: str, n_rules: int) -> None:
        self.lines = text.splitlines()
        headers = [i for i, line in enumerate(self.lines) if _HEADER_RE.match(line)]
        self.blocks: list[tuple[int, int]] | None = None
        if len(headers) == n_rules:
            blocks = []
            for h in headers:
                end = h + 1
                while end < len(self.lines) and not _TABLE_RE.match(self.lines[end]):
                    end += 1
                blocks.append((h, end))
            self.blocks = blocks

    def key_line(self, index: int, key: str) -> int | None:
        if self.blocks is None:
            return None
        start, end = self.blocks[index]
        pattern = re.compile(rf"^\s*(?:{key}|\"{key}\"|'{key}')\s*=")
        for i in range(start + 1, end):
            if pattern.match(self.lines[i]):
                return i + 1
        return None

    def rule_line(self, index: int, name: object) -> int | None:
        if self.blocks is not None:
            return self.key_line(index, "name") or self.blocks[index][0] + 1
        if isinstance(name, str):
            pattern = re.compile(rf"\bname\s*=\s*[\"']{re.escape(name)}[\"']")
            for i, line in enumerate(self.lines):
                if pattern.search(line):
                    return i + 1
        return None


def _feature_sets(features: FeatureSpec | None) -> dict[str, frozenset[str]]:
    """Each kind's features: a mapping by kind checks each rule against its own kind; None
    is the feature registry's."""
    if features is None:
        features = FEATURES
    if (
        isinstance(features, Mapping)
        and features
        and all(k in KINDS for k in features)
        and all(not isinstance(v, str) for v in features.values())
    ):
        by_kind: Mapping[str, Collection[str]] = features
        return {k: frozenset(by_kind.get(k, ())) for k in KINDS}
    names = frozenset(features)
    return {k: names for k in KINDS}


def parse_rules(
    text: str, features: FeatureSpec | None = None, source: str = "<string>"
) -> RuleSet:
    """Parse and validate a rule file's text; raise RuleError at the first problem.

    ``features`` is the set of feature names conditions and reasons may use: one collection
    for all kinds, or a mapping from kind to its names; by default the feature registry's
    names of each kind (``featureset.FEATURES``).
    """
    if not text.strip():
        raise RuleError("empty rule file", source=source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise RuleError(
            f"TOML syntax error: {e}", source=source, line=int(m.group(1)) if m else None
        ) from None
    if not data:
        raise RuleError("empty rule file (no version, no rules)", source=source)
    for key in data:
        if key not in _TOP_KEYS:
            raise RuleError(
                f"unknown top-level key '{key}'{_suggest(key, _TOP_KEYS)}", source=source
            )
    version = data.get("version")
    if version is None:
        raise RuleError("missing 'version' (a string, such as \"2026.05.1\")", source=source)
    if not isinstance(version, str) or not version.strip():
        raise RuleError(f"'version' must be a non-empty string, not {version!r}", source=source)
    raw = data.get("rule")
    if raw is None or raw == []:
        raise RuleError("no rules (add [[rule]] tables)", source=source)
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise RuleError("'rule' must be an array of tables ([[rule]])", source=source)
    sets = _feature_sets(features)
    locator = _Locator(text, len(raw))
    seen: dict[str, int | None] = {}
    rules = [_parse_rule(entry, k, sets, locator, source, seen) for k, entry in enumerate(raw)]
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return RuleSet(version.strip(), tuple(rules), source, digest)


def _parse_rule(
    entry: dict[str, Any],
    index: int,
    sets: Mapping[str, frozenset[str]],
    locator: _Locator,
    source: str,
    seen: dict[str, int | None],
) -> Rule:
    raw_name = entry.get("name")
    label = raw_name if isinstance(raw_name, str) else None
    line = locator.rule_line(index, raw_name)

    def fail(reason: str, key: str | None = None) -> RuleError:
        at = (locator.key_line(index, key) if key else None) or line
        return RuleError(reason, source=source, line=at, rule=label)

    for key in entry:
        if key not in _RULE_KEYS:
            raise fail(f"unknown key '{key}'{_suggest(key, _RULE_KEYS)}", key)
    for key in _REQUIRED_KEYS:
        if key not in entry:
            raise fail(f"missing key '{key}'")

    name = entry["name"]
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or len(name) > _MAX_NAME:
        raise fail(f"bad name {name!r}: use a-z, 0-9 and _ (at most {_MAX_NAME})", "name")
    if name in seen:
        first = seen[name]
        also = f" (first at line {first})" if first is not None else ""
        raise fail(f"duplicate rule name '{name}'{also}", "name")
    seen[name] = line

    kind = entry["applies_to"]
    if kind not in KINDS:
        raise fail(
            f"unknown kind {kind!r} for applies_to (one of {', '.join(KINDS)})"
            f"{_suggest(str(kind), KINDS)}",
            "applies_to",
        )
    action_text = entry["action"]
    allowed = [a.value for a in RULE_ACTIONS]
    if action_text not in allowed:
        raise fail(
            f"unknown action {action_text!r} (one of {', '.join(allowed)})"
            f"{_suggest(str(action_text), allowed)}",
            "action",
        )
    severity = entry["severity"]
    if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 100:
        raise fail(f"severity must be a whole number from 1 to 100, not {severity!r}", "severity")
    flags: dict[str, bool] = {}
    for key, default in (("shadow", False), ("enabled", True)):
        value = entry.get(key, default)
        if not isinstance(value, bool):
            raise fail(f"'{key}' must be true or false, not {value!r}", key)
        flags[key] = value

    features = sets[kind]
    other = {
        name: tuple(k for k in KINDS if name in sets[k])
        for name in frozenset().union(*sets.values()) - features
    }
    when = entry["when"]
    if not isinstance(when, str):
        raise fail(f"'when' must be a string, not {when!r}", "when")
    reason = entry["reason"]
    if not isinstance(reason, str) or not reason.strip():
        raise fail("'reason' must be a non-empty string", "reason")
    try:
        condition, used = _compile_condition(when, features, other)
    except _Invalid as e:
        raise fail(str(e), "when") from None
    try:
        template = _parse_template(reason, features)
    except _Invalid as e:
        raise fail(str(e), "reason") from None

    return Rule(
        name=name,
        when=when.strip(),
        action=Action(action_text),
        severity=severity,
        reason=reason,
        applies_to=kind,
        shadow=flags["shadow"],
        enabled=flags["enabled"],
        line=line,
        features_used=used,
        _condition=condition,
        _template=template,
    )


def load_rules(path: Path | str, features: FeatureSpec | None = None) -> RuleSet:
    """Read, validate and compile a rule file; raise RuleError (never half-load).
    ``features`` as for :func:`parse_rules`."""
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as e:
        raise RuleError(f"cannot read the file: {e.strerror or e}", source=source) from None
    except UnicodeDecodeError:
        raise RuleError("the file is not UTF-8 text", source=source) from None
    return parse_rules(text, features, source=source)


def default_rules_path() -> Path:
    """The rule file that ships with the package."""
    return Path(str(resources.files("fraudwall.engine").joinpath("default_rules.toml")))


def default_rules() -> RuleSet:
    """The packaged rules, each checked against its own kind's registered features."""
    return load_rules(default_rules_path())


class RuleEngine:
    """Holds the live rule set; a reload swaps it whole or not at all.

    Readers take :attr:`ruleset` once per batch, so a reload between batches never mixes
    two rule sets in one decision; a bad file leaves the running rules in place.
    """

    def __init__(self, ruleset: RuleSet) -> None:
        self._ruleset = ruleset

    @property
    def ruleset(self) -> RuleSet:
        return self._ruleset

    def reload(self, path: Path | str, features: FeatureSpec | None = None) -> RuleSet:
        """Load a new rule file and make it live; on any error raise and keep the old one."""
        ruleset = load_rules(path, features)  # raises RuleError before anything changes
        self._ruleset = ruleset
        return ruleset

    def evaluate(self, kind: str, features: Features) -> RuleHits:
        """The live rules over a batch."""
        return self._ruleset.evaluate(kind, features)
