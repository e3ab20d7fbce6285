"""A world knows itself: written whole or not at all, refused when mixed, partial or damaged.

Issue 11, findings 1 and 2: `simulate` over an earlier world kept its funds.sqlite, and
Ctrl-C while writing left tables of two seeds under one manifest; both gave wrong answers
with exit code 0. Also here: the size limits of `simulate` (`--seed -1`, `--people
1000000000`, an `--out` that cannot be written) refused before the work starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.common import check_new_folder, remove_stale
from fraudwall.demo import WorldStage, run_demo
from fraudwall.errors import InputError, RunError
from fraudwall.sim import (
    WORLD_TABLES,
    SimConfig,
    read_world,
    simulate,
    verify_world,
    write_world,
)
from fraudwall.sim.memory import available_memory_bytes, check_memory, estimate_peak_bytes

runner = CliRunner()
OLD_SEED, NEW_SEED = 1, 2


def tiny(seed: int) -> list[str]:
    return ["--people", "300", "--days", "3", "--seed", str(seed)]


def _config(seed: int) -> SimConfig:
    return SimConfig(people=300, days=3, seed=seed)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Two tiny worlds of different seeds, written once; tests copy before they change one."""
    root = tmp_path_factory.mktemp("worlds")
    return {seed: write_world(simulate(_config(seed)), root / f"seed{seed}")
            for seed in (OLD_SEED, NEW_SEED)}  # fmt: skip


def _copy(world: Path, to: Path) -> Path:
    return Path(shutil.copytree(world, to))


def _contents(folder: Path) -> dict[str, str]:
    """Every file in a folder (hidden ones too) by name, with its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _world_id(folder: Path) -> str:
    return str(json.loads((folder / "manifest.json").read_text())["world_id"])


# --- finding 1: a world written over another replaces everything ------------------------
def test_simulate_over_a_world_is_refused_without_force_and_replaces_it_whole_with_force(
    worlds: dict[int, Path], tmp_path: Path
) -> None:
    out = _copy(worlds[OLD_SEED], tmp_path / "w")
    (out / "funds.sqlite").write_bytes(b"the old world's cases")
    (out / "replay").mkdir()
    (out / "replay" / "metrics.json").write_text("{}")
    before = _contents(out)

    refused = runner.invoke(app, ["simulate", *tiny(NEW_SEED), "--out", str(out)])
    assert refused.exit_code == 2
    assert str(out) in refused.output and "--force" in refused.output
    assert _contents(out) == before

    done = runner.invoke(app, ["simulate", *tiny(NEW_SEED), "--out", str(out), "--force"])
    assert done.exit_code == 0, done.output
    assert not (out / "funds.sqlite").exists() and not (out / "replay").exists()
    assert _contents(out) == _contents(worlds[NEW_SEED])
    assert read_world(out).world_id == _world_id(worlds[NEW_SEED]) != _world_id(worlds[OLD_SEED])
    assert [p.name for p in tmp_path.iterdir()] == ["w"]  # nothing left beside it


def test_write_world_refuses_a_folder_with_anything_in_it_and_force_spares_a_non_world(
    tmp_path: Path,
) -> None:
    world = simulate(_config(OLD_SEED))
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="--force"):
        write_world(world, mine)
    with pytest.raises(InputError, match="did not write"):
        write_world(world, mine, force=True)
    assert (mine / "thesis.tex").read_text() == "years of work"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert read_world(write_world(world, empty)).world_id == world.world_id


def test_the_demo_owns_its_folder_and_can_run_again_on_it(tmp_path: Path) -> None:
    config = SimConfig(people=300, days=3, seed=OLD_SEED)
    quiet = Console(file=open(os.devnull, "w"))  # noqa: SIM115 (closed with the test)
    first = run_demo(config, tmp_path, stages=[WorldStage(cjk_labels=False)], console=quiet)
    (tmp_path / "world" / "funds.sqlite").write_bytes(b"left by the first run")
    again = run_demo(config, tmp_path, stages=[WorldStage(cjk_labels=False)], console=quiet)
    quiet.file.close()
    assert again == first
    assert not (tmp_path / "world" / "funds.sqlite").exists()
    assert read_world(tmp_path / "world").world_id is not None


# --- finding 2: a mixed, partial or damaged world is refused, naming the table -----------
def test_a_table_from_another_world_is_refused_naming_the_table(
    worlds: dict[int, Path], tmp_path: Path
) -> None:
    mixed = _copy(worlds[OLD_SEED], tmp_path / "w")
    shutil.copy(worlds[NEW_SEED] / "transfers.parquet", mixed / "transfers.parquet")
    with pytest.raises(InputError, match=r"transfers\.parquet: table transfers .*manifest"):
        read_world(mixed)
    result = runner.invoke(app, ["replay", str(mixed), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "transfers" in result.output
    assert not (tmp_path / "r").exists()


def test_a_missing_truncated_or_foreign_manifest_table_is_refused(
    worlds: dict[int, Path], tmp_path: Path
) -> None:
    missing = _copy(worlds[OLD_SEED], tmp_path / "missing")
    (missing / "calls.parquet").unlink()
    with pytest.raises(InputError, match=r"table calls is missing"):
        read_world(missing)

    cut = _copy(worlds[OLD_SEED], tmp_path / "cut")
    data = (cut / "sms.parquet").read_bytes()
    (cut / "sms.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"sms\.parquet: table sms is [\d,]+ bytes"):
        read_world(cut)

    foreign = _copy(worlds[OLD_SEED], tmp_path / "foreign")
    shutil.copy(worlds[NEW_SEED] / "manifest.json", foreign / "manifest.json")
    with pytest.raises(InputError, match=r"table \w+ "):
        read_world(foreign)


def test_a_manifest_that_does_not_add_up_or_predates_checksums_is_refused(
    worlds: dict[int, Path], tmp_path: Path
) -> None:
    world = _copy(worlds[OLD_SEED], tmp_path / "w")
    manifest = json.loads((world / "manifest.json").read_text())
    manifest["tables"]["people"]["sha256"] = "0" * 64
    (world / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=r"world_id .* does not match"):
        read_world(world)
    del manifest["tables"]
    (world / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=r"older fraudwall.*simulate the world again"):
        read_world(world)
    (world / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_world(world)


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_damaged_parquet_file_is_an_input_error_naming_the_file(
    worlds: dict[int, Path], tmp_path: Path
) -> None:
    world = _copy(worlds[OLD_SEED], tmp_path / "w")
    data = (world / "calls.parquet").read_bytes()
    _flip(world / "calls.parquet", data.index(b"\x28\xb5\x2f\xfd"))  # a ZSTD frame's magic
    with pytest.raises(InputError, match=r"calls\.parquet: table calls is damaged"):
        read_world(world)
    result = runner.invoke(app, ["replay", str(world), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "calls.parquet" in result.output and "Traceback" not in result.output


def test_a_flipped_byte_is_refused_when_read_and_named_by_verify(
    worlds: dict[int, Path], tmp_path: Path
) -> None:
    """Pages carry CRCs, so a damaged byte is never read as other data; `verify` also
    compares every file's SHA-256 (catching damage outside the pages too)."""
    original = worlds[OLD_SEED] / "transfers.parquet"
    whole = read_world(worlds[OLD_SEED]).tables["transfers"]
    size = original.stat().st_size
    refused = 0
    for at in range(size // 3, size // 3 + 40):
        world = _copy(worlds[OLD_SEED], tmp_path / f"w{at}")
        _flip(world / "transfers.parquet", at)
        try:
            changed = read_world(world)
        except InputError as exc:
            assert "transfers.parquet" in str(exc)  # it says which file
            refused += 1
        else:
            assert changed.tables["transfers"].equals(whole)  # never other data
        verdict = verify_world(world)
        problems = {t.name: t.problem for t in verdict.tables if t.problem is not None}
        assert list(problems) == ["transfers"] and "SHA-256" in str(problems["transfers"])
    assert refused > 0
    result = runner.invoke(app, ["verify", str(world)])
    assert result.exit_code == 2
    assert "transfers" in result.output and "SHA-256" in result.output

    intact = runner.invoke(app, ["verify", str(worlds[OLD_SEED])])
    assert intact.exit_code == 0, intact.output
    assert intact.output.count("OK") == len(WORLD_TABLES)
    assert _world_id(worlds[OLD_SEED]) in intact.output


# --- finding 2: interrupted at any point, the folder is the old world or the new one ----
def _staging(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(".w.partial-")]


def _when_staging_appears(parent: Path) -> bool:
    return bool(_staging(parent))


def _when_a_table_is_written(parent: Path) -> bool:
    return any(any(p.glob("*.parquet")) for p in _staging(parent))


def _when_the_manifest_is_written(parent: Path) -> bool:
    return any((p / "manifest.json").exists() for p in _staging(parent))


@pytest.mark.parametrize(
    ("sig", "when"),
    [
        (signal.SIGINT, _when_staging_appears),
        (signal.SIGKILL, _when_staging_appears),
        (signal.SIGKILL, _when_a_table_is_written),
        (signal.SIGINT, _when_the_manifest_is_written),
    ],
)
def test_an_interrupted_simulate_leaves_the_old_world_or_the_new_one(
    worlds: dict[int, Path],
    tmp_path: Path,
    sig: signal.Signals,
    when: Callable[[Path], bool],
) -> None:
    out = _copy(worlds[OLD_SEED], tmp_path / "w")
    (out / "funds.sqlite").write_bytes(b"the old world's cases")
    old, new = _contents(out), _contents(worlds[NEW_SEED])
    args = [sys.executable, "-m", "fraudwall.cli.main", "simulate", *tiny(NEW_SEED),
            "--out", str(out), "--force"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while proc.poll() is None and not when(tmp_path):
        time.sleep(0.0005)
    proc.send_signal(sig)
    _, err = proc.communicate()
    assert b"Traceback" not in err

    after = _contents(out)
    assert after in (old, new), "a mix of two worlds"
    assert read_world(out).world_id in (_world_id(worlds[OLD_SEED]), _world_id(worlds[NEW_SEED]))

    again = runner.invoke(app, ["simulate", *tiny(NEW_SEED), "--out", str(out), "--force"])
    assert again.exit_code == 0, again.output
    assert _contents(out) == new
    assert read_world(out).world_id == _world_id(worlds[NEW_SEED])
    assert [p.name for p in tmp_path.iterdir()] == ["w"], "a killed run's leftovers remain"


def test_leftovers_of_a_live_run_are_left_alone(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = tmp_path / f".w.partial-{dead.stdout.strip()}-abc"
    live = tmp_path / f".w.partial-{os.getpid()}-abc"
    stale.mkdir()
    live.mkdir()
    assert remove_stale(tmp_path / "w") == [stale]
    assert live.is_dir() and not stale.exists()


# --- simulate's limits, checked before the work ------------------------------------------
@pytest.mark.parametrize(
    ("args", "option", "problem"),
    [
        (["--seed", "-1"], "--seed", "from 0 to"),
        (["--seed", str(2**63)], "--seed", "from 0 to"),
        (["--people", "1000000000"], "--people", "at most 50,000,000"),
        (["--days", "367"], "--days", "at most 366"),
    ],
)
def test_out_of_range_sizes_and_seeds_are_refused(
    args: list[str], option: str, problem: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["simulate", *args, "--out", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert option in result.output and problem in result.output
    assert not (tmp_path / "w").exists()


def test_a_world_that_will_not_fit_in_memory_is_refused_with_the_estimate(
    tmp_path: Path,
) -> None:
    args = ["simulate", "--people", "50000000", "--days", "366", "--out", str(tmp_path / "w")]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "GB of memory" in result.output and "--force" in result.output
    assert not (tmp_path / "w").exists()

    config = SimConfig(people=20_000, days=30)
    need = estimate_peak_bytes(config)
    assert check_memory(config, available=need) == need
    with pytest.raises(RunError, match=r"needs about [\d,.]+ MB of memory; 100 MB is available"):
        check_memory(config, available=100 << 20)
    assert estimate_peak_bytes(SimConfig(people=40_000, days=30)) > need


def test_available_memory_is_the_smaller_of_the_machine_and_the_container(
    tmp_path: Path,
) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 16000000 kB\nMemAvailable: 8000000 kB\n")
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    assert available_memory_bytes(meminfo, cgroup) == 8_000_000 * 1024
    (cgroup / "memory.max").write_text("2147483648\n")
    (cgroup / "memory.current").write_text("1073741824\n")
    assert available_memory_bytes(meminfo, cgroup) == 1 << 30
    (cgroup / "memory.max").write_text("max\n")
    assert available_memory_bytes(meminfo, cgroup) == 8_000_000 * 1024


def test_too_much_fraud_for_the_people_is_a_clear_error(tmp_path: Path) -> None:
    args = ["simulate", "--people", "300", "--days", "30", "--fraud-rate", "10000"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "--fraud-rate" in result.output and "300 people" in result.output
    assert not (tmp_path / "w").exists()


def _read_only_place(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked
    if not Path("/sys").is_dir():  # root may write anywhere but in a kernel file system
        pytest.skip("no read-only place for root on this system")
    return Path("/sys")


@pytest.mark.parametrize("place", ["a file", "inside a file", "read-only"])
def test_an_out_that_cannot_be_written_is_refused_before_the_work(
    place: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    afile = tmp_path / "a.parquet"
    afile.write_bytes(b"not a folder")
    out = {
        "a file": afile,
        "inside a file": afile / "world",
        "read-only": _read_only_place(tmp_path) / "fraudwall-world",
    }[place]
    simulated: list[SimConfig] = []
    monkeypatch.setattr("fraudwall.cli.main.simulate", lambda c, progress: simulated.append(c))
    result = runner.invoke(app, ["simulate", *tiny(OLD_SEED), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert not simulated, "the world was simulated before the folder was checked"
    assert afile.read_bytes() == b"not a folder"
    with pytest.raises(InputError):
        check_new_folder(out, force=True)
