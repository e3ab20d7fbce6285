"""Warning tasks, for those who send them: listed, and marked done.

The engine issues a task when it absorbs the events behind it (`enginehost`); each is for
one institution to send (a telco's SMS or reminder, a bank's app push), or for the police
call centre (a 96110 call: no institution). A telco or an institution sees and closes its
own tasks; police and the operator see every task and may close any.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import msgspec
import sqlalchemy as sa

from fraudwall.model import WarningTask
from fraudwall.model.sql import record_of
from fraudwall.platform import scope
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import Principal
from fraudwall.platform.errors import NotFound
from fraudwall.platform.schema import warning_tasks, warnings

Status = Literal["open", "done", "all"]
MAX_LIMIT: Final = 1000


class TaskOut(msgspec.Struct):
    """A warning task with who is to send it and whether it was sent."""

    task: WarningTask
    institution_id: str | None
    done_ts: int | None
    done_by: str | None


def _select() -> sa.Select[Any]:
    return sa.select(warnings, warning_tasks.c.institution_id, warning_tasks.c.done_ts,
                     warning_tasks.c.done_by).join(
        warning_tasks, warning_tasks.c.warning_id == warnings.c.warning_id
    )  # fmt: skip


def _task(row: Any) -> TaskOut:
    m = row._mapping
    task = record_of(WarningTask, {k: m[k] for k in WarningTask.__struct_fields__})
    return TaskOut(task, m["institution_id"], m["done_ts"], m["done_by"])


def list_tasks(
    service: Any, who: Principal, status: Status = "open", limit: int = 100, offset: int = 0
) -> list[TaskOut]:
    """The caller's tasks (all, for police and the operator), oldest first."""
    q = _select().where(scope.visible(who, warning_tasks.c.institution_id))
    if status == "open":
        q = q.where(warning_tasks.c.done_ts.is_(None))
    elif status == "done":
        q = q.where(warning_tasks.c.done_ts.is_not(None))
    q = q.order_by(warnings.c.ts, warnings.c.warning_id).limit(limit).offset(offset)
    with service.db.writing() as conn:  # a read of personal data: audited
        tasks = [_task(r) for r in conn.execute(q)]
        if tasks:
            subject = f"{len(tasks)} {status} from {tasks[0].task.warning_id}"
            service.audit(conn, who, [AuditNote("warnings.read", subject)])
    return tasks


def mark_done(service: Any, who: Principal, warning_id: str) -> TaskOut:
    """Mark a task sent; marking it again changes nothing."""
    with service.db.writing() as conn:
        row = conn.execute(_select().where(warnings.c.warning_id == warning_id)).first()
        if row is None:
            raise NotFound("warning_id", f"no warning task {warning_id!r}")
        task = _task(row)
        scope.check_sees(who, task.institution_id, "warning task", warning_id)
        if task.done_ts is not None:
            return task
        now = service.now()
        conn.execute(
            warning_tasks.update()
            .where(warning_tasks.c.warning_id == warning_id)
            .values(done_ts=now, done_by=who.key_id)
        )
        note = AuditNote("warnings.done", warning_id, {"done_ts": None}, {"done_ts": now})
        service.audit(conn, who, [note])
    return TaskOut(task.task, task.institution_id, now, who.key_id)


__all__ = ["MAX_LIMIT", "Status", "TaskOut", "list_tasks", "mark_done"]
