"""`fraudwall import amlsim`: an AMLSim sample or output becomes a world a user can run every
command on — exact fen, one ts per event, the truth — and every bad row is in the rejected
file with its line, field and reason. Hand-made CSVs only."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError
from fraudwall.intel.importers import AMLSIM_START_TS, import_amlsim
from fraudwall.intel.importers.amlsim import parse_fen
from fraudwall.model import BY_TABLE, DAY_MS, HOUR_MS, validate_table
from fraudwall.sim import read_world, verify_world

runner = CliRunner()
NOON = 12 * HOUR_MS


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "amlsim"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


SAMPLE = {
    "nodes.csv": "nodeid,isFraud,init_balance,fraudStep\n"
    "0,0,184.44,-1\n"
    "1,1,0.5,101\n"
    "2,0,90071992547409.93,-1\n",
    "transactions.csv": "sourceNodeId,targetNodeId,value,time\n"
    "0,1,103.55,1\n"
    "2,1,90071992547409.93,0\n"
    "1,0,7,1\n"
    "0,2,.1,1\n",
}


def test_sample_becomes_accounts_transfers_and_mules(tmp_path: Path) -> None:
    result = import_amlsim(_folder(tmp_path, SAMPLE))
    assert result.shape == "sample"
    assert result.rejected.num_rows == 0
    acc = result.tables["accounts"].to_pydict()
    assert acc["account_id"] == ["AML0", "AML1", "AML2"]
    # 2^53 + 1 fen: a float would have lost the last fen
    assert acc["opening_balance_fen"] == [18444, 50, 9_007_199_254_740_993]
    assert set(acc["opened_ts"]) == {AMLSIM_START_TS}
    tr = result.tables["transfers"].to_pydict()
    # step 0 first; within step 1 the file's order, one ms apart, at noon
    assert tr["event_id"] == ["AMLT3", "AMLT2", "AMLT4", "AMLT5"]  # ids are the lines
    assert tr["amount_fen"] == [9_007_199_254_740_993, 10355, 700, 10]
    day1 = AMLSIM_START_TS + DAY_MS + NOON
    assert tr["ts"] == [AMLSIM_START_TS + NOON, day1, day1 + 1, day1 + 2]
    assert tr["from_account"] == ["AML2", "AML0", "AML1", "AML0"]
    assert set(tr["channel"]) == {"online"}
    truth = result.tables["truth"].to_pydict()
    assert (truth["entity_kind"], truth["entity_id"], truth["role"]) == (
        ["account"], ["AML1"], ["mule"]
    )  # fmt: skip
    known = {"account": acc["account_id"], "institution": ["AMLSIM"]}
    for name, table in result.tables.items():
        assert validate_table(BY_TABLE[name], table, known)[1].num_rows == 0, name


def test_fen_is_parsed_from_the_text_exactly() -> None:
    money = parse_fen(pa.array(
        ["0.1", "0.10", "1.230", "-3", "+4.5", "7.", "1.005", "1e3", "1,000", "", ".", "x"]
    ))  # fmt: skip
    assert list(money.fen[:6]) == [10, 10, 123, -300, 450, 700]
    assert list(money.sub_fen) == [False] * 6 + [True] + [False] * 5
    assert list(money.garbled) == [False] * 7 + [True] * 5


def test_bad_rows_are_rejected_with_line_field_and_reason(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {
        "nodes.csv": "nodeid,isFraud,init_balance\n"
                     "0,0,10\n"
                     ",0,10\n"  # line 3: no id
                     "1,maybe,10\n"  # line 4: a garbled flag
                     "2,1,1.5.5\n"  # line 5: a garbled balance
                     "0,0,3\n"  # line 6: a repeated id
                     "3,0,5\n",
        "transactions.csv": "sourceNodeId,targetNodeId,value,time\n"
                            "0,3,1.00,0\n"  # line 2: fine
                            "0,3,-2.00,0\n"  # line 3: negative
                            "0,3,12;5,0\n"  # line 4: garbled
                            "0,3,1.001,0\n"  # line 5: a fraction of a fen
                            "0,1,5,0\n"  # line 6: account 1 was rejected
                            "0,9,5,0\n"  # line 7: no such account
                            "0,3,5,x\n"  # line 8: not a step
                            "0,3,5,-1\n"  # line 9: a negative step
                            "0,3\n"  # line 10: too few fields
                            "3,0,0,1\n"  # line 11: zero
                            "3,0,2.50,1\n",  # line 12: fine
    })  # fmt: skip
    result = import_amlsim(folder)
    rows = result.rejected.to_pylist()
    got = [(r["file"], r["line"], r["field"], r["reason"]) for r in rows]
    assert got == [
        ("nodes.csv", 3, "nodeid", "missing id"),
        ("nodes.csv", 4, "isfraud", "not a flag (0/1, true/false)"),
        ("nodes.csv", 5, "init_balance", "not a decimal amount"),
        ("nodes.csv", 6, "nodeid", "repeated account id (an earlier line has it)"),
        ("transactions.csv", 3, "value", "negative amount"),
        ("transactions.csv", 4, "value", "not a decimal amount"),
        ("transactions.csv", 5, "value", "fractions of a fen (more than 2 decimals)"),
        ("transactions.csv", 6, "targetnodeid",
         "unknown account (not among the accepted rows of nodes.csv)"),
        ("transactions.csv", 7, "targetnodeid",
         "unknown account (not among the accepted rows of nodes.csv)"),
        ("transactions.csv", 8, "time", "not a step (a whole number of days) or a date"),
        ("transactions.csv", 9, "time", "before the start (a negative step)"),
        ("transactions.csv", 10, "", "expected 4 fields, got 2"),
        ("transactions.csv", 11, "value", "zero amount: a transfer moves money"),
    ]  # fmt: skip
    assert rows[5]["value"] == "12;5"
    assert result.source["rejected"] == {"nodes.csv": 4, "transactions.csv": 9}
    assert result.tables["accounts"]["account_id"].to_pylist() == ["AML0", "AML3"]
    tr = result.tables["transfers"].to_pydict()
    assert (tr["event_id"], tr["amount_fen"]) == (["AMLT2", "AMLT12"], [100, 250])


OUTPUT = {
    "accounts.csv": "ACCOUNT_ID,CUSTOMER_ID,INIT_BALANCE,COUNTRY,ACCOUNT_TYPE,IS_FRAUD,"
    "TX_BEHAVIOR_ID\n"
    "10,C10,500.00,US,I,False,1\n"
    "11,C11,600.25,US,I,True,1\n"
    "12,C12,700,US,I,True,1\n",
    "transactions.csv": "TX_ID,SENDER_ACCOUNT_ID,RECEIVER_ACCOUNT_ID,TX_TYPE,TX_AMOUNT,"
    "TIMESTAMP,IS_FRAUD,ALERT_ID\n"
    "1,10,11,TRANSFER,465.05,0,False,-1\n"
    "2,11,12,TRANSFER,570258.25,3,True,7\n"
    "3,12,10,TRANSFER,12.00,3,False,-1\n"
    "4,10,12,TRANSFER,1.00,2,False,-1\n",
    "alerts.csv": "ALERT_ID,ALERT_TYPE,IS_FRAUD,TX_ID,SENDER_ACCOUNT_ID,RECEIVER_ACCOUNT_ID,"
    "TX_TYPE,TX_AMOUNT,TIMESTAMP\n"
    "7,fan_in,True,2,11,12,TRANSFER,570258.25,3\n"
    "8,bipartite,True,3,12,10,TRANSFER,12.00,3\n"
    "9,cycle,True,99,12,10,TRANSFER,12.00,3\n",  # line 4: no such transaction
}


def test_simulator_output_with_alerts(tmp_path: Path) -> None:
    result = import_amlsim(_folder(tmp_path, OUTPUT))
    assert result.shape == "output"
    acc = result.tables["accounts"].to_pydict()
    assert acc["opening_balance_fen"] == [50000, 60025, 70000]
    tr = result.tables["transfers"].to_pydict()
    assert tr["event_id"] == ["AMLT1", "AMLT4", "AMLT2", "AMLT3"]
    assert tr["amount_fen"] == [46505, 100, 57025825, 1200]
    truth = result.tables["truth"].to_pylist()
    got = [(t["entity_id"], t["role"], t["gang_id"], t["typology"]) for t in truth]
    assert got == [
        ("AML11", "mule", None, None),
        ("AML12", "mule", None, None),
        ("AMLT2", "laundering", "AMLG7", "fan_in"),  # flagged, and in a fan-in alert
        ("AMLT3", "laundering", "AMLG8", None),  # only alerted; bipartite is not ours
    ]
    rej = result.rejected.to_pylist()
    assert [(r["file"], r["line"], r["field"]) for r in rej] == [("alerts.csv", 4, "tx_id")]


def test_newer_output_names_and_dates(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {
        "accounts.csv": "acct_id,dsply_nm,type,prior_sar_count,initial_deposit\n"
                        "a,Account a,SAV,false,1.00\n"
                        "b,Account b,SAV,true,2.00\n",
        "transactions.csv": "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,"
                            "is_sar,alert_id\n"
                            "t1,a,b,TRANSFER,3.00,2017-01-03T00:00:00Z,true,5\n"
                            "t2,b,a,TRANSFER,4.00,2016-12-31T00:00:00Z,false,-1\n",
    })  # fmt: skip
    result = import_amlsim(folder)
    tr = result.tables["transfers"].to_pydict()
    assert tr["event_id"] == ["AMLTt1"]
    assert tr["ts"] == [AMLSIM_START_TS + 2 * DAY_MS + NOON]  # 3 January is step 2
    assert [(r["line"], r["reason"]) for r in result.rejected.to_pylist()] == [
        (3, "before the start (a negative step)")
    ]
    truth = result.tables["truth"].to_pydict()
    assert truth["entity_id"] == ["AMLb", "AMLTt1"]
    assert truth["gang_id"] == [None, "AMLG5"]


def test_unknown_shapes_are_refused_naming_file_and_column(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {
        "nodes.csv": "nodeid,isFraud,balance\n0,0,1\n",
        "transactions.csv": "sourceNodeId,targetNodeId,value,time\n",
    })  # fmt: skip
    with pytest.raises(InputError) as err:
        import_amlsim(folder)
    assert err.value.where.endswith("nodes.csv")
    assert "missing column 'init_balance'" in err.value.problem
    with pytest.raises(InputError, match=r"neither nodes\.csv"):
        import_amlsim(_folder(tmp_path / "x", {"edges.csv": "a,b\n"}))


def test_cli_writes_a_world_that_verifies_and_the_rejected_file(tmp_path: Path) -> None:
    files = dict(SAMPLE)
    files["transactions.csv"] += "0,1,-5,1\n"  # line 6
    folder = _folder(tmp_path, files)
    out = tmp_path / "world"
    result = runner.invoke(app, ["import", "amlsim", str(folder), "--out", str(out)])
    assert result.exit_code == 1, result.output  # written, but a row was rejected
    assert "rejected: 1 rows" in result.output
    assert verify_world(out).intact
    world = read_world(out)
    assert world.config is None
    assert world.source is not None and world.source["shape"] == "sample"
    assert world.tables["transfers"].num_rows == 4
    assert world.tables["people"].num_rows == 0
    rejected = pacsv.read_csv(out / "rejected.csv").to_pylist()
    assert [(r["line"], r["field"], r["reason"]) for r in rejected] == [
        (6, "value", "negative amount")
    ]
    refused = runner.invoke(
        app, ["import", "amlsim", str(tmp_path / "nowhere"), "--out", str(tmp_path / "w2")]
    )
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert "nowhere: no such folder" in said and "Traceback" not in said
