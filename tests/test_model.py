"""The model's promises: one definition gives JSON, Arrow and validation, and they agree."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fraudwall.model import (
    ALL_TYPES,
    Account,
    AccountKind,
    Action,
    AppInstall,
    Call,
    Case,
    CaseFile,
    Channel,
    Decision,
    Device,
    DeviceKind,
    EntityKind,
    ExternalKind,
    FraudType,
    Gateway,
    Institution,
    InstitutionKind,
    LineKind,
    Login,
    Order,
    OrderKind,
    OrderState,
    Person,
    Phone,
    Record,
    RecordError,
    Report,
    Role,
    SchemaError,
    Script,
    ScriptKind,
    Sms,
    Transfer,
    Truth,
    Typology,
    UrlVisit,
    WarningChannel,
    WarningTask,
    arrow_schema,
    empty_table,
    from_dict,
    from_json,
    reason_column,
    records_from_table,
    table_from_records,
    to_dict,
    to_json,
    validate_record,
    validate_table,
    write_rejected,
)

T0 = 1_700_000_000_000

SAMPLES: dict[type[Record], Record] = {
    s.__class__: s
    for s in [
        Institution(institution_id="B1", name="First Bank", kind=InstitutionKind.BANK),
        Person(
            person_id="P1",
            id_hash="0123456789abcdef",
            age=67,
            gender="F",
            region="Shanghai",
            occupation="retired",
        ),
        Account(
            account_id="A1",
            institution_id="B1",
            owner_person_id="P1",
            kind=AccountKind.EXTERNAL,
            opened_ts=T0,
            opening_balance_fen=-1_000,
            credit_limit_fen=50_000,
            last_active_ts=T0 + 1,
            external_kind=ExternalKind.CRYPTO_OTC,
            name="OTC desk",
        ),
        Phone(
            number="+8613800138000",
            telco_id="T1",
            owner_person_id=None,
            country_code="86",
            activated_ts=None,
            line_kind=LineKind.MOBILE,
        ),
        Device(device_id="IMEI1", owner_person_id="P1", kind=DeviceKind.GOIP, first_seen_ts=T0),
        Transfer(
            event_id="E1",
            ts=T0,
            institution_id="B1",
            from_account="A1",
            to_account="A2",
            amount_fen=12_345,
            channel=Channel.QR,
            device_id="IMEI1",
            ip="10.0.0.1",
            memo="订单返利",
        ),
        Call(
            event_id="E2",
            ts=T0,
            institution_id="T1",
            caller="+8613800138000",
            callee="+8613900139000",
            duration_ms=0,
            gateway=Gateway.INTERNATIONAL,
            presented_number="110",
        ),
        Sms(
            event_id="E3",
            ts=T0,
            institution_id="T1",
            sender="+8613800138000",
            receiver="+8613900139000",
            text="您的账户涉嫌洗钱",
            gateway=Gateway.DOMESTIC,
            sender_device="IMEI1",
        ),
        AppInstall(
            event_id="E4",
            ts=T0,
            institution_id="T1",
            device_id="IMEI1",
            app_id="com.example.meeting",
            app_name="Meeting",
            permissions=["SCREEN_SHARE", "ACCESSIBILITY"],
        ),
        UrlVisit(
            event_id="E5",
            ts=T0,
            institution_id="T1",
            device_id="IMEI1",
            url="http://x.y/z",
            domain="x.y",
        ),
        Login(
            event_id="E6", ts=T0, institution_id="B1", account_id="A1", device_id="IMEI1", ip="::1"
        ),
        Report(
            event_id="E7",
            ts=T0,
            institution_id="PSB",
            person_id="P1",
            transfer_ids=["E1"],
            loss_fen=12_345,
            fraud_type=None,
            narrative="",
        ),
        Truth(
            entity_kind=EntityKind.ACCOUNT,
            entity_id="A2",
            role=Role.FIRST_HOP_MULE,
            case_id="C1",
            typology=Typology.LAYERING,
        ),
        Script(
            script_id="other:new:etc-card-expiry",
            fraud_type=FraudType.OTHER,
            family_id="other:base:01",
            kind=ScriptKind.NEW_VARIANT,
            start_ts=T0,
            topic="ETC card 'expires'",
        ),
        Case(
            case_id="C1",
            gang_id="G1",
            fraud_type=FraudType.REBATE,
            victim_person_id="P1",
            first_contact_ts=T0,
            first_payment_ts=T0 + 5,
            paid_fen=12_345,
            returned_bait_fen=100,
            loss_fen=12_245,
            reported=True,
            report_ts=None,
        ),
        Decision(
            event_id="E1",
            kind=EntityKind.TRANSFER,
            ts=T0,
            action=Action.HOLD,
            score=0.93,
            rules=["new_payee"],
        ),
        WarningTask(
            warning_id="W1",
            ts=T0,
            person_id="P1",
            channel=WarningChannel.CALL_96110,
            source_event_id="E1",
            reason="96110外呼任务",
            priority=0.9,
        ),
        Order(
            order_id="O1",
            kind=OrderKind.RETURN,
            case_id="C1",
            institution_id="B1",
            account_id="A2",
            amount_fen=12_245,
            legal_basis="art. 12",
            state=OrderState.EXECUTED,
            issued_ts=T0,
            to_account="A1",
        ),
        CaseFile(
            case_id="K1",
            report_id="R1",
            group_id="K1",
            victim_person_id="P1",
            fraud_type=FraudType.REBATE,
            report_ts=T0,
            opened_ts=T0 + 1,
            transfer_ids=["E1", "E2"],
            victim_accounts=["A1"],
            paid_fen=300_00,
            loss_fen=280_00,
            narrative="刷单被骗",
        ),
    ]
}


def transfer_row(**changes: Any) -> dict[str, Any]:
    """A valid transfer as a dict, with some fields changed."""
    row = to_dict(SAMPLES[Transfer])
    row.update(changes)
    return row


# --- one definition, three forms ------------------------------------------------------------
def test_every_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(ALL_TYPES)


@pytest.mark.parametrize("cls", ALL_TYPES, ids=lambda c: c.__name__)
def test_round_trip_json_dict_arrow_parquet(cls: type[Record], tmp_path: Path) -> None:
    record = SAMPLES[cls]

    assert from_json(cls, to_json(record)) == record
    assert from_json(cls, to_json(record).decode()) == record
    assert from_dict(cls, to_dict(record)) == record
    assert validate_record(cls, to_dict(record)) == record

    table = table_from_records(cls, [record, record])
    assert table.schema.equals(arrow_schema(cls))
    assert records_from_table(cls, table) == [record, record]

    path = tmp_path / f"{cls.table}.parquet"
    pq.write_table(table, path)
    accepted, rejected = validate_table(cls, pq.read_table(path))
    assert rejected.num_rows == 0
    assert records_from_table(cls, accepted) == [record, record]


@pytest.mark.parametrize("cls", ALL_TYPES, ids=lambda c: c.__name__)
def test_arrow_nullability_matches_record_validation(cls: type[Record]) -> None:
    """A column is nullable exactly when the record accepts None in that field."""
    base = to_dict(SAMPLES[cls])
    for field in arrow_schema(cls):
        try:
            validate_record(cls, {**base, field.name: None})
            accepts_none = True
        except RecordError as e:
            assert e.field == field.name
            accepts_none = False
        assert field.nullable == accepts_none, field.name


def test_arrow_types() -> None:
    transfer = arrow_schema(Transfer)
    assert transfer.field("amount_fen").type == pa.int64()
    assert not transfer.field("amount_fen").nullable
    assert transfer.field("channel").type == pa.string()
    assert transfer.field("device_id").nullable
    assert transfer.field("to_account").metadata == {b"ref": b"account"}
    assert arrow_schema(Report).field("transfer_ids").type == pa.list_(pa.string())
    assert arrow_schema(Decision).field("score").type == pa.float64()
    assert arrow_schema(Case).field("reported").type == pa.bool_()
    assert arrow_schema(Account).field("owner_person_id").nullable
    assert transfer.names == [f.name for f in msgspec.structs.fields(Transfer)]


@pytest.mark.parametrize("cls", ALL_TYPES, ids=lambda c: c.__name__)
def test_empty_table_has_the_schema(cls: type[Record]) -> None:
    table = empty_table(cls)
    assert table.num_rows == 0
    assert table.schema.equals(arrow_schema(cls))
    accepted, rejected = validate_table(cls, table)
    assert (accepted.num_rows, rejected.num_rows) == (0, 0)


def test_table_from_records_refuses_other_types() -> None:
    with pytest.raises(TypeError):
        table_from_records(Transfer, [SAMPLES[Call]])


# --- one record ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {k: v for k, v in transfer_row().items() if k != "amount_fen"},
            "amount_fen: missing required field",
        ),
        (transfer_row(amount_fen=-5), "amount_fen: must be > 0, got -5"),
        (transfer_row(amount_fen=0), "amount_fen: must be > 0, got 0"),
        (transfer_row(amount_fen="5"), "amount_fen: expected int, got '5'"),
        (transfer_row(amount_fen=None), "amount_fen: must not be null"),
        (
            transfer_row(channel="pigeon"),
            "channel: must be one of mobile, online, counter, atm, qr, pos, batch, got 'pigeon'",
        ),
        (transfer_row(event_id=""), "event_id: length must be >= 1, got 0"),
        (transfer_row(colour="red"), "colour: unknown field"),
        # the first bad field in declaration order is the one named
        (transfer_row(channel="pigeon", amount_fen=-1), "amount_fen: must be > 0, got -1"),
    ],
)
def test_bad_record_names_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError) as info:
        validate_record(Transfer, data)
    assert str(info.value) == message
    assert info.value.field == message.split(":")[0]
    assert isinstance(info.value, ValueError)


def test_bad_pattern_and_list_items() -> None:
    with pytest.raises(RecordError, match=r"^gender: must match \^\[FM\]\$, got 'X'$"):
        validate_record(Person, {**to_dict(SAMPLES[Person]), "gender": "X"})
    with pytest.raises(RecordError, match=r"^permissions: "):
        validate_record(AppInstall, {**to_dict(SAMPLES[AppInstall]), "permissions": ["ok", 3]})


def test_unknown_reference_is_rejected_only_when_ids_are_known() -> None:
    known = {"account": {"A1", "A2"}}
    assert validate_record(Transfer, transfer_row(), known=known) == SAMPLES[Transfer]
    with pytest.raises(RecordError) as info:
        validate_record(Transfer, transfer_row(to_account="A123"), known=known)
    assert str(info.value) == "to_account: unknown account 'A123'"
    assert info.value.field == "to_account"
    # kinds not in `known` are not checked; None is never an unknown reference
    assert (
        validate_record(Transfer, transfer_row(device_id="nope"), known=known).device_id == "nope"
    )
    assert validate_record(Transfer, transfer_row(device_id=None), known={"device": set()})


def test_from_json_names_the_field() -> None:
    data = msgspec.json.encode(transfer_row(amount_fen=-5))
    with pytest.raises(RecordError, match=r"^amount_fen: must be > 0, got -5$"):
        from_json(Transfer, data)
    with pytest.raises(RecordError, match=r"^ts: missing required field$"):
        from_json(Transfer, b'{"event_id": "E1"}')


def test_every_time_field_is_declared_in_ms() -> None:
    """`ts` and every `*_ts` field carries the unit, so the validators check it."""
    for cls in ALL_TYPES:
        for field in arrow_schema(cls):
            if field.name == "ts" or field.name.endswith("_ts"):
                info = msgspec.inspect.type_info(cls)
                assert isinstance(info, msgspec.inspect.StructType)
                (spec,) = [f for f in info.fields if f.name == field.name]
                assert "'unit': 'ms'" in repr(spec.type), (cls.__name__, field.name)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount_fen": True}, "amount_fen: expected int, got true"),
        (
            {"ts": 1_772_400_000},
            "ts: must be ms since the epoch, 1973-03-03..2100-01-01 UTC, got 1772400000 "
            "(looks like seconds: multiply by 1000)",
        ),
        (
            {"ts": 1_772_400_000_000_000},
            "ts: must be ms since the epoch, 1973-03-03..2100-01-01 UTC, got 1772400000000000 "
            "(looks like microseconds: divide by 1000)",
        ),
        (
            {"ts": 5 * 10**12},
            "ts: must be ms since the epoch, 1973-03-03..2100-01-01 UTC, got 5000000000000",
        ),
    ],
)
def test_records_refuse_booleans_as_numbers_and_times_in_other_units(
    changes: dict[str, Any], message: str
) -> None:
    for decode in (
        lambda row: validate_record(Transfer, row),
        lambda row: from_json(Transfer, msgspec.json.encode(row)),
    ):
        with pytest.raises(RecordError) as info:
            decode(transfer_row(**changes))
        assert str(info.value) == message
    # the epoch itself is allowed: the simulator opens external accounts then
    assert validate_record(Account, {**to_dict(SAMPLES[Account]), "opened_ts": 0}).opened_ts == 0


# --- whole tables ---------------------------------------------------------------------------
def transfers(**columns: list[Any]) -> pa.Table:
    """A table of len(columns[...]) valid transfers, with the given columns replaced."""
    n = len(next(iter(columns.values()))) if columns else 1
    rows = [transfer_row(event_id=f"E{i}") for i in range(n)]
    table = pa.Table.from_pylist(rows)
    for name, values in columns.items():
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values))
    return table


def test_validate_table_splits_good_from_bad() -> None:
    table = transfers(
        amount_fen=[100, -5, 0, None, 7, 8, 9],
        channel=["qr", "qr", "qr", "qr", "pigeon", "qr", "qr"],
        to_account=["A2", "A2", "A2", "A2", "A2", "A123", "A1"],
    )
    accepted, rejected = validate_table(Transfer, table, known={"account": ["A1", "A2"]})

    assert accepted.schema.equals(arrow_schema(Transfer))
    assert accepted.column("event_id").to_pylist() == ["E0", "E6"]
    assert dict(
        zip(
            rejected.column("event_id").to_pylist(),
            rejected.column("reason").to_pylist(),
            strict=True,
        )
    ) == {
        "E1": "amount_fen: must be > 0, got -5",
        "E2": "amount_fen: must be > 0, got 0",
        "E3": "amount_fen: must not be null",
        "E4": "channel: must be one of mobile, online, counter, atm, qr, pos, batch, got 'pigeon'",
        "E5": "to_account: unknown account 'A123'",
    }
    # rejected rows keep their original values, for a person to fix
    assert rejected.column("amount_fen").to_pylist() == [-5, 0, None, 7, 8]


def test_validate_table_casts_and_reports_what_does_not_cast() -> None:
    table = transfers(ts=["1700000000000", "soon", None, "99999999999999999999"])
    accepted, rejected = validate_table(Transfer, table)
    assert accepted.column("ts").to_pylist() == [1_700_000_000_000]
    assert accepted.schema.field("ts").type == pa.int64()
    assert rejected.column("reason").to_pylist() == [
        "ts: expected int, got 'soon'",
        "ts: must not be null",
        "ts: expected int, got '99999999999999999999'",
    ]
    assert rejected.column("ts").to_pylist() == ["soon", None, "99999999999999999999"]


def test_validate_table_fills_missing_optional_columns() -> None:
    table = transfers().drop_columns(["device_id", "ip", "memo"])
    accepted, _ = validate_table(Transfer, table)
    assert accepted.column("device_id").to_pylist() == [None]
    decisions = table_from_records(Decision, [SAMPLES[Decision]]).drop_columns(["rules", "reason"])
    accepted, _ = validate_table(Decision, decisions)
    assert records_from_table(Decision, accepted)[0].rules == []


def test_validate_table_checks_patterns_lengths_and_list_items() -> None:
    people = table_from_records(Person, [SAMPLES[Person]] * 3).to_pydict()
    people["gender"] = ["F", "X", "M"]
    people["id_hash"] = ["0" * 16, "0" * 16, "short"]
    _, rejected = validate_table(Person, pa.table(people))
    assert rejected.column("reason").to_pylist() == [
        r"gender: must match ^[FM]$, got 'X'",
        "id_hash: length must be >= 16, got 5",
    ]
    installs = table_from_records(AppInstall, [SAMPLES[AppInstall]] * 2).to_pydict()
    installs["permissions"] = [["CAMERA"], ["CAMERA", None]]
    accepted, rejected = validate_table(AppInstall, pa.table(installs))
    assert accepted.num_rows == 1
    assert rejected.column("reason").to_pylist() == ["permissions: items must not be null"]


def test_tables_refuse_booleans_as_numbers_and_numbers_as_booleans() -> None:
    _, rejected = validate_table(Transfer, transfers(amount_fen=[True, False]))
    assert rejected.column("reason").to_pylist() == [
        "amount_fen: expected int, got true",
        "amount_fen: expected int, got false",
    ]
    cases = table_from_records(Case, [SAMPLES[Case]] * 3).to_pydict()
    cases["reported"] = [1, 0, 2]
    accepted, rejected = validate_table(Case, pa.table(cases))
    assert accepted.num_rows == 0
    assert rejected.column("reason").to_pylist()[2] == "reported: expected bool, got 2"
    cases["reported"] = ["true", "false", "true"]  # text, as a CSV has it, is read
    assert validate_table(Case, pa.table(cases))[0].num_rows == 3


def test_typed_time_columns_are_converted_by_their_unit() -> None:

    when = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    ms = 1_772_368_215_123
    for unit in ("s", "ms", "us", "ns"):
        table = transfers(ts=[when]).set_column(1, "ts", pa.array([when], pa.timestamp(unit)))
        accepted, _ = validate_table(Transfer, table)
        expected = {"s": ms // 1000 * 1000}.get(unit, ms)
        assert accepted.column("ts").to_pylist() == [expected], unit
    table = transfers(ts=[when]).set_column(1, "ts", pa.array([when.date()], pa.date32()))
    assert validate_table(Transfer, table)[0].column("ts").to_pylist() == [1_772_323_200_000]


def test_schema_errors_name_the_columns() -> None:
    with pytest.raises(SchemaError, match="amount_fen") as info:
        validate_table(Transfer, transfers().drop_columns(["amount_fen"]))
    assert info.value.missing == ("amount_fen",)
    with pytest.raises(SchemaError, match="colour") as info:
        validate_table(Transfer, transfers().append_column("colour", pa.array(["red"])))
    assert info.value.extra == ("colour",)
    assert issubclass(SchemaError, ValueError)


def test_decision_rejections_do_not_clash_with_its_reason_field() -> None:
    table = table_from_records(Decision, [SAMPLES[Decision]]).to_pydict()
    table["score"] = [1.5]
    _, rejected = validate_table(Decision, pa.table(table))
    assert reason_column(Decision) == "reject_reason"
    assert rejected.column("reject_reason").to_pylist() == ["score: must be <= 1, got 1.5"]
    assert rejected.column("reason").to_pylist() == [""]


def test_write_rejected(tmp_path: Path) -> None:
    _, rejected = validate_table(Transfer, transfers(amount_fen=[1, -1]))
    path = write_rejected(rejected, tmp_path / "out" / "transfers.rejected.parquet")
    assert path is not None
    assert pq.read_table(path).equals(rejected)
    _, none = validate_table(Transfer, transfers(amount_fen=[1]))
    assert write_rejected(none, tmp_path / "none.parquet") is None
    assert not (tmp_path / "none.parquet").exists()


# --- properties -----------------------------------------------------------------------------
amounts = st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=50)


@given(amounts)
def test_no_row_is_lost(values: list[int | None]) -> None:
    table = transfers(amount_fen=values) if values else transfers().slice(0, 0)
    accepted, rejected = validate_table(Transfer, table)
    assert accepted.num_rows + rejected.num_rows == len(values)
    assert accepted.column("amount_fen").to_pylist() == [
        v for v in values if v is not None and 0 < v <= 2**62
    ]
    assert all(r.startswith("amount_fen: ") for r in rejected.column("reason").to_pylist())


FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "event_id": st.sampled_from(["E", "", "x" * 129]),
    "ts": st.one_of(
        st.none(),
        st.integers(-3, 3),
        st.just(2**62 + 1),
        # a time in seconds, microseconds, nanoseconds, after 2100, at the edges of the range
        st.sampled_from([1_772_400_000, 1_772_400_000_000_000, 1_772_400_000_000_000_000]),
        st.sampled_from([5 * 10**12, 10**11 - 1, 10**11, 4_102_444_800_000, 4_102_444_800_001]),
    ),
    "from_account": st.sampled_from(["A1", "A2", "A9"]),
    "to_account": st.sampled_from(["A1", "A9", ""]),
    "amount_fen": st.one_of(st.none(), st.integers(-3, 3)),
    "channel": st.sampled_from([*Channel, "pigeon", ""]),
    "device_id": st.sampled_from([None, "IMEI1", ""]),
    "memo": st.one_of(st.none(), st.text(max_size=5)),
}


def _change(name: str) -> st.SearchStrategy[tuple[str, Any]]:
    return FIELD_VALUES[name].map(lambda v: (name, v))


# a row changes up to three fields, so a good share of rows stay valid
row_changes = st.lists(st.sampled_from(sorted(FIELD_VALUES)).flatmap(_change), max_size=3).map(dict)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row_changes, min_size=1, max_size=30))
def test_table_and_record_validation_agree(changes: list[dict[str, Any]]) -> None:
    """Each row is accepted by validate_table exactly when validate_record accepts it, and
    rejected with the same reason validate_record gives."""
    known = {"account": ["A1", "A2"]}
    rows = [transfer_row(**c) for c in changes]
    schema = pa.schema([(f.name, f.type) for f in arrow_schema(Transfer)])
    accepted, rejected = validate_table(
        Transfer, pa.Table.from_pylist(rows, schema=schema), known=known
    )

    expected_ok, expected_reasons = [], []
    for row in rows:
        try:
            expected_ok.append(
                to_dict(validate_record(Transfer, row, known={"account": {"A1", "A2"}}))
            )
        except RecordError as e:
            expected_reasons.append(str(e))
    assert accepted.to_pylist() == expected_ok
    assert rejected.column("reason").to_pylist() == expected_reasons
