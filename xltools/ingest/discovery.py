"""Which files to read: the files given, the files found in folders, and why others are skipped.

Skipped files (Excel's lock files, hidden files, other extensions, links) are listed with a reason,
not reported as errors. Folders are walked in name order, so runs are reproducible.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from xltools.ingest.verdict import WORKBOOK_SUFFIXES
from xltools.text import Text, texts

# Read as well: .xls, .xlsb, .ods and WPS .et by their content; .csv so that its sender learns how
# to convert it instead of seeing it vanish.
OTHER_SPREADSHEET_SUFFIXES = {".xls", ".xlsb", ".et", ".csv", ".ods"}
READ_SUFFIXES = WORKBOOK_SUFFIXES | OTHER_SPREADSHEET_SUFFIXES
# The extensions each readable format goes by; WPS saves .xls content as .et too.
FORMAT_SUFFIXES = {"xlsx": WORKBOOK_SUFFIXES, "xls": {".xls", ".et"}, "xlsb": {".xlsb"}, "ods": {".ods"}}

SKIP_LOCK = "Excel's lock file of an open workbook (~$)"
SKIP_HIDDEN = "hidden file"
SKIP_NOT_SPREADSHEET = "not a spreadsheet"
SKIP_SYMLINK_OUTSIDE = "symlink outside the folder"
SKIP_LINKED_FOLDER = "linked folder: not followed"
SKIP_LINKED_FILE = "link to a file in the folder: read there, not twice"
SKIP_MISSING = "no such file or folder"
SKIP_UNREADABLE_FOLDER = "the folder cannot be opened"
# Keyed by the English reason, which is what skipped files carry.
_SKIP_REASONS = texts({
    SKIP_LOCK: ("Excel 打开工作簿时生成的临时锁定文件（~$）", SKIP_LOCK),
    SKIP_HIDDEN: ("隐藏文件", SKIP_HIDDEN),
    SKIP_NOT_SPREADSHEET: ("不是电子表格", SKIP_NOT_SPREADSHEET),
    SKIP_SYMLINK_OUTSIDE: ("指向文件夹以外的链接", SKIP_SYMLINK_OUTSIDE),
    SKIP_LINKED_FOLDER: ("链接的文件夹：未进入", SKIP_LINKED_FOLDER),
    SKIP_LINKED_FILE: ("指向本文件夹内文件的链接：只在原处读取一次", SKIP_LINKED_FILE),
    SKIP_MISSING: ("文件或文件夹不存在", SKIP_MISSING),
    SKIP_UNREADABLE_FOLDER: ("文件夹无法打开", SKIP_UNREADABLE_FOLDER),
})


def skip_reason(reason_en: str) -> Text:
    """Both wordings of a reason returned by ``should_skip`` or ``iter_workbooks`` (which are English)."""
    if reason_en in _SKIP_REASONS:
        return _SKIP_REASONS[reason_en]
    base, sep, detail = reason_en.partition(" (")
    zh = _SKIP_REASONS[base].zh if base in _SKIP_REASONS else base
    return Text(f"{zh}（{detail.rstrip(')')}）" if sep else zh, reason_en)


def should_skip(path: Path) -> str | None:
    """Why a file is not worth reading at all (listed as skipped, not as an error), or None to read it.

    Other spreadsheet formats are read on purpose: ``sniff`` recognises them by content, and tells
    the sender of a format we do not read (.csv, WPS's own .et) how to convert it.
    """
    name = Path(path).name
    if name.startswith("~$"):
        return SKIP_LOCK
    if name.startswith("."):
        return SKIP_HIDDEN
    suffix = Path(name).suffix.lower()
    if suffix not in READ_SUFFIXES:
        return f"{SKIP_NOT_SPREADSHEET} ({suffix or 'no extension'})"
    return None


def iter_workbooks(paths: Iterable[Path]) -> Iterator[tuple[Path, Path, str | None]]:
    """Yield (file, root, skip_reason) for files given directly and for files found in folders.

    Folders are walked recursively in name order, so runs are reproducible. Hidden folders are not
    entered, links are never followed: a link pointing outside the root, a linked folder (loops) and
    a link to a file inside the root (duplicates) are all yielded with a skip reason.
    """
    for given in paths:
        given = Path(given)
        if given.is_dir():
            yield from _walk(given, given, given.resolve())
        elif given.exists() or given.is_symlink():
            yield given, given.parent, should_skip(given)
        else:
            yield given, given.parent, SKIP_MISSING


def _walk(folder: Path, root: Path, real_root: Path) -> Iterator[tuple[Path, Path, str | None]]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield folder, root, f"{SKIP_UNREADABLE_FOLDER} ({exc.strerror})"
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            yield path, root, _symlink_reason(path, real_root)
        elif entry.is_dir(follow_symlinks=False):
            # Hidden folders (.git, __MACOSX from unpacked archives) hold no reps' forms.
            if not entry.name.startswith(".") and entry.name != "__MACOSX":
                yield from _walk(path, root, real_root)
        else:
            yield path, root, should_skip(path)


def _symlink_reason(path: Path, real_root: Path) -> str | None:
    target = path.resolve()
    if not target.is_relative_to(real_root):
        return SKIP_SYMLINK_OUTSIDE
    if target.is_dir():
        return SKIP_LINKED_FOLDER
    # The target is in the folder too: reading both would count the same rep's data twice.
    return should_skip(path) or SKIP_LINKED_FILE
