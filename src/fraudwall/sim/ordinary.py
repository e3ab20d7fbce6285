"""Ordinary life: salaries, bills, shopping, family and friends, calls, SMS, apps, logins.

All vectorised over people. Several ordinary behaviours deliberately look like fraud
(hard negatives), so that detectors must learn behaviour rather than one shape: group-buy
organisers take many small payments and pay them on (fan-in, pass-through), landlords
collect rent from several tenants, merchants settle their takings to their owners,
couriers and bank call centres call many numbers briefly, people with relatives abroad
get international calls, IT workers install remote-control apps, people buy funds with
large first-time payments.
"""

from __future__ import annotations

import numpy as np

from fraudwall.model import DAY_MS, HOUR_MS, MINUTE_MS, Channel, Gateway, InstitutionKind
from fraudwall.sim import emit, texts
from fraudwall.sim.columns import NULL
from fraudwall.sim.entities import code
from fraudwall.sim.population import (
    MERCHANT_TICKET_YUAN,
    OCC,
    choice,
    lognormal_fen,
    lognormal_int,
)
from fraudwall.sim.state import SimState

RED_PACKET_YUAN = np.array([66, 88, 100, 168, 200, 520, 666, 888, 1000, 2000, 5000, 8888])


def by_institution(st: SimState, accounts: np.ndarray, insts: np.ndarray) -> np.ndarray:
    """A lookup from institution index to the account of `accounts` that belongs to it."""
    table = np.full(len(st.institutions), NULL)
    table[insts] = accounts
    return table


def cash_account(st: SimState, accounts: np.ndarray) -> np.ndarray:
    """The cash sink (ATM / counter) of each account's own bank."""
    cash = st.groups["cash"]
    table = np.full(len(st.institutions), NULL)
    table[st.accounts.col("inst")[cash]] = cash
    out = table[st.accounts.col("inst")[accounts]]
    return np.where(out == NULL, cash[0], out)


def _pick_contact(st: SimState, people: np.ndarray, family_share: float) -> np.ndarray:
    """A random contact of each person; family with the given probability when they have one."""
    rng = st.rng
    off, dst = st.groups["contact_offsets"], st.groups["contact_dst"]
    fam = st.groups["contact_family"]
    start, end = off[people], off[people + 1]
    deg = end - start
    # Family entries come first in each person's slice.
    n_fam = np.add.reduceat(fam.astype(np.int64), off[:-1])[people] if len(fam) else 0
    n_fam = np.where(deg > 0, n_fam, 0)
    use_fam = (rng.random(len(people)) < family_share) & (n_fam > 0)
    span = np.where(use_fam, n_fam, deg)
    pos = start + (rng.random(len(people)) * np.maximum(span, 1)).astype(np.int64)
    return dst[np.minimum(pos, len(dst) - 1)]


def _payment_account(st: SimState, people: np.ndarray, wallet_share: float) -> np.ndarray:
    wallet = st.groups["wallet"][people]
    use_wallet = (wallet != NULL) & (st.rng.random(len(people)) < wallet_share)
    return np.where(use_wallet, wallet, st.groups["main_account"][people])


def _mobile_origin(st: SimState, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return st.groups["main_device"][people], st.groups["mobile_ip"][people]


def salaries(st: SimState) -> None:
    dom, _ = emit.days_in_month(st)
    employer = st.people["employer"]
    payday = st.groups["payday"]
    employers = st.groups["employer"]
    salaried = np.flatnonzero(employer != NULL)
    pension_people = np.flatnonzero(st.people["occupation"] == OCC["retiree"])
    for day in range(st.cfg.days):
        who = salaried[payday[employer[salaried]] == dom[day]]
        if len(who):
            ts = emit.local_times(st, np.full(len(who), day), emit.WORK_PROFILE)
            emit.transfers(
                st,
                ts,
                employers[employer[who]],
                st.groups["main_account"][who],
                st.people["income"][who],
                Channel.BATCH,
                memo=st.texts.code("工资"),
            )
        if dom[day] == 5 and len(pension_people):
            who = pension_people
            ts = emit.local_times(st, np.full(len(who), day), emit.WORK_PROFILE)
            emit.transfers(
                st,
                ts,
                np.full(len(who), st.groups["pension"][0]),
                st.groups["main_account"][who],
                st.people["income"][who],
                Channel.BATCH,
                memo=st.texts.code("养老金"),
            )


def shopping(st: SimState) -> None:
    rng, n = st.rng, st.cfg.people
    age = st.people["age"]
    rate = np.where(age < 40, 0.75, np.where(age < 60, 0.6, 0.35))
    counts = emit.poisson_counts(st, rate, n, propensity=True)
    payer = np.repeat(np.arange(n), counts)
    k = len(payer)
    merchants = st.groups["merchant"]
    m = choice(rng, st.groups["merchant_popularity"], k)
    cat = st.groups["merchant_category"][m]
    amount = lognormal_fen(rng, MERCHANT_TICKET_YUAN[cat], 0.7, k, unit_fen=10)
    credit = st.groups["credit_card"][payer]
    use_credit = (credit != NULL) & (rng.random(k) < 0.25)
    src = np.where(use_credit, credit, _payment_account(st, payer, 0.7))
    is_wallet = src == st.groups["wallet"][payer]
    channel = np.where(
        is_wallet, code(Channel.QR), np.where(rng.random(k) < 0.5, code(Channel.POS),
                                              code(Channel.MOBILE)),
    )  # fmt: skip
    dev, ip = _mobile_origin(st, payer)
    pos = channel == code(Channel.POS)
    ts = emit.local_times(st, emit.days_uniform(st, k, weekend=1.4))
    emit.transfers(
        st,
        ts,
        src,
        merchants[m],
        amount,
        channel,
        np.where(pos, NULL, dev),
        np.where(pos, NULL, ip),
    )


def bills(st: SimState) -> None:
    """Monthly utility bills (household heads) and phone bills (everyone), on random days."""
    rng, n = st.rng, st.cfg.people
    hh = st.people["household"]
    head = np.flatnonzero(np.concatenate([[True], hh[1:] != hh[:-1]]))
    months = max(1, round(st.cfg.days / 30))
    payer = np.repeat(head, 2 * months)
    util = st.groups["utility"][rng.integers(0, len(st.groups["utility"]), len(payer))]
    amount = lognormal_fen(rng, 150, 0.5, len(payer), unit_fen=1)
    dev, ip = _mobile_origin(st, payer)
    ts = emit.local_times(st, emit.days_uniform(st, len(payer)))
    emit.transfers(st, ts, _payment_account(st, payer, 0.6), util, amount, Channel.MOBILE, dev, ip)
    payer = np.repeat(np.arange(n), months)
    telco = st.phones.col("telco")[st.groups["main_phone"][payer]]
    billing = by_institution(st, st.groups["telco_billing"], st.inst_index(InstitutionKind.TELCO))[
        telco
    ]
    amount = lognormal_fen(rng, 70, 0.4, len(payer), unit_fen=100)
    ts = emit.local_times(st, emit.days_uniform(st, len(payer)))
    emit.transfers(
        st,
        ts,
        st.groups["main_account"][payer],
        billing,
        amount,
        Channel.BATCH,
        memo=st.texts.code("话费"),
    )


def family_and_friends(st: SimState) -> None:
    rng, n = st.rng, st.cfg.people
    counts = emit.poisson_counts(st, 0.12, n, propensity=True)
    payer = np.repeat(np.arange(n), counts)
    k = len(payer)
    payee = _pick_contact(st, payer, 0.45)
    red = rng.random(k) < 0.2
    amount = np.where(
        red,
        RED_PACKET_YUAN[rng.integers(0, len(RED_PACKET_YUAN), k)] * 100,
        lognormal_fen(rng, 300, 1.0, k, unit_fen=100),
    )
    src = _payment_account(st, payer, 0.6)
    use_wallet = (src == st.groups["wallet"][payer]) & (st.groups["wallet"][payee] != NULL)
    dst = np.where(use_wallet, st.groups["wallet"][payee], st.groups["main_account"][payee])
    dev, ip = _mobile_origin(st, payer)
    memos = st.texts.intern(["红包", "生活费", "还你的", "饭钱", "", "份子钱", "房租分摊", "转账"])
    memo = memos[rng.integers(0, len(memos), k)]
    ts = emit.local_times(st, emit.days_uniform(st, k))
    emit.transfers(st, ts, src, dst, amount, Channel.MOBILE, dev, ip, memo)


def rent(st: SimState) -> None:
    """Tenants pay landlords monthly: a landlord has several tenants (legitimate fan-in)."""
    rng, n = st.rng, st.cfg.people
    age = st.people["age"]
    landlords = np.flatnonzero((age >= 35) & (age <= 70) & (rng.random(n) < 0.02))
    tenants = np.flatnonzero((age >= 20) & (age < 45) & (rng.random(n) < 0.2))
    if not len(landlords) or not len(tenants):
        return
    landlord = landlords[rng.integers(0, len(landlords), len(tenants))]
    amount = lognormal_fen(rng, 2500, 0.4, len(tenants), unit_fen=10_000)
    dom, _ = emit.days_in_month(st)
    due = rng.integers(1, 29, len(tenants))
    for day in range(st.cfg.days):
        who = np.flatnonzero(due == dom[day])
        if not len(who):
            continue
        t = tenants[who]
        dev, ip = _mobile_origin(st, t)
        ts = emit.local_times(st, np.full(len(who), day))
        emit.transfers(
            st,
            ts,
            st.groups["main_account"][t],
            st.groups["main_account"][landlord[who]],
            amount[who],
            Channel.MOBILE,
            dev,
            ip,
            st.texts.code("房租"),
        )


def group_buys(st: SimState) -> None:
    """Group-buy organisers: many friends pay them, they pay a merchant (legit pass-through)."""
    rng, n = st.rng, st.cfg.people
    organisers = np.flatnonzero(rng.random(n) < 0.005)
    n_buys = rng.poisson(st.cfg.days / 7 * st.cfg.activity, len(organisers))
    org = np.repeat(organisers, n_buys)
    if not len(org):
        return
    k = 4 + rng.poisson(10, len(org))
    buy = np.repeat(np.arange(len(org)), k)
    payer = _pick_contact(st, org[buy], 0.1)
    payer = np.where(payer == org[buy], (payer + 1) % n, payer)
    amount = lognormal_fen(rng, 90, 0.6, len(buy), unit_fen=100)
    start = emit.local_times(st, emit.days_uniform(st, len(org)))
    ts = start[buy] + rng.integers(0, 6 * HOUR_MS, len(buy))
    dst = st.groups["main_account"][org[buy]]
    dev, ip = _mobile_origin(st, payer)
    inside = ts < st.cfg.end_ts
    amount = np.where(inside, amount, 0)  # payments after the window are not made
    emit.transfers(
        st,
        ts[inside],
        _payment_account(st, payer, 0.5)[inside],
        dst[inside],
        amount[inside],
        Channel.MOBILE,
        dev[inside],
        ip[inside],
        st.texts.code("团购"),
    )
    total = np.zeros(len(org), dtype=np.int64)
    np.add.at(total, buy, amount)  # integer sums: money never passes through a float
    merchants = st.groups["merchant"]
    m = merchants[rng.integers(0, len(merchants), len(org))]
    pay = (total * rng.uniform(0.9, 1.0, len(org))).astype(np.int64)
    ts = start + 6 * HOUR_MS + rng.integers(10 * MINUTE_MS, 24 * HOUR_MS, len(org))
    dev, ip = _mobile_origin(st, org)
    ok = (pay > 0) & (ts < st.cfg.end_ts)
    emit.transfers(
        st,
        ts[ok],
        st.groups["main_account"][org[ok]],
        m[ok],
        pay[ok],
        Channel.MOBILE,
        dev[ok],
        ip[ok],
    )


def merchant_settlements(st: SimState) -> None:
    """Each week a merchant pays most of its takings to its owner (legit pass-through)."""
    rng = st.rng
    tr = st.events["transfers"].build()
    merchants = st.groups["merchant"]
    is_m = np.zeros(st.accounts.n, dtype=bool)
    is_m[merchants] = True
    into = is_m[tr["dst"]]
    week = (tr["ts"][into] - st.cfg.start_ts) // (7 * DAY_MS)
    n_weeks = st.cfg.days // 7
    if n_weeks == 0:
        return
    idx = np.searchsorted(merchants, tr["dst"][into]) if np.all(np.diff(merchants) > 0) else None
    if idx is None:
        return
    keep = week < n_weeks
    takings = np.bincount(
        idx[keep] * n_weeks + week[keep],
        weights=tr["amount"][into][keep],
        minlength=len(merchants) * n_weeks,
    ).reshape(len(merchants), n_weeks)
    share = rng.uniform(0.5, 0.9, takings.shape)
    pay = (takings * share).astype(np.int64)
    mi, wi = np.nonzero(pay > 0)
    owner = st.accounts.col("owner")[merchants[mi]]
    ts = st.cfg.start_ts + (wi + 1) * 7 * DAY_MS + rng.integers(9 * HOUR_MS, 20 * HOUR_MS, len(mi))
    ok = ts < st.cfg.end_ts
    emit.transfers(
        st,
        ts[ok],
        merchants[mi[ok]],
        st.groups["main_account"][owner[ok]],
        pay[mi, wi][ok],
        Channel.ONLINE,
        st.groups["pc_device"][owner[ok]],
        st.groups["home_ip"][owner[ok]],
        st.texts.code("货款结算"),
    )


def cash_and_cards(st: SimState) -> None:
    """ATM withdrawals, credit-card repayments, fund purchases, loans, study abroad fees."""
    rng, n = st.rng, st.cfg.people
    main = st.groups["main_account"]
    # ATM cash.
    payer = np.repeat(np.arange(n), emit.poisson_counts(st, 0.03, n))
    acct = main[payer]
    cash = cash_account(st, acct)
    amount = lognormal_fen(rng, 800, 0.6, len(payer), unit_fen=10_000)
    ts = emit.local_times(st, emit.days_uniform(st, len(payer)))
    emit.transfers(st, ts, acct, cash, amount, Channel.ATM)
    # Credit-card repayments from the debit card.
    holders = np.flatnonzero(st.groups["credit_card"] != NULL)
    months = max(1, round(st.cfg.days / 30))
    payer = np.repeat(holders, months)
    amount = lognormal_fen(rng, 2500, 0.6, len(payer), unit_fen=100)
    dev, ip = _mobile_origin(st, payer)
    ts = emit.local_times(st, emit.days_uniform(st, len(payer)))
    emit.transfers(
        st,
        ts,
        main[payer],
        st.groups["credit_card"][payer],
        amount,
        Channel.MOBILE,
        dev,
        ip,
        st.texts.code("信用卡还款"),
    )
    # Fund purchases: large first-time payments to a fund seller (legit).
    income = st.people["income"]
    buyers = np.flatnonzero((income > 0) & (rng.random(n) < 0.02 * months))
    amount = lognormal_fen(rng, 40_000, 0.8, len(buyers), unit_fen=100_000)
    fund = st.groups["fund"][rng.integers(0, len(st.groups["fund"]), len(buyers))]
    dev, ip = _mobile_origin(st, buyers)
    ts = emit.local_times(st, emit.days_uniform(st, len(buyers)))
    emit.transfers(
        st, ts, main[buyers], fund, amount, Channel.MOBILE, dev, ip, st.texts.code("理财申购")
    )
    # Legit consumer loans: disbursement, then the borrower spends part of it.
    borrowers = np.flatnonzero((st.people["age"] < 55) & (rng.random(n) < 0.01 * months))
    amount = lognormal_fen(rng, 15_000, 0.6, len(borrowers), unit_fen=100_000)
    lender = st.groups["lender"][rng.integers(0, len(st.groups["lender"]), len(borrowers))]
    ts = emit.local_times(st, emit.days_uniform(st, len(borrowers)), emit.WORK_PROFILE)
    emit.transfers(
        st, ts, lender, main[borrowers], amount, Channel.BATCH, memo=st.texts.code("贷款发放")
    )
    # Parents paying for children studying abroad (legit cross-border).
    rel = np.flatnonzero(st.groups["relative_abroad_phone"] != NULL)
    payers = rel[rng.random(len(rel)) < 0.15 * months]
    amount = lognormal_fen(rng, 30_000, 0.5, len(payers), unit_fen=100_000)
    school = st.groups["cross_border"][2]
    ts = emit.local_times(st, emit.days_uniform(st, len(payers)), emit.WORK_PROFILE)
    emit.transfers(
        st,
        ts,
        main[payers],
        np.full(len(payers), school),
        amount,
        Channel.ONLINE,
        st.groups["pc_device"][payers],
        st.groups["home_ip"][payers],
        st.texts.code("留学费用"),
    )


def calls(st: SimState) -> None:
    rng, n = st.rng, st.cfg.people
    phone, device = st.groups["main_phone"], st.groups["main_device"]
    age = st.people["age"]
    counts = emit.poisson_counts(st, np.where(age > 60, 1.0, 1.5), n, propensity=True)
    caller = np.repeat(np.arange(n), counts)
    k = len(caller)
    callee = _pick_contact(st, caller, 0.35)
    duration = np.where(rng.random(k) < 0.12, 0, lognormal_int(rng, 70_000, 1.0, k))
    ts = emit.local_times(st, emit.days_uniform(st, k, weekend=1.2))
    emit.calls(st, ts, phone[caller], phone[callee], duration, device=device[caller])
    # Couriers call many distinct numbers briefly each working day (legit fan-out).
    couriers = np.flatnonzero(st.people["occupation"] == OCC["courier"])
    per = emit.poisson_counts(st, 20.0, len(couriers))
    caller = np.repeat(couriers, per)
    callee = rng.integers(0, n, len(caller))
    duration = np.where(rng.random(len(caller)) < 0.2, 0, rng.integers(8_000, 60_000, len(caller)))
    ts = emit.local_times(st, emit.days_uniform(st, len(caller), weekend=0.3), emit.WORK_PROFILE)
    emit.calls(st, ts, phone[caller], phone[callee], duration, device=device[caller])
    # Bank call centres call customers (legit service numbers, many callees).
    service = st.groups["service_phone"][:13]
    k = int(rng.poisson(0.03 * n * st.cfg.days * st.cfg.activity))
    callee = rng.integers(0, n, k)
    ts = emit.local_times(st, emit.days_uniform(st, k, weekend=0.1), emit.WORK_PROFILE)
    emit.calls(
        st,
        ts,
        service[rng.integers(0, len(service), k)],
        phone[callee],
        lognormal_int(rng, 120_000, 0.7, k),
    )
    # Relatives abroad call home over the international gateway.
    rel_phone = st.groups["relative_abroad_phone"]
    rel = np.flatnonzero(rel_phone != NULL)
    per = emit.poisson_counts(st, 0.25, len(rel))
    who = np.repeat(rel, per)
    ts = emit.local_times(st, emit.days_uniform(st, len(who)))
    emit.calls(
        st,
        ts,
        rel_phone[who],
        phone[who],
        lognormal_int(rng, 600_000, 0.6, len(who)),
        Gateway.INTERNATIONAL,
    )


def sms(st: SimState) -> None:
    rng, n = st.rng, st.cfg.people
    phone = st.groups["main_phone"]
    pools = {
        kind: st.texts.intern(texts.normal_sms(kind, rng, 400 if kind != "personal" else 3000))
        for kind in texts.NORMAL_SMS_KINDS
    }
    counts = emit.poisson_counts(st, 0.15, n, propensity=True)
    sender = np.repeat(np.arange(n), counts)
    receiver = _pick_contact(st, sender, 0.4)
    text = pools["personal"][rng.integers(0, len(pools["personal"]), len(sender))]
    ts = emit.local_times(st, emit.days_uniform(st, len(sender)))
    emit.sms(st, ts, phone[sender], phone[receiver], text, device=st.groups["main_device"][sender])
    # Service SMS from banks' and bulk senders' numbers.
    kinds = [k for k in texts.NORMAL_SMS_KINDS if k != "personal"]
    weights = np.array(
        [
            {
                "verification": 35,
                "bank_notice": 25,
                "delivery": 15,
                "marketing": 12,
                "loan_ad": 5,
                "telco_bill": 4,
                "reminder": 3,
                "gov_notice": 1,
            }.get(k, 2)
            for k in kinds
        ],
        dtype=float,
    )
    counts = emit.poisson_counts(st, 0.6, n)
    receiver = np.repeat(np.arange(n), counts)
    k = len(receiver)
    kind = choice(rng, weights, k)
    service = st.groups["service_phone"]
    bank_line = service[:13]
    bulk = service[13:25]
    sender = np.where(
        np.array([kinds[i] == "bank_notice" for i in range(len(kinds))])[kind],
        bank_line[rng.integers(0, len(bank_line), k)],
        bulk[rng.integers(0, len(bulk), k)],
    )
    sender = np.where(np.array([x == "gov_notice" for x in kinds])[kind], service[25], sender)
    text = np.empty(k, dtype=np.int64)
    for i, name in enumerate(kinds):
        sel = np.flatnonzero(kind == i)
        text[sel] = pools[name][rng.integers(0, len(pools[name]), len(sel))]
    ts = emit.local_times(st, emit.days_uniform(st, k))
    emit.sms(st, ts, sender, phone[receiver], text)


def apps_urls_logins(st: SimState) -> None:
    rng, n = st.rng, st.cfg.people
    device = st.groups["main_device"]
    # App installs: ordinary apps, and remote-control apps for IT workers and some elders.
    legit = [register_app(st, app_id, name) for app_id, name in texts.LEGIT_APPS]
    remote = [register_app(st, app_id, name) for app_id, name in texts.REMOTE_APPS]
    counts = emit.poisson_counts(st, 0.02, n, propensity=True)
    who = np.repeat(np.arange(n), counts)
    occ, age = st.people["occupation"][who], st.people["age"][who]
    p_remote = np.where(occ == OCC["it_worker"], 0.15, np.where(age > 60, 0.03, 0.01))
    is_remote = rng.random(len(who)) < p_remote
    app = np.where(
        is_remote,
        np.array(remote)[rng.integers(0, len(remote), len(who))],
        np.array(legit)[rng.integers(0, len(legit), len(who))],
    )
    ts = emit.local_times(st, emit.days_uniform(st, len(who)))
    emit.app_installs(st, ts, device[who], app)
    # URL visits to ordinary sites.
    paths = ["", "/", "/item/", "/news/", "/login", "/search?q=", "/video/", "/user/center"]
    urls = st.texts.intern(
        [
            f"https://{d}{p}{i if p.endswith(('/', '=')) and p != '/' else ''}"
            for d in texts.LEGIT_DOMAINS
            for p in paths
            for i in range(3)
        ]
    )
    counts = emit.poisson_counts(st, 0.3, n, propensity=True)
    who = np.repeat(np.arange(n), counts)
    ts = emit.local_times(st, emit.days_uniform(st, len(who)))
    emit.url_visits(st, ts, device[who], urls[rng.integers(0, len(urls), len(who))])
    # Logins to banking and wallet apps.
    counts = emit.poisson_counts(st, 0.4, n, propensity=True)
    who = np.repeat(np.arange(n), counts)
    acct = _payment_account(st, who, 0.5)
    on_pc = (st.groups["pc_device"][who] != NULL) & (rng.random(len(who)) < 0.15)
    dev = np.where(on_pc, st.groups["pc_device"][who], device[who])
    ip = np.where(on_pc, st.groups["home_ip"][who], st.groups["mobile_ip"][who])
    ts = emit.local_times(st, emit.days_uniform(st, len(who)))
    emit.logins(st, ts, acct, dev, ip)


def register_app(st: SimState, app_id: str, name: str) -> int:
    """Intern an app's id and remember its name and permissions."""
    if app_id not in st.apps:
        st.apps[app_id] = (name, texts.app_permissions(app_id, st.rng))
    return st.texts.code(app_id)


def simulate_ordinary_life(st: SimState) -> None:
    salaries(st)
    shopping(st)
    bills(st)
    family_and_friends(st)
    rent(st)
    group_buys(st)
    merchant_settlements(st)
    cash_and_cards(st)
    calls(st)
    sms(st)
    apps_urls_logins(st)
