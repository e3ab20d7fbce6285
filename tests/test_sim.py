"""The world simulator: determinism, schema, money, calibration, and the shapes it plants.

Typology tests look for each shape in the raw transfers and calls, not only in the ground
truth: the truth must be right, not just present.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from fraudwall.common import ledger_order
from fraudwall.errors import InputError
from fraudwall.model import BY_TABLE, DAY_MS, HOUR_MS, validate_table
from fraudwall.sim import SimConfig, World, read_world, simulate, write_world
from fraudwall.sim.config import CASE_SHARES
from fraudwall.sim.ledger import final_balances, running_minimum

TINY = SimConfig(people=600, days=5, seed=3, fraud_rate=400.0)


def col(table: pa.Table, name: str) -> list:  # type: ignore[type-arg]
    return table[name].to_pylist()


def truth_ids(
    world: World, kind: str, role: str | None = None, typology: str | None = None
) -> set[str]:
    t = world.tables["truth"]
    mask = pc.equal(t["entity_kind"], kind)
    if role is not None:
        mask = pc.and_(mask, pc.equal(t["role"], role))
    if typology is not None:
        mask = pc.and_(mask, pc.equal(t["typology"], typology))
    return set(t.filter(mask)["entity_id"].to_pylist())


class Ledger:
    """Transfers as numpy arrays with dense account indices, for shape checks."""

    def __init__(self, world: World) -> None:
        tr = world.tables["transfers"]
        acc = world.tables["accounts"]
        self.account_ids = acc["account_id"].to_pylist()
        self.index = {a: i for i, a in enumerate(self.account_ids)}
        self.event_ids = tr["event_id"].to_pylist()
        self.event_index = {e: i for i, e in enumerate(self.event_ids)}
        self.src = np.array([self.index[a] for a in tr["from_account"].to_pylist()])
        self.dst = np.array([self.index[a] for a in tr["to_account"].to_pylist()])
        self.ts = tr["ts"].to_numpy()
        self.amount = tr["amount_fen"].to_numpy()
        self.channel = np.array(tr["channel"].to_pylist())
        self.kind = np.array(acc["kind"].to_pylist())
        self.external = np.array([x or "" for x in acc["external_kind"].to_pylist()])
        self.out_rows: dict[int, list[int]] = defaultdict(list)
        self.in_rows: dict[int, list[int]] = defaultdict(list)
        for i, (s, d) in enumerate(zip(self.src, self.dst, strict=True)):
            self.out_rows[int(s)].append(i)
            self.in_rows[int(d)].append(i)

    def acct(self, account_id: str) -> int:
        return self.index[account_id]

    def max_distinct_payees(self, a: int, window_ms: int) -> int:
        rows = self.out_rows[a]
        best = 0
        for i in rows:
            peers = {int(self.dst[j]) for j in rows if 0 <= self.ts[j] - self.ts[i] <= window_ms}
            best = max(best, len(peers))
        return best

    def distinct_payers(self, a: int) -> int:
        return len({int(self.src[j]) for j in self.in_rows[a]})


@pytest.fixture(scope="module")
def ledger(default_world: World) -> Ledger:
    return Ledger(default_world)


# --- determinism and files -------------------------------------------------------------
def test_same_seed_gives_byte_identical_files_and_another_seed_another_world(
    tmp_path: Path,
) -> None:
    a = write_world(simulate(TINY), tmp_path / "a")
    b = write_world(simulate(TINY), tmp_path / "b")
    c = write_world(
        simulate(SimConfig(people=600, days=5, seed=4, fraud_rate=400.0)), tmp_path / "c"
    )
    files = sorted(p.name for p in a.iterdir())
    assert "transfers.parquet" in files and "manifest.json" in files
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "transfers.parquet").read_bytes() != (c / "transfers.parquet").read_bytes()


def test_written_world_reads_back_equal_with_its_manifest(tmp_path: Path) -> None:
    world = simulate(TINY)
    back = read_world(write_world(world, tmp_path / "w"))
    assert back.config == world.config
    for name, table in world.tables.items():
        assert back.tables[name].equals(table), name
    manifest = world.manifest()
    assert manifest["seed"] == 3 and manifest["schema_version"] == "1"
    assert manifest["counts"]["transfers"] == world.tables["transfers"].num_rows


def test_read_world_refuses_a_folder_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no manifest\.json"):
        read_world(tmp_path)


def test_required_tables_exist_and_every_row_passes_its_schema(default_world: World) -> None:
    tables = default_world.tables
    for name in (
        "people",
        "accounts",
        "phones",
        "devices",
        "transfers",
        "calls",
        "sms",
        "app_installs",
        "reports",
        "truth",
    ):
        assert tables[name].num_rows > 0, name
    known = {
        "institution": tables["institutions"]["institution_id"],
        "person": tables["people"]["person_id"],
        "account": tables["accounts"]["account_id"],
        "phone": tables["phones"]["number"],
        "device": tables["devices"]["device_id"],
    }
    for name, table in tables.items():
        accepted, rejected = validate_table(BY_TABLE[name], table, known)
        assert rejected.num_rows == 0, (name, rejected.slice(0, 3).to_pylist())
        assert accepted.num_rows == table.num_rows


def test_event_ids_are_globally_unique_and_events_fall_in_the_window(
    default_world: World,
) -> None:
    cfg = default_world.config
    ids: list[str] = []
    for name in ("transfers", "calls", "sms", "app_installs", "url_visits", "logins", "reports"):
        t = default_world.tables[name]
        ids += col(t, "event_id")
        ts = t["ts"].to_numpy()
        assert (ts >= cfg.start_ts).all() and (ts < cfg.end_ts).all(), name
        assert (np.diff(ts) >= 0).all(), f"{name} not in time order"
    assert len(ids) == len(set(ids))


# --- money -----------------------------------------------------------------------------
def test_no_account_overdraws_and_money_is_conserved(default_world: World, ledger: Ledger) -> None:
    acc = default_world.tables["accounts"]
    opening = acc["opening_balance_fen"].to_numpy()
    limit = acc["credit_limit_fen"].to_numpy()
    order = ledger_order(ledger.ts)
    low = running_minimum(len(opening), ledger.src[order], ledger.dst[order], ledger.amount[order])
    internal = ledger.kind != "external"
    assert (opening[internal] + low[internal] >= -limit[internal]).all()
    assert (opening[~internal] == 0).all()
    final = final_balances(opening, ledger.src, ledger.dst, ledger.amount)
    assert int(final.sum()) == int(opening.sum())
    # Only money that left the system makes external balances move, and only upward.
    assert (final[~internal] >= 0).all()


def test_amounts_are_integer_fen(default_world: World) -> None:
    assert default_world.tables["transfers"].schema.field("amount_fen").type == pa.int64()
    assert default_world.tables["accounts"].schema.field("opening_balance_fen").type == pa.int64()


# --- calibration (DESIGN §2) -----------------------------------------------------------
def test_case_shares_victim_ages_and_losses_follow_design(many_cases_world: World) -> None:
    cases = many_cases_world.tables["cases"]
    n = cases.num_rows
    assert n > 1200
    types = col(cases, "fraud_type")
    share = {t: types.count(str(t)) / n for t in CASE_SHARES}
    for t, expected in CASE_SHARES.items():
        assert abs(share[t] - expected) < 0.03, (t, share[t], expected)
    assert abs(sum(v for t, v in share.items() if t != "other") - 0.88) < 0.03
    loss = defaultdict(int)
    count = defaultdict(int)
    for t, x in zip(types, col(cases, "loss_fen"), strict=True):
        loss[t] += x
        count[t] += 1
    assert max(loss, key=lambda t: loss[t]) == "rebate"
    per_case = {t: loss[t] / count[t] for t in loss}
    assert max(per_case, key=lambda t: per_case[t]) == "investment"
    people = many_cases_world.tables["people"]
    age = dict(zip(col(people, "person_id"), col(people, "age"), strict=True))
    ages = np.array([age[p] for p in col(cases, "victim_person_id")])
    assert abs(ages.mean() - 37) < 2.0
    assert abs(((ages >= 18) & (ages <= 40)).mean() - 0.62) < 0.05


def test_cases_truth_and_reports_agree(default_world: World, ledger: Ledger) -> None:
    cases = default_world.tables["cases"]
    assert cases.num_rows > 50
    paid = col(cases, "paid_fen")
    bait = col(cases, "returned_bait_fen")
    assert col(cases, "loss_fen") == [max(0, p - b) for p, b in zip(paid, bait, strict=True)]
    # Every fraud payment leaves an account of the victim's and reaches a first-hop mule.
    t = default_world.tables["truth"]
    owner = dict(
        zip(
            col(default_world.tables["accounts"], "account_id"),
            col(default_world.tables["accounts"], "owner_person_id"),
            strict=True,
        )
    )
    victim = dict(zip(col(cases, "case_id"), col(cases, "victim_person_id"), strict=True))
    first_hop = truth_ids(default_world, "account", "first_hop_mule")
    pay = t.filter(
        pc.and_(pc.equal(t["entity_kind"], "transfer"), pc.equal(t["role"], "fraud_payment"))
    )
    paid_by_case: dict[str, int] = defaultdict(int)
    for event, case in zip(col(pay, "entity_id"), col(pay, "case_id"), strict=True):
        i = ledger.event_index[event]
        assert owner[ledger.account_ids[ledger.src[i]]] == victim[case]
        assert ledger.account_ids[ledger.dst[i]] in first_hop
        paid_by_case[case] += int(ledger.amount[i])
    assert dict(paid_by_case) == {
        c: p for c, p in zip(col(cases, "case_id"), paid, strict=True) if p > 0
    }
    # A report lists the victim's own payments, after them, with the net loss.
    reports = default_world.tables["reports"]
    assert 0.4 < reports.num_rows / cases.num_rows < 0.9
    loss = dict(zip(col(cases, "victim_person_id"), col(cases, "loss_fen"), strict=True))
    for r in reports.to_pylist():
        rows = [ledger.event_index[e] for e in r["transfer_ids"]]
        assert all(owner[ledger.account_ids[ledger.src[i]]] == r["person_id"] for i in rows)
        assert all(ledger.ts[i] < r["ts"] for i in rows)
        assert r["loss_fen"] == loss[r["person_id"]]
        assert r["narrative"]


# --- laundering shapes -----------------------------------------------------------------
def test_fan_out_accounts_pay_several_accounts_within_an_hour(
    default_world: World, ledger: Ledger
) -> None:
    accounts = truth_ids(default_world, "account", "mule", "fan_out")
    assert accounts
    fanned = [ledger.max_distinct_payees(ledger.acct(a), HOUR_MS) >= 3 for a in accounts]
    assert np.mean(fanned) > 0.9


def test_fan_in_accounts_collect_from_several_accounts(
    default_world: World, ledger: Ledger
) -> None:
    accounts = truth_ids(default_world, "account", "mule", "fan_in")
    assert accounts
    assert max(ledger.distinct_payers(ledger.acct(a)) for a in accounts) >= 5
    assert np.mean([ledger.distinct_payers(ledger.acct(a)) >= 2 for a in accounts]) > 0.7


def test_first_hop_accounts_pass_money_through_within_hours(
    default_world: World, ledger: Ledger
) -> None:
    accounts = {
        ledger.acct(a)
        for a in truth_ids(default_world, "account", "first_hop_mule", "pass_through")
    }
    assert accounts
    end = default_world.config.end_ts
    ok = []
    for e in truth_ids(default_world, "transfer", "fraud_payment"):
        r = ledger.event_index[e]
        i = int(ledger.dst[r])
        if i not in accounts or ledger.ts[r] > end - 8 * HOUR_MS:
            continue
        later = [j for j in ledger.out_rows[i] if 0 < ledger.ts[j] - ledger.ts[r] <= 8 * HOUR_MS]
        ok.append(sum(int(ledger.amount[j]) for j in later) >= 0.8 * ledger.amount[r])
    assert len(ok) > 20 and np.mean(ok) > 0.8


def _laundering_edges(
    world: World, ledger: Ledger, typology: str | None = None
) -> dict[str, list[int]]:
    t = world.tables["truth"]
    mask = pc.and_(pc.equal(t["entity_kind"], "transfer"), pc.equal(t["role"], "laundering"))
    if typology:
        mask = pc.and_(mask, pc.equal(t["typology"], typology))
    rows = t.filter(mask)
    by_case: dict[str, list[int]] = defaultdict(list)
    for e, c in zip(col(rows, "entity_id"), col(rows, "case_id"), strict=True):
        by_case[c].append(ledger.event_index[e])
    return by_case


def _longest_chain(ledger: Ledger, rows: list[int]) -> int:
    """Longest time-respecting path (in hops) through one case's laundering transfers."""
    rows = sorted(rows, key=lambda i: ledger.ts[i])
    best: dict[int, int] = {}
    for i in rows:
        prev = [
            best[j]
            for j in rows
            if ledger.dst[j] == ledger.src[i] and ledger.ts[j] < ledger.ts[i] and j in best
        ]
        best[i] = 1 + max(prev, default=0)
    return max(best.values(), default=0)


def test_layering_chains_of_two_to_six_hops(default_world: World, ledger: Ledger) -> None:
    assert truth_ids(default_world, "account", "mule", "layering")
    lengths = [
        _longest_chain(ledger, rows) for rows in _laundering_edges(default_world, ledger).values()
    ]
    # Short chains and long ones: from a couple of hops to six and more.
    assert min(lengths) <= 2 and max(lengths) >= 6
    assert len(set(lengths) & {2, 3, 4, 5, 6}) >= 4


def test_scatter_gather_splits_then_regathers(default_world: World, ledger: Ledger) -> None:
    found = 0
    for rows in _laundering_edges(default_world, ledger, "scatter_gather").values():
        by_src: dict[int, list[int]] = defaultdict(list)
        for i in rows:
            by_src[int(ledger.src[i])].append(i)
        for s, out in by_src.items():
            mids = {int(ledger.dst[i]) for i in out}
            if len(mids) < 2:
                continue
            gathers = {int(ledger.dst[j]) for m in mids for j in by_src.get(m, [])}
            if len(gathers) == 1 and all(m in by_src for m in mids) and s not in gathers:
                found += 1
    assert found >= 1


def test_cycles_return_money_to_where_it_started(default_world: World, ledger: Ledger) -> None:
    found = 0
    for rows in _laundering_edges(default_world, ledger, "cycle").values():
        rows = sorted(rows, key=lambda i: ledger.ts[i])
        for a in rows:
            for b in rows:
                if ledger.src[b] != ledger.dst[a] or ledger.ts[b] <= ledger.ts[a]:
                    continue
                for c in rows:
                    if (
                        ledger.src[c] == ledger.dst[b]
                        and ledger.dst[c] == ledger.src[a]
                        and ledger.ts[c] > ledger.ts[b]
                    ):
                        found += 1
    assert found >= 1


@pytest.mark.parametrize(
    ("typology", "sink_kind", "channel"),
    [
        ("cash_atm", "cash", "atm"),
        ("cash_crypto", "crypto_otc", None),
        ("cash_cross_border", "cross_border", None),
        ("cash_merchant", None, None),
    ],
)
def test_cash_out_leaves_through_its_sink(
    default_world: World, ledger: Ledger, typology: str, sink_kind: str | None, channel: str | None
) -> None:
    rows = [i for r in _laundering_edges(default_world, ledger, typology).values() for i in r]
    assert rows, typology
    for i in rows:
        if sink_kind is None:
            assert ledger.kind[ledger.dst[i]] == "merchant"
        else:
            assert ledger.external[ledger.dst[i]] == sink_kind
        if channel:
            assert ledger.channel[i] == channel
    assert truth_ids(default_world, "account", "cash_out", typology)


def test_atm_withdrawals_stay_under_the_machine_limit(default_world: World, ledger: Ledger) -> None:
    rows = [i for r in _laundering_edges(default_world, ledger, "cash_atm").values() for i in r]
    assert max(int(ledger.amount[i]) for i in rows) <= 20_000_00
    assert all(int(ledger.amount[i]) % 100_00 == 0 for i in rows)


# --- accounts and SIMs -----------------------------------------------------------------
def test_score_running_accounts_are_personal_and_mix_fraud_with_ordinary_life(
    default_world: World, ledger: Ledger
) -> None:
    accounts = truth_ids(default_world, "account", "first_hop_mule", "score_running")
    assert accounts
    fraud_events = truth_ids(default_world, "transfer")
    mixed = 0
    for a in accounts:
        i = ledger.acct(a)
        assert ledger.kind[i] in ("wallet", "debit_card")
        rows = ledger.in_rows[i] + ledger.out_rows[i]
        ordinary = [j for j in rows if ledger.event_ids[j] not in fraud_events]
        mixed += bool(ordinary)
    assert mixed / len(accounts) > 0.5


def test_dormant_accounts_wake_up_for_fraud_only(default_world: World, ledger: Ledger) -> None:
    accounts = truth_ids(default_world, "account", "mule", "dormant_woken")
    assert accounts
    acc = default_world.tables["accounts"]
    last = dict(zip(col(acc, "account_id"), col(acc, "last_active_ts"), strict=True))
    fraud_events = truth_ids(default_world, "transfer")
    start = default_world.config.start_ts
    for a in accounts:
        assert last[a] <= start - 180 * DAY_MS
        i = ledger.acct(a)
        rows = ledger.in_rows[i] + ledger.out_rows[i]
        assert all(ledger.event_ids[j] in fraud_events for j in rows)


def test_rented_accounts_belong_to_card_sellers(default_world: World) -> None:
    accounts = truth_ids(default_world, "account", "mule", "rented_account")
    sellers = truth_ids(default_world, "person", "card_seller")
    acc = default_world.tables["accounts"]
    owner = dict(zip(col(acc, "account_id"), col(acc, "owner_person_id"), strict=True))
    assert accounts and all(owner[a] in sellers for a in accounts)


def _calls(world: World) -> dict[str, list]:  # type: ignore[type-arg]
    c = world.tables["calls"]
    return {
        k: col(c, k) for k in ("event_id", "caller", "gateway", "presented_number", "caller_device")
    }


def test_goip_boxes_carry_many_numbers(default_world: World) -> None:
    boxes = truth_ids(default_world, "device", "goip_device")
    assert boxes
    calls = _calls(default_world)
    numbers: dict[str, set[str]] = defaultdict(set)
    for dev, caller in zip(calls["caller_device"], calls["caller"], strict=True):
        if dev in boxes:
            numbers[dev].add(caller)
    assert max(len(v) for v in numbers.values()) >= 8
    phones = default_world.tables["phones"]
    sellers = truth_ids(default_world, "person", "card_seller")
    bought = truth_ids(default_world, "phone", "fraud_number", "bought_sim")
    owner = dict(zip(col(phones, "number"), col(phones, "owner_person_id"), strict=True))
    assert bought and all(owner[p] in sellers for p in bought)


def test_international_and_spoofed_calls(default_world: World) -> None:
    calls = _calls(default_world)
    intl = truth_ids(default_world, "call", typology="international")
    spoofed = truth_ids(default_world, "call", typology="spoofed")
    assert intl and spoofed
    for i, e in enumerate(calls["event_id"]):
        if e in intl:
            assert calls["gateway"][i] == "international"
            assert not calls["caller"][i].startswith("+86")
        elif e in spoofed:
            assert calls["gateway"][i] == "international"
            assert calls["presented_number"][i].startswith("+86")
            assert not calls["caller"][i].startswith("+86")
    # Legitimate international calls exist too (relatives abroad), so a gateway alone
    # does not mean fraud.
    legit_intl = [
        e
        for i, e in enumerate(calls["event_id"])
        if calls["gateway"][i] == "international" and e not in intl | spoofed
    ]
    assert legit_intl


def test_rebate_victims_get_small_rebates_before_the_big_loss(
    default_world: World, ledger: Ledger
) -> None:
    bait = truth_ids(default_world, "transfer", "bait_payment", "rebate_bait")
    assert bait
    t = default_world.tables["truth"]
    pays = t.filter(
        pc.and_(pc.equal(t["entity_kind"], "transfer"), pc.equal(t["role"], "fraud_payment"))
    )
    pay_rows = [ledger.event_index[e] for e in col(pays, "entity_id")]
    followed = 0
    for e in bait:
        b = ledger.event_index[e]
        victim_acct = ledger.dst[b]
        before = [
            i for i in pay_rows if ledger.src[i] == victim_acct and ledger.ts[i] < ledger.ts[b]
        ]
        after = [
            i for i in pay_rows if ledger.src[i] == victim_acct and ledger.ts[i] > ledger.ts[b]
        ]
        assert before and ledger.amount[b] > min(ledger.amount[i] for i in before)
        followed += bool(after)
    assert followed / len(bait) > 0.5


def test_grooming_contact_comes_days_before_payment(default_world: World) -> None:
    cases = default_world.tables["cases"].to_pylist()
    groomed = [
        c
        for c in cases
        if c["fraud_type"] in ("romance", "investment") and c["first_payment_ts"] is not None
    ]
    assert groomed
    assert all(c["first_payment_ts"] - c["first_contact_ts"] >= DAY_MS for c in groomed)
    assert truth_ids(default_world, "call", typology="grooming") | truth_ids(
        default_world, "sms", typology="grooming"
    )


def test_remote_control_apps_are_installed_just_before_paying(default_world: World) -> None:
    installs = truth_ids(default_world, "app_install", "fraud_install", "remote_control")
    assert installs
    ai = default_world.tables["app_installs"]
    perms = {e: p for e, p in zip(col(ai, "event_id"), col(ai, "permissions"), strict=True)}
    assert all(any("PROJECTION" in x or "ACCESSIBILITY" in x for x in perms[e]) for e in installs)


def test_fraud_numbers_reach_many_people_who_never_pay(default_world: World) -> None:
    contacts = truth_ids(default_world, "call", "fraud_contact")
    victims = truth_ids(default_world, "person", "victim")
    assert len(contacts) > 20 * len(victims)


# --- ledger helpers ----------------------------------------------------------------------
def test_running_minimum_by_hand() -> None:
    # Account 0 pays 5, receives 3, pays 4: running -5, -2, -6. Account 1 gets 5 then pays 3.
    src = np.array([0, 1, 0])
    dst = np.array([1, 0, 2])
    amount = np.array([5, 3, 4])
    assert running_minimum(3, src, dst, amount).tolist() == [-6, 0, 0]
    assert final_balances(np.array([10, 0, 0]), src, dst, amount).tolist() == [4, 2, 4]


def test_fraud_numbers_get_few_calls_back(default_world: World) -> None:
    calls = _calls(default_world)
    callee = col(default_world.tables["calls"], "callee")
    fraud = truth_ids(default_world, "phone", "fraud_number")
    out = sum(1 for c in calls["caller"] if c in fraud)
    back = sum(1 for c in callee if c in fraud)
    assert 0 < back < 0.1 * out


def test_some_victims_borrow_just_before_paying(many_cases_world: World) -> None:
    w = many_cases_world
    ledger = Ledger(w)
    lenders = {
        i
        for i, n in enumerate(col(w.tables["accounts"], "name"))
        if n in ("安信消费金融", "众诚小额贷款", "汇通信贷")
    }
    pays = [ledger.event_index[e] for e in truth_ids(w, "transfer", "fraud_payment")]
    borrowed = 0
    for i in pays:
        src = ledger.src[i]
        borrowed += any(
            ledger.src[j] in lenders and 0 < ledger.ts[i] - ledger.ts[j] <= 3 * HOUR_MS
            for j in ledger.in_rows[int(src)]
        )
    assert borrowed >= 10


def test_fraud_calls_come_mostly_by_day_like_everyone_elses(default_world: World) -> None:
    calls = default_world.tables["calls"]
    hours = ((calls["ts"].to_numpy() // HOUR_MS) + 8) % 24
    fraud = np.isin(
        np.array(col(calls, "event_id")),
        np.array(sorted(truth_ids(default_world, "call", "fraud_contact"))),
    )
    night = hours < 7
    assert 0.01 < night[fraud].mean() < 0.15
    assert night[~fraud].mean() < 0.1
