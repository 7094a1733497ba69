"""merge(): consolidate every rep's workbooks into the store and the master workbook.

Incremental and idempotent: a file whose content hash is unchanged is not read again; a
changed file's rows replace its previous rows; a file gone from the inbox has its rows
kept but withdrawn. Rules run over every current row of the inbox (cross-form and
cross-rep rules included), and rows with error findings are quarantined, not dropped.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .atomic import FileInUse
from .config import Config
from .findings import ERROR, Finding
from .inbox import Batch, FileResult, Progress, read_batch
from .report import Report
from .store import FINDING_COLUMNS, QUARANTINED, StoredFile, is_url, open_store, safe_location
from .validate import check_batch


@dataclass
class MergeResult:
    run: int
    report: Report
    files: dict[str, int]
    rows: dict[str, int]
    store_rows: dict[str, int]
    store: Path | str
    master: Path | None = None
    master_error: FileInUse | None = None
    withdrawn_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Exit status: a merge fails only when no file at all could be read."""
        return self.files["read"] + self.files["unchanged"] > 0 or self.files["unreadable"] == 0

    def to_dict(self, lang: str = "zh") -> dict:
        findings = self.report.findings
        return {
            "run": self.run, "files": self.files, "rows": self.rows, "store_rows": self.store_rows,
            "findings": {"error": sum(f.severity == ERROR for f in findings),
                         "warning": sum(f.severity == "warning" for f in findings),
                         "by_code": dict(sorted(Counter(f.code for f in findings).items()))},
            "store": str(safe_location(self.store)), "master": str(self.master) if self.master else None,
            "master_error": self.master_error.message(lang) if self.master_error else None,
            "withdrawn_files": self.withdrawn_files,
        }


def default_store(inboxes: list[Path]) -> Path:
    """xltools.db beside the (first) inbox folder."""
    first = inboxes[0].resolve()
    return (first.parent if first.is_dir() else first.parent.parent) / "xltools.db"


def merge(inboxes: Iterable[str | Path], store: str | Path | None = None, master: str | Path | None = None,
          as_of: dt.date | None = None, config: Config | None = None, prune: bool = False,
          write_master_file: bool = True, lang: str = "zh", progress: Progress | None = None,
          lock_wait: float = 30.0) -> MergeResult:
    """Consolidate the workbooks under ``inboxes`` into ``store`` and write the master workbook.

    :param store: SQLite file (default: xltools.db beside the inbox) or a ``postgresql://`` URL.
    :param master: master workbook path (default: master.xlsx beside the store).
    :param prune: delete, instead of withdraw, the rows of files gone from the inbox.
    :raises StoreBusy: another merge held the store for longer than ``lock_wait`` seconds.
    """
    inboxes = [Path(p) for p in inboxes]
    config = config or Config()
    as_of = as_of or dt.date.today()
    store_path = store or default_store(inboxes)
    db = open_store(store_path)
    try:
        # Merges of other inboxes may run at once (on a server store); this inbox waits for its own.
        with db.lock([_inbox_key(p) for p in inboxes], lock_wait):
            result = _merge_locked(db, inboxes, as_of, config, prune, progress)
        if write_master_file:
            from .master import write_master
            target = Path(master) if master else _default_master(store_path, inboxes)
            try:
                with db.reading():
                    result.master = write_master(db, target, result, lang)
            except FileInUse as exc:
                result.master_error = exc
    finally:
        db.close()
    result.store = store_path            # usable to open it again; to_dict() shows it masked
    return result


def _default_master(store: str | Path, inboxes: list[Path]) -> Path:
    """master.xlsx beside the store file; beside the inbox when the store is on a server."""
    return (default_store(inboxes) if is_url(store) else Path(store)).with_name("master.xlsx")


def _merge_locked(db, inboxes, as_of, config, prune, progress) -> MergeResult:
    known = db.files()
    inbox_of = {p.resolve(): _inbox_key(p) for p in inboxes}

    def unchanged(f: FileResult) -> bool:
        stored = known.get((inbox_of.get(_root(f)), f.path))
        return bool(stored and stored.sha256 == f.sha256 and stored.status == "active")

    batch = read_batch(inboxes, config, unchanged=unchanged, progress=progress)
    run = db.start_run(as_of, [str(p) for p in inboxes])
    with db.transaction():
        ids, seen = _store_files(db, batch, known, inbox_of, run)
        withdrawn_files, withdrawn_rows = _withdraw_missing(db, known, set(inbox_of.values()), seen, prune)
        report, active = _check_everything(db, batch, known, ids, inbox_of, as_of, config)
        _store_findings(db, run, report, ids, active)
        db.snapshot_pipeline(run, as_of)
        result = _result(run, report, batch, db, withdrawn_rows, withdrawn_files)
        db.finish_run(run, {"files": result.files, "rows": result.rows})
    return result


def _store_files(db, batch: Batch, known, inbox_of, run) -> tuple[dict[str, int], set]:
    """Record each file seen; replace the rows of files read again. Returns path -> file id."""
    ids: dict[str, int] = {}
    seen = set()
    by_file: dict[str, list] = {}
    for r in batch.records:
        by_file.setdefault(r.file, []).append(r)
    for f in batch.files:
        if f.status == "skipped":
            continue
        inbox = inbox_of.get(_root(f))
        seen.add((inbox, f.path))
        stored: StoredFile | None = known.get((inbox, f.path))
        if f.status == "unchanged":
            ids[f.path] = stored.id
            db.touch_file(stored.id, run)
        elif f.status == "unreadable":
            # The last good version of a file that is now broken stays in place.
            ids[f.path] = db.upsert_file(inbox, f.path, stored.sha256 if stored else f.sha256,
                                         stored.rep if stored else None,
                                         "active" if stored else "unreadable", run, f.reason_en)
        else:
            ids[f.path] = db.upsert_file(inbox, f.path, f.sha256, f.rep, "active", run)
            db.replace_rows(ids[f.path], by_file.get(f.path, []), run)
    return ids, seen


def _withdraw_missing(db, known, inboxes: set, seen: set, prune: bool) -> tuple[list[str], int]:
    gone = [s for key, s in known.items() if key[0] in inboxes and key not in seen and s.status != "withdrawn"]
    rows = sum(db.prune_file(s.id) if prune else db.withdraw_file(s.id) for s in gone)
    return [s.path for s in gone], rows


def _check_everything(db, batch: Batch, known, ids, inbox_of, as_of, config) -> tuple[Report, list[int]]:
    """Rules over every current row: rows read now plus the stored rows of unchanged files."""
    unchanged = [f for f in batch.files if f.status == "unchanged"]
    unchanged_ids = [ids[f.path] for f in unchanged]
    records = batch.records + db.load_records(unchanged_ids, {ids[f.path]: f.path for f in unchanged})
    kept = [_finding_from_row(row, {v: k for k, v in ids.items()}) for row in db.stored_findings("read", unchanged_ids)]
    whole = Batch(batch.files, records, batch.findings + kept)
    since = {s.path: dt.datetime.fromisoformat(s.first_seen) for s in db.files().values() if s.id in ids.values()}
    return check_batch(whole, as_of, config, since), list(ids.values())


def _store_findings(db, run, report: Report, ids: dict[str, int], active: list[int]) -> None:
    rule_codes = {f.code for f in report.findings} - _READ_CODES
    reread = [ids[f.path] for f in report.files if f.status in ("ok", "unreadable") and f.path in ids]
    read_rows = [_finding_row(f, ids) for f in report.findings if f.code in _READ_CODES and ids.get(f.file) in reread]
    rule_rows = [_finding_row(f, ids) for f in report.findings if f.code in rule_codes]
    db.replace_findings(run, "read", reread, read_rows)
    db.replace_findings(run, "rule", active, rule_rows)
    db.reset_status(active)
    quarantine: dict[tuple[str, int], set[int]] = {}
    for f in report.errors:
        if f.form and f.row and f.file in ids and f.code not in ("column-missing",):
            quarantine.setdefault((f.form, ids[f.file]), set()).add(f.row)
    for (form, file_id), rows in quarantine.items():
        db.set_status(form, file_id, sorted(rows), QUARANTINED)


def _result(run, report: Report, batch: Batch, db, withdrawn_rows, withdrawn_files) -> MergeResult:
    status = Counter(f.status for f in batch.files)
    quarantined_rows = {(f.file, f.form, f.row) for f in report.errors if f.form and f.row}
    read_now = [r for r in batch.records]
    quarantined = sum((r.file, r.form, r.row) in quarantined_rows for r in read_now)
    files = {"total": len(batch.files), "read": status["ok"], "unchanged": status["unchanged"],
             "skipped": status["skipped"], "unreadable": status["unreadable"]}
    rows = {"read": len(read_now), "merged": len(read_now) - quarantined, "quarantined": quarantined,
            "withdrawn": withdrawn_rows}
    return MergeResult(run, report, files, rows, db.count_status(), db.path,
                       withdrawn_files=withdrawn_files)


# Findings to and from the store
_READ_CODES = {"file-unreadable", "form-unknown", "column-missing", "column-extra", "cell-error",
               "formula-uncalculated", "text-too-long", "control-character", "type", "enum", "range", "format"}


def _finding_row(f: Finding, ids: dict[str, int]) -> tuple:
    return (ids.get(f.file), f.form, f.sheet, f.row, f.column, f.field, f.code, f.severity, f.customer,
            f.rep, None if f.value is None else str(f.value), f.message("zh"), f.message("en"))


def _finding_from_row(row: tuple, paths: dict[int, str]) -> Finding:
    d = dict(zip(FINDING_COLUMNS, row))
    return Finding(d["code"], paths.get(d["file_id"], ""), d["form"], d["sheet"], d["row"], d["column_letter"],
                   d["field"], d["customer"], d["value"], d["rep"], severity=d["severity"],
                   fixed_message={"zh": d["message_zh"], "en": d["message_en"]})


def _root(f: FileResult) -> Path | None:
    return f.root.resolve() if f.root else None


def _inbox_key(path: Path) -> str:
    return path.resolve().as_posix()
