"""The recovery chain over one world: report → case → trace → stop-payment → freeze → return.

`Recovery` drives the parts of `fraudwall.funds` in the order the police work: each
report, when it has been taken in, is checked and opened as a case and linked to its group;
the group's victims' money is traced through the ledger as it stands at that moment; every
account still holding traced money gets a stop-payment, which the holding bank checks
against its own books and applies, and which the police turn into a freeze of the traced
amount a day later (within the stop's 48 hours); when the reports are in, the frozen money
goes back to the victims under article 8.

Orders are honoured when tracing again later: from the moment a stop-payment or freeze is
applied, the account pays nothing more out (as the engine refuses its debits), so money a
later trace finds there is still there.

The chain keeps time as the police would see it, and only by its `RecoveryPolicy`: a case
opens `intake_ms` after its report, its stop-payments go out then, the banks answer
`bank_response_ms` later and the freezes follow `freeze_after_ms` after that. No step reads
the machine's clock, so the same world and policy give the same orders, times and trail on
any machine. The steps of different reports interleave in time order, as at a police
station working several cases with its banks. The CLI (`fraudwall cases`) and the demo's
funds stage both run it.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Final

import pyarrow as pa

from fraudwall.funds.audit import AuditAction, AuditTrail
from fraudwall.funds.cases import (
    GivenGroups,
    Intake,
    Rejected,
    account_owners,
    case_id_for,
    open_cases,
)
from fraudwall.funds.flowtable import FlowTables
from fraudwall.funds.ledger import Ledger
from fraudwall.funds.orders import STOP_PAYMENT_MS, BankRecord, Citation, OrderBook, StopTarget
from fraudwall.funds.returns import Claim, ReturnProcess, ReturnTally
from fraudwall.funds.trace import Rule, Trace, trace
from fraudwall.model import DAY_MS, CaseFile, Order, OrderKind, OrderState, Report, yuan

ACTOR: Final = "police"
_NEVER: Final = 1 << 62  # later than any time in a world


@dataclass(frozen=True)
class RecoveryPolicy:
    """How the chain traces, and how long the police and the banks take (times in ms).

    Tracing: the rule, the hop limit and how far after the first payment. LIFO by default:
    mule accounts pass on what they have just received (快进快出), so the newest money
    leaving first is where the victims' money truly goes, and what stays is the holder's
    own. LIBR, which lets the account pay out its own money first and so keeps victims'
    claims upstream (and freezes more there), is a choice of the same policy.

    Working times, round figures from published practice rather than anything measured on
    the machine running the chain, so that a world gives the same orders everywhere:

    - `intake_ms`, 30 minutes: from a victim's report to the case opened and the
      stop-payment request sent. Under the 2016 mechanism of the Ministry of Public
      Security and the CBRC (《关于建立电信网络新型违法犯罪涉案账户紧急止付和快速冻结机制的
      通知》) the police take the report, check the victim's payments and send the
      stop-payment through the banks' risk-event platform at once; anti-fraud centres work
      to a "golden hour" after the payment, so intake counts in tens of minutes.
    - `bank_response_ms`, 5 minutes: from the request to the holding bank's answer. That
      notice and the Anti-Telecom and Online Fraud Law (2022) have the bank execute a
      stop-payment at once on receipt; checking name, number, amount and time against its
      books and answering on the platform is automated, minutes at most. Money that leaves
      the account before the bank applies the stop is gone.
    - `freeze_after_ms`, one day: from the stop applied to the freeze. The police must apply
      for the freeze within the stop's 48 hours; a day's work here, and never 48 hours or
      more (the stop would have ended).
    """

    rule: Rule = Rule.LIFO
    max_hops: int = 6
    window_ms: int = 30 * DAY_MS
    intake_ms: int = 30 * 60_000
    bank_response_ms: int = 5 * 60_000
    freeze_after_ms: int = DAY_MS

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "rule", Rule(self.rule))
        except ValueError:
            choices = ", ".join(r.value for r in Rule)
            raise ValueError(f"rule: must be one of {choices}; got {self.rule!r}") from None
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "rule" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{f.name}: must be an integer; got {value!r}")
        if self.max_hops < 1:
            raise ValueError(f"max_hops: must be at least 1; got {self.max_hops}")
        for name in ("window_ms", "intake_ms", "bank_response_ms", "freeze_after_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be >= 0; got {getattr(self, name)}")
        if self.freeze_after_ms >= STOP_PAYMENT_MS:
            raise ValueError(
                f"freeze_after_ms: a freeze must follow its stop-payment within the stop's "
                f"{STOP_PAYMENT_MS // 3_600_000} hours; got {duration_text(self.freeze_after_ms)}"
            )

    def to_record(self) -> dict[str, int | str]:
        """The policy as plain values, field by field (what the case store keeps)."""
        return {f.name: str(v) if f.name == "rule" else int(v)
                for f in fields(self) for v in [getattr(self, f.name)]}  # fmt: skip

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> RecoveryPolicy:
        """A policy from `to_record`'s values; a missing, unknown or bad field is named."""
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(record) - set(names))
        if unknown:
            raise ValueError(f"{unknown[0]}: not a field of the recovery policy")
        missing = [n for n in names if n not in record]
        if missing:
            raise ValueError(f"{missing[0]}: missing from the recovery policy")
        return cls(**record)  # type: ignore[arg-type]

    def describe(self) -> str:
        """One line for people: the tracing and the working times."""
        return (
            f"{self.rule}, {self.max_hops} hops, window {duration_text(self.window_ms)}; "
            f"intake {duration_text(self.intake_ms)}, bank answer "
            f"{duration_text(self.bank_response_ms)}, freeze after "
            f"{duration_text(self.freeze_after_ms)}"
        )


def duration_text(ms: int) -> str:
    """A span of time in its largest whole unit ("30 days", "5 min", "1500 ms")."""
    for unit, size in (("days", DAY_MS), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            n = ms // size
            return f"{n} {'day' if unit == 'days' and n == 1 else unit}"
    return f"{ms} ms"


@dataclass(frozen=True)
class StopRound:
    """One pass of tracing and stopping for a group: the trace the orders were sent on (at
    `at_ts`), the orders sent, and those the banks executed when they answered (at
    `answered_ts`)."""

    group_id: str
    at_ts: int
    trace: Trace
    issued: list[Order]
    executed: list[Order]
    answered_ts: int


@dataclass(frozen=True)
class Alert:
    """A payment the real-time engine held or blocked: what the police see on the case of
    the account it was going to."""

    event_id: str
    ts: int
    from_account: str
    to_account: str
    amount_fen: int
    action: str
    reason: str


@dataclass(frozen=True)
class _Answer:
    """The banks' answer due to the stop-payments a round sent."""

    group_id: str
    sent_ts: int
    trace: Trace
    issued: tuple[Order, ...]


@dataclass(frozen=True)
class _Freeze:
    """A stop-payment due to become a freeze; `balance_fen` as the bank applied the stop."""

    stop_id: str
    balance_fen: int


@dataclass(frozen=True)
class _Intake:
    """A report the police take in (open the case, trace, send the stop-payments)."""

    report: Report


_Step = _Answer | _Freeze | _Intake
#: Steps due at the same ms: the banks' answers and freezes first, then the intakes.
_RANK = {_Answer: 0, _Freeze: 0, _Intake: 1}


@dataclass
class Recovery:
    """One world's recovery chain, step by step (see the module docstring)."""

    tables: Mapping[str, pa.Table]
    policy: RecoveryPolicy = field(default_factory=RecoveryPolicy)
    audit: AuditTrail = field(default_factory=AuditTrail)
    cases: dict[str, CaseFile] = field(default_factory=dict)
    book: OrderBook | None = None
    #: case groups found outside the funds part (a gang finder's), used instead of the
    #: cases' own links for the cases they name
    groups: GivenGroups | None = None

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
        self.returned: list[Order] = []  # every return order paid out
        self.rejected: list[Rejected] = []  # reports refused at intake
        self.alerts: list[tuple[str, Alert]] = []  # (group, the engine's stop of a payment)
        # what the chain has started and not yet done: (when, rank, sequence, step), soonest
        # first
        self._pending: list[tuple[int, int, int, _Step]] = []
        self._scheduled = 0
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
            groups=self.groups,
        )
        before = set(self.cases)
        self.cases = {c.case_id: c for c in intake.cases}
        self.links = intake.links
        for c in intake.cases:
            if c.case_id not in before:
                given = self.groups
                evidence = given.linked_by(c.case_id) if given is not None else []
                linked = ""
                if given is not None and evidence:
                    linked = f" ({given.source}: {', '.join(evidence[:5])})"
                self.audit.record(
                    c.opened_ts,
                    ACTOR,
                    AuditAction.CASE_OPENED,
                    c.case_id,
                    f"report {c.report_id} of {c.victim_person_id}: {len(c.transfer_ids)} "
                    f"payments, {yuan(c.paid_fen)} paid, {yuan(c.loss_fen)} lost; "
                    f"group {c.group_id}{linked}",
                    group_id=c.group_id,
                    paid_fen=c.paid_fen,
                    loss_fen=c.loss_fen,
                    **({"linked_by": evidence} if evidence else {}),
                )
        for r in intake.rejected:
            self.audit.record(
                now if now is not None else 0,
                ACTOR,
                AuditAction.REPORT_REFUSED,
                r.report_id,
                r.reason,
            )
        self.rejected.extend(intake.rejected)
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
            until = o.expires_ts - 1 if o.expires_ts is not None else _NEVER
            start, end = spans.get(o.account_id, (applied, until))
            spans[o.account_id] = (min(start, applied), max(end, until))
        return spans

    def stop_spans(self, now: int) -> dict[str, tuple[int, int]]:
        """Accounts under a stop-payment applied by `now`, each with the span (from, until)
        when it receives but pays nothing out: from the bank's application until the stop
        ends, or until a freeze of the same case takes its place — a freeze binds an
        amount, which the bank itself keeps, and lets the rest of the account move. What
        the real-time engine refuses (`EngineState.stop_accounts`)."""
        freezes: dict[tuple[str, str], list[int]] = {}
        for o in self.orders.orders(kind=OrderKind.FREEZE):
            if o.applied_ts is not None:
                freezes.setdefault((o.account_id, o.case_id), []).append(o.applied_ts)
        spans: dict[str, tuple[int, int]] = {}
        for o in self.orders.orders(kind=OrderKind.STOP_PAYMENT):
            start = o.applied_ts
            if start is None or start > now or o.state == OrderState.LIFTED:
                continue
            end = o.expires_ts if o.expires_ts is not None else _NEVER
            later = [t for t in freezes.get((o.account_id, o.case_id), []) if t >= start]
            end = min(end, *later) if later else end
            if end <= start:
                continue
            first, last = spans.get(o.account_id, (start, end))
            spans[o.account_id] = (min(first, start), max(last, end))
        return spans

    def trace_cases(self, cases: Sequence[CaseFile], now: int | None = None) -> Trace:
        """Trace the cases' payments under the policy as the ledger stands at `now` (None: the
        whole ledger), honouring the orders applied by then. Each case is one victim label
        (a person defrauded twice has two cases, two losses)."""
        seeds = [(c.case_id, t) for c in cases for t in c.transfer_ids]
        return trace(
            self.ledger,
            seeds,
            self.policy.rule,
            max_hops=self.policy.max_hops,
            window_ms=self.policy.window_ms,
            until_ts=now,
            refused=self.refused(_NEVER if now is None else now),
        )

    def trace_group(self, group_id: str, now: int) -> Trace:
        """Trace the group's victims' money as the ledger stands at `now`; kept as the
        group's latest trace."""
        result = self.trace_cases(self.group(group_id), now)
        self.traces[group_id] = (now, result)
        return result

    def latest_trace(self, group_id: str) -> Trace:
        """The group's latest trace (what its stops, freezes and returns rest on)."""
        if group_id not in self.traces:
            raise KeyError(f"group_id: group '{group_id}' has not been traced")
        return self.traces[group_id][1]

    def flow_tables(self, result: Trace) -> FlowTables:
        """A trace's fund-flow tables with what the ledger knows filled in: each hop's whole
        transfer amount and each account's institution (what `flowtable.write_flow` and
        `flowtable.flow_graph` take)."""
        t = result.to_tables()
        ids = list(dict.fromkeys(h.event_id for h in result.hops))
        amounts = self.ledger.amount[self.ledger.transfers(ids)].tolist() if ids else []
        amount_of = dict(zip(ids, (int(a) for a in amounts), strict=True))
        return FlowTables(t.hops, t.holdings, t.exits, self.institution_of, amount_of)

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

    def _schedule(self, when: int, step: _Step) -> None:
        self._scheduled += 1
        heapq.heappush(self._pending, (when, _RANK[type(step)], self._scheduled, step))

    def _now(self, ts: int) -> int:
        """The time a step happens: `ts`, or later if the chain has already moved past it (a
        caller feeding reports out of order); the chain's clock never goes back."""
        self._clock = max(ts, self._clock)
        return self._clock

    def _send_stops(self, group_id: str, at: int, case_id: str | None = None) -> None:
        """Trace the group as the ledger stands at `at` and send a stop-payment to every
        account holding its money that has no order of the group yet; the banks' answer is
        due `bank_response_ms` later.

        A group's freeze on an account binds what the group held there when it was made (a
        stop-payment becomes a freeze of what the group's latest trace holds, so it takes
        later money too), and the group may have no second order there; so when `case_id`,
        a case just taken into the group, brings the group more money into an account it
        has frozen, a stop-payment for the difference goes out under the case's own id (as
        orders of a group merged into another keep theirs)."""
        result = self.trace_group(group_id, at)
        targets = self._targets(group_id, result)
        issued = self.orders.follow_money(group_id, targets, at)
        if case_id is not None and case_id != group_id:
            new = {o.order_id for o in issued}
            more = []
            for t in targets:
                held = self.orders.active_order(group_id, t.account_id, at)
                if (
                    held is not None
                    and held.kind == OrderKind.FREEZE
                    and held.order_id not in new
                    and t.amount_fen > held.amount_fen
                ):
                    more.append(dataclasses.replace(t, amount_fen=t.amount_fen - held.amount_fen))
            issued += self.orders.follow_money(case_id, more, at)
        answer = _Answer(group_id, at, result, tuple(issued))
        self._schedule(at + self.policy.bank_response_ms, answer)

    def _answer(self, answer: _Answer, at: int) -> StopRound:
        """The banks answer a round's stop-payments at `at`, each on its account as it stands
        then (money that left since the request is gone); an executed stop is due to become
        a freeze `freeze_after_ms` later."""
        waiting = [
            o for o in answer.issued if self.orders.get(o.order_id).state == OrderState.ISSUED
        ]
        executed: list[Order] = []
        if waiting:
            cases = self._answered_cases(answer)
            now = self.trace_cases(cases, at)
            self.traces[answer.group_id] = (at, now)
            balance = {r.account: r.balance_fen for r in now.accounts}
            for order in waiting:
                held = balance.get(order.account_id, 0)
                answered = self.orders.apply(order.order_id, self.bank_record(order, held), at)
                if answered.state == OrderState.EXECUTED:
                    executed.append(answered)
                    # the stop lets nothing out, so the balance at the freeze is at least this
                    self._schedule(at + self.policy.freeze_after_ms, _Freeze(order.order_id, held))
            stopped = {o.account_id for o in executed}
            for c in cases:
                if c.case_id not in self.first_stop_ts and any(
                    now.holding(a, c.case_id) > 0 for a in stopped
                ):
                    self.first_stop_ts[c.case_id] = at
        return StopRound(
            answer.group_id, answer.sent_ts, answer.trace, list(answer.issued), executed, at
        )

    def _answered_cases(self, answer: _Answer) -> list[CaseFile]:
        """The cases a round's stops were sent for, with those that joined their group since
        (the group may also have merged into an older one meanwhile, under that one's id)."""
        ids = set(answer.trace.victims)
        ids.update(c.case_id for c in self.cases.values() if c.group_id == answer.group_id)
        return sorted((self.cases[i] for i in ids), key=lambda c: (c.report_ts, c.case_id))

    def _freeze(self, due: _Freeze, at: int) -> None:
        """Turn a stop into a freeze of the victims' money the group's latest trace (at or
        after the stop took hold) finds in the account: money of victims reported after the
        stop, which the stop kept there, is frozen too. A stop lifted or ended meanwhile, or
        one that took hold after the victims' money had left, has nothing to become: it runs
        out."""
        stop = self.orders.get(due.stop_id)
        if stop.state != OrderState.EXECUTED or (stop.expires_ts or _NEVER) <= at:
            return
        amount, balance = stop.amount_fen, due.balance_fen
        latest = self.traces.get(stop.case_id)
        if latest is not None and latest[0] >= (stop.applied_ts or 0):
            for r in latest[1].accounts:
                if r.account == stop.account_id:
                    amount, balance = r.held_fen, max(balance, r.balance_fen)
        if amount <= 0:
            return
        freeze = self.orders.convert_to_freeze(due.stop_id, balance, at, amount_fen=amount)
        if freeze.state == OrderState.EXECUTED:
            self.freezes.append(freeze)

    def _intake(self, report: Report, at: int) -> None:
        """Open a report's case and send its group's stop-payments (refused: audited)."""
        intake = self.open([report], now=at)
        case = self.cases.get(case_id_for(report.event_id))
        if case is not None and not intake.rejected:
            self._send_stops(case.group_id, at, case.case_id)

    def run_until(self, until: int | None) -> list[StopRound]:
        """Carry out, in time order, every step due by `until` (None: every step started):
        reports received and due for intake, the banks' answers, freezes. Returns the
        rounds the banks answered."""
        rounds: list[StopRound] = []
        while self._pending and (until is None or self._pending[0][0] <= until):
            when, _, _, step = heapq.heappop(self._pending)
            at = self._now(when)
            if isinstance(step, _Answer):
                rounds.append(self._answer(step, at))
            elif isinstance(step, _Freeze):
                self._freeze(step, at)
            else:
                self._intake(step.report, at)
        return rounds

    def take_alerts(self, alerts: Iterable[Alert]) -> list[tuple[str, Alert]]:
        """The engine's holds and blocks of payments into accounts a case group's money
        reached (its latest trace holds money there, or an order of the group names the
        account): each becomes an alert on the group, in the audit trail. Returns them."""
        groups: dict[str, set[str]] = {}
        for group_id, (_, result) in self.traces.items():
            for r in result.accounts:
                if r.held_fen > 0:
                    groups.setdefault(r.account, set()).add(group_id)
        for o in self.orders.orders():
            groups.setdefault(o.account_id, set()).add(o.case_id)
        known = {c.group_id for c in self.cases.values()}
        taken: list[tuple[str, Alert]] = []
        for alert in sorted(alerts, key=lambda a: (a.ts, a.event_id)):
            for group_id in sorted(groups.get(alert.to_account, set()) & known):
                self.audit.record(
                    alert.ts,
                    "engine",
                    AuditAction.ENGINE_ALERT,
                    group_id,
                    f"{alert.action} of {yuan(alert.amount_fen)} from {alert.from_account} to "
                    f"{alert.to_account} ({alert.event_id}): {alert.reason}",
                    event_id=alert.event_id,
                    account_id=alert.to_account,
                    amount_fen=alert.amount_fen,
                )
                taken.append((group_id, alert))
        self.alerts.extend(taken)
        return taken

    def receive(self, reports: Iterable[Report]) -> None:
        """Reports as they reach the police: each is taken in `intake_ms` after its time, when
        the chain is run to then (`run_until`)."""
        for report in sorted(reports, key=lambda r: (r.ts, r.event_id)):
            self._schedule(report.ts + self.policy.intake_ms, _Intake(report))

    def freeze_due(self, now: int | None = None) -> list[Order]:
        """Carry out what falls due by `now` (None: everything the chain has started): the
        banks' answers, then each executed stop's freeze `freeze_after_ms` after it. Returns
        the freezes made."""
        made = len(self.freezes)
        self.run_until(now)
        return self.freezes[made:]

    # --- the whole chain ---------------------------------------------------------------------
    def take_reports(
        self, reports: Iterable[Report], progress: Callable[[int, int], None] | None = None
    ) -> list[StopRound]:
        """Each report in time order: `intake_ms` after it the case is opened, its group traced
        and the stop-payments sent; the banks answer `bank_response_ms` later. Returns the
        rounds, one per report taken, in the order the banks answered them (all answered;
        freezes still due wait for `freeze_due` or `returns`). `progress(done, total)` is
        called after each report."""
        ordered = sorted(reports, key=lambda r: (r.ts, r.event_id))
        self.receive(ordered)
        rounds: list[StopRound] = []
        for i, report in enumerate(ordered):
            rounds += self.run_until(report.ts + self.policy.intake_ms)
            if progress is not None:
                progress(i + 1, len(ordered))
        answers = [when for when, _, _, step in self._pending if isinstance(step, _Answer)]
        if answers:
            rounds += self.run_until(max(answers))
        return rounds

    # --- returns ------------------------------------------------------------------------------
    def returns(self, now: int, notice_days: int | None = None) -> list[Order]:
        """Article 8 on every frozen account, as of `now` (or the chain's last time if later,
        once every stop it applied has become its freeze):
        claims from the groups' latest traces, a round each; rounds that need a public notice
        are paid when it ends (no objections were lodged in a world run from the command
        line). Returns the executed return orders."""
        self.freeze_due()  # every stop the chain applied becomes its freeze first
        now = max(now, self._clock)
        frozen_accounts = sorted(
            {
                o.account_id
                for o in self.orders.orders(kind=OrderKind.FREEZE)
                if self.orders.frozen_fen(o.account_id, now) > 0
            }
        )
        # every group as it stands now (a group merged into another has no trace of its own)
        groups = sorted({c.group_id for c in self.cases.values()})
        traced = [self.trace_group(group_id, now) for group_id in groups]
        tally = ReturnTally()
        paid: list[Order] = []
        pending: list[tuple[int, ReturnProcess]] = []
        for account in frozen_accounts:
            frozen = self.orders.frozen_fen(account, now)
            claims: list[Claim] = []
            sole: list[bool] = []
            unique: list[bool] = []
            for result in traced:
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
        self.returned.extend(paid)
        return paid
