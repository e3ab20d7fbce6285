"""Writing the engine's files so that a reader sees the old one or the new one, never half,
and checking where a command will write before it does the work.

- `write_file_atomically`: a model file is written to a temporary file beside it and
  renamed into place (a rename within a folder is atomic).
- `replace_folder`: a snapshot is written to a temporary folder and moved into place
  whole; an older one there is moved aside first and removed after.
- `check_output_file` / `check_output_folder`: a command's `--out` is checked before the
  run (a folder where a file is wanted, a file that is not ours, a place that cannot be
  written), so an hour of work is not lost to a bad path at the end.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from fraudwall.errors import InputError


def sha256_of(path: Path) -> str:
    """The file's sha256 (hex), read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_file_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole: a temporary file in the same folder, renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def temporary_folder_for(target: Path) -> Path:
    """An empty folder beside `target` (same file system: it can be renamed into place)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))


def replace_folder(complete: Path, target: Path) -> None:
    """Move the `complete` folder to `target`; a folder already there is moved aside, then
    removed, so `target` is always a whole folder (old or new) but for the instant between
    the two renames."""
    if not target.exists():
        os.replace(complete, target)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    aside.rmdir()
    os.replace(target, aside)
    try:
        os.replace(complete, target)
    except BaseException:
        os.replace(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def check_output_file(path: Path, option: str, ours: Callable[[Path], bool], what: str) -> None:
    """Before the work: `path` can be written as a file; an existing file there is replaced
    only if `ours` says it is one of ours (`what`, e.g. "a fraudwall model file")."""
    if path.is_dir():
        raise InputError(
            option, f"{path} is a folder; name the file to write (e.g. {path / 'model.json'})"
        )
    if path.exists() and not ours(path):
        raise InputError(
            option, f"{path} exists and is not {what}; it is left alone", hint="choose another path"
        )
    _check_writable(path.parent, option)


def check_output_folder(path: Path, option: str) -> None:
    """Before the work: `path` is (or can be made) a folder that can be written in."""
    if path.exists() and not path.is_dir():
        raise InputError(option, f"{path} is a file, not a folder", hint="choose another path")
    _check_writable(path, option)


def _check_writable(folder: Path, option: str) -> None:
    """Write (then remove) a file in the folder, or in the nearest folder above it that
    exists (the run will make the rest): nothing is left behind if the run never starts."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(option, f"cannot write in {folder}: {existing} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".fraudwall-probe-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(option, f"cannot write in {folder}: {exc.strerror or exc}") from exc
