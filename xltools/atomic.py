"""Write output workbooks so that a crash or an open copy in Excel never leaves a broken file.

The new file is written to a temporary name in the same folder and moved into place in one
step; the previous version is kept as a backup when asked. Excel marks an open workbook
with an owner file ``~$name.xlsx`` beside it: then nothing is replaced.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator


class FileInUse(RuntimeError):
    """The target is open in Excel (or locked by another program)."""

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path

    def message(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"{self.path} 正在 Excel 中打开，未覆盖（旧文件保持不变）。请关闭后重试。"
        return f"{self.path} is open in Excel and was not replaced (the old file is intact). Close it and retry."


def owner_file(path: Path) -> Path:
    """Excel's lock file for an open workbook: ~$ plus the name (long names lose 2 characters)."""
    return path.with_name("~$" + path.name)


def is_open_in_excel(path: Path) -> bool:
    candidates = [owner_file(path), path.with_name("~$" + path.name[2:])]
    return any(c.exists() for c in candidates)


@contextlib.contextmanager
def atomic_path(target: str | Path, backup: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` in one move.

    :param backup: keep the previous file as ``<name>.bak<suffix>``.
    :raises FileInUse: the target is open in Excel; nothing is replaced.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and is_open_in_excel(target):
        raise FileInUse(target)
    fd, tmp_name = tempfile.mkstemp(prefix=".~tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if backup and target.exists():
            shutil.copy2(target, target.with_name(f"{target.stem}.bak{target.suffix}"))
        try:
            os.replace(tmp, target)
        except PermissionError as exc:      # Windows refuses to replace a file open elsewhere
            raise FileInUse(target) from exc
    finally:
        if tmp.exists():
            tmp.unlink()
