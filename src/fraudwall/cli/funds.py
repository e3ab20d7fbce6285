"""`fraudwall trace` and `fraudwall cases`: the funds part on a world directory.

A thin skin over `fraudwall.funds`: cases, orders, refused reports and the audit trail are
kept in the world's case store (`WORLD/funds.sqlite`), so the steps can be run one after
another — open the reports as cases, trace and stop, return — and looked at in between.

Each step that writes is one transaction of the store, under its write lock: it checks
that its work is not done yet, and stores all it did or nothing (Ctrl-C, a killed process),
so a step that did not finish is simply run again. The store is bound to the world it was
made from; the commands that only read (`cases list|orders|audit`, `trace`) never make one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import pyarrow.compute as pc
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.table import Table

from fraudwall.cli.boundary import reported_as
from fraudwall.cli.console import print_paths, progress_bar
from fraudwall.common import check_new_folder
from fraudwall.errors import FraudwallError, InputError
from fraudwall.funds import (
    STORE_FILE,
    AuditTrail,
    CaseStore,
    GivenGroups,
    OrderBook,
    Recovery,
    RecoveryPolicy,
    Rule,
    StoreTx,
    case_id_for,
    group_evidence,
    open_cases,
    reports_from_table,
    write_flow,
)
from fraudwall.model import DAY_MS, CaseFile, OrderKind, utc, yuan
from fraudwall.sim import World as SimWorld
from fraudwall.sim import read_world

DEFAULT_POLICY = RecoveryPolicy()
"""What `cases stop` runs under unless told otherwise, and what `trace` uses when the
store keeps no policy: the chain's own defaults, one source for both."""

cases_app = typer.Typer(
    no_args_is_help=True,
    help="Victims' reports as cases: open them, stop and freeze the money, return it.",
)

World = Annotated[Path, typer.Argument(help="A world folder (events, entities, reports).")]
RuleOpt = Annotated[
    Rule, typer.Option("--rule", case_sensitive=False, help="How a debit takes its labels.")
]
Hops = Annotated[int, typer.Option("--hops", min=1, max=20, help="Hop limit.")]
WindowDays = Annotated[
    int, typer.Option("--window-days", min=1, help="Follow money this many days after payment.")
]
_STORED = " [default: the case store's policy, else {}]"
TraceRule = Annotated[
    Rule | None,
    typer.Option(
        "--rule",
        case_sensitive=False,
        show_default=False,
        help="How a debit takes its labels." + _STORED.format(DEFAULT_POLICY.rule),
    ),
]
TraceHops = Annotated[
    int | None,
    typer.Option(
        "--hops", min=1, max=20, show_default=False,
        help="Hop limit." + _STORED.format(DEFAULT_POLICY.max_hops),
    ),
]  # fmt: skip
TraceWindowDays = Annotated[
    int | None,
    typer.Option(
        "--window-days", min=1, show_default=False,
        help="Follow money this many days after payment."
        + _STORED.format(DEFAULT_POLICY.window_ms // DAY_MS),
    ),
]  # fmt: skip


GangsOpt = Annotated[
    Path | None,
    typer.Option(
        "--gangs",
        help="Group the cases as the gangs `fraudwall gangs WORLD --out DIR` found (its DIR); "
        "cases it does not name are grouped by what they share.",
    ),
]
GANG_LINKS = "case_links.parquet"


def _given_groups(gangs: Path | None) -> GivenGroups | None:
    """The case groups in a `fraudwall gangs` folder (each report's gang and evidence), or
    one line saying why they cannot be read."""
    if gangs is None:
        return None
    from fraudwall.intel.gangs import case_group_rows

    path = gangs / GANG_LINKS
    if not path.is_file():
        raise InputError(str(path), "no such file", hint="run `fraudwall gangs WORLD --out DIR`")
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise InputError(str(path), f"not a Parquet file ({exc})") from None
    with reported_as(str(path)):
        return GivenGroups.of_reports(case_group_rows(table), source="gangs")


def _world(world: Path, tables: Collection[str] | None = None) -> SimWorld:
    """The world in the folder (checked whole; only `tables` read, default all), or one
    line saying why there is none."""
    if not world.is_dir():
        hint = "give a folder that `fraudwall simulate` wrote"
        raise InputError(str(world), "no such folder", hint=hint)
    try:
        return read_world(world, tables)
    except FraudwallError:
        raise
    except ValueError as exc:  # a manifest this fraudwall cannot read
        raise InputError(str(world), str(exc)) from exc


def _world_id(world: Path, made: SimWorld) -> str:
    """The id a case store of this world is bound to."""
    if made.world_id is None:
        raise InputError(
            str(world / "manifest.json"),
            "records no world id (written before worlds had one), so a case store cannot be "
            "checked against it",
            hint="write the world again with `fraudwall simulate`",
        )
    return made.world_id


@contextmanager
def _writing(world: Path, made: SimWorld) -> Iterator[StoreTx]:
    """The world's case store (made if need be) in one transaction under its write lock."""
    store = CaseStore.in_world(world)
    try:
        with store.writing(_world_id(world, made)) as tx:
            yield tx
    finally:
        store.close()


@contextmanager
def _reading(world: Path, made: SimWorld) -> Iterator[StoreTx]:
    """The world's case store, which must be there, in one read transaction."""
    store = CaseStore.in_world(world, create=False)
    try:
        with store.reading(_world_id(world, made)) as tx:
            yield tx
    finally:
        store.close()


def _window_days(policy: RecoveryPolicy) -> int | float:
    days, rest = divmod(policy.window_ms, DAY_MS)
    return days if rest == 0 else policy.window_ms / DAY_MS


def _find_case(cases: list[CaseFile], wanted: str) -> CaseFile:
    for c in cases:
        if wanted in (c.case_id, c.report_id, case_id_for(wanted)):
            return c
    raise InputError("--case", f"no case or report '{wanted}'", hint="see `fraudwall cases list`")


# --- fraudwall trace -----------------------------------------------------------------------
def trace_cmd(
    world: World,
    case: Annotated[str, typer.Option("--case", help="A case id or the report id it came from.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the fund-flow table and graph.")],
    rule: TraceRule = None,
    hops: TraceHops = None,
    window_days: TraceWindowDays = None,
    group: Annotated[
        bool, typer.Option("--group", help="Trace every case of the case's group together.")
    ] = False,
) -> None:
    """Trace a case's money through the ledger; write the 资金流向表 (CSV, XLSX) and graph.

    Traces under the policy the case store keeps (the one `cases stop` used), else the
    chain's defaults; --rule, --hops and --window-days override it."""
    check_new_folder(out, force=True, option="--out")  # before the work, not after it
    console = Console()
    made = _world(world)
    tables = made.tables
    store = CaseStore.in_world(world, create=False)
    try:  # no store yet: the world's reports are opened in memory, nothing is stored
        stored, known = None, []
        if store.exists():
            with store.reading(_world_id(world, made)) as tx:
                stored, known = tx.policy(), tx.all_cases()
    finally:
        store.close()
    base = stored or DEFAULT_POLICY
    policy = replace(
        base,
        rule=base.rule if rule is None else rule,
        max_hops=base.max_hops if hops is None else hops,
        window_ms=base.window_ms if window_days is None else window_days * DAY_MS,
    )
    given = [o for o, v in (("--rule", rule), ("--hops", hops), ("--window-days", window_days))
             if v is not None]  # fmt: skip
    source = "the case store's policy (as `cases stop` used)" if stored else "the default policy"
    console.print(
        f"tracing under {source}: {policy.rule}, {policy.max_hops} hops, "
        f"{_window_days(policy)} days" + (f" ({', '.join(given)} given)" if given else "")
    )
    if not known:  # not opened yet: open the world's reports in memory, store nothing
        known = open_cases(reports_from_table(tables["reports"]), tables).cases
    chosen = _find_case(known, case)
    members = [c for c in known if c.group_id == chosen.group_id] if group else [chosen]
    recovery = Recovery(tables, policy)
    result = recovery.trace_cases(members)
    meta = {"case_id": chosen.group_id if group else chosen.case_id, "rule": str(policy.rule),
            "max_hops": policy.max_hops, "window_days": _window_days(policy)}  # fmt: skip
    paths = write_flow(out, recovery.flow_tables(result), result.paid, meta)

    held, gone = result.held(), result.exited()
    summary = Table(
        title=f"{meta['case_id']}: {len(members)} case(s), rule {policy.rule}, "
        f"{policy.max_hops} hops"
    )
    for col in ("victim (case)", "paid", "held in accounts", "left the system"):
        summary.add_column(col, justify="right" if col != "victim (case)" else "left")
    for v in result.victims:
        summary.add_row(v, yuan(result.paid[v]), yuan(held[v]), yuan(gone[v]))
    console.print(summary)
    top = sorted(result.accounts, key=lambda r: (-r.held_fen, r.account))[:10]
    accounts = Table(title="Accounts holding the most victims' money")
    for col in ("account", "institution", "hop", "held", "own money", "balance"):
        accounts.add_column(col, justify="left" if col in ("account", "institution") else "right")
    for r in top:
        if r.held_fen > 0:
            accounts.add_row(r.account, recovery.institution_of.get(r.account, ""), str(r.hop),
                             yuan(r.held_fen), yuan(r.own_fen), yuan(r.balance_fen))  # fmt: skip
    console.print(accounts)
    holding = sum(1 for r in result.accounts if r.held_fen > 0)
    hops_text = f"{len(result.hops):,} hops, {len(result.exits):,} exits"
    console.print(f"{hops_text}, {holding:,} accounts holding money")
    print_paths(console, list(paths.items()))


# --- fraudwall cases -----------------------------------------------------------------------
@cases_app.command("open")
def open_cmd(world: World, gangs: GangsOpt = None) -> None:
    """Open the world's reports as cases (bad reports are refused with the reason)."""
    console = Console()
    given = _given_groups(gangs)
    made = _world(world)
    tables = made.tables
    reports = reports_from_table(tables["reports"])
    with _writing(world, made) as tx:
        policy = tx.policy() or DEFAULT_POLICY
        existing = tx.all_cases()
        intake = open_cases(
            reports, tables, existing=existing, intake_ms=policy.intake_ms, groups=given
        )
        tx.put_cases(intake.cases)
        tx.put_rejected([(r.report_id, r.reason) for r in intake.rejected])
    groups: dict[str, list[CaseFile]] = {}
    for c in intake.cases:
        groups.setdefault(c.group_id, []).append(c)
    table = Table(title=f"{len(intake.cases):,} cases in {len(groups):,} groups")
    for col in ("group", "cases", "reported losses", "linked by"):
        table.add_column(col, justify="right" if col in ("cases", "reported losses") else "left")
    evidence = group_evidence(intake.cases, intake.links, given)
    for g, members in sorted(groups.items(), key=lambda kv: -sum(c.loss_fen for c in kv[1])):
        kinds = sorted({k.split(":")[0] for k in evidence.get(g, {})})
        table.add_row(g, str(len(members)), yuan(sum(c.loss_fen for c in members)),
                      ", ".join(kinds) if len(members) > 1 else "")  # fmt: skip
    console.print(table)
    for r in intake.rejected:
        console.print(f"  refused {r.report_id}: {r.reason}")
    print_paths(console, [("store", world / STORE_FILE)])


@cases_app.command("list")
def list_cmd(world: World) -> None:
    """The cases in the store, with what was stopped, frozen and returned."""
    console = Console()
    with _reading(world, _world(world, tables=())) as tx:
        cases, orders = tx.all_cases(), tx.all_orders()
    if not cases:
        raise InputError(
            str(world / STORE_FILE), "no cases yet", hint="run `fraudwall cases open WORLD`"
        )
    by_group: dict[str, dict[str, int]] = {}
    for o in orders:
        sums = by_group.setdefault(o.case_id, {"stop": 0, "freeze": 0})
        if o.kind == OrderKind.STOP_PAYMENT and o.applied_ts is not None:
            sums["stop"] += o.amount_fen
        elif o.kind == OrderKind.FREEZE and o.applied_ts is not None:
            sums["freeze"] += o.amount_fen
    returned: dict[str, int] = {}
    for o in orders:
        if o.kind == OrderKind.RETURN:
            returned[o.case_id] = returned.get(o.case_id, 0) + o.amount_fen
    table = Table(title=f"{len(cases):,} cases")
    for col in ("case", "group", "victim", "type", "paid", "loss", "returned"):
        table.add_column(col, justify="right" if col in ("paid", "loss", "returned") else "left")
    for c in cases:
        back = yuan(returned.get(c.case_id, 0))
        kind = str(c.fraud_type or "")
        table.add_row(
            c.case_id,
            c.group_id,
            c.victim_person_id,
            kind,
            yuan(c.paid_fen),
            yuan(c.loss_fen),
            back,
        )
    console.print(table)
    for g, amounts in sorted(by_group.items()):
        console.print(
            f"orders of {g}: stopped {yuan(amounts['stop'])}, frozen now {yuan(amounts['freeze'])}"
        )


@cases_app.command("stop")
def stop_cmd(
    world: World,
    rule: RuleOpt = DEFAULT_POLICY.rule,
    hops: Hops = DEFAULT_POLICY.max_hops,
    window_days: WindowDays = DEFAULT_POLICY.window_ms // DAY_MS,
    gangs: GangsOpt = None,
) -> None:
    """Take each report in time: open the case, trace, stop-pay and freeze the money.

    The policy used (rule, hops, window and the chain's working times) is kept in the case
    store: `cases return` and `trace` follow it."""
    console = Console()
    given = _given_groups(gangs)
    made = _world(world)
    tables = made.tables
    policy = replace(DEFAULT_POLICY, rule=rule, max_hops=hops, window_ms=window_days * DAY_MS)
    with _writing(world, made) as tx:  # a second run waits here, then finds the orders
        if tx.has_orders():
            raise InputError(
                tx.where, "orders were already issued for this world",
                hint="`fraudwall cases orders` lists them",
            )  # fmt: skip
        console.print(f"policy: {policy.describe()}")
        audit = AuditTrail()
        recovery = Recovery(tables, policy, audit, groups=given)
        reports = reports_from_table(tables["reports"])
        if console.is_terminal:  # a bar for people watching; none in logs (it shows time)
            with progress_bar(console, "reports") as update:
                recovery.take_reports(reports, lambda done, n: update("reports", done / n))
        else:
            recovery.take_reports(reports)
        recovery.freeze_due()  # every stop the banks applied becomes its freeze
        tx.put_policy(policy)
        tx.put_cases(recovery.cases.values())
        tx.put_orders(recovery.orders.orders())
        tx.append_audit(audit)
    stops = recovery.orders.orders(kind=OrderKind.STOP_PAYMENT)
    freezes = recovery.orders.orders(kind=OrderKind.FREEZE)
    console.print(
        f"{len(recovery.cases):,} cases; {len(stops):,} stop-payment orders "
        f"({yuan(sum(o.amount_fen for o in stops if o.applied_ts is not None))} stopped); "
        f"{len(freezes):,} freezes ({yuan(sum(o.amount_fen for o in freezes))} frozen)"
    )
    print_paths(console, [("store", world / STORE_FILE)])


@cases_app.command("orders")
def orders_cmd(
    world: World,
    case: Annotated[str | None, typer.Option("--case", help="Only this group's orders.")] = None,
) -> None:
    """The stop-payment, freeze and return orders, with their state and deadline."""
    console = Console()
    with _reading(world, _world(world, tables=())) as tx:
        orders = tx.all_orders()
    if case is not None:
        orders = [o for o in orders if o.case_id in (case, case_id_for(case))]
    table = Table(title=f"{len(orders):,} orders")
    for col in ("order", "kind", "account", "institution", "amount", "state", "expires"):
        table.add_column(col, justify="right" if col == "amount" else "left")
    for o in orders:
        table.add_row(o.order_id, str(o.kind), o.account_id, o.institution_id, yuan(o.amount_fen),
                      str(o.state), utc(o.expires_ts) if o.expires_ts else "")  # fmt: skip
    console.print(table)


@cases_app.command("return")
def return_cmd(
    world: World,
    notice_days: Annotated[int, typer.Option("--notice-days", min=0)] = 30,
) -> None:
    """Return frozen money to victims under article 8 (pro-rata after the notice period).

    Claims are traced under the policy `cases stop` used, which the case store keeps."""
    console = Console()
    made = _world(world)
    tables = made.tables
    with _writing(world, made) as tx:  # a second run waits here, then finds the returns
        if not tx.has_orders(OrderKind.FREEZE):
            raise InputError(tx.where, "nothing is frozen", hint="run `fraudwall cases stop`")
        if tx.has_orders(OrderKind.RETURN):
            raise InputError(tx.where, "returns were already made for this world")
        policy = tx.policy()
        if policy is None:
            raise InputError(
                tx.where,
                "the case store keeps no recovery policy, so how the frozen money was traced "
                "is unknown",
                hint="remove it and run `fraudwall cases open` and `fraudwall cases stop` again",
            )
        console.print(f"policy (the case store's, as `cases stop` used): {policy.describe()}")
        cases, orders = tx.all_cases(), tx.all_orders()
        audit = AuditTrail()
        recovery = Recovery(
            tables, policy, audit, {c.case_id: c for c in cases}, OrderBook.restore(orders, audit)
        )
        end_ts = int(pc.max(tables["transfers"]["ts"]).as_py() or 0)
        returned = recovery.returns(end_ts, notice_days)
        tx.put_orders([*recovery.orders.orders(), *returned])
        tx.append_audit(audit)
    loss = sum(c.loss_fen for c in cases)
    total = sum(o.amount_fen for o in returned)
    console.print(f"{len(returned):,} returns, {yuan(total)} back to victims "
                  f"({total / loss:.1%} of {yuan(loss)} reported losses)" if loss else
                  f"{len(returned):,} returns")  # fmt: skip


@cases_app.command("audit")
def audit_cmd(
    world: World,
    subject: Annotated[
        str | None,
        typer.Option("--subject", help="Only entries about this case, order or account."),
    ] = None,
    last: Annotated[int, typer.Option("--last", min=1, help="Show the last N entries.")] = 50,
) -> None:
    """The audit trail: who decided what, when, on which figures (append-only)."""
    console = Console()
    with _reading(world, _world(world, tables=())) as tx:
        trail = tx.audit_trail()
    entries = [
        e for e in trail if subject is None or subject in (e.subject, e.figures.get("case_id"))
    ]
    table = Table(
        title=f"{len(entries):,} audit entries" + (f" about {subject}" if subject else "")
    )
    for col in ("time (UTC)", "actor", "action", "subject", "detail"):
        table.add_column(col, overflow="fold")
    for e in entries[-last:]:
        table.add_row(utc(e.ts), e.actor, e.action, e.subject, e.detail)
    console.print(table)
