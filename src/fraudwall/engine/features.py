"""The signals of DESIGN §5, computed for a batch from the state as it stood before each event.

Three steps per batch, in this order, so that each kind can use the ones before it:

1. `contact_features`: calls and SMS (caller reputation, gateway, spoofing, SIM age, the
   caller's fan-out and short-call / call-back / night shares);
2. `person_signals`: what happened to each person, as newest times — risky, international
   and new contacts (from step 1 and its decisions), calls in progress, remote-control and
   risky apps, risky URLs;
3. `transfer_features`: the payee's and the payer's signals, joining step 2 as of each
   transfer.

No look-ahead: every value counts only the state before the batch and the batch's events
strictly before the event (for the same entity's own stream, earlier events at the same
ms count too, in batch order). Flags and lists that decisions set (a number judged
fraudulent, an account in a report) take effect from the next batch. `absorb` folds the
batch into the state once its decisions are made.

Signals that span two entities (a payee's outflow, a call back to a number) are read by
running one windowed query over the union of both streams, with zero weight on the
side that only asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine.resolve import Resolver
from fraudwall.engine.state import EngineState
from fraudwall.engine.windows import BatchOrder, id_time_order
from fraudwall.model import DAY_MS, HOUR_MS, LOCAL_OFFSET_MS, MINUTE_MS

SHORT_CALL_MS = 30_000
REMOTE_PERMISSIONS = ("FOREGROUND_SERVICE_MEDIA_PROJECTION", "BIND_ACCESSIBILITY_SERVICE")
#: Permissions that let an app read codes, overlay screens or install more apps: an app
#: that asks for three or more of them is "risky" (loan and investment fraud apps do).
DANGEROUS_PERMISSIONS = (
    "READ_SMS",
    "RECEIVE_SMS",
    "SEND_SMS",
    "READ_CALL_LOG",
    "BIND_ACCESSIBILITY_SERVICE",
    "REQUEST_INSTALL_PACKAGES",
    "FOREGROUND_SERVICE_MEDIA_PROJECTION",
    "SYSTEM_ALERT_WINDOW",
    "QUERY_ALL_PACKAGES",
)
#: Cheap top-level domains abused for throwaway fraud sites.
RISKY_TLDS = (
    "top", "xyz", "club", "site", "live", "fun", "vip", "icu", "online", "shop", "work",
    "cc", "buzz", "cyou", "bond", "sbs", "cfd", "rest", "store", "link", "win", "loan",
)  # fmt: skip
_RISKY_TLD_RE = r"\.(" + "|".join(RISKY_TLDS) + r")$"
# A label mixing letters and digits (renzheng601, xs-dd7792): generated throwaway names.
_MIXED_LABEL_RE = r"(^|[.-])[a-z]+[0-9]+[a-z0-9]*\.|(^|[.-])[0-9]+[a-z]+[a-z0-9]*\."


def _days(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """(later - earlier) in days, nan where earlier is unknown (-1)."""
    out = (later - earlier) / DAY_MS
    out[earlier < 0] = np.nan
    return out


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(whole > 0, part / np.maximum(whole, 1), np.nan)


def _within(ts: np.ndarray, newest: np.ndarray, window_ms: int) -> np.ndarray:
    return (newest >= 0) & (ts - newest <= window_ms)


def _bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


# -- 1. calls and SMS ----------------------------------------------------------------------


@dataclass
class Contacts:
    """A batch's calls and SMS as one stream (calls first, then SMS, each in time order)."""

    n_calls: int
    ts: np.ndarray
    caller: np.ndarray  # phone ids
    callee: np.ndarray
    person: np.ndarray  # the callee's owner (-1 unknown)
    duration: np.ndarray  # ms; 0 for SMS and unanswered calls
    international: np.ndarray  # bool
    spoofed: np.ndarray  # bool
    pair: np.ndarray  # directed contact-pair ids caller→callee (see `_contact_pairs`)
    reverse: np.ndarray  # callee→caller
    country: pa.Array  # the caller's country code for international contacts, else null
    last_ways: tuple[np.ndarray, np.ndarray] | None = None  # see _last_either_way

    @cached_property
    def is_call(self) -> np.ndarray:
        out = np.zeros(len(self.ts), bool)
        out[: self.n_calls] = True
        return out

    @cached_property
    def counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What each contact adds to its caller's calls, short calls and night calls (0 / 1):
        made once, for the callers' signals and again for folding the batch into them."""
        hour = ((self.ts + LOCAL_OFFSET_MS) // HOUR_MS) % 24
        short = self.is_call & (self.duration < SHORT_CALL_MS)
        night = self.is_call & ((hour >= 22) | (hour < 6))
        return self.is_call.astype(np.int32), short.astype(np.int32), night.astype(np.int32)

    @cached_property
    def by_caller(self) -> BatchOrder:
        """The contacts sorted by caller: made once, for the callers' signals and again
        for folding the batch into them."""
        return BatchOrder.of(self.caller, self.ts)

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, rows: np.ndarray) -> Contacts:
        """The contacts at `rows` (increasing), as their own stream."""
        n_calls = int(np.searchsorted(rows, self.n_calls))
        pick = pa.array(rows)
        return Contacts(
            n_calls,
            self.ts[rows],
            self.caller[rows],
            self.callee[rows],
            self.person[rows],
            self.duration[rows],
            self.international[rows],
            self.spoofed[rows],
            self.pair[rows],
            self.reverse[rows],
            self.country.take(pick),
        )


#: Two-digit ITU country calling codes; "1" and "7" are the one-digit ones, the rest have 3.
_TWO_DIGIT_CODES = pa.array(
    ["20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
     "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
     "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"]
)  # fmt: skip


def country_of(numbers: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The country calling code of E.164 numbers ("+855..." → "855"), by the ITU's rule
    that codes are prefix-free: one digit for 1 and 7, two for a fixed set, else three."""
    digits = pc.utf8_slice_codeunits(numbers, 1, 4)
    one, two = pc.utf8_slice_codeunits(digits, 0, 1), pc.utf8_slice_codeunits(digits, 0, 2)
    is_one = pc.is_in(one, value_set=pa.array(["1", "7"]))
    is_two = pc.is_in(two, value_set=_TWO_DIGIT_CODES)
    out = pc.if_else(is_one, one, pc.if_else(is_two, two, digits))
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _countries(numbers: pa.ChunkedArray | pa.Array, abroad: np.ndarray) -> pa.Array:
    """The country calling code of the numbers of the contacts from abroad, null for the
    others (only the few from abroad are parsed)."""
    rows = np.flatnonzero(abroad)
    codes = country_of(numbers.take(pa.array(rows)))
    at = np.full(len(abroad), -1, np.int64)
    at[rows] = np.arange(len(rows))
    return codes.take(pa.array(at, mask=at < 0))


def _pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a << np.int64(32)) | b


def _contact_pairs(
    ids: Resolver, caller: np.ndarray, callee: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The directed pair ids caller→callee and callee→caller (new pairs join the index).

    The index holds each unordered pair of numbers once, as id u, so one probe finds both
    ways: 2u is the way from the lower number, 2u + 1 the way back (a number's contacts
    with itself are 2u both ways)."""
    lo, hi = np.minimum(caller, callee), np.maximum(caller, callee)
    both = 2 * ids.ids("contact_pairs", _pair_keys(lo, hi))
    return both + (caller > callee), both + (callee > caller)


def read_contacts(
    state: EngineState, calls: pa.Table | None, sms: pa.Table | None, ids: Resolver
) -> Contacts:
    """Resolve a batch's calls and SMS to ids (see `Resolver` for numbers not seen yet)."""
    parts = []
    countries: list[pa.Array] = []
    sides = [
        (table, who, whom)
        for table, who, whom in ((calls, "caller", "callee"), (sms, "sender", "receiver"))
        if table is not None and table.num_rows
    ]
    phones = ids.columns("phones", [t[c] for t, *cols in sides for c in cols])
    for k, (table, who, whom) in enumerate(sides):
        caller, callee = phones[2 * k], phones[2 * k + 1]
        intl = pc.equal(table["gateway"], "international")
        presented = (
            table["presented_number"] if "presented_number" in table.column_names else table[who]
        )
        # Spoofed: an inbound call from abroad to a domestic line that shows a domestic
        # number other than the calling line (a subscriber roaming abroad shows their own;
        # a domestic caller dialling abroad goes out, not in).
        spoofed = pc.and_(
            pc.and_(intl, pc.starts_with(table[whom], "+86")),
            pc.and_(pc.starts_with(presented, "+86"), pc.not_equal(presented, table[who])),
        )
        duration = (
            table["duration_ms"].to_numpy().astype(np.int64)
            if "duration_ms" in table.column_names
            else np.zeros(table.num_rows, np.int64)
        )
        from_abroad = _bool(intl)
        parts.append(
            (
                table["ts"].to_numpy().astype(np.int64),
                caller,
                callee,
                duration,
                from_abroad,
                _bool(spoofed),
            )
        )
        countries.append(_countries(table[who], from_abroad))
    n_calls = len(parts[0][0]) if parts and calls is not None and calls.num_rows else 0
    if not parts:
        e = np.empty(0, np.int64)
        no = e.astype(bool)
        return Contacts(0, e, e, e, e, e, no, no, e, e, pa.array([], pa.string()))
    ts, caller, callee, duration, intl, spoofed = (
        np.concatenate(x) for x in zip(*parts, strict=True)
    )
    pair, reverse = _contact_pairs(ids, caller, callee)
    person = state.phone_owner.get(callee)
    country = pa.concat_arrays(countries)
    return Contacts(
        n_calls, ts, caller, callee, person, duration, intl, spoofed, pair, reverse, country
    )


def contact_features(
    state: EngineState,
    c: Contacts,
    text_score: np.ndarray | None = None,
    text_probability: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The call and SMS features of every contact of the batch; the SMS text's lexicon
    score and fraud probability are given (`engine.TextScores`; 0 and nan for calls)."""
    n = len(c)
    ts = c.ts
    flagged = state.phone_flagged.get(c.caller)
    activated = state.phone_activated.get(c.caller)
    sim_age = _days(ts, activated)
    reputation = np.where(np.isnan(sim_age), 0.3, 0.3 + 0.7 * np.clip(sim_age / 180, 0, 1))
    reputation[(flagged >= 0) & (flagged <= ts)] = 0.0
    # A number on the risk lists has at most the reputation its listing leaves it.
    listed = _listed(state.phone_listed.get(c.caller), state.phone_listed_until.get(c.caller), ts)
    doubt = 1.0 - state.phone_listed_confidence.get(c.caller)
    reputation = np.where(listed, np.fmin(reputation, doubt), reputation)

    order, callers = c.by_caller, state.caller_24h
    fanout = callers.before_each("fanout", c.caller, ts, c.callee, order=order)
    one_call, one_short, one_night = c.counts
    calls = callers.before_each("calls", c.caller, ts, one_call, order=order)
    short = callers.before_each("short", c.caller, ts, one_short, order=order)
    night = callers.before_each("night", c.caller, ts, one_night, order=order)
    # Call-backs are credited to the number called back: each caller counts those that
    # reached it (the state's and this batch's earlier ones) before each of its contacts.
    back = _callbacks(state, c)
    callbacks = state.called_back_24h.before_each_among(
        "callbacks", order, c.callee[back], ts[back]
    )
    out = {
        "caller_reputation": reputation,
        "international_gateway": c.international,
        "spoofed": c.spoofed,
        "sim_age_days": sim_age,
        "caller_fanout_24h": fanout,
        "caller_short_call_share_24h": _share(short, calls),
        "caller_callback_share_24h": _share(callbacks, calls),
        "caller_night_share_24h": _share(night, calls),
    }
    out["sms_text_score"] = np.zeros(n) if text_score is None else text_score
    out["sms_fraud_probability"] = (
        np.full(n, np.nan) if text_probability is None else text_probability
    )
    return out


def _last_either_way(state: EngineState, c: Contacts) -> tuple[np.ndarray, np.ndarray]:
    """For each contact, the newest earlier contact caller→callee and callee→caller (-1:
    none), as of the contact; computed once per batch (kept on `c`)."""
    if c.last_ways is None:
        fwd, rev = _newest_each_way(c.pair, c.reverse, c.ts)
        last = state.contact_pair_last
        c.last_ways = (np.maximum(fwd, last.get(c.pair)), np.maximum(rev, last.get(c.reverse)))
    return c.last_ways


def _newest_each_way(
    pair: np.ndarray, reverse: np.ndarray, ts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`_last_either_way` within the batch alone: what `Latest.asof` of the pairs and of
    their reverses would give, from one sort instead of three. The two ways of a pair,
    2u and 2u + 1, sort together by (u, ts); per way, the newest contact before a
    contact is the last one that way before the first contact of its own (u, ts)."""
    n = len(ts)
    if not n:
        return ts.copy(), ts.copy()
    perm = id_time_order(pair >> 1, ts)
    u, when, way = pair[perm] >> 1, ts[perm], pair[perm] & 1
    at = np.arange(n)
    new_u = np.empty(n, bool)
    new_u[0] = True
    np.not_equal(u[1:], u[:-1], out=new_u[1:])
    first_of_u = np.maximum.accumulate(np.where(new_u, at, 0))
    new_key = new_u.copy()
    new_key[1:] |= when[1:] != when[:-1]
    before = np.maximum.accumulate(np.where(new_key, at, 0)) - 1  # before the same (u, ts)
    newest = []
    for x in (0, 1):
        last = np.maximum.accumulate(np.where(way == x, at, -1))[np.maximum(before, 0)]
        newest.append(np.where((before >= 0) & (last >= first_of_u), when[last], -1))
    fwd, rev = np.empty(n, np.int64), np.empty(n, np.int64)
    fwd[perm] = np.where(way == 0, newest[0], newest[1])
    rev[perm] = np.where(reverse[perm] & 1 == 0, newest[0], newest[1])
    return fwd, rev


def _callbacks(state: EngineState, c: Contacts) -> np.ndarray:
    """Calls that answer a call the other way in the previous 24 h (as of each call)."""
    return c.is_call & _within(c.ts, _last_either_way(state, c)[1], DAY_MS)


def previous_contact(state: EngineState, c: Contacts) -> np.ndarray:
    """For each contact, the newest earlier contact the same way (caller → callee), -1
    if none, as of the contact."""
    return _last_either_way(state, c)[0]


def new_contacts(state: EngineState, c: Contacts) -> np.ndarray:
    """Contacts between two numbers never in touch before (either way), as of each one."""
    fwd, rev = _last_either_way(state, c)
    return (fwd < 0) & (rev < 0)


# -- 2. what happened to each person -----------------------------------------------------


@dataclass
class PersonEvents:
    """A batch's person-level signal updates: who, when, and the value to keep (newest)."""

    person: np.ndarray
    ts: np.ndarray
    value: np.ndarray


def device_events(
    state: EngineState, installs: pa.Table | None, visits: pa.Table | None, ids: Resolver
) -> dict[str, PersonEvents]:
    """Remote-control and risky app installs, and visits to risky URLs, by device owner."""
    out: dict[str, PersonEvents] = {}
    if installs is not None and installs.num_rows:
        owner = state.device_owner.get(ids.ids("devices", installs["device_id"]))
        ts = installs["ts"].to_numpy().astype(np.int64)
        perms = installs["permissions"]
        flat = pc.list_flatten(perms)
        parent = pc.list_parent_indices(perms).to_numpy()
        remote = np.zeros(installs.num_rows, bool)
        danger = np.zeros(installs.num_rows, np.int64)
        for name in DANGEROUS_PERMISSIONS:
            hit = _bool(pc.ends_with(flat, name))
            danger += np.bincount(parent[hit], minlength=installs.num_rows)
            if name in REMOTE_PERMISSIONS:
                remote[parent[hit]] = True
        risky = danger >= 3
        out["remote_app"] = PersonEvents(owner[remote], ts[remote], ts[remote])
        out["risky_app"] = PersonEvents(owner[risky], ts[risky], ts[risky])
    if visits is not None and visits.num_rows:
        owner = state.device_owner.get(ids.ids("devices", visits["device_id"]))
        ts = visits["ts"].to_numpy().astype(np.int64)
        domain = pc.utf8_lower(visits["domain"])
        risky = _bool(
            pc.or_(
                pc.match_substring_regex(domain, _RISKY_TLD_RE),
                pc.match_substring_regex(
                    pc.binary_join_element_wise(domain, ".", ""), _MIXED_LABEL_RE
                ),
            )
        )
        out["risky_url"] = PersonEvents(owner[risky], ts[risky], ts[risky])
    return out


#: The person signals that contacts make (`contact_events`).
CONTACT_SIGNALS = ("risky_contact", "intl_contact", "new_contact", "call_end", "risky_talk")
#: An answered call at least this long is a conversation, not a missed blast.
TALK_MS = MINUTE_MS


def contact_events(
    c: Contacts, risky: np.ndarray, new: np.ndarray, foreign: np.ndarray
) -> dict[str, PersonEvents]:
    """The person-level updates a batch's contacts make (callee's owner)."""
    p, ts = c.person, c.ts

    def at(rows: np.ndarray) -> PersonEvents:  # the newest time is the contact's own
        when = ts[rows]
        return PersonEvents(p[rows], when, when)

    answered = np.flatnonzero(c.is_call & (c.duration > 0))
    talked = np.flatnonzero(risky & c.is_call & (c.duration >= TALK_MS))
    end = ts + c.duration
    return {
        "risky_contact": at(np.flatnonzero(risky)),
        "intl_contact": at(np.flatnonzero(c.international | (foreign == 1))),
        "new_contact": at(np.flatnonzero(new)),
        "call_end": PersonEvents(p[answered], ts[answered], end[answered]),
        "risky_talk": PersonEvents(p[talked], ts[talked], end[talked]),
    }


# -- 3. transfers --------------------------------------------------------------------------


@dataclass
class Transfers:
    ts: np.ndarray
    payer: np.ndarray  # account ids
    payee: np.ndarray
    amount: np.ndarray  # fen
    device: np.ndarray  # device ids (-1 none)
    person: np.ndarray  # the payer's owner (-1 unknown)
    pair: np.ndarray  # payer→payee pair ids

    @cached_property
    def by_payee(self) -> BatchOrder:
        """The transfers sorted by payee (made once, for the features and the update)."""
        return BatchOrder.of(self.payee, self.ts)

    @cached_property
    def by_payer(self) -> BatchOrder:
        """The transfers sorted by payer (made once, for the features and the update)."""
        return BatchOrder.of(self.payer, self.ts)

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, rows: np.ndarray) -> Transfers:
        """The transfers at `rows` (increasing), as their own stream."""
        return Transfers(
            self.ts[rows],
            self.payer[rows],
            self.payee[rows],
            self.amount[rows],
            self.device[rows],
            self.person[rows],
            self.pair[rows],
        )


def read_transfers(state: EngineState, table: pa.Table, ids: Resolver) -> Transfers:
    """Resolve a batch's transfers to ids (see `Resolver` for accounts not seen yet)."""
    payer, payee = ids.columns("accounts", [table["from_account"], table["to_account"]])
    device = (
        ids.ids("devices", table["device_id"])
        if "device_id" in table.column_names
        else np.full(table.num_rows, -1, np.int64)
    )
    pair = ids.ids("pay_pairs", _pair_keys(payer, payee))
    return Transfers(
        table["ts"].to_numpy().astype(np.int64),
        payer,
        payee,
        table["amount_fen"].to_numpy().astype(np.int64),
        device,
        state.account_owner.get(payer),
        pair,
    )


PERSON_SIGNALS = {
    # feature: (signal, window)
    "payer_risky_contact_6h": ("risky_contact", 6 * HOUR_MS),
    "payer_risky_contact_72h": ("risky_contact", 3 * DAY_MS),
    "payer_international_contact_6h": ("intl_contact", 6 * HOUR_MS),
    "payer_new_contact_6h": ("new_contact", 6 * HOUR_MS),
    "payer_remote_app_24h": ("remote_app", DAY_MS),
    "payer_risky_app_72h": ("risky_app", 3 * DAY_MS),
    "payer_risky_url_24h": ("risky_url", DAY_MS),
    "payer_risky_talk_24h": ("risky_talk", DAY_MS),  # talked a minute or more with a risky number
}


def transfer_features(
    state: EngineState, t: Transfers, events: dict[str, PersonEvents]
) -> dict[str, np.ndarray]:
    """TRANSFER_FEATURES for every transfer of the batch."""
    n = len(t)
    ts, a, b = t.ts, t.payer, t.payee
    by_payee, by_payer = t.by_payee, t.by_payer
    # Both sides of every transfer, payees first: one account's activity in or out.
    both_ids, both_ts = np.concatenate([b, a]), np.concatenate([ts, ts])
    both = BatchOrder.of(both_ids, both_ts)
    prev = state.account_seen.before_each(both_ids, both_ts, order=both)[:n]
    idle_since = np.maximum(prev, state.account_active_before.get(b))
    idle_since = np.where(idle_since >= 0, idle_since, state.account_opened.get(b))
    # The payee's outflow: what it paid out (as a payer) before each transfer to it; and
    # the payer's inflow: what it received (as a payee) before each transfer from it.
    out_24h = state.payer_24h.before_each_among("out_fen", by_payee, a, ts, t.amount)
    payer_in_24h = state.payee_24h.before_each_among("in_fen", by_payer, b, ts, t.amount)
    in_24h = state.payee_24h.before_each("in_fen", b, ts, t.amount, order=by_payee)
    out_7d = state.payer_7d.before_each("out_fen", a, ts, t.amount, order=by_payer)
    n_7d = state.payer_7d.before_each("out_n", a, ts, 1, order=by_payer)
    n_24h = state.payer_24h.before_each("out_n", a, ts, 1, order=by_payer)
    first = state.pay_pair_seen.before_each(t.pair, ts) < 0
    by_person = id_time_order(t.person, ts)  # shared by the person signals' queries
    device = state.account_last_device.get(b)
    on_device = state.device_7d.estimate("accounts", np.maximum(device, 0), ts)
    shared = np.where(device >= 0, np.maximum(np.rint(on_device) - 1, 0), 0)
    listed = _listed(state.account_listed.get(b), state.account_listed_until.get(b), ts)
    reported = state.account_reported.get(b)
    stopped_from = state.account_stopped_from.get(a)
    stopped = state.account_stopped_until.get(a)
    with np.errstate(all="ignore"):
        usual = np.where(n_7d > 0, out_7d / np.maximum(n_7d, 1), np.nan)
        passthrough = np.where(in_24h > 0, np.minimum(out_24h / np.maximum(in_24h, 1), 1.0), np.nan)
    f: dict[str, np.ndarray] = {
        "amount_fen": t.amount,
        "payee_account_age_days": _days(ts, state.account_opened.get(b)),
        "payee_dormant_days": _days(ts, idle_since),
        "payee_distinct_payers_1h": np.rint(
            state.payee_1h.before_each("payers", b, ts, a, order=by_payee)
        ),
        "payee_distinct_payers_24h": np.rint(
            state.payee_24h.before_each("payers", b, ts, a, order=by_payee)
        ),
        "payee_passthrough_24h": passthrough,
        "payee_shared_device_accounts": shared,
        "payee_on_risk_list": listed,
        "payee_in_reported_case": (reported >= 0) & (reported <= ts),
        "payer_first_to_payee": first,
        "payer_amount_ratio": t.amount / usual,
        "payer_on_call": state.call_end.asof(
            t.person, ts, *_upd(events, "call_end"), q_order=by_person
        )
        > ts,
        "payer_age": state.person_age.get(t.person),
        "payer_stopped": (stopped > ts) & (stopped_from <= ts),
        "payer_transfers_24h": n_24h,
        "payer_inflow_24h": payer_in_24h,  # what the payer's account received in a day
    }
    newest: dict[str, np.ndarray] = {}
    for feature, (signal, window) in PERSON_SIGNALS.items():
        if signal not in newest:
            latest = getattr(state, signal)
            newest[signal] = latest.asof(t.person, ts, *_upd(events, signal), q_order=by_person)
        f[feature] = _within(ts, newest[signal], window)
    return f


def _listed(since: np.ndarray, until: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """On a risk list at `ts`: listed (`since` >= 0) from `since`, and either with no end
    (`until` -1) or not yet expired (`ts` < `until`)."""
    return (since >= 0) & (since <= ts) & ((until < 0) | (ts < until))


def _upd(events: dict[str, PersonEvents], name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = events.get(name)
    if e is None:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    return e.person, e.ts, e.value


# -- folding a batch into the state --------------------------------------------------------


def absorb_contacts(state: EngineState, c: Contacts) -> None:
    if not len(c):
        return
    calls, short, night = c.counts
    folded = {"fanout": c.callee, "calls": calls, "short": short, "night": night}
    state.caller_24h.add(c.caller, c.ts, folded, order=c.by_caller)
    back = _callbacks(state, c)
    if back.any():
        state.called_back_24h.add(c.callee[back], c.ts[back], {"callbacks": 1})
    state.contact_pair_last.update(c.pair, c.ts)
    state.remember_contacts(c.caller, c.person, c.ts)


def absorb_person_events(state: EngineState, events: dict[str, PersonEvents]) -> None:
    for name, e in events.items():
        getattr(state, name).update(e.person, e.value)


def absorb_transfers(state: EngineState, t: Transfers, event_ids: pa.Array) -> None:
    if not len(t):
        return
    state.payee_1h.add(t.payee, t.ts, {"payers": t.payer}, order=t.by_payee)
    state.payee_24h.add(t.payee, t.ts, {"payers": t.payer, "in_fen": t.amount}, order=t.by_payee)
    for payers in (state.payer_24h, state.payer_7d):
        payers.add(t.payer, t.ts, {"out_fen": t.amount, "out_n": 1}, order=t.by_payer)
    state.account_seen.update(np.concatenate([t.payer, t.payee]), np.concatenate([t.ts, t.ts]))
    state.pay_pair_seen.update(t.pair, t.ts)
    used = t.device >= 0
    absorb_device_use(state, t.payer[used], t.device[used], t.ts[used])
    state.remember_transfers(event_ids, t.payee, t.ts)


def absorb_device_use(
    state: EngineState, accounts: np.ndarray, devices: np.ndarray, ts: np.ndarray
) -> None:
    """An account used on a device (a login, or a transfer made from it)."""
    if not len(accounts):
        return
    state.device_7d.add(devices, ts, {"accounts": accounts})
    order = np.argsort(ts, kind="stable")  # the newest use of each account wins
    state.account_last_device.set(accounts[order], devices[order])


def absorb_logins(state: EngineState, logins: pa.Table | None) -> None:
    if logins is None or not logins.num_rows:
        return
    accounts = state.keys["accounts"].lookup(logins["account_id"])
    devices = state.keys["devices"].lookup(logins["device_id"])
    known = (accounts >= 0) & (devices >= 0)
    ts = logins["ts"].to_numpy().astype(np.int64)
    absorb_device_use(state, accounts[known], devices[known], ts[known])
