"""How well and how soon the finder finds the new scripts of a simulated world.

A true script is *found* as of a time when one emerging script (a cluster) is at least
`PURITY` made of it (by messages) and holds at least `SHARE` of its messages in the
finder's window so far; it is found *when* the first as-of time at which that holds, and
its days to find are counted from its first message: when it truly appeared (a drift
script's scheduled start, `start_ts`, can come days before, while no gang of its type
texts; a base script's is the world's start). The summary is the demo's
``emerging_scripts``: found, true, and the median days to find.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import pyarrow as pa

from fraudwall.intel.scripts.corpus import TextCorpus
from fraudwall.intel.scripts.finder import Found, find_emerging_scripts
from fraudwall.intel.scripts.truth import BASE
from fraudwall.model import DAY_MS

__all__ = ["PURITY", "SHARE", "match_found", "new_scripts", "time_to_find"]

PURITY: Final = 0.9
SHARE: Final = 0.8
ProgressFn = Callable[[str, float], None]


def _no_progress(step: str, fraction: float) -> None:
    pass


def new_scripts(truth: pa.Table, key: str = "script_id") -> list[str]:
    """The scripts (or families, by `key`) of the truth that are not of kind ``base``."""
    ids = truth[key].to_numpy(zero_copy_only=False)
    kinds = truth["kind"].to_numpy(zero_copy_only=False)
    return sorted(set(ids[kinds != BASE].tolist()))


def match_found(
    found: Found, truth: pa.Table, scripts: Sequence[str], key: str = "script_id"
) -> dict[str, dict[str, Any]]:
    """Per true script of `scripts` seen in the finder's window: the cluster that holds most
    of it, that cluster's purity (its share of messages of the script), the script's share
    in it (of its messages in the window), and whether both reach `PURITY` and `SHARE`."""
    t_ts = truth["ts"].to_numpy()
    in_window = (t_ts > found.as_of - found.since_ms) & (t_ts <= found.as_of)
    t_event = truth["event_id"].to_numpy(zero_copy_only=False)[in_window]
    t_key = truth[key].to_numpy(zero_copy_only=False)[in_window]
    script_of = dict(zip(t_event.tolist(), t_key.tolist(), strict=True))
    seen = dict(zip(*np.unique(t_key, return_counts=True), strict=True))
    clusters = found.member_events()
    composition = {
        c: dict(
            zip(*np.unique([script_of.get(e, "") for e in ev], return_counts=True), strict=True)
        )
        for c, ev in clusters.items()
    }
    out: dict[str, dict[str, Any]] = {}
    for s in scripts:
        if s not in seen:
            continue
        best: tuple[str | None, dict[str, int]] = max(
            composition.items(), key=lambda kv: (kv[1].get(s, 0), kv[0]), default=(None, {})
        )
        held = int(best[1].get(s, 0))
        size = int(sum(best[1].values()))
        purity = held / size if size else 0.0
        share = held / int(seen[s])
        out[s] = {
            "cluster": best[0] if held else None,
            "purity": round(purity, 4),
            "share": round(share, 4),
            "seen": int(seen[s]),
            "found": bool(held and purity >= PURITY and share >= SHARE),
        }
    return out


def time_to_find(
    corpus: TextCorpus,
    truth: pa.Table,
    times: Sequence[int],
    since_ms: int,
    scripts: Sequence[str] | None = None,
    key: str = "script_id",
    progress: ProgressFn = _no_progress,
    **finder: Any,
) -> dict[str, Any]:
    """Run the finder as of each of `times` (ascending) and say, per true new script
    (`scripts`, default `new_scripts`), when it was first found: ``found``, ``true``,
    ``median_days_to_find`` and per script its scheduled start, its first message, the
    time found, days to find (from the first message), and
    the purity and share at that time (or at the last time, when never found)."""
    wanted = list(new_scripts(truth, key) if scripts is None else scripts)
    scheduled, start = _earliest(truth, key, "start_ts"), _earliest(truth, key, "ts")
    per: dict[str, dict[str, Any]] = {
        s: {
            "start_ts": scheduled.get(s),
            "first_sent_ts": start.get(s),
            "found_ts": None,
            "days_to_find": None,
        }
        for s in wanted
    }
    for i, t in enumerate(times):
        progress("as of each time", i / max(len(times), 1))
        pending = [s for s in wanted if per[s]["found_ts"] is None and start.get(s, t + 1) <= t]
        if not pending:
            continue
        found = find_emerging_scripts(corpus, int(t), since_ms, **finder)
        for s, m in match_found(found, truth, pending, key).items():
            per[s].update(purity=m["purity"], share=m["share"], seen=m["seen"])
            if m["found"]:
                per[s]["found_ts"] = int(t)
                per[s]["days_to_find"] = round((int(t) - int(start[s])) / DAY_MS, 2)
    days = [p["days_to_find"] for p in per.values() if p["days_to_find"] is not None]
    progress("done", 1.0)
    return {
        "found": len(days),
        "true": len(wanted),
        "median_days_to_find": round(float(np.median(days)), 2) if days else None,
        "scripts": per,
    }


def _earliest(truth: pa.Table, key: str, column: str) -> dict[str, int]:
    """The earliest `column` (``start_ts``: its scheduled start; ``ts``: its first message)
    of every script (or family)."""
    ids = truth[key].to_numpy(zero_copy_only=False)
    times = truth[column].to_numpy()
    out: dict[str, int] = {}
    for s, t in zip(ids.tolist(), times.tolist(), strict=True):
        out[s] = min(out.get(s, t), t)
    return out
