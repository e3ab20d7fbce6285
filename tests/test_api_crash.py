"""Nothing acknowledged is lost: `fraudwall serve` killed with SIGKILL in the middle of a
batch (inside its transaction, before the commit), restarted, and the client re-sending
what was not acknowledged: every event is stored exactly once, the batch in flight is not
half there, and the engine ends exactly where a server that never stopped ends (the same
decisions, warning tasks, absorbing steps and watermark)."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pg import drop_postgres, fresh_postgres_url
from typer.testing import CliRunner

from fraudwall.cli.main import app as cli
from fraudwall.model import LineKind, Phone
from fraudwall.platform import ServeSettings, Service, create_app, eventlookups
from fraudwall.platform.bulkinsert import TEST_KILL_ENV
from fraudwall.platform.db import PlatformDB
from fraudwall.platform.registry import put_records
from fraudwall.platform.schema import (
    decisions,
    event_lookups,
    events,
    meta,
    warning_tasks,
    warnings,
)

BATCHES = 10
PER_BATCH = 50
KILLED_AT = 6  # the batch in flight when the server is killed
CODE = "import sys; from fraudwall.cli.main import app; app(sys.argv[1:])"


CALLEES = [f"+861380000{i:04d}" for i in range(40)]


def _register(db_url: str) -> None:
    """The people called (their numbers at telco T01) and the number from abroad."""
    phones = [
        Phone(number=n, telco_id="T01", owner_person_id=f"P{i}", country_code="86",
              activated_ts=1_600_000_000_000, line_kind=LineKind.MOBILE)
        for i, n in enumerate(CALLEES)
    ] + [Phone(number="+85512345678", telco_id=None, owner_person_id=None, country_code="855",
               activated_ts=None, line_kind=LineKind.MOBILE)]  # fmt: skip
    db = PlatformDB(db_url)
    try:
        with db.writing() as conn:
            put_records(conn, "phones", phones)
    finally:
        db.close()


def _batches() -> list[list[dict[str, Any]]]:
    """Calls a telco streams: a few numbers calling many people, some from abroad with a
    presented domestic number (spoofed), some short, in time order up to 20 minutes ago."""
    rng = random.Random(7)
    now = time.time_ns() // 1_000_000
    base = now - 20 * 60_000
    out = []
    for b in range(BATCHES):
        batch = []
        for k in range(PER_BATCH):
            n = b * PER_BATCH + k
            caller = rng.choice(["+8613900000001", "+8617000000009", "+85512345678"])
            foreign = caller.startswith("+855")
            batch.append({
                "event_id": f"CALL-{n:04d}", "ts": base + n * 1_000, "institution_id": "T01",
                "caller": caller, "callee": rng.choice(CALLEES),
                "duration_ms": rng.choice([0, 4_000, 95_000]),
                "gateway": "international" if foreign else "domestic",
                "presented_number": "+8613912345678" if foreign and rng.random() < 0.5 else caller,
            })  # fmt: skip
        out.append(batch)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _setup(where: list[str]) -> str:
    """A telco agency and its key (through the CLI, as an operator would); the key."""
    runner = CliRunner()
    if "--db" in where:  # PostgreSQL is migrated by hand before the first use
        done = runner.invoke(cli, ["db", "upgrade", *where])
        assert done.exit_code == 0, done.output
    done = runner.invoke(cli, ["agencies", "add", "telco-a", "--kind", "telco",
                               "--institution", "T01", *where])  # fmt: skip
    assert done.exit_code == 0, done.output
    done = runner.invoke(cli, ["keys", "issue", "telco-a", "--role", "telco", *where])
    assert done.exit_code == 0, done.output
    return done.output.strip().splitlines()[-1]


class Server:
    """`fraudwall serve` in a subprocess, its output in files."""

    def __init__(
        self,
        where: list[str],
        folder: Path,
        kill_after: int | None = None,
        kill_in_lookups: int | None = None,
    ) -> None:
        self.port = _free_port()
        env = {**os.environ}
        env.pop(TEST_KILL_ENV, None)
        env.pop(eventlookups.TEST_KILL_ENV, None)
        if kill_after is not None:
            env[TEST_KILL_ENV] = f"SIGKILL:{kill_after}"
        if kill_in_lookups is not None:
            env[eventlookups.TEST_KILL_ENV] = f"SIGKILL:{kill_in_lookups}"
        self.log = (folder / f"server-{self.port}.log").open("w")
        args = ["serve", *where, "--port", str(self.port), "--snapshot-every", "0"]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CODE, *args], env=env, stdout=self.log, stderr=self.log
        )
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):  # until it answers (a bounded poll for readiness)
            assert self.proc.poll() is None, (folder / f"server-{self.port}.log").read_text()
            try:
                httpx.get(f"{self.url}/openapi.json", timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")

    def post(self, key: str, batch: list[dict[str, Any]]) -> httpx.Response:
        body = "\n".join(json.dumps(r) for r in batch)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
        return httpx.post(f"{self.url}/v1/events/calls", content=body, headers=headers, timeout=60)

    def risk(self, key: str, number: str) -> httpx.Response:
        return httpx.get(
            f"{self.url}/v1/risk/number/{number}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )

    def stop(self) -> int:
        """Stop it as an operator does (SIGINT: it snapshots the engine and exits)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=60)
        self.log.close()
        return code


def _content(db_url: str) -> dict[str, Any]:
    """What the database holds of events, their lookups, decisions, warning tasks and the
    watermark (leaving out when things were received or absorbed: wall-clock times; and
    the order they were stored in: PostgreSQL's sequence skips what a crash rolled back)."""
    skip = ("received_ts", "absorbed_ts", "agency_id", "seq")
    db = PlatformDB(db_url)
    try:
        with db.reading() as conn:
            rows = conn.execute(sa.select(events).order_by(events.c.event_id)).all()
            found = sa.select(event_lookups).order_by(event_lookups.c.event_id)
            out = {
                "events": [{k: v for k, v in r._mapping.items() if k not in skip} for r in rows],
                "lookups": [
                    {k: v for k, v in r._mapping.items() if k not in skip}
                    for r in conn.execute(found)
                ],
                "decisions": [
                    dict(r._mapping)
                    for r in conn.execute(sa.select(decisions).order_by(decisions.c.event_id))
                ],
                "warnings": [
                    dict(r._mapping)
                    for r in conn.execute(
                        sa.select(warnings, warning_tasks.c.institution_id)
                        .join(warning_tasks, warning_tasks.c.warning_id == warnings.c.warning_id)
                        .order_by(warnings.c.warning_id)
                    )
                ],
                "watermark": conn.execute(
                    sa.select(meta.c.value).where(meta.c.key == "engine_watermark")
                ).scalar(),
            }
    finally:
        db.close()
    return out


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """The server's `--data` / `--db` options and its database URL."""
    data = tmp_path / "data"
    if request.param == "sqlite":
        yield ["--data", str(data)], f"sqlite:///{data / 'fraudwall.sqlite'}"
        return
    url = fresh_postgres_url("fraudwall_crash")
    try:
        yield ["--data", str(data), "--db", url], url
    finally:
        drop_postgres(url)


def test_a_server_killed_mid_batch_loses_nothing_acknowledged(
    database: tuple[list[str], str], tmp_path: Path
) -> None:
    where, db_url = database
    key = _setup(where)
    _register(db_url)
    batches = _batches()

    first = Server(where, tmp_path)  # batches 0-2, then a clean stop: a snapshot
    for batch in batches[:3]:
        assert first.post(key, batch).status_code == 200
    assert first.stop() == 0
    assert (tmp_path / "data" / "engine-snapshot" / "manifest.json").exists()

    # killed while writing batch 6: after 3 acknowledged batches and half of the fourth
    second = Server(where, tmp_path, kill_after=3 * PER_BATCH + PER_BATCH // 2)
    acknowledged = 3
    for b in range(3, BATCHES):
        try:
            r = second.post(key, batches[b])
        except httpx.TransportError:
            break
        assert r.status_code == 200, r.text
        acknowledged = b + 1
    assert acknowledged == KILLED_AT
    assert second.stop() == -signal.SIGKILL
    stored = _content(db_url)["events"]
    assert len(stored) == KILLED_AT * PER_BATCH  # batch 6 is not half there
    assert not any(e["event_id"] >= f"CALL-{KILLED_AT * PER_BATCH:04d}" for e in stored)

    third = Server(where, tmp_path)  # the client re-sends from its last acknowledged batch
    again = third.post(key, batches[KILLED_AT - 1]).json()
    assert (again["accepted"], again["repeats"]) == (0, PER_BATCH)
    for batch in batches[KILLED_AT:]:
        r = third.post(key, batch)
        assert r.status_code == 200 and r.json()["accepted"] == PER_BATCH
    assert third.stop() == 0
    crashed = _content(db_url)
    assert len(crashed["events"]) == len({e["event_id"] for e in crashed["events"]}) == 500

    # a server that never stopped, given each batch once
    ref_data = tmp_path / "reference"
    ref_where = ["--data", str(ref_data)]
    ref_key = _setup(ref_where)
    _register(f"sqlite:///{ref_data / 'fraudwall.sqlite'}")
    settings = ServeSettings(data_dir=ref_data, snapshot_interval_s=0)
    with TestClient(create_app(settings)) as client:
        for batch in batches:
            body = "\n".join(json.dumps(r) for r in batch)
            headers = {"Authorization": f"Bearer {ref_key}", "Content-Type": "application/x-ndjson"}
            assert client.post("/v1/events/calls", content=body, headers=headers).status_code == 200
        reference_engine = client.app.state.service.host.engine  # type: ignore[attr-defined]
        probe = {"calls": pa.Table.from_pylist([
            {**batches[-1][0], "event_id": "PROBE", "ts": batches[-1][-1]["ts"] + 1}
        ])}  # fmt: skip
        expected = reference_engine.decide(_typed(probe))
    reference = _content(f"sqlite:///{ref_data / 'fraudwall.sqlite'}")
    assert crashed == reference
    assert len(reference["lookups"]) == len(reference["events"])  # a clean stop: all there
    assert reference["warnings"]  # the stream made warning tasks to compare

    restored = Service(ServeSettings(data_dir=tmp_path / "data", db_url=_db_option(where),
                                     snapshot_interval_s=0))  # fmt: skip
    restored.start()
    try:
        assert restored.host.engine.decide(_typed(probe)).equals(expected)
        assert restored.host.watermark == reference["watermark"]
    finally:
        restored.stop()


CALLERS = ("+8613900000001", "+8617000000009", "+85512345678")


def _lookups_match_events(content: dict[str, Any]) -> None:
    """The lookups hold every event once, with its columns."""
    columns = ("event_id", "kind", "ts", "party", "device_id")
    derived = [{c: e[c] for c in columns} for e in content["events"]]
    assert content["lookups"] == derived


def test_a_server_killed_between_the_events_and_their_lookups_loses_nothing(
    database: tuple[list[str], str], tmp_path: Path
) -> None:
    """Killed after ingest committed (and acknowledged) batches whose lookups were being
    written: restarted, a risk check finds every stored call, and the lookups hold every
    event exactly once."""
    where, db_url = database
    key = _setup(where)
    _register(db_url)
    batches = _batches()

    # the lookups' thread, or the risk check at the end, writes the 101st row: killed
    server = Server(where, tmp_path, kill_in_lookups=2 * PER_BATCH + 1)
    acknowledged = 0
    try:
        for batch in batches:
            assert server.post(key, batch).status_code == 200
            acknowledged += 1
        server.risk(key, CALLERS[0])
    except httpx.TransportError:
        pass
    assert server.proc.wait(timeout=60) == -signal.SIGKILL
    server.log.close()
    killed = _content(db_url)
    stored = {e["event_id"] for e in killed["events"]}
    assert acknowledged >= 2
    assert len(stored) % PER_BATCH == 0 and len(stored) >= acknowledged * PER_BATCH
    assert {r["event_id"] for b in batches[:acknowledged] for r in b} <= stored
    assert len(killed["lookups"]) <= 2 * PER_BATCH < len(stored)  # killed in between

    restarted = Server(where, tmp_path)
    for number in CALLERS:  # found at once: the lookups were caught up on start
        answer = restarted.risk(key, number).json()
        found = sum(e["count"] for e in answer["evidence"] if e["source"] == "engine decisions")
        assert found == sum(1 for e in killed["events"] if e["party"] == number), answer
    for batch in batches[len(stored) // PER_BATCH :]:  # the client re-sends the rest
        assert restarted.post(key, batch).json()["accepted"] == PER_BATCH
    assert restarted.stop() == 0
    final = _content(db_url)
    assert len(final["events"]) == BATCHES * PER_BATCH
    _lookups_match_events(final)


def _db_option(where: list[str]) -> str | None:
    return where[where.index("--db") + 1] if "--db" in where else None


def _typed(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    from fraudwall.model import arrow_schema
    from fraudwall.model.types import BY_TABLE

    out = {}
    for name, table in tables.items():
        schema = arrow_schema(BY_TABLE[name])
        rows = [{f: r.get(f) for f in schema.names} for r in table.to_pylist()]
        out[name] = pa.Table.from_pylist(rows, schema=schema)
    return out


def _probe() -> dict[str, pa.Table]:
    from event_records import T0

    return _typed({"transfers": pa.Table.from_pylist([
        {"event_id": "PROBE", "ts": T0 + 60_000, "institution_id": "B01", "from_account": "A1",
         "to_account": "B1", "amount_fen": 500_000, "channel": "mobile"},
    ])})  # fmt: skip


def test_a_snapshot_that_cannot_be_used_is_rebuilt_from_the_events(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    from event_records import MIN, T0, call, post, transfer
    from service_api import start_api

    from fraudwall.platform import FixedClock

    settings = ServeSettings(data_dir=tmp_path / "data", snapshot_interval_s=0)
    gen = start_api(settings, FixedClock(T0))
    api = next(gen)
    for i in range(6):
        post(api, "transfers", [transfer(f"T{i}", ts=T0 - (30 - 5 * i) * MIN, dst=f"B{1 + i % 3}")])
        post(api, "calls", [call(f"C{i}", ts=T0 - (29 - 5 * i) * MIN)], caller="telco_a")
    expected = api.service.host.engine.decide(_probe())
    gen.close()  # stops the service: a snapshot
    snapshot = settings.snapshot_dir
    shutil.copytree(snapshot, tmp_path / "intact")
    with (snapshot / "state.npz").open("ab") as f:
        f.write(b"damage")

    rebuilt = Service(settings)
    rebuilt.start()
    try:
        assert "engine snapshot not used, rebuilding from the events" in caplog.text
        assert rebuilt.host.engine.decide(_probe()).equals(expected)
    finally:
        rebuilt.stop()  # a good snapshot again
    shutil.rmtree(snapshot)
    shutil.copytree(tmp_path / "intact", snapshot)
    restored = Service(settings)
    restored.start()
    try:
        assert restored.host.engine.decide(_probe()).equals(expected)
    finally:
        restored.stop()


def test_snapshots_are_written_at_the_interval(tmp_path: Path) -> None:
    from event_records import T0, post, transfer
    from service_api import start_api

    from fraudwall.platform import FixedClock

    settings = ServeSettings(data_dir=tmp_path / "data", snapshot_interval_s=0.05)
    gen = start_api(settings, FixedClock(T0))
    api = next(gen)
    try:
        post(api, "transfers", [transfer("T1", ts=T0 - 600_000), transfer("T2", ts=T0)])
        manifest = settings.snapshot_dir / "manifest.json"
        for _ in range(600):  # until the snapshot thread has written one (a bounded poll)
            try:
                if '"state_format"' in manifest.read_text():
                    break
            except OSError:  # not there yet, or being replaced by the next one
                pass
            time.sleep(0.05)
        assert manifest.exists()
    finally:
        gen.close()
