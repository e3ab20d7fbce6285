"""How each fraud type works: who it picks, how it makes contact, how victims pay.

The numbers calibrate the world to DESIGN §2 (shares of cases, victims' mean age 37 with
62% aged 18-40, rebate leading total loss, investment the largest loss per case). Each
gang draws its own style on top (see `fraud.Gang`), so no single parameter set defines
what fraud looks like.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fraudwall.model.enums import FraudType as F


@dataclass(frozen=True)
class Profile:
    age_mean: float
    age_sd: float
    #: Occupation -> how much more likely a person of it is picked (default 1).
    occupations: dict[str, float]
    loss_median_yuan: float
    loss_sigma: float
    payments: tuple[int, int]  # min, max number of payments
    grooming_days: tuple[float, float]  # contact before the first payment
    between_payments_h: float  # median gap between payments
    call_first: float  # share of cases first contacted by a call (else SMS / web)
    remote_app: float  # share who install a screen-sharing / remote-control app
    fraud_app: float  # share who install the gang's fake app
    url: float  # share who visit a fraud site
    on_call_payment: float  # share paying while on the phone with the fraudster
    bait: float  # share who first get small paid "rebates" or "profits" back
    score_running: float  # share of payments to 跑分 personal accounts (small amounts)
    report: float  # relative likelihood of reporting
    report_delay_h: float  # median delay from last payment to report
    extra: dict[str, float] = field(default_factory=dict)


PROFILES: dict[F, Profile] = {
    F.REBATE: Profile(
        32,
        9,
        {"student": 2, "homemaker": 3, "unemployed": 2, "factory_worker": 1.5},
        30_000,
        0.9,
        (2, 6),
        (0.05, 2),
        0.5,
        0.2,
        0,
        0.3,
        0.8,
        0,
        0.85,
        0.6,
        1.0,
        10,
    ),
    F.INVESTMENT: Profile(
        45,
        10,
        {"office_worker": 1.5, "self_employed": 2, "retiree": 1.3, "finance_staff": 1.2},
        90_000,
        0.8,
        (2, 7),
        (2, 10),
        36,
        0.3,
        0,
        0.8,
        0.8,
        0,
        0.4,
        0,
        1.0,
        48,
    ),
    F.LOAN: Profile(
        34,
        9,
        {"unemployed": 3, "factory_worker": 2, "self_employed": 1.5},
        8_000,
        0.8,
        (1, 4),
        (0.02, 1),
        3,
        0.3,
        0,
        0.8,
        0.7,
        0,
        0,
        0.2,
        0.9,
        12,
    ),
    F.SHOPPING: Profile(
        31,
        10,
        {"student": 1.5, "office_worker": 1.2},
        3_000,
        0.9,
        (1, 3),
        (0.02, 1),
        6,
        0.1,
        0,
        0.2,
        0.9,
        0,
        0,
        0.5,
        0.8,
        24,
    ),
    F.CUSTOMER_SERVICE: Profile(
        36,
        10,
        {"homemaker": 1.5, "office_worker": 1.2},
        30_000,
        0.9,
        (1, 4),
        (0.0, 0.1),
        0.5,
        0.95,
        0.6,
        0.1,
        0.4,
        0.7,
        0,
        0,
        1.0,
        6,
    ),
    F.CREDIT: Profile(
        29,
        7,
        {"student": 3, "office_worker": 1.2},
        28_000,
        0.8,
        (1, 4),
        (0.0, 0.2),
        1,
        0.9,
        0.5,
        0.2,
        0.3,
        0.6,
        0,
        0,
        1.0,
        8,
    ),
    F.BOSS: Profile(
        42,
        8,
        {"finance_staff": 12, "office_worker": 2},
        55_000,
        0.9,
        (1, 2),
        (0.0, 1),
        1,
        0.4,
        0,
        0,
        0,
        0.2,
        0,
        0,
        1.1,
        4,
    ),
    F.POLICE: Profile(
        55,
        15,
        {"retiree": 2, "student": 1.3},
        55_000,
        1.0,
        (1, 3),
        (0.0, 1),
        2,
        0.95,
        0.7,
        0.2,
        0.2,
        0.8,
        0,
        0,
        1.0,
        12,
    ),
    F.ROMANCE: Profile(
        41,
        9,
        {"office_worker": 1.5, "self_employed": 1.5, "medical": 1.3},
        50_000,
        0.9,
        (2, 6),
        (5, 20),
        24,
        0.2,
        0,
        0.7,
        0.7,
        0,
        0.3,
        0,
        0.8,
        72,
    ),
    F.GAME: Profile(
        22,
        6,
        {"student": 4},
        1_500,
        1.0,
        (1, 4),
        (0.02, 1),
        2,
        0.1,
        0,
        0.4,
        0.6,
        0,
        0,
        0.8,
        0.6,
        24,
    ),
    F.OTHER: Profile(
        48,
        14,
        {"retiree": 1.5, "homemaker": 1.2},
        8_000,
        1.0,
        (1, 3),
        (0.0, 2),
        4,
        0.6,
        0.3,
        0.3,
        0.5,
        0.3,
        0,
        0.2,
        0.8,
        24,
    ),
}
