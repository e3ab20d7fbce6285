"""Fraud operations: gangs, their phone and money infrastructure, victims and their payments.

Each gang draws its own style (how it calls, which numbers and devices it uses, where its
mule accounts come from, how fast and how deep it launders, how it cashes out), so fraud
in one world takes many shapes. Everything planted is written to the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fraudwall.errors import InputError
from fraudwall.model import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    AccountKind,
    Channel,
    DeviceKind,
    EntityKind,
    FraudType,
    Gateway,
    InstitutionKind,
    LineKind,
    Role,
    Typology,
)
from fraudwall.sim import emit, texts
from fraudwall.sim.columns import NULL
from fraudwall.sim.config import CASE_SHARES
from fraudwall.sim.entities import code
from fraudwall.sim.laundering import CaseRef, Launderer
from fraudwall.sim.ordinary import register_app
from fraudwall.sim.population import (
    BANK_WEIGHTS,
    OCC,
    OCCUPATIONS,
    YEAR_MS,
    add_devices,
    choice,
    new_mobile_numbers,
)
from fraudwall.sim.profiles import PROFILES, Profile
from fraudwall.sim.scripts import ScriptBook
from fraudwall.sim.state import SimState

#: Where fraud compounds call from (international numbers seen in China's cases).
FRAUD_COUNTRIES = (63, 855, 95, 856, 66, 84, 60)
TYPES = tuple(CASE_SHARES)
TYPE_WEIGHTS = np.array([CASE_SHARES[t] for t in TYPES])


@dataclass
class CaseRun:
    """One case being played out: who is paying, and what they have paid so far."""

    ref: CaseRef
    victim: int
    prof: Profile
    t0: int  # first contact
    t_pay: int  # first payment
    paid: int = 0
    bait_back: int = 0
    t_last: int = 0
    pay_rows: list[int] = field(default_factory=list)


@dataclass
class Gang:
    """A fraud operation with its own style and infrastructure."""

    id: int
    types: list[FraudType]
    # Contact style: how its calls reach victims.
    p_goip: float
    p_international: float
    p_spoofed: float
    sims_per_goip: int
    number_life_days: float
    calls_per_number_day: float
    sms_per_number_day: float
    # Money style.
    mule_source: np.ndarray  # weights: rented new account, dormant woken, accomplice's own
    operator_control: float  # share of mule accounts run from the gang's own devices
    numbers: list[tuple[int, int, int, int]] = field(default_factory=list)
    domains: dict[FraudType, list[int]] = field(default_factory=dict)
    devices: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    ips: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    first_hop: list[int] = field(default_factory=list)
    score_accounts: list[int] = field(default_factory=list)
    cases: int = 0


class FraudWorld:
    """Plants gangs and cases into a world whose ordinary life is already simulated."""

    def __init__(self, st: SimState) -> None:
        self.st = st
        self.rng = st.rng
        cfg = st.cfg
        n = cfg.people
        age, occ = st.people["age"], st.people["occupation"]
        # People who sell or rent their cards and SIMs (两卡): mostly young and short of money.
        seller_w = np.where((age >= 18) & (age <= 35), 1.0, 0.15) * np.select(
            [
                occ == OCC["student"],
                occ == OCC["unemployed"],
                occ == OCC["factory_worker"],
                occ == OCC["farmer"],
                occ == OCC["courier"],
            ],
            [3, 4, 2, 1.5, 1.5],
            0.5,
        )
        # Weighted random orders (A-Res keys): pop sellers from the front, no O(n) per pick.
        self.seller_queue = self.weighted_order(seller_w)
        self.older_queue = self.weighted_order(np.where(age >= 40, 1.0, 0.05))
        self.cursor = {"young": 0, "older": 0}
        self.sellers_used = np.zeros(n, dtype=bool)
        self.victims_used = np.zeros(n, dtype=bool)
        self.age_order = np.argsort(age, kind="stable")
        self.age_start = np.searchsorted(age[self.age_order], np.arange(122))
        self.banks = st.inst_index(InstitutionKind.BANK)
        self.pays = st.inst_index(InstitutionKind.PAYMENT)
        self.telcos = st.inst_index(InstitutionKind.TELCO)
        self.scripts = ScriptBook(st, self.rng)
        self.launder = Launderer(st, self)
        self.gangs: list[Gang] = []
        self.fraud_apps = {
            t: [register_app(st, a, nm) for a, nm in texts.FRAUD_APPS.get(t, ())] for t in TYPES
        }
        self.remote_apps = [register_app(st, a, nm) for a, nm in texts.REMOTE_APPS]

    # --- infrastructure ---------------------------------------------------------------
    def new_gang(self, types: list[FraudType]) -> Gang:
        rng = self.rng
        route = rng.dirichlet([2.0, 1.2, 0.8])
        g = Gang(
            id=len(self.gangs),
            types=types,
            p_goip=float(route[0]),
            p_international=float(route[1]),
            p_spoofed=float(route[2]),
            sims_per_goip=int(rng.choice([8, 16, 32])),
            number_life_days=float(rng.uniform(2, 12)),
            calls_per_number_day=float(rng.uniform(8, 40)),
            sms_per_number_day=float(rng.uniform(5, 40)),
            mule_source=rng.dirichlet([3.0, 1.0, 1.5]),
            operator_control=float(rng.uniform(0.2, 1.0)),
        )
        n_ops = int(rng.integers(1, 6))
        g.devices = add_devices(
            self.st, NULL, DeviceKind.PHONE, self.st.cfg.start_ts - DAY_MS * 30, count=n_ops
        )
        g.ips = self.st.new_ips(int(rng.integers(1, 4)))
        self.truth_entities(EntityKind.DEVICE, g.devices, Role.FRAUD_DEVICE, gang=g.id)
        self.gangs.append(g)
        return g

    def truth_entities(
        self,
        kind: EntityKind,
        ids: np.ndarray | list[int],
        role: Role,
        case: int = NULL,
        gang: int = NULL,
        fraud_type: FraudType | None = None,
        typology: Typology | None = None,
        script: np.ndarray | None = None,
    ) -> None:
        """Ground truth for `ids`; `script` gives, per id, the script of a fraud SMS."""
        k, r = code(kind), code(role)
        ft = NULL if fraud_type is None else code(fraud_type)
        ty = NULL if typology is None else code(typology)
        if isinstance(ids, np.ndarray) and len(ids) > 8:
            sc = NULL if script is None else script
            emit.truth(self.st, k, ids.astype(np.int64), r, case, gang, ft, ty, sc)
        else:
            scripts = [NULL] * len(ids) if script is None else script.tolist()
            self.st.truth_rows.extend(
                (k, int(i), r, case, gang, ft, ty, s) for i, s in zip(ids, scripts, strict=True)
            )

    def weighted_order(self, weights: np.ndarray) -> np.ndarray:
        keys = np.log(self.rng.random(len(weights))) / weights
        return np.argsort(-keys, kind="stable")

    def pick_sellers(self, k: int, older: bool = False) -> np.ndarray:
        """The next k people willing to sell accounts or SIMs; none is a victim."""
        name = "older" if older else "young"
        queue = self.older_queue if older else self.seller_queue
        out: list[int] = []
        while len(out) < k:
            i = self.cursor[name]
            person = int(queue[i % len(queue)])
            self.cursor[name] = i + 1
            if not self.victims_used[person] or i >= len(queue):
                out.append(person)
        chosen = np.array(out, dtype=np.int64)
        self.sellers_used[chosen] = True
        return chosen

    def new_mule_accounts(self, g: Gang, k: int, t_use: int) -> np.ndarray:
        """k accounts bought, rented or borrowed by the gang, as of time t_use."""
        st, rng = self.st, self.rng
        source = choice(rng, g.mule_source, k)
        out = np.empty(k, dtype=np.int64)
        for s in range(3):
            idx = np.flatnonzero(source == s)
            if not len(idx):
                continue
            if s == 2:  # an accomplice's own, long-used account: their main debit card
                owners = self.pick_sellers(len(idx))
                out[idx] = st.groups["main_account"][owners]
                typ = Typology.RENTED_ACCOUNT
            else:
                owners = self.pick_sellers(len(idx), older=(s == 1))
                if s == 0:  # opened days or weeks ago, to be sold
                    opened = t_use - rng.integers(2 * DAY_MS, 60 * DAY_MS, len(idx))
                    last = opened
                    typ = Typology.RENTED_ACCOUNT
                else:  # an old account left dormant, now woken
                    opened = st.cfg.start_ts - rng.integers(3 * YEAR_MS, 12 * YEAR_MS, len(idx))
                    last = st.cfg.start_ts - rng.integers(200 * DAY_MS, 4 * YEAR_MS, len(idx))
                    typ = Typology.DORMANT_WOKEN
                wallet = rng.random(len(idx)) < 0.25
                inst = np.where(
                    wallet,
                    self.pays[rng.integers(0, len(self.pays), len(idx))],
                    self.banks[choice(rng, BANK_WEIGHTS, len(idx))],
                )
                kind = np.where(wallet, code(AccountKind.WALLET), code(AccountKind.DEBIT_CARD))
                out[idx] = st.accounts.add_rows(
                    inst=inst, owner=owners, kind=kind, opened_ts=opened, credit_limit=0,
                    last_active_ts=last, external_kind=NULL, name=NULL,
                    region=st.people["region"][owners],
                )  # fmt: skip
            self.truth_entities(EntityKind.ACCOUNT, out[idx], Role.MULE, gang=g.id, typology=typ)
            self.truth_entities(EntityKind.PERSON, owners, Role.CARD_SELLER, gang=g.id)
        return out

    def mule_origin(self, g: Gang, accounts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Device and IP a mule account is run from: always the same for one account.

        A share of the gang's accounts (its `operator_control`) is run from the gang's own
        few phones and IPs, shared across accounts; the rest from the owner's own phone.
        """
        st = self.st
        owner = st.accounts.col("owner")[accounts]
        spread = (accounts * 2654435761) % 1000  # a fixed, well-mixed draw per account
        by_gang = (spread < g.operator_control * 1000) | (owner == NULL)
        dev = np.where(
            by_gang,
            g.devices[spread % len(g.devices)],
            st.groups["main_device"][np.maximum(owner, 0)],
        )
        ip = np.where(
            by_gang, g.ips[spread % len(g.ips)], st.groups["mobile_ip"][np.maximum(owner, 0)]
        )
        return dev, ip

    def new_numbers(self, g: Gang, t: int, fraud_type: FraudType) -> None:
        """Add a batch of numbers to the gang: bought SIMs in a SIM box, or foreign lines."""
        st, rng = self.st, self.rng
        life = int(g.number_life_days * DAY_MS)
        route = choice(rng, np.array([g.p_goip, g.p_international, g.p_spoofed]), 1)[0]
        if route == 0:  # bought SIMs (两卡) in a GOIP box
            k = g.sims_per_goip
            owners = self.pick_sellers(k)
            numbers = new_mobile_numbers(st, k)
            ids = st.phones.add_rows(
                number=numbers, telco=self.telcos[rng.integers(0, len(self.telcos), k)],
                owner=owners, country_code=86,
                activated_ts=t - rng.integers(HOUR_MS, 10 * DAY_MS, k),
                line_kind=code(LineKind.MOBILE),
            )  # fmt: skip
            box = add_devices(st, NULL, DeviceKind.GOIP, t - DAY_MS, count=1)
            self.truth_entities(
                EntityKind.DEVICE, box, Role.GOIP_DEVICE, gang=g.id, typology=Typology.GOIP
            )
            self.truth_entities(
                EntityKind.PHONE, ids, Role.FRAUD_NUMBER, gang=g.id, typology=Typology.BOUGHT_SIM
            )
            self.truth_entities(
                EntityKind.PERSON, owners, Role.CARD_SELLER, gang=g.id, typology=Typology.BOUGHT_SIM
            )
            for p in ids:
                g.numbers.append((int(p), int(box[0]), code(Gateway.DOMESTIC), t + life))
            return
        k = int(rng.integers(2, 8))
        cc = np.array(FRAUD_COUNTRIES)[rng.integers(0, len(FRAUD_COUNTRIES), k)]
        from fraudwall.sim.population import permuted

        ids = st.phones.add_rows(
            number=cc * 10**9 + permuted(k, 9 * 10**8, 10**8, rng), telco=NULL, owner=NULL,
            country_code=cc, activated_ts=NULL, line_kind=code(LineKind.MOBILE),
        )  # fmt: skip
        typ = Typology.INTERNATIONAL if route == 1 else Typology.SPOOFED
        self.truth_entities(EntityKind.PHONE, ids, Role.FRAUD_NUMBER, gang=g.id, typology=typ)
        for p in ids:
            g.numbers.append(
                (int(p), NULL, -1 if route == 2 else code(Gateway.INTERNATIONAL), t + life)
            )

    def number_for(self, g: Gang, t: int, fraud_type: FraudType) -> tuple[int, int, int]:
        """A live number of the gang at time t: (phone, device, gateway or -1 if spoofed)."""
        live = [n for n in g.numbers if n[3] > t and n[3] - g.number_life_days * DAY_MS <= t]
        if not live:
            self.new_numbers(g, t, fraud_type)
            live = [n for n in g.numbers if n[3] > t]
        p, dev, gw, _ = live[int(self.rng.integers(0, len(live)))]
        return p, dev, gw

    def domain_urls(self, g: Gang, fraud_type: FraudType) -> list[int]:
        if fraud_type not in g.domains:
            d = texts.fraud_domain(fraud_type, self.rng)
            paths = ["/", "/register", "/task", "/app/download", "/kf", "/login?ref=8"]
            g.domains[fraud_type] = list(self.st.texts.intern([f"https://{d}{p}" for p in paths]))
        return g.domains[fraud_type]

    # --- victims and their cases -------------------------------------------------------
    def pick_victim(self, fraud_type: FraudType, prof: Profile) -> int:
        """A person of a likely age and occupation for this fraud, not yet a victim or seller."""
        st, rng = self.st, self.rng
        occ = st.people["occupation"]
        mult = np.ones(len(OCCUPATIONS))
        for name, m in prof.occupations.items():
            mult[OCC[name]] = m
        for _ in range(20):
            a = int(np.clip(round(rng.normal(prof.age_mean, prof.age_sd)), 16, 85))
            lo, hi = self.age_start[a], self.age_start[a + 1]
            if hi <= lo:
                continue
            cand = self.age_order[lo + rng.integers(0, hi - lo, min(64, hi - lo))]
            w = mult[occ[cand]] * ~self.victims_used[cand] * ~self.sellers_used[cand]
            if w.sum() > 0:
                v = int(cand[choice(rng, w, 1)[0]])
                self.victims_used[v] = True
                return v
        free = np.flatnonzero(~self.victims_used & ~self.sellers_used)
        if not len(free):
            raise InputError(
                "--fraud-rate",
                f"{st.cfg.expected_cases():,.0f} fraud cases need more victims and account "
                f"sellers than {st.cfg.people:,} people can provide",
                hint="a lower --fraud-rate, fewer --days or more --people",
            )
        v = int(free[rng.integers(0, len(free))])
        self.victims_used[v] = True
        return v

    def mark(
        self, c: CaseRef, kind: EntityKind, ids: np.ndarray | list[int], role: Role,
        typology: Typology | None = None, script: np.ndarray | None = None,
    ) -> None:  # fmt: skip
        """Ground truth for something that belongs to one case."""
        self.truth_entities(kind, ids, role, c.case, c.gang.id, c.fraud_type, typology, script)

    def first_hop_account(self, c: CaseRef, t: int, small: bool) -> int:
        """Where a victim is told to pay: a first-hop mule, or a 跑分 personal account."""
        st, rng, g = self.st, self.rng, c.gang
        if small and rng.random() < PROFILES[c.fraud_type].score_running:
            if len(g.score_accounts) < 3 or rng.random() < 0.2:
                owner = self.pick_sellers(1)
                wallet = st.groups["wallet"][owner]
                acct = int(np.where(wallet != NULL, wallet, st.groups["main_account"][owner])[0])
                g.score_accounts.append(acct)
                self.truth_entities(
                    EntityKind.PERSON, owner, Role.CARD_SELLER, gang=g.id,
                    typology=Typology.SCORE_RUNNING,
                )  # fmt: skip
            acct = g.score_accounts[int(rng.integers(0, len(g.score_accounts)))]
            self.mark(c, EntityKind.ACCOUNT, [acct], Role.FIRST_HOP_MULE, Typology.SCORE_RUNNING)
            return acct
        if not g.first_hop or rng.random() < 0.35:
            g.first_hop.extend(self.new_mule_accounts(g, 1, t).tolist())
        acct = g.first_hop[-1 - int(rng.integers(0, min(4, len(g.first_hop))))]
        self.mark(c, EntityKind.ACCOUNT, [acct], Role.FIRST_HOP_MULE)
        return acct

    def contact(
        self, c: CaseRef, t: int, victim: int, by_call: bool, duration: int | None = None,
        typology: Typology | None = None,
    ) -> None:  # fmt: skip
        """One call or SMS from one of the gang's live numbers to the victim."""
        st, rng = self.st, self.rng
        phone, dev, gw = self.number_for(c.gang, t, c.fraud_type)
        callee = np.array([st.groups["main_phone"][victim]])
        if by_call:
            d = duration if duration is not None else int(rng.integers(60_000, 900_000))
            rows = self.emit_calls(np.array([t]), phone, dev, gw, callee, np.array([d]))
            script = None
            kind = EntityKind.CALL
        else:
            base = self.scripts.pool[c.fraud_type]
            gateway = Gateway.DOMESTIC if gw == code(Gateway.DOMESTIC) else Gateway.INTERNATIONAL
            pick = rng.integers(0, len(base), 1)
            ts = np.array([t])
            text, script = self.scripts.choose(c.gang.id, c.fraud_type, ts, pick)
            rows = emit.sms(st, ts, np.array([phone]), callee, text, gateway, dev)
            kind = EntityKind.SMS
        typology = typology or self.route_typology(dev, gw)
        self.mark(c, kind, rows, Role.FRAUD_CONTACT, typology, script)

    def route_typology(self, dev: int, gw: int) -> Typology:
        if gw == -1:
            return Typology.SPOOFED
        if gw == code(Gateway.INTERNATIONAL):
            return Typology.INTERNATIONAL
        return Typology.GOIP if dev != NULL else Typology.BOUGHT_SIM

    def emit_calls(
        self, ts: np.ndarray, phone: int, dev: int, gw: int, callee: np.ndarray,
        duration: np.ndarray,
    ) -> np.ndarray:  # fmt: skip
        """Calls from one gang number; a spoofed line shows a domestic caller ID."""
        st, rng = self.st, self.rng
        k = len(ts)
        caller = np.full(k, phone)
        if gw == -1:
            service = st.phones.col("number")[st.groups["service_phone"][:13]]
            fake_mobile = 86 * 10**11 + 13 * 10**9 + rng.integers(0, 7 * 10**9, k)
            fake_gov = 86 * 10**10 + 10 * 10**8 + rng.integers(0, 10**8, k)
            pick = rng.random(k)
            presented = np.where(
                pick < 0.5,
                fake_mobile,
                np.where(pick < 0.8, service[rng.integers(0, len(service), k)], fake_gov),
            )
            return emit.calls(
                st, ts, caller, callee, duration, Gateway.INTERNATIONAL, presented, dev
            )
        gateway = Gateway.DOMESTIC if gw == code(Gateway.DOMESTIC) else Gateway.INTERNATIONAL
        return emit.calls(st, ts, caller, callee, duration, gateway, None, dev)

    def plant_case(self, case: int, ft: FraudType, g: Gang) -> None:
        """One case from first contact to the last payment (and maybe a report)."""
        st, rng, cfg = self.st, self.rng, self.st.cfg
        c = CaseRef(case, g, ft)
        prof = PROFILES[ft]
        victim = self.pick_victim(ft, prof)
        self.mark(c, EntityKind.PERSON, [victim], Role.VICTIM)
        # Plan the whole case first, then fit it into the window so that planted cases
        # finish (a short world compresses the schedule rather than cutting payments off).
        span = cfg.end_ts - cfg.start_ts
        groom = rng.uniform(*prof.grooming_days) * DAY_MS
        n_pay = int(rng.integers(prof.payments[0], prof.payments[1] + 1))
        gaps = prof.between_payments_h * HOUR_MS * np.exp(0.8 * rng.standard_normal(n_pay))
        baits = int(rng.integers(1, 4)) if rng.random() < prof.bait else 0
        total = groom + gaps.sum() + (baits + 1) * 3 * HOUR_MS
        scale = min(1.0, 0.8 * span / total)
        groom, gaps = int(groom * scale), np.maximum(2 * MINUTE_MS, gaps * scale).astype(np.int64)
        latest = cfg.end_ts - int(total * scale)
        t0 = int(emit.profile_times(st, cfg.start_ts, max(cfg.start_ts + 1, latest), 1)[0])
        t_pay = emit.waking(st, t0 + groom + int(rng.integers(10 * MINUTE_MS, 3 * HOUR_MS)))
        self.contact(c, t0, victim, rng.random() < prof.call_first)
        if groom > DAY_MS:  # grooming: contact every half day to two days until the payment
            t = emit.waking(st, t0 + int(rng.uniform(0.3, 2.0) * DAY_MS))
            while t < t_pay:
                self.contact(c, t, victim, rng.random() < 0.4, typology=Typology.GROOMING)
                t = emit.waking(st, t + int(rng.uniform(0.3, 2.0) * DAY_MS))
        device = st.groups["main_device"][victim]
        if rng.random() < prof.url:
            urls = np.array(self.domain_urls(g, ft))
            k = int(rng.integers(1, 4))
            ts = np.sort(rng.integers(t0, t_pay, k))
            rows = emit.url_visits(st, ts, np.full(k, device), urls[rng.integers(0, len(urls), k)])
            self.mark(c, EntityKind.URL_VISIT, rows, Role.FRAUD_VISIT)
        if rng.random() < prof.fraud_app and self.fraud_apps[ft]:
            app = self.fraud_apps[ft][int(rng.integers(0, len(self.fraud_apps[ft])))]
            t_inst = int(rng.integers(t0, t_pay))
            rows = emit.app_installs(st, np.array([t_inst]), np.array([device]), np.array([app]))
            self.mark(c, EntityKind.APP_INSTALL, rows, Role.FRAUD_INSTALL)
        if rng.random() < prof.remote_app:
            app = self.remote_apps[int(rng.integers(0, len(self.remote_apps)))]
            t_inst = t_pay - int(rng.integers(2 * MINUTE_MS, 30 * MINUTE_MS))
            rows = emit.app_installs(st, np.array([t_inst]), np.array([device]), np.array([app]))
            self.mark(c, EntityKind.APP_INSTALL, rows, Role.FRAUD_INSTALL, Typology.REMOTE_CONTROL)
        run = CaseRun(c, victim, prof, t0, t_pay)
        self.pay(run, gaps, baits)
        self.finish_case(run)

    def pay(self, run: CaseRun, gaps: np.ndarray, baits: int) -> None:
        """The victim's payments: bait rounds first (if any), then growing payments."""
        st, rng, cfg, c, prof = self.st, self.rng, self.st.cfg, run.ref, run.prof
        loss = int(prof.loss_median_yuan * np.exp(prof.loss_sigma * rng.standard_normal())) * 100
        loss = max(loss, 10_000)
        w = rng.uniform(1.2, 2.2) ** np.arange(len(gaps))
        amounts = np.maximum(100, (loss * w / w.sum()) // 100 * 100).astype(np.int64)
        if rng.random() < 0.5:  # fraudsters often ask for round sums
            amounts = np.maximum(100_00, amounts // 100_00 * 100_00)
        main = int(st.groups["main_account"][run.victim])
        wallet = int(st.groups["wallet"][run.victim])
        t = run.t_pay
        for _ in range(baits):  # small tasks first, paid back with a "rebate"
            if t >= cfg.end_ts:
                break
            b = int(rng.integers(1, 20)) * 100_00
            dst = self.first_hop_account(c, t, small=True)
            src = wallet if wallet != NULL and b <= 500_000 else main
            self.victim_payment(run, t, src, dst, b)
            back = int(b * rng.uniform(1.05, 1.3)) // 100 * 100
            t_back = t + int(rng.integers(5 * MINUTE_MS, 60 * MINUTE_MS))
            if t_back < cfg.end_ts:
                bait_src = self.bait_account(c.gang, t_back)
                memo = st.texts.code(str(rng.choice(["佣金", "返利", "收益提现", ""])))
                dev, ip = self.mule_origin(c.gang, np.array([bait_src]))
                rows = emit.transfers(
                    st, np.array([t_back]), np.array([bait_src]), np.array([src]),
                    np.array([back]), Channel.MOBILE, dev, ip, memo,
                )  # fmt: skip
                self.mark(c, EntityKind.TRANSFER, rows, Role.BAIT_PAYMENT, Typology.REBATE_BAIT)
                run.bait_back += back
            self.launder.receive(c, dst, b, t)
            t = t_back + int(rng.integers(5 * MINUTE_MS, 2 * HOUR_MS))
        for j, a in enumerate(amounts.tolist()):
            if t >= cfg.end_ts:
                break
            if prof.on_call_payment and rng.random() < prof.on_call_payment:
                start = t - int(rng.integers(5 * MINUTE_MS, 40 * MINUTE_MS))
                on_call = t - start + int(rng.integers(MINUTE_MS, 20 * MINUTE_MS))
                self.contact(c, start, run.victim, True, duration=on_call)
            if a >= 20_000_00 and rng.random() < prof.borrow:
                self.borrow_to_pay(run, t, a)
            small = a <= 500_000
            dst = self.first_hop_account(c, t, small)
            src = wallet if (wallet != NULL and small and rng.random() < 0.6) else main
            self.victim_payment(run, t, src, dst, a)
            self.launder.receive(c, dst, a, t)
            t = emit.waking(st, t + int(gaps[j]))

    def borrow_to_pay(self, run: CaseRun, t: int, amount: int) -> None:
        """The victim takes a real consumer loan just before paying (the fraud told them to)."""
        st, rng = self.st, self.rng
        lender = st.groups["lender"][int(rng.integers(0, len(st.groups["lender"])))]
        t_loan = t - int(rng.integers(10 * MINUTE_MS, 3 * HOUR_MS))
        main = st.groups["main_account"][run.victim]
        loan = min(amount, 200_000_00) // 100_00 * 100_00
        if t_loan > st.cfg.start_ts and loan > 0:
            emit.transfers(
                st,
                np.array([t_loan]),
                np.array([lender]),
                np.array([main]),
                np.array([loan]),
                Channel.BATCH,
                memo=st.texts.code("贷款发放"),
            )

    def victim_payment(self, run: CaseRun, t: int, src: int, dst: int, amount: int) -> None:
        """The victim pays the fraud from their own phone."""
        st, c = self.st, run.ref
        to_wallet = st.accounts.col("kind")[dst] == code(AccountKind.WALLET)
        memos = ["", "货款", "投资款", "保证金", "解冻金", "转账", "充值", "手续费"]
        rows = emit.transfers(
            st, np.array([t]), np.array([src]), np.array([dst]), np.array([amount]),
            Channel.QR if to_wallet else Channel.MOBILE,
            np.array([st.groups["main_device"][run.victim]]),
            np.array([st.groups["mobile_ip"][run.victim]]),
            st.texts.code(str(self.rng.choice(memos))),
        )  # fmt: skip
        self.mark(c, EntityKind.TRANSFER, rows, Role.FRAUD_PAYMENT)
        self.mark(c, EntityKind.ACCOUNT, [src], Role.VICTIM_ACCOUNT)
        run.pay_rows.extend(rows.tolist())
        run.paid += amount
        run.t_last = t

    def bait_account(self, g: Gang, t: int) -> int:
        """The gang account that pays 'rebates': one of its mules, with the gang's own money."""
        if not g.first_hop:
            g.first_hop.extend(self.new_mule_accounts(g, 1, t).tolist())
        return g.first_hop[0]

    def finish_case(self, run: CaseRun) -> None:
        """Record the case; a share of victims report it to the police after a delay."""
        st, rng, cfg, c = self.st, self.rng, self.st.cfg, run.ref
        loss = max(0, run.paid - run.bait_back)
        report_ts: int | None = None
        if (
            run.pay_rows
            and loss > 0
            and rng.random() < min(1.0, cfg.report_share * run.prof.report)
        ):
            delay = run.prof.report_delay_h * np.exp(1.0 * rng.standard_normal())
            ts = run.t_last + int(max(10 * MINUTE_MS, delay * HOUR_MS))
            if ts < cfg.end_ts:
                report_ts = ts
                st.reports.append({
                    "ts": ts, "person": run.victim, "transfers": run.pay_rows, "loss": loss,
                    "fraud_type": c.fraud_type if rng.random() < 0.9 else None, "case": c.case,
                    "narrative": texts.report_narrative(c.fraud_type, loss, rng, run.t0),
                })  # fmt: skip
        st.cases.append({
            "case": c.case, "gang": c.gang.id, "fraud_type": c.fraud_type, "victim": run.victim,
            "first_contact_ts": run.t0, "first_payment_ts": run.t_pay if run.pay_rows else None,
            "paid": run.paid, "bait": run.bait_back, "loss": loss,
            "reported": report_ts is not None, "report_ts": report_ts,
        })  # fmt: skip

    # --- mass contact ------------------------------------------------------------------
    def blasts(self) -> None:
        """Every fraud number also calls and texts many people who never become victims."""
        st, rng, cfg = self.st, self.rng, self.st.cfg
        n = cfg.people
        phone = st.groups["main_phone"]
        # A fraud number dials the whole country; a small world sees its share of those calls.
        reach = float(np.clip(n / 20_000, 0.05, 1.0))
        for g in self.gangs:
            for p, dev, gw, expiry in g.numbers:
                life = int(g.number_life_days * DAY_MS)
                lo, hi = max(cfg.start_ts, expiry - life), min(cfg.end_ts, expiry)
                if hi <= lo:
                    continue
                days = (hi - lo) / DAY_MS
                ft = g.types[int(rng.integers(0, len(g.types)))]
                k = int(rng.poisson(g.calls_per_number_day * days * reach))
                ts = emit.profile_times(st, lo, hi, k)
                callee = phone[rng.integers(0, n, k)]
                u = rng.random(k)
                dur = np.where(
                    u < 0.55,
                    0,
                    np.where(
                        u < 0.9, rng.integers(3_000, 25_000, k), rng.integers(25_000, 400_000, k)
                    ),
                )
                rows = self.emit_calls(ts, p, dev, gw, callee, dur)
                self.truth_entities(
                    EntityKind.CALL,
                    rows,
                    Role.FRAUD_CONTACT,
                    gang=g.id,
                    fraud_type=ft,
                    typology=self.route_typology(dev, gw),
                )
                # A few people who missed or cut the call ring back, briefly.
                back = (rng.random(k) < 0.04) & (dur < 25_000)
                t_back = ts[back] + rng.integers(MINUTE_MS, 6 * HOUR_MS, int(back.sum()))
                inside = t_back < cfg.end_ts
                if inside.any():
                    who = callee[back][inside]
                    gateway = (
                        Gateway.DOMESTIC
                        if gw == code(Gateway.DOMESTIC)
                        else (Gateway.INTERNATIONAL)
                    )
                    rows = emit.calls(
                        st,
                        t_back[inside],
                        who,
                        np.full(len(who), p),
                        rng.integers(0, 40_000, len(who)),
                        gateway,
                        device=st.groups["main_device"][st.phones.col("owner")[who]],
                    )
                    self.truth_entities(
                        EntityKind.CALL, rows, Role.FRAUD_CONTACT, gang=g.id, fraud_type=ft
                    )
                if gw != code(Gateway.DOMESTIC):
                    continue
                k = int(rng.poisson(g.sms_per_number_day * days * reach))
                ts = emit.profile_times(st, lo, hi, k)
                receiver = rng.integers(0, n, k)
                pick = rng.integers(0, len(self.scripts.pool[ft]), k)
                text, script = self.scripts.choose(g.id, ft, ts, pick)
                rows = emit.sms(st, ts, np.full(k, p), phone[receiver], text, Gateway.DOMESTIC, dev)
                self.truth_entities(
                    EntityKind.SMS,
                    rows,
                    Role.FRAUD_CONTACT,
                    gang=g.id,
                    fraud_type=ft,
                    typology=self.route_typology(dev, gw),
                    script=script,
                )
                # A few recipients click the link without ever paying (hard negatives).
                t_click = ts + rng.integers(MINUTE_MS, HOUR_MS, k)
                click = (rng.random(k) < 0.02) & (t_click < cfg.end_ts)
                if click.any() and ft in g.domains:
                    urls = np.array(g.domains[ft])
                    who = receiver[click]
                    rows = emit.url_visits(
                        st,
                        t_click[click],
                        st.groups["main_device"][who],
                        urls[rng.integers(0, len(urls), len(who))],
                    )
                    self.truth_entities(
                        EntityKind.URL_VISIT, rows, Role.FRAUD_VISIT, gang=g.id, fraud_type=ft
                    )

    def run(self) -> None:
        rng, cfg = self.rng, self.st.cfg
        n_cases = int(rng.poisson(cfg.expected_cases()))
        types = [TYPES[i] for i in choice(rng, TYPE_WEIGHTS, n_cases)]
        n_gangs = max(2, int(np.ceil(n_cases / 30)))
        for _ in range(n_gangs):
            k = int(rng.integers(1, 4))
            self.new_gang([TYPES[i] for i in choice(rng, TYPE_WEIGHTS, k)])
        for case, ft in enumerate(types):
            able = [g for g in self.gangs if ft in g.types]
            if not able:
                g = self.gangs[int(rng.integers(0, len(self.gangs)))]
                g.types.append(ft)
                able = [g]
            g = able[int(rng.integers(0, len(able)))]
            g.cases += 1
            self.plant_case(case, ft, g)
        self.blasts()
        for g in self.gangs:
            for ft, urls in g.domains.items():
                self.truth_entities(EntityKind.URL, urls, Role.FRAUD_URL, gang=g.id, fraud_type=ft)
        for ft, apps in self.fraud_apps.items():
            self.truth_entities(EntityKind.APP, apps, Role.FRAUD_APP, fraud_type=ft)


def plant_fraud(st: SimState) -> FraudWorld:
    fw = FraudWorld(st)
    fw.run()
    return fw
