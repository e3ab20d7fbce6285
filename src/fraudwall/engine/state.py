"""The engine's memory: every entity's attributes and rolling signals, in numpy arrays.

One `EngineState` holds what the engine knows between batches (DESIGN §5):

- key indexes that map accounts, phone numbers, people, devices and pairs (payer→payee,
  caller→callee) to dense ids;
- the registry: what institutions know about an entity before it acts (an account's
  opening date and owner, a number's activation date and country, a person's age, a
  device's owner), loaded from entity tables, unknown (−1 / nan) for entities first met
  in an event;
- rolling windows (1 h, 24 h, 7 d) of counts, sums and distinct counterparts, in row
  pools: one per kind of entity and bucket plan, each holding the columns folded from
  the same events (a payee's payers and inflow, a caller's calls, short calls, night
  calls and callees);
- the newest time of each cross-kind signal per person (a risky contact, a call in
  progress, a remote-control app, a risky URL), read as of each event;
- flags set by decisions and reports (numbers judged fraudulent, accounts named in a
  victim's report or a stop-payment order), and the risk lists' accounts and numbers with
  the span each is listed for (`use_risk_lists`);
- the events absorbed lately, by id (`recent`): a repeat is not taken again.

Everything is plain arrays, so the state snapshots to one `.npz` file plus the key
indexes as Arrow, with a manifest of their checksums that makes them one set (`save` /
`load`), and a scale-out store (Redis) can hold the same arrays per entity. The windows'
bucket sizes trade memory for precision, and their rows go back from entities idle for
a window (plus `LATENESS_MS`), so they cost memory for the entities active lately;
`nbytes_by_part` says what each part costs.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from fraudwall.common import (
    IdColumn,
    IntIndex,
    KeyIndex,
    capacity_for,
    hash_keys,
    holds_manifest_of,
    replace_folder,
    sha256_of,
)
from fraudwall.engine.poolcolumns import Column, Counter, Distinct
from fraudwall.engine.recent import RecentEvents
from fraudwall.engine.rowpool import RowPool
from fraudwall.engine.warnings import CallQuota
from fraudwall.engine.windows import LastSeen, Latest
from fraudwall.errors import InputError
from fraudwall.model import DAY_MS, HOUR_MS, MINUTE_MS, RiskListView

#: How long the engine remembers transfers (to resolve a report's transfer ids) and
#: contacts (to send a 12381 warning to everyone a newly flagged number reached).
TRANSFER_MEMORY_MS = 90 * DAY_MS
CONTACT_MEMORY_MS = 3 * DAY_MS
#: How far behind the newest event an event may arrive and still count exactly in the
#: rolling windows; an entity idle for a window plus this gives its window rows back.
LATENESS_MS = HOUR_MS
#: 6: the risk lists' spans (an account's end, numbers listed with a confidence); 5: the
#: events absorbed lately, by id (`recent`); 4: rolling windows in row pools (one
#: id -> row map for several columns), the warning state (96110 calls, numbers each person
#: was warned about), stop-payment spans.
STATE_FORMAT = 6

KEY_NAMES = (
    "accounts", "phones", "people", "devices", "pay_pairs", "contact_pairs", "warned_pairs"
)  # fmt: skip
#: Pairs of ids are packed into one int64 (payer << 32 | payee) and keyed as integers;
#: contact pairs unordered (lower << 32 | higher), so one probe finds a contact's both ways.
#: Warned pairs are (person << 32 | phone): a person warned about a number (see `was_warned`).
KEY_TYPES: dict[str, type[KeyIndex]] = {
    "pay_pairs": IntIndex,
    "contact_pairs": IntIndex,
    "warned_pairs": IntIndex,
}


def _rows_among(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The positions (increasing) of `values` that are in `wanted`: `np.isin` for a few
    wanted among a long log. `np.isin` sorts the log on every call; here each value's low
    bits pick a flag set by the wanted ones, and only the few flagged are compared exactly
    (64-bit integers: hashes, or dense ids, whose low bits differ)."""
    if not len(wanted) or not len(values):
        return np.empty(0, np.int64)
    size = 1 << max(12, (16 * len(wanted)).bit_length())  # few false candidates
    mask = values.dtype.type(size - 1)
    wanted = np.sort(np.asarray(wanted, values.dtype))
    flagged = np.zeros(size, bool)
    flagged[(wanted & mask).view(np.int64)] = True
    cand = np.flatnonzero(flagged[(values & mask).view(np.int64)])  # a view: no copy
    at = np.minimum(np.searchsorted(wanted, values[cand]), len(wanted) - 1)
    return cand[wanted[at] == values[cand]]


def _ts_or_missing(table: pa.Table, column: str) -> np.ndarray:
    if column not in table.column_names:
        return np.full(table.num_rows, -1, np.int64)
    return pc.fill_null(table[column], -1).to_numpy().astype(np.int64)


class TimeLog:
    """Recent events kept for a while (columns of a growing buffer): appending is amortised
    O(batch), and entries older than `memory_ms` are dropped when the buffer fills up."""

    def __init__(self, memory_ms: int, *columns: tuple[str, Any]) -> None:
        self.memory_ms = memory_ms
        self.n = 0
        self.columns = {"ts": np.zeros(1024, np.int64)}
        self.columns.update({name: np.zeros(1024, dtype) for name, dtype in columns})

    @property
    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.columns.values())

    def view(self) -> dict[str, np.ndarray]:
        return {k: v[: self.n] for k, v in self.columns.items()}

    def append(self, ts: np.ndarray, **values: np.ndarray) -> None:
        k = len(ts)
        if not k:
            return
        if self.n + k > len(self.columns["ts"]):
            keep = np.flatnonzero(self.columns["ts"][: self.n] >= int(ts.max()) - self.memory_ms)
            size = capacity_for(len(self.columns["ts"]), 2 * (len(keep) + k))
            for name, arr in self.columns.items():
                grown = np.zeros(size, arr.dtype)
                grown[: len(keep)] = arr[keep]
                self.columns[name] = grown
            self.n = len(keep)
        self.columns["ts"][self.n : self.n + k] = ts
        for name, v in values.items():
            self.columns[name][self.n : self.n + k] = v
        self.n += k

    def state_dict(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.view().items()}

    def restore(self, state: dict[str, np.ndarray]) -> None:
        self.n = 0
        ts = state["ts"]
        self.append(ts, **{k: v for k, v in state.items() if k != "ts"})


class TopFeatures:
    """Per entity (a caller), the packed top features of its last explained alert and
    when: an alert within a day reuses them (see `decide.TopMemo`)."""

    def __init__(self, ttl_ms: int = DAY_MS) -> None:
        self.ttl_ms = ttl_ms
        self.packed = IdColumn()
        self.at = IdColumn()

    @property
    def nbytes(self) -> int:
        return self.packed.nbytes + self.at.nbytes

    def lookup(self, groups: np.ndarray, ts: np.ndarray) -> np.ndarray:
        at = self.at.get(groups)
        fresh = (at >= 0) & (ts - at < self.ttl_ms)
        return np.where(fresh, self.packed.get(groups), -1)

    def store(self, groups: np.ndarray, ts: np.ndarray, packed: np.ndarray) -> None:
        self.packed.set(groups, packed)
        self.at.set(groups, ts)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"packed": self.packed.values[: len(self.packed)].copy(),
                "at": self.at.values[: len(self.at)].copy()}  # fmt: skip

    def restore(self, state: dict[str, np.ndarray]) -> None:
        self.packed.restore({"values": state["packed"]})
        self.at.restore({"values": state["at"]})


def _pool(window_ms: int, bucket_ms: int, **columns: Column) -> Any:
    """A factory of row pools (rows given back after `LATENESS_MS`) for `EngineState`."""
    return lambda: RowPool(window_ms, bucket_ms, columns, lateness_ms=LATENESS_MS)


@dataclass
class EngineState:
    """What the engine knows between batches; see the module doc."""

    keys: dict[str, KeyIndex] = field(
        default_factory=lambda: {k: KEY_TYPES.get(k, KeyIndex)() for k in KEY_NAMES}
    )
    # registry
    account_opened: IdColumn = field(default_factory=IdColumn)
    account_active_before: IdColumn = field(default_factory=IdColumn)  # before the history
    account_owner: IdColumn = field(default_factory=IdColumn)  # person id
    phone_owner: IdColumn = field(default_factory=IdColumn)
    phone_activated: IdColumn = field(default_factory=IdColumn)
    phone_foreign: IdColumn = field(default_factory=IdColumn)  # 1 foreign, 0 domestic, -1 ?
    person_age: IdColumn = field(default_factory=lambda: IdColumn(np.float64, np.nan))
    device_owner: IdColumn = field(default_factory=IdColumn)
    # flags and lists (a time: when it was set; -1 never)
    account_reported: IdColumn = field(default_factory=IdColumn)
    account_listed: IdColumn = field(default_factory=IdColumn)
    account_listed_until: IdColumn = field(default_factory=IdColumn)  # -1: no end
    account_stopped_from: IdColumn = field(default_factory=IdColumn)  # -1: from any time
    account_stopped_until: IdColumn = field(default_factory=IdColumn)
    account_last_device: IdColumn = field(default_factory=IdColumn)
    phone_flagged: IdColumn = field(default_factory=IdColumn)
    phone_blocks: IdColumn = field(default_factory=IdColumn)  # contacts blocked so far
    phone_listed: IdColumn = field(default_factory=IdColumn)  # on the risk lists from
    phone_listed_until: IdColumn = field(default_factory=IdColumn)
    phone_listed_confidence: IdColumn = field(default_factory=lambda: IdColumn(np.float64, np.nan))
    # explanations reused, per kind (their feature sets differ)
    caller_top: TopFeatures = field(default_factory=TopFeatures)
    sender_top: TopFeatures = field(default_factory=TopFeatures)
    # warnings: a person's last app push / SMS and 96110 call, the day's 96110 calls
    person_warned: IdColumn = field(default_factory=IdColumn)
    person_called: IdColumn = field(default_factory=IdColumn)
    call_quota: CallQuota = field(default_factory=CallQuota)
    # accounts: rolling windows, by payee (distinct payers, inflow) and by payer
    payee_1h: RowPool = field(default_factory=_pool(HOUR_MS, 10 * MINUTE_MS, payers=Distinct()))
    payee_24h: RowPool = field(
        default_factory=_pool(DAY_MS, 2 * HOUR_MS, payers=Distinct(), in_fen=Counter(np.int64))
    )
    payer_24h: RowPool = field(
        default_factory=_pool(
            DAY_MS, 2 * HOUR_MS, out_fen=Counter(np.int64), out_n=Counter(np.int32)
        )
    )
    payer_7d: RowPool = field(
        default_factory=_pool(
            7 * DAY_MS, DAY_MS, out_fen=Counter(np.int64), out_n=Counter(np.int32)
        )
    )
    account_seen: LastSeen = field(default_factory=lambda: LastSeen(1024))
    pay_pair_seen: LastSeen = field(default_factory=lambda: LastSeen(1024))
    # devices: accounts used on each device in a week (device farms)
    device_7d: RowPool = field(default_factory=_pool(7 * DAY_MS, DAY_MS, accounts=Distinct()))
    # phone numbers as callers / senders: numbers reached, calls, short and night calls
    caller_24h: RowPool = field(
        default_factory=_pool(
            DAY_MS,
            2 * HOUR_MS,
            fanout=Distinct(),
            calls=Counter(np.int32),
            short=Counter(np.int32),
            night=Counter(np.int32),
        )
    )
    # phone numbers called back (by the numbers they called): the call-backs they got
    called_back_24h: RowPool = field(
        default_factory=_pool(DAY_MS, 2 * HOUR_MS, callbacks=Counter(np.int32))
    )
    contact_pair_last: Latest = field(default_factory=lambda: Latest(1024))  # by directed pair
    # people: the newest time of each payer-side signal
    risky_contact: Latest = field(default_factory=lambda: Latest(1024))
    intl_contact: Latest = field(default_factory=lambda: Latest(1024))
    new_contact: Latest = field(default_factory=lambda: Latest(1024))
    call_end: Latest = field(default_factory=lambda: Latest(1024))
    remote_app: Latest = field(default_factory=lambda: Latest(1024))
    risky_app: Latest = field(default_factory=lambda: Latest(1024))
    risky_url: Latest = field(default_factory=lambda: Latest(1024))
    risky_talk: Latest = field(default_factory=lambda: Latest(1024))  # end of the call
    # recent history kept to act on later news (reports, flags)
    transfer_log: TimeLog = field(
        default_factory=lambda: TimeLog(
            TRANSFER_MEMORY_MS, ("hash", np.uint64), ("payee", np.int64)
        )
    )
    contact_log: TimeLog = field(
        default_factory=lambda: TimeLog(
            CONTACT_MEMORY_MS, ("caller", np.int64), ("person", np.int64)
        )
    )
    # the events absorbed lately, by id: a repeat of one is not taken again
    recent_events: RecentEvents = field(default_factory=RecentEvents)
    clock: int = -1  # the newest event time absorbed

    # -- the registry ---------------------------------------------------------------------

    def load_registry(self, tables: dict[str, pa.Table]) -> None:
        """Load what institutions know about entities (people, accounts, phones, devices)."""
        people = self.keys["people"]
        if "people" in tables:
            t = tables["people"]
            ids = people.lookup(t["person_id"])
            self.person_age.set(ids, t["age"].to_numpy().astype(np.float64))
        if "accounts" in tables:
            t = tables["accounts"]
            ids = self.keys["accounts"].lookup(t["account_id"])
            self.account_opened.set(ids, _ts_or_missing(t, "opened_ts"))
            self.account_active_before.set(ids, _ts_or_missing(t, "last_active_ts"))
            self.account_owner.set(ids, people.lookup(t["owner_person_id"]))
        if "phones" in tables:
            t = tables["phones"]
            ids = self.keys["phones"].lookup(t["number"])
            self.phone_owner.set(ids, people.lookup(t["owner_person_id"]))
            self.phone_activated.set(ids, _ts_or_missing(t, "activated_ts"))
            foreign = pc.not_equal(t["country_code"], "86").to_numpy(zero_copy_only=False)
            self.phone_foreign.set(ids, foreign.astype(np.int64))
        if "devices" in tables:
            t = tables["devices"]
            ids = self.keys["devices"].lookup(t["device_id"])
            self.device_owner.set(ids, people.lookup(t["owner_person_id"]))

    def list_accounts(self, accounts: Any, ts: int) -> None:
        """Put accounts on the risk list from `ts` on, with no end (one institution's
        word); `use_risk_lists` replaces the lists whole."""
        ids = self.keys["accounts"].lookup(accounts)
        self.account_listed.maximum(ids, ts)

    def use_risk_lists(self, view: RiskListView) -> None:
        """Take the risk lists as `view` has them, in place of those held so far: a value
        the view leaves out is no longer listed, and each listed one counts from its
        `from_ts` until (not at) its `until_ts`."""
        accounts, numbers = view.accounts, view.numbers
        self.account_listed, self.account_listed_until = IdColumn(), IdColumn()
        ids = self.keys["accounts"].lookup(accounts.values)
        self.account_listed.set(ids, accounts.from_ts)
        self.account_listed_until.set(ids, accounts.until_ts)
        self.phone_listed, self.phone_listed_until = IdColumn(), IdColumn()
        self.phone_listed_confidence = IdColumn(np.float64, np.nan)
        ids = self.keys["phones"].lookup(numbers.values)
        self.phone_listed.set(ids, numbers.from_ts)
        self.phone_listed_until.set(ids, numbers.until_ts)
        self.phone_listed_confidence.set(ids, numbers.confidence)

    def flag_phones(self, numbers: Any, ts: int) -> np.ndarray:
        """Mark numbers as fraudulent from ts on; returns their ids."""
        ids = self.keys["phones"].lookup(numbers)
        self.phone_flagged.maximum(ids, ts)
        return ids

    def stop_accounts(self, accounts: Any, until_ts: Any, from_ts: Any = -1) -> None:
        """A stop-payment or freeze: the accounts may receive but not pay out from `from_ts`
        (-1: whatever the time) until `until_ts`. A span that meets an account's current
        one joins it; one after it has ended replaces it."""
        ids = self.keys["accounts"].lookup(accounts)
        start = np.broadcast_to(np.asarray(from_ts, np.int64), ids.shape)
        end = np.broadcast_to(np.asarray(until_ts, np.int64), ids.shape)
        old_from, old_until = (
            self.account_stopped_from.get(ids),
            self.account_stopped_until.get(ids),
        )
        joined = old_until >= start
        self.account_stopped_from.set(ids, np.where(joined, np.minimum(old_from, start), start))
        self.account_stopped_until.set(ids, np.where(joined, np.maximum(old_until, end), end))

    def lift_stop(self, accounts: Any) -> None:
        """Lift stop-payment orders early (the order was withdrawn or the case closed)."""
        ids = self.keys["accounts"].lookup(accounts, add=False)
        self.account_stopped_until.set(ids, -1)

    # -- logs -----------------------------------------------------------------------------

    def remember_transfers(self, event_ids: pa.Array, payees: np.ndarray, ts: np.ndarray) -> None:
        self.transfer_log.append(ts, hash=hash_keys(event_ids), payee=payees)

    def payees_of(self, transfer_ids: Any) -> tuple[np.ndarray, np.ndarray]:
        """(payee account ids, the position in `transfer_ids` of the transfer each one
        comes from) for the remembered transfers among `transfer_ids` (others skipped)."""
        wanted = hash_keys(transfer_ids)
        log = self.transfer_log.view()
        hit = _rows_among(log["hash"], wanted[wanted != 0])
        order = np.argsort(wanted, kind="stable")
        at = order[np.searchsorted(wanted[order], log["hash"][hit])]
        return log["payee"][hit], at

    def remember_contacts(self, callers: np.ndarray, people: np.ndarray, ts: np.ndarray) -> None:
        known = people >= 0
        self.contact_log.append(ts[known], caller=callers[known], person=people[known])

    def contacted_by(self, callers: np.ndarray, before_ts: int) -> tuple[np.ndarray, np.ndarray]:
        """(person ids, caller ids) of everyone these numbers reached in the remembered days."""
        log = self.contact_log.view()
        hit = _rows_among(log["caller"], callers)
        hit = hit[log["ts"][hit] < before_ts]
        return log["person"][hit], log["caller"][hit]

    def remember_warned(self, people: np.ndarray, phones: np.ndarray) -> None:
        """These people were warned about these numbers (a 12381 SMS is not sent again)."""
        self.keys["warned_pairs"].lookup((people << np.int64(32)) | phones)

    def was_warned(self, people: np.ndarray, phones: np.ndarray) -> np.ndarray:
        """Whether each person was warned about the number beside it."""
        return self.keys["warned_pairs"].lookup((people << np.int64(32)) | phones, add=False) >= 0

    # -- snapshots ------------------------------------------------------------------------

    def _parts(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k not in ("keys", "clock")}

    def nbytes_by_part(self) -> dict[str, int]:
        """Bytes held by each part (arrays at their current capacity)."""
        out = {f"keys.{k}": v.nbytes for k, v in self.keys.items()}
        for name, part in self._parts().items():
            out[name] = int(part.nbytes)
        return out

    def save(self, directory: Path | str, about: Mapping[str, Any] | None = None) -> Path:
        """Write the state as one consistent set: state.npz, one Arrow file per key index
        and manifest.json (the state format, every file's size and sha256, and `about`:
        what the state was made with). The set is written to a temporary folder and moved
        into place whole, over an earlier snapshot if there is one (never over a folder
        that holds something else)."""
        out = Path(directory)
        with replace_folder(
            out, force=True, may_replace=is_snapshot_folder, what="an engine snapshot"
        ) as staging:
            self._write(staging, dict(about or {}))
        return out

    def _write(self, out: Path, about: dict[str, Any]) -> None:
        arrays: dict[str, np.ndarray] = {
            "format": np.array([STATE_FORMAT]),
            "clock": np.array([self.clock]),
        }
        for name, part in self._parts().items():
            for k, v in part.state_dict().items():
                arrays[f"{name}.{k}"] = v
        np.savez(out / "state.npz", **arrays)  # type: ignore[arg-type]
        for name, index in self.keys.items():
            feather.write_feather(pa.table({"key": index.to_arrow()}), out / f"keys_{name}.arrow")
        files = {
            p.name: {"bytes": p.stat().st_size, "sha256": sha256_of(p)}
            for p in sorted(out.iterdir())
        }
        manifest = {"kind": SNAPSHOT_KIND, "state_format": STATE_FORMAT, **about, "files": files}
        text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False)
        (out / MANIFEST).write_text(text + "\n")

    @classmethod
    def load(cls, directory: Path | str, expect: Mapping[str, Any] | None = None) -> EngineState:
        """Read a state written by `save`, verified first (see `load_snapshot`)."""
        return cls.load_snapshot(directory, expect)[0]

    @classmethod
    def load_snapshot(
        cls, directory: Path | str, expect: Mapping[str, Any] | None = None
    ) -> tuple[EngineState, dict[str, Any]]:
        """A state written by `save` and its manifest, verified first: every file the
        manifest names, with its size and sha256 (files of two snapshots, or a damaged
        one, are refused), and what it was made with: every key of `expect` must be the
        manifest's (`InputError` saying what differs)."""
        src = Path(directory)
        manifest = read_snapshot_manifest(src)
        for key, wanted in (expect or {}).items():
            made = manifest.get(key)
            if made != wanted:
                what = key.removesuffix("_id")
                raise InputError(
                    str(src / MANIFEST),
                    f"the snapshot was made with another {what} ({key} {_short(made)}, "
                    f"not {_short(wanted)}): restored, it would decide differently",
                    hint=f"restore it with the {what} it was made with",
                )
        return cls._read(src), manifest

    @classmethod
    def _read(cls, src: Path) -> EngineState:
        state = cls()
        try:
            with np.load(src / "state.npz") as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise InputError(str(src / "state.npz"), f"cannot be read: {exc}") from exc
        state.clock = int(arrays["clock"][0])
        for name, part in state._parts().items():
            sub = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{name}.")}
            if isinstance(part, IdColumn | TimeLog | TopFeatures):
                part.restore(sub)
            else:
                setattr(state, name, type(part).from_state(sub))
        for name in KEY_NAMES:
            keys = feather.read_table(src / f"keys_{name}.arrow")["key"]
            state.keys[name] = KEY_TYPES.get(name, KeyIndex).from_arrow(keys)
        return state


def _short(value: Any) -> str:
    """An id as a message shows it: its first 16 characters, or "none"."""
    return "none" if value is None else str(value)[:16]


#: A snapshot's manifest, and its `kind`.
MANIFEST = "manifest.json"
SNAPSHOT_KIND = "fraudwall engine snapshot"


def read_snapshot_manifest(src: Path) -> dict[str, Any]:
    """A snapshot's manifest, once every file it names is there with its size and sha256
    and no other state file is; `InputError` naming the file otherwise."""
    path = src / MANIFEST
    if not src.is_dir():
        raise InputError(str(src), "no engine snapshot here (not a folder)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(str(src), "no engine snapshot here (no manifest.json)") from exc
    except (OSError, ValueError) as exc:
        raise InputError(str(path), f"not a snapshot manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("kind") != SNAPSHOT_KIND:
        raise InputError(str(path), "not an engine snapshot's manifest")
    if manifest.get("state_format") != STATE_FORMAT:
        raise InputError(
            str(path),
            f"snapshot format {manifest.get('state_format')!r}, this fraudwall reads "
            f"{STATE_FORMAT}",
            hint="make the snapshot again with this fraudwall",
        )
    files = manifest.get("files")
    wanted = {"state.npz", *(f"keys_{name}.arrow" for name in KEY_NAMES)}
    if not isinstance(files, dict) or set(files) != wanted:
        raise InputError(str(path), "the manifest does not name the snapshot's files")
    for name, info in sorted(files.items()):
        file = src / name
        if not file.is_file():
            raise InputError(str(file), "missing: the snapshot is incomplete")
        if file.stat().st_size != info.get("bytes") or sha256_of(file) != info.get("sha256"):
            raise InputError(
                str(file),
                "does not match the snapshot's manifest: the files come from different "
                "snapshots, or this one was changed or damaged",
                hint="restore a whole snapshot, as `snapshot` wrote it",
            )
    return manifest


def is_snapshot_folder(folder: Path) -> bool:
    """Whether a snapshot may be written over `folder`: empty, or an engine snapshot."""
    return holds_manifest_of(folder, SNAPSHOT_KIND)
