"""``advance_week``: a week of the reps' work played on their files in place, the way reps would."""
from __future__ import annotations

import os
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

from openpyxl import load_workbook

from xltools.forms.model import customer_key
from xltools.ingest.reader import WorkbookRead, read_workbook
from xltools.sample.dates import stamp_sent, workday
from xltools.sample.phrases import CHANNELS, LOSS_REASONS, NEXT_ACTIONS, VISIT_FEEDBACK, WIN_REASONS
from xltools.sample.spec import SampleInfo
from xltools.sample.stories import CADENCE
from xltools.sample.terms import (AGREED, CLOSED, COMMIT, COMMITTED_STAGE, FORECAST_OF_STAGE, LOST, OPEN, PENDING,
                                  RESOLVED, STAGES, WON, WON_STAGE, stage_probability)
from xltools.sample.writing import DATE_FORMAT


def advance_week(folder: Path, info: SampleInfo, days: int = 7) -> list[Path]:
    """Play ``days`` of the reps' work on their files in place; return the files changed.

    Reps add the visits that fell due (with their next visit), push due follow-ups, close
    objections due that week and move close dates that would pass. Across the team one
    deal moves a stage, one committed deal closes 已成交 (its pending approvals granted),
    one expected close slips, one deal is lost 丢单, one follow-on deal is added and one deal's
    row is cleared (removed). One rep (of three or more) does
    nothing that week, so the next validation has overdue items to show. Rows holding a
    planted mistake are left as they are. ``info.as_of`` moves on by ``days``.

    The files are those of ``info`` found in ``folder``, which may be a copy of the inbox.
    """
    week = _Week(info.as_of, info.as_of + timedelta(days=days),
                 random.Random(f"advance:{info.as_of.isoformat()}:{days}:{len(info.files)}"))
    files = [_in_folder(folder, p) for p in info.files]
    idle = week.rng.choice(files) if len(files) >= 3 else None
    for path in files:
        if path != idle:
            week.files[path] = read_workbook(path)
    week.keep = {(_in_folder(folder, m["file"]), m["sheet"], m["cell"]) for m in info.planted}
    for path in week.files:
        _due_visits(week, path)
        _due_objections(week, path)
        _due_closes(week, path)
    _pipeline_events(week)
    changed = [p for p in files if week.edits.get(p) or week.appends.get(p)]
    for order, path in enumerate(changed):
        _apply_edits(path, week.edits.get(path, {}), week.appends.get(path, []))
        stamp_sent(path, week.new_as_of, order)
    info.as_of = week.new_as_of
    return changed


@dataclass
class _Week:
    """The week being played: the files read, the cells left alone, and the edits and rows to write."""
    as_of: date
    new_as_of: date
    rng: random.Random
    files: dict[Path, WorkbookRead] = field(default_factory=dict)
    keep: set[tuple[Path, str, str]] = field(default_factory=set)          # cells with a planted mistake
    edits: dict[Path, dict[tuple[str, str], Any]] = field(default_factory=lambda: defaultdict(dict))
    appends: dict[Path, list[tuple[str, dict[str, Any]]]] = field(default_factory=lambda: defaultdict(list))

    def records(self, path: Path, form: str) -> list:
        return [r for r in self.files[path].records if r.form == form]

    def kept(self, path: Path, record, key: str | None = None) -> bool:
        """Whether the row (or only its cell of ``key``) holds a planted mistake, left for the rep."""
        if key is not None:
            return (path, record.sheet, f"{record.columns.get(key)}{record.row}") in self.keep
        return any((path, record.sheet, f"{col}{record.row}") in self.keep for col in record.columns.values())

    def change(self, path: Path, record, key: str, value: Any) -> None:
        self.edits[path][(record.sheet, f"{record.columns[key]}{record.row}")] = value

    def weekday_in_week(self, day: date) -> date | None:
        """``day`` or the next working day, if it still falls inside the week."""
        day = workday(max(day, self.as_of))
        return day if day < self.new_as_of else None


def _in_folder(folder: Path, path: Path) -> Path:
    """A rep's workbook (<region>/<rep>.xlsx) inside ``folder``."""
    return Path(folder).joinpath(*Path(path).parts[-2:])


def _grades(week: _Week, path: Path) -> dict[str, str]:
    return {customer_key(r.get("customer")): r.get("grade") for r in week.records(path, "customers")
            if r.get("customer") and r.get("grade")}


def _due_visits(week: _Week, path: Path) -> None:
    """Visit every customer whose next visit fell due this week and plan the one after."""
    grades = _grades(week, path)
    latest: dict[str, Any] = {}
    for r in week.records(path, "visits"):
        key = customer_key(r.get("customer") or "")
        if key and r.get("date") and (key not in latest or r.get("date") >= latest[key].get("date")):
            latest[key] = r
    planned: dict[str, date] = {}
    for key, last in latest.items():
        due = last.get("next_visit")
        day = week.weekday_in_week(due) if due and due < week.new_as_of else None
        while day is not None:
            low, high = CADENCE.get(grades.get(key), CADENCE["B类"])
            next_visit = workday(day + timedelta(days=week.rng.randint(low, high)))
            week.appends[path].append((last.sheet, _visit_values(week, last, day, next_visit)))
            planned[key] = next_visit
            day = week.weekday_in_week(next_visit) if next_visit < week.new_as_of else None
    for r in week.records(path, "customers"):
        due = r.get("next_follow_up")
        if due and due < week.new_as_of and not week.kept(path, r, "next_follow_up"):
            key = customer_key(r.get("customer"))
            week.change(path, r, "next_follow_up",
                        planned.get(key) or workday(week.new_as_of + timedelta(days=week.rng.randint(7, 21))))


def _visit_values(week: _Week, last, day: date, next_visit: date) -> dict[str, Any]:
    rng = week.rng
    values = {"customer": last.get("customer"), "date": day, "channel": rng.choice(CHANNELS),
              "visitor": last.get("visitor"), "feedback": rng.choice(VISIT_FEEDBACK),
              "satisfaction": rng.choice((4, 5)), "next_action": rng.choice(NEXT_ACTIONS),
              "owner": last.get("owner") or last.get("visitor"), "next_visit": next_visit}
    return {last.columns[k]: v for k, v in values.items() if k in last.columns}


def _due_objections(week: _Week, path: Path) -> None:
    """Objections due this week are resolved."""
    for r in week.records(path, "objections"):
        due = r.get("resolve_by")
        if r.get("status") in (None, OPEN) and due and due < week.new_as_of and not week.kept(path, r):
            week.change(path, r, "status", RESOLVED)
            week.change(path, r, "feedback", "客户接受应答方案")


def _open_deals(week: _Week, path: Path) -> list:
    """The file's deals still open, not holding a planted mistake."""
    return [r for r in week.records(path, "pipeline")
            if r.get("stage") and r.get("stage") != WON_STAGE
            and r.get("forecast") not in CLOSED and not week.kept(path, r)]


def _due_closes(week: _Week, path: Path) -> None:
    """An open deal whose close date would pass this week gets a new one: it has not closed yet."""
    for r in _open_deals(week, path):
        close = r.get("expected_close")
        if close and close < week.new_as_of:
            week.change(path, r, "expected_close", workday(week.new_as_of + _slip(week.rng)))


def _slip(rng: random.Random) -> timedelta:
    return timedelta(days=rng.randint(21, 45))


def _pipeline_events(week: _Week) -> None:
    """One deal won (a committed one due this week if any), one committed for next week, one moved up
    a stage, one close date slipped, one lost, one new, one removed: in different files if possible."""
    taken: set[tuple[Path, int]] = set()
    used_files: set[Path] = set()

    def pick(test: Callable[[Any], bool]) -> tuple[Path, Any] | None:
        candidates = [(p, r) for p in week.files for r in _open_deals(week, p)
                      if (p, r.row) not in taken and test(r) and not _has_planted_rows(week, p, r)]
        week.rng.shuffle(candidates)
        candidates.sort(key=lambda pr: pr[0] in used_files)     # stable: other files first
        if not candidates:
            return None
        path, record = candidates[0]
        taken.add((path, record.row))
        used_files.add(path)
        return path, record

    def due_this_week(r) -> bool:
        return r.get("expected_close") is not None and week.as_of < r.get("expected_close") <= week.new_as_of

    won = (pick(lambda r: r.get("stage") == COMMITTED_STAGE and due_this_week(r))
           or pick(lambda r: r.get("stage") == COMMITTED_STAGE))
    if won:
        _close_won(week, *won)
    committed = pick(lambda r: r.get("stage") == COMMITTED_STAGE)
    if committed:                 # the rep commits a deal for next week: next week's commit accuracy has a base
        path, r = committed
        week.change(path, r, "forecast", COMMIT)
        week.change(path, r, "expected_close", workday(week.new_as_of + timedelta(days=week.rng.randint(1, 4))))
    # Preferably 4 → 5: a deal reaches commitment each week as one is won.
    moved = pick(lambda r: r.get("stage") == STAGES[3]) or pick(lambda r: r.get("stage") in STAGES[:4])
    if moved:
        _move_stage(week, *moved)
    slipped = pick(lambda r: r.get("expected_close") is not None)
    if slipped:
        path, r = slipped
        later = max(r.get("expected_close"), week.new_as_of) + _slip(week.rng)
        week.change(path, r, "expected_close", workday(later))
    lost = pick(lambda r: r.get("stage") in STAGES[1:4])
    if lost:
        path, r = lost
        week.change(path, r, "forecast", LOST)
        week.change(path, r, "win_probability", 0)
        week.change(path, r, "win_loss_reason", week.rng.choice(LOSS_REASONS))
    follow_on = pick(lambda r: r.get("project_id") and r.get("customer"))
    if follow_on:
        _new_deal(week, *follow_on)
    removed = pick(lambda r: True)
    if removed:                   # the rep clears the deal's row: it is gone from the file
        path, r = removed
        for key in r.columns:
            week.change(path, r, key, None)


def _has_planted_rows(week: _Week, path: Path, deal) -> bool:
    """Whether the deal's customer has a planted mistake anywhere in the file: leave it to the rep."""
    key = customer_key(deal.get("customer") or "")
    return any(week.kept(path, r) and customer_key(r.get("customer") or "") == key
               for r in week.files[path].records)


def _close_won(week: _Week, path: Path, deal) -> None:
    """The customer signs: pending approvals are granted this week and the deal is 已成交."""
    # The day after the last merge: a deal signed on the merge day itself was in last week's figures.
    day = week.weekday_in_week(week.as_of + timedelta(days=1)) or week.new_as_of
    key = customer_key(deal.get("customer"))
    for r in week.records(path, "contracts"):
        if customer_key(r.get("customer") or "") == key and r.get("decision") == PENDING:
            week.change(path, r, "decision", AGREED)
            week.change(path, r, "decided", day)
            week.change(path, r, "comment", "同意")
    week.change(path, deal, "forecast", WON)
    week.change(path, deal, "win_probability", 100)
    week.change(path, deal, "expected_close", day)
    week.change(path, deal, "win_loss_reason", week.rng.choice(WIN_REASONS))


def _new_deal(week: _Week, path: Path, deal) -> None:
    """A follow-on deal with the same customer: a new row at stage 1, under the file's next project id."""
    ids = [r.get("project_id") for r in week.records(path, "pipeline") if r.get("project_id")]
    prefix, digits = re.match(r"(.*?)(\d+)$", max(ids)).groups()      # one prefix and width per file
    stage = STAGES[0]
    values = {**{key: deal.get(key) for key in deal.columns}, "delivered": None, "win_loss_reason": None,
              "project_id": f"{prefix}{int(digits) + 1:0{len(digits)}d}", "project": f"{deal.get('project')}二期",
              "stage": stage, "win_probability": stage_probability(stage), "forecast": FORECAST_OF_STAGE[1],
              "amount": round(float(deal.get("amount") or 10) * week.rng.uniform(0.3, 0.8), 1),
              "expected_close": workday(week.new_as_of + timedelta(days=week.rng.randint(60, 120)))}
    week.appends[path].append((deal.sheet, {deal.columns[k]: v for k, v in values.items() if k in deal.columns}))


def _move_stage(week: _Week, path: Path, deal) -> None:
    """The deal moves up one stage, with that stage's probability and forecast."""
    stage = STAGES[STAGES.index(deal.get("stage")) + 1]
    week.change(path, deal, "stage", stage)
    week.change(path, deal, "win_probability", stage_probability(stage))
    week.change(path, deal, "forecast", FORECAST_OF_STAGE[STAGES.index(stage) + 1])


def _apply_edits(path: Path, edits: dict[tuple[str, str], Any], appends: list[tuple[str, dict[str, Any]]]) -> None:
    """Change the cells and append the rows with openpyxl, then replace the file in one move."""
    workbook = load_workbook(path)
    for (sheet, ref), value in edits.items():
        _set_cell(workbook[sheet][ref], value)
    for sheet, values in appends:
        ws = workbook[sheet]
        row = ws.max_row + 1
        for column, value in values.items():
            _set_cell(ws[f"{column}{row}"], value)
    tmp = path.with_name(f".~tmp-{path.name}")
    try:
        workbook.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _set_cell(cell, value: Any) -> None:
    cell.value = value
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
