"""Merge: consolidate every rep's workbooks into the store.

Incremental and idempotent: a file whose content hash is unchanged is not read again; a
changed file's rows replace its previous rows; a file gone from the inbox has its rows
kept but withdrawn. Rules run over every current row of the inbox (cross-form and
cross-rep rules included), and rows with error findings are quarantined, not dropped.

    merging = Merge("xltools.db", as_of=dt.date(2024, 4, 1))
    result = merging.run(["inbox/"])
    merging.write_master(result, Path("master.xlsx"))
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Iterable

from xltools.atomic import FileInUse
from xltools.checks.report import Report
from xltools.checks.validate import file_times
from xltools.errors import UserError
from xltools.forms.config import Config
from xltools.ingest.inbox import Batch, FileResult, Progress, read_batch
from xltools.ingest.submissions import submissions
from xltools.jobs.merge_check import changed_keys, check
from xltools.jobs.merge_result import FileCounts, MergeResult, RowCounts, StoreCounts
from xltools.jobs.places import home_inbox, inbox_key, root_of
from xltools.store import open_store
from xltools.store.interface import StoredFile
from xltools.checks.rules import lookup_columns


class Merge:
    """Merges inboxes into one store, as of one day, under one set of rule settings.

    :param store: a SQLite file (see ``store.locations.default_store``) or a ``postgresql://`` URL.
    :param lock_wait: seconds to wait for another merge of the same inboxes before ``StoreBusy``.
    """

    def __init__(self, store: str | Path, config: Config | None = None, as_of: dt.date | None = None,
                 lock_wait: float = 30.0):
        self.store = store
        self.config = config or Config()
        self.as_of = as_of or dt.date.today()
        self.lock_wait = lock_wait

    def run(self, inboxes: Iterable[str | Path], prune: bool = False, allow_shrink: bool = False,
            progress: Progress | None = None) -> MergeResult:
        """Consolidate the workbooks under ``inboxes`` into the store.

        :param prune: delete, instead of withdraw, the rows of files gone from the inbox.
        :param allow_shrink: withdraw however many files are gone (see ``refuse_shrink``).
        :raises InboxShrunk: nothing readable, or too many files gone; nothing was changed.
        :raises StoreBusy: another merge held the store for longer than ``lock_wait`` seconds.
        """
        inboxes = [Path(p) for p in inboxes]
        db = open_store(self.store)
        try:
            # Merges of other inboxes may run at once (on a server store); this inbox waits for its own.
            with db.lock([inbox_key(p) for p in inboxes], self.lock_wait):
                db.index_lookups(lookup_columns(db.schema))    # a re-merge reads the rows it needs, not whole tables
                result = self._merge_locked(db, inboxes, prune, progress, allow_shrink)
        finally:
            db.close()
        result.store = self.store            # usable to open it again; to_dict() shows it masked
        return result

    def write_master(self, result: MergeResult, target: Path, lang: str = "zh") -> None:
        """Write the master workbook of the store as ``result``'s run left it, into ``result.master``.
        A master open in Excel is left as it was and said in ``result.master_error``: the store
        is merged all the same."""
        from xltools.xlsx.master import write_master
        db = open_store(self.store, read_only=True)
        try:
            with db.reading():
                result.master = write_master(db, Path(target), result, lang, self.config.masters_kept)
        except FileInUse as exc:
            result.master_error = exc
        finally:
            db.close()

    def _merge_locked(self, db, inboxes: list[Path], prune: bool, progress, allow_shrink: bool) -> MergeResult:
        as_of, config = self.as_of, self.config
        known = db.files()
        folders = [p for p in inboxes if p.is_dir()]
        home = partial(home_inbox, {Path(inbox) for inbox, _ in known} | {p.resolve() for p in folders})
        inbox_of = {folder: inbox_key(folder) for folder in {p.resolve() for p in folders} | {
            home(p) for p in inboxes if not p.is_dir()}}

        def unchanged(f: FileResult) -> bool:
            stored = known.get((inbox_of.get(root_of(f)), f.path))
            return bool(stored and stored.sha256 == f.sha256 and stored.status == "active")

        batch = read_batch(inboxes, config, unchanged=unchanged, progress=progress, home=home)
        refuse_shrink(batch, known, inbox_of, config.shrink_limit, allow_shrink)
        fingerprint = _fingerprint(inboxes, config)
        last = db.last_run()
        incremental = bool(last and last["counts"].get("fingerprint") == fingerprint)
        day_before = dt.date.fromisoformat(last["as_of"]) if incremental else as_of
        db.integrity_check()                   # a damaged store is refused before anything is written
        with db.transaction():                 # the run row commits with its rows and findings, or not at all
            run = db.start_run(as_of, [str(p) for p in inboxes])
            changed = changed_keys(db, batch, known, inbox_of) if incremental else None
            ids, seen = _store_files(db, batch, known, inbox_of, run)
            withdrawn_files, withdrawn_rows = _withdraw_missing(db, known, {inbox_key(p) for p in folders}, seen,
                                                                prune)
            report = check(db, run, batch, ids, as_of, config, changed, day_before)
            db.snapshot_pipeline(run, as_of)
            result = _result(run, report, batch, db, withdrawn_rows, withdrawn_files, as_of, config)
            db.finish_run(run, {"files": result.files.to_dict(), "rows": result.rows.to_dict(),
                                "fingerprint": fingerprint,
                                "settings": config.overrides()})   # the thresholds this run's findings used
        return result


class InboxShrunk(UserError):
    """The inbox looks unmounted or half synced: merging it would wipe the manager's numbers."""


def refuse_shrink(batch: Batch, known, inbox_of, limit: float, allow: bool) -> None:
    """Refuse, before anything is written, an inbox with no readable workbook, or one that would
    withdraw more than ``limit`` % of the store's active files of these inboxes."""
    if allow:
        return
    folders = "、".join(inbox_of.values())
    if not any(f.status in ("ok", "unchanged") for f in batch.files):
        raise InboxShrunk(f"收件箱 {folders} 里没有可读取的工作簿（共享文件夹未挂载？），未作任何改动。"
                          "确认无误后可加 --allow-shrink 再合并。",
                          f"The inbox {folders} holds no readable workbook (is the share mounted?); nothing was "
                          "changed. If that is right, merge again with --allow-shrink.")
    seen = {(inbox_of.get(root_of(f)), f.path) for f in batch.files if f.status != "skipped"}
    active = [key for key, s in known.items() if key[0] in set(inbox_of.values()) and s.status == "active"]
    gone = [key for key in active if key not in seen]
    if active and len(gone) * 100 > limit * len(active):
        raise InboxShrunk(f"收件箱 {folders} 少了 {len(gone)}/{len(active)} 个已合并的文件（超过 {limit:g}%，"
                          "共享文件夹未挂载或同步未完成？），未作任何改动。确认无误后可加 --allow-shrink 再合并。",
                          f"{len(gone)} of the {len(active)} merged files are gone from the inbox {folders} (over "
                          f"{limit:g}%: is the share mounted, the sync done?); nothing was changed. If that is "
                          "right, merge again with --allow-shrink.")


def _fingerprint(inboxes, config: Config) -> str:
    """What the rules' results depend on besides the rows and the day: the same fingerprint as the
    last run means only the rows of changed files (and the rows related to them) need checking
    again, and for a new day the rows the time-dependent rules see move."""
    from xltools import __version__
    return json.dumps([__version__, sorted(inbox_key(p) for p in inboxes), repr(config)], ensure_ascii=False)


def _store_files(db, batch: Batch, known, inbox_of, run) -> tuple[dict[str, int], set]:
    """Record each file seen; replace the rows of files read again. Returns path -> file id."""
    ids: dict[str, int] = {}
    seen = set()
    by_file: dict[str, list] = {}
    for r in batch.records:
        by_file.setdefault(r.file, []).append(r)
    times = file_times(batch)
    with db.bulk_load():
        # New files get their ids in modification-time order: the rank of "who came first" (file_order).
        for f in sorted(batch.files, key=lambda f: (times.get(f.path, 0.0), f.path)):
            if f.status == "skipped":
                continue
            inbox = inbox_of.get(root_of(f))
            seen.add((inbox, f.path))
            ids[f.path] = _store_file(db, f, inbox, known.get((inbox, f.path)), run, times.get(f.path),
                                      by_file.get(f.path, []))
    return ids, seen


def _store_file(db, f: FileResult, inbox: str, stored: StoredFile | None, run, modified: float | None,
                records: list) -> int:
    """Record one file seen, with its rows if it was read again; returns its id."""
    if f.status == "unchanged":
        db.touch_file(stored.id, run)
        return stored.id
    if f.status == "unreadable":
        # The last good version of a file that is now broken stays in place.
        return db.upsert_file(inbox, f.path, stored.sha256 if stored else f.sha256, stored.rep if stored else None,
                              "active" if stored else "unreadable", run, f.reason.en)
    file_id = db.upsert_file(inbox, f.path, f.sha256, f.rep, "active", run, modified=_moment(modified))
    db.replace_rows(file_id, records, run)
    return file_id


def _moment(timestamp: float | None) -> str | None:
    """A modification time as the store keeps times: local, ISO, to the second."""
    return None if timestamp is None else dt.datetime.fromtimestamp(timestamp).isoformat(sep=" ", timespec="seconds")


def _withdraw_missing(db, known, inboxes: set, seen: set, prune: bool) -> tuple[list[str], int]:
    gone = [s for key, s in known.items() if key[0] in inboxes and key not in seen and s.status != "withdrawn"]
    rows = sum(db.prune_file(s.id) if prune else db.withdraw_file(s.id) for s in gone)
    return [s.path for s in gone], rows


def _result(run, report: Report, batch: Batch, db, withdrawn_rows, withdrawn_files, as_of, config) -> MergeResult:
    status = Counter(f.status for f in batch.files)
    quarantined_rows = {(f.file, f.form, f.row) for f in report.errors if f.form and f.row}
    read_now = [r for r in batch.records]
    quarantined = sum((r.file, r.form, r.row) in quarantined_rows for r in read_now)
    files = FileCounts(total=len(batch.files), read=status["ok"], unchanged=status["unchanged"],
                       skipped=status["skipped"], unreadable=status["unreadable"])
    rows = RowCounts(read=len(read_now), merged=len(read_now) - quarantined, quarantined=quarantined,
                     withdrawn=withdrawn_rows)
    return MergeResult(run, report, files, rows, StoreCounts(**db.count_status()), db.path,
                       withdrawn_files=withdrawn_files, submissions=submissions(
                           db.files().values(), db.frame("targets"), as_of, config.submission_deadline))
