"""Ingest is idempotent: any sequence of batches ingested again, in any split — batches
re-sent, old records mixed into new batches, the whole stream sent again cut otherwise —
stores the same events, decisions and warning tasks, and leaves the engine where sending
each batch once does."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from event_records import T0, call, count, login, post, stored, transfer, watermark
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pg import drop_postgres, fresh_postgres_url
from service_api import Api, start_api

from fraudwall.platform import FixedClock, ServeSettings
from fraudwall.platform.schema import warning_tasks, warnings

STEP = 20_000  # ms between the times events are drawn at
SENDER = {"transfers": "bank_a", "calls": "telco_a", "logins": "bank_a"}
Batch = tuple[str, list[dict[str, Any]]]


@st.composite
def records(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A record of `kind`: ids drawn from a few (so repeats, identical or not, happen),
    times over a quarter of an hour (so some arrive after the watermark passed them)."""
    eid = f"{kind[0]}{draw(st.integers(0, 8))}"
    ts = T0 - STEP * draw(st.integers(0, 45))
    if kind == "transfers":
        src, dst = draw(st.sampled_from(["A1", "A2", "X9"])), draw(st.sampled_from(["B1", "M7"]))
        return transfer(eid, ts, src, dst, draw(st.integers(1, 3)) * 50_000)
    if kind == "calls":
        return call(eid, ts, draw(st.sampled_from(["+8613900000001", "+85512345678"])),
                    draw(st.sampled_from(["+8613800000001", "+8613800000002"])),
                    draw(st.sampled_from([0, 5_000, 300_000])))  # fmt: skip
    return login(eid, ts, draw(st.sampled_from(["A1", "A3"])))


@st.composite
def batches(draw: st.DrawFn) -> list[Batch]:
    out = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(sorted(SENDER)))
        out.append((kind, draw(st.lists(records(kind), min_size=1, max_size=5))))
    return out


def resent(draw: st.DrawFn, sent: list[Batch], kind: str | None = None) -> list[dict[str, Any]]:
    """Some records sent before (of `kind`, if given), in a drawn order."""
    pool = [r for k, rs in sent if kind in (None, k) for r in rs]
    if not pool:
        return []
    chosen = draw(st.lists(st.sampled_from(pool), max_size=4))
    return list(chosen)


@st.composite
def schedules(draw: st.DrawFn, stream: list[Batch]) -> list[Batch]:
    """The same stream sent with repeats: before each batch some old batches again, each
    batch perhaps mixed with old records of its kind and perhaps sent twice; at the end
    everything again, cut in other places."""
    plan: list[Batch] = []
    for i, (kind, batch) in enumerate(stream):
        for _ in range(draw(st.integers(0, 1))):
            old_kind = draw(st.sampled_from(sorted(SENDER)))
            again = resent(draw, stream[:i], old_kind)
            if again:
                plan.append((old_kind, again))
        before = resent(draw, stream[:i], kind) if draw(st.booleans()) else []
        after = resent(draw, stream[:i], kind) if draw(st.booleans()) else []
        plan.append((kind, before + batch + after))
        if draw(st.booleans()):
            plan.append((kind, list(batch)))
    for kind in SENDER:
        everything = [r for k, rs in stream if k == kind for r in rs]
        size = draw(st.integers(1, 6))
        for start in range(0, len(everything), size):
            plan.append((kind, everything[start : start + size]))
    return plan


@contextmanager
def fresh_api(backend: str, folder: Path) -> Iterator[Api]:
    db_url = (
        fresh_postgres_url("fraudwall_idem", migrated=True) if backend == "postgresql" else None
    )
    settings = ServeSettings(data_dir=folder, db_url=db_url, snapshot_interval_s=0)
    try:
        gen = start_api(settings, FixedClock(T0))
        api = next(gen)
        try:
            yield api
        finally:
            gen.close()
    finally:
        if db_url is not None:
            drop_postgres(db_url)


def outcome(api: Api, plan: list[Batch]) -> dict[str, Any]:
    for kind, batch in plan:
        r = post(api, kind, batch, caller=SENDER[kind])
        assert r.status_code in (200, 422), r.text
    return {
        **stored(api),
        "warnings": (count(api, warnings), count(api, warning_tasks)),
        "watermark": watermark(api),
        "engine_clock": api.service.host.engine.state.clock,
        "pending": len(api.service.host.pending),
    }


@pytest.mark.parametrize(
    ("backend", "examples"),
    [("sqlite", 60), pytest.param("postgresql", 15, marks=pytest.mark.postgres)],
)
def test_ingesting_again_in_any_split_changes_nothing(
    backend: str, examples: int, tmp_path: Path
) -> None:
    counter = itertools.count()

    @settings(max_examples=examples, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        stream = data.draw(batches(), label="stream")
        plan = data.draw(schedules(stream), label="plan")
        n = next(counter)
        with fresh_api(backend, tmp_path / f"once-{n}") as api:
            once = outcome(api, stream)
        with fresh_api(backend, tmp_path / f"again-{n}") as api:
            again = outcome(api, plan)
        assert again == once

    check()
