"""How each fraud type works: who it picks, how it makes contact, how victims pay.

The numbers calibrate the world to DESIGN §2 (shares of cases, victims' mean age 37 with
62% aged 18-40, rebate leading total loss, investment the largest loss per case). Each
gang draws its own style on top (see `fraud.Gang`), so no single parameter set defines
what fraud looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

from fraudwall.model import FraudType as F


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
    borrow: float = 0.0  # share of large payments the victim first borrows for


PROFILES: dict[F, Profile] = {
    F.REBATE: Profile(
        age_mean=32,
        age_sd=9,
        occupations={"student": 2, "homemaker": 3, "unemployed": 2, "factory_worker": 1.5},
        loss_median_yuan=30000,
        loss_sigma=0.9,
        payments=(2, 6),
        grooming_days=(0.05, 2),
        between_payments_h=0.5,
        call_first=0.2,
        remote_app=0,
        fraud_app=0.3,
        url=0.8,
        on_call_payment=0,
        bait=0.85,
        score_running=0.6,
        report=1.0,
        report_delay_h=10,
    ),
    F.INVESTMENT: Profile(
        age_mean=45,
        age_sd=10,
        occupations={
            "office_worker": 1.5,
            "self_employed": 2,
            "retiree": 1.3,
            "finance_staff": 1.2,
        },
        loss_median_yuan=90000,
        loss_sigma=0.8,
        payments=(2, 7),
        grooming_days=(2, 10),
        between_payments_h=36,
        call_first=0.3,
        remote_app=0,
        fraud_app=0.8,
        url=0.8,
        on_call_payment=0,
        bait=0.4,
        score_running=0,
        report=1.0,
        report_delay_h=48,
        borrow=0.2,
    ),
    F.LOAN: Profile(
        age_mean=34,
        age_sd=9,
        occupations={"unemployed": 3, "factory_worker": 2, "self_employed": 1.5},
        loss_median_yuan=8000,
        loss_sigma=0.8,
        payments=(1, 4),
        grooming_days=(0.02, 1),
        between_payments_h=3,
        call_first=0.3,
        remote_app=0,
        fraud_app=0.8,
        url=0.7,
        on_call_payment=0,
        bait=0,
        score_running=0.2,
        report=0.9,
        report_delay_h=12,
        borrow=0.2,
    ),
    F.SHOPPING: Profile(
        age_mean=31,
        age_sd=10,
        occupations={"student": 1.5, "office_worker": 1.2},
        loss_median_yuan=3000,
        loss_sigma=0.9,
        payments=(1, 3),
        grooming_days=(0.02, 1),
        between_payments_h=6,
        call_first=0.1,
        remote_app=0,
        fraud_app=0.2,
        url=0.9,
        on_call_payment=0,
        bait=0,
        score_running=0.5,
        report=0.8,
        report_delay_h=24,
    ),
    F.CUSTOMER_SERVICE: Profile(
        age_mean=36,
        age_sd=10,
        occupations={"homemaker": 1.5, "office_worker": 1.2},
        loss_median_yuan=30000,
        loss_sigma=0.9,
        payments=(1, 4),
        grooming_days=(0.0, 0.1),
        between_payments_h=0.5,
        call_first=0.95,
        remote_app=0.6,
        fraud_app=0.1,
        url=0.4,
        on_call_payment=0.7,
        bait=0,
        score_running=0,
        report=1.0,
        report_delay_h=6,
        borrow=0.4,
    ),
    F.CREDIT: Profile(
        age_mean=29,
        age_sd=7,
        occupations={"student": 3, "office_worker": 1.2},
        loss_median_yuan=28000,
        loss_sigma=0.8,
        payments=(1, 4),
        grooming_days=(0.0, 0.2),
        between_payments_h=1,
        call_first=0.9,
        remote_app=0.5,
        fraud_app=0.2,
        url=0.3,
        on_call_payment=0.6,
        bait=0,
        score_running=0,
        report=1.0,
        report_delay_h=8,
        borrow=0.7,
    ),
    F.BOSS: Profile(
        age_mean=42,
        age_sd=8,
        occupations={"finance_staff": 12, "office_worker": 2},
        loss_median_yuan=45000,
        loss_sigma=0.8,
        payments=(1, 2),
        grooming_days=(0.0, 1),
        between_payments_h=1,
        call_first=0.4,
        remote_app=0,
        fraud_app=0,
        url=0,
        on_call_payment=0.2,
        bait=0,
        score_running=0,
        report=1.1,
        report_delay_h=4,
    ),
    F.POLICE: Profile(
        age_mean=55,
        age_sd=15,
        occupations={"retiree": 2, "student": 1.3},
        loss_median_yuan=45000,
        loss_sigma=0.8,
        payments=(1, 3),
        grooming_days=(0.0, 1),
        between_payments_h=2,
        call_first=0.95,
        remote_app=0.7,
        fraud_app=0.2,
        url=0.2,
        on_call_payment=0.8,
        bait=0,
        score_running=0,
        report=1.0,
        report_delay_h=12,
        borrow=0.3,
    ),
    F.ROMANCE: Profile(
        age_mean=41,
        age_sd=9,
        occupations={"office_worker": 1.5, "self_employed": 1.5, "medical": 1.3},
        loss_median_yuan=50000,
        loss_sigma=0.9,
        payments=(2, 6),
        grooming_days=(5, 20),
        between_payments_h=24,
        call_first=0.2,
        remote_app=0,
        fraud_app=0.7,
        url=0.7,
        on_call_payment=0,
        bait=0.3,
        score_running=0,
        report=0.8,
        report_delay_h=72,
        borrow=0.2,
    ),
    F.GAME: Profile(
        age_mean=22,
        age_sd=6,
        occupations={"student": 4},
        loss_median_yuan=1500,
        loss_sigma=1.0,
        payments=(1, 4),
        grooming_days=(0.02, 1),
        between_payments_h=2,
        call_first=0.1,
        remote_app=0,
        fraud_app=0.4,
        url=0.6,
        on_call_payment=0,
        bait=0,
        score_running=0.8,
        report=0.6,
        report_delay_h=24,
    ),
    F.OTHER: Profile(
        age_mean=48,
        age_sd=14,
        occupations={"retiree": 1.5, "homemaker": 1.2},
        loss_median_yuan=8000,
        loss_sigma=1.0,
        payments=(1, 3),
        grooming_days=(0.0, 2),
        between_payments_h=4,
        call_first=0.6,
        remote_app=0.3,
        fraud_app=0.3,
        url=0.5,
        on_call_payment=0.3,
        bait=0,
        score_running=0.2,
        report=0.8,
        report_delay_h=24,
    ),
}
