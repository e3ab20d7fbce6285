"""The domain types: one definition per entity, event, decision and order (DESIGN §4).

Each type is a msgspec Struct. That one definition gives the JSON form
(`fraudwall.model.schema.to_json` / `from_json`), the Arrow schema used for Parquet
(`arrow_schema`) and validation of records and whole tables (`validate_record`,
`validate_table`). Money is int64 fen, time is int64 milliseconds since the epoch, UTC.

Constraints live in the annotations: `Meta(gt=0)` on an amount, `Meta(extra={"ref": ...})`
on a field that must name a known entity of that kind, `Meta(extra={"unit": "ms"})` on a
time (every `ts` and `*_ts` field, through `TimeMs`).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta

from fraudwall.model.enums import (
    AccountKind,
    Action,
    Channel,
    DeviceKind,
    EntityKind,
    ExternalKind,
    FraudType,
    Gateway,
    InstitutionKind,
    LineKind,
    OrderKind,
    OrderState,
    Role,
    ScriptKind,
    Typology,
    WarningChannel,
)
from fraudwall.model.units import LATEST_MS

# --- field vocabulary -------------------------------------------------------------------
Id = Annotated[str, Meta(min_length=1, max_length=128)]
#: A time: the validators also refuse values in other units (`fraudwall.model.units`).
TimeMs = Annotated[
    int,
    Meta(ge=0, le=LATEST_MS, description="ms since the epoch, UTC", extra={"unit": "ms"}),
]
DurationMs = Annotated[int, Meta(ge=0, le=2**40)]
Fen = Annotated[int, Meta(ge=0, le=2**62, description="an amount in fen (1/100 yuan)")]
PositiveFen = Annotated[int, Meta(gt=0, le=2**62, description="an amount in fen, > 0")]
SignedFen = Annotated[int, Meta(ge=-(2**62), le=2**62, description="a balance in fen")]
Age = Annotated[int, Meta(ge=0, le=120)]
Score = Annotated[float, Meta(ge=0.0, le=1.0)]


def _ref(kind: str) -> object:
    """A string field that must name a known entity of `kind` (checked by validate_table)."""
    return Meta(min_length=1, max_length=128, extra={"ref": kind})


InstitutionRef = Annotated[str, _ref("institution")]
PersonRef = Annotated[str, _ref("person")]
AccountRef = Annotated[str, _ref("account")]
PhoneRef = Annotated[str, _ref("phone")]
DeviceRef = Annotated[str, _ref("device")]


class Record(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Base of every fraudwall record. `table` names its Parquet table; `key` its id field."""

    table: ClassVar[str] = ""
    key: ClassVar[str | None] = None


# --- entities ---------------------------------------------------------------------------
class Institution(Record, frozen=True):
    table: ClassVar[str] = "institutions"
    key: ClassVar[str | None] = "institution_id"

    institution_id: Id
    name: Id
    kind: InstitutionKind


class Person(Record, frozen=True):
    table: ClassVar[str] = "people"
    key: ClassVar[str | None] = "person_id"

    person_id: Id
    id_hash: Annotated[str, Meta(min_length=16, max_length=128)]  # hashed national ID
    age: Age
    gender: Annotated[str, Meta(pattern="^[FM]$")]
    region: Id
    occupation: Id


class Account(Record, frozen=True):
    table: ClassVar[str] = "accounts"
    key: ClassVar[str | None] = "account_id"

    account_id: Id
    institution_id: InstitutionRef
    owner_person_id: PersonRef | None  # None for corporate, merchant-company and external
    kind: AccountKind
    opened_ts: TimeMs
    opening_balance_fen: SignedFen  # balance when the simulated or loaded history starts
    credit_limit_fen: Fen = 0  # how far below zero the balance may go
    last_active_ts: TimeMs | None = None  # last activity before the history starts
    external_kind: ExternalKind | None = None  # set when kind is external
    name: str | None = None  # merchant or company name


class Phone(Record, frozen=True):
    table: ClassVar[str] = "phones"
    key: ClassVar[str | None] = "number"

    number: Annotated[str, Meta(pattern=r"^\+[1-9][0-9]{4,14}$")]  # E.164
    telco_id: InstitutionRef | None  # None for foreign numbers
    owner_person_id: PersonRef | None
    country_code: Annotated[str, Meta(pattern=r"^[1-9][0-9]{0,2}$")]
    activated_ts: TimeMs | None
    line_kind: LineKind


class Device(Record, frozen=True):
    table: ClassVar[str] = "devices"
    key: ClassVar[str | None] = "device_id"

    device_id: Id  # IMEI or device fingerprint
    owner_person_id: PersonRef | None
    kind: DeviceKind
    first_seen_ts: TimeMs


# --- events -----------------------------------------------------------------------------
class Event(Record, frozen=True):
    """Every event has a globally unique id, a time and the institution that reported it."""

    event_id: Id
    ts: TimeMs
    institution_id: InstitutionRef


class Transfer(Event, frozen=True):
    table: ClassVar[str] = "transfers"
    key: ClassVar[str | None] = "event_id"

    from_account: AccountRef
    to_account: AccountRef
    amount_fen: PositiveFen
    channel: Channel
    device_id: DeviceRef | None = None
    ip: str | None = None
    memo: str | None = None


class Call(Event, frozen=True):
    table: ClassVar[str] = "calls"
    key: ClassVar[str | None] = "event_id"

    caller: PhoneRef
    callee: PhoneRef
    duration_ms: DurationMs  # 0 when not answered
    gateway: Gateway
    presented_number: str  # the caller ID shown to the callee
    caller_device: DeviceRef | None = None  # IMEI of the calling handset or SIM box


class Sms(Event, frozen=True):
    table: ClassVar[str] = "sms"
    key: ClassVar[str | None] = "event_id"

    sender: PhoneRef
    receiver: PhoneRef
    text: str
    gateway: Gateway
    sender_device: DeviceRef | None = None


class AppInstall(Event, frozen=True):
    table: ClassVar[str] = "app_installs"
    key: ClassVar[str | None] = "event_id"

    device_id: DeviceRef
    app_id: Id  # package name
    app_name: str
    permissions: list[str]


class UrlVisit(Event, frozen=True):
    table: ClassVar[str] = "url_visits"
    key: ClassVar[str | None] = "event_id"

    device_id: DeviceRef
    url: Id
    domain: Id


class Login(Event, frozen=True):
    table: ClassVar[str] = "logins"
    key: ClassVar[str | None] = "event_id"

    account_id: AccountRef
    device_id: DeviceRef
    ip: str


class Report(Event, frozen=True):
    """A victim's report to the police: the transfers they made, the loss, their story."""

    table: ClassVar[str] = "reports"
    key: ClassVar[str | None] = "event_id"

    person_id: PersonRef
    transfer_ids: list[str]
    loss_fen: Fen
    fraud_type: FraudType | None  # None when the victim cannot tell
    narrative: str


# --- ground truth -----------------------------------------------------------------------
class Truth(Record, frozen=True):
    """What an entity or event really is. Anything absent from the truth table is ordinary.

    `script_id` names the script (a row of `scripts`) that wrote a fraud SMS; None for
    everything else."""

    table: ClassVar[str] = "truth"

    entity_kind: EntityKind
    entity_id: Id
    role: Role
    case_id: str | None = None
    gang_id: str | None = None
    fraud_type: FraudType | None = None
    typology: Typology | None = None
    script_id: str | None = None


class Script(Record, frozen=True):
    """A fraud script (话术) the simulator's gangs text with (ground truth, issue 14).

    Each fraud type has its base scripts from the world's start; with script drift, new
    families (a new bait) and new variants of a base family (new hook, new wording) start
    during the period. `family_id` is the family a variant rephrases (a family's own id
    for a family); `start_ts` is when it may first be sent (the world's start for base)."""

    table: ClassVar[str] = "scripts"
    key: ClassVar[str | None] = "script_id"

    script_id: Id
    fraud_type: FraudType
    family_id: Id
    kind: ScriptKind
    start_ts: TimeMs
    topic: str


class Case(Record, frozen=True):
    """One fraud against one victim, as the simulator planted it (ground truth)."""

    table: ClassVar[str] = "cases"
    key: ClassVar[str | None] = "case_id"

    case_id: Id
    gang_id: Id
    fraud_type: FraudType
    victim_person_id: PersonRef
    first_contact_ts: TimeMs
    first_payment_ts: TimeMs | None
    paid_fen: Fen  # what the victim paid to the fraud
    returned_bait_fen: Fen  # small "rebates" or "profits" the gang paid back
    loss_fen: Fen  # paid minus bait: the victim's net loss
    reported: bool
    report_ts: TimeMs | None


# --- decisions and orders ---------------------------------------------------------------
class Decision(Record, frozen=True):
    """The engine's answer about one transfer, call or SMS, with reasons a person can read.

    `rules` are the rules that acted, `shadow_rules` those that fired in shadow mode (for
    backtests, never acted on); `person_id` is the person at risk (the payer of a
    transfer, the person called or texted), `country` the calling code of a call or SMS
    from abroad."""

    table: ClassVar[str] = "decisions"
    key: ClassVar[str | None] = "event_id"

    event_id: Id
    kind: EntityKind  # transfer, call or sms
    ts: TimeMs
    action: Action
    score: Score
    rules: list[str] = msgspec.field(default_factory=list)
    shadow_rules: list[str] = msgspec.field(default_factory=list)
    top_features: list[str] = msgspec.field(default_factory=list)
    reason: str = ""
    person_id: str | None = None
    country: str | None = None


class WarningTask(Record, frozen=True):
    """A warning task: what should reach a person the engine thinks is at risk, and how.

    `source_event_id` is the event that prompted it (or ``flag:NUMBER`` for a 12381 SMS to
    the people a flagged number reached); `priority` ranks 96110 call tasks (0 for the
    other channels); `reason` is the text a person reads or the call centre works from."""

    table: ClassVar[str] = "warnings"
    key: ClassVar[str | None] = "warning_id"

    warning_id: Id
    ts: TimeMs
    person_id: str | None
    channel: WarningChannel
    source_event_id: Id
    reason: str
    priority: Score = 0.0


class Order(Record, frozen=True):
    """A stop-payment, freeze or return order with its deadlines and the bank's feedback."""

    table: ClassVar[str] = "orders"
    key: ClassVar[str | None] = "order_id"

    order_id: Id
    kind: OrderKind
    case_id: Id
    institution_id: InstitutionRef
    account_id: AccountRef
    amount_fen: Fen
    legal_basis: str
    state: OrderState
    issued_ts: TimeMs
    applied_ts: TimeMs | None = None
    expires_ts: TimeMs | None = None
    feedback: str | None = None
    to_account: AccountRef | None = None  # for a return: the victim's original account


class CaseFile(Record, frozen=True):
    """A victim's report accepted as a case: checked against the ledger, linked to a group.

    `transfer_ids` are the victim's payments (the first hops tracing starts from) and
    `victim_accounts` the accounts they left, where returned money goes back to.
    """

    table: ClassVar[str] = "case_files"
    key: ClassVar[str | None] = "case_id"

    case_id: Id
    report_id: Id
    group_id: Id  # cases sharing accounts, numbers or devices (串并案) share a group
    victim_person_id: PersonRef
    fraud_type: FraudType | None
    report_ts: TimeMs
    opened_ts: TimeMs
    transfer_ids: list[str]
    victim_accounts: list[str]
    paid_fen: Fen  # the reported transfers' total, as the ledger has it
    loss_fen: Fen  # the victim's net loss (paid minus anything the fraudsters paid back)
    narrative: str = ""


ENTITY_TYPES: tuple[type[Record], ...] = (Institution, Person, Account, Phone, Device)
EVENT_TYPES: tuple[type[Event], ...] = (
    Transfer,
    Call,
    Sms,
    AppInstall,
    UrlVisit,
    Login,
    Report,
)
#: The tables events come in, one per event type, in that order.
EVENT_TABLES: tuple[str, ...] = tuple(t.table for t in EVENT_TYPES)
ALL_TYPES: tuple[type[Record], ...] = (
    *ENTITY_TYPES,
    *EVENT_TYPES,
    Truth,
    Script,
    Case,
    Decision,
    WarningTask,
    Order,
    CaseFile,
)
BY_TABLE: dict[str, type[Record]] = {t.table: t for t in ALL_TYPES}
SCHEMA_VERSION = "1"
