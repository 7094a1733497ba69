"""The rules over a merge's rows: which rows to check again, their findings stored, the rows
with errors quarantined.

A full check runs every rule over every current row. An incremental one (same rules, settings
and inboxes as the last run) checks only the rows of files read now and the stored rows related
to them through the keys the rules declare; a new day also re-runs the time-dependent rules
where their verdict may move.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from xltools.ingest.findings import ERROR, Finding
from xltools.checks.report import Report
from xltools.checks.rules import EVERYTHING, RULES, Key, Rule, RuleContext, key_values, related_keys, run_rules
from xltools.checks.validate import file_times
from xltools.forms.model import Record
from xltools.forms.schema import load_schema
from xltools.ingest.inbox import Batch
from xltools.jobs.places import root_of
from xltools.store.interface import MERGED, QUARANTINED
from xltools.text import Text


def changed_keys(db, batch: Batch, known, inbox_of) -> dict[Key, set] | None:
    """The values of every key a rule relates rows by, taken by the rows this run changes: the
    stored rows of changed and vanished files, and the rows read now. None: check every row."""
    keys = related_keys()
    present = {(inbox_of.get(root_of(f)), f.path) for f in batch.files if f.status != "skipped"}
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
    changed = set(changed)
    kept = [i for i in active if i not in changed]
    for form, column in key.columns(db.schema).items():
        before = db.has_values(active, form, column)
        after = db.has_values(kept, form, column) or any(
            r.form == form and r.get(column) for r in batch.records)
        if before != after:
            return True
    return False


def _related_records(db, file_ids: list[int], paths: dict[int, str], changed: dict[Key, set],
                     fields: dict[str, list[str]] | None = None) -> list[Record]:
    """The stored rows of these files sharing a key value with a changed row, then with those rows,
    until no new value appears: every group a rule forms is then wholly in or wholly out.
    ``fields``: form -> the fields to load, for the rows of these forms only (None: every form, whole)."""
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
                if values and (fields is None or form in fields):
                    found += db.load_matching(file_ids, paths, form, column, values,
                                              None if fields is None else fields[form])
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
    those through its keys, and the rows read now. Stored rows are loaded with the fields the rule
    declares it reads, not whole."""
    low, high = sorted((day_before, context.as_of))
    for unit in (u for u in RULES.values() if u.as_of):
        places: set[tuple] = set()
        fields = unit.loads(db.schema)              # the columns the rule reads, not whole rows
        moved = _unseen(db.load_flagged(file_ids, paths, [unit.code], fields) if unit.daily else [], places)
        start = low - dt.timedelta(days=unit.lead(context.config) + 1)
        for form, column in unit.as_of.items():
            moved += _unseen(db.load_between(file_ids, paths, form, column, start, high,
                                             None if fields is None else fields[form]), places)
        values = key_values(moved, db.schema, unit.relates_by)
        related = _unseen(_related_records(db, file_ids, paths, values, fields), places)
        forms = unit.forms_read
        read_now = [r for r in batch.records if forms is None or r.form in forms]
        records = _in_inbox_order(moved + related + read_now, batch)
        yield unit, records, run_rules(records, context, skip=set(RULES) - {unit.code}, ordered=False)


def _status_of(batch: Batch, path: str) -> str | None:
    return next((f.status for f in batch.files if f.path == path), None)


def check(db, run, batch: Batch, ids: dict[str, int], as_of, config, changed: dict[Key, set] | None,
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
    known = None if changed is None else StoredCustomers(db, sorted(ids.values()))
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
    kept = [_finding_from_row(row, paths) for row in db.stored_findings("rule", list(ids.values()))]
    added = [f for f in rule_findings if f.file in ids]
    db.add_findings(run, "rule", [_finding_row(f, ids) for f in added])
    # The run's findings as the store now holds them (in its order), the new ones not read back.
    findings = kept_read + batch.findings + kept + added
    _quarantine(db, findings, ids, checked if changed is not None else None)
    return Report(as_of, batch.files, findings, batch.records)


@dataclass
class StoredCustomers:
    """The customer information of a store's current rows (a ``CustomerRegister``), asked for what the
    rules need: the few customers of the rows checked again, not every name."""
    db: Any
    file_ids: list[int]

    def names(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        return self.db.customer_names(self.file_ids, keys)

    def any(self) -> bool:
        return self.db.has_values(self.file_ids, "customers", "_customer_key")


def _places(records, ids: dict[str, int]) -> list[tuple[int, str, int]]:
    return [(ids[r.file], r.form, r.row) for r in records if r.file in ids]


def _quarantine(db, findings: list[Finding], ids: dict[str, int], checked: list | None) -> None:
    """Rows with an error finding are quarantined; the others (re)merge. ``checked`` limits it
    to the rows the rules saw (None: every row of the run's files): elsewhere the findings, and so
    the statuses, stand. Only the rows whose status changes are written."""
    before = db.quarantined(ids.values())
    bad = {(ids[f.file], f.form, f.row) for f in findings
           if f.severity == ERROR and f.form and f.row and f.file in ids and f.code != "column-missing"}
    released = before - bad if checked is None else {p for p in before & set(checked) if p not in bad}
    for status, places in ((MERGED, released), (QUARANTINED, bad - before)):
        by_place: dict[tuple[str, int], list[int]] = {}
        for file_id, form, row in places:
            by_place.setdefault((form, file_id), []).append(row)
        for (form, file_id), rows in by_place.items():
            db.set_status(form, file_id, sorted(rows), status)


# Findings to and from the store
def _finding_row(f: Finding, ids: dict[str, int]) -> tuple:
    """The store's row of a finding. The finding is fixed as the store keeps it (its value and message as
    text), so it reads the same as the findings read back from earlier runs."""
    f.fixed_message = f.messages()
    f.value = None if f.value is None else str(f.value)
    return (ids.get(f.file), f.form, f.sheet, f.row, f.column, f.field, f.code, f.severity, f.customer,
            f.rep, f.value, f.fixed_message.zh, f.fixed_message.en, f.key)


def _finding_from_row(row: tuple, paths: dict[int, str]) -> Finding:
    (file_id, form, sheet, row_number, column, field, code, severity, customer, rep, value, message_zh, message_en,
     key) = row                                               # FINDING_COLUMNS, in order
    return Finding(code, paths.get(file_id, ""), form, sheet, row_number, column, field, customer, value, rep,
                   severity=severity, fixed_message=Text(message_zh, message_en), key=key)
