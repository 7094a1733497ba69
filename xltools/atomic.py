"""The one way xltools writes a file: a crash, a full disk or an open copy in Excel never
leaves a broken one, and colleagues on a shared folder can open what was written.

The new content goes to a temporary file in the same folder, is flushed to disk, and moves
into place in one step; the previous version is kept as a backup when asked. Excel marks an
open workbook with an owner file ``~$name.xlsx`` beside it: then nothing is replaced.

Modes follow the user's umask as a plain ``open()`` would (0644 under umask 022), not the
0600 of a temporary file; a file that exists keeps its mode, and its group where the OS allows.
The temporary file is locked while written, so the next writer removes those a killed run left.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

from xltools.errors import UserError, from_os_error

TEMP_PREFIX = ".~tmp-"


class FileInUse(UserError):
    """The target is open in Excel (or locked by another program)."""

    def __init__(self, path: Path):
        super().__init__(f"{path} 正在 Excel 中打开，未覆盖（旧文件保持不变）。请关闭后重试。",
                         f"{path} is open in Excel and was not replaced (the old file is intact). Close it and retry.")
        self.path = path


def owner_file(path: Path) -> Path:
    """Excel's lock file for an open workbook: ~$ plus the name (long names lose 2 characters)."""
    return path.with_name("~$" + path.name)


def is_open_in_excel(path: Path) -> bool:
    candidates = [owner_file(path), path.with_name("~$" + path.name[2:])]
    return any(c.exists() for c in candidates)


def is_temporary(path: Path) -> bool:
    """One of our temporary files (not an input, not an output)."""
    return path.name.startswith(TEMP_PREFIX)


@contextlib.contextmanager
def atomic_path(target: str | Path, keep: int = 0) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` in one move.

    :param keep: keep this many previous versions as ``<name>.bak-<its date-time><suffix>``.
    :raises FileInUse: the target is open in Excel; nothing is replaced.
    :raises UserError: no permission, no such folder, or a full disk; nothing is replaced.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and is_open_in_excel(target):
            raise FileInUse(target)
        remove_stale_temporaries(target.parent, target.name)
        with _temporary(target) as tmp:
            yield tmp
            _settle(tmp, target)
            if keep and target.exists():
                _keep_previous(target, keep)
            try:
                os.replace(tmp, target)
            except PermissionError as exc:      # Windows refuses to replace a file open elsewhere
                raise FileInUse(target) from exc
        _sync_folder(target.parent)
    except OSError as exc:
        raise (from_os_error(exc, target) or exc) from exc


def backups(target: Path) -> list[Path]:
    """The kept previous versions of ``target``, oldest first (the dated names sort by time)."""
    return sorted(target.parent.glob(glob.escape(f"{target.stem}.bak-") + "*" + glob.escape(target.suffix)))


def _keep_previous(target: Path, keep: int) -> None:
    """Copy ``target`` to a name dated by its modification time; drop all but the newest ``keep``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(target.stat().st_mtime))
    bak = target.with_name(f"{target.stem}.bak-{stamp}{target.suffix}")
    with _temporary(bak) as bak_tmp:
        shutil.copy2(target, bak_tmp)
        _settle(bak_tmp, bak)
        os.replace(bak_tmp, bak)
    for old in backups(target)[:-keep]:
        old.unlink(missing_ok=True)


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file (see atomic_path)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def remove_stale_temporaries(folder: Path, name: str = "") -> None:
    """Remove the temporary files of ``name`` (all, when empty) that a killed run left in ``folder``.
    One being written holds its lock and stays."""
    for path in folder.glob(glob.escape(f"{TEMP_PREFIX}{name}") + "*"):
        with contextlib.suppress(OSError), open(path, "rb") as fh:
            if _try_lock(fh):
                path.unlink()


@contextlib.contextmanager
def _temporary(target: Path) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.name}-", suffix=target.suffix, dir=target.parent)
    tmp = Path(name)
    fh = os.fdopen(fd, "rb")
    if os.name == "nt":
        fh.close()                           # Windows cannot move a file that is open
    else:
        _try_lock(fh)                        # held until the move: the next writer leaves it alone
    try:
        yield tmp
    finally:
        fh.close()
        tmp.unlink(missing_ok=True)


def _settle(tmp: Path, target: Path) -> None:
    """Flush ``tmp`` to disk and give it the mode (and group) ``target`` has or would get."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    if target.exists():
        st = target.stat()
        os.chmod(tmp, st.st_mode & 0o7777)
        if hasattr(os, "chown"):
            with contextlib.suppress(OSError):      # only a member of the group (or root) may
                os.chown(tmp, -1, st.st_gid)
    else:
        os.chmod(tmp, 0o666 & ~current_umask())


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _try_lock(fh) -> bool:
    if os.name == "nt":                      # no lock was taken: an hour-old one is a killed run's
        return time.time() - os.fstat(fh.fileno()).st_mtime > 3600
    import fcntl
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
