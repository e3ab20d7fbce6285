"""Returning frozen money to victims under article 8 of the 2016 rules (DESIGN §6).

Per frozen account holding F, tracing says whose money is there (each victim's traced
claim) and whether only one victim's money arrived since the balance was last ≤ 0
(`sole_victim`) or the time order splits the balance uniquely (`unique_split`, LIBR).

1. sole victim: back to that victim directly, up to F and up to their loss;
2. unique split: each victim's traced share directly, capped by F and their loss;
3. otherwise pro rata, R_i = min(L_i, ⌊F·L_i/ΣL_j⌋) with the leftover fen going by largest
   remainder, L_i the traced claim capped at the victim's net loss — after a 30-day public
   notice during which objections are heard and decided.

What is not returned stays frozen; a victim found later starts a new round on the
residual. A victim's loss caps what they get across every account and round, which a
shared `ReturnTally` tracks. Money goes back to the account the victim paid from.

`plan_returns` and `pro_rata` are pure; `ReturnProcess` is the small state machine of
one account's rounds (notice → objections → execution → next round), audited throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from fraudwall.funds.audit import AuditAction, AuditTrail, Figure
from fraudwall.model import DAY_MS, Order, OrderKind, OrderState, utc, yuan

RETURN_BASIS = "《电信网络新型违法犯罪案件冻结资金返还若干规定》（2016）第八条"
#: The public notice before a pro-rata return, in days.
NOTICE_DAYS = 30


class ReturnError(ValueError):
    """Inconsistent inputs to a return, or a step out of order."""


class ReturnRule(StrEnum):
    """Which case of article 8 decided a round."""

    SOLE_VICTIM = "sole_victim"  # 8(1): one victim's money only
    UNIQUE_SPLIT = "unique_split"  # 8(2): the time order splits the balance
    PRO_RATA = "pro_rata"  # 8(3): in proportion, after public notice


@dataclass(frozen=True, slots=True)
class Claim:
    """One victim's claim on a frozen account, as tracing found it.

    `traced_fen` is the victim's money traced into this account, `loss_fen` the victim's
    net loss overall (what they paid minus what the fraudsters paid back) and `to_account`
    the account they paid from, where the money goes back to.
    """

    victim_id: str
    case_id: str
    traced_fen: int
    loss_fen: int
    to_account: str


@dataclass(frozen=True, slots=True)
class Share:
    """One victim's part of a plan.

    `claim_fen` is what the victim may claim here (L_i: the traced claim capped at the loss
    not yet returned), `base_fen` the share before leftover fen, `extra_fen` the leftover
    fen given by largest remainder; `amount_fen = base_fen + extra_fen`.
    """

    victim_id: str
    case_id: str
    to_account: str
    claim_fen: int
    base_fen: int
    extra_fen: int

    @property
    def amount_fen(self) -> int:
        return self.base_fen + self.extra_fen


@dataclass(frozen=True, slots=True)
class ReturnPlan:
    """The amounts article 8 gives each victim from one account's frozen `frozen_fen`."""

    rule: ReturnRule
    frozen_fen: int
    shares: tuple[Share, ...]  # by victim id
    reason: str

    @property
    def returned_fen(self) -> int:
        return sum(s.amount_fen for s in self.shares)

    @property
    def residual_fen(self) -> int:
        """What stays frozen after the plan is carried out."""
        return self.frozen_fen - self.returned_fen

    @property
    def needs_notice(self) -> bool:
        """A pro-rata return waits for a public notice; direct returns do not."""
        return self.rule == ReturnRule.PRO_RATA

    def amounts(self) -> dict[str, int]:
        """Victim id → fen to return."""
        return {s.victim_id: s.amount_fen for s in self.shares}


def pro_rata(frozen_fen: int, claims: Mapping[str, int]) -> dict[str, int]:
    """Split `frozen_fen` over `claims` in proportion, in whole fen, never beyond a claim.

    R_i = min(L_i, ⌊F·L_i/ΣL⌋); the fen left to reach min(F, ΣL) go one each to the largest
    remainders F·L_i mod ΣL, ties to the larger claim, then the smaller key, so the result
    does not depend on the order the claims come in.
    """
    if frozen_fen < 0 or any(v < 0 for v in claims.values()):
        raise ReturnError("frozen amount and claims must be ≥ 0")
    total = sum(claims.values())
    if total == 0:
        return dict.fromkeys(claims, 0)
    out = {k: min(v, frozen_fen * v // total) for k, v in claims.items()}
    left = min(frozen_fen, total) - sum(out.values())
    ranked = sorted(claims, key=lambda k: (-(frozen_fen * claims[k] % total), -claims[k], k))
    for k in ranked:
        if left == 0:
            break
        if out[k] < claims[k]:
            out[k] += 1
            left -= 1
    return out


def plan_returns(
    frozen_fen: int,
    claims: Sequence[Claim],
    *,
    sole_victim: bool = False,
    unique_split: bool = False,
    returned: Mapping[str, int] | None = None,
) -> ReturnPlan:
    """Decide, under article 8, how much of `frozen_fen` goes back to each claimant.

    `returned` is what each victim has already had back (from any account or round): it
    comes off their loss, so no victim ever gets more than they lost. A `unique_split`
    whose shares exceed F is not a unique split after all; it falls back to pro rata.
    """
    if frozen_fen < 0:
        raise ReturnError(f"frozen amount {frozen_fen} < 0")
    seen: set[str] = set()
    for c in claims:
        if c.victim_id in seen:
            raise ReturnError(f"victim {c.victim_id} claims twice on one account")
        if c.traced_fen < 0 or c.loss_fen < 0:
            raise ReturnError(f"victim {c.victim_id}: traced amount and loss must be ≥ 0")
        seen.add(c.victim_id)
    back = returned or {}
    ordered = sorted(claims, key=lambda c: c.victim_id)
    left = {c.victim_id: max(0, c.loss_fen - back.get(c.victim_id, 0)) for c in ordered}

    def shares(
        base: Mapping[str, int], extra: Mapping[str, int], cap: Mapping[str, int]
    ) -> tuple[Share, ...]:
        return tuple(
            Share(
                c.victim_id,
                c.case_id,
                c.to_account,
                cap[c.victim_id],
                base[c.victim_id],
                extra.get(c.victim_id, 0),
            )
            for c in ordered
        )

    if sole_victim:
        present = [c for c in ordered if c.traced_fen > 0]
        if len(present) > 1:
            names = ", ".join(c.victim_id for c in present)
            raise ReturnError(f"sole_victim set but several victims' money is traced here: {names}")
        cap = {c.victim_id: left[c.victim_id] if c.traced_fen > 0 else 0 for c in ordered}
        base = {v: min(frozen_fen, fen) for v, fen in cap.items()}
        return ReturnPlan(
            ReturnRule.SOLE_VICTIM,
            frozen_fen,
            shares(base, {}, cap),
            "only one victim's money arrived since the balance was last ≤ 0: all of it, up to "
            "the loss, goes back to that victim",
        )
    cap = {c.victim_id: min(c.traced_fen, left[c.victim_id]) for c in ordered}
    reason = "several victims' money is mixed here: returned in proportion to their claims"
    if unique_split:
        if sum(cap.values()) <= frozen_fen:
            return ReturnPlan(
                ReturnRule.UNIQUE_SPLIT,
                frozen_fen,
                shares(cap, {}, cap),
                "the time order traces each victim's share (LIBR): each goes back directly",
            )
        reason = (
            f"the traced shares ({yuan(sum(cap.values()))}) exceed the {yuan(frozen_fen)} "
            "frozen, so the split is not unique: returned in proportion instead"
        )
    amounts = pro_rata(frozen_fen, cap)
    total = sum(cap.values())
    base = {v: min(fen, frozen_fen * fen // total) if total else 0 for v, fen in cap.items()}
    extra = {v: amounts[v] - base[v] for v in cap}
    return ReturnPlan(ReturnRule.PRO_RATA, frozen_fen, shares(base, extra, cap), reason)


class ReturnTally:
    """What each victim has had back so far, over every account and round.

    Share one tally between the return processes of all accounts so that a victim's loss
    caps the total they receive.
    """

    def __init__(self) -> None:
        self._back: dict[str, int] = {}

    def returned(self, victim_id: str) -> int:
        return self._back.get(victim_id, 0)

    def remaining(self, victim_id: str, loss_fen: int) -> int:
        """How much more the victim may get back, given their loss."""
        return max(0, loss_fen - self.returned(victim_id))

    def add(self, victim_id: str, fen: int) -> None:
        if fen < 0:
            raise ReturnError(f"cannot record a negative return to {victim_id}")
        self._back[victim_id] = self.returned(victim_id) + fen

    def as_dict(self) -> dict[str, int]:
        return dict(self._back)


@dataclass(slots=True)
class Objection:
    """An objection to a published pro-rata plan: `by` says `victim_id`'s claim should be
    `corrected_fen` (0 removes it). Decided once: upheld (the claim is corrected) or dismissed.
    """

    objection_id: str
    round_no: int
    by: str
    victim_id: str
    corrected_fen: int
    reason: str
    raised_ts: int
    upheld: bool | None = None
    decided_ts: int | None = None
    decided_by: str | None = None
    ruling: str | None = None


@dataclass(slots=True)
class ReturnRound:
    """One round of returns from an account: its plan, notice, objections and orders."""

    number: int
    opened_ts: int
    plan: ReturnPlan
    sole_victim: bool
    unique_split: bool
    notice_ends_ts: int | None  # None for a direct return
    objections: list[Objection] = field(default_factory=list)
    executed_ts: int | None = None
    orders: list[Order] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.executed_ts is None

    def pending_objections(self) -> list[Objection]:
        return [o for o in self.objections if o.upheld is None]


class ReturnProcess:
    """The returns from one frozen account, round by round.

    `open_round` plans on what is still frozen; a pro-rata round then stays open for the
    public notice, during which objections are raised (`object`) and decided (`decide`);
    `execute` pays out once the notice is over and every objection is decided. What is
    not returned stays frozen for a later round when a new victim is found.
    """

    def __init__(
        self,
        account_id: str,
        institution_id: str,
        frozen_fen: int,
        tally: ReturnTally,
        audit: AuditTrail | None = None,
        *,
        actor: str = "police",
        notice_days: int = NOTICE_DAYS,
    ) -> None:
        if frozen_fen < 0:
            raise ReturnError(f"frozen amount {frozen_fen} < 0")
        self.account_id = account_id
        self.institution_id = institution_id
        self.frozen_fen = frozen_fen
        self.tally = tally
        self.audit = audit if audit is not None else AuditTrail()
        self.actor = actor
        self.notice_ms = notice_days * DAY_MS
        self.rounds: list[ReturnRound] = []
        self.claims: dict[str, Claim] = {}
        self.returned_here: dict[str, int] = {}
        self._ruled: dict[str, int] = {}  # claims corrected by upheld objections

    @property
    def returned_fen(self) -> int:
        return sum(self.returned_here.values())

    @property
    def residual_fen(self) -> int:
        """What is still frozen in the account for victims."""
        return self.frozen_fen - self.returned_fen

    @property
    def current(self) -> ReturnRound | None:
        """The round not yet executed, if any."""
        return self.rounds[-1] if self.rounds and self.rounds[-1].open else None

    def open_round(
        self,
        claims: Iterable[Claim],
        now: int,
        *,
        sole_victim: bool = False,
        unique_split: bool = False,
    ) -> ReturnRound:
        """Plan a round on the residual with the claims tracing found.

        Claims add to those already known; a victim's new claim replaces the old one except
        where an objection was upheld, which stands. Each claim counts only what has not
        already come back from this account.
        """
        if self.current is not None:
            raise ReturnError(f"round {self.current.number} on {self.account_id} is still open")
        if self.rounds and self.residual_fen == 0:
            raise ReturnError(f"nothing is left frozen on {self.account_id} for a new round")
        new = list(claims)
        for c in new:
            self.claims[c.victim_id] = c
        if not self.claims:
            raise ReturnError(f"no claims on {self.account_id}")
        plan = self._plan(sole_victim, unique_split)
        number = len(self.rounds) + 1
        notice = now + self.notice_ms if plan.needs_notice else None
        rnd = ReturnRound(number, now, plan, sole_victim, unique_split, notice)
        self.rounds.append(rnd)
        found = ", ".join(c.victim_id for c in new) or "none"
        why = "first round" if number == 1 else f"new round (claims added: {found})"
        self._log(now, AuditAction.RETURN_PLANNED, rnd, f"{why}; {self._describe(plan)}")
        if notice is not None:
            self._log(
                now,
                AuditAction.NOTICE_PUBLISHED,
                rnd,
                f"public notice of the pro-rata return from {self.account_id} until "
                f"{utc(notice)}: objections are heard until then",
                notice_ends_ts=notice,
            )
        return rnd

    def object(
        self, victim_id: str, corrected_fen: int, now: int, *, by: str, reason: str
    ) -> Objection:
        """Record an objection, during the notice, that `victim_id`'s claim should be
        `corrected_fen` (0 to remove it)."""
        rnd = self._need_round(now)
        if rnd.notice_ends_ts is None:
            raise ReturnError(f"round {rnd.number} is a direct return with no public notice")
        if now >= rnd.notice_ends_ts:
            raise ReturnError(
                f"the notice of round {rnd.number} on {self.account_id} ended at "
                f"{utc(rnd.notice_ends_ts)}; objection from {by} is too late"
            )
        if victim_id not in self.claims:
            raise ReturnError(f"no claim of {victim_id} on {self.account_id} to object to")
        if corrected_fen < 0:
            raise ReturnError("a corrected claim must be ≥ 0")
        obj = Objection(
            f"OB-{self.account_id}-R{rnd.number}-{len(rnd.objections) + 1}",
            rnd.number,
            by,
            victim_id,
            corrected_fen,
            reason,
            now,
        )
        rnd.objections.append(obj)
        self._log(
            now,
            AuditAction.OBJECTION_RAISED,
            rnd,
            f"{obj.objection_id}: {by} says the claim of {victim_id} should be "
            f"{yuan(corrected_fen)}, not {yuan(self._traced(victim_id))}: {reason}",
            actor=by,
            objection_id=obj.objection_id,
            victim_id=victim_id,
            corrected_fen=corrected_fen,
        )
        return obj

    def decide(
        self,
        objection_id: str,
        upheld: bool,
        now: int,
        *,
        ruling: str,
        actor: str | None = None,
    ) -> ReturnRound:
        """Decide an objection. Upheld: the claim is corrected and the round replanned on
        the same residual; dismissed: the plan stands. Either way the ruling is audited."""
        rnd = self._need_round(now)
        match = [o for o in rnd.objections if o.objection_id == objection_id]
        if not match:
            raise ReturnError(f"no objection {objection_id} in round {rnd.number}")
        obj = match[0]
        if obj.upheld is not None:
            raise ReturnError(f"objection {objection_id} was already decided")
        who = actor or self.actor
        obj.upheld, obj.decided_ts, obj.decided_by, obj.ruling = upheld, now, who, ruling
        if not upheld:
            self._log(
                now,
                AuditAction.OBJECTION_DISMISSED,
                rnd,
                f"{objection_id} dismissed: {ruling}; the plan stands",
                actor=who,
                objection_id=objection_id,
            )
            return rnd
        before = self._traced(obj.victim_id)
        self._ruled[obj.victim_id] = obj.corrected_fen
        rnd.plan = self._plan(rnd.sole_victim, rnd.unique_split)
        self._log(
            now,
            AuditAction.OBJECTION_UPHELD,
            rnd,
            f"{objection_id} upheld: {ruling}; claim of {obj.victim_id} "
            f"{yuan(before)} → {yuan(obj.corrected_fen)}; revised {self._describe(rnd.plan)}",
            actor=who,
            objection_id=objection_id,
            victim_id=obj.victim_id,
            corrected_fen=obj.corrected_fen,
        )
        return rnd

    def execute(self, now: int) -> list[Order]:
        """Pay the round out: one executed return order per victim with something due.

        Refused during the notice or while an objection is undecided. Each amount is capped
        again by what the victim may still get, since other accounts may have paid them in
        the meantime; anything not paid stays frozen.
        """
        rnd = self._need_round(now)
        if rnd.notice_ends_ts is not None and now < rnd.notice_ends_ts:
            raise ReturnError(
                f"round {rnd.number} on {self.account_id} is under public notice until "
                f"{utc(rnd.notice_ends_ts)}"
            )
        pending = rnd.pending_objections()
        if pending:
            ids = ", ".join(o.objection_id for o in pending)
            raise ReturnError(f"objections not yet decided in round {rnd.number}: {ids}")
        for s in rnd.plan.shares:
            loss = self.claims[s.victim_id].loss_fen
            amount = min(s.amount_fen, self.tally.remaining(s.victim_id, loss))
            if amount < s.amount_fen:
                self._log(
                    now,
                    AuditAction.RETURN_CAPPED,
                    rnd,
                    f"{s.victim_id} was due {yuan(s.amount_fen)} but has had "
                    f"{yuan(self.tally.returned(s.victim_id))} back of a {yuan(loss)} loss "
                    f"meanwhile: pays {yuan(amount)}",
                    victim_id=s.victim_id,
                    planned_fen=s.amount_fen,
                    amount_fen=amount,
                )
            if amount == 0:
                continue
            order = Order(
                order_id=f"RT-{self.account_id}-R{rnd.number}-{len(rnd.orders) + 1}",
                kind=OrderKind.RETURN,
                case_id=s.case_id,
                institution_id=self.institution_id,
                account_id=self.account_id,
                amount_fen=amount,
                legal_basis=RETURN_BASIS,
                state=OrderState.EXECUTED,
                issued_ts=now,
                applied_ts=now,
                feedback=f"returned under article 8 ({rnd.plan.rule}), round {rnd.number}",
                to_account=s.to_account,
            )
            rnd.orders.append(order)
            self.tally.add(s.victim_id, amount)
            self.returned_here[s.victim_id] = self.returned_here.get(s.victim_id, 0) + amount
            self.audit.record(
                now,
                self.actor,
                AuditAction.RETURN_EXECUTED,
                order.order_id,
                f"{yuan(amount)} from {self.account_id} back to {s.victim_id}'s account "
                f"{s.to_account} (case {s.case_id}); {s.victim_id} has now had "
                f"{yuan(self.tally.returned(s.victim_id))} back of a {yuan(loss)} loss",
                account_id=self.account_id,
                victim_id=s.victim_id,
                case_id=s.case_id,
                amount_fen=amount,
                to_account=s.to_account,
                victim_returned_fen=self.tally.returned(s.victim_id),
                loss_fen=loss,
            )
        rnd.executed_ts = now
        paid = sum(o.amount_fen for o in rnd.orders)
        self._log(
            now,
            AuditAction.ROUND_EXECUTED,
            rnd,
            f"round {rnd.number} paid {yuan(paid)} in {len(rnd.orders)} returns; "
            f"{yuan(self.residual_fen)} stays frozen on {self.account_id}",
            paid_fen=paid,
            residual_fen=self.residual_fen,
        )
        return list(rnd.orders)

    # -- internals -------------------------------------------------------------------------

    def _traced(self, victim_id: str) -> int:
        return self._ruled.get(victim_id, self.claims[victim_id].traced_fen)

    def _plan(self, sole_victim: bool, unique_split: bool) -> ReturnPlan:
        """Plan on the residual, each claim reduced by what already came back from here."""
        claims = [
            Claim(
                c.victim_id,
                c.case_id,
                max(0, self._traced(v) - self.returned_here.get(v, 0)),
                c.loss_fen,
                c.to_account,
            )
            for v, c in self.claims.items()
        ]
        returned = {v: self.tally.returned(v) for v in self.claims}
        return plan_returns(
            self.residual_fen,
            claims,
            sole_victim=sole_victim,
            unique_split=unique_split,
            returned=returned,
        )

    def _need_round(self, now: int) -> ReturnRound:
        rnd = self.current
        if rnd is None:
            raise ReturnError(f"no open return round on {self.account_id}")
        if now < rnd.opened_ts:
            raise ReturnError(
                f"round {rnd.number} on {self.account_id} opened at {utc(rnd.opened_ts)}, "
                f"after {utc(now)}"
            )
        return rnd

    def _describe(self, plan: ReturnPlan) -> str:
        parts = []
        for s in plan.shares:
            extra = f" + {s.extra_fen} fen by largest remainder" if s.extra_fen else ""
            parts.append(f"{s.victim_id}: claim {yuan(s.claim_fen)} → {yuan(s.base_fen)}{extra}")
        return (
            f"article 8 rule {plan.rule} on {yuan(plan.frozen_fen)} frozen in "
            f"{self.account_id}: {plan.reason}; "
            + "; ".join(parts)
            + f"; {yuan(plan.residual_fen)} stays frozen"
        )

    def _log(
        self,
        now: int,
        action: AuditAction,
        rnd: ReturnRound,
        detail: str,
        *,
        actor: str | None = None,
        **extra: int | str | None,
    ) -> None:
        plan = rnd.plan
        figures: dict[str, Figure] = {
            "account_id": self.account_id,
            "round": rnd.number,
            "rule": str(plan.rule),
            "frozen_fen": plan.frozen_fen,
            "claims": {s.victim_id: s.claim_fen for s in plan.shares},
            "amounts": plan.amounts(),
            "residual_fen": plan.residual_fen,
        }
        figures.update(extra)  # figures of the step itself win over the plan's
        self.audit.record(
            now, actor or self.actor, action, f"{self.account_id}#R{rnd.number}", detail, **figures
        )
