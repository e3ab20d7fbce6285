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

An undefined value never fires a rule, and is counted. A feature may be undefined for an
event (``nan``: a payer of unknown age), and so is ``x / 0``: such a value makes every
comparison with it undefined, ``!=`` and ``not in`` included, and conditions combine as
in SQL (three-valued logic): ``a or b`` holds where either holds, ``a and b`` is false where
either is false, ``not`` of an undefined condition is undefined. A rule fires only where
its condition holds; the events on which it was undefined are counted per rule
(`RuleHits.undefined`, a replay's ``rule_rows_undefined``). A condition that is undefined
for *every* event is refused at load: a constant division by zero (``1 / 0 > 1``), or a
constant that is no finite number. ``min`` and ``max`` propagate ``nan``.
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
from fraudwall.errors import InputError
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


class RuleError(InputError):
    """A rule file that cannot be used, with where and why, for the person who wrote it.

    An `InputError` (bad input, exit 2) whose place is the file, the line and the rule."""

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
        super().__init__(self._where(), reason)

    def _where(self) -> str:
        where = self.source or ""
        if self.line is not None:
            where = f"{where} line {self.line}" if where else f"line {self.line}"
        if self.rule is not None:
            where = f"{where}, rule '{self.rule}'" if where else f"rule '{self.rule}'"
        return where


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


def _divide(a: Any, b: Any) -> Any:
    """``a / b`` in float64, undefined (nan) where b is 0: ``x / 0`` is no number."""
    out = np.true_divide(a, b, dtype=_F64)
    if np.ndim(b):
        zero = np.equal(b, 0)
        if zero.any():
            out = np.where(zero, np.nan, out)
    return out


_ARITH: Final[Mapping[type[ast.operator], Callable[..., Any]]] = {
    ast.Add: functools.partial(np.add, dtype=_F64),
    ast.Sub: functools.partial(np.subtract, dtype=_F64),
    ast.Mult: functools.partial(np.multiply, dtype=_F64),
    ast.Div: _divide,
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


#: A condition over a batch: where it holds, and where it is undefined (None: nowhere).
#: Undefined rows never fire (their "holds" is False) and are counted per rule.
Truth = tuple[Any, Any]


def _some(mask: Any) -> Any:
    """The mask, or None when it marks no row (later steps then skip it)."""
    return mask if mask is not None and np.any(mask) else None


def _nan_rows(*values: Any) -> Any:
    """Where any of the values (batch arrays; constants are finite) is nan, or None."""
    mask = None
    for x in values:
        if np.ndim(x) and _is_floating(x):
            m = np.isnan(x)
            mask = m if mask is None else np.logical_or(mask, m)
    return _some(mask)


def _defined(holds: Any, undefined: Any) -> Truth:
    """A comparison's truth: False, and undefined, where an operand was undefined."""
    if undefined is None:
        return holds, None
    return np.logical_and(holds, np.logical_not(undefined)), undefined


def _and(a: Truth, b: Truth) -> Truth:
    """Three-valued ``and``: false if either side is false, true if both are true."""
    (va, ua), (vb, ub) = a, b
    holds = np.logical_and(va, vb)
    if ua is None and ub is None:
        return holds, None
    maybe_a = va if ua is None else np.logical_or(va, ua)
    maybe_b = vb if ub is None else np.logical_or(vb, ub)
    undefined = np.logical_and(np.logical_and(maybe_a, maybe_b), np.logical_not(holds))
    return holds, _some(undefined)


def _or(a: Truth, b: Truth) -> Truth:
    """Three-valued ``or``: true if either side is true, false if both are false."""
    (va, ua), (vb, ub) = a, b
    holds = np.logical_or(va, vb)
    if ua is None and ub is None:
        return holds, None
    either = ua if ub is None else ub if ua is None else np.logical_or(ua, ub)
    return holds, _some(np.logical_and(either, np.logical_not(holds)))


def _not(a: Truth) -> Truth:
    """Three-valued ``not``: the negation of an undefined condition is undefined."""
    va, ua = a
    if ua is None:
        return np.logical_not(va), None
    return np.logical_and(np.logical_not(va), np.logical_not(ua)), ua


def _feature_truth(x: Any) -> Truth:
    """A feature read as a condition: non-zero holds; nan is undefined."""
    x = np.asarray(x)
    if x.dtype == np.bool_:
        return x, None
    return _defined(np.not_equal(x, 0), _nan_rows(x))


def _member(table: Array, negate: bool) -> Callable[[Any], Truth]:
    def member(x: Any) -> Truth:
        hit = np.isin(x, table)
        return _defined(np.logical_not(hit) if negate else hit, _nan_rows(x))

    return member


_CMP: Final[Mapping[type[ast.cmpop], Callable[[Any, Any], Any]]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}


def _compared(cmp: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Truth]:
    """A comparison as a condition: undefined where either side is nan."""
    return lambda x, y: _defined(cmp(x, y), _nan_rows(x, y))


@dataclass(frozen=True, slots=True)
class _Node:
    """A compiled subexpression: a closure over the batch, or a constant folded at load.

    A "bool" closure gives a `Truth`, a "num" one an array (nan where undefined), an "any"
    one a feature's array as it is (read as a condition or as a number where it is used)."""

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


def _as_condition(node: _Node) -> _Node:
    """A "bool" node for a condition or a feature (numbers are refused before)."""
    if node.kind == "bool" or node.fn is None:
        return node if node.kind == "bool" else _Node("bool", None, bool(node.value))
    feature = node.fn
    return _Node("bool", lambda env: _feature_truth(feature(env)))


def _as_number(node: _Node) -> _Node:
    """A node read as a number: a condition counts 1 where it holds, 0 where it does not,
    and is nan (undefined) where it is undefined."""
    if node.kind != "bool" or node.fn is None:
        return node
    condition = node.fn

    def number(env: Env) -> Any:
        holds, undefined = condition(env)
        if undefined is None:
            return holds
        out = np.asarray(holds, _F64).copy()
        out[undefined] = np.nan
        return out

    return _Node("num", number)


def _logic(op: Callable[[Truth, Truth], Truth], a: _Node, b: _Node) -> _Node:
    """``and`` / ``or`` of two conditions; constants are folded."""
    if a.fn is None and b.fn is None:
        return _Node("bool", None, bool(op((a.value, None), (b.value, None))[0]))
    fa = a.fn if a.fn is not None else (lambda env, v=a.value: (v, None))
    fb = b.fn if b.fn is not None else (lambda env, v=b.value: (v, None))
    return _Node("bool", lambda env: op(fa(env), fb(env)))


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
        return _as_condition(self._truth(self._compile(node, 0), node))

    def _truth(self, compiled: _Node, node: ast.AST) -> _Node:
        if compiled.kind == "num":
            raise self._fail("a number is not a condition (compare it, e.g. '... > 0')", node)
        return compiled

    def _condition(self, node: ast.AST, d: int) -> _Node:
        return _as_condition(self._truth(self._compile(node, d), node))

    def _number(self, node: ast.AST, d: int) -> _Node:
        return _as_number(self._compile(node, d))

    def _finite(self, compiled: _Node, node: ast.AST) -> _Node:
        """A constant folded at load must be a finite number (``1e308 * 10`` is not)."""
        if compiled.fn is None and not math.isfinite(compiled.value):
            raise self._fail("the constant is not a finite number", node)
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
            op = _and if isinstance(node.op, ast.And) else _or
            result = self._condition(node.values[0], d)
            for value in node.values[1:]:
                result = _logic(op, result, self._condition(value, d))
            return result
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                operand = self._condition(node.operand, d)
                if operand.fn is None:
                    return _Node("bool", None, not operand.value)
                inner = operand.fn
                return _Node("bool", lambda env: _not(inner(env)))
            if isinstance(node.op, ast.USub):
                return self._finite(_unary(_NEG, self._number(node.operand, d), "num"), node)
            raise self._operator(node.op, node)
        if isinstance(node, ast.BinOp):
            arith = _ARITH.get(type(node.op))
            if arith is None:
                raise self._operator(node.op, node)
            left, right = self._number(node.left, d), self._number(node.right, d)
            if isinstance(node.op, ast.Div) and right.fn is None and right.value == 0:
                raise self._fail("division by zero", node)
            return self._finite(_binary(arith, left, right, "num"), node)
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
            if not math.isfinite(value):
                raise self._fail("the number is too large", node)
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
        operands = [self._number(x, d) for x in (node.left, *node.comparators)]
        cmps = [_compared(_CMP[type(op)]) for op in ops]
        if all(x.fn is None for x in operands):
            values = [x.value for x in operands]
            holds = all(
                bool(cmp(a, b)[0]) for cmp, a, b in zip(cmps, values, values[1:], strict=False)
            )
            return _Node("bool", None, holds)
        if len(cmps) == 1:
            return _binary(cmps[0], operands[0], operands[1], "bool")
        # a chain evaluates each operand once, like Python's a < b < c
        fns = [x.lift() for x in operands]

        def chain(env: Env) -> Truth:
            left = fns[0](env)
            result: Truth | None = None
            for cmp, fn in zip(cmps, fns[1:], strict=True):
                right = fn(env)
                hit = cmp(left, right)
                result = hit if result is None else _and(result, hit)
                left = right
            assert result is not None
            return result

        return _Node("bool", chain)

    def _membership(self, node: ast.Compare, d: int) -> _Node:
        seq = node.comparators[0]
        if not isinstance(seq, ast.Tuple | ast.List):
            raise self._fail("'in' needs a literal tuple or list of numbers", seq)
        values: list[Any] = []
        for elt in seq.elts:
            item = self._number(elt, d)
            if item.fn is not None:
                raise self._fail("'in' needs constants, not features", elt)
            values.append(item.value)
        if not values:
            raise self._fail("'in' needs at least one value", seq)
        member = _member(np.array(values), isinstance(node.ops[0], ast.NotIn))
        left = self._number(node.left, d)
        if left.fn is None:
            return _Node("bool", None, bool(member(np.asarray(left.value))[0]))
        return _unary(member, left, "bool")

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
        args = [self._number(a, d) for a in node.args]
        if arity == 1:
            return self._finite(_unary(fn, args[0], "num"), node)
        return self._finite(_binary(fn, args[0], args[1], "num"), node)


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
            return _run(self._condition, env, n)[0]

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


def _run(condition: _Node, env: Env, n: int) -> tuple[npt.NDArray[np.bool_], int]:
    """Where the condition fires over a batch of n, and on how many rows it was undefined
    (those never fire)."""
    holds, undefined = (condition.value, None) if condition.fn is None else condition.fn(env)
    out = np.asarray(holds, dtype=bool)
    out = out if out.shape == (n,) else np.broadcast_to(out, (n,)).copy()
    return out, 0 if undefined is None else int(np.count_nonzero(undefined))


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
    #: (n_rules,) the events on which each rule was undefined (a division by zero, a
    #: comparison with nan): it did not fire on them
    undefined: npt.NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        if len(self.order) != len(self.names):
            self.order = _rank(self.codes, self.severity)
        if self.undefined is None:
            self.undefined = np.zeros(len(self.names), np.int64)

    def undefined_by_rule(self) -> dict[str, int]:
        """Each rule's count of events it could not be evaluated on (see `undefined`)."""
        assert self.undefined is not None
        return dict(zip(self.names, self.undefined.tolist(), strict=True))

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
        undefined = np.zeros(len(plan.rules), np.int64)
        with np.errstate(all="ignore"):
            for j, rule in enumerate(plan.rules):
                fired[j], undefined[j] = _run(rule._condition, env, n)
        return RuleHits(
            plan.names, fired.T, plan.shadow, plan.codes, plan.severity, plan.rules, plan.order,
            undefined,
        )  # fmt: skip


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
