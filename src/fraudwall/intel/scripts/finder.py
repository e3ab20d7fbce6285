"""The emerging-script finder: near-duplicate groups of recent suspicious texts that the
text model cannot place, as of a time.

As of `as_of`, over the messages of the last `since_ms` (nothing later is read, so the
finder can be asked when it would have found a script):

1. the suspicious messages (`suspicious`) and their distinct texts, each with its volume;
2. the texts' near-duplicate groups (`nearduplicates`): one script's variants. A group
   with a text first sent before the window is *established*, not emerging: the script
   was there before, whatever the model makes of it, and it neither is reported nor
   joins a new one (a gang's numbers send its old scripts beside its new ones);
3. each group as the model reads it, by volume: its best guess (the class of highest mean
   probability), the share of the volume whose own best class is that guess, the mean
   top probability, the mean fraud probability, and the share sent by young numbers
   broadcasting. A group is *placed* — a known script, or ordinary mail — when the
   model's guess holds for `AGREEMENT` of it at a mean top probability of `CONFIDENT`,
   and, for a guess of normal, when young numbers do not broadcast most of it (the model
   calls it normal, the way it is sent does not);
4. a placed group sent mostly by numbers that send mostly unplaced texts is unplaced too
   (a new script's variant the model wrongly places in an old type);
5. the unplaced groups that share a sending number are one campaign (one script's
   variants sent by the same cards), reported as one emerging script when it holds
   `MIN_TEXTS` messages or more and either the model finds it fraud-ish (`FRAUDISH`) or
   young numbers broadcast it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa

from fraudwall.intel.scripts.corpus import TextCorpus
from fraudwall.intel.scripts.nearduplicates import SIMILARITY, linked, near_duplicate_groups
from fraudwall.intel.scripts.suspicious import broadcast_messages, suspicious_text
from fraudwall.intel.text import NORMAL

__all__ = [
    "AGREEMENT",
    "CONFIDENT",
    "EXAMPLES",
    "MIN_TEXTS",
    "Found",
    "find_emerging_scripts",
]

CONFIDENT: Final = 0.9
"""Mean top class probability from which the model places a group."""
AGREEMENT: Final = 0.9
"""Share of a group's volume whose own best class must be the group's guess to place it."""
BROADCAST_SHARE: Final = 0.5
"""Share of a group sent by young broadcasting numbers from which "normal" does not place it."""
SENDER_SHARE: Final = 0.5
"""Share of a number's messages in unplaced groups from which it sends a new script, and
share of a placed group sent by such numbers from which it is taken for that script's."""
FRAUDISH: Final = 0.5
"""Mean fraud probability from which an unplaced campaign not broadcast is reported: an
ambiguous ordinary text ("I changed my number, save it") sent by many people, one each, is
not a script."""
MIN_TEXTS: Final = 5
"""Messages from which an unplaced campaign is reported."""
EXAMPLES: Final = 5
"""Distinct example texts reported per emerging script."""
NUMBERS_SHOWN: Final = 20
"""Sending numbers listed per emerging script (the busiest first)."""

SCRIPT_SCHEMA: Final = pa.schema(
    [
        ("script_id", pa.string()),
        ("first_seen_ts", pa.int64()),
        ("last_seen_ts", pa.int64()),
        ("texts", pa.int64()),
        ("distinct_texts", pa.int64()),
        ("senders", pa.int64()),
        ("numbers", pa.list_(pa.string())),
        ("guess", pa.string()),
        ("guess_probability", pa.float64()),
        ("fraud_probability", pa.float64()),
        ("broadcast_share", pa.float64()),
        ("reason", pa.string()),
        ("examples", pa.list_(pa.string())),
    ]
)
MEMBER_SCHEMA: Final = pa.schema(
    [
        ("script_id", pa.string()),
        ("event_id", pa.string()),
        ("ts", pa.int64()),
        ("sender", pa.string()),
        ("receiver", pa.string()),
        ("text", pa.string()),
    ]
)


@dataclass(frozen=True)
class Found:
    """The emerging scripts as of `as_of` (one row each, `SCRIPT_SCHEMA`, largest first) and
    their member messages (`MEMBER_SCHEMA`)."""

    as_of: int
    since_ms: int
    scripts: pa.Table
    members: pa.Table

    def member_events(self) -> dict[str, np.ndarray]:
        """script_id -> the event ids of its messages."""
        ids = self.members["script_id"].to_numpy(zero_copy_only=False)
        events = self.members["event_id"].to_numpy(zero_copy_only=False)
        return {s: events[ids == s] for s in np.unique(ids)}


def _campaigns(group_of_row: np.ndarray, sender: np.ndarray, n: int) -> np.ndarray:
    """A campaign per group: groups whose messages share a sending number are one."""
    order = np.lexsort((group_of_row, sender))
    s, g = sender[order], group_of_row[order]
    same = np.flatnonzero((s[1:] == s[:-1]) & (g[1:] != g[:-1]))
    return linked(n, g[same], g[same + 1])


def _sent_by_unplaced(
    group_of_row: np.ndarray, sender: np.ndarray, unplaced: np.ndarray
) -> np.ndarray:
    """Per group: placed, but `SENDER_SHARE` of it sent by numbers that send mostly
    unplaced texts. A new script's variants are often placed, wrongly and confidently, in
    an old type; the cards that send them are the same as its unplaced variants'."""
    if not unplaced.any():
        return np.zeros(len(unplaced), bool)
    in_unplaced = unplaced[group_of_row]
    numbers, at = np.unique(sender, return_inverse=True)
    share = np.bincount(at, weights=in_unplaced, minlength=len(numbers)) / np.bincount(at)
    by_them = share[at] >= SENDER_SHARE
    volume = np.bincount(group_of_row, minlength=len(unplaced))
    theirs = np.bincount(group_of_row, weights=by_them, minlength=len(unplaced))
    return ~unplaced & (theirs >= SENDER_SHARE * np.maximum(volume, 1)) & (volume > 0)


def _groups_with_history(
    corpus: TextCorpus, distinct: np.ndarray, window_start: int, similarity: float
) -> tuple[np.ndarray, np.ndarray]:
    """The near-duplicate group of each of `distinct` (the window's texts), grouped together
    with the possibly suspicious texts first sent before `window_start`; and per group,
    whether it is established (holds a text first sent before the window)."""
    in_window = set(distinct.tolist())
    before = [
        t for t in corpus.signature if corpus.first_ts[t] <= window_start and t not in in_window
    ]
    texts = [*distinct.tolist(), *before]
    groups = near_duplicate_groups([corpus.signature[int(t)] for t in texts], similarity)
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    old = corpus.first_ts[np.asarray(texts, np.int64)] <= window_start
    established = np.zeros(n_groups, bool)
    established[groups[old]] = True
    return groups[: len(distinct)], established


def _placed(
    proba: np.ndarray, volume: np.ndarray, broadcast: np.ndarray, labels: tuple[str, ...]
) -> tuple[bool, int, float, str]:
    """(placed, guess, its mean probability, why unplaced) of one group of distinct texts
    (`proba` rows, `volume` messages each, `broadcast` messages of them by broadcasters)."""
    w = volume / volume.sum()
    mean = w @ proba
    guess = int(mean.argmax())
    agree = float(w[proba.argmax(axis=1) == guess].sum())
    top = float(w @ proba.max(axis=1))
    sure = agree >= AGREEMENT and top >= CONFIDENT
    broadcast_share = float(broadcast.sum() / volume.sum())
    is_normal = NORMAL in labels and guess == labels.index(NORMAL)
    if sure and not (is_normal and broadcast_share >= BROADCAST_SHARE):
        return True, guess, float(mean[guess]), ""
    if sure:
        why = "normal to the model, but broadcast by young numbers"
    elif agree < AGREEMENT:
        why = f"the model's guesses are mixed ({agree:.0%} agree)"
    else:
        why = f"the model is unsure (mean top probability {top:.2f})"
    return False, guess, float(mean[guess]), why


def find_emerging_scripts(
    corpus: TextCorpus,
    as_of: int,
    since_ms: int,
    *,
    similarity: float = SIMILARITY,
    min_texts: int = MIN_TEXTS,
) -> Found:
    """The emerging scripts among the messages of (as_of - since_ms, as_of] (see the module
    doc)."""
    lo = int(np.searchsorted(corpus.ts, as_of - since_ms, side="right"))
    hi = int(np.searchsorted(corpus.ts, as_of, side="right"))
    rows = np.arange(lo, hi)
    broadcast = broadcast_messages(
        corpus.sender[rows], corpus.receiver[rows], corpus.sender_age_days[rows]
    )
    by_text = suspicious_text(corpus.fraud_probability, corpus.cues)
    keep = by_text[corpus.text_of[rows]] | broadcast
    rows, broadcast = rows[keep], broadcast[keep]
    text_of = corpus.text_of[rows]
    distinct, row_text = np.unique(text_of, return_inverse=True)
    volume = np.bincount(row_text, minlength=len(distinct)).astype(np.float64)
    by_broadcast = np.bincount(row_text, weights=broadcast, minlength=len(distinct))
    groups, established = _groups_with_history(corpus, distinct, as_of - since_ms, similarity)
    n_groups = len(established)
    unplaced = np.zeros(n_groups, bool)
    verdict: dict[int, tuple[int, float, str]] = {}
    order = np.argsort(groups, kind="stable")
    for at in np.split(order, np.flatnonzero(np.diff(groups[order])) + 1):
        if not len(at) or established[g := int(groups[at[0]])]:
            continue
        placed, guess, p, why = _placed(
            corpus.proba[distinct[at]], volume[at], by_broadcast[at], corpus.labels
        )
        unplaced[g] = not placed
        verdict[g] = (guess, p, why)
    group_of_row = groups[row_text]
    pulled = _sent_by_unplaced(group_of_row, corpus.sender[rows], unplaced) & ~established
    for h in np.flatnonzero(pulled):
        said, p_said, _ = verdict[int(h)]
        why = f"the model says {corpus.labels[said]}, but its numbers send an unplaced script"
        verdict[int(h)] = (said, p_said, why)
        unplaced[h] = True
    chosen = unplaced[group_of_row]
    campaign = _campaigns(group_of_row[chosen], corpus.sender[rows[chosen]], n_groups)
    fraud = corpus.fraud_probability
    group_volume = np.bincount(group_of_row, minlength=n_groups)
    scripts: list[dict[str, Any]] = []
    members: list[pa.Table] = []
    for c in np.unique(campaign[unplaced]).tolist():
        in_campaign = np.flatnonzero(unplaced & (campaign == c))
        at_rows = np.flatnonzero(np.isin(group_of_row, in_campaign))
        if len(at_rows) < min_texts:
            continue
        fraudish = fraud[corpus.text_of[rows[at_rows]]].mean() >= FRAUDISH
        if not fraudish and broadcast[at_rows].mean() < BROADCAST_SHARE:
            continue  # unplaced, but neither the model nor the sending says fraud
        largest = int(in_campaign[np.argmax(group_volume[in_campaign])])
        scripts.append(
            _describe(corpus, rows[at_rows], broadcast[at_rows], fraud, verdict[largest][2])
        )
        members.append(_members(corpus, rows[at_rows], scripts[-1]["script_id"]))
    scripts.sort(key=lambda s: (-s["texts"], s["first_seen_ts"]))
    return Found(
        as_of,
        since_ms,
        pa.Table.from_pylist(scripts, schema=SCRIPT_SCHEMA),
        pa.concat_tables(members) if members else MEMBER_SCHEMA.empty_table(),
    )


def _describe(
    corpus: TextCorpus,
    rows: np.ndarray,
    broadcast: np.ndarray,
    fraud: np.ndarray,
    reason: str,
) -> dict[str, Any]:
    """One emerging script's row: a campaign of the messages `rows`; `reason`, why its
    largest group is unplaced."""
    texts, volume = np.unique(corpus.text_of[rows], return_counts=True)
    w = volume / volume.sum()
    mean = w @ corpus.proba[texts]
    guess = int(mean.argmax())
    senders, sent = np.unique(corpus.sender[rows], return_counts=True)
    busiest = senders[np.argsort(-sent, kind="stable")][:NUMBERS_SHOWN]
    examples = texts[np.argsort(-volume, kind="stable")][:EXAMPLES]
    first = int(corpus.ts[rows].min())
    return {
        "script_id": _script_id(first, corpus.texts[int(texts.min())]),
        "first_seen_ts": first,
        "last_seen_ts": int(corpus.ts[rows].max()),
        "texts": len(rows),
        "distinct_texts": len(texts),
        "senders": len(senders),
        "numbers": [str(corpus.numbers[s]) for s in busiest],
        "guess": corpus.labels[guess],
        "guess_probability": round(float(mean[guess]), 4),
        "fraud_probability": round(float(w @ fraud[texts]), 4),
        "broadcast_share": round(float(broadcast.mean()), 4),
        "reason": reason,
        "examples": [corpus.texts[t] for t in examples.tolist()],
    }


def _script_id(first_ts: int, text: str) -> str:
    """A short name of an emerging script: its first time and a text of it, hashed."""
    return "S" + hashlib.blake2b(f"{first_ts}:{text}".encode(), digest_size=5).hexdigest()


def _members(corpus: TextCorpus, rows: np.ndarray, script_id: str) -> pa.Table:
    return pa.table(
        {
            "script_id": pa.array([script_id] * len(rows), pa.string()),
            "event_id": pa.array(corpus.event_id[rows].tolist(), pa.string()),
            "ts": pa.array(corpus.ts[rows], pa.int64()),
            "sender": pa.array(corpus.numbers[corpus.sender[rows]].tolist(), pa.string()),
            "receiver": pa.array(corpus.numbers[corpus.receiver[rows]].tolist(), pa.string()),
            "text": pa.array([corpus.texts[t] for t in corpus.text_of[rows].tolist()], pa.string()),
        },
        schema=MEMBER_SCHEMA,
    )
