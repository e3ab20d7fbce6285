"""The case store never holds something wrong (issue 11, findings 1 and 4).

* A store is bound to the world it was made from: beside another world, every command
  refuses it, naming the file and both world ids.
* Commands that only read never make a store, and a folder without a world, a world
  without a store or a damaged store file is one line, never a traceback.
* `cases stop` and `cases return` store their cases, orders, policy and audit entries in
  one transaction: killed (SIGINT, SIGKILL) at any point of it, the store is as before, and
  the re-run gives what an uninterrupted run gives; two runs at once are serialised.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pg import drop_postgres, fresh_postgres_url
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError, RunError
from fraudwall.funds import AuditEntry, CaseStore
from fraudwall.funds import store as store_module
from fraudwall.funds.store import STORE_FILE, TEST_KILL_ENV, WORLD_KEY
from fraudwall.model import Order, OrderKind, OrderState
from fraudwall.sim import SimConfig, read_world, simulate, write_world

runner = CliRunner()
Content = dict[str, list[tuple[Any, ...]]]
READERS = (("cases", "list"), ("cases", "orders"), ("cases", "audit"))
WRITERS = (("cases", "open"), ("cases", "stop"), ("cases", "return"))


# --- worlds and stores ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two small worlds of two seeds, with cases, orders and returns."""
    root = tmp_path_factory.mktemp("store-safety")
    made = []
    for seed in (5, 6):
        config = SimConfig(people=600, days=7, seed=seed, fraud_rate=800.0)
        made.append(write_world(simulate(config), root / f"seed{seed}"))
    return made[0], made[1]


@pytest.fixture(scope="module")
def steps(worlds: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The first world's store after `cases open`, `cases stop` and `cases return`, each kept
    as a file (an uninterrupted run, the reference)."""
    world = _copy(worlds[0], tmp_path_factory.mktemp("reference"))
    kept = []
    for step in WRITERS:
        _cli(*step, str(world))
        kept.append(Path(shutil.copy(world / STORE_FILE, world.parent / f"{step[1]}.sqlite")))
    return kept


def _copy(world: Path, parent: Path, store: Path | None = None) -> Path:
    copy = Path(shutil.copytree(world, parent / "w"))
    if store is not None:
        shutil.copy(store, copy / STORE_FILE)
    return copy


def _on(world: Path, args: tuple[str, ...]) -> list[str]:
    """The command line of `args` (a command and its options) on `world`."""
    words = 1 if args[0] == "trace" else 2
    return [*args[:words], str(world), *args[words:]]


def _cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())  # the message as one line, whatever the width


def _content(store_file: Path) -> Content:
    """Every row of every table (the audit trail in its order, without its row numbers)."""
    with sqlite3.connect(store_file) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        content = {}
        for t in sorted(tables):
            if t == "audit":
                rows = conn.execute(
                    "SELECT ts, actor, action, subject, detail, figures FROM audit ORDER BY seq"
                )
                content[t] = list(rows)
            else:
                content[t] = sorted(conn.execute(f"SELECT * FROM {t}"), key=repr)
    return content


def _totals(store_file: Path) -> tuple[int, int, int]:
    """Orders, their amounts in fen, and audit entries."""
    with sqlite3.connect(store_file) as conn:
        orders, fen = conn.execute("SELECT count(*), sum(amount_fen) FROM orders").fetchone()
        (entries,) = conn.execute("SELECT count(*) FROM audit").fetchone()
    return orders, fen or 0, entries


# --- bound to its world ---------------------------------------------------------------------
def test_the_store_records_the_world_it_was_made_from(
    worlds: tuple[Path, Path], steps: list[Path]
) -> None:
    with sqlite3.connect(steps[0]) as conn:
        (value,) = conn.execute("SELECT value FROM meta WHERE key = ?", (WORLD_KEY,)).fetchone()
    assert value == f'"{read_world(worlds[0]).world_id}"'


@pytest.mark.parametrize(
    "args", [*READERS, *WRITERS, ("trace", "--case", "RP0000000000")], ids=lambda a: a[-1]
)
def test_a_store_beside_another_world_is_refused(
    worlds: tuple[Path, Path], steps: list[Path], tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Finding 1: a store left beside a new world traced the old cases through the new
    world's transfers, with exit 0."""
    other = _copy(worlds[1], tmp_path, store=steps[1])  # the first world's store, after stop
    before = _content(other / STORE_FILE)
    out = ("--out", str(tmp_path / "flow")) if args[0] == "trace" else ()
    message = _cli(*_on(other, (*args, *out)), code=2)
    ids = read_world(worlds[0]).world_id, read_world(worlds[1]).world_id
    assert str(other / STORE_FILE) in message
    assert all(i and i in message for i in ids)
    assert "move it away" in message
    assert _content(other / STORE_FILE) == before
    assert not (tmp_path / "flow").exists()


def test_a_store_that_records_no_world_is_refused_unless_empty(
    worlds: tuple[Path, Path], steps: list[Path], tmp_path: Path
) -> None:
    world = _copy(worlds[0], tmp_path, store=steps[1])
    with sqlite3.connect(world / STORE_FILE) as conn:  # as stores were before they were bound
        conn.execute("DELETE FROM meta WHERE key = ?", (WORLD_KEY,))
    message = _cli("cases", "list", str(world), code=2)
    assert "records no world id" in message and str(world / STORE_FILE) in message
    _cli("cases", "return", str(world), code=2)

    with sqlite3.connect(world / STORE_FILE) as conn:  # an empty one: nothing to mix up
        for table in ("case_files", "rejected_reports", "orders", "audit", "meta"):
            conn.execute(f"DELETE FROM {table}")
    _cli("cases", "open", str(world))
    assert _content(world / STORE_FILE) == _content(steps[0])


def test_the_library_store_refuses_another_world(tmp_path: Path) -> None:
    store = CaseStore(f"sqlite:///{tmp_path / STORE_FILE}")
    with store.writing("aaaa000000000000") as tx:
        tx.put_rejected([("r1", "no such transfer")])
    refused = r"made from world aaaa000000000000, not from this world \(bbbb000000000000\)"
    with pytest.raises(InputError, match=refused), store.writing("bbbb000000000000"):
        pass
    with pytest.raises(InputError, match=refused), store.reading("bbbb000000000000"):
        pass
    with store.reading("aaaa000000000000") as tx:
        assert tx.world_id() == "aaaa000000000000"
        assert tx.all_rejected() == [("r1", "no such transfer")]


# --- reading never makes a store ------------------------------------------------------------
@pytest.mark.parametrize("args", READERS, ids="-".join)
def test_reading_a_folder_without_a_world_or_store_makes_nothing(
    worlds: tuple[Path, Path], tmp_path: Path, args: tuple[str, str]
) -> None:
    missing = tmp_path / "nowhere"
    message = _cli(*args, str(missing), code=2)
    assert str(missing) in message and "no such folder" in message
    assert not missing.exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    assert str(empty) in _cli(*args, str(empty), code=2)
    assert list(empty.iterdir()) == []

    world = _copy(worlds[0], tmp_path)
    message = _cli(*args, str(world), code=2)
    assert "no case store" in message and "fraudwall cases open" in message
    assert not (world / STORE_FILE).exists()


def test_trace_without_a_store_makes_none(worlds: tuple[Path, Path], tmp_path: Path) -> None:
    world = _copy(worlds[0], tmp_path)
    text = _cli("trace", str(world), "--case", "RP0000000000", "--out", str(tmp_path / "f"))
    assert "default policy" in text
    assert not (world / STORE_FILE).exists()
    message = _cli("trace", str(tmp_path / "x"), "--case", "R", "--out", str(tmp_path), code=2)
    assert "no such folder" in message


def _truncated(good: bytes) -> bytes:
    return good[: len(good) // 2]


def _random(good: bytes) -> bytes:
    return bytes((i * 7919 + 13) % 251 for i in range(len(good)))


def _torn_header(good: bytes) -> bytes:
    return good[:100]


@pytest.mark.parametrize("damage", [_truncated, _random, _torn_header])
@pytest.mark.parametrize(
    "args",
    [*READERS, ("cases", "open"), ("cases", "stop"), ("trace", "--case", "R")],
    ids=lambda a: a[-1],
)
def test_a_damaged_store_is_named_in_one_line(
    worlds: tuple[Path, Path],
    steps: list[Path],
    tmp_path: Path,
    damage: Any,
    args: tuple[str, ...],
) -> None:
    """Exit 2: the store file given with the world is bad input, not a failed run."""
    world = _copy(worlds[0], tmp_path)
    broken = damage(steps[1].read_bytes())
    (world / STORE_FILE).write_bytes(broken)
    out = ("--out", str(tmp_path / "flow")) if args[0] == "trace" else ()
    message = _cli(*_on(world, (*args, *out)), code=2)
    assert f"{world / STORE_FILE}: damaged" in message and "move it away" in message
    assert (world / STORE_FILE).read_bytes() == broken


def test_a_store_missing_some_of_its_tables_is_damaged(
    worlds: tuple[Path, Path], steps: list[Path], tmp_path: Path
) -> None:
    world = _copy(worlds[0], tmp_path, store=steps[1])
    with sqlite3.connect(world / STORE_FILE) as conn:
        conn.execute("DROP TABLE audit")
    message = _cli("cases", "audit", str(world), code=2)
    assert "damaged" in message and "audit" in message


# --- one transaction, interrupted anywhere --------------------------------------------------
def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "fraudwall.cli.main", *args]


def _interrupted(
    steps: list[Path], worlds: tuple[Path, Path], tmp_path: Path, step: int, points: list[Any]
) -> None:
    """Run WRITERS[step] once per (signal, rows) point, all at once, each on its own copy
    of the store as the step before left it; each is killed inside its transaction. The
    store must be as before, and the step run again must end as the uninterrupted run."""
    before, after = steps[step - 1], steps[step]
    runs = []
    for i, (sig, rows) in enumerate(points):
        world = _copy(worlds[0], tmp_path / f"{i}", store=before)
        env = {**os.environ, TEST_KILL_ENV: f"{sig.name}:{rows}"}
        proc = subprocess.Popen(
            _command(*WRITERS[step], str(world)), env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        runs.append((world, sig, rows, proc))
    for world, sig, rows, proc in runs:
        out, err = proc.communicate(timeout=300)
        killed = {signal.SIGKILL: (-signal.SIGKILL,), signal.SIGINT: (1, 130)}[sig]
        assert proc.returncode in killed, (sig, rows, out, err)
        assert "Traceback" not in err
        assert _content(world / STORE_FILE) == _content(before), (sig, rows)
        _cli(*WRITERS[step], str(world))
        assert _content(world / STORE_FILE) == _content(after), (sig, rows)
        assert _totals(world / STORE_FILE) == _totals(after)


def test_stop_killed_anywhere_leaves_the_store_as_before_and_reruns_in_full(
    worlds: tuple[Path, Path], steps: list[Path], tmp_path: Path
) -> None:
    """Finding 4: `cases stop` killed after storing its orders left them without their
    audit entries, and refused to run again."""
    content = _content(steps[1])
    cases, orders, entries = (len(content[t]) for t in ("case_files", "orders", "audit"))
    assert orders and entries
    policy, orders_in = 1, 1 + cases + orders  # written in this order: policy, cases, ...
    _interrupted(steps, worlds, tmp_path, 1, [
        (signal.SIGINT, policy),
        (signal.SIGKILL, orders_in),  # the orders stored, not yet their audit
        (signal.SIGINT, orders_in),
        (signal.SIGKILL, orders_in + entries),  # everything written, not yet committed
    ])  # fmt: skip


def test_return_killed_anywhere_leaves_the_store_as_before_and_reruns_in_full(
    worlds: tuple[Path, Path], steps: list[Path], tmp_path: Path
) -> None:
    stopped, returned = _content(steps[1]), _content(steps[2])
    orders = len(returned["orders"])
    new_entries = len(returned["audit"]) - len(stopped["audit"])
    assert orders > len(stopped["orders"]) and new_entries
    _interrupted(steps, worlds, tmp_path, 2, [
        (signal.SIGINT, 1),
        (signal.SIGKILL, orders),  # the returns stored, not yet their audit
        (signal.SIGKILL, orders + new_entries),
    ])  # fmt: skip


def test_two_stops_at_once_write_each_audit_entry_once(
    worlds: tuple[Path, Path], steps: list[Path], tmp_path: Path
) -> None:
    """Finding 4: two `cases stop` at once wrote every audit entry twice. Whichever takes
    the store's write lock first stops; the other waits, finds the orders and is refused."""
    world = _copy(worlds[0], tmp_path, store=steps[0])
    procs = [
        subprocess.Popen(_command("cases", "stop", str(world)), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    done = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    assert sorted(code for code, _ in done) == [0, 2], done
    refusal = " ".join(next(err for code, err in done if code == 2).split())
    assert "already issued" in refusal
    assert _content(world / STORE_FILE) == _content(steps[1])
    assert _totals(world / STORE_FILE) == _totals(steps[1])


# --- the store's transactions, on SQLite and PostgreSQL -------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url_(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / STORE_FILE}"
        return
    url = fresh_postgres_url("fraudwall_store")
    yield url
    drop_postgres(url)


def _order(order_id: str) -> Order:
    return Order(
        order_id=order_id,
        kind=OrderKind.STOP_PAYMENT,
        case_id="CASE-r1",
        institution_id="B1",
        account_id="M1",
        amount_fen=500_00,
        legal_basis="反电信网络诈骗法",
        state=OrderState.ISSUED,
        issued_ts=1_772_000_000_000,
    )


def _entry(subject: str) -> AuditEntry:
    return AuditEntry(1_772_000_000_000, "police", "stop_issued", subject, "止付", {"fen": 1})


def test_a_failed_transaction_stores_nothing(store_url_: str) -> None:
    store = CaseStore(store_url_)
    with pytest.raises(RuntimeError, match="midway"), store.writing("aaaa000000000000") as tx:
        tx.put_orders([_order("SP1")])
        raise RuntimeError("midway")  # after the orders, before their audit
    with store.reading() as tx:
        assert tx.is_empty() and not tx.has_orders()
    with store.writing("aaaa000000000000") as tx:
        tx.put_orders([_order("SP1")])
        tx.append_audit([_entry("SP1")])
    assert store.all_orders() == [_order("SP1")] and len(store.audit_trail()) == 1
    assert store.world_id() == "aaaa000000000000"
    store.close()


def test_two_writers_are_serialised_and_the_second_sees_the_first(store_url_: str) -> None:
    """Each writer checks, inside its transaction, that the orders are not there yet: the
    second one waits for the first's write lock, then finds its orders and writes nothing."""
    first_in, second_going = threading.Event(), threading.Event()
    wrote: list[str] = []

    def stop(name: str, first: bool) -> None:
        store = CaseStore(store_url_, create=False)  # made below, before either writer
        if not first:
            first_in.wait(timeout=60)
            second_going.set()
        with store.writing("aaaa000000000000") as tx:
            if first:
                first_in.set()
                second_going.wait(timeout=60)
            if not tx.has_orders():
                tx.put_orders([_order("SP1")])
                tx.append_audit([_entry("SP1")])
                wrote.append(name)
        store.close()

    CaseStore(store_url_).close()
    threads = [threading.Thread(target=stop, args=(n, n == "first")) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    store = CaseStore(store_url_)
    assert wrote == ["first"]
    assert len(store.audit_trail()) == 1 and len(store.all_orders()) == 1
    store.close()


def test_reading_a_store_not_made_yet_makes_nothing(store_url_: str, tmp_path: Path) -> None:
    store = CaseStore(store_url_, create=False)
    assert not store.exists()
    with pytest.raises(InputError, match="no case store"), store.reading():
        pass
    assert not store.exists()
    assert not (tmp_path / STORE_FILE).exists()
    store.close()


def test_a_writer_waiting_too_long_is_told_who_holds_the_store(
    store_url_: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 1)
    holder, waiter = CaseStore(store_url_), CaseStore(store_url_, create=False)
    with holder.writing("aaaa000000000000") as tx:
        tx.put_orders([_order("SP1")])
        with pytest.raises(RunError, match="held by another run"), waiter.writing():
            pass
    assert holder.all_orders() == [_order("SP1")]
    holder.close()
    waiter.close()
