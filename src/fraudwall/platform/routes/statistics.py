"""`GET /v1/statistics`: counts and losses by fraud type, region, channel or day, for the
police and the operator (see `platform.statistics`). Aggregates only: not audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from fraudwall.model import DAY_MS
from fraudwall.model.units import LATEST_MS
from fraudwall.platform import statistics
from fraudwall.platform.auth import POLICE, ApiRole, Caller, allow
from fraudwall.platform.service import ServiceDep
from fraudwall.platform.statistics import StatBy, StatRow

router = APIRouter(tags=["statistics"])
DEFAULT_SPAN_MS = 30 * DAY_MS


class StatRowOut(BaseModel):
    key: str = Field(description="the fraud type, region, kind:channel or local date")
    label: str | None = Field(default=None, description="the fraud type's police name")
    reports: int
    reported_loss_fen: int
    cases: int
    case_loss_fen: int
    decisions: dict[str, int] = Field(description="the engine's decisions, by action")


class StatisticsOut(BaseModel):
    by: StatBy
    from_ts: int
    to_ts: int
    rows: list[StatRowOut]
    total: StatRowOut
    notes: list[str]


def _row(row: StatRow) -> StatRowOut:
    return StatRowOut(
        key=row.key,
        label=row.label,
        reports=row.reports,
        reported_loss_fen=row.reported_loss_fen,
        cases=row.cases,
        case_loss_fen=row.case_loss_fen,
        decisions=row.decisions,
    )


@router.get("/statistics", openapi_extra=allow(*POLICE, ApiRole.ADMIN))
def get_statistics(
    caller: Caller,
    service: ServiceDep,
    by: StatBy = StatBy.FRAUD_TYPE,
    from_ts: Annotated[
        int | None, Query(alias="from", ge=0, le=LATEST_MS, description="ms UTC, inclusive")
    ] = None,
    to_ts: Annotated[
        int | None, Query(alias="to", ge=0, le=LATEST_MS, description="ms UTC, exclusive")
    ] = None,
) -> StatisticsOut:
    """Reports, cases, losses and decisions by fraud type, region, channel or day
    (default: the 30 days up to now)."""
    end = to_ts if to_ts is not None else service.now()
    start = from_ts if from_ts is not None else max(0, end - DEFAULT_SPAN_MS)
    with service.db.reading() as conn:
        found = statistics.statistics(conn, by, start, end)
    return StatisticsOut(
        by=found.by,
        from_ts=found.from_ts,
        to_ts=found.to_ts,
        rows=[_row(r) for r in found.rows],
        total=_row(found.total),
        notes=found.notes,
    )
