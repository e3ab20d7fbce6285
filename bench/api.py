"""The service under load from a second process on loopback (issue 12).

One `fraudwall serve` process on this machine; the load comes from another process:
`wrk` with a Lua script when it is installed (Debian's package), else an asyncio client
of the standard library. Figures:

- pre-transaction checks (`POST /v1/check/transfer`, each a new transfer) per second,
  with p50 / p99 latency, at a fixed concurrency;
- NDJSON ingest (`POST /v1/events/transfers`, batches of `INGEST_BATCH`) in events per
  second, end to end (parse, validate, decide, store, absorb).

Peer: Tazama, the open transaction-monitoring anchor, published 2,497 checks/s at p99
56 ms on a 40-VM cluster; goals here are >= 3,000 checks/s at p99 <= 20 ms and >= 100,000
ingested events per second, on one server process.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TAZAMA = {"checks_per_s": 2497, "p99_ms": 56, "setup": "40-VM cluster (published)"}
CONNECTIONS = 32
DURATION_S = 20
INGEST_BATCH = 20_000
INGEST_BATCHES = 10
ACCOUNTS = 50_000
T_BASE = 1_790_000_000_000  # 2026-09-21: the events' times, ms UTC


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _setup(data: Path) -> str:
    """A service database with one bank, its key and its accounts; returns the key."""
    from fraudwall.model import Account, AccountKind, Institution, InstitutionKind
    from fraudwall.platform import PlatformDB, ServeSettings, auth
    from fraudwall.platform.registry import put_records

    settings = ServeSettings(data_dir=data)
    db = PlatformDB(settings.database)
    db.create_all()
    now = T_BASE
    with db.writing() as conn:
        auth.add_agency(conn, "bank-a", "Bank A", "bank", "B01", now)
        key = auth.issue_key(conn, "bank-a", "institution", now).key
        put_records(
            conn,
            "institutions",
            [Institution(institution_id="B01", name="Bank A", kind=InstitutionKind.BANK)],
        )
        put_records(conn, "accounts", [
            Account(account_id=f"A{i}", institution_id="B01", owner_person_id=None,
                    kind=AccountKind.DEBIT_CARD, opened_ts=now - 400 * 86_400_000,
                    opening_balance_fen=10_000_00)
            for i in range(ACCOUNTS)
        ])  # fmt: skip
    db.close()
    return key


def _start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("fraudwall")
    cmd = [str(exe), "serve", "--data", str(data), "--port", str(port), "--snapshot-every", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(600):  # up to a minute for the server to listen
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not listen within a minute")


_WRK_LUA = """
local counter = 0
local thread_id = 0
local ids = 0
function setup(thread)
  ids = ids + 1
  thread:set("tid", ids)
end
function init(args)
  tid = tonumber(tid) or 0
end
request = function()
  counter = counter + 1
  local n = counter
  local payer = (n * 7 + tid * 13) %% %(accounts)d
  local payee = (n * 11 + tid * 17 + 1) %% %(accounts)d
  local body = string.format(
    '{"event_id":"w%%d-%%d","ts":%%d,"institution_id":"B01","from_account":"A%%d",' ..
    '"to_account":"A%%d","amount_fen":%%d,"channel":"mobile"}',
    tid, n, %(t_base)d + n, payer, payee, 100 + (n %% 500000))
  return wrk.format("POST", "/v1/check/transfer", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(key)s"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,' ..
    '"p99_us":%%d,"errors_status":%%d,"errors_other":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def _checks_wrk(port: int, key: str, seconds: int) -> dict[str, Any]:
    script = Path(tempfile.mkdtemp()) / "check.lua"
    script.write_text(_WRK_LUA % {"accounts": ACCOUNTS, "t_base": T_BASE, "key": key})
    cmd = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency",
           "-s", str(script), f"http://127.0.0.1:{port}"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    got = json.loads(line.removeprefix("WRKJSON "))
    return {
        "client": f"wrk, 2 threads, {CONNECTIONS} connections, {seconds} s",
        "checks_per_s": round(got["requests"] / (got["duration_us"] / 1e6)),
        "p50_ms": round(got["p50_us"] / 1000, 2),
        "p99_ms": round(got["p99_us"] / 1000, 2),
        "non_2xx": got["errors_status"],
        "socket_errors": got["errors_other"],
    }


async def _asyncio_checks(port: int, key: str, seconds: int) -> dict[str, Any]:
    """The same load as wrk's, from asyncio streams (when wrk is not installed)."""
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds

    async def one_connection(tid: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = 0
        while time.perf_counter() < stop:
            n += 1
            body = json.dumps({
                "event_id": f"a{tid}-{n}", "ts": T_BASE + n, "institution_id": "B01",
                "from_account": f"A{(n * 7 + tid * 13) % ACCOUNTS}",
                "to_account": f"A{(n * 11 + tid * 17 + 1) % ACCOUNTS}",
                "amount_fen": 100 + n % 500_000, "channel": "mobile",
            }).encode()  # fmt: skip
            head = (
                f"POST /v1/check/transfer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}"
                f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            t0 = time.perf_counter()
            writer.write(head.encode() + body)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if not status.split()[1].startswith(b"2"):
                errors[0] += 1
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(one_connection(i) for i in range(CONNECTIONS)))
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {
        "client": f"asyncio, {CONNECTIONS} connections, {seconds} s",
        "checks_per_s": round(len(latencies) / elapsed),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "non_2xx": errors[0],
    }


def _ingest_client(port: int, key: str) -> dict[str, Any]:
    """NDJSON batches of new transfers, one after another, from this (second) process."""
    import httpx

    start = T_BASE + 10 * 86_400_000  # after every check's time
    sent = 0
    elapsed = 0.0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
        for b in range(INGEST_BATCHES):
            lines = []
            for i in range(INGEST_BATCH):
                n = b * INGEST_BATCH + i
                lines.append(json.dumps({
                    "event_id": f"ing-{n}", "ts": start + n, "institution_id": "B01",
                    "from_account": f"A{(n * 7) % ACCOUNTS}",
                    "to_account": f"A{(n * 11 + 1) % ACCOUNTS}",
                    "amount_fen": 100 + n % 500_000, "channel": "mobile",
                }))  # fmt: skip
            body = ("\n".join(lines) + "\n").encode()
            t0 = time.perf_counter()
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
            r = client.post("/v1/events/transfers", content=body, headers=headers)
            elapsed += time.perf_counter() - t0
            if r.status_code != 200 or r.json().get("accepted") != INGEST_BATCH:
                raise RuntimeError(f"ingest batch {b}: {r.status_code} {r.text[:500]}")
            sent += INGEST_BATCH
    return {
        "ingest_events_per_s": round(sent / elapsed),
        "ingest_batch": INGEST_BATCH,
        "ingest_batches": INGEST_BATCHES,
    }


def run() -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="fraudwall-bench-api-"))
    try:
        key = _setup(data)
        port = _free_port()
        server = _start_server(data, port)
        try:
            if shutil.which("wrk"):
                _checks_wrk(port, key, 3)  # warm up: imports, caches, first batches
                checks = _checks_wrk(port, key, DURATION_S)
            else:
                checks = asyncio.run(_asyncio_checks(port, key, DURATION_S))
            ingest = _ingest_client(port, key)
        finally:
            server.terminate()
            server.wait(timeout=120)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    result: dict[str, Any] = {**checks, **ingest, "server": "fraudwall serve, one process"}
    result["peer"] = TAZAMA
    result["ratio_checks_per_s_vs_tazama"] = round(
        checks["checks_per_s"] / TAZAMA["checks_per_s"], 2
    )
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    run()
