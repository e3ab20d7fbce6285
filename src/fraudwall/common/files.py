"""Files and folders fraudwall writes: checked before the work, and appearing all at once.

A command that writes a folder (a world, a replay, a snapshot) checks it first, with
`check_new_folder`, so that an impossible place is refused before minutes of work rather
than after, and then writes it with `replace_folder`: into a hidden folder beside the
target, moved into place only when complete. Interrupted at any point (Ctrl-C, a kill),
the target is the old folder or the new one, never a mix; the hidden leftovers of a
killed run are removed by the next run that writes beside them.

A single file (a model) is checked with `check_output_file` and written with
`write_file_atomically`; `sha256_of` gives the checksums the manifests record.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from fraudwall.errors import InputError

__all__ = [
    "check_new_folder",
    "check_output_file",
    "holds_manifest_of",
    "remove_stale",
    "replace_folder",
    "sha256_of",
    "write_file_atomically",
]

_PARTIAL = "partial"
_OLD = "old"
_RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths in one step
_AT_FDCWD = -100


def sha256_of(path: Path) -> str:
    """The file's sha256 (hex), read a megabyte at a time."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def holds_manifest_of(folder: Path, kind: str) -> bool:
    """Whether `folder` is empty or holds a manifest.json of this `kind` (one of ours that
    a new one may replace)."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    if not any(folder.iterdir()):
        return True
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("kind") == kind


def _nearest_existing(path: Path) -> Path:
    here = path
    while not (here.exists() or here.is_symlink()) and here != here.parent:
        here = here.parent
    return here


def check_new_folder(
    target: Path,
    *,
    force: bool,
    may_replace: Callable[[Path], bool] | None = None,
    what: str = "the new folder",
    option: str = "",
) -> Path:
    """Refuse, before any work, a folder that could not be written or would be lost.

    Refused: a file in the folder's place or in one of its parents, a place that cannot be
    written, and a folder that already holds something, unless `force` (and then only if
    `may_replace(target)` says that what it holds may go; `what` names what is written,
    e.g. "an engine snapshot"). Messages name the `option` that gave the folder, if any.
    """
    target = Path(target)

    def where(path: Path) -> str:
        return f"{option}: {path}" if option else str(path)

    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise InputError(where(target), "is a file, not a folder", hint="choose a folder")
        if any(target.iterdir()):
            if not force:
                raise InputError(
                    where(target),
                    "already holds files",
                    hint="--force replaces the whole folder, with everything in it",
                )
            if may_replace is not None and not may_replace(target):
                raise InputError(
                    where(target),
                    f"holds files that fraudwall did not write there ({what} would replace "
                    "them), so they are left alone",
                    hint="choose another folder, or empty this one yourself",
                )
    _check_writable(target, option)
    return target


def _check_writable(target: Path, option: str = "") -> None:
    """Make (then remove) a folder where `target` will go, in the nearest folder above it
    that exists (the run makes the rest): nothing is left behind if the run never starts."""
    where = _nearest_existing(target.parent)
    named = f"{option}: {where}" if option else str(where)
    if not where.is_dir():
        raise InputError(named, f"is a file, so {target} cannot be made inside it")
    try:
        Path(tempfile.mkdtemp(prefix=".fraudwall-probe-", dir=where)).rmdir()
    except OSError as exc:
        raise InputError(
            named, f"cannot be written ({exc.strerror or exc})", hint="choose another place"
        ) from None


def check_output_file(
    path: Path, ours: Callable[[Path], bool], what: str, option: str = ""
) -> Path:
    """Before the work: `path` can be written as a file; an existing file there is replaced
    only if `ours` says it is one of ours (`what`, e.g. "a fraudwall model file").
    Messages name the `option` that gave the path, if any."""
    path = Path(path)
    where = f"{option}: {path}" if option else str(path)
    if path.is_dir():
        raise InputError(
            where, "is a folder", hint=f"name the file to write, e.g. {path / 'model.json'}"
        )
    if path.exists() and not ours(path):
        raise InputError(
            where, f"exists and is not {what}, so it is left alone", hint="choose another path"
        )
    _check_writable(path, option)
    return path


def write_file_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole: a temporary file in the same folder, renamed over it."""
    path = Path(path)
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


def _leftover_prefix(target: Path, kind: str) -> str:
    return f".{target.name}.{kind}-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(target: Path) -> list[Path]:
    """Remove the hidden folders that a killed run left beside `target`. Those of a run
    that is still going (its process id is alive) are left alone."""
    target = Path(target)
    removed: list[Path] = []
    parent = target.parent
    if not parent.is_dir():
        return removed
    prefixes = (_leftover_prefix(target, _PARTIAL), _leftover_prefix(target, _OLD))
    for entry in parent.iterdir():
        prefix = next((p for p in prefixes if entry.name.startswith(p)), None)
        if prefix is None:
            continue
        pid_text = entry.name[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2); False where the
    system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]  # fmt: skip
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_in(staging: Path, target: Path) -> Path | None:
    """Put the complete `staging` folder at `target`; returns where the old one went."""
    if not (target.exists() or target.is_symlink()):
        staging.rename(target)
        return None
    if _exchange(staging, target):
        return staging  # the old folder now sits where the new one was written
    # Two renames: Ctrl-C is held back between them, so only a kill can land in the gap.
    aside = Path(tempfile.mkdtemp(prefix=_leftover_prefix(target, _OLD) + f"{os.getpid()}-",
                                  dir=target.parent))  # fmt: skip
    blocked = {signal.SIGINT, signal.SIGTERM}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        target.replace(aside)
        try:
            staging.rename(target)
        except OSError:
            aside.replace(target)
            raise
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    return aside


@contextlib.contextmanager
def replace_folder(
    target: Path,
    *,
    force: bool,
    may_replace: Callable[[Path], bool] | None = None,
    what: str = "the new folder",
) -> Iterator[Path]:
    """Yield a hidden folder beside `target` to write into; when the block ends normally,
    it becomes `target` in one step (the old folder, with everything in it, is deleted).
    When the block fails or is interrupted, `target` is untouched."""
    check_new_folder(target, force=force, may_replace=may_replace, what=what)
    target = Path(target).resolve()  # beside the real folder, even through a link or `.`
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    prefix = _leftover_prefix(target, _PARTIAL) + f"{os.getpid()}-"
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        yield staging
        old = _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
