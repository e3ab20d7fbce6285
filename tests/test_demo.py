"""The demo: the stage interface, the world stage's figures, summary.json and report.html.

Most tests run on a small hand-built world whose every number is known; the last one
runs the whole demo on a tiny simulated world.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pytest
from rich.console import Console

from fraudwall.cli import bar_chart, hbar
from fraudwall.demo import (
    DemoContext,
    StageResult,
    WorldStage,
    default_stages,
    demo_world,
    run_demo,
)
from fraudwall.demo.console import summary_table
from fraudwall.demo.engine_stage import EngineStage
from fraudwall.demo.report import HEADLINE_KEYS, build_summary
from fraudwall.demo.run import check_stages
from fraudwall.demo.stages import events_per_day, headline
from fraudwall.engine import default_model
from fraudwall.model import (
    DAY_MS,
    EVENT_TABLES,
    Account,
    AppInstall,
    Call,
    Case,
    Device,
    Institution,
    Login,
    Person,
    Phone,
    Record,
    Report,
    Sms,
    Transfer,
    Truth,
    UrlVisit,
    yuan,
)
from fraudwall.sim import SimConfig, simulate

T0 = 1_700_000_000_000 // DAY_MS * DAY_MS  # a UTC midnight


def _table(records: list[Record]) -> pa.Table:
    """A table of records of one type, each checked against its model type on the way."""
    rows = [msgspec.to_builtins(r) for r in records]
    for record, row in zip(records, rows, strict=True):
        msgspec.convert(row, type(record))  # raises on a field the model would reject
    return pa.Table.from_pylist(rows)


@dataclass
class HandWorld:
    """A world built by hand: the same shape as fraudwall.sim.World."""

    tables: dict[str, pa.Table]
    config: dict[str, Any] = field(default_factory=lambda: {"people": 10, "days": 3, "seed": 1})

    def manifest(self) -> dict[str, Any]:
        return {
            "schema_version": "1",
            "seed": 1,
            "config": self.config,
            "counts": {k: t.num_rows for k, t in self.tables.items()},
        }


AGES = [22, 35, 67, 30, 45, 19, 28, 33, 51, 40]


def hand_world() -> HandWorld:
    """Ten people, two mule accounts, one fraud number, four cases (one victim twice)."""
    people = [
        Person(
            person_id=f"p{i}",
            id_hash=f"{i:016d}",
            age=age,
            gender="F" if i % 2 else "M",
            region="r1",
            occupation="clerk",
        )
        for i, age in enumerate(AGES)
    ]
    accounts = [
        Account(
            account_id=f"a{i}",
            institution_id="b1",
            owner_person_id=f"p{i}",
            kind="debit_card",
            opened_ts=0,
            opening_balance_fen=10_000_000,
        )
        for i in range(10)
    ] + [
        Account(
            account_id=f"m{i}",
            institution_id="b1",
            owner_person_id="p9",
            kind="debit_card",
            opened_ts=0,
            opening_balance_fen=0,
        )
        for i in range(2)
    ]
    phones = [
        Phone(
            number=f"+86138000000{i:02d}",
            telco_id="t1",
            owner_person_id=f"p{i}",
            country_code="86",
            activated_ts=0,
            line_kind="mobile",
        )
        for i in range(10)
    ] + [
        Phone(
            number="+8617000000001",
            telco_id="t1",
            owner_person_id=None,
            country_code="86",
            activated_ts=0,
            line_kind="mobile",
        )
    ]
    devices = [
        Device(device_id=f"d{i}", owner_person_id=f"p{i}", kind="phone", first_seen_ts=0)
        for i in range(10)
    ]

    def transfer(i: int, day: int, src: str, dst: str, fen: int) -> Transfer:
        return Transfer(
            event_id=f"tr{i}",
            ts=T0 + day * DAY_MS + i * 1000,
            institution_id="b1",
            from_account=src,
            to_account=dst,
            amount_fen=fen,
            channel="mobile",
        )

    transfers = [
        transfer(0, 0, "a0", "m0", 100_000),
        transfer(1, 0, "m0", "a0", 2_000),
        transfer(2, 1, "a1", "m0", 500_000),
        transfer(3, 1, "m0", "m1", 500_000),
        transfer(4, 2, "a2", "m0", 30_000),
        transfer(5, 2, "a3", "a4", 1_000),
    ]
    calls = [
        Call(
            event_id=f"c{i}",
            ts=T0 + i * DAY_MS,
            institution_id="t1",
            caller="+8617000000001",
            callee=f"+86138000000{i:02d}",
            duration_ms=60_000,
            gateway="domestic",
            presented_number="+8617000000001",
        )
        for i in range(3)
    ]
    sms = [
        Sms(
            event_id="s0",
            ts=T0 + 5,
            institution_id="t1",
            sender="+8617000000001",
            receiver="+8613800000000",
            text="刷单返利，日赚三百",
            gateway="domestic",
        )
    ]
    installs = [
        AppInstall(
            event_id="i0",
            ts=T0 + 6,
            institution_id="t1",
            device_id="d1",
            app_id="com.example.meet",
            app_name="Meet",
            permissions=["screen_capture"],
        )
    ]
    visits = [
        UrlVisit(
            event_id="u0",
            ts=T0 + DAY_MS + 7,
            institution_id="t1",
            device_id="d1",
            url="https://invest.example/x",
            domain="invest.example",
        )
    ]
    logins = [
        Login(
            event_id="l0", ts=T0 + 8, institution_id="b1", account_id="m0", device_id="d9", ip="1"
        )
    ]
    reports = [
        Report(
            event_id="r0",
            ts=T0 + 2 * DAY_MS + 9,
            institution_id="b1",
            person_id="p0",
            transfer_ids=["tr0"],
            loss_fen=98_000,
            fraud_type="rebate",
            narrative="I was asked to like videos for money.",
        )
    ]

    def case(i: int, ft: str, victim: str, paid: int, bait: int, reported: bool) -> Case:
        return Case(
            case_id=f"k{i}",
            gang_id=f"g{i % 2}",
            fraud_type=ft,
            victim_person_id=victim,
            first_contact_ts=T0,
            first_payment_ts=T0 + 1,
            paid_fen=paid,
            returned_bait_fen=bait,
            loss_fen=paid - bait,
            reported=reported,
            report_ts=T0 + 2 * DAY_MS if reported else None,
        )

    cases = [
        case(0, "rebate", "p0", 100_000, 2_000, True),
        case(1, "investment", "p1", 500_000, 0, False),
        case(2, "rebate", "p0", 10_000, 0, False),
        case(3, "police", "p2", 30_000, 0, True),
    ]
    truth = [
        Truth(entity_kind="account", entity_id="m0", role="first_hop_mule", case_id="k0"),
        Truth(entity_kind="account", entity_id="m0", role="first_hop_mule", case_id="k1"),
        Truth(entity_kind="account", entity_id="m1", role="cash_out", typology="cash_atm"),
        Truth(entity_kind="account", entity_id="a0", role="victim_account", case_id="k0"),
        Truth(entity_kind="phone", entity_id="+8617000000001", role="fraud_number"),
        Truth(entity_kind="person", entity_id="p0", role="victim", case_id="k0"),
        Truth(entity_kind="transfer", entity_id="tr3", role="laundering", typology="layering"),
        Truth(entity_kind="transfer", entity_id="tr1", role="bait_payment", typology="rebate_bait"),
        Truth(entity_kind="call", entity_id="c0", role="fraud_contact", typology="rebate_bait"),
    ]
    tables = {
        Institution.table: _table(
            [
                Institution(institution_id="b1", name="Bank One", kind="bank"),
                Institution(institution_id="t1", name="Telco One", kind="telco"),
            ]
        ),
        Person.table: _table(people),
        Account.table: _table(accounts),
        Phone.table: _table(phones),
        Device.table: _table(devices),
        Transfer.table: _table(transfers),
        Call.table: _table(calls),
        Sms.table: _table(sms),
        AppInstall.table: _table(installs),
        UrlVisit.table: _table(visits),
        Login.table: _table(logins),
        Report.table: _table(reports),
        Truth.table: _table(truth),
        Case.table: _table(cases),
    }
    return HandWorld(tables)


def quiet_console() -> Console:
    return Console(record=True, width=120, force_terminal=False, color_system=None)


# --- the world stage --------------------------------------------------------------------
def test_world_stage_counts_the_hand_built_world() -> None:
    world = hand_world()
    result = WorldStage().run(DemoContext(world=world, out_dir=Path(".")))
    s = result.summary
    assert (s["people"], s["accounts"], s["phones"], s["devices"]) == (10, 12, 11, 10)
    assert s["events_by_type"] == {
        "transfers": 6,
        "calls": 3,
        "sms": 1,
        "app_installs": 1,
        "url_visits": 1,
        "logins": 1,
        "reports": 1,
    }
    assert s["events_total"] == 14
    assert s["events_per_day"]["transfers"] == [2, 2, 2]
    assert s["events_per_day"]["calls"] == [1, 1, 1]
    assert s["day0_ms"] == T0
    assert s["cases"] == 4
    assert s["gangs"] == 2
    assert s["paid_fen"] == 640_000
    assert s["returned_bait_fen"] == 2_000
    assert s["loss_fen"] == 638_000
    assert s["reported_cases"] == 2
    assert s["reported_share"] == 0.5
    assert s["by_fraud_type"]["rebate"] == {
        "cases": 2,
        "paid_fen": 110_000,
        "loss_fen": 108_000,
        "share_cases": 0.5,
    }
    assert s["by_fraud_type"]["investment"]["loss_fen"] == 500_000
    assert s["by_fraud_type"]["romance"]["cases"] == 0
    assert sum(b["cases"] for b in s["by_fraud_type"].values()) == 4
    # p0 (22) twice, p1 (35), p2 (67): three distinct victims
    assert s["victims"] == 3
    assert s["victim_age_mean"] == pytest.approx((22 + 35 + 67) / 3, abs=0.01)
    assert s["victims_18_40_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["victims_by_age_band"] == {
        "0-17": 0,
        "18-29": 1,
        "30-39": 1,
        "40-49": 0,
        "50-59": 0,
        "60+": 1,
    }
    assert s["mule_accounts"] == 2  # m0 twice, m1 once; a0 is a victim's account
    assert s["fraud_numbers"] == 1
    assert s["typologies"]["rebate_bait"] == 2  # one transfer and one call
    assert s["typologies"]["layering"] == 1
    assert s["typologies"]["fan_out"] == 0


def test_world_stage_gives_rows_bars_and_figures() -> None:
    result = WorldStage(cjk_labels=False).run(DemoContext(world=hand_world(), out_dir=Path(".")))
    rows = dict(result.rows)
    assert rows["fraud cases"] == "4"
    assert rows["victims' net loss"] == "¥6,380.00"
    assert rows["mule accounts"] == "2"
    assert [c.title for c in result.bars] == [
        "Cases by fraud type",
        "Net loss by fraud type",
        "Victims by age band",
    ]
    cases_bars = {label: value for label, value, _ in result.bars[0].bars}
    assert cases_bars == {"rebate": 2, "investment": 1, "police": 1}
    assert len(result.figures) == 3
    for fig in result.figures:
        assert fig.figure.axes, fig.title
        for ax in fig.figure.axes:
            assert ax.get_title() and ax.get_xlabel()


def test_world_stage_json_is_plain_and_money_is_integer() -> None:
    result = WorldStage().run(DemoContext(world=hand_world(), out_dir=Path(".")))
    again = json.loads(json.dumps(result.summary))
    assert again == result.summary
    assert isinstance(again["loss_fen"], int)
    assert all(isinstance(b["loss_fen"], int) for b in again["by_fraud_type"].values())


def test_days_count_from_the_simulation_start() -> None:
    world = hand_world()
    world.config["start_ts"] = T0 - DAY_MS // 3  # a local midnight before the first event
    start, per_day = events_per_day(world)
    assert start == T0 - DAY_MS // 3
    assert per_day["calls"] == [1, 1, 1]  # each call lands on the day it belongs to
    assert sum(per_day["transfers"]) == 6


def test_events_per_day_of_a_world_without_events() -> None:
    world = hand_world()
    for name in EVENT_TABLES:
        world.tables[name] = world.tables[name].slice(0, 0)
    assert events_per_day(world) == (0, {name: [] for name in EVENT_TABLES})
    assert headline(world)["events"] == 0


def test_a_victim_missing_from_people_is_named() -> None:
    world = hand_world()
    world.tables["people"] = world.tables["people"].slice(1)  # drops p0
    with pytest.raises(ValueError, match="p0"):
        WorldStage().run(DemoContext(world=world, out_dir=Path(".")))


def test_a_missing_table_is_named() -> None:
    world = hand_world()
    del world.tables["truth"]
    with pytest.raises(KeyError, match="truth"):
        WorldStage().run(DemoContext(world=world, out_dir=Path(".")))


# --- the stage interface and the outputs ------------------------------------------------
@dataclass
class LossShareStage:
    """A later stage: reads the world stage's result from the context."""

    name: str = "share"

    def run(self, ctx: DemoContext) -> StageResult:
        world = ctx.results["world"].summary
        top = world["by_fraud_type"]["investment"]["loss_fen"]
        return StageResult(
            title="Investment share of the loss",
            summary={"investment_loss_fen": top, "of_fen": world["loss_fen"]},
            rows=[("investment share", f"{top / world['loss_fen']:.0%}")],
        )


def test_demo_world_writes_summary_and_report(tmp_path: Path) -> None:
    console = quiet_console()
    summary = demo_world(hand_world(), tmp_path, [WorldStage(), LossShareStage()], console)

    on_disk = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert on_disk == summary
    assert list(on_disk) == ["events", "cases", "loss_fen", "world", "share"]
    assert (on_disk["events"], on_disk["cases"], on_disk["loss_fen"]) == (14, 4, 638_000)
    assert on_disk["world"]["cases"] == 4
    assert on_disk["share"] == {"investment_loss_fen": 500_000, "of_fen": 638_000}

    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>")
    assert report.count("data:image/svg+xml;base64,") == 3  # the world stage's figures
    assert "<script" not in report and "http://" not in report and "https://" not in report
    for text in (
        "Events per day by event type",
        "Cases and losses by fraud type",
        "Victims by age",
        "Investment share of the loss",
        "¥6,380.00",
    ):
        assert text in report

    out = console.export_text()
    for text in (
        "fraudwall demo: summary",
        "mule accounts",
        "Cases by fraud type",
        "Victims by age band",
        "investment share",
        "report",
    ):
        assert text in out


def test_summary_keys_are_stable_without_the_world_stage(tmp_path: Path) -> None:
    summary = demo_world(hand_world(), tmp_path, [], quiet_console())
    assert summary == {"events": 14, "cases": 4, "loss_fen": 638_000}


def test_stage_names_must_be_unique_and_not_headline_keys() -> None:
    check_stages([WorldStage(), LossShareStage()])
    with pytest.raises(ValueError, match="world"):
        check_stages([WorldStage(), WorldStage()])
    for key in HEADLINE_KEYS:
        with pytest.raises(ValueError, match=key):
            check_stages([LossShareStage(name=key)])
    with pytest.raises(ValueError):
        build_summary({"events": 1, "cases": 1, "loss_fen": 1}, {"cases": StageResult("x", {}, [])})


def test_default_stages_start_with_the_world() -> None:
    assert default_stages()[0].name == "world"


def test_headline_sums_every_event_table() -> None:
    assert headline(hand_world()) == {"events": 14, "cases": 4, "loss_fen": 638_000}


# --- console helpers --------------------------------------------------------------------
def test_yuan_keeps_every_fen() -> None:
    assert yuan(0) == "¥0.00"
    assert yuan(5) == "¥0.05"
    assert yuan(123_456_789) == "¥1,234,567.89"
    assert yuan(-250) == "-¥2.50"


def test_bars_scale_to_the_largest() -> None:
    assert hbar(10, 10, 20) == "█" * 20
    assert hbar(5, 10, 20) == "█" * 10
    assert hbar(0, 10, 20) == ""
    assert hbar(0.001, 10, 20) == "▏"  # a non-zero value never vanishes
    console = quiet_console()
    console.print(bar_chart("Loss", [("rebate", 4.0, "¥4"), ("loan", 1.0, "¥1")]))
    out = console.export_text()
    assert "rebate" in out and "¥4" in out and "█" * 40 in out


def test_summary_table_lists_every_stage() -> None:
    result = StageResult("T", {}, [("a", "1"), ("b", "2")])
    console = quiet_console()
    console.print(summary_table({"events": 3, "cases": 1, "loss_fen": 100}, {"mine": result}))
    out = console.export_text()
    assert "mine" in out and "¥1.00" in out


def test_the_engine_stage_decides_with_the_shipped_model_reading_sms_texts(
    tmp_path: Path,
) -> None:
    # the shipped model refuses to decide without a text scorer: the stage gives it one
    assert default_model().needs_text_scorer == "sms_fraud_probability"
    world = simulate(SimConfig(people=300, days=3, seed=5))
    result = EngineStage().run(DemoContext(world=world, out_dir=tmp_path))
    sms = result.summary["contacts"]["by_kind"]["sms"]
    assert sms["fraud"] + sms["legit"] > 0
    assert set(result.summary["by_lead_contact"]) == {"call", "sms", "none"}


# --- the whole demo on a simulated world (needs fraudwall.sim) ----------------------------
def test_run_demo_on_a_tiny_world(tmp_path: Path) -> None:
    config = SimConfig(people=300, days=3, seed=11)
    summary = run_demo(config, tmp_path, console=quiet_console())
    assert {"events", "cases", "loss_fen", "world"} <= set(summary)
    assert list(summary)[:3] == ["events", "cases", "loss_fen"]
    world = summary["world"]
    assert summary["events"] == world["events_total"] > 0
    assert summary["cases"] == world["cases"]
    assert summary["loss_fen"] == world["loss_fen"]
    assert world["people"] == 300
    assert world["seed"] == 11
    assert (tmp_path / "world" / "manifest.json").is_file()
    assert (tmp_path / "world" / "transfers.parquet").is_file()
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8")) == summary
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_the_engine_stage_reports_lives_changed(tmp_path: Path) -> None:
    config = SimConfig(people=3_000, days=8, seed=4, fraud_rate=600.0)
    summary = run_demo(config, tmp_path, console=quiet_console())
    engine = summary["engine"]
    for key in (
        "precision_stop", "recall_stop", "precision_warn", "recall_warn", "intercepted_share",
        "intercepted_or_warned_share", "legit_stopped_share", "by_fraud_type", "by_rule",
        "warnings_sent", "victims_stopped",
    ):  # fmt: skip
        assert key in engine
    assert engine["warnings_sent"] > 0
    assert engine["fraud_fen_attempted"] == summary["world"]["paid_fen"]
    assert 0 <= engine["intercepted_share"] <= engine["intercepted_or_warned_share"] <= 1
    assert engine["intercepted_fen"] <= engine["intercepted_or_warned_fen"]
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Real-time engine" in report and "Rules backtested" in report

    intel = summary["intel"]  # detectors measured on the whole history, lists from the cut
    for key in ("mules_f1", "mules_auprc", "fraud_numbers_f1", "fraud_numbers_auprc",
                "text_macro_f1", "apps_f1", "apps_auprc", "urls_f1", "urls_auprc",
                "gangs_pairwise_f1"):  # fmt: skip
        assert 0.0 <= intel[key] <= 1.0
    assert intel["gangs"] > 0 and "The largest gang" in report
    assert intel["mules_f1"] > 0.5 and intel["fraud_numbers_auprc"] > 0.5
    assert 0 < intel["cut_day"] < config.days
    assert intel["listed_accounts"] >= intel["engine_listed_accounts"] > 0
    assert set(intel["list_rules"]) == {"payee_on_risk_list", "known_fraud_caller"}
    assert intel["listed_apps"] + intel["listed_domains"] > 0
    assert intel["texts"] > 0
    emerging = intel["emerging_scripts"]  # issue 14: new scripts found, and how soon
    assert {"found", "true", "median_days_to_find", "reported"} <= set(emerging)
    assert 0 <= emerging["found"] <= emerging["true"] and emerging["reported"] >= 0
    assert "Intelligence: mules, fraud numbers, texts, apps, domains, gangs" in report

    funds = summary["funds"]
    for key in ("traced_share", "stopped_fen", "frozen_fen", "returned_fen", "returned_share",
                "median_ms_to_first_stop"):  # fmt: skip
        assert key in funds
    assert funds["cases"] > 0 and 0 < funds["traced_share"] <= 1
    assert 0 <= funds["returned_fen"] <= funds["frozen_fen"]
    assert funds["returned_fen"] <= funds["reported_loss_fen"]
    # a stop takes hold no sooner than the police's intake after the report (the policy's
    # working time, the same on any machine)
    assert funds["median_ms_to_first_stop"] >= funds["intake_ms"] > 0
    assert isinstance(funds["stopped_fen"], int) and isinstance(funds["returned_fen"], int)
    # the chain's case groups are the gangs the intel stage found, with their evidence
    assert funds["groups_from"] == "gangs"
    assert 0 < funds["cases_in_given_groups"] <= funds["cases"]
    assert funds["groups"] <= funds["cases"] and funds["largest_group_linked_by"]
    assert "Funds: trace, stop-payment, freeze, return" in report
