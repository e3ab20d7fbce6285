"""A world on disk: one Parquet file per table and manifest.json, which knows them all.

The manifest records every table's rows, size and SHA-256 and the world's id (a digest
of those checksums). `write_world` writes the whole folder beside its place and moves it
in only when complete, so a world is never half old and half new. `read_world` checks,
every time and quickly, that each table is the one the manifest names (present, of the
recorded size and row count, with the table's columns) and refuses a mixed, partial or
damaged world, naming the table; `verify_world` also compares every checksum.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from fraudwall.common import check_new_folder, replace_folder, sha256_of
from fraudwall.errors import InputError
from fraudwall.model import BY_TABLE, SCHEMA_VERSION, arrow_schema
from fraudwall.sim.config import SimConfig
from fraudwall.sim.world import WORLD_TABLES, World

__all__ = [
    "MANIFEST_FILE",
    "TableVerdict",
    "WorldVerdict",
    "check_world_folder",
    "is_world_folder",
    "read_world",
    "verify_world",
    "world_id_of",
    "write_world",
]

MANIFEST_FILE = "manifest.json"
_REMAKE = "simulate the world again; --force replaces it"
_VERIFY = "`fraudwall verify WORLD` checks every table; simulate the world again to repair it"


class TableEntry(msgspec.Struct, frozen=True):
    """What the manifest records of one table."""

    rows: int
    bytes: int
    sha256: str


class Manifest(msgspec.Struct, frozen=True):
    """The parts of manifest.json a reader relies on (it holds more, for people)."""

    schema_version: str
    config: SimConfig | None  # None for a world imported from public data
    tables: dict[str, TableEntry]
    world_id: str
    source: dict[str, Any] | None = None  # where an imported world came from


@dataclass(frozen=True)
class TableVerdict:
    """One table of a verified world: `problem` is None when it is the one recorded."""

    name: str
    problem: str | None


@dataclass(frozen=True)
class WorldVerdict:
    """What `verify_world` found, table by table."""

    path: Path
    world_id: str
    tables: tuple[TableVerdict, ...]

    @property
    def intact(self) -> bool:
        return all(t.problem is None for t in self.tables)


def world_id_of(files: dict[str, dict[str, Any]] | dict[str, TableEntry]) -> str:
    """A world's id: a digest of its tables' checksums, so the same world has the same id."""
    digest = hashlib.sha256()
    for name in sorted(files):
        entry = files[name]
        sha = entry.sha256 if isinstance(entry, TableEntry) else entry["sha256"]
        digest.update(f"{name}={sha};".encode())
    return digest.hexdigest()[:16]


def is_world_folder(path: Path) -> bool:
    """Whether `path` holds a world (a manifest.json) that `--force` may replace."""
    return (Path(path) / MANIFEST_FILE).is_file()


def check_world_folder(path: Path, *, force: bool, option: str = "") -> Path:
    """Refuse, before simulating, a place a world could not be written to (see
    `common.files.check_new_folder`); with `force`, only a world is replaced."""
    return check_new_folder(
        path, force=force, may_replace=is_world_folder, what="a world", option=option
    )


def write_world(world: World, out_dir: Path, *, force: bool = False) -> Path:
    """Write one Parquet file per table and manifest.json (every table's rows, size and
    checksum, and the world's id). Same world, same bytes.

    The folder appears complete or not at all. A folder already holding something is
    refused unless `force`; then the whole old world goes, with the stores derived from
    it (its case store, replays, snapshots), which belong to the old world only.
    """
    out_dir = Path(out_dir)
    with replace_folder(
        out_dir, force=force, may_replace=is_world_folder, what="a world"
    ) as staging:
        files: dict[str, dict[str, Any]] = {}
        for name in WORLD_TABLES:
            file = staging / f"{name}.parquet"
            pq.write_table(world.tables[name], file, compression="zstd", write_page_checksum=True)
            files[name] = {
                "rows": world.tables[name].num_rows,
                "bytes": file.stat().st_size,
                "sha256": sha256_of(file),
            }
        world_id = world_id_of(files)
        manifest = {**world.manifest(), "tables": files, "world_id": world_id}
        (staging / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
    world.world_id = world_id
    return out_dir


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def read_manifest(path: Path) -> Manifest:
    """A world's manifest, refused with a message when it is missing, unreadable, of
    another schema version, from a fraudwall that recorded no checksums, or inconsistent."""
    path = Path(path)
    if not path.is_dir():
        problem = "is not a folder" if path.exists() else "no such folder"
        raise InputError(str(path), problem, hint="give a world folder written by simulate")
    file = path / MANIFEST_FILE
    if not file.is_file():
        raise InputError(
            str(path), f"no {MANIFEST_FILE}: not a world written by fraudwall simulate"
        )
    try:
        raw = json.loads(file.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(file), f"not valid JSON ({exc})", hint=_REMAKE) from None
    if not isinstance(raw, dict):
        raise InputError(str(file), "is not a JSON object", hint=_REMAKE)
    if raw.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            str(file),
            f"schema_version {raw.get('schema_version')!r}, this fraudwall reads "
            f"{SCHEMA_VERSION!r}",
            hint=_REMAKE,
        )
    if "tables" not in raw:
        raise InputError(
            str(file),
            "written by an older fraudwall that recorded no table checksums, so a mixed or "
            "partial world cannot be told from a whole one",
            hint=_REMAKE,
        )
    try:
        manifest = msgspec.convert(raw, Manifest)
    except msgspec.ValidationError as exc:
        raise InputError(str(file), str(exc), hint=_REMAKE) from None
    missing = [name for name in WORLD_TABLES if name not in manifest.tables]
    if missing:
        raise InputError(str(file), f"records no table {', '.join(missing)}", hint=_REMAKE)
    if manifest.world_id != world_id_of(manifest.tables):
        raise InputError(
            str(file),
            f"world_id {manifest.world_id} does not match the table checksums it records "
            "(the manifest was edited or comes from another world)",
            hint=_REMAKE,
        )
    return manifest


def _table_problem(file: Path, name: str, entry: TableEntry) -> str | None:
    """Why `file` is not the table the manifest records, by its size, row count and
    columns (no data is read); None when it looks like it is."""
    if not file.is_file():
        return "is missing"
    size = file.stat().st_size
    if size != entry.bytes:
        return (
            f"is {size:,} bytes, the manifest says {entry.bytes:,} "
            "(a damaged file, or a table of another world)"
        )
    try:
        meta = pq.ParquetFile(file)
        rows, schema = meta.metadata.num_rows, meta.schema_arrow
    except (pa.ArrowException, OSError) as exc:
        return f"is not a readable Parquet file ({_first_line(exc)})"
    if rows != entry.rows:
        return f"holds {rows:,} rows, the manifest says {entry.rows:,} (a table of another world)"
    if not schema.equals(arrow_schema(BY_TABLE[name])):
        return f"does not have the columns of the {name} table"
    return None


def _read_table(file: Path, name: str) -> pa.Table:
    try:
        # each page's CRC is checked as it is read: a damaged byte is refused, never read
        return pq.read_table(
            file, schema=arrow_schema(BY_TABLE[name]), page_checksum_verification=True
        )
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            str(file), f"table {name} is damaged ({_first_line(exc)})", hint=_VERIFY
        ) from None


def read_world(path: Path, tables: Collection[str] | None = None) -> World:
    """Read a world written by `write_world`, refusing one whose tables are not the ones
    its manifest records (checked by size, row count and columns; `verify_world` reads
    every byte). Every table is checked; only those named in `tables` (default: all) are
    read, so a command that needs the entities, or only the world's id, reads no more."""
    path = Path(path)
    manifest = read_manifest(path)
    wanted = WORLD_TABLES if tables is None else tuple(tables)
    unknown = sorted(set(wanted) - set(WORLD_TABLES))
    if unknown:
        raise ValueError(f"tables: no table {unknown[0]!r} in a world")
    read = {}
    for name in WORLD_TABLES:
        file = path / f"{name}.parquet"
        problem = _table_problem(file, name, manifest.tables[name])
        if problem is not None:
            raise InputError(str(file), f"table {name} {problem}", hint=_VERIFY)
        if name in wanted:
            read[name] = _read_table(file, name)
    return World(manifest.config, read, manifest.world_id, manifest.source)


def verify_world(path: Path) -> WorldVerdict:
    """Check every table of a world against its manifest, checksums included.

    A manifest that cannot be read is refused (InputError); each table's problem, if any,
    is in the verdict.
    """
    path = Path(path)
    manifest = read_manifest(path)
    verdicts = []
    for name in WORLD_TABLES:
        file = path / f"{name}.parquet"
        entry = manifest.tables[name]
        problem = _table_problem(file, name, entry)
        if problem is None and sha256_of(file) != entry.sha256:
            problem = "has other content than was written (its SHA-256 differs from the manifest's)"
        verdicts.append(TableVerdict(name, problem))
    return WorldVerdict(path, manifest.world_id, tuple(verdicts))
