"""A LightGBM model's text, checked line by line before LightGBM reads it.

LightGBM's own reader trusts its input: a tree whose arrays are one value short aborts the
process (an exception thrown inside an OpenMP loop), a child index out of range reads
outside its arrays (a segmentation fault), a cycle among the children never ends. A model
file is input, so `check_booster_text` reads the text first and passes only the form
LightGBM itself writes for the models `fraudwall train` makes (binary, numerical splits,
no linear trees), with every tree a proper tree over the named features and every array
of its length; anything else is a `BoosterTextError` naming the line and what is wrong.
A checksum (`scorer`) catches damage; this catches a file made to look right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Final

#: The header lines, in order, after the first line "tree".
_HEADER: Final = (
    "version",
    "num_class",
    "num_tree_per_iteration",
    "label_index",
    "max_feature_idx",
    "objective",
    "feature_names",
    "feature_infos",
    "tree_sizes",
)
#: A tree's lines, in order, after its "Tree=i" line.
_TREE: Final = (
    "num_leaves",
    "num_cat",
    "split_feature",
    "split_gain",
    "threshold",
    "decision_type",
    "left_child",
    "right_child",
    "leaf_value",
    "leaf_weight",
    "leaf_count",
    "internal_value",
    "internal_weight",
    "internal_count",
    "is_linear",
    "shrinkage",
)
_INT: Final = re.compile(r"-?[0-9]{1,10}")
_FLOAT: Final = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?")
_INFO: Final = re.compile(rf"none|\[({_FLOAT.pattern}):({_FLOAT.pattern})\]")
_PARAMETER: Final = re.compile(r"\[[a-z0-9_]+: [^\[\]]*\]")
_IMPORTANCE: Final = re.compile(r"([A-Za-z0-9_]+)=[0-9]{1,10}")
MAX_TREES: Final = 100_000
MAX_LEAVES: Final = 1 << 17
_MAX_COUNT: Final = (1 << 31) - 1


class BoosterTextError(ValueError):
    """The text is not a LightGBM model of the form fraudwall reads; `line` is 1-based."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}")


def check_booster_text(text: str, features: Sequence[str]) -> int:
    """Check a LightGBM model text over `features` (in order); return its number of trees.

    Raises `BoosterTextError` at the first line that is not what LightGBM writes for a
    binary model of numerical splits, or whose values do not make proper trees."""
    if not text.isascii():
        raise BoosterTextError(1, "the model text holds non-ASCII characters")
    lines = text.split("\n")
    reader = _Lines(lines)
    reader.expect_exact("tree")
    header = {key: reader.key_value(key) for key in _HEADER}
    sizes = _check_header(header, features)
    reader.expect_exact("")
    offset = sum(len(line) + 1 for line in lines[: reader.at])
    for i, size in enumerate(sizes):
        start_line, start = reader.at, offset
        reader.expect_exact(f"Tree={i}")
        _check_tree(reader, len(features))
        reader.expect_exact("")
        reader.expect_exact("")
        offset += sum(len(line) + 1 for line in lines[start_line : reader.at])
        if offset - start != size:
            raise BoosterTextError(
                start_line + 1, f"tree {i} is {offset - start} bytes, tree_sizes says {size}"
            )
    reader.expect_exact("end of trees")
    _check_tail(reader, features)
    return len(sizes)


class _Lines:
    """The model's lines, read in order; every problem names its (1-based) line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.at = 0

    def fail(self, problem: str, back: int = 1) -> BoosterTextError:
        return BoosterTextError(self.at - back + 1, problem)

    def next(self) -> str:
        if self.at >= len(self.lines):
            raise BoosterTextError(self.at + 1, "the model text ends too early")
        line = self.lines[self.at]
        self.at += 1
        return line

    def expect_exact(self, expected: str) -> None:
        line = self.next()
        if line != expected:
            shown = line if len(line) <= 40 else line[:37] + "..."
            raise self.fail(f"expected {expected!r}, found {shown!r}")

    def key_value(self, key: str) -> str:
        line = self.next()
        name, eq, value = line.partition("=")
        if not eq or name != key:
            raise self.fail(f"expected the line {key}=...")
        return value


def _check_header(header: dict[str, str], features: Sequence[str]) -> list[int]:
    n = len(features)
    fixed = {
        "version": "v4",
        "num_class": "1",
        "num_tree_per_iteration": "1",
        "label_index": "0",
        "max_feature_idx": str(n - 1),
        "objective": "binary sigmoid:1",
        "feature_names": " ".join(features),
    }
    for i, key in enumerate(_HEADER):
        value = header[key]
        if key in fixed and value != fixed[key]:
            want = "the model's features" if key == "feature_names" else repr(fixed[key])
            raise BoosterTextError(i + 2, f"{key} must be {want}")
    infos = header["feature_infos"].split(" ")
    if len(infos) != n or not all(_INFO.fullmatch(v) for v in infos):
        raise BoosterTextError(_HEADER.index("feature_infos") + 2, f"expected {n} feature_infos")
    line = _HEADER.index("tree_sizes") + 2
    tokens = header["tree_sizes"].split(" ")
    if not all(_INT.fullmatch(t) and int(t) > 0 for t in tokens):
        raise BoosterTextError(line, "tree_sizes must be positive whole numbers")
    if len(tokens) > MAX_TREES:
        raise BoosterTextError(line, f"more than {MAX_TREES} trees")
    return [int(t) for t in tokens]


def _ints(lines: _Lines, key: str, n: int, lo: int, hi: int) -> list[int]:
    tokens = _tokens(lines, key, n)
    if not all(_INT.fullmatch(t) for t in tokens):
        raise lines.fail(f"{key}: expected whole numbers")
    values = [int(t) for t in tokens]
    if not all(lo <= v <= hi for v in values):
        raise lines.fail(f"{key}: a value out of range {lo}..{hi}")
    return values


def _floats(lines: _Lines, key: str, n: int, infinite: bool = False) -> list[float]:
    """n numbers; `infinite`: inf and -inf too (a split LightGBM puts past every value)."""
    tokens = _tokens(lines, key, n)
    if not all(_FLOAT.fullmatch(t) or (infinite and t in ("inf", "-inf")) for t in tokens):
        raise lines.fail(f"{key}: expected numbers")
    values = [float(t) for t in tokens]
    if not infinite and not all(math.isfinite(v) for v in values):
        raise lines.fail(f"{key}: a value is not a finite number")
    return values


def _tokens(lines: _Lines, key: str, n: int) -> list[str]:
    value = lines.key_value(key)
    tokens = value.split(" ") if value else []
    if len(tokens) != n:
        raise lines.fail(f"{key}: expected {n} values, found {len(tokens)}")
    return tokens


def _check_tree(lines: _Lines, n_features: int) -> None:
    leaves = _ints(lines, "num_leaves", 1, 1, MAX_LEAVES)[0]
    inner = leaves - 1
    _ints(lines, "num_cat", 1, 0, 0)
    _ints(lines, "split_feature", inner, 0, n_features - 1)
    _floats(lines, "split_gain", inner)
    _floats(lines, "threshold", inner, infinite=True)
    decision = _ints(lines, "decision_type", inner, 0, 15)
    if any(d & 1 or (d >> 2) & 3 == 3 for d in decision):
        raise lines.fail("decision_type: only numerical splits are read (no categorical)")
    left = _ints(lines, "left_child", inner, -leaves, inner - 1)
    right = _ints(lines, "right_child", inner, -leaves, inner - 1)
    _check_structure(lines, left, right, leaves)
    _floats(lines, "leaf_value", leaves)
    _floats(lines, "leaf_weight", leaves if leaves > 1 else 0)
    _ints(lines, "leaf_count", leaves, 0, _MAX_COUNT)
    _floats(lines, "internal_value", inner)
    _floats(lines, "internal_weight", inner)
    _ints(lines, "internal_count", inner, 0, _MAX_COUNT)
    _ints(lines, "is_linear", 1, 0, 0)
    _floats(lines, "shrinkage", 1)


def _check_structure(lines: _Lines, left: list[int], right: list[int], leaves: int) -> None:
    """Every node reached from the root exactly once: a tree, no cycle, nothing left out."""
    if leaves == 1:
        return
    seen_nodes, seen_leaves = [False] * (leaves - 1), [False] * leaves
    stack = [0]
    seen_nodes[0] = True
    while stack:
        node = stack.pop()
        for child in (left[node], right[node]):
            seen = seen_leaves if child < 0 else seen_nodes
            at = ~child if child < 0 else child
            if seen[at]:
                raise lines.fail("left_child / right_child: a node is reached twice", back=2)
            seen[at] = True
            if child >= 0:
                stack.append(child)
    if not (all(seen_nodes) and all(seen_leaves)):
        raise lines.fail("left_child / right_child: a node is not reached from the root", back=2)


def _check_tail(lines: _Lines, features: Sequence[str]) -> None:
    """What follows the trees: feature importances, parameters, pandas_categorical."""
    lines.expect_exact("")
    lines.expect_exact("feature_importances:")
    names = set(features)
    line = lines.next()
    while line:
        m = _IMPORTANCE.fullmatch(line)
        if m is None or m.group(1) not in names:
            raise lines.fail("expected a feature importance (name=count)")
        line = lines.next()
    lines.expect_exact("parameters:")
    line = lines.next()
    while line != "end of parameters":
        if line and not _PARAMETER.fullmatch(line):
            raise lines.fail("expected a parameter ([name: value])")
        line = lines.next()
    lines.expect_exact("")
    lines.expect_exact("pandas_categorical:null")
    lines.expect_exact("")
    if lines.at != len(lines.lines):
        raise lines.fail("unexpected text after pandas_categorical", back=0)
