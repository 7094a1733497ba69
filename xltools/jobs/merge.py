"""merge(): consolidate every rep's workbooks into the store and the master workbook.

Incremental and idempotent: a file whose content hash is unchanged is not read again; a
changed file's rows replace its previous rows; a file gone from the inbox has its rows
kept but withdrawn. Rules run over every current row of the inbox (cross-form and
cross-rep rules included), and rows with error findings are quarantined, not dropped.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Iterable, Iterator

from xltools.atomic import FileInUse
from xltools.forms.config import Config
from xltools.errors import UserError
from xltools.ingest.findings import ERROR, Finding
from xltools.ingest.inbox import Batch, FileResult, Progress, read_batch
from xltools.checks.report import Report
from xltools.forms.model import Record
from xltools.checks.rules import EVERYTHING, RULES, Key, Rule, RuleContext, key_values, related_keys, run_rules
from xltools.forms.schema import load_schema
from xltools.checks.validate import file_times
from xltools.ingest.submissions import Submissions, submissions
from xltools.store import open_store
from xltools.store.interface import FINDING_COLUMNS, MERGED, QUARANTINED, StoredFile
from xltools.store.locations import default_store, is_url, safe_location


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
    submissions: Submissions = field(default_factory=Submissions)

    @property
    def ok(self) -> bool:
        """Some file could be read (with --allow-shrink a merge may read none). The CLI also
        exits 1 when the report has errors."""
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
            "submissions": self.submissions.to_dict(),
        }


def merge(inboxes: Iterable[str | Path], store: str | Path | None = None, master: str | Path | None = None,
          as_of: dt.date | None = None, config: Config | None = None, prune: bool = False,
          write_master_file: bool = True, lang: str = "zh", progress: Progress | None = None,
          lock_wait: float = 30.0, allow_shrink: bool = False) -> MergeResult:
    """Consolidate the workbooks under ``inboxes`` into ``store`` and write the master workbook.

    :param store: SQLite file (default: xltools.db beside the inbox) or a ``postgresql://`` URL.
    :param master: master workbook path (default: master.xlsx beside the store).
    :param prune: delete, instead of withdraw, the rows of files gone from the inbox.
    :param allow_shrink: withdraw however many files are gone (see ``refuse_shrink``).
    :raises InboxShrunk: nothing readable, or too many files gone; nothing was changed.
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
            result = _merge_locked(db, inboxes, as_of, config, prune, progress, allow_shrink)
        if write_master_file:
            from xltools.xlsx.master import write_master
            target = Path(master) if master else _default_master(store_path, inboxes)
            try:
                with db.reading():
                    result.master = write_master(db, target, result, lang, config.masters_kept)
            except FileInUse as exc:
                result.master_error = exc
    finally:
        db.close()
    result.store = store_path            # usable to open it again; to_dict() shows it masked
    return result


def _default_master(store: str | Path, inboxes: list[Path]) -> Path:
    """master.xlsx beside the store file; beside the inbox when the store is on a server."""
    return (default_store(inboxes) if is_url(store) else Path(store)).with_name("master.xlsx")


def _merge_locked(db, inboxes, as_of, config, prune, progress, allow_shrink) -> MergeResult:
    known = db.files()
    folders = [p for p in inboxes if p.is_dir()]
    home = partial(_home, {Path(inbox) for inbox, _ in known} | {p.resolve() for p in folders})
    inbox_of = {folder: _inbox_key(folder) for folder in {p.resolve() for p in folders} | {
        home(p) for p in inboxes if not p.is_dir()}}

    def unchanged(f: FileResult) -> bool:
        stored = known.get((inbox_of.get(_root(f)), f.path))
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
        changed = _changed_keys(db, batch, known, inbox_of) if incremental else None
        ids, seen = _store_files(db, batch, known, inbox_of, run)
        withdrawn_files, withdrawn_rows = _withdraw_missing(db, known, {_inbox_key(p) for p in folders}, seen, prune)
        report = _check(db, run, batch, ids, as_of, config, changed, day_before)
        db.snapshot_pipeline(run, as_of)
        result = _result(run, report, batch, db, withdrawn_rows, withdrawn_files, as_of, config)
        db.finish_run(run, {"files": result.files, "rows": result.rows, "fingerprint": fingerprint,
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
    seen = {(inbox_of.get(_root(f)), f.path) for f in batch.files if f.status != "skipped"}
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
    return json.dumps([__version__, sorted(_inbox_key(p) for p in inboxes), repr(config)], ensure_ascii=False)


def _changed_keys(db, batch: Batch, known, inbox_of) -> dict[Key, set] | None:
    """The values of every key a rule relates rows by, taken by the rows this run changes: the
    stored rows of changed and vanished files, and the rows read now. None: check every row."""
    keys = related_keys()
    present = {(inbox_of.get(_root(f)), f.path) for f in batch.files if f.status != "skipped"}
    mine = {key: s for key, s in known.items() if key[0] in set(inbox_of.values())}
    changed = [s.id for key, s in mine.items() if key not in present or _status_of(batch, key[1]) == "ok"]
    active = [s.id for s in mine.values() if s.status == "active"]
    if EVERYTHING in keys or any(_presence_flips(db, batch, key, active, changed) for key in keys if key.presence):
        return None
    keys = [key for key in keys if not key.presence]
    values = key_values(batch.records, db.schema, keys)
    for key in keys:
        for form, column in key.columns(db.schema).items():
            values[key] |= db.distinct_values(changed, form, column)
    return values


def _presence_flips(db, batch: Batch, key: Key, active: list[int], changed: list[int]) -> bool:
    """Whether a form of a presence key gains its first filled row or loses its last one."""
    kept = [i for i in active if i not in set(changed)]
    for form, column in key.columns(db.schema).items():
        before = bool(db.distinct_values(active, form, column))
        after = bool(db.distinct_values(kept, form, column)) or any(
            r.form == form and r.get(column) for r in batch.records)
        if before != after:
            return True
    return False


def _related_records(db, file_ids: list[int], paths: dict[int, str], changed: dict[Key, set],
                     forms: set[str] | None = None) -> list[Record]:
    """The stored rows of these files sharing a key value with a changed row, then with those rows,
    until no new value appears: every group a rule forms is then wholly in or wholly out.
    ``forms``: only rows of these forms."""
    done: dict[Key, set] = {key: set() for key in changed}
    places: set[tuple] = set()
    records: list[Record] = []
    pending = changed
    while any(pending[key] - done[key] for key in pending):
        found = []
        for key, values in pending.items():
            values = values - done[key]
            done[key] |= values
            for form, column in key.columns(db.schema).items():
                if values and (forms is None or form in forms):
                    found += db.load_matching(file_ids, paths, form, column, values)
        new = _unseen(found, places)
        records += new
        pending = key_values(new, db.schema, changed)
    return records


def _unseen(records: list[Record], places: set[tuple]) -> list[Record]:
    """The records whose place is not in ``places`` yet, each once; adds them to ``places``."""
    new = []
    for r in records:
        place = (r.file, r.form, r.sheet, r.row)
        if place not in places:
            places.add(place)
            new.append(r)
    return new


def _in_inbox_order(records: list[Record], batch: Batch) -> list[Record]:
    """The inbox's order, whichever files were read now: "first" and "latest" in the rules depend on it."""
    position = {f.path: i for i, f in enumerate(batch.files)}
    return sorted(records, key=lambda r: (position[r.file], r.sheet, r.row))


def _day_moved(db, file_ids: list[int], paths: dict[int, str], batch: Batch, day_before: dt.date,
               context: RuleContext) -> Iterator[tuple[Rule, list[Record], list[Finding]]]:
    """Each time-dependent rule again, after the day moved from ``day_before``: over the stored rows
    whose declared dates the day passed (with the rule's lead; a verdict "date before the day"
    changes there only), the rows it flagged if its text counts the days, the rows related to
    those through its keys, and the rows read now."""
    low, high = sorted((day_before, context.as_of))
    for unit in (u for u in RULES.values() if u.as_of):
        places: set[tuple] = set()
        moved = _unseen(db.load_flagged(file_ids, paths, [unit.code]) if unit.daily else [], places)
        start = low - dt.timedelta(days=unit.lead(context.config) + 1)
        for form, column in unit.as_of.items():
            moved += _unseen(db.load_between(file_ids, paths, form, column, start, high), places)
        values = key_values(moved, db.schema, unit.relates_by)
        related = _unseen(_related_records(db, file_ids, paths, values, set(unit.forms)), places)
        records = _in_inbox_order(moved + related + batch.records, batch)
        yield unit, records, run_rules(records, context, skip=set(RULES) - {unit.code})


def _status_of(batch: Batch, path: str) -> str | None:
    return next((f.status for f in batch.files if f.path == path), None)


def _store_files(db, batch: Batch, known, inbox_of, run) -> tuple[dict[str, int], set]:
    """Record each file seen; replace the rows of files read again. Returns path -> file id."""
    ids: dict[str, int] = {}
    seen = set()
    by_file: dict[str, list] = {}
    for r in batch.records:
        by_file.setdefault(r.file, []).append(r)
    times = file_times(batch)
    # New files get their ids in modification-time order: the rank of "who came first" (file_order).
    for f in sorted(batch.files, key=lambda f: (times.get(f.path, 0.0), f.path)):
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
            ids[f.path] = db.upsert_file(inbox, f.path, f.sha256, f.rep, "active", run,
                                         modified=_moment(times.get(f.path)))
            db.replace_rows(ids[f.path], by_file.get(f.path, []), run)
    return ids, seen


def _moment(timestamp: float | None) -> str | None:
    """A modification time as the store keeps times: local, ISO, to the second."""
    return None if timestamp is None else dt.datetime.fromtimestamp(timestamp).isoformat(sep=" ", timespec="seconds")


def _withdraw_missing(db, known, inboxes: set, seen: set, prune: bool) -> tuple[list[str], int]:
    gone = [s for key, s in known.items() if key[0] in inboxes and key not in seen and s.status != "withdrawn"]
    rows = sum(db.prune_file(s.id) if prune else db.withdraw_file(s.id) for s in gone)
    return [s.path for s in gone], rows


def _check(db, run, batch: Batch, ids: dict[str, int], as_of, config, changed: dict[Key, set] | None,
           day_before: dt.date) -> Report:
    """Run the rules, store their findings and quarantine the rows with errors.

    ``changed`` None: over every current row. Otherwise only over the rows of files read now and
    the stored rows related to them through the keys the rules declare: no rule compares rows
    otherwise, so the findings elsewhere stand as the last run left them. A new day also re-runs
    the time-dependent rules where their verdict may move (see ``_day_moved``).
    """
    paths = {v: k for k, v in ids.items()}
    by_status = {s: [ids[f.path] for f in batch.files if f.status == s and f.path in ids]
                 for s in ("ok", "unchanged", "unreadable")}
    reread = by_status["ok"] + by_status["unreadable"]
    kept_ids = by_status["unchanged"] + by_status["unreadable"]     # a broken file's last good rows stay
    kept_paths = {i: paths[i] for i in kept_ids}
    stored = (db.load_records(kept_ids, kept_paths) if changed is None
              else _related_records(db, kept_ids, kept_paths, changed))
    records = _in_inbox_order(batch.records + stored, batch)
    kept_read = [_finding_from_row(row, paths) for row in db.stored_findings("read", by_status["unchanged"])]
    since = {s.path: dt.datetime.fromisoformat(s.first_seen) for s in db.files().values() if s.id in paths}
    known = None if changed is None else db.customer_names(list(ids.values()))
    context = RuleContext(load_schema(), config, as_of, since, known, file_order=ids,
                          file_times=file_times(batch))
    rule_findings = run_rules(records, context)
    db.replace_findings(run, "read", reread, [_finding_row(f, ids) for f in batch.findings if ids.get(f.file) in reread])
    checked = _places(records, ids)
    if changed is None:
        db.replace_findings(run, "rule", list(ids.values()), [])
    else:
        db.replace_findings(run, "rule", by_status["ok"], [])
        db.delete_findings_at("rule", checked)
        if day_before != as_of:
            # Where every rule ran just now, its findings stand; elsewhere only the day's rules run.
            done = set(checked)
            for unit, moved, found in _day_moved(db, kept_ids, kept_paths, batch, day_before, context):
                places = [p for p in _places(moved, ids) if p not in done]
                db.delete_findings_at("rule", places, [unit.code])
                rule_findings += [f for f in found if (ids[f.file], f.form, f.row) not in done]
                if unit.severity == ERROR:
                    checked += places               # only an error changes whether a row is quarantined
            checked = list(dict.fromkeys(checked))
    db.add_findings(run, "rule", [_finding_row(f, ids) for f in rule_findings])
    findings = kept_read + batch.findings + [_finding_from_row(row, paths)
                                              for row in db.stored_findings("rule", list(ids.values()))]
    _quarantine(db, findings, ids, checked if changed is not None else None)
    return Report(as_of, batch.files, findings, batch.records)


def _places(records, ids: dict[str, int]) -> list[tuple[int, str, int]]:
    return [(ids[r.file], r.form, r.row) for r in records if r.file in ids]


def _quarantine(db, findings: list[Finding], ids: dict[str, int], checked: list | None) -> None:
    """Rows with an error finding are quarantined; the others (re)merge. ``checked`` limits it
    to the rows the rules saw (None: every row of the run's files)."""
    if checked is None:
        db.reset_status(list(ids.values()))
    else:
        by_place: dict[tuple[str, int], list[int]] = {}
        for file_id, form, row in checked:
            by_place.setdefault((form, file_id), []).append(row)
        for (form, file_id), rows in by_place.items():
            db.set_status(form, file_id, rows, MERGED)
    bad: dict[tuple[str, int], set[int]] = {}
    for f in findings:
        if f.severity == ERROR and f.form and f.row and f.file in ids and f.code != "column-missing":
            bad.setdefault((f.form, ids[f.file]), set()).add(f.row)
    for (form, file_id), rows in bad.items():
        db.set_status(form, file_id, sorted(rows), QUARANTINED)


def _result(run, report: Report, batch: Batch, db, withdrawn_rows, withdrawn_files, as_of, config) -> MergeResult:
    status = Counter(f.status for f in batch.files)
    quarantined_rows = {(f.file, f.form, f.row) for f in report.errors if f.form and f.row}
    read_now = [r for r in batch.records]
    quarantined = sum((r.file, r.form, r.row) in quarantined_rows for r in read_now)
    files = {"total": len(batch.files), "read": status["ok"], "unchanged": status["unchanged"],
             "skipped": status["skipped"], "unreadable": status["unreadable"]}
    rows = {"read": len(read_now), "merged": len(read_now) - quarantined, "quarantined": quarantined,
            "withdrawn": withdrawn_rows}
    return MergeResult(run, report, files, rows, db.count_status(), db.path,
                       withdrawn_files=withdrawn_files, submissions=submissions(
                           db.files().values(), db.frame("targets"), as_of, config.submission_deadline))


# Findings to and from the store
def _finding_row(f: Finding, ids: dict[str, int]) -> tuple:
    return (ids.get(f.file), f.form, f.sheet, f.row, f.column, f.field, f.code, f.severity, f.customer,
            f.rep, None if f.value is None else str(f.value), f.message("zh"), f.message("en"), f.key)


def _finding_from_row(row: tuple, paths: dict[int, str]) -> Finding:
    d = dict(zip(FINDING_COLUMNS, row))
    return Finding(d["code"], paths.get(d["file_id"], ""), d["form"], d["sheet"], d["row"], d["column_letter"],
                   d["field"], d["customer"], d["value"], d["rep"], severity=d["severity"],
                   fixed_message={"zh": d["message_zh"], "en": d["message_en"]}, key=d["row_key"])


def _home(inboxes: set[Path], file: Path) -> Path:
    """A file merged alone belongs to the innermost inbox folder it lies in, as a merge of that
    folder would store it (so the two update one record); else to its own folder."""
    file = file.resolve()
    return max((p for p in inboxes if p in file.parents), key=lambda p: len(p.parts), default=file.parent)


def _root(f: FileResult) -> Path | None:
    return f.root.resolve() if f.root else None


def _inbox_key(path: Path) -> str:
    return path.resolve().as_posix()
