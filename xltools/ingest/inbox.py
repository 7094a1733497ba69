"""Read a batch of rep workbooks: walk folders, skip what is not a workbook, refuse what is
unsafe, and read the rest in worker processes so one bad file never stops the batch."""
from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from functools import partial
from typing import Callable, Iterable

from xltools.forms.config import Config
from xltools.ingest.findings import Finding
from xltools.forms.model import Record, SheetData
from xltools.ingest.reader import WorkbookRead, read_workbook
from xltools.ingest.rows import cells_digest, row_shape
from xltools.ingest.sandbox import run_isolated
from xltools.text import Text
from xltools.ingest.discovery import iter_workbooks, skip_reason
from xltools.ingest.sniff import sniff
from xltools.ingest.verdict import Verdict, parser_failure

Progress = Callable[[int, int], None]

_IDENTICAL = Text("与 {original} 内容相同", "identical to {original}")


@dataclass
class FileResult:
    """What happened to one file of the batch."""
    path: str                       # as shown to people: relative to the folder given
    abspath: Path
    root: Path | None = None        # the folder (inbox) it was found under
    status: str = "ok"              # ok | skipped | unreadable | unchanged
    reason: Text = Text("", "")     # why it was skipped or is unreadable; called with a lang
    sha256: str | None = None
    rep: str | None = None
    sheets: list[SheetData] = field(default_factory=list)
    rows: int = 0

    @property
    def forms(self) -> list[str]:
        return sorted({s.form for s in self.sheets})

    def to_dict(self, lang: str = "zh") -> dict:
        return {"path": self.path, "status": self.status, "forms": self.forms, "rows": self.rows,
                "rep": self.rep, "reason": self.reason(lang) or None}


@dataclass
class Batch:
    files: list[FileResult] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def collect(paths: Iterable[str | Path], home: Callable[[Path], Path] | None = None) -> list[FileResult]:
    """Every file under the given files and folders, recursively, in a stable order.

    :param home: the folder a file given alone is shown relative to (default: its own folder).
    """
    paths = [Path(p) for p in paths]
    alone = {p for p in paths if not p.is_dir()}
    results = []
    for path, root, skip in iter_workbooks(paths):
        if home and path in alone:
            path, root = path.resolve(), home(path)        # both resolved: shown relative to its inbox
        shown = _relative(path, root)
        result = FileResult(shown, path, root)
        if skip:
            result.status, result.reason = "skipped", skip_reason(skip)
        results.append(result)
    return results


def read_batch(paths: Iterable[str | Path], config: Config | None = None,
               unchanged: Callable[[FileResult], bool] | None = None,
               progress: Progress | None = None, home: Callable[[Path], Path] | None = None) -> Batch:
    """Read every workbook under ``paths`` (``home``: see ``collect``).

    :param unchanged: told each file (with its sha256), says whether it can be left unread
        because the store already holds this very content.
    :param progress: called with (files done, files to read).
    """
    config = config or Config()
    batch = Batch(collect(paths, home))
    for result in batch.files:
        if result.status == "ok":
            result.sha256 = file_hash(result.abspath)
    _skip_copies(batch)
    todo = []
    for result in batch.files:
        if result.status != "ok":
            continue
        if unchanged and unchanged(result):
            result.status = "unchanged"
        else:
            todo.append(result)
    shown = {r.abspath: r.path for r in todo}         # the reader names reps by the path within the inbox
    outcomes = run_isolated(partial(_read_one, config=config, shown=shown), [r.abspath for r in todo],
                            on_done=progress)
    reads = {result.path: _take(batch, result, outcome) for result, outcome in zip(todo, outcomes)}
    _skip_resaved_copies(batch, todo, reads)
    return batch


def _skip_copies(batch: Batch) -> None:
    """A file with the very bytes of another (a re-sent copy such as ``5月(1).xlsx``) is skipped
    with a note naming the original: the earliest by modification time, then by name."""
    _skip_duplicates(batch, [r for r in batch.files if r.status == "ok"], lambda r: r.sha256)


def _skip_resaved_copies(batch: Batch, read: list[FileResult], reads: dict[str, WorkbookRead | None]) -> None:
    """A file read with the very cells of another read now (a copy re-saved, so its bytes differ)
    is skipped the same way, its rows and findings dropped. A copy of a file the store holds
    unchanged is not read against it: its rows meet that file's as duplicate-record errors."""
    read = [r for r in read if r.status == "ok" and r.rows]
    shapes = {r.path: row_shape(reads[r.path].tables) for r in read}
    alike = Counter(shapes.values())
    candidates = [r for r in read if alike[shapes[r.path]] > 1]      # a file of its own shape has no copy
    copies = _skip_duplicates(batch, candidates, lambda r: cells_digest(reads[r.path].tables))
    for result in read:
        if result.path in copies:
            result.sheets, result.rows = [], 0
    batch.records = [r for r in batch.records if r.file not in copies]
    batch.findings = [f for f in batch.findings if f.file not in copies or f.code == "file-duplicate"]


def _skip_duplicates(batch: Batch, candidates: list[FileResult], content: Callable[[FileResult], str]) -> set[str]:
    """Skip each file whose ``content`` equals an earlier one's (by modification time, then name),
    with a note naming the original; returns the skipped paths."""
    originals: dict[str, FileResult] = {}
    skipped = set()
    for result in sorted(candidates, key=lambda r: (r.abspath.stat().st_mtime, r.path)):
        original = originals.setdefault(content(result), result)
        if original is not result:
            result.status = "skipped"
            result.reason = _IDENTICAL.format(original=original.path)
            batch.findings.append(Finding("file-duplicate", result.path, params={"original": original.path}))
            skipped.add(result.path)
    return skipped


def _take(batch: Batch, result: FileResult, outcome) -> WorkbookRead | None:
    """Add what was read of one file to the batch; returns the read, None when it failed."""
    value = outcome.value if outcome.ok else None
    if isinstance(value, Verdict) or not outcome.ok:
        reason, detail = (value.reason, value.detail) if value else (outcome.error, outcome.detail)
        result.status, result.reason = "unreadable", reason
        # The parser's own words, if any, go along as the finding's value (``value`` in JSON).
        batch.findings.append(Finding("file-unreadable", result.path, value=detail or None,
                                      params={"reason": reason}))
        return None
    read: WorkbookRead = value
    read.path = result.path             # the records are made with it
    for finding in read.findings:
        finding.file = result.path
    result.rep, result.sheets, result.rows = read.rep, read.sheets, len(read.records)
    batch.records += read.records
    batch.findings += read.findings
    return read


def _read_one(path: Path, config: Config, shown: dict[Path, str]) -> Verdict | WorkbookRead:
    """In a worker: refuse unsafe files before any parser sees them, then read."""
    verdict = sniff(path, config=config)
    if not verdict.ok:
        return verdict
    try:
        read = read_workbook(path, config=config, verdict=verdict, display=shown.get(path))
    except Exception as exc:        # noqa: BLE001 -- any parser failure is this file's problem only
        reason, detail = parser_failure(exc)
        return Verdict(False, reason, "corrupt", detail=detail)
    if verdict.oversize and not read.sheets:
        # Nothing usable was read and a sheet was too large: that is what the rep must fix.
        _, reason = verdict.oversize[0]
        return Verdict(False, reason, "too-large-range")
    return read


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(os.path.relpath(path, root)).as_posix() if root != path else path.name
    except ValueError:
        return path.as_posix()
