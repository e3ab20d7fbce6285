"""The service's SQLite database: the write-ahead log is copied back by the service's own
checkpoint thread, so that the database file alone holds everything once it stops."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from fraudwall.platform.db import PlatformDB


def _write_rows(db: PlatformDB, n: int) -> None:
    with db.writing() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)")
        conn.exec_driver_sql("INSERT INTO t (v) VALUES (?)", [(f"row {i}" * 20,) for i in range(n)])


def test_commits_leave_the_log_to_the_checkpoint_thread(tmp_path: Path) -> None:
    db = PlatformDB(f"sqlite:///{tmp_path / 'fw.sqlite'}", serving=True)
    try:
        with db.reading() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        db.close()


def test_the_database_file_alone_holds_everything_after_close(tmp_path: Path) -> None:
    path = tmp_path / "fw.sqlite"
    db = PlatformDB(f"sqlite:///{path}", serving=True)
    _write_rows(db, 5_000)  # thousands of pages: more than one automatic checkpoint's worth
    db.close()
    alone = tmp_path / "copy" / "fw.sqlite"  # the file without its -wal, as a backup copies it
    alone.parent.mkdir()
    shutil.copy(path, alone)
    with sqlite3.connect(alone) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (5_000,)


def test_a_command_line_store_keeps_sqlites_own_checkpoints(tmp_path: Path) -> None:
    db = PlatformDB(f"sqlite:///{tmp_path / 'fw.sqlite'}")
    try:
        with db.reading() as conn:
            assert conn.execute(sa.text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    finally:
        db.close()
