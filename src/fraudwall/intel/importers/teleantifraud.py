"""TeleAntiFraud dialogues (JimmyMa99/TeleAntiFraud, Apache-2.0) as a labelled text table.

The source is JSON lines, one simulated phone call a line: ``left`` (the caller's turns)
and ``right`` (the callee's), lists of strings, and ``fraud_type``. In the
``fraud_dialogues-*.jsonl`` files that is a fraud type (绑架诈骗, 投资诈骗, ...); in the
``normal_dialogues-*.jsonl`` files it names a service (订餐服务, ...) and the label is
`NORMAL`. The text is the turns in the order spoken (left, right, left, ...), joined
by newlines; ``binary`` says fraud or normal.

With ``taxonomy="fraudwall"`` the labels are fraudwall's fraud types (`FraudType` codes,
`FRAUDWALL_TYPES`), the source's kept in ``fraud_type``; with ``openers`` each dialogue
also gives a row of the caller's first turn alone (``part`` = "opener"), a text of the
length and shape of an SMS, for training data with more than one shape of text.

Lines that are not JSON objects, or lack turns or a fraud type, go to ``rejected`` with
the file, line, field and reason (`REJECTED_SCHEMA`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from fraudwall.errors import InputError
from fraudwall.intel.importers.amlsim import REJECTED_SCHEMA
from fraudwall.intel.text import NORMAL

__all__ = [
    "FRAUDWALL_TYPES",
    "TELEANTIFRAUD_SCHEMA",
    "TeleAntiFraudImport",
    "dialogue_text",
    "import_teleantifraud",
]

#: The source's fraud types as fraudwall's (`FraudType` codes, the police taxonomy):
#: parcel and delivery scams are fake e-commerce/logistics service; the rest is "other".
FRAUDWALL_TYPES: Final = {
    "投资诈骗": "investment",
    "客服诈骗": "customer_service",
    "邮件诈骗": "customer_service",
    "银行诈骗": "other",
    "钓鱼诈骗": "other",
    "身份盗窃": "other",
    "彩票诈骗": "other",
    "绑架诈骗": "other",
}

TELEANTIFRAUD_SCHEMA: Final = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("label", pa.string()),
        ("binary", pa.string()),
        ("fraud_type", pa.string()),  # the source's fraud type, or service of a normal call
        ("part", pa.string()),  # "dialogue", or "opener": the caller's first turn
        ("file", pa.string()),
    ]
)


@dataclass(frozen=True)
class TeleAntiFraudImport:
    texts: pa.Table  # TELEANTIFRAUD_SCHEMA
    rejected: pa.Table  # REJECTED_SCHEMA
    files: dict[str, int]  # rows taken per file


def _turns(value: Any) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        return None
    return value


def dialogue_text(left: list[str], right: list[str]) -> str:
    """The turns in the order spoken: left, right, left, ... (the longer side's rest last)."""
    out: list[str] = []
    for i in range(max(len(left), len(right))):
        out.extend(t for t in (left[i : i + 1] + right[i : i + 1]) if t.strip())
    return "\n".join(out)


def import_teleantifraud(
    folder: Path, *, taxonomy: str = "source", openers: bool = False
) -> TeleAntiFraudImport:
    """Every dialogue of ``fraud_dialogues-*.jsonl`` and ``normal_dialogues-*.jsonl`` in
    `folder`, as (id, text, label, binary, fraud_type, part, file)."""
    if taxonomy not in ("source", "fraudwall"):
        raise InputError("--taxonomy", f"expected source or fraudwall, got {taxonomy!r}")
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "not a folder")
    files = sorted(folder.glob("fraud_dialogues-*.jsonl")) + sorted(
        folder.glob("normal_dialogues-*.jsonl")
    )
    if not files:
        raise InputError(
            str(folder), "no fraud_dialogues-*.jsonl or normal_dialogues-*.jsonl files"
        )
    rows: dict[str, list[Any]] = {name: [] for name in TELEANTIFRAUD_SCHEMA.names}
    bad: dict[str, list[Any]] = {name: [] for name in REJECTED_SCHEMA.names}
    taken: dict[str, int] = {}

    def reject(file: str, line: int, field: str, value: object, reason: str) -> None:
        for name, v in zip(
            REJECTED_SCHEMA.names, (file, line, field, str(value)[:200], reason), strict=True
        ):
            bad[name].append(v)

    for path in files:
        normal = path.name.startswith("normal_")
        taken[path.name] = 0
        with path.open(encoding="utf-8") as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    reject(path.name, line_no, "", line.strip(), f"not JSON: {exc.msg}")
                    continue
                if not isinstance(obj, dict):
                    reject(path.name, line_no, "", line.strip(), "not a JSON object")
                    continue
                left, right = _turns(obj.get("left")), _turns(obj.get("right"))
                if left is None or right is None:
                    which = "left" if left is None else "right"
                    reject(path.name, line_no, which, obj.get(which), "not a list of strings")
                    continue
                text = dialogue_text(left, right)
                kind = obj.get("fraud_type")
                if not text.strip():
                    reject(path.name, line_no, "left", "", "no words in the dialogue")
                    continue
                if not isinstance(kind, str) or not kind.strip():
                    reject(path.name, line_no, "fraud_type", kind, "missing fraud_type")
                    continue
                kind = kind.strip()
                if normal:
                    label = NORMAL
                elif taxonomy == "fraudwall":
                    label = FRAUDWALL_TYPES.get(kind, "other")
                else:
                    label = kind
                ident = str(obj.get("tts_id") or f"{path.stem}:{line_no}")
                parts = [("dialogue", text)]
                if openers and left and left[0].strip():
                    parts.append(("opener", left[0].strip()))
                for part, words in parts:
                    binary = NORMAL if normal else "fraud"
                    row = (ident, words, label, binary, kind, part, path.name)
                    for name, v in zip(TELEANTIFRAUD_SCHEMA.names, row, strict=True):
                        rows[name].append(v)
                taken[path.name] += 1
    return TeleAntiFraudImport(
        pa.table(rows, schema=TELEANTIFRAUD_SCHEMA),
        pa.table(bad, schema=REJECTED_SCHEMA),
        taken,
    )
