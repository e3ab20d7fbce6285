"""The model file: written whole, read only whole and unchanged, every field checked.

A model decides who is stopped, so a file with one character changed must not load as a
slightly different model, nor crash the process inside LightGBM. The file is JSON::

    {"format": 3, "sha256": "<hex>", "model": {"trained_on": ..., "kinds": ..., ...}}

`sha256` is the digest of the model's canonical JSON (keys sorted, no spaces), so it does
not depend on how the file was laid out, and it is the model's id. `read_model_file`
verifies it, then every field: each kind's features are ones the engine computes, its
thresholds are finite, no lower than the floor training uses (`scoring.MIN_MARGIN`, a
score of 0.05) and ordered as the actions are (a more severe action never needs a lower
score), its booster's text is LightGBM's own form over those features
(`boostertext.check_booster_text`), and the call priority is well formed. Any problem is
an `InputError` naming the file and the field.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from pathlib import Path
from typing import Any, Final

from fraudwall.common import write_file_atomically
from fraudwall.engine.actions import KIND_ACTIONS, KINDS
from fraudwall.engine.boostertext import BoosterTextError, check_booster_text
from fraudwall.engine.featureset import FEATURES
from fraudwall.engine.priority import CallPriority
from fraudwall.engine.scoring import MIN_MARGIN
from fraudwall.errors import InputError
from fraudwall.model import Action

#: 3: the content's sha256 beside it; 2: thresholds on margins (log-odds).
MODEL_FORMAT: Final = 3
_TOP_KEYS: Final = frozenset({"format", "sha256", "model"})
_MODEL_KEYS: Final = frozenset({"trained_on", "kinds", "call_priority"})
_KIND_KEYS: Final = frozenset({"features", "thresholds", "booster"})
_AGAIN: Final = "train it again with `fraudwall train`"

#: A model file's content (the "model" object).
ModelDoc = dict[str, Any]


def canonical(doc: ModelDoc) -> bytes:
    """The content as the checksum reads it: keys sorted, no spaces, UTF-8."""
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def checksum(doc: ModelDoc) -> str:
    """The sha256 of the content: the model's id."""
    return hashlib.sha256(canonical(doc)).hexdigest()


def write_model_file(doc: ModelDoc, path: Path) -> Path:
    """Write the model file whole (a temporary file renamed into place). Same model, same
    bytes."""
    text = json.dumps(
        {"format": MODEL_FORMAT, "sha256": checksum(doc), "model": doc}, ensure_ascii=False
    )
    write_file_atomically(path, text.encode("utf-8"))
    return path


def is_model_file(path: Path) -> bool:
    """Whether the file is a fraudwall model file, of any format (one `train` may replace)."""
    try:
        top = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(top, dict) and "format" in top and ("model" in top or "kinds" in top)


def read_model_file(path: Path) -> ModelDoc:
    """The content of a model file, its checksum and every field verified."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(where, f"cannot read the model file: {exc.strerror or exc}") from exc
    try:
        top = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(where, "not a fraudwall model file (not UTF-8 text)") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            where, f"not a fraudwall model file (not JSON: {exc.msg} at line {exc.lineno})"
        ) from exc
    except RecursionError as exc:
        raise InputError(where, "not a fraudwall model file (JSON nested too deep)") from exc
    if not isinstance(top, dict) or "format" not in top:
        raise InputError(where, "not a fraudwall model file (no format)", hint=_AGAIN)
    if top["format"] != MODEL_FORMAT:
        raise InputError(
            where,
            f"format: model format {top['format']!r}, this fraudwall reads {MODEL_FORMAT}",
            hint=_AGAIN,
        )
    unknown = sorted(set(top) - _TOP_KEYS)
    if unknown or set(top) != _TOP_KEYS:
        what = f"unknown field {unknown[0]!r}" if unknown else "sha256 or model is missing"
        raise InputError(where, f"not a fraudwall model file ({what})")
    doc = top["model"]
    if not isinstance(doc, dict) or not isinstance(top["sha256"], str):
        raise InputError(where, "model, sha256: an object and a hex digest expected")
    if checksum(doc) != top["sha256"]:
        raise InputError(
            where,
            "sha256: the model does not match its checksum: the file was changed or damaged "
            "after it was written",
            hint=f"use the file as `fraudwall train` wrote it, or {_AGAIN}",
        )
    check_model(doc, where)
    return doc


def check_model(doc: ModelDoc, where: str) -> None:
    """Every field of a model's content (see the module doc), or InputError."""
    unknown = sorted(set(doc) - _MODEL_KEYS)
    if unknown:
        raise InputError(where, f"model: unknown field {unknown[0]!r}")
    if not isinstance(doc.get("trained_on", {}), dict):
        raise InputError(where, "trained_on: an object expected")
    kinds = doc.get("kinds")
    if not isinstance(kinds, dict):
        raise InputError(where, "kinds: an object expected (a model per kind of event)")
    for kind, m in kinds.items():
        if kind not in KINDS:
            raise InputError(where, f"kinds.{kind}: unknown kind (one of {', '.join(KINDS)})")
        if not isinstance(m, dict) or set(m) != _KIND_KEYS:
            raise InputError(
                where, f"kinds.{kind}: expected the fields {', '.join(sorted(_KIND_KEYS))}"
            )
        features = _features(m["features"], kind, where)
        _thresholds(m["thresholds"], kind, where)
        if not isinstance(m["booster"], str):
            raise InputError(where, f"kinds.{kind}.booster: LightGBM's text expected")
        try:
            check_booster_text(m["booster"], features)
        except BoosterTextError as exc:
            raise InputError(where, f"kinds.{kind}.booster: {exc}", hint=_AGAIN) from exc
    if "call_priority" in doc:
        try:
            CallPriority.from_dict(doc["call_priority"], "call_priority")
        except ValueError as exc:
            raise InputError(where, str(exc), hint=_AGAIN) from exc


def _features(value: Any, kind: str, where: str) -> list[str]:
    field = f"kinds.{kind}.features"
    if not isinstance(value, list) or not value or not all(isinstance(f, str) for f in value):
        raise InputError(where, f"{field}: a list of feature names expected")
    if len(set(value)) != len(value):
        raise InputError(where, f"{field}: a feature is named twice")
    unknown = [f for f in value if f not in FEATURES.get(kind, ())]
    if unknown:
        raise InputError(
            where,
            f"{field}: the {kind} model was trained on features this engine does not compute "
            f"({', '.join(unknown)})",
            hint=_AGAIN,
        )
    return value


def _thresholds(value: Any, kind: str, where: str) -> None:
    """Finite margins, none below the floor, a more severe action never below a milder."""
    field = f"kinds.{kind}.thresholds"
    if not isinstance(value, dict):
        raise InputError(where, f"{field}: an object of action: margin expected")
    order = [a.value for a in KIND_ACTIONS[kind] if a is not Action.ALLOW]
    for action, t in value.items():
        if action not in order:
            raise InputError(
                where, f"{field}.{action}: not an action for a {kind} (one of {', '.join(order)})"
            )
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            raise InputError(where, f"{field}.{action}: a finite number expected, not {t!r}")
        if t < MIN_MARGIN:
            raise InputError(
                where,
                f"{field}.{action}: {t} is below the lowest margin a model acts on "
                f"({MIN_MARGIN:.4f}, a score of 0.05)",
            )
    present = [a for a in order if a in value]
    for milder, severer in itertools.pairwise(present):
        if value[severer] < value[milder]:
            raise InputError(
                where,
                f"{field}.{severer}: {value[severer]} is below {milder}'s {value[milder]}: "
                f"a more severe action cannot take a lower score",
            )
