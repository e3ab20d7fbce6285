"""The recovery chain over one world: report → case → trace → stop-payment → freeze → return.

`Recovery` drives the parts of `fraudwall.funds` in the order the police work: each
report, when it arrives, is checked and opened as a case and linked to its group; the
group's victims' money is traced through the ledger as it stands at that moment; every
account still holding traced money gets a stop-payment, which the bank checks against its
own books and applies, and which the police turn into a freeze of the traced amount a day
later (`freeze_after_ms`, within the stop's 48 hours); when the reports are in, the frozen
money goes back to the victims under article 8.

Orders are honoured when tracing again later: from the moment a stop-payment or freeze is
applied, the account pays nothing more out (as the engine refuses its debits), so money a
later trace finds there is still there.

The chain keeps time as the police would see it: a case opens at its report's time, and its
orders go out after the chain's own working time (measured), with the bank's automated
answer applied at once. The CLI (`fraudwall cases`) and the demo's funds stage both run it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import pyarrow as pa

from fraudwall.funds.audit import AuditTrail
from fraudwall.funds.cases import Intake, account_owners, case_id_for, open_cases
from fraudwall.funds.ledger import Ledger
from fraudwall.funds.orders import BankRecord, Citation, OrderBook, StopTarget
from fraudwall.funds.returns import Claim, ReturnProcess, ReturnTally
from fraudwall.funds.trace import Rule, Trace, trace
from fraudwall.model import DAY_MS, CaseFile, Order, OrderKind, OrderState, Report, yuan

ACTOR: Final = "police"


@dataclass(frozen=True)
class RecoveryPolicy:
    """How the chain traces: the rule, the hop limit and how far after the first payment.

    LIFO by default: mule accounts pass on what they have just received (快进快出), so the
    newest money leaving first is where the victims' money truly goes, and what stays is
    the holder's own. LIBR, which lets the account pay out its own money first and so keeps
    victims' claims upstream (and freezes more there), is a choice of the same policy.
    """

    rule: Rule = Rule.LIFO
    max_hops: int = 6
    window_ms: int = 30 * DAY_MS
    freeze_after_ms: int = DAY_MS  # a stop becomes a freeze within its 48 h; a day here


@dataclass(frozen=True)
class StopRound:
    """What one pass of tracing and stopping did for a group at one moment."""

    group_id: str
    at_ts: int
    trace: Trace
    issued: list[Order]
    executed: list[Order]


@dataclass
class Recovery:
    """One world's recovery chain, step by step (see the module docstring)."""

    tables: Mapping[str, pa.Table]
    policy: RecoveryPolicy = field(default_factory=RecoveryPolicy)
    audit: AuditTrail = field(default_factory=AuditTrail)
    cases: dict[str, CaseFile] = field(default_factory=dict)
    book: OrderBook | None = None

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.tables["transfers"], self.tables["accounts"])
        self.book = self.book if self.book is not None else OrderBook(self.audit)
        acc = (
            self.tables["accounts"]
            .select(["account_id", "institution_id", "owner_person_id", "name"])
            .to_pydict()
        )
        self.institution_of: dict[str, str] = dict(
            zip(acc["account_id"], acc["institution_id"], strict=True)
        )
        self.name_of: dict[str, str] = {
            a: (n or o or a)
            for a, o, n in zip(acc["account_id"], acc["owner_person_id"], acc["name"], strict=True)
        }
        self.owners = account_owners(self.tables["accounts"])
        self.links: dict[str, frozenset[str]] = {}  # case -> what it may share with others
        self.traces: dict[str, tuple[int, Trace]] = {}  # group -> (when, latest trace)
        self.first_stop_ts: dict[str, int] = {}  # case -> when its money was first stopped
        self.freezes: list[Order] = []  # every freeze as made (amounts before any return)
        self._due: list[tuple[int, str, int]] = []  # (when, stop order, balance) to freeze
        # orders never go back in time: start from the latest time the book records
        self._clock = max(
            (max(o.issued_ts, o.applied_ts or 0) for o in self.orders.orders()), default=0
        )

    @property
    def orders(self) -> OrderBook:
        assert self.book is not None
        return self.book

    # --- cases ------------------------------------------------------------------------------
    def open(self, reports: Sequence[Report], now: int | None = None) -> Intake:
        """Open cases from reports (refusing bad ones) and regroup every case."""
        intake = open_cases(
            reports,
            self.tables,
            existing=list(self.cases.values()),
            opened_ts=now,
            links=self.links,
            owners=self.owners,
        )
        before = set(self.cases)
        self.cases = {c.case_id: c for c in intake.cases}
        self.links = intake.links
        for c in intake.cases:
            if c.case_id not in before:
                self.audit.record(
                    c.opened_ts,
                    ACTOR,
                    "case_opened",
                    c.case_id,
                    f"report {c.report_id} of {c.victim_person_id}: {len(c.transfer_ids)} "
                    f"payments, {yuan(c.paid_fen)} paid, {yuan(c.loss_fen)} lost; "
                    f"group {c.group_id}",
                    group_id=c.group_id,
                    paid_fen=c.paid_fen,
                    loss_fen=c.loss_fen,
                )
        for r in intake.rejected:
            self.audit.record(
                now if now is not None else 0,
                ACTOR,
                "report_refused",
                r.report_id,
                r.reason,
            )
        return intake

    def group(self, group_id: str) -> list[CaseFile]:
        members = [c for c in self.cases.values() if c.group_id == group_id]
        if not members:
            raise KeyError(f"group_id: no case group '{group_id}'")
        return sorted(members, key=lambda c: (c.report_ts, c.case_id))

    # --- tracing ----------------------------------------------------------------------------
    def refused(self, now: int) -> dict[str, tuple[int, int]]:
        """Accounts that pay nothing out, each with the span when (from, until): every
        stop-payment or freeze applied by `now`, until it expires (what the engine enforces
        on the accounts' debits). A stop that became a freeze is followed by the freeze."""
        spans: dict[str, tuple[int, int]] = {}
        for o in self.orders.orders():
            applied = o.applied_ts
            if (
                o.kind not in (OrderKind.STOP_PAYMENT, OrderKind.FREEZE)
                or applied is None
                or applied > now
                or o.state == OrderState.LIFTED
            ):
                continue
            until = o.expires_ts - 1 if o.expires_ts is not None else 1 << 62
            start, end = spans.get(o.account_id, (applied, until))
            spans[o.account_id] = (min(start, applied), max(end, until))
        return spans

    def trace_group(self, group_id: str, now: int) -> Trace:
        """Trace the group's victims' money as the ledger stands at `now`, honouring orders.

        Each case is one victim label (a person defrauded twice has two cases, two losses).
        """
        seeds = [(c.case_id, t) for c in self.group(group_id) for t in c.transfer_ids]
        result = trace(
            self.ledger,
            seeds,
            self.policy.rule,
            max_hops=self.policy.max_hops,
            window_ms=self.policy.window_ms,
            until_ts=now,
            refused=self.refused(now),
        )
        self.traces[group_id] = (now, result)
        return result

    # --- stop-payment and freeze -----------------------------------------------------------
    def _targets(self, group_id: str, result: Trace) -> list[StopTarget]:
        """Every account (not a victim's, not a sink) holding the group's money, cited by the
        latest traced transfer into it."""
        victims_accounts = {a for c in self.group(group_id) for a in c.victim_accounts}
        last_hop: dict[str, tuple[int, str]] = {}
        for h in result.hops:
            if h.ts >= last_hop.get(h.to_account, (-1, ""))[0]:
                last_hop[h.to_account] = (h.ts, h.event_id)
        targets = []
        for r in result.accounts:
            if r.held_fen <= 0 or r.account in victims_accounts or r.account not in last_hop:
                continue
            ts, event_id = last_hop[r.account]
            j = self.ledger.transfer(event_id)
            cite = Citation(
                account_id=r.account,
                account_name=self.name_of.get(r.account, r.account),
                amount_fen=int(self.ledger.amount[j]),
                ts=ts,
                transfer_id=event_id,
            )
            targets.append(
                StopTarget(self.institution_of.get(r.account, ""), r.account, r.held_fen, cite)
            )
        return targets

    def bank_record(self, order: Order, balance_fen: int) -> BankRecord:
        """What the holding bank's own books say about an order's account and citation."""
        cite = self.orders.citation(order.order_id)
        amount = ts = None
        if cite.transfer_id is not None:
            try:
                j = self.ledger.transfer(cite.transfer_id)
            except KeyError:
                j = -1
            if j >= 0 and self.ledger.account_id(int(self.ledger.dst[j])) == order.account_id:
                amount, ts = int(self.ledger.amount[j]), int(self.ledger.ts[j])
        return BankRecord(
            account_id=order.account_id,
            account_name=self.name_of.get(order.account_id, order.account_id),
            transfer_amount_fen=amount,
            transfer_ts=ts,
            balance_fen=balance_fen,
        )

    def stop(self, group_id: str, now: int, issue_ts: int | None = None) -> StopRound:
        """Trace the group as the ledger stands at `now` and stop every account holding its
        money that has no order of the group yet, at `issue_ts` (default `now`); the bank
        answers at once; an executed stop becomes a freeze of the traced amount."""
        result = self.trace_group(group_id, now)
        at = max(now if issue_ts is None else issue_ts, self._clock)
        self._clock = at
        # the balance as the trace saw it: with the debits earlier orders refused added back
        balance = {r.account: r.balance_fen for r in result.accounts}
        issued = self.orders.follow_money(group_id, self._targets(group_id, result), at)
        executed: list[Order] = []
        for order in issued:
            record = self.bank_record(order, balance.get(order.account_id, 0))
            answered = self.orders.apply(order.order_id, record, at)
            if answered.state != OrderState.EXECUTED:
                continue
            executed.append(answered)
            # the stop lets nothing out, so the balance at the freeze is at least this one
            due = at + self.policy.freeze_after_ms
            self._due.append((due, order.order_id, balance.get(order.account_id, 0)))
        if executed:
            held_in = {r.account: r for r in result.accounts}
            stopped = {o.account_id for o in executed}
            for c in self.group(group_id):
                if c.case_id in self.first_stop_ts:
                    continue
                if any(result.holding(a, c.case_id) > 0 for a in stopped if a in held_in):
                    self.first_stop_ts[c.case_id] = at
        return StopRound(group_id, at, result, issued, executed)

    def freeze_due(self, now: int) -> list[Order]:
        """Turn the stops whose time has come (`freeze_after_ms` after they were applied, by
        `now`) into freezes, in the order they fall due. A freeze takes what the group's
        latest trace finds in the account: money of victims reported after the stop, which
        the stop kept there, is frozen too."""
        made: list[Order] = []
        due = sorted(d for d in self._due if d[0] <= now)
        self._due = [d for d in self._due if d[0] > now]
        for when, stop_id, balance in due:
            at = max(when, self._clock)
            self._clock = at
            stop = self.orders.get(stop_id)
            amount = stop.amount_fen
            latest = self.traces.get(stop.case_id)
            if latest is not None and latest[0] >= (stop.applied_ts or 0):
                for r in latest[1].accounts:
                    if r.account == stop.account_id:
                        amount, balance = max(amount, r.held_fen), max(balance, r.balance_fen)
            freeze = self.orders.convert_to_freeze(stop_id, balance, at, amount_fen=amount)
            if freeze.state == OrderState.EXECUTED:
                made.append(freeze)
        self.freezes.extend(made)
        return made

    # --- the whole chain ---------------------------------------------------------------------
    def take_reports(self, reports: Iterable[Report]) -> list[StopRound]:
        """Each report in time order: open the case, then trace and stop its group at once.
        The orders go out at the report's time plus the chain's own measured working time
        (intake and tracing), which is what `ms_to_first_stop` then measures."""
        rounds: list[StopRound] = []
        for report in sorted(reports, key=lambda r: (r.ts, r.event_id)):
            self.freeze_due(report.ts)
            started = time.perf_counter()
            intake = self.open([report], now=report.ts)
            case = self.cases.get(case_id_for(report.event_id))
            if case is None or intake.rejected:
                continue
            self.trace_group(case.group_id, report.ts)
            worked = max(1, round((time.perf_counter() - started) * 1000))
            rounds.append(self.stop(case.group_id, report.ts, report.ts + worked))
        return rounds

    # --- returns ------------------------------------------------------------------------------
    def returns(self, now: int, notice_days: int | None = None) -> list[Order]:
        """Article 8 on every frozen account, as of `now` (or the book's last time if later):
        claims from the groups' latest traces, a round each; rounds that need a public notice
        are paid when it ends (no objections were lodged in a world run from the command
        line). Returns the executed return orders."""
        now = max(now, self._clock)
        self.freeze_due(now)
        now = max(now, self._clock)
        frozen_accounts = sorted(
            {
                o.account_id
                for o in self.orders.orders(kind=OrderKind.FREEZE)
                if self.orders.frozen_fen(o.account_id, now) > 0
            }
        )
        for group_id in sorted({c.group_id for c in self.cases.values()}):
            self.trace_group(group_id, now)
        tally = ReturnTally()
        paid: list[Order] = []
        pending: list[tuple[int, ReturnProcess]] = []
        for account in frozen_accounts:
            frozen = self.orders.frozen_fen(account, now)
            claims: list[Claim] = []
            sole: list[bool] = []
            unique: list[bool] = []
            for _, result in self.traces.values():
                reached = {r.account: r for r in result.accounts}.get(account)
                if reached is None:
                    continue
                for victim in result.victims:
                    held = result.holding(account, victim)
                    if held > 0:
                        case = self.cases[victim]
                        claims.append(
                            Claim(victim, victim, held, case.loss_fen, case.victim_accounts[0])
                        )
                sole.append(reached.sole_victim is not None)
                unique.append(reached.unique_split)
            if not claims:
                continue
            groups_here = len(sole)
            process = ReturnProcess(
                account,
                self.institution_of.get(account, ""),
                frozen,
                tally,
                self.audit,
                actor=ACTOR,
                **({"notice_days": notice_days} if notice_days is not None else {}),
            )
            rnd = process.open_round(
                claims,
                now,
                sole_victim=groups_here == 1 and sole[0] and len(claims) == 1,
                unique_split=groups_here == 1 and unique[0],
            )
            pending.append((rnd.notice_ends_ts or now, process))
        for when, process in sorted(pending, key=lambda p: (p[0], p[1].account_id)):
            at = max(when, self._clock)
            self._clock = at
            orders = process.execute(at)
            for ret in orders:
                self.orders.settle_return(ret, at)
            paid.extend(orders)
        return paid
