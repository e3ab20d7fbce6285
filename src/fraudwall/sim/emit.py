"""Appending events: one function per event table, shared by ordinary life and fraud.

Each returns the rows it added (positions before the final sort by time), so that the
fraud side can point ground truth and reports at its events.
"""

from __future__ import annotations

import numpy as np

from fraudwall.model import DAY_MS, HOUR_MS, LOCAL_OFFSET_MS, Channel, Gateway
from fraudwall.sim.columns import NULL
from fraudwall.sim.entities import code
from fraudwall.sim.state import SimState

#: Relative activity by local hour: quiet at night, busy by day and evening.
DAY_PROFILE = np.array(
    [0.4, 0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.5, 2.5, 3.0, 3.2, 3.3,
     3.4, 3.0, 3.0, 3.1, 3.2, 3.3, 3.6, 4.0, 4.2, 3.6, 2.2, 1.1],
)  # fmt: skip
WORK_PROFILE = np.array([0] * 8 + [2, 4, 4, 4, 2, 3, 4, 4, 4, 3, 1] + [0] * 5, dtype=float)
#: Fraud call centres work long shifts aimed at victims' waking hours; a little at night.
FRAUD_PROFILE = np.array(
    [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 1.0, 2.0, 3.5, 3.5, 3.5,
     3.0, 3.0, 3.5, 3.5, 3.5, 3.5, 3.0, 3.0, 3.0, 2.5, 2.0, 1.0],
)  # fmt: skip


def local_hour(ts: np.ndarray | int) -> np.ndarray:
    """Hour of the day in China (UTC+8) for ms UTC timestamps."""
    return ((np.asarray(ts) + LOCAL_OFFSET_MS) // HOUR_MS) % 24


def profile_times(
    st: SimState, lo: int, hi: int, k: int, profile: np.ndarray = FRAUD_PROFILE
) -> np.ndarray:
    """k sorted times in [lo, hi) whose local hours follow `profile` (rejection sampling)."""
    rng = st.rng
    accept = profile / profile.max()
    out: list[np.ndarray] = []
    have = 0
    while have < k:
        t = rng.integers(lo, hi, 2 * (k - have) + 8)
        t = t[rng.random(len(t)) < accept[local_hour(t)]]
        out.append(t)
        have += len(t)
    return np.sort(np.concatenate(out)[:k]) if k else np.empty(0, np.int64)


def waking(st: SimState, t: int, profile: np.ndarray = FRAUD_PROFILE) -> int:
    """t, or if that hour is unlikely under `profile`, a likelier hour later the same day."""
    hour = int(local_hour(t))
    if hour == 23 or st.rng.random() < profile[hour] / profile.max():
        return t
    day_start = t - (t + LOCAL_OFFSET_MS) % DAY_MS
    later = profile_times(st, day_start + (hour + 1) * HOUR_MS, day_start + DAY_MS, 1, profile)
    return int(later[0])


def as_i64(x: np.ndarray | int, n: int) -> np.ndarray:
    return np.full(n, x, dtype=np.int64) if not isinstance(x, np.ndarray) else x.astype(np.int64)


def local_times(st: SimState, day: np.ndarray, profile: np.ndarray = DAY_PROFILE) -> np.ndarray:
    """Timestamps (ms UTC) on the given simulation days, at local hours drawn from a profile."""
    rng, n = st.rng, len(day)
    cdf = np.cumsum(profile) / profile.sum()
    hour = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), 23)
    within = rng.integers(0, HOUR_MS, n)
    # start_ts is local midnight, so local hour h of day d is start + d days + h hours.
    return st.cfg.start_ts + day * DAY_MS + hour * HOUR_MS + within


def _rows(st: SimState, table: str) -> int:
    return len(st.events[table])


def transfers(
    st: SimState,
    ts: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    amount: np.ndarray,
    channel: Channel | np.ndarray,
    device: np.ndarray | int = NULL,
    ip: np.ndarray | int = NULL,
    memo: np.ndarray | int = NULL,
) -> np.ndarray:
    n = len(ts)
    if n and int(np.min(amount)) <= 0:
        raise ValueError("a transfer amount must be > 0 fen")
    start = _rows(st, "transfers")
    ch = channel if isinstance(channel, np.ndarray) else code(channel)
    st.events["transfers"].add(
        ts=as_i64(ts, n), inst=st.accounts.col("inst")[src], src=as_i64(src, n),
        dst=as_i64(dst, n), amount=as_i64(amount, n), channel=as_i64(ch, n),
        device=as_i64(device, n), ip=as_i64(ip, n), memo=as_i64(memo, n),
    )  # fmt: skip
    return np.arange(start, start + n)


def _telco_of(st: SimState, phone: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    telco = st.phones.col("telco")
    t = telco[phone]
    return np.where(t == NULL, telco[fallback], t)


def calls(
    st: SimState,
    ts: np.ndarray,
    caller: np.ndarray,
    callee: np.ndarray,
    duration: np.ndarray,
    gateway: Gateway | np.ndarray = Gateway.DOMESTIC,
    presented: np.ndarray | None = None,
    device: np.ndarray | int = NULL,
) -> np.ndarray:
    n = len(ts)
    start = _rows(st, "calls")
    number = st.phones.col("number")
    gw = gateway if isinstance(gateway, np.ndarray) else code(gateway)
    st.events["calls"].add(
        ts=as_i64(ts, n), inst=_telco_of(st, callee, caller), caller=as_i64(caller, n),
        callee=as_i64(callee, n), duration=as_i64(duration, n), gateway=as_i64(gw, n),
        presented=as_i64(number[caller] if presented is None else presented, n),
        device=as_i64(device, n),
    )  # fmt: skip
    return np.arange(start, start + n)


def sms(
    st: SimState,
    ts: np.ndarray,
    sender: np.ndarray,
    receiver: np.ndarray,
    text: np.ndarray,
    gateway: Gateway | np.ndarray = Gateway.DOMESTIC,
    device: np.ndarray | int = NULL,
) -> np.ndarray:
    n = len(ts)
    start = _rows(st, "sms")
    gw = gateway if isinstance(gateway, np.ndarray) else code(gateway)
    st.events["sms"].add(
        ts=as_i64(ts, n), inst=_telco_of(st, receiver, sender), sender=as_i64(sender, n),
        receiver=as_i64(receiver, n), text=as_i64(text, n), gateway=as_i64(gw, n),
        device=as_i64(device, n),
    )  # fmt: skip
    return np.arange(start, start + n)


def _device_telco(st: SimState, device: np.ndarray) -> np.ndarray:
    """The telco that reports device-side events: the owner's main line's telco."""
    owner = st.devices.col("owner")[device]
    main_phone = st.groups["main_phone"]
    default = st.phones.col("telco")[main_phone[0]]
    return np.where(
        owner == NULL, default, st.phones.col("telco")[main_phone[np.maximum(owner, 0)]]
    )


def _device_events(
    st: SimState, table: str, ts: np.ndarray, device: np.ndarray, what: str, codes: np.ndarray
) -> np.ndarray:
    """Events seen on a device (an install, a visit), reported by the owner's telco."""
    n = len(ts)
    start = _rows(st, table)
    st.events[table].add(
        ts=as_i64(ts, n), inst=_device_telco(st, device), device=as_i64(device, n),
        **{what: as_i64(codes, n)},
    )  # fmt: skip
    return np.arange(start, start + n)


def app_installs(st: SimState, ts: np.ndarray, device: np.ndarray, app: np.ndarray) -> np.ndarray:
    return _device_events(st, "app_installs", ts, device, "app", app)


def url_visits(st: SimState, ts: np.ndarray, device: np.ndarray, url: np.ndarray) -> np.ndarray:
    return _device_events(st, "url_visits", ts, device, "url", url)


def logins(
    st: SimState, ts: np.ndarray, account: np.ndarray, device: np.ndarray, ip: np.ndarray
) -> np.ndarray:
    n = len(ts)
    start = _rows(st, "logins")
    st.events["logins"].add(
        ts=as_i64(ts, n), inst=st.accounts.col("inst")[account], account=as_i64(account, n),
        device=as_i64(device, n), ip=as_i64(ip, n),
    )  # fmt: skip
    return np.arange(start, start + n)


def truth(
    st: SimState,
    kind: int,
    ref: np.ndarray,
    role: int,
    case: int = NULL,
    gang: int = NULL,
    fraud_type: int = NULL,
    typology: int = NULL,
    script: int | np.ndarray = NULL,
) -> None:
    n = len(ref)
    st.truth.add(
        kind=as_i64(kind, n), ref=as_i64(ref, n), role=as_i64(role, n), case=as_i64(case, n),
        gang=as_i64(gang, n), fraud_type=as_i64(fraud_type, n), typology=as_i64(typology, n),
        script=as_i64(script, n),
    )  # fmt: skip


def days_in_month(st: SimState) -> tuple[np.ndarray, np.ndarray]:
    """For each simulated day: its day of the month and its weekday (0 = Monday), local."""
    base = np.datetime64((st.cfg.start_ts + LOCAL_OFFSET_MS) // DAY_MS, "D")
    dates = base + np.arange(st.cfg.days)
    dom = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    return dom, weekday


def days_uniform(st: SimState, n: int, weekend: float = 1.0) -> np.ndarray:
    """Random simulation days; `weekend` weighs Saturdays and Sundays against weekdays."""
    if weekend == 1.0:
        return st.rng.integers(0, st.cfg.days, n)
    _, weekday = days_in_month(st)
    weights = np.where(weekday >= 5, weekend, 1.0)
    cdf = np.cumsum(weights) / weights.sum()
    return np.minimum(np.searchsorted(cdf, st.rng.random(n), side="right"), st.cfg.days - 1)


def poisson_counts(
    st: SimState, rate_per_day: np.ndarray | float, n: int, propensity: bool = False
) -> np.ndarray:
    """Event counts over the window per entity; with `propensity`, scaled per person.

    People differ: some shop, call and pay far more than others (a heavy-tailed spread),
    so that "more activity than usual" has to be judged against each person's own habits.
    """
    lam = np.asarray(rate_per_day, dtype=float) * st.cfg.days * st.cfg.activity
    if propensity:
        lam = lam * st.people["activity"][:n]
    return st.rng.poisson(np.broadcast_to(lam, (n,)))
