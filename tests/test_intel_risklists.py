"""Risk lists: entries in one form, merged per (kind, value, source), looked up as of a
time (an expired entry never counts), shared as CSV, read by the engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from engine_world import T0, registry, table, transfer
from pg import drop_postgres, fresh_postgres_url

from fraudwall.engine import Engine
from fraudwall.errors import InputError
from fraudwall.intel.risklists import (
    METADATA,
    RiskEntry,
    RiskListStore,
    check_entries,
    engine_view,
    entries_table,
    export_csv,
    import_csv,
    listed_spans,
    lookup_on,
    normalise,
    read_list_csv,
    upsert_on,
)

DAY = 86_400_000


def entry(
    kind: str = "account",
    value: str = "M1",
    source: str = "mules-model",
    confidence: float = 0.9,
    first: int = T0,
    last: int = T0 + DAY,
    expires: int = T0 + 30 * DAY,
    evidence: str = "pass-through 0.97",
) -> RiskEntry:
    return RiskEntry(kind, value, source, evidence, confidence, first, last, expires)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RiskListStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'lists.sqlite'}"
    else:
        url = fresh_postgres_url("fraudwall_risklists")
    s = RiskListStore(url)
    yield s
    s.close()
    if request.param != "sqlite":
        drop_postgres(url)


# --- one written form ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "raw", "form"),
    [
        ("number", "138-0000-0001", "+8613800000001"),
        ("number", "+86 138 0000 0001", "+8613800000001"),
        ("number", "008613800000001", "+8613800000001"),
        ("account", "6222 0200-1234", "622202001234"),
        ("domain", "Pay.例子.COM.", "pay.xn--fsqu00a.com"),
        ("url", "HTTPS://Pay.Example.COM:443/a?b=1#top", "https://pay.example.com/a?b=1"),
        ("url", "pay.example.com", "http://pay.example.com/"),
        ("app", " com.evil.loan ", "com.evil.loan"),
        ("device", " IMEI-86000111 ", "IMEI-86000111"),
    ],
)
def test_values_written_differently_are_kept_in_one_form(kind: str, raw: str, form: str) -> None:
    assert normalise(kind, raw) == form


def test_a_row_is_refused_for_its_first_problem_naming_the_field() -> None:
    rows = entries_table(
        [
            entry(),  # fine
            entry(kind="phone"),
            entry(kind="number", value="not a number"),
            entry(source="  "),
            entry(confidence=1.2),
            entry(first=1_780_000_000),  # seconds, not ms
            entry(first=T0 + 2 * DAY),  # first seen after last seen
            entry(expires=T0 + DAY),  # expires when last seen
            entry(kind="number", value="13800000001"),  # fine
        ]
    )
    result = check_entries(rows)
    assert result.accepted["value"].to_pylist() == ["M1", "+8613800000001"]
    assert result.accepted_rows.tolist() == [0, 8]
    assert [(r.row, r.field) for r in result.rejected] == [
        (1, "kind"),
        (2, "value"),
        (3, "source"),
        (4, "confidence"),
        (5, "first_seen_ts"),
        (6, "last_seen_ts"),
        (7, "expires_ts"),
    ]


def test_numbers_written_as_text_are_read_only_when_they_are_numbers() -> None:
    good = {"kind": "account", "value": "M1", "source": "s", "evidence": "",
            "confidence": "0.5", "first_seen_ts": str(T0), "last_seen_ts": f" {T0} ",
            "expires_ts": str(T0 + DAY)}  # fmt: skip
    cells = [
        ("confidence", "nan", "not a number"),
        ("confidence", "1e999", "must be within 0..1"),
        ("confidence", "", "not a number"),
        ("first_seen_ts", "1.78e12", "not a whole number of ms UTC"),
        ("last_seen_ts", "9" * 20, "not a whole number of ms UTC"),
        ("expires_ts", "tomorrow", "not a whole number of ms UTC"),
    ]
    rows = [good] + [{**good, name: text} for name, text, _ in cells]
    result = check_entries(pa.Table.from_pylist(rows))
    assert result.accepted_rows.tolist() == [0]
    assert result.accepted.to_pylist()[0]["last_seen_ts"] == T0
    assert [(r.field, r.reason) for r in result.rejected] == [(n, why) for n, _, why in cells]


def test_adding_a_bad_entry_stores_nothing(store: RiskListStore) -> None:
    with pytest.raises(InputError, match=r"entry 1: confidence: must be within 0..1"):
        store.add([entry(value="M1"), entry(value="M2", confidence=-0.1)])
    assert store.entries().num_rows == 0


# --- merging ---------------------------------------------------------------------------
def test_another_source_s_entry_is_kept_beside_and_a_lookup_takes_the_highest_confidence(
    store: RiskListStore,
) -> None:
    got = store.add([entry(source="mules-model", confidence=0.7)])
    assert (got.new, got.merged) == (1, 0)
    got = store.add([entry(source="confirmed-case", confidence=1.0, first=T0 + 2 * DAY,
                           last=T0 + 2 * DAY, expires=T0 + 90 * DAY)])  # fmt: skip
    assert (got.new, got.merged) == (1, 0)
    assert store.entries()["source"].to_pylist() == ["confirmed-case", "mules-model"]
    # T0 + 1 day: only the model's entry has begun; T0 + 3 days: both are live.
    one, both, later = (
        store.lookup("account", ["M1"], at).to_pylist()[0]
        for at in (T0 + DAY, T0 + 3 * DAY, T0 + 40 * DAY)
    )
    assert (one["confidence"], one["sources"]) == (0.7, ["mules-model"])
    assert (both["confidence"], sorted(both["sources"])) == (1.0, ["confirmed-case", "mules-model"])
    assert (both["first_seen_ts"], both["expires_ts"]) == (T0, T0 + 90 * DAY)
    assert (later["sources"], later["expires_ts"]) == (["confirmed-case"], T0 + 90 * DAY)


def test_the_same_source_again_is_taken_at_its_newest_word(store: RiskListStore) -> None:
    store.add([entry(confidence=0.9, first=T0, last=T0 + DAY, evidence="first run")])
    # A newer run of the same model: less sure, a shorter expiry; its first sighting later.
    newer = entry(confidence=0.6, first=T0 + DAY, last=T0 + 5 * DAY,
                  expires=T0 + 10 * DAY, evidence="second run")  # fmt: skip
    assert store.add([newer]).merged == 1
    # An old file imported late does not undo the newer word, but its first sighting counts.
    older = entry(confidence=1.0, first=T0 - DAY, last=T0, expires=T0 + 99 * DAY,
                  evidence="an old list")  # fmt: skip
    store.add([older])
    (row,) = store.entries().to_pylist()
    assert row == {
        "kind": "account", "value": "M1", "source": "mules-model", "evidence": "second run",
        "confidence": 0.6, "first_seen_ts": T0 - DAY, "last_seen_ts": T0 + 5 * DAY,
        "expires_ts": T0 + 10 * DAY,
    }  # fmt: skip


def test_one_batch_merges_as_several_do(tmp_path: Path) -> None:
    rows = [
        entry(confidence=0.9, first=T0, last=T0 + DAY, evidence="a"),
        entry(confidence=0.5, first=T0 - DAY, last=T0 + 3 * DAY, evidence="b"),
        entry(confidence=0.8, first=T0 + DAY, last=T0 + 3 * DAY, evidence="c"),  # tie: later
        entry(kind="number", value="13800000001", source="numbers-model"),
        entry(kind="number", value="+8613800000001", source="numbers-model", evidence="d"),
    ]
    with RiskListStore(f"sqlite:///{tmp_path / 'one.sqlite'}") as one:
        got = one.add(rows)
        assert (got.new, got.merged) == (2, 0)
        at_once = one.entries()
    with RiskListStore(f"sqlite:///{tmp_path / 'many.sqlite'}") as many:
        for r in rows:
            many.add([r])
        one_by_one = many.entries()
    assert at_once.equals(one_by_one)
    assert at_once["evidence"].to_pylist() == ["c", "d"]
    assert at_once["first_seen_ts"].to_pylist() == [T0 - DAY, T0]


# --- lookups ----------------------------------------------------------------------------
def test_a_lookup_answers_each_value_in_order_and_an_expired_entry_never_counts(
    store: RiskListStore,
) -> None:
    store.add([
        entry(kind="number", value="13800000001", first=T0, last=T0, expires=T0 + DAY),
        entry(kind="number", value="13800000002", first=T0, last=T0, expires=T0 + 9 * DAY),
    ])  # fmt: skip
    asked = ["+86 138 0000 0002", "13800000001", "13900000000", "138-0000-0001"]
    at = {ts: store.lookup("number", asked, ts)["listed"].to_pylist()
          for ts in (T0 - 1, T0, T0 + DAY - 1, T0 + DAY)}  # fmt: skip
    assert at == {
        T0 - 1: [False, False, False, False],  # not begun
        T0: [True, True, False, True],
        T0 + DAY - 1: [True, True, False, True],
        T0 + DAY: [True, False, False, False],  # the first number's entry has expired
    }
    answer = store.lookup("number", asked, T0).to_pylist()
    assert answer[0]["value"] == "+8613800000002" and answer[2]["confidence"] is None
    with pytest.raises(InputError, match=r"values\[1\]"):
        store.lookup("number", ["13800000001", "call me"], T0)


def test_a_link_is_listed_by_its_domain_and_the_answer_shows_expired_entries(
    store: RiskListStore,
) -> None:
    store.add([
        entry(kind="domain", value="evil.com", source="urls-model", evidence="lookalike"),
        entry(kind="url", value="https://a.evil.com/pay", source="import:x",
              expires=T0 + 2 * DAY),
    ])  # fmt: skip
    now = store.check("url", "HTTPS://A.Evil.com/pay#top", T0 + DAY)
    assert now.listed and now.value == "https://a.evil.com/pay"
    assert now.entries.select(["kind", "status"]).to_pylist() == [
        {"kind": "url", "status": "live"},
        {"kind": "domain", "status": "live"},
    ]
    late = store.check("url", "https://a.evil.com/pay", T0 + 40 * DAY)
    assert not late.listed
    assert late.entries["status"].to_pylist() == ["expired", "expired"]
    assert not store.check("domain", "notevil.com", T0 + DAY).listed


def test_the_service_can_hold_the_table_in_its_own_database(tmp_path: Path) -> None:
    """The table copied into another `MetaData` (as the service's schema would) is the
    one the functions of a connection query."""
    theirs = sa.MetaData()
    for t in METADATA.sorted_tables:
        t.to_metadata(theirs)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'service.sqlite'}")
    theirs.create_all(engine)
    with engine.begin() as conn:
        upsert_on(conn, [entry(kind="app", value="com.evil.loan", source="apps-model")])
        found = lookup_on(conn, "app", ["com.evil.loan", "com.bank.app"], T0 + 1)
    assert found["listed"].to_pylist() == [True, False]
    engine.dispose()


# --- CSV -------------------------------------------------------------------------------
HEADER = "kind,value,source,evidence,confidence,first_seen_ts,last_seen_ts,expires_ts\n"


def test_an_import_stores_the_good_rows_and_rejects_each_bad_one_with_its_row_and_reason(
    store: RiskListStore, tmp_path: Path
) -> None:
    lists = tmp_path / "shared.csv"
    lists.write_text(
        HEADER
        + f"number,138 0000 0001,,calls 300 numbers a day,0.95,{T0},{T0},{T0 + DAY}\n"
        + f"account,M1,confirmed-case,case 7,1,{T0},{T0},{T0 + DAY}\n"
        + f"account,M2,,x,high,{T0},{T0},{T0 + DAY}\n"
        + f"number,12,,x,0.5,{T0},{T0},{T0 + DAY}\n"
        + f"account,M3,,x,0.5,{T0 // 1000},{T0 // 1000},{T0 // 1000 + 86_400}\n",
        encoding="utf-8",
    )
    result = import_csv(store, lists)
    assert (result.rows, result.stored.new, result.rejected) == (5, 2, 3)
    assert result.rejected_path == tmp_path / "shared.rejected.csv"
    rejected = read_list_csv_rows(result.rejected_path)
    assert [(r["row"], r["field"], r["value"]) for r in rejected] == [
        ("3", "confidence", "M2"),
        ("4", "value", "12"),
        ("5", "first_seen_ts", "M3"),
    ]
    assert rejected[0]["reason"] == "not a number"
    stored = store.entries().to_pylist()
    assert [(r["value"], r["source"]) for r in stored] == [
        ("M1", "confirmed-case"),  # the row's own source
        ("+8613800000001", "import:shared.csv"),  # none given: the file it came in
    ]
    # Fixed and imported again: the rejected file goes, and the entries merge.
    lists.write_text(HEADER + f"account,M1,confirmed-case,case 7,1,{T0},{T0},{T0 + DAY}\n")
    again = import_csv(store, lists, source="bank-b")
    assert (again.stored.new, again.rejected, again.rejected_path) == (1, 0, None)
    assert not (tmp_path / "shared.rejected.csv").exists()
    assert store.lookup("account", ["M1"], T0)["sources"].to_pylist() == [
        ["bank-b", "confirmed-case"]
    ]


def read_list_csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (HEADER.replace(",expires_ts", ""), "missing column expires_ts"),
        (HEADER.rstrip("\n") + ",colour\n", "unknown column colour"),
        ("", "empty: no header"),
    ],
)  # fmt: skip
def test_a_file_whose_header_is_wrong_is_refused_whole(
    store: RiskListStore, tmp_path: Path, header: str, problem: str
) -> None:
    lists = tmp_path / "l.csv"
    lists.write_text(header)
    with pytest.raises(InputError, match=problem):
        import_csv(store, lists)
    assert store.entries().num_rows == 0


def test_an_export_imports_back_as_it_was(store: RiskListStore, tmp_path: Path) -> None:
    store.add([
        entry(evidence='{"reasons": ["fan-in 40", "夜间转出"], "note": "a, \\"b\\"\nc"}'),
        entry(kind="number", value="+8613800000001", source="numbers-model", confidence=0.25,
              expires=T0 + 2 * DAY),
        entry(kind="domain", value="pay.xn--fsqu00a.com", source="import:x", evidence=""),
    ])  # fmt: skip
    out = tmp_path / "all.csv"
    assert export_csv(store, out) == 3
    assert export_csv(store, tmp_path / "accounts.csv", kind="account") == 1
    back = RiskListStore(f"sqlite:///{tmp_path / 'back.sqlite'}")
    result = import_csv(back, out)
    assert result.rejected == 0
    assert back.entries().equals(store.entries())
    assert read_list_csv(tmp_path / "accounts.csv")["kind"].to_pylist() == ["account"]
    back.close()


def test_an_export_never_writes_over_a_file_that_is_not_a_list(
    store: RiskListStore, tmp_path: Path
) -> None:
    precious = tmp_path / "notes.csv"
    precious.write_text("name,phone\nmum,13800000001\n")
    with pytest.raises(InputError, match="is not a risk list file"):
        export_csv(store, precious)
    assert precious.read_text() == "name,phone\nmum,13800000001\n"


# --- what the engine reads -------------------------------------------------------------
def spans_of(rows: list[RiskEntry], at: int, min_confidence: float = 0.0) -> list[tuple]:
    t = check_entries(entries_table(rows)).accepted
    s = listed_spans(t, at, min_confidence)
    return list(zip(s.values.to_pylist(), s.from_ts.tolist(), s.until_ts.tolist(),
                    s.confidence.tolist(), strict=True))  # fmt: skip


def test_the_engine_gets_one_listing_per_value_spans_that_overlap_or_touch_joined() -> None:
    d = DAY
    rows = [
        # M1: [0, 10) and [5, 20) overlap, [20, 30) touches: one listing [0, 30)
        entry(value="M1", source="a", confidence=0.5, first=T0, last=T0, expires=T0 + 10 * d),
        entry(value="M1", source="b", confidence=0.9, first=T0 + 5 * d, last=T0 + 5 * d,
              expires=T0 + 20 * d),
        entry(value="M1", source="c", confidence=0.7, first=T0 + 20 * d, last=T0 + 20 * d,
              expires=T0 + 30 * d),
        # M2: [0, 2) then a gap, then [5, 9): the current listing, the later one not yet
        entry(value="M2", source="a", confidence=0.6, first=T0, last=T0, expires=T0 + 2 * d),
        entry(value="M2", source="b", confidence=1.0, first=T0 + 5 * d, last=T0 + 5 * d,
              expires=T0 + 9 * d),
    ]  # fmt: skip
    assert spans_of(rows, T0 + d) == [
        ("M1", T0, T0 + 30 * d, 0.9),
        ("M2", T0, T0 + 2 * d, 0.6),
    ]
    # Once M2's first listing has expired, the view made then carries the next one.
    assert spans_of(rows, T0 + 3 * d) == [
        ("M1", T0, T0 + 30 * d, 0.9),
        ("M2", T0 + 5 * d, T0 + 9 * d, 1.0),
    ]
    # Only the sure entries: M1's listing is b's alone, M2's the later one.
    assert spans_of(rows, T0 + d, min_confidence=0.8) == [
        ("M1", T0 + 5 * d, T0 + 20 * d, 0.9),
        ("M2", T0 + 5 * d, T0 + 9 * d, 1.0),
    ]
    assert spans_of(rows, T0 + 40 * d) == []  # all expired


def _pay(eid: str, ts: int) -> dict[str, pa.Table]:
    return {"transfers": table("transfers", [transfer(eid, ts, "A1", "M1", 300_000)])}


def test_a_payee_listed_in_the_store_is_blocked_by_the_engine_until_its_entry_expires(
    store: RiskListStore,
) -> None:
    engine = Engine.for_world(registry())
    assert engine.process(_pay("X1", T0)).decisions["action"][0].as_py() != "block"
    store.add([entry(value="M1", source="confirmed-case", first=T0, last=T0,
                     expires=T0 + 2 * DAY)])  # fmt: skip
    engine.use_risk_lists(store.engine_view(T0))
    assert engine.decide(_pay("X2", T0 + DAY)).to_pylist()[0]["rules"][0] == "payee_on_risk_list"
    late = engine.decide(_pay("X3", T0 + 2 * DAY)).to_pylist()[0]
    assert "payee_on_risk_list" not in late["rules"]
    # A view made after the expiry no longer names the account at all.
    assert len(engine_view(store.entries(), T0 + 2 * DAY).accounts) == 0
