"""Mule detection on public data of another shape: IBM AMLSim sample "20K_fanin200".

Data: `../shared/data/amlsim` (found in a `shared/data/amlsim` folder beside the
repository or above it, or at `FRAUDWALL_AMLSIM_DIR`): 20,000 accounts, 118,250 transfers
over 200 steps, 954 accounts flagged `isFraud` (200 fan-in patterns). It is imported with
`fraudwall.intel.importers.import_amlsim` (the same as `fraudwall import amlsim`); the
import's time is measured. Skipped, with a message, when the data is absent.

Labels: an account is positive when it is a mule in the world's truth (AMLSim's isFraud).
Figures: precision, recall, F1 at the model's own threshold (chosen on held-out data of
its training set, never on the test accounts) and AUPRC.

- protocol (a), *trained on fraudwall's simulator, applied to AMLSim as it is*:
  `fraudwall.intel.mules.train` on a simulated world (SIM_PEOPLE people, SIM_DAYS days,
  seed SIM_SEED), then `evaluate` on every AMLSim account; nothing of AMLSim is seen
  in training, not even its threshold.
- protocol (b), *trained and tested on AMLSim*: a seeded, stratified 70/30 split of the
  AMLSim accounts (seed SPLIT_SEED, `holdout_split`); `EntityModel.fit` on
  `mules.account_features` of the 70% (which holds out a quarter of them for its
  threshold), evaluated on the 30%. Features are computed over the whole ledger (they
  use no labels); the test accounts' labels are never used in training.
- the peer, for reference: a LightGBM on simple degree features (in/out degree, in/out
  amount sums) on the same split, fitted and thresholded the same way (`EntityModel`),
  in the same run; the ratio is fraudwall's F1 (and AUPRC) over the peer's.

`fraudwall.intel.mules` is another part of issue 13: when it is not importable the two
protocols are recorded as skipped and the peer still runs.

`python -m bench amlsim` (or `python -m bench.amlsim`) records the figures in
bench/results.json.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.intel.entitymodel import EntityModel, holdout_split
from fraudwall.intel.importers import import_amlsim
from fraudwall.model import BY_TABLE, Role, empty_table
from fraudwall.sim import WORLD_TABLES, SimConfig, World, simulate, write_world

DATA_SET = 'IBM AMLSim sample "20K_fanin200" (nodes.csv, transactions.csv)'
SPLIT = "seeded stratified 70/30 split of the AMLSim accounts (train 70%, test 30%)"
TEST_SHARE = 0.3
SPLIT_SEED = 13
MODEL_SEED = 0
SIM_PEOPLE = int(os.environ.get("FRAUDWALL_BENCH_PEOPLE", 20_000))
SIM_DAYS = int(os.environ.get("FRAUDWALL_BENCH_DAYS", 30))
SIM_SEED = 101  # a seed no other part of fraudwall trains on
DEGREE_FEATURES = ("in_degree", "out_degree", "in_amount_fen", "out_amount_fen")


def data_dir() -> Path | None:
    """`FRAUDWALL_AMLSIM_DIR`, else the first `shared/data/amlsim` beside the repository or
    above it (`../shared/data/amlsim` from a checkout), else None."""
    given = os.environ.get("FRAUDWALL_AMLSIM_DIR")
    if given:
        return Path(given) if Path(given).is_dir() else None
    repo = Path(__file__).resolve().parent.parent
    for parent in repo.parents:
        candidate = parent / "shared" / "data" / "amlsim"
        if candidate.is_dir():
            return candidate
    return None


def degree_features(tables: Mapping[str, pa.Table]) -> pa.Table:
    """The peer's features: per account, transfers in and out and their sums in fen (zero
    for an account without any), by Arrow group-bys."""
    accounts = tables["accounts"].select(["account_id"])
    transfers = tables["transfers"]
    out = _per_account(transfers, "from_account", "out")
    into = _per_account(transfers, "to_account", "in")
    table = accounts.join(into, "account_id", join_type="left outer").join(
        out, "account_id", join_type="left outer"
    )
    table = _in_order(table, accounts["account_id"])
    columns = {"account_id": table["account_id"]}
    for name in DEGREE_FEATURES:
        columns[name] = pc.fill_null(table[name], 0).cast(pa.float64())
    return pa.table(columns)


def _per_account(transfers: pa.Table, key: str, side: str) -> pa.Table:
    sums = transfers.group_by(key).aggregate([("amount_fen", "count"), ("amount_fen", "sum")])
    names = {key: "account_id", "amount_fen_count": f"{side}_degree",
             "amount_fen_sum": f"{side}_amount_fen"}  # fmt: skip
    return sums.rename_columns([names[n] for n in sums.column_names])


def _in_order(table: pa.Table, ids: pa.ChunkedArray) -> pa.Table:
    """`table` (keyed by account_id) in the order of `ids`, a row of nulls for a missing id."""
    where = pc.index_in(ids, value_set=table["account_id"].combine_chunks())
    missing = int(pc.sum(pc.is_null(where)).as_py() or 0)
    if missing:
        blank = pa.table({f.name: pa.nulls(1, f.type) for f in table.schema}, schema=table.schema)
        table = pa.concat_tables([table, blank])
        where = pc.fill_null(where, table.num_rows - 1)
    out = table.take(where)
    return out.set_column(out.schema.get_field_index("account_id"), "account_id", ids)


def mule_truth(tables: Mapping[str, pa.Table], account_ids: pa.ChunkedArray) -> np.ndarray:
    """AMLSim's labels as the importer wrote them: mules in the truth table."""
    truth = tables["truth"]
    mules = truth.filter(
        pc.and_(pc.equal(truth["entity_kind"], "account"), pc.equal(truth["role"], Role.MULE))
    )["entity_id"]
    return np.asarray(pc.is_in(account_ids, value_set=mules.combine_chunks()), dtype=bool)


_FIGURES = ("precision", "recall", "f1", "auprc", "threshold", "positives", "flagged", "entities")


def _metrics(figures: Mapping[str, Any]) -> dict[str, Any]:
    return {k: figures[k] for k in _FIGURES if k in figures}


def _ratio(ours: float, peer: float) -> float | None:
    return round(ours / peer, 3) if peer else None


def run() -> dict[str, Any]:
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    folder = data_dir()
    if folder is None:
        message = "skipped: ../shared/data/amlsim is absent (or set FRAUDWALL_AMLSIM_DIR)"
        print(message, file=sys.stderr)
        return {"skipped": message, "data_set": DATA_SET}

    t0 = time.perf_counter()
    imported = import_amlsim(folder)
    import_s = time.perf_counter() - t0
    tables = {n: imported.tables.get(n, empty_table(BY_TABLE[n])) for n in WORLD_TABLES}
    with tempfile.TemporaryDirectory() as tmp:
        t1 = time.perf_counter()
        write_world(World(None, tables, source=imported.source), Path(tmp) / "world")
        write_s = time.perf_counter() - t1
    account_ids = tables["accounts"]["account_id"]
    labels = mule_truth(tables, account_ids)
    test = holdout_split(labels, TEST_SHARE, SPLIT_SEED)
    train_rows, test_rows = pa.array(np.flatnonzero(~test)), pa.array(np.flatnonzero(test))

    result: dict[str, Any] = {
        "data_set": DATA_SET,
        "data_dir": str(folder),
        "accounts": len(labels),
        "mules": int(labels.sum()),
        "transfers": tables["transfers"].num_rows,
        "rejected_rows": imported.rejected.num_rows,
        "import_s": round(import_s, 3),
        "import_and_write_world_s": round(import_s + write_s, 3),
        "split": SPLIT,
        "split_seed": SPLIT_SEED,
        "model_seed": MODEL_SEED,
        "test_accounts": int(test.sum()),
        "test_mules": int(labels[test].sum()),
        "threshold_rule": "best F1 on the held-out quarter of the training set, in the middle "
        "of its margin (EntityModel)",
    }

    t2 = time.perf_counter()
    degrees = degree_features(tables)
    peer = EntityModel.fit(
        "account", "account_id", degrees.take(train_rows), labels[~test],
        features=DEGREE_FEATURES, seed=MODEL_SEED, source=f"{DATA_SET}, train split",
    )  # fmt: skip
    peer_fig = _metrics(peer.evaluate(degrees.take(test_rows), labels[test]))
    result["peer_degree_lightgbm"] = {
        "features": list(DEGREE_FEATURES),
        "protocol": "b (same split)",
        **peer_fig,
        "seconds": round(time.perf_counter() - t2, 2),
    }

    try:
        mules = importlib.import_module("fraudwall.intel.mules")
    except ImportError as exc:
        reason = f"skipped: fraudwall.intel.mules is not available ({exc})"
        print(reason, file=sys.stderr)
        result["a_trained_on_simulator"] = {"skipped": reason}
        result["b_trained_on_amlsim_split"] = {"skipped": reason}
        return result

    # (b) trained and tested on AMLSim, the same split as the peer
    t3 = time.perf_counter()
    features = _in_order(mules.account_features(tables), account_ids)
    model_b = EntityModel.fit(
        "account", "account_id", features.take(train_rows), labels[~test],
        seed=MODEL_SEED, source=f"{DATA_SET}, train split",
    )  # fmt: skip
    fig_b = _metrics(model_b.evaluate(features.take(test_rows), labels[test]))
    result["b_trained_on_amlsim_split"] = {
        "features": len(model_b.features),
        **fig_b,
        "seconds": round(time.perf_counter() - t3, 2),
        "f1_ratio_to_peer": _ratio(fig_b["f1"], peer_fig["f1"]),
        "auprc_ratio_to_peer": _ratio(fig_b["auprc"], peer_fig["auprc"]),
    }

    # (a) trained on a simulated world, applied to all of AMLSim as it is
    t4 = time.perf_counter()
    config = SimConfig(people=SIM_PEOPLE, days=SIM_DAYS, seed=SIM_SEED)
    world = simulate(config)
    sim_s = time.perf_counter() - t4
    model_a = mules.train(world.tables, seed=MODEL_SEED)
    train_s = time.perf_counter() - t4 - sim_s
    sim_labels = mules.mule_labels(world.tables, world.tables["accounts"]["account_id"])
    fig_a = _metrics(model_a.evaluate(features, labels))
    test_a = _metrics(model_a.evaluate(features.take(test_rows), labels[test]))
    result["a_trained_on_simulator"] = {
        "simulated_world": {"people": SIM_PEOPLE, "days": SIM_DAYS, "seed": SIM_SEED,
                            "accounts": world.tables["accounts"].num_rows,
                            "mules": int(np.asarray(sim_labels).sum())},
        "evaluated_on": "every AMLSim account",
        **fig_a,
        "on_the_test_30pct": {k: test_a[k] for k in ("precision", "recall", "f1", "auprc")},
        "f1_ratio_to_peer_on_test_30pct": _ratio(test_a["f1"], peer_fig["f1"]),
        "simulate_s": round(sim_s, 2),
        "train_s": round(train_s, 2),
    }  # fmt: skip
    return result


if __name__ == "__main__":
    from bench.__main__ import main

    sys.exit(main(["amlsim"]))
