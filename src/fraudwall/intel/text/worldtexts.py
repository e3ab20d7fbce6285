"""A world's texts labelled by its truth: the SMS (the fraud type the truth gives the
message, else normal) and the victims' narratives (the fraud type reported), each distinct
(text, label) once — training and evaluation data for the text model."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.intel.text.model import NORMAL
from fraudwall.model import EntityKind

#: The columns of `labelled_world_texts`.
COLUMNS = ("text", "label", "binary", "source")


def labelled_world_texts(tables: Mapping[str, pa.Table]) -> pa.Table:
    """The world's SMS and narratives with their labels (see the module doc): columns
    text, label (a fraud type or ``normal``), binary (``fraud`` or ``normal``) and source
    (``sms`` or ``narrative``), in the world's order."""
    sms, truth, reports = tables["sms"], tables["truth"], tables["reports"]
    marked = truth.filter(pc.equal(truth["entity_kind"], EntityKind.SMS.value))
    fraud_type = dict(
        zip(marked["entity_id"].to_pylist(), marked["fraud_type"].to_pylist(), strict=True)
    )
    texts: list[str | None] = sms["text"].to_pylist()
    labels = [str(fraud_type.get(e) or NORMAL) for e in sms["event_id"].to_pylist()]
    told = reports.filter(pc.is_valid(reports["fraud_type"]))
    texts += told["narrative"].to_pylist()
    labels += [str(k) for k in told["fraud_type"].to_pylist()]
    source = ["sms"] * sms.num_rows + ["narrative"] * told.num_rows
    seen: set[tuple[str, str]] = set()
    rows: list[tuple[str, str, str, str]] = []
    for t, lab, src in zip(texts, labels, source, strict=True):
        if t and (t, lab) not in seen:
            seen.add((t, lab))
            rows.append((t, lab, NORMAL if lab == NORMAL else "fraud", src))
    return pa.table(
        {name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate(COLUMNS)}
    )


__all__ = ["COLUMNS", "labelled_world_texts"]
