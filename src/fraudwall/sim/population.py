"""People, institutions, accounts, phones, devices and the social graph of ordinary life."""

from __future__ import annotations

import numpy as np

from fraudwall.model import DAY_MS, AccountKind, DeviceKind, ExternalKind, InstitutionKind, LineKind
from fraudwall.sim import texts
from fraudwall.sim.columns import NULL
from fraudwall.sim.entities import code
from fraudwall.sim.state import Institution, SimState

YEAR_MS = 365 * DAY_MS

REGIONS = ("BJ", "SH", "GD", "ZJ", "JS", "SD", "HA", "SC", "HB", "FJ", "HN", "AH")
REGION_WEIGHTS = np.array([5, 5, 14, 8, 9, 10, 9, 8, 6, 4, 7, 6], dtype=float)

OCCUPATIONS = (
    "student", "office_worker", "factory_worker", "farmer", "retiree", "self_employed",
    "civil_servant", "it_worker", "unemployed", "finance_staff", "courier", "homemaker",
    "teacher", "medical",
)  # fmt: skip
OCC = {name: i for i, name in enumerate(OCCUPATIONS)}
#: Occupation mix by age band (<23, 23-59, 60+), in OCCUPATIONS order.
_OCC_BY_BAND = np.array(
    [
        [70, 8, 10, 1, 0, 1, 0, 1, 5, 0, 4, 0, 0, 0],
        [0, 22, 15, 8, 0, 12, 5, 8, 5, 4, 4, 6, 5, 6],
        [0, 1, 0, 12, 78, 5, 0, 0, 0, 0, 0, 4, 0, 0],
    ],
    dtype=float,
)
#: Median monthly income in yuan by occupation; 0 = no salary transfers.
_INCOME_YUAN = np.array(
    [0, 7000, 5000, 0, 3500, 0, 8000, 15000, 0, 10000, 7000, 0, 7000, 9000], dtype=float
)
SALARIED = np.array([OCC[o] for o in (
    "office_worker", "factory_worker", "civil_servant", "it_worker", "finance_staff",
    "courier", "teacher", "medical",
)])  # fmt: skip

BANKS = (
    ("B01", "华夏工商银行"), ("B02", "建设发展银行"), ("B03", "农业合作银行"),
    ("B04", "中原银行"), ("B05", "交通商业银行"), ("B06", "招商联合银行"),
    ("B07", "邮政储蓄银行"), ("B08", "中信实业银行"), ("B09", "浦东发展银行"),
    ("B10", "兴业商业银行"), ("B11", "民生银行"), ("B12", "平安商业银行"),
    ("B13", "农村商业银行"),
)  # fmt: skip
BANK_WEIGHTS = np.array([16, 14, 13, 10, 7, 7, 9, 4, 4, 4, 3, 4, 5], dtype=float)
PAYMENTS = (("W01", "快付支付"), ("W02", "微联支付"), ("W03", "云闪付通"))
PAYMENT_WEIGHTS = np.array([0.55, 0.40, 0.05])
TELCOS = (("T01", "华信移动"), ("T02", "华信联通"), ("T03", "华信电信"))
TELCO_WEIGHTS = np.array([0.6, 0.22, 0.18])
MERCHANT_CATEGORIES = (
    "便利店", "餐饮", "超市", "服装", "电子产品", "药店", "加油站", "教育培训", "生鲜", "美容美发",
)  # fmt: skip
#: Median ticket in yuan per category (lognormal around it).
MERCHANT_TICKET_YUAN = np.array([25, 60, 120, 300, 1500, 80, 300, 2000, 70, 150], dtype=float)
#: Countries where ordinary people have relatives abroad (legitimate international calls).
RELATIVE_COUNTRIES = (1, 44, 61, 81, 65, 60, 49, 33, 64, 82)


def permuted(n: int, space: int, offset: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct, random-looking integers in [offset, offset + space): an affine bijection."""
    if n > space:
        raise ValueError(f"cannot draw {n} distinct numbers from a space of {space}")
    a = int(rng.integers(space // 3, space // 2)) | 1
    while np.gcd(a, space) != 1:
        a += 2
    b = int(rng.integers(0, space))
    i = np.arange(n, dtype=np.int64)
    return offset + (i * a + b) % space  # fits int64: a < 2^34 and i < 2^28


def choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Categorical draws by weight, vectorised (inverse CDF)."""
    cdf = np.cumsum(weights, dtype=float)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(weights) - 1)


def lognormal_int(
    rng: np.random.Generator, median: np.ndarray | float, sigma: float, size: int, unit: int = 1
) -> np.ndarray:
    """Positive int64 values, lognormal around a median, rounded down to a unit (>= unit)."""
    raw = np.asarray(median, dtype=float) * np.exp(sigma * rng.standard_normal(size))
    return np.maximum(unit, (raw // unit).astype(np.int64) * unit)


def lognormal_fen(
    rng: np.random.Generator,
    median_yuan: np.ndarray | float,
    sigma: float,
    size: int,
    unit_fen: int = 1,
) -> np.ndarray:
    """Positive int64 amounts in fen, lognormal around a median in yuan, rounded to a unit."""
    return lognormal_int(rng, np.asarray(median_yuan, dtype=float) * 100, sigma, size, unit_fen)


def add_institutions(st: SimState) -> None:
    for iid, name in BANKS:
        st.institutions.append(Institution(iid, name, InstitutionKind.BANK))
    for iid, name in PAYMENTS:
        st.institutions.append(Institution(iid, name, InstitutionKind.PAYMENT))
    for iid, name in TELCOS:
        st.institutions.append(Institution(iid, name, InstitutionKind.TELCO))
    st.institutions.append(Institution("PSB", "公安反诈中心", InstitutionKind.POLICE))
    st.institutions.append(Institution("EXT", "境外及现金渠道", InstitutionKind.EXTERNAL))


def add_people(st: SimState) -> None:
    rng, n = st.rng, st.cfg.people
    # Households: consecutive blocks of 1-5 people sharing a region and a home IP.
    sizes = choice(rng, np.array([25, 30, 22, 15, 8.0]), n) + 1
    household = np.repeat(np.arange(n), sizes)[:n]
    n_households = int(household[-1]) + 1
    region = choice(rng, REGION_WEIGHTS, n_households)[household]
    # Ages 16-85, adult Chinese population shape (fewer teenagers, fewer very old).
    ages = np.arange(16, 86)
    w = np.where(ages < 20, 0.6, 1.0) * np.where(ages > 60, np.exp(-(ages - 60) / 12), 1.0)
    age = ages[choice(rng, w, n)]
    band = np.where(age < 23, 0, np.where(age < 60, 1, 2))
    occupation = np.empty(n, dtype=np.int64)
    for b in range(3):
        idx = np.flatnonzero(band == b)
        occupation[idx] = choice(rng, _OCC_BY_BAND[b], len(idx))
    income = np.where(
        _INCOME_YUAN[occupation] > 0,
        lognormal_fen(rng, _INCOME_YUAN[occupation], 0.35, n, unit_fen=100),
        0,
    )
    st.people = {
        "age": age,
        "gender": rng.integers(0, 2, n),
        "region": region,
        "occupation": occupation,
        "income": income,
        "household": household,
        "id_hash": rng.integers(0, 2**62, n),
        # How active a person is, relative to others like them (mean 1, heavy tail).
        "activity": np.exp(0.6 * rng.standard_normal(n) - 0.18),
    }
    st.groups["home_ip"] = st.new_ips(n_households)[household]
    # Mobile carrier NAT: many people share one public IP (a legitimate shared-IP pattern).
    nat = st.new_ips(max(1, n // 300))
    st.groups["mobile_ip"] = nat[rng.integers(0, len(nat), n)]
    add_contacts(st)


def add_contacts(st: SimState) -> None:
    """The social graph: household members plus friends, mostly in one's own region."""
    rng, n = st.rng, st.cfg.people
    household, region = st.people["household"], st.people["region"]
    order = np.argsort(region, kind="stable")
    starts = np.searchsorted(region[order], np.arange(len(REGIONS)))
    counts = np.bincount(region, minlength=len(REGIONS))
    k = 3 + rng.poisson(7, n)
    owner = np.repeat(np.arange(n), k)
    local = rng.random(len(owner)) < 0.75
    r = region[owner]
    pick_local = order[starts[r] + (rng.random(len(owner)) * counts[r]).astype(np.int64)]
    pick_any = rng.integers(0, n, len(owner))
    friend = np.where(local, pick_local, pick_any)
    friend = np.where(friend == owner, (friend + 1) % n, friend)
    # Household members: the neighbours within the same block.
    prev = np.concatenate([[-1], household[:-1]]) == household
    nxt = np.concatenate([household[1:], [-1]]) == household
    fam_owner = np.concatenate([np.flatnonzero(prev), np.flatnonzero(nxt)])
    fam_target = np.concatenate([np.flatnonzero(prev) - 1, np.flatnonzero(nxt) + 1])
    src = np.concatenate([fam_owner, owner])
    dst = np.concatenate([fam_target, friend])
    is_family = np.concatenate([np.ones(len(fam_owner), bool), np.zeros(len(owner), bool)])
    o = np.lexsort((~is_family, src))
    st.groups["contact_src"] = src[o]
    st.groups["contact_dst"] = dst[o]
    st.groups["contact_family"] = is_family[o]
    st.groups["contact_offsets"] = np.searchsorted(src[o], np.arange(n + 1))


def add_accounts(st: SimState) -> None:
    rng, cfg = st.rng, st.cfg
    n = cfg.people
    age, occ, region = st.people["age"], st.people["occupation"], st.people["region"]
    banks, pays = st.inst_index(InstitutionKind.BANK), st.inst_index(InstitutionKind.PAYMENT)
    person = np.arange(n)
    years = np.maximum(0.3, np.minimum(age - 16, 20) * rng.random(n))
    opened = cfg.start_ts - (years * YEAR_MS).astype(np.int64)
    recent = cfg.start_ts - rng.integers(1, 4 * DAY_MS, n)
    st.groups["main_account"] = st.accounts.add_rows(
        inst=banks[choice(rng, BANK_WEIGHTS, n)], owner=person,
        kind=code(AccountKind.DEBIT_CARD), opened_ts=opened, credit_limit=0,
        last_active_ts=recent, external_kind=NULL, name=NULL, region=region,
    )  # fmt: skip
    has_wallet = rng.random(n) < np.where(age < 60, 0.88, 0.45)
    wallet = np.full(n, NULL)
    w = np.flatnonzero(has_wallet)
    wallet[w] = st.accounts.add_rows(
        inst=pays[choice(rng, PAYMENT_WEIGHTS, len(w))], owner=w,
        kind=code(AccountKind.WALLET), opened_ts=opened[w] + (rng.random(len(w)) * (
            cfg.start_ts - opened[w])).astype(np.int64),
        credit_limit=0, last_active_ts=recent[w], external_kind=NULL, name=NULL, region=region[w],
    )  # fmt: skip
    st.groups["wallet"] = wallet
    has_credit = (st.people["income"] > 0) & (rng.random(n) < 0.4)
    credit = np.full(n, NULL)
    c = np.flatnonzero(has_credit)
    credit[c] = st.accounts.add_rows(
        inst=banks[choice(rng, BANK_WEIGHTS, len(c))], owner=c,
        kind=code(AccountKind.CREDIT_CARD), opened_ts=opened[c],
        credit_limit=lognormal_fen(rng, 20000, 0.5, len(c), unit_fen=100_000),
        last_active_ts=recent[c], external_kind=NULL, name=NULL, region=region[c],
    )  # fmt: skip
    st.groups["credit_card"] = credit
    # Merchants: owned by self-employed people; popularity is Zipf-like.
    n_merchants = max(30, n // 40)
    self_emp = np.flatnonzero(occ == OCC["self_employed"])
    pool = self_emp if len(self_emp) else person
    owners = pool[rng.integers(0, len(pool), n_merchants)]
    cats = choice(rng, np.array([20, 22, 14, 8, 4, 6, 6, 3, 10, 7.0]), n_merchants)
    names = [texts.merchant_name(MERCHANT_CATEGORIES[c], rng) for c in cats]
    st.groups["merchant"] = st.accounts.add_rows(
        inst=banks[choice(rng, BANK_WEIGHTS, n_merchants)], owner=owners,
        kind=code(AccountKind.MERCHANT), opened_ts=opened[owners],
        credit_limit=0, last_active_ts=recent[owners], external_kind=NULL,
        name=st.texts.intern(names), region=region[owners],
    )  # fmt: skip
    st.groups["merchant_category"] = cats
    st.groups["merchant_popularity"] = 1.0 / (1 + rng.permutation(n_merchants)) ** 0.8
    add_corporates(st, banks)
    add_externals(st, banks)


def _corporates(st: SimState, banks: np.ndarray, names: list[str]) -> np.ndarray:
    rng, k = st.rng, len(names)
    return st.accounts.add_rows(
        inst=banks[choice(rng, BANK_WEIGHTS, k)], owner=NULL, kind=code(AccountKind.CORPORATE),
        opened_ts=st.cfg.start_ts - rng.integers(3 * YEAR_MS, 20 * YEAR_MS, k),
        credit_limit=0, last_active_ts=st.cfg.start_ts - DAY_MS, external_kind=NULL,
        name=st.texts.intern(names), region=choice(rng, REGION_WEIGHTS, k),
    )  # fmt: skip


def add_corporates(st: SimState, banks: np.ndarray) -> None:
    rng, n = st.rng, st.cfg.people
    n_employers = max(10, n // 150)
    st.groups["employer"] = _corporates(
        st, banks, [texts.company_name(rng) for _ in range(n_employers)]
    )
    st.groups["payday"] = rng.integers(1, 29, n_employers)
    size = 1.0 / (1 + np.arange(n_employers)) ** 0.7
    st.people["employer"] = np.where(
        np.isin(st.people["occupation"], SALARIED), choice(rng, size, n), NULL
    )
    st.groups["utility"] = _corporates(st, banks, ["城市供电公司", "自来水公司", "燃气集团"])
    st.groups["telco_billing"] = _corporates(st, banks, [name for _, name in TELCOS])
    st.groups["lender"] = _corporates(st, banks, ["安信消费金融", "众诚小额贷款", "汇通信贷"])
    st.groups["fund"] = _corporates(st, banks, ["稳盈基金销售", "恒信理财子公司"])
    st.groups["pension"] = _corporates(st, banks, ["社会保险基金"])


def add_externals(st: SimState, banks: np.ndarray) -> None:
    """Sinks and sources outside the system: cash at each bank, crypto OTC, cross-border."""
    ext = int(st.inst_index(InstitutionKind.EXTERNAL)[0])

    def add(kind: ExternalKind, inst: np.ndarray, names: list[str]) -> np.ndarray:
        return st.accounts.add_rows(
            inst=inst, owner=NULL, kind=code(AccountKind.EXTERNAL), opened_ts=0,
            credit_limit=0, last_active_ts=NULL, external_kind=code(kind),
            name=st.texts.intern(names), region=NULL,
        )  # fmt: skip

    st.groups["cash"] = add(ExternalKind.CASH, banks, [f"现金-{b}" for b, _ in BANKS])
    st.groups["crypto_otc"] = add(
        ExternalKind.CRYPTO_OTC, np.full(3, ext), ["USDT场外商A", "USDT场外商B", "虚拟币交易所"]
    )
    st.groups["cross_border"] = add(
        ExternalKind.CROSS_BORDER,
        np.full(3, ext),
        ["境外账户-东南亚", "境外账户-港澳", "境外留学缴费"],
    )


def add_phones_and_devices(st: SimState) -> None:
    rng, cfg = st.rng, st.cfg
    n = cfg.people
    telcos = st.inst_index(InstitutionKind.TELCO)
    person = np.arange(n)
    second = np.flatnonzero(rng.random(n) < 0.12)
    owners = np.concatenate([person, second])
    m = len(owners)
    st.groups["mobile_numbers"] = permuted(m + n // 10 + 10_000, 7 * 10**9, 13 * 10**9, rng)
    mobiles = st.groups["mobile_numbers"][:m]
    st.groups["mobile_cursor"] = np.array([m])
    age = st.people["age"][owners]
    activated = cfg.start_ts - (rng.random(m) * np.minimum(age - 14, 15) * YEAR_MS).astype(np.int64)
    ids = st.phones.add_rows(
        number=86 * 10**11 + mobiles, telco=telcos[choice(rng, TELCO_WEIGHTS, m)], owner=owners,
        country_code=86, activated_ts=activated - 30 * DAY_MS, line_kind=code(LineKind.MOBILE),
    )  # fmt: skip
    st.groups["main_phone"] = ids[:n]
    # Service numbers: banks' 95xxx lines, couriers, bulk senders, the 12381/96110 lines.
    service = (
        [86_95500 + i for i in range(len(BANKS))]
        + [86_10690000 + i for i in range(12)]
        + [86_12381, 86_96110]
    )
    k = len(service)
    st.groups["service_phone"] = st.phones.add_rows(
        number=np.array(service, dtype=np.int64), telco=telcos[np.arange(k) % len(telcos)],
        owner=NULL, country_code=86, activated_ts=cfg.start_ts - 10 * YEAR_MS,
        line_kind=code(LineKind.SERVICE),
    )  # fmt: skip
    # Relatives abroad: a foreign number that calls one person now and then.
    rel = np.flatnonzero(rng.random(n) < 0.03)
    cc = np.array(RELATIVE_COUNTRIES)[rng.integers(0, len(RELATIVE_COUNTRIES), len(rel))]
    foreign = cc * 10**9 + permuted(len(rel), 9 * 10**8, 10**8, rng)
    rel_phone = np.full(n, NULL)
    rel_phone[rel] = st.phones.add_rows(
        number=foreign, telco=NULL, owner=NULL, country_code=cc, activated_ts=NULL,
        line_kind=code(LineKind.MOBILE),
    )  # fmt: skip
    st.groups["relative_abroad_phone"] = rel_phone
    # Devices: everyone has a handset; some a PC, shared within the household.
    first_seen = cfg.start_ts - rng.integers(30 * DAY_MS, 3 * YEAR_MS, n)
    serials = permuted(2 * n + 100_000, 10**13, 86 * 10**13, rng)
    st.groups["device_serials"] = serials
    st.groups["device_cursor"] = np.array([0])
    st.groups["main_device"] = add_devices(st, person, DeviceKind.PHONE, first_seen)
    hh = st.people["household"]
    has_pc = rng.random(n) < 0.3
    head = np.concatenate([[True], hh[1:] != hh[:-1]])
    pc_owner = np.flatnonzero(has_pc & head)
    pc_ids = add_devices(st, pc_owner, DeviceKind.PC, first_seen[pc_owner])
    hh_pc = np.full(int(hh[-1]) + 1, NULL)
    hh_pc[hh[pc_owner]] = pc_ids
    st.groups["pc_device"] = hh_pc[hh]  # the household's shared PC, if any


def add_devices(
    st: SimState,
    owners: np.ndarray | int,
    kind: DeviceKind,
    first_seen: np.ndarray | int,
    count: int | None = None,
) -> np.ndarray:
    """New devices with fresh IMEI-like serials."""
    k = len(owners) if isinstance(owners, np.ndarray) else int(count or 0)
    cur = int(st.groups["device_cursor"][0])
    serials = st.groups["device_serials"]
    if cur + k > len(serials):
        raise RuntimeError("device serial space exhausted")
    st.groups["device_cursor"][0] = cur + k
    return st.devices.add_rows(
        serial=serials[cur : cur + k], owner=owners, kind=code(kind), first_seen_ts=first_seen
    )


def new_mobile_numbers(st: SimState, k: int) -> np.ndarray:
    """k unused domestic mobile numbers (as int digits with the 86 prefix)."""
    cur = int(st.groups["mobile_cursor"][0])
    nums = st.groups["mobile_numbers"]
    if cur + k > len(nums):
        raise RuntimeError("mobile number space exhausted")
    st.groups["mobile_cursor"][0] = cur + k
    return 86 * 10**11 + nums[cur : cur + k]


def build_population(st: SimState) -> None:
    add_institutions(st)
    add_people(st)
    add_accounts(st)
    add_phones_and_devices(st)
