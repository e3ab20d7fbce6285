"""Replay metrics: what a replay of the engine over a simulated world would have prevented.

A decision is only worth the money it keeps with victims and the ordinary payments it
leaves alone, and a simulated world knows both: its ground truth says which transfers are
victims paying the fraud and which calls and SMS come from fraudsters. This module scores
one replay (the engine's decisions and warnings) against that truth with one pure
function, `replay_metrics`, so that rule sets, thresholds and models are compared on the
same definitions, written down once (in its docstring) instead of re-derived per notebook.

Warnings matter as much as holds: a victim warned before paying may stop. Whether a given
payer would stop is drawn per person from a keyed hash (`stop_draw`), so the figure is
reproducible for a seed and the same person decides the same way across rule sets being
compared.

Everything is columnar (pyarrow hash lookups, numpy masks and bincounts): a replay of 10M
transfers and 5M decisions is scored in seconds. The only Python loops run once per rule,
per fraud type or per distinct fraud payer. Money stays int64 fen throughout; only shares
are floats.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.model import Action, EntityKind, Role

ACTIONS: Final[tuple[str, ...]] = tuple(a.value for a in Action)
"""Action names in order of severity; a decision's action code is its index here."""

KINDS: Final[tuple[str, ...]] = tuple(
    k.value for k in (EntityKind.TRANSFER, EntityKind.CALL, EntityKind.SMS)
)
"""The kinds of event the engine decides; a decision's kind code is its index here."""

REQUIRED_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "decisions": ("event_id", "kind", "action", "rules", "shadow_rules"),
    "warnings": ("ts", "person_id"),
    "transfers": ("event_id", "ts", "from_account", "amount_fen"),
    "truth": ("entity_kind", "entity_id", "role", "fraud_type"),
    "accounts": ("account_id", "owner_person_id"),
}
"""The columns `replay_metrics` reads from each input; other columns are ignored."""

UNKNOWN_FRAUD_TYPE: Final = "unknown"
"""The by_fraud_type key of fraud payments whose truth row has no fraud_type."""

_WARN, _DELAY, _HOLD = (ACTIONS.index(a) for a in ("warn", "delay", "hold"))
_TRANSFER, _CALL, _SMS = range(3)
_STOP_PERSON: Final = b"fraudwall.stop"  # blake2b personalisation of the stop draw


# --- the stop draw ----------------------------------------------------------------------
def stop_draw(seed: int, person_id: str) -> float:
    """u(person): a uniform number in [0, 1) fixed by (seed, person_id).

    blake2b (8-byte digest, personalised) of ``f"{seed}\\x00{person_id}"``; the top 53
    bits of the digest over 2**53, so the result is exactly representable and never 1.0.
    The same person gets the same draw in every replay with the same seed, whatever the
    rules, so comparisons between rule sets are not blurred by who happened to stop.
    """
    message = f"{seed}\x00{person_id}".encode()
    digest = hashlib.blake2b(message, digest_size=8, person=_STOP_PERSON).digest()
    return (int.from_bytes(digest, "big") >> 11) * 2.0**-53


# --- small helpers ----------------------------------------------------------------------
def _share(part: int, whole: int) -> float | None:
    """part / whole, or None for 0 / 0 (JSON has no NaN)."""
    return part / whole if whole else None


def _numpy(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        return arr.to_numpy()
    return arr.to_numpy(zero_copy_only=False)


def _check_columns(name: str, table: pa.Table) -> None:
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in table.column_names]
    if missing:
        raise ValueError(f"{name}: missing column {', '.join(map(repr, missing))}")


def _is_text(typ: pa.DataType) -> bool:
    """Whether values of this type are strings (or all null)."""
    return bool(
        pa.types.is_null(typ)
        or pa.types.is_string(typ)
        or pa.types.is_large_string(typ)
        or pa.types.is_string_view(typ)
    )


def _strings(name: str, table: pa.Table, column: str) -> pa.ChunkedArray:
    """A string column as plain (large_)string: dictionaries and views decoded."""
    col = table[column]
    typ = col.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return col
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    if _is_text(typ):
        return col.cast(pa.large_string() if pa.types.is_large_string(typ) else pa.string())
    raise ValueError(f"{name}.{column}: must be strings, got {col.type}")


def _ints(name: str, table: pa.Table, column: str) -> np.ndarray:
    """An integer column as int64 (money and time are never floats); nulls refused."""
    col = table[column]
    if not (pa.types.is_integer(col.type) or (pa.types.is_null(col.type) and not len(col))):
        raise ValueError(f"{name}.{column}: must be integers, got {col.type}")
    if col.null_count:
        raise ValueError(f"{name}.{column}: {col.null_count} null values")
    return _numpy(col).astype(np.int64, copy=False)


def _codes(name: str, table: pa.Table, column: str, vocabulary: Sequence[str]) -> np.ndarray:
    """Each value's index in `vocabulary`; a value outside it is refused, by name."""
    col = _strings(name, table, column)
    idx = pc.index_in(col, value_set=pa.array(vocabulary, col.type))
    if idx.null_count:
        bad = col.filter(pc.is_null(idx))[0].as_py()
        what = column.removesuffix("_kind")
        raise ValueError(
            f"{name}.{column}: unknown {what} {bad!r} (expected one of {', '.join(vocabulary)})"
        )
    return _numpy(idx).astype(np.int8)


def _position(
    values: pa.Array | pa.ChunkedArray, value_set: pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """For each value, the index of its first occurrence in value_set, or -1."""
    idx = pc.index_in(values, value_set=_as_set_of(values, value_set))
    return _numpy(pc.fill_null(idx, -1)).astype(np.int64)


def _member(
    values: pa.Array | pa.ChunkedArray, value_set: pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """For each value, whether it occurs in value_set (a bool array)."""
    return _numpy(pc.is_in(values, value_set=_as_set_of(values, value_set))).astype(bool)


def _as_set_of(
    values: pa.Array | pa.ChunkedArray, value_set: pa.Array | pa.ChunkedArray
) -> pa.Array:
    """value_set as one array of the values' type (what index_in / is_in want)."""
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    return value_set if value_set.type == values.type else value_set.cast(values.type)


def _rows(col: pa.ChunkedArray, rows: np.ndarray) -> pa.ChunkedArray:
    """col[rows], without a copy when rows is every row in order."""
    if len(rows) == len(col):
        return col
    return col.take(pa.array(rows, pa.int64()))


def _firings(name: str, table: pa.Table, column: str) -> tuple[pa.Array, np.ndarray]:
    """The rule names of a list column, flattened, and the row each came from."""
    col = table[column]
    if not (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)):
        if not (pa.types.is_null(col.type) and col.null_count == len(col)):
            raise ValueError(f"{name}.{column}: must be a list of strings, got {col.type}")
        return pa.array([], pa.string()), np.empty(0, np.int64)
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    flat = pc.list_flatten(arr)
    parents = _numpy(pc.list_parent_indices(arr)).astype(np.int64)
    if pa.types.is_dictionary(flat.type):
        flat = flat.cast(flat.type.value_type)
    if not _is_text(flat.type):
        raise ValueError(f"{name}.{column}: must be a list of strings, got {col.type}")
    flat = flat.cast(pa.string())
    valid = _numpy(flat.is_valid()).astype(bool)
    if not valid.all():
        flat, parents = flat.filter(pa.array(valid)), parents[valid]
    return flat, parents


# --- transfers and decisions matched ----------------------------------------------------
def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of arange(start, end) for each pair (no Python loop)."""
    lens = ends - starts
    total = int(lens.sum())
    offsets = np.repeat(starts - np.cumsum(lens) + lens, lens)
    return offsets + np.arange(total, dtype=np.int64)


def _decided_transfers(
    tr_ids: pa.ChunkedArray,
    tr_ts: np.ndarray,
    tdec_ids: pa.ChunkedArray,
    tdec_ts: np.ndarray | None,
) -> np.ndarray:
    """For each transfer decision, the row of its transfer in `transfers`.

    The engine decides transfers as it replays them, so, fastest first:

    1. every transfer decided, in table order: the ids are equal element by element;
    2. the world's transfers are sorted by ts and a decision carries its event's ts: the
       transfer is the one at that ts (checked by comparing ids), or, when several share
       that ts, found by a hash lookup among those few;
    3. whatever is left: a hash lookup of every transfer among the leftover decisions.

    Arrow's hash lookups cost seconds per ten million strings; the first two steps are
    mostly numpy over int64 and one string comparison. A decision that nothing finds, or
    two decisions of one transfer, make the figures meaningless and are refused.
    """
    n = len(tdec_ids)
    if n == len(tr_ids) and (n == 0 or pc.all(pc.equal(tdec_ids, tr_ids)).as_py()):
        return np.arange(n, dtype=np.int64)
    out = np.full(n, -1, np.int64)
    if tdec_ts is not None and len(tr_ts) and not (tr_ts[1:] < tr_ts[:-1]).any():
        lo = np.searchsorted(tr_ts, tdec_ts, "left")
        some = np.flatnonzero(lo < len(tr_ts))
        first = lo[some]
        same = _numpy(pc.equal(_rows(tdec_ids, some), tr_ids.take(pa.array(first)))).astype(bool)
        out[some[same]] = first[same]
        rest = some[~same]
        hi = np.searchsorted(tr_ts, tdec_ts[rest], "right")
        tied = rest[hi - lo[rest] > 1]
        if len(tied):
            starts, at = np.unique(lo[tied], return_index=True)
            rows = _ranges(starts, hi[hi - lo[rest] > 1][at])
            pos = _position(_rows(tdec_ids, tied), tr_ids.take(pa.array(rows)))
            out[tied[pos >= 0]] = rows[pos[pos >= 0]]
    left = np.flatnonzero(out < 0)
    if len(left):
        pos = _position(tr_ids, _rows(tdec_ids, left))
        hit = np.flatnonzero(pos >= 0)
        out[left[pos[hit]]] = hit
    bad = np.flatnonzero(out < 0)
    ordered = out if not (out[1:] <= out[:-1]).any() else np.sort(out)  # usually in order
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    repeated = repeated[repeated >= 0]
    if len(repeated):
        event = tr_ids[int(repeated[0])].as_py()
        raise ValueError(f"decisions: event_id {event!r} is decided more than once")
    if len(bad):
        event = tdec_ids[int(bad[0])].as_py()
        if int(_position(tdec_ids.slice(int(bad[0]), 1), tdec_ids)[0]) < bad[0]:
            raise ValueError(f"decisions: event_id {event!r} is decided more than once")
        raise ValueError(f"decisions: transfer {event!r} is not in transfers")
    return out


# --- the metrics ------------------------------------------------------------------------
def replay_metrics(
    decisions: pa.Table,
    warnings: pa.Table,
    transfers: pa.Table,
    truth: pa.Table,
    accounts: pa.Table,
    *,
    stop_probability: float,
    seed: int,
) -> dict[str, Any]:
    """Score a replay's decisions and warnings against the world's ground truth.

    Definitions (counts are of events, money is int fen, a 0/0 share is None):

    * F, the fraud payments: transfers with a truth row of entity_kind ``transfer`` and
      role ``fraud_payment``. Legit: transfers with no truth row of entity_kind
      ``transfer`` at all. Laundering and bait transfers are neither (``excluded_transfers``).
      A transfer with no decision counts as ``allow``.
    * stop = action in {hold, block}; warned-level = action in {warn, delay, hold, block}.
    * precision_stop = |stop ∩ F| / |stop ∩ (F ∪ Legit)|, recall_stop = |stop ∩ F| / |F|;
      precision_warn and recall_warn the same with warned-level.
    * The payer of a transfer is the owner of its from_account (None if unknown). A payer
      stops if warned when u(person) < stop_probability, u = `stop_draw` (seed, person).
    * warned_before(t): a warning for t's payer with warning.ts <= t.ts.
      prevented_by_warning(t) = warned_before(t) and the payer stops.
    * intercepted(t) = action in {hold, block}, or action == delay and
      prevented_by_warning(t) (a delayed payment is cancellable and the payer cancels).
    * intercepted_share = fen of F intercepted / fen of F; intercepted_or_warned_share the
      same with intercepted or prevented_by_warning.
    * legit_stopped_share = |Legit with stop| / |Legit|; legit_delayed_share and
      legit_warned_share the same with action == delay and action == warn exactly, so a
      rule set cannot look clean by delaying instead of holding.
    * victims = distinct payers of F; victims_stopped = distinct payers with at least one
      F transfer prevented_by_warning. warnings_sent = rows of `warnings`; warned_people =
      distinct person_id in it.
    * by_fraud_type (the fraud_type of F's truth row, ``unknown`` if absent): transfers,
      attempted_fen, intercepted_fen, intercepted_or_warned_fen, the two shares,
      recall_stop and recall_warn of that type's fraud payments.
    * by_rule, for every rule in ``rules`` or ``shadow_rules`` of any decision (live and
      shadow firings alike, a rule counted once per decision): kinds it fired on, shadow
      (it never fired live), fired, fired_fraud, fired_legit, precision =
      fired_fraud / (fired_fraud + fired_legit), recall = fired_fraud / fraud events of the
      kinds it fired on, fraud_fen (fen of the F transfers it fired on). Fraud and legit
      are F and Legit for transfers; for a call or SMS, fraud is a truth row of that kind
      with role ``fraud_contact`` and legit is no truth row of that kind.
    * contacts, calls and SMS together: fraud = every fraud contact in `truth` (a decided
      one or not: the call and SMS tables are not inputs, so an undecided fraud contact,
      counted in undecided_fraud, is taken as allowed; restrict `truth` to the replayed
      span when replaying part of a world); events = calls and SMS decided plus the
      undecided fraud; legit; precision_warn, recall_warn (warned-level); blocked_fraud
      and blocked_legit (stop-level: a held call or SMS is not delivered either); by_kind,
      the same for calls and for SMS apart.
    * by_lead_contact (when truth has case_id): the fraud payments by the kind of their
      case's earliest decided fraud contact ("call", "sms", or "none"; earliest by
      decisions.ts, or by the decisions' order when it is not usable): transfers,
      attempted_fen, intercepted_or_warned_share, recall_warn, recall_stop and
      warned_before_share (the payer warned before paying).

    Only the columns in REQUIRED_COLUMNS are read, and decisions.ts when it is a null-free
    integer column: it only helps find each decision's transfer quickly (see
    `_decided_transfers`) and is never taken as the time of a payment.

    Refused with ValueError: a missing column (naming table and column), an unknown
    action or kind (naming it), non-integer money or time, a stop_probability outside
    [0, 1], a transfer or a fraud contact decided twice, a transfer decision whose event is
    not in `transfers`. The result holds only JSON types (int, float, None, str, list,
    dict).
    """
    for name, table in (
        ("decisions", decisions),
        ("warnings", warnings),
        ("transfers", transfers),
        ("truth", truth),
        ("accounts", accounts),
    ):
        _check_columns(name, table)
    p = float(stop_probability)
    if not (0.0 <= p <= 1.0):  # NaN fails too
        raise ValueError(f"stop_probability: must be in [0, 1], got {stop_probability!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed: must be an int, got {seed!r}")

    # Decisions: codes, and the transfer each transfer decision is about.
    n_dec = decisions.num_rows
    kind = _codes("decisions", decisions, "kind", KINDS)
    action = _codes("decisions", decisions, "action", ACTIONS)
    dec_ids = _strings("decisions", decisions, "event_id")
    tr_ids = _strings("transfers", transfers, "event_id")
    n_tr = transfers.num_rows
    tr_ts = _ints("transfers", transfers, "ts")
    amount = _ints("transfers", transfers, "amount_fen")
    tdec_rows = np.flatnonzero(kind == _TRANSFER)
    hint = decisions["ts"] if "ts" in decisions.column_names else None
    usable = hint is not None and pa.types.is_integer(hint.type) and not hint.null_count
    tdec_ts = _numpy(hint).astype(np.int64)[tdec_rows] if usable else None
    tdec_tr = _decided_transfers(tr_ids, tr_ts, _rows(dec_ids, tdec_rows), tdec_ts)
    tr_action = np.zeros(n_tr, np.int8)  # undecided = allow
    tr_action[tdec_tr] = action[tdec_rows]

    # Ground truth of transfers: F (with its fraud type), Legit, neither.
    t_kind = _strings("truth", truth, "entity_kind")
    t_role = _strings("truth", truth, "role")
    t_ids = _strings("truth", truth, "entity_id")
    t_type = _strings("truth", truth, "fraud_type")
    is_tr_truth = pc.equal(t_kind, EntityKind.TRANSFER.value)
    related = _member(tr_ids, t_ids.filter(is_tr_truth))
    is_fp = pc.and_(is_tr_truth, pc.equal(t_role, Role.FRAUD_PAYMENT.value))
    related_rows = np.flatnonzero(related)
    fp_pos = _position(_rows(tr_ids, related_rows), t_ids.filter(is_fp))
    f_rows = related_rows[fp_pos >= 0]
    f_type_names = pc.fill_null(
        t_type.filter(is_fp).take(pa.array(fp_pos[fp_pos >= 0], pa.int64())), UNKNOWN_FRAUD_TYPE
    )
    types = sorted(pc.unique(f_type_names).to_pylist())
    f_type = _position(f_type_names, pa.array(types, pa.string()))
    is_f = np.zeros(n_tr, bool)
    is_f[f_rows] = True
    is_legit = ~related
    n_f, n_legit = len(f_rows), int(is_legit.sum())

    # Fraud payments: payer, warnings before, the stop draw.
    f_amount, f_ts, f_action = amount[f_rows], tr_ts[f_rows], tr_action[f_rows]
    f_from = _rows(_strings("transfers", transfers, "from_account"), f_rows)
    acc_ids = _strings("accounts", accounts, "account_id")
    acc_owner = _strings("accounts", accounts, "owner_person_id")
    payer_accounts = pa.array(_member(acc_ids, pc.unique(f_from)))
    acc_pos = _position(f_from, acc_ids.filter(payer_accounts))
    f_owner = acc_owner.filter(payer_accounts).take(pa.array(acc_pos, mask=acc_pos < 0))
    payers = sorted(pc.unique(f_owner.drop_null()).to_pylist())
    # Per payer (index -1, the last entry, is "no known payer": never warned, never stops).
    f_payer = _position(f_owner, pa.array(payers, pa.string()))
    w_person = _strings("warnings", warnings, "person_id")
    w_ts = _ints("warnings", warnings, "ts")
    w_code = _position(w_person, pa.array(payers, pa.string()))
    first_warning = np.full(len(payers) + 1, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first_warning, w_code[w_code >= 0], w_ts[w_code >= 0])
    stops = np.array([stop_draw(seed, person) < p for person in payers] + [False], bool)
    warned_before = first_warning[f_payer] <= f_ts
    prevented = warned_before & stops[f_payer]
    f_stop = f_action >= _HOLD
    f_warned = f_action >= _WARN
    intercepted = f_stop | ((f_action == _DELAY) & prevented)
    iow = intercepted | prevented

    # Transfers overall.
    legit_actions = np.bincount(tr_action[is_legit], minlength=len(ACTIONS))
    fraud_actions = np.bincount(f_action, minlength=len(ACTIONS))
    stop_f, warn_f = int(f_stop.sum()), int(f_warned.sum())
    stop_legit = int(legit_actions[_HOLD:].sum())
    warn_legit = int(legit_actions[_WARN:].sum())
    attempted = int(f_amount.sum())
    int_fen = int(f_amount[intercepted].sum())
    iow_fen = int(f_amount[iow].sum())

    by_fraud_type: dict[str, dict[str, Any]] = {}
    for t in range(len(types)):
        m = f_type == t
        n, att = int(m.sum()), int(f_amount[m].sum())
        i_fen, w_fen = int(f_amount[m & intercepted].sum()), int(f_amount[m & iow].sum())
        by_fraud_type[types[t]] = {
            "transfers": n,
            "attempted_fen": att,
            "intercepted_fen": i_fen,
            "intercepted_or_warned_fen": w_fen,
            "intercepted_share": _share(i_fen, att),
            "intercepted_or_warned_share": _share(w_fen, att),
            "recall_stop": _share(int((m & f_stop).sum()), n),
            "recall_warn": _share(int((m & f_warned).sum()), n),
        }

    # Per decision: fraud, legit, fraud fen (for by_rule and contacts).
    dec_fraud = np.zeros(n_dec, bool)
    dec_legit = np.zeros(n_dec, bool)
    dec_fen = np.zeros(n_dec, np.int64)
    dec_fraud[tdec_rows] = is_f[tdec_tr]
    dec_legit[tdec_rows] = is_legit[tdec_tr]
    dec_fen[tdec_rows] = np.where(is_f[tdec_tr], amount[tdec_tr], 0)
    fraud_by_kind = [n_f, 0, 0]
    undecided_fraud = 0
    by_kind: dict[str, dict[str, Any]] = {}
    for code in (_CALL, _SMS):
        rows = np.flatnonzero(kind == code)
        is_kind = pc.equal(t_kind, KINDS[code])
        known = pc.unique(t_ids.filter(is_kind))  # every id with a truth row of this kind
        fraudulent = _member(
            known, t_ids.filter(pc.and_(is_kind, pc.equal(t_role, Role.FRAUD_CONTACT.value)))
        )
        fraud_by_kind[code] = int(fraudulent.sum())
        pos = _position(_rows(dec_ids, rows), known)
        is_fraud = np.zeros(len(rows), bool)
        is_fraud[pos >= 0] = fraudulent[pos[pos >= 0]]
        seen = np.bincount(pos[is_fraud], minlength=len(known))
        if (seen > 1).any():
            event = known[int(np.flatnonzero(seen > 1)[0])].as_py()
            raise ValueError(f"decisions: event_id {event!r} is decided more than once")
        undecided_fraud += int((fraudulent & (seen == 0)).sum())
        dec_fraud[rows] = is_fraud
        dec_legit[rows] = pos < 0
        by_kind[KINDS[code]] = _contact_quality(rows[is_fraud], rows[pos < 0], action)
        by_kind[KINDS[code]]["fraud"] = fraud_by_kind[code]
        by_kind[KINDS[code]]["recall_warn"] = _share(
            int((action[rows[is_fraud]] >= _WARN).sum()), fraud_by_kind[code]
        )

    contact = kind != _TRANSFER
    c_fraud, c_legit = contact & dec_fraud, contact & dec_legit
    c_warned, c_stop = action >= _WARN, action >= _HOLD
    warned_fraud, warned_legit = int((c_fraud & c_warned).sum()), int((c_legit & c_warned).sum())
    n_fc = fraud_by_kind[_CALL] + fraud_by_kind[_SMS]
    contacts = {
        "events": int(contact.sum()) + undecided_fraud,
        "fraud": n_fc,
        "legit": int(c_legit.sum()),
        "undecided_fraud": undecided_fraud,
        "warned_fraud": warned_fraud,
        "warned_legit": warned_legit,
        "precision_warn": _share(warned_fraud, warned_fraud + warned_legit),
        "recall_warn": _share(warned_fraud, n_fc),
        "blocked_fraud": int((c_fraud & c_stop).sum()),
        "blocked_legit": int((c_legit & c_stop).sum()),
        "by_kind": by_kind,
    }
    by_lead: dict[str, dict[str, Any]] = {}
    if "case_id" in truth.column_names:
        f_case = (
            _strings("truth", truth, "case_id")
            .filter(is_fp)
            .take(pa.array(fp_pos[fp_pos >= 0], pa.int64()))
        )
        when = _numpy(hint).astype(np.int64) if usable else np.arange(n_dec)  # else: in order
        lead = _lead_contact(f_case, dec_ids, kind, dec_fraud, when, truth)
        for name in (*KINDS[_CALL:], "none"):
            m = lead == name
            by_lead[name] = {
                "transfers": int(m.sum()),
                "attempted_fen": int(f_amount[m].sum()),
                "intercepted_or_warned_share": _share(
                    int(f_amount[m & iow].sum()), int(f_amount[m].sum())
                ),
                "recall_warn": _share(int((m & f_warned).sum()), int(m.sum())),
                "recall_stop": _share(int((m & f_stop).sum()), int(m.sum())),
                "warned_before_share": _share(int((m & warned_before).sum()), int(m.sum())),
            }

    warned_people = pc.count_distinct(w_person).as_py()
    return {
        "stop_probability": p,
        "seed": seed,
        "decisions": n_dec,
        "fraud_transfers": n_f,
        "legit_transfers": n_legit,
        "excluded_transfers": n_tr - n_f - n_legit,
        "fraud_fen_attempted": attempted,
        "fraud_fen_intercepted": int_fen,
        "fraud_fen_intercepted_or_warned": iow_fen,
        "precision_stop": _share(stop_f, stop_f + stop_legit),
        "recall_stop": _share(stop_f, n_f),
        "precision_warn": _share(warn_f, warn_f + warn_legit),
        "recall_warn": _share(warn_f, n_f),
        "intercepted_share": _share(int_fen, attempted),
        "intercepted_or_warned_share": _share(iow_fen, attempted),
        "legit_stopped_share": _share(stop_legit, n_legit),
        "legit_delayed_share": _share(int(legit_actions[_DELAY]), n_legit),
        "legit_warned_share": _share(int(legit_actions[_WARN]), n_legit),
        "fraud_actions": dict(zip(ACTIONS, map(int, fraud_actions), strict=True)),
        "legit_actions": dict(zip(ACTIONS, map(int, legit_actions), strict=True)),
        "warnings_sent": warnings.num_rows,
        "warned_people": int(warned_people),
        "victims": len(payers),
        "victims_stopped": int(np.count_nonzero(np.bincount(f_payer[prevented]))),
        "by_fraud_type": by_fraud_type,
        "by_rule": _by_rule(decisions, kind, dec_fraud, dec_legit, dec_fen, fraud_by_kind),
        "contacts": contacts,
        "by_lead_contact": by_lead,
    }


def _contact_quality(fraud: np.ndarray, legit: np.ndarray, action: np.ndarray) -> dict[str, Any]:
    """Warned-level and stop-level counts of one kind's decided fraud and legit contacts."""
    wf, wl = int((action[fraud] >= _WARN).sum()), int((action[legit] >= _WARN).sum())
    return {
        "legit": len(legit),
        "warned_fraud": wf,
        "warned_legit": wl,
        "precision_warn": _share(wf, wf + wl),
        "blocked_fraud": int((action[fraud] >= _HOLD).sum()),
        "blocked_legit": int((action[legit] >= _HOLD).sum()),
    }


def _lead_contact(
    f_case: pa.Array,
    dec_ids: pa.ChunkedArray,
    kind: np.ndarray,
    dec_fraud: np.ndarray,
    dec_ts: np.ndarray,
    truth: pa.Table,
) -> np.ndarray:
    """For each fraud payment (its case), the kind of its case's earliest decided fraud
    contact ("call" or "sms"), "none" when its case had none decided."""
    rows = np.flatnonzero(dec_fraud & (kind != _TRANSFER))
    t_ids = _strings("truth", truth, "entity_id")
    is_contact = pc.and_(
        pc.is_in(_strings("truth", truth, "entity_kind"), value_set=pa.array(KINDS[_CALL:])),
        pc.equal(_strings("truth", truth, "role"), Role.FRAUD_CONTACT.value),
    )
    at = _position(_rows(dec_ids, rows), t_ids.filter(is_contact))
    cases = _strings("truth", truth, "case_id").filter(is_contact)
    c_case = cases.take(pa.array(at, mask=at < 0))
    keep = _numpy(pc.is_valid(c_case)).astype(bool)
    rows, c_case = rows[keep], c_case.filter(pa.array(keep))
    order = np.argsort(dec_ts[rows], kind="stable")
    distinct = pc.unique(c_case)
    code = _position(c_case, distinct)[order]
    codes, earliest = np.unique(code, return_index=True)  # each case's first, in time
    first = np.full(len(distinct), -1, np.int64)
    first[codes] = rows[order][earliest]
    out = np.full(len(f_case), "none", object)
    pos = _position(f_case, distinct) if len(f_case) else np.empty(0, np.int64)
    found = pos >= 0
    out[found] = np.array(KINDS, object)[kind[first[pos[found]]]]
    return out


def _by_rule(
    decisions: pa.Table,
    kind: np.ndarray,
    dec_fraud: np.ndarray,
    dec_legit: np.ndarray,
    dec_fen: np.ndarray,
    fraud_by_kind: Sequence[int],
) -> dict[str, dict[str, Any]]:
    """Backtest of every rule that fired, live or in shadow (see replay_metrics)."""
    live_names, live_rows = _firings("decisions", decisions, "rules")
    shadow_names, shadow_rows = _firings("decisions", decisions, "shadow_rules")
    names = pa.concat_arrays([live_names, shadow_names])
    if not len(names):
        return {}
    encoded = pc.dictionary_encode(names)
    rules = encoded.dictionary.to_pylist()
    code = _numpy(encoded.indices).astype(np.int64)
    n_rules = len(rules)
    live = np.bincount(code[: len(live_names)], minlength=n_rules)
    # One firing per (decision, rule): a rule listed twice, or live and shadow, counts once.
    pairs = np.sort(np.concatenate([live_rows, shadow_rows]) * n_rules + code)
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]
    row, code = pairs // n_rules, pairs % n_rules
    fraud, legit = dec_fraud[row], dec_legit[row]
    fired = np.bincount(code, minlength=n_rules)
    fired_fraud = np.bincount(code[fraud], minlength=n_rules)
    fired_legit = np.bincount(code[legit], minlength=n_rules)
    per_kind = np.bincount(code * len(KINDS) + kind[row], minlength=n_rules * len(KINDS))
    kinds = per_kind.reshape(n_rules, len(KINDS)) > 0
    fraud_fen = np.zeros(n_rules, np.int64)
    np.add.at(fraud_fen, code[fraud], dec_fen[row[fraud]])

    out: dict[str, dict[str, Any]] = {}
    for r in sorted(range(n_rules), key=rules.__getitem__):
        ff, fl = int(fired_fraud[r]), int(fired_legit[r])
        on = [k for k in range(len(KINDS)) if kinds[r, k]]
        out[rules[r]] = {
            "kinds": sorted(KINDS[k] for k in on),
            "shadow": bool(live[r] == 0),
            "fired": int(fired[r]),
            "fired_fraud": ff,
            "fired_legit": fl,
            "precision": _share(ff, ff + fl),
            "recall": _share(ff, sum(fraud_by_kind[k] for k in on)),
            "fraud_fen": int(fraud_fen[r]),
        }
    return out


__all__ = [
    "ACTIONS",
    "KINDS",
    "REQUIRED_COLUMNS",
    "UNKNOWN_FRAUD_TYPE",
    "replay_metrics",
    "stop_draw",
]
