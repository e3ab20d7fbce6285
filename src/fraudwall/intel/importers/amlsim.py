"""IBM AMLSim data as fraudwall tables (accounts, transfers in fen, ground truth), so the
detectors are measured on data with another shape than the simulator's.

Two shapes are read from one folder; column names are matched without regard to case, and
a file without a column a role needs is refused, naming the file and the column:

* a sample: ``nodes.csv`` (nodeid, isFraud, init_balance; fraudStep is not used) and
  ``transactions.csv`` (sourceNodeId, targetNodeId, value, time);
* the simulator's output: ``accounts.csv`` (ACCOUNT_ID | acct_id, IS_FRAUD | is_sar |
  prior_sar_count, INIT_BALANCE | initial_deposit), ``transactions.csv`` (TX_ID | tran_id,
  SENDER_ACCOUNT_ID | orig_acct, RECEIVER_ACCOUNT_ID | bene_acct, TX_AMOUNT | base_amt,
  TIMESTAMP | tran_timestamp, and when present IS_FRAUD | is_sar and ALERT_ID) and, when
  present, ``alerts.csv`` or ``alert_transactions.csv`` (TX_ID | tran_id, and when present
  ALERT_ID, ALERT_TYPE, IS_FRAUD | is_sar).

How AMLSim's values become fraudwall's (also recorded in the world's manifest):

* ids: accounts ``AML`` + AMLSim's id, transfers ``AMLT`` + the transaction id (the line
  in the file when the shape has none); one institution, ``AMLSIM`` (a bank);
* money: the decimal text is parsed to int64 fen with integer arithmetic, never through a
  float; fractions of a fen are refused, not rounded;
* time: AMLSim counts steps of a day. ``ts = start + step days + 12 h + rank`` in ms, where
  rank is the row's place among the rows of its step in file order: the events of a step
  keep the file's order, each has its own ts, and all sit at noon China time, so no hour of
  the day tells anything about an event. A time written as a date (``YYYY-MM-DD...``) is
  the step of that date counted from the start date;
* accounts: debit accounts opened at the start, with no owner (AMLSim has no people), the
  opening balance from the initial balance;
* truth: accounts flagged fraud (SAR) are ``mule``; transfers flagged fraud, or in an alert
  flagged fraud, are ``laundering`` (gang ``AMLG`` + the alert id; the typology when the
  alert type is one of fraudwall's).

Bad rows (a missing or repeated id, a garbled or negative amount, an unknown account, a bad
step or flag, a line with the wrong number of fields) go to `AmlsimImport.rejected` with
the file, the line, the field, the value and the reason: nothing is dropped silently.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from fraudwall.common import sha256_of, stable_argsort
from fraudwall.errors import InputError
from fraudwall.model import (
    BY_TABLE,
    DAY_MS,
    HOUR_MS,
    LOCAL_OFFSET_MS,
    AccountKind,
    Channel,
    EntityKind,
    InstitutionKind,
    Role,
    Typology,
    arrow_schema,
)
from fraudwall.model.units import LATEST_MS

#: 2017-01-01 00:00 China time (UTC+8), AMLSim's own base date, in ms UTC.
AMLSIM_START_TS: Final = 1_483_200_000_000
INSTITUTION_ID: Final = "AMLSIM"
ACCOUNT_PREFIX: Final = "AML"
TRANSFER_PREFIX: Final = "AMLT"
GANG_PREFIX: Final = "AMLG"
#: Where in its day a step's events sit: noon China time when the start is a local midnight.
IN_DAY_MS: Final = 12 * HOUR_MS
TIME_RULE: Final = (
    "ts = start_ts + step * 86400000 + 43200000 + rank of the row among the rows of its "
    "step, in file order (ms); a date is the step of that date from the start date"
)
MONEY_RULE: Final = "decimal text parsed to int64 fen with integer arithmetic; sub-fen refused"
_MAX_ID = 128 - len(TRANSFER_PREFIX)
_MAX_WHOLE_DIGITS = 15  # 10^15 yuan is 10^17 fen, far inside int64

REJECTED_SCHEMA: Final = pa.schema(
    [
        ("file", pa.string()),
        ("line", pa.int64()),  # the line in the file; the header is line 1
        ("field", pa.string()),
        ("value", pa.string()),
        ("reason", pa.string()),
    ]
)

# role -> the column names AMLSim's shapes use for it (lower case)
_ACCOUNT_COLUMNS: Final = {
    "id": ("nodeid", "account_id", "acct_id"),
    "fraud": ("isfraud", "is_fraud", "is_sar", "prior_sar_count"),
    "balance": ("init_balance", "initial_deposit"),
}
_TRANSFER_COLUMNS: Final = {
    "from": ("sourcenodeid", "sender_account_id", "orig_acct"),
    "to": ("targetnodeid", "receiver_account_id", "bene_acct"),
    "amount": ("value", "tx_amount", "base_amt"),
    "time": ("time", "timestamp", "tran_timestamp"),
}
_TRANSFER_OPTIONAL: Final = {
    "id": ("tx_id", "tran_id"),
    "fraud": ("is_fraud", "is_sar", "isfraud"),
    "alert": ("alert_id",),
}
_ALERT_COLUMNS: Final = {"tx": ("tx_id", "tran_id")}
_ALERT_OPTIONAL: Final = {
    "alert": ("alert_id",),
    "type": ("alert_type",),
    "fraud": ("is_fraud", "is_sar"),
}
_TRUE: Final = ("1", "true", "t", "yes", "y")
_FALSE: Final = ("0", "false", "f", "no", "n")
_NO_ALERT: Final = ("", "-1")


@dataclass(frozen=True)
class AmlsimImport:
    """An AMLSim folder as fraudwall tables (institutions, accounts, transfers, truth),
    the rows refused with their reasons, and what the world's manifest records of it."""

    shape: str  # "sample" (nodes.csv) or "output" (accounts.csv)
    tables: dict[str, pa.Table]
    rejected: pa.Table  # REJECTED_SCHEMA
    source: dict[str, Any]  # format, shape, files and their SHA-256, rules, rejected counts


# --- reading ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Csv:
    """A CSV file read as text columns (names in lower case), with each row's line."""

    path: Path
    table: pa.Table
    lines: np.ndarray  # int64, the line of each row (header = 1)
    bad_lines: pa.Table  # REJECTED_SCHEMA: lines that could not be split into the columns

    @property
    def name(self) -> str:
        return self.path.name

    def text(self, column: str) -> pa.ChunkedArray:
        return pc.utf8_trim_whitespace(self.table[column])


def _read_csv(path: Path) -> _Csv:
    if not path.is_file():
        raise InputError(str(path), "no such file")
    try:
        with path.open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f), None)
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text ({exc.reason})") from None
    if not header or not any(h.strip() for h in header):
        raise InputError(str(path), "empty: no header line")
    names = [h.strip().lstrip("\ufeff").strip().lower() for h in header]  # a BOM is no name
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(str(path), f"column {repeated[0]!r} appears twice in the header")
    invalid: list[tuple[int, str, str]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((
            int(row.number) if row.number is not None else -1, str(row.text),
            f"expected {row.expected_columns} fields, got {row.actual_columns}",
        ))  # fmt: skip
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(str(path), f"not a readable CSV file ({exc})") from None
    skipped = np.array(sorted(n for n, _, _ in invalid if n > 0), dtype=np.int64)
    every = np.arange(2, table.num_rows + len(invalid) + 2, dtype=np.int64)
    lines = np.setdiff1d(every, skipped, assume_unique=True)[: table.num_rows]
    bad = pa.table(
        {
            "file": [path.name] * len(invalid),
            "line": [n for n, _, _ in invalid],
            "field": [""] * len(invalid),
            "value": [text[:200] for _, text, _ in invalid],
            "reason": [reason for _, _, reason in invalid],
        },
        schema=REJECTED_SCHEMA,
    )
    return _Csv(path, table, lines, bad)


def _columns(
    file: _Csv,
    required: Mapping[str, Sequence[str]],
    optional: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """role -> the file's column for it; a missing required role is refused, naming the file
    and the column names that would do."""
    have = file.table.column_names
    picked: dict[str, str] = {}
    for role, aliases in {**required, **(optional or {})}.items():
        found = next((a for a in aliases if a in have), None)
        if found is not None:
            picked[role] = found
        elif role in required:
            raise InputError(
                str(file.path),
                f"missing column {aliases[0]!r} (the {role} column; AMLSim also names it "
                f"{' or '.join(repr(a) for a in aliases[1:]) or 'nothing else'}); "
                f"the file has {', '.join(have)}",
                hint="give an AMLSim sample (nodes.csv, transactions.csv) or AMLSim output "
                "(accounts.csv, transactions.csv, alerts.csv)",
            )
    return picked


# --- checks: one mask per problem, the first problem of a row is its reason ----------------
@dataclass(frozen=True)
class _Check:
    column: str  # the file's column (its value is shown)
    failed: np.ndarray  # bool per row
    reason: str


class _Checks:
    """The problems found in one file's rows, in the order a row is judged."""

    def __init__(self, file: _Csv) -> None:
        self.file = file
        self.items: list[_Check] = []

    def add(self, column: str, failed: Any, reason: str) -> None:
        """Rows of `column` failing with `reason` (a bool mask: numpy or Arrow, null = ok)."""
        mask = _bools(failed)
        if mask.any():
            self.items.append(_Check(column, mask, reason))

    def bad(self) -> np.ndarray:
        """Rows with any problem."""
        out = np.zeros(self.file.table.num_rows, dtype=bool)
        for item in self.items:
            out |= item.failed
        return out

    def rejected(self) -> pa.Table:
        """One row per refused row: its first problem, with the line and value."""
        n = self.file.table.num_rows
        first = np.full(n, -1, dtype=np.int64)
        for i in range(len(self.items) - 1, -1, -1):
            first[self.items[i].failed] = i
        parts = [self.file.bad_lines]
        for i, item in enumerate(self.items):
            rows = np.flatnonzero(first == i)
            if not len(rows):
                continue
            parts.append(
                pa.table(
                    {
                        "file": pa.array([self.file.name] * len(rows), pa.string()),
                        "line": pa.array(self.file.lines[rows], pa.int64()),
                        "field": pa.array([item.column] * len(rows), pa.string()),
                        "value": self.file.table[item.column].take(pa.array(rows)),
                        "reason": pa.array([item.reason] * len(rows), pa.string()),
                    },
                    schema=REJECTED_SCHEMA,
                )
            )
        table = pa.concat_tables(parts).combine_chunks()
        return table.take(pa.array(stable_argsort(table["line"].to_numpy())))


def _bools(values: np.ndarray | pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(bool, copy=False)
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _repeated(ids: pa.ChunkedArray) -> np.ndarray:
    """True where an earlier row has the same id."""
    codes = ids.combine_chunks().dictionary_encode().indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    return np.arange(len(codes)) != first[codes]


@dataclass(frozen=True)
class _Money:
    fen: np.ndarray  # int64, 0 where not parsed
    garbled: np.ndarray
    sub_fen: np.ndarray
    too_large: np.ndarray


_DECIMAL = r"^(?P<sign>[+-]?)(?P<whole>[0-9]*)(?:\.(?P<frac>[0-9]*))?$"


def parse_fen(text: pa.ChunkedArray | pa.Array) -> _Money:
    """Decimal text ("103.55", "-7", ".5") to int64 fen with integer arithmetic only: never
    through a float, so every fen of the text is kept; sub-fen digits other than zeros,
    exponents, thousands separators and empty text are flagged, not rounded."""
    text = pc.utf8_trim_whitespace(text)
    parts = pc.extract_regex(text, _DECIMAL)
    matched = _bools(parts.is_valid())
    sign = pc.fill_null(pc.struct_field(parts, "sign"), "")
    whole = pc.fill_null(pc.struct_field(parts, "whole"), "")
    frac = pc.fill_null(pc.struct_field(parts, "frac"), "")
    whole_len = pc.utf8_length(whole).to_numpy(zero_copy_only=False)
    frac_len = pc.utf8_length(frac).to_numpy(zero_copy_only=False)
    garbled = ~matched | ((whole_len == 0) & (frac_len == 0))
    too_large = ~garbled & (whole_len > _MAX_WHOLE_DIGITS)
    beyond = pc.utf8_slice_codeunits(frac, 2)
    sub_fen = ~garbled & ~_bools(pc.match_substring_regex(beyond, "^0*$"))
    ok = ~(garbled | too_large | sub_fen)
    ok_arr = pa.array(ok)
    whole_text = pc.if_else(ok_arr, pc.if_else(pc.equal(whole, ""), "0", whole), "0")
    cents_text = pc.if_else(ok_arr, pc.utf8_rpad(pc.utf8_slice_codeunits(frac, 0, 2), 2, "0"), "0")
    whole_v = np.asarray(pc.cast(whole_text, pa.int64()).to_numpy(zero_copy_only=False))
    cents_v = np.asarray(pc.cast(cents_text, pa.int64()).to_numpy(zero_copy_only=False))
    fen = whole_v * 100 + cents_v
    negative = _bools(pc.equal(sign, "-"))
    fen = np.where(negative, -fen, fen).astype(np.int64)
    return _Money(fen, garbled, sub_fen, too_large)


@dataclass(frozen=True)
class _Flags:
    value: np.ndarray  # bool
    garbled: np.ndarray


def _flags(text: pa.ChunkedArray) -> _Flags:
    low = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    true = _bools(pc.is_in(low, value_set=pa.array(_TRUE)))
    false = _bools(pc.is_in(low, value_set=pa.array(_FALSE)))
    return _Flags(true, ~(true | false))


@dataclass(frozen=True)
class _Steps:
    step: np.ndarray  # int64, 0 where not parsed
    garbled: np.ndarray
    negative: np.ndarray
    too_late: np.ndarray


def _steps(text: pa.ChunkedArray, start_ts: int) -> _Steps:
    """Whole-day steps from integer text, or from dates counted from the start's date."""
    text = pc.utf8_trim_whitespace(text)
    is_int = _bools(pc.match_substring_regex(text, r"^[+-]?[0-9]{1,12}$"))
    ints = pc.if_else(pa.array(is_int), text, "0")
    step = np.asarray(pc.cast(ints, pa.int64()).to_numpy(zero_copy_only=False))
    is_date = _bools(pc.match_substring_regex(text, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?$"))
    dates = pc.strptime(
        pc.utf8_slice_codeunits(text, 0, 10), format="%Y-%m-%d", unit="s", error_is_null=True
    )
    dated = _bools(dates.is_valid()) & is_date
    seconds = np.asarray(pc.fill_null(pc.cast(dates, pa.int64()), 0).to_numpy(zero_copy_only=False))
    start_day_s = (start_ts + LOCAL_OFFSET_MS) // DAY_MS * (DAY_MS // 1000)
    step = np.where(dated, (seconds - start_day_s) // (DAY_MS // 1000), step)
    garbled = ~(is_int | dated)
    negative = ~garbled & (step < 0)
    last_step = (LATEST_MS - start_ts - DAY_MS) // DAY_MS
    too_late = ~garbled & (step > last_step)
    step = np.where(garbled | negative | too_late, 0, step).astype(np.int64)
    return _Steps(step, garbled, negative, too_late)


# --- the import -----------------------------------------------------------------------------
def _shape(folder: Path) -> tuple[str, Path]:
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "no such folder"
        raise InputError(str(folder), problem, hint="give the folder of an AMLSim sample or output")
    nodes, accounts = folder / "nodes.csv", folder / "accounts.csv"
    if nodes.is_file() and accounts.is_file():
        raise InputError(
            str(folder), "holds both nodes.csv and accounts.csv: which AMLSim shape is it?"
        )
    if nodes.is_file():
        return "sample", nodes
    if accounts.is_file():
        return "output", accounts
    raise InputError(
        str(folder),
        "neither nodes.csv (an AMLSim sample) nor accounts.csv (AMLSim output) is in it",
    )


def _alerts_file(folder: Path) -> Path | None:
    for name in ("alerts.csv", "alert_transactions.csv"):
        if (folder / name).is_file():
            return folder / name
    return None


def _prefixed(prefix: str, ids: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(prefix, ids, "")


def _typologies(types: pa.ChunkedArray | pa.Array) -> pa.Array:
    """AMLSim's alert type as fraudwall's typology where they are the same ("fan_in"), else
    null ("bipartite", "stack", "random" have no counterpart)."""
    norm = pc.replace_substring_regex(pc.utf8_lower(pc.utf8_trim_whitespace(types)), "[- ]", "_")
    known = pa.array([t.value for t in Typology])
    return pc.if_else(pc.is_in(norm, value_set=known), norm, pa.scalar(None, pa.string()))


def import_amlsim(folder: Path, *, start_ts: int = AMLSIM_START_TS) -> AmlsimImport:
    """Read an AMLSim sample or output folder into fraudwall tables (see the module doc).

    `start_ts` (ms UTC, a local midnight) is when step 0 begins and the accounts open.
    Refuses (InputError) a folder of neither shape or a file without a column it needs;
    refuses rows one by one into `rejected`.
    """
    folder = Path(folder)
    shape, accounts_path = _shape(folder)
    if not 0 <= start_ts < LATEST_MS - DAY_MS:
        raise InputError("start_ts", f"must be a time in ms before 2100, got {start_ts}")
    acc_file = _read_csv(accounts_path)
    tx_file = _read_csv(folder / "transactions.csv")
    alerts_path = _alerts_file(folder) if shape == "output" else None
    al_file = _read_csv(alerts_path) if alerts_path is not None else None

    # accounts
    ac = _columns(acc_file, _ACCOUNT_COLUMNS)
    raw_ids = acc_file.text(ac["id"])
    money = parse_fen(acc_file.table[ac["balance"]])
    fraud = _flags(acc_file.table[ac["fraud"]])
    checks = _Checks(acc_file)
    checks.add(ac["id"], pc.equal(raw_ids, ""), "missing id")
    checks.add(ac["id"], pc.greater(pc.utf8_length(raw_ids), _MAX_ID), "id longer than 124")
    checks.add(ac["id"], _repeated(raw_ids), "repeated account id (an earlier line has it)")
    checks.add(ac["fraud"], fraud.garbled, "not a flag (0/1, true/false)")
    checks.add(ac["balance"], money.garbled, "not a decimal amount")
    checks.add(ac["balance"], money.too_large, "too large for int64 fen")
    checks.add(ac["balance"], money.sub_fen, "fractions of a fen (more than 2 decimals)")
    keep = ~checks.bad()
    rejected = [checks.rejected()]
    kept = pa.array(keep)
    account_raw = raw_ids.filter(kept)
    account_ids = _prefixed(ACCOUNT_PREFIX, account_raw)
    n_acc = len(account_ids)
    accounts = _build(
        "accounts",
        {
            "account_id": account_ids,
            "institution_id": pa.array([INSTITUTION_ID] * n_acc, pa.string()),
            "owner_person_id": pa.nulls(n_acc, pa.string()),
            "kind": pa.array([AccountKind.DEBIT_CARD.value] * n_acc, pa.string()),
            "opened_ts": pa.array(np.full(n_acc, start_ts, np.int64)),
            "opening_balance_fen": pa.array(money.fen[keep]),
            "credit_limit_fen": pa.array(np.zeros(n_acc, np.int64)),
            "last_active_ts": pa.nulls(n_acc, pa.int64()),
            "external_kind": pa.nulls(n_acc, pa.string()),
            "name": pa.nulls(n_acc, pa.string()),
        },
    )
    mules = account_ids.filter(pa.array(fraud.value[keep]))

    # transfers
    tc = _columns(tx_file, _TRANSFER_COLUMNS, _TRANSFER_OPTIONAL)
    tx_raw = (
        tx_file.text(tc["id"])
        if "id" in tc
        else pa.chunked_array([pa.array(tx_file.lines).cast(pa.string())])
    )
    src, dst = tx_file.text(tc["from"]), tx_file.text(tc["to"])
    amount = parse_fen(tx_file.table[tc["amount"]])
    steps = _steps(tx_file.table[tc["time"]], start_ts)
    tx_fraud = _flags(tx_file.table[tc["fraud"]]) if "fraud" in tc else None
    checks = _Checks(tx_file)
    if "id" in tc:
        checks.add(tc["id"], pc.equal(tx_raw, ""), "missing id")
        checks.add(tc["id"], pc.greater(pc.utf8_length(tx_raw), _MAX_ID), "id longer than 124")
        checks.add(tc["id"], _repeated(tx_raw), "repeated transaction id (an earlier line has it)")
    for role, ids in (("from", src), ("to", dst)):
        checks.add(tc[role], pc.equal(ids, ""), "missing account id")
        checks.add(
            tc[role],
            pc.invert(pc.is_in(ids, value_set=account_raw.combine_chunks())),
            f"unknown account (not among the accepted rows of {acc_file.name})",
        )
    checks.add(tc["amount"], amount.garbled, "not a decimal amount")
    checks.add(tc["amount"], amount.too_large, "too large for int64 fen")
    checks.add(tc["amount"], amount.sub_fen, "fractions of a fen (more than 2 decimals)")
    checks.add(tc["amount"], amount.fen < 0, "negative amount")
    checks.add(tc["amount"], amount.fen == 0, "zero amount: a transfer moves money")
    checks.add(tc["time"], steps.garbled, "not a step (a whole number of days) or a date")
    checks.add(tc["time"], steps.negative, "before the start (a negative step)")
    checks.add(tc["time"], steps.too_late, "a step past 2100")
    if tx_fraud is not None:
        checks.add(tc["fraud"], tx_fraud.garbled, "not a flag (0/1, true/false)")
    keep = ~checks.bad()
    rejected.append(checks.rejected())
    rows = np.flatnonzero(keep)
    step = steps.step[rows]
    order = stable_argsort(step)  # by step, file order within a step
    rows, step = rows[order], step[order]
    first_of_step = np.r_[True, step[1:] != step[:-1]] if len(step) else np.empty(0, bool)
    starts = np.maximum.accumulate(np.where(first_of_step, np.arange(len(step)), 0))
    rank = np.arange(len(step)) - starts
    if len(rank) and rank.max() >= DAY_MS - IN_DAY_MS:
        raise InputError(str(tx_file.path), "more transactions in one step than ms in half a day")
    ts = start_ts + step * DAY_MS + IN_DAY_MS + rank
    take = pa.array(rows)
    event_raw = tx_raw.take(take)
    event_ids = _prefixed(TRANSFER_PREFIX, event_raw)
    transfers = _build(
        "transfers",
        {
            "event_id": event_ids,
            "ts": pa.array(ts.astype(np.int64)),
            "institution_id": pa.array([INSTITUTION_ID] * len(rows), pa.string()),
            "from_account": _prefixed(ACCOUNT_PREFIX, src.take(take)),
            "to_account": _prefixed(ACCOUNT_PREFIX, dst.take(take)),
            "amount_fen": pa.array(amount.fen[rows]),
            "channel": pa.array([Channel.ONLINE.value] * len(rows), pa.string()),
            "device_id": pa.nulls(len(rows), pa.string()),
            "ip": pa.nulls(len(rows), pa.string()),
            "memo": pa.nulls(len(rows), pa.string()),
        },
    )

    # laundering: flagged in transactions.csv, or in an alert flagged fraud
    laundering = tx_fraud.value[rows] if tx_fraud is not None else np.zeros(len(rows), bool)
    if "alert" in tc:
        alert = tx_file.text(tc["alert"]).take(take)
    else:
        alert = pa.chunked_array([pa.nulls(len(rows), pa.string())])
    alert = pc.if_else(pc.is_in(alert, value_set=pa.array(_NO_ALERT)), None, alert)
    typology = pa.nulls(len(rows), pa.string())
    if al_file is not None:
        found, alerted_rejected = _alerted(al_file, event_raw)
        rejected.append(alerted_rejected)
        laundering |= found["laundering"]
        alert = pc.coalesce(alert, found["alert"])
        typology = found["typology"]
    launder = pa.array(laundering)
    truth = _truth(
        mules, event_ids.filter(launder), alert.filter(launder), typology.filter(launder)
    )

    institutions = _build(
        "institutions",
        {
            "institution_id": pa.array([INSTITUTION_ID]),
            "name": pa.array(["AMLSim bank"]),
            "kind": pa.array([InstitutionKind.BANK.value]),
        },
    )
    all_rejected = pa.concat_tables(rejected)
    files = [f for f in (acc_file, tx_file, al_file) if f is not None]
    counts = {f.name: all_rejected["file"].to_pylist().count(f.name) for f in files}
    source = {
        "format": "amlsim",
        "shape": shape,
        "folder": str(folder),
        "files": {
            f.name: {"rows": f.table.num_rows + f.bad_lines.num_rows, "sha256": sha256_of(f.path)}
            for f in files
        },
        "start_ts": start_ts,
        "time": TIME_RULE,
        "money": MONEY_RULE,
        "ids": f"accounts {ACCOUNT_PREFIX}+id, transfers {TRANSFER_PREFIX}+id (or +line)",
        "truth": "accounts flagged fraud: mule; transfers flagged fraud or alerted: laundering",
        "rejected": counts,
    }
    tables = {
        "institutions": institutions,
        "accounts": accounts,
        "transfers": transfers,
        "truth": truth,
    }
    return AmlsimImport(shape, tables, all_rejected, source)


def _alerted(al_file: _Csv, event_raw: pa.ChunkedArray) -> tuple[dict[str, Any], pa.Table]:
    """Per accepted transfer (its raw id): whether an alert flagged fraud names it, the
    alert's id and its typology; and the alert rows refused."""
    cols = _columns(al_file, _ALERT_COLUMNS, _ALERT_OPTIONAL)
    tx = al_file.text(cols["tx"])
    flags = _flags(al_file.table[cols["fraud"]]) if "fraud" in cols else None
    checks = _Checks(al_file)
    checks.add(cols["tx"], pc.equal(tx, ""), "missing transaction id")
    checks.add(
        cols["tx"],
        pc.invert(pc.is_in(tx, value_set=event_raw.combine_chunks())),
        "unknown transaction (not among the accepted rows of transactions.csv)",
    )
    if flags is not None:
        checks.add(cols["fraud"], flags.garbled, "not a flag (0/1, true/false)")
    ok = ~checks.bad()
    if flags is not None:
        ok &= flags.value  # an alert not flagged fraud says nothing of laundering
    n = al_file.table.num_rows
    alert_ids = al_file.text(cols["alert"]) if "alert" in cols else pa.nulls(n, pa.string())
    types = al_file.text(cols["type"]) if "type" in cols else pa.nulls(n, pa.string())
    rows = pa.array(np.flatnonzero(ok))
    alerts = pa.table(
        {"tx": tx.take(rows), "alert": alert_ids.take(rows), "type": types.take(rows)}
    )
    codes = alerts["tx"].combine_chunks().dictionary_encode().indices
    first = np.unique(codes.to_numpy(zero_copy_only=False), return_index=True)[1]
    alerts = alerts.take(pa.array(np.sort(first)))  # the first alert naming a transaction
    where = pc.index_in(event_raw.combine_chunks(), value_set=alerts["tx"].combine_chunks())
    hit = _bools(where.is_valid())
    pos = pc.fill_null(where, 0)
    alert = pc.if_else(pa.array(hit), alerts["alert"].combine_chunks().take(pos), None)
    alert = pc.if_else(pc.is_in(alert, value_set=pa.array(_NO_ALERT)), None, alert)
    types_known = _typologies(alerts["type"].combine_chunks())
    typology = pc.if_else(pa.array(hit), types_known.take(pos), None)
    return {"laundering": hit, "alert": alert, "typology": typology}, checks.rejected()


def _truth(
    mules: pa.Array, laundering: pa.Array, alerts: pa.Array | pa.ChunkedArray, typology: Any
) -> pa.Table:
    m, t = len(mules), len(laundering)
    gangs = pc.if_else(pc.is_valid(alerts), _prefixed(GANG_PREFIX, pc.fill_null(alerts, "")), None)
    return _build(
        "truth",
        {
            "entity_kind": pa.array(
                [EntityKind.ACCOUNT.value] * m + [EntityKind.TRANSFER.value] * t, pa.string()
            ),
            "entity_id": pa.concat_arrays([_array(mules), _array(laundering)]),
            "role": pa.array([Role.MULE.value] * m + [Role.LAUNDERING.value] * t, pa.string()),
            "case_id": pa.nulls(m + t, pa.string()),
            "gang_id": pa.concat_arrays([pa.nulls(m, pa.string()), _array(gangs)]),
            "fraud_type": pa.nulls(m + t, pa.string()),
            "typology": pa.concat_arrays([pa.nulls(m, pa.string()), _array(typology)]),
            "script_id": pa.nulls(m + t, pa.string()),
        },
    )


def _array(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks().cast(pa.string())
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array(values, pa.string())


def _build(name: str, columns: Mapping[str, Any]) -> pa.Table:
    schema = arrow_schema(BY_TABLE[name])
    arrays = [_column(columns[f.name]).cast(f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _column(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    return values if isinstance(values, pa.Array) else pa.array(values)


__all__ = ["AMLSIM_START_TS", "REJECTED_SCHEMA", "AmlsimImport", "import_amlsim", "parse_fen"]
