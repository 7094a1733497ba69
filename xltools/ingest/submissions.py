"""Submission discipline: who sent their files for the week, and in time ("100% 上交，没有例外", seed 002).

- **Reps**: those the targets name and those whose files merge has seen (the targets workbook is the admin's,
  not a rep's submission).
- **Last changed**: the newest modification time of a rep's active files, as merge recorded it when it read
  new contents (an unchanged copy saved again does not count).
- **The week**: the seven days up to the first weekly deadline (``submission_deadline``, default Sunday 24:00)
  after the start of the day before as_of: a merge on the day after the deadline (Monday) reviews the week just
  ended, one later in the week the week under way.
- **Status**: ``on_time`` changed within the week; ``late`` changed after its deadline; ``missing`` nothing new
  this week (or never).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from xltools.text import texts

ON_TIME, LATE, MISSING = "on_time", "late", "missing"


@dataclass
class Submission:
    rep: str
    last_changed: dt.datetime | None
    status: str                      # on_time | late | missing


@dataclass
class Submissions:
    deadline: dt.datetime | None = None
    reps: list[Submission] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """The reps with nothing new this week."""
        return [s.rep for s in self.reps if s.status == MISSING]

    @property
    def late(self) -> list[str]:
        return [s.rep for s in self.reps if s.status == LATE]

    def to_dict(self) -> dict:
        """JSON-ready, with the lists of late and missing reps."""
        return {"deadline": _iso(self.deadline), "missing": self.missing, "late": self.late,
                "reps": [{"rep": s.rep, "last_changed": _iso(s.last_changed), "status": s.status} for s in self.reps]}

    def to_text(self, lang: str) -> str:
        """One line for the admin after merge: the deadline, how many on time, who was late, who sent nothing."""
        words = {key: text(lang) for key, text in _WORDS.items()}
        late = words["list"].join(f"{s.rep} ({s.last_changed:%m-%d %H:%M})" for s in self.reps if s.status == LATE)
        parts = [words["on_time"].format(n=sum(s.status == ON_TIME for s in self.reps))]
        if late:
            parts.append(words["late"] + late)
        if self.missing:
            parts.append(words["missing"] + words["list"].join(self.missing))
        return words["deadline"].format(day=deadline_text(self.deadline)) + words["sep"].join(parts)


_WORDS = texts({"on_time": ("按时 {n} 人", "{n} on time"), "late": ("迟交：", "late: "),
                "missing": ("本周没有新文件：", "nothing new this week: "),
                "deadline": ("交表截止 {day}：", "Deadline {day}: "), "sep": ("；", "; "), "list": ("、", ", ")})


def deadline_text(moment: dt.datetime | None) -> str:
    """2024-04-07 24:00 rather than 2024-04-08 00:00: the day the reps think of."""
    if moment is None:
        return ""
    if moment.time() == dt.time():
        return f"{moment - dt.timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{moment:%Y-%m-%d %H:%M}"


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(sep=" ") if moment else None


def weekly_deadline(as_of: dt.date, setting: tuple) -> dt.datetime:
    """The first deadline after the start of the day before as_of (Sunday 24:00 is Monday's midnight)."""
    weekday, hour = setting
    start = dt.datetime.combine(as_of - dt.timedelta(days=1), dt.time())
    days = [start + dt.timedelta(days=i) for i in range(8)]
    return min(day + dt.timedelta(hours=hour) for day in days
               if day.isoweekday() == int(weekday) and day + dt.timedelta(hours=hour) > start)


def submissions(files, targets: pd.DataFrame, as_of: dt.date, setting: tuple) -> Submissions:
    """Each rep's last change and status, by name (``files``: the store's files; ``targets``: its targets rows)."""
    deadline = weekly_deadline(as_of, setting)
    changed: dict[str, dt.datetime | None] = {rep: None for rep in targets["rep"].dropna() if rep}
    admin = set(targets["_file_id"])
    for f in files:
        if not f.rep or f.id in admin:
            continue
        moment = dt.datetime.fromisoformat(f.modified) if f.modified and f.status == "active" else None
        before = changed.get(f.rep)
        changed[f.rep] = max(filter(None, (before, moment)), default=None)
    return Submissions(deadline, [Submission(rep, last, _status(last, deadline)) for rep, last in sorted(changed.items())])


def _status(last: dt.datetime | None, deadline: dt.datetime) -> str:
    if last is None or last <= deadline - dt.timedelta(days=7):
        return MISSING
    return ON_TIME if last <= deadline else LATE
