"""What changed in the pipeline since a reference snapshot: the manager's weekly review.

Computed from the store's pipeline snapshots (one per merge run) and the pipeline now.

- **Reference**: with ``since``, the latest snapshot taken on or before that day, else the
  earliest one; by default the latest snapshot at least 7 days before as_of, else the earliest.
  Several runs on one day count as that day's last run.
- **Same deal**: project ids are compared after NFKC, without spaces and case-blind, so
  ``p-001``, ``Ｐ－００１`` and ``P 001`` are one deal.
- **Kinds**: new, removed, advanced / moved-back (stage 1-5 number up / down), won, lost,
  slipped / pulled-in (预计签约时间 later / earlier), amount-up / amount-down and
  forecast-changed (not counted when the deal was just won or lost).
- **Movement** of the open pipeline (万元): start + new + increased − decreased − won − lost −
  removed = end. A deal won, lost or removed leaves with its reference amount; a deal open
  both times moves by its amount change; a deal open now but not then (new, or reopened)
  enters with its amount. Per rep, a deal counts for its owner now (else then), so every
  rep's movement reconciles too.
- **Stalled**: an open deal whose stage has been the same, in the snapshots up to as_of,
  for more days than ``config.stall_days`` allows for that stage; a deal first seen already
  in its stage counts from its first snapshot.
- **Weeks**: the weekly snapshots of the commit-accuracy trend, with each week's open and
  weighted pipeline, and its commit accuracy (closed ÷ the commit of the week before).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xltools.forms.config import Config
from xltools.rollup.commit_accuracy import commit_trend, snapshot_days, weekly_snapshots
from xltools.rollup.frames import as_day, as_text, month_span, quarter_span
from xltools.rollup.pipeline import stage_number

KINDS = ["new", "removed", "advanced", "moved-back", "won", "lost", "slipped", "pulled-in", "amount-up",
         "amount-down", "forecast-changed"]
BAD_KINDS = {"removed", "moved-back", "lost", "slipped", "amount-down"}
"""The kinds a manager reads as bad news (shown in red)."""
STATE_FIELDS = ["stage", "amount", "expected_close", "forecast", "win_probability"]


@dataclass
class DealChange:
    project_id: str
    project: str
    customer: str
    owner: str
    kinds: list[str]
    before: dict | None
    after: dict | None


@dataclass
class Movement:
    """The open pipeline's bridge from the reference snapshot to now (万元)."""
    start: float = 0.0
    new: float = 0.0
    increased: float = 0.0
    decreased: float = 0.0
    won: float = 0.0
    lost: float = 0.0
    removed: float = 0.0
    end: float = 0.0


@dataclass
class RepMovement:
    rep: str
    movement: Movement


@dataclass
class Slipping:
    """Open deals whose expected close moved later; of them, those that left this month / quarter."""
    count: int = 0
    amount: float = 0.0
    out_of_month_count: int = 0
    out_of_month_amount: float = 0.0
    out_of_quarter_count: int = 0
    out_of_quarter_amount: float = 0.0


@dataclass
class StalledDeal:
    project_id: str
    project: str
    customer: str
    owner: str
    stage: str
    amount: float
    in_stage_since: dt.date
    days_in_stage: int
    limit_days: int


@dataclass
class WeekPoint:
    as_of: dt.date
    open_amount: float
    weighted_amount: float
    commit: float | None
    closed: float | None
    accuracy: float | None


@dataclass
class Changes:
    since: dt.date | None
    """The reference snapshot's day (None without any snapshot)."""
    snapshots: int
    """Snapshot days up to as_of: with fewer than two there is nothing to compare."""
    deals: list[DealChange] = field(default_factory=list)
    movement: Movement = field(default_factory=Movement)
    by_rep: list[RepMovement] = field(default_factory=list)
    slipped: Slipping = field(default_factory=Slipping)
    stalled: list[StalledDeal] = field(default_factory=list)
    weeks: list[WeekPoint] = field(default_factory=list)


def deal_key(project_id: Any) -> str:
    """The deal a project id names, however it was typed (case, full-width, spaces)."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", str(project_id))).casefold()


def pipeline_changes(pipe: pd.DataFrame, snaps: pd.DataFrame, as_of: dt.date, config: Config,
                     since: dt.date | None = None) -> Changes:
    """The review's numbers. ``pipe`` and ``snaps`` are classified (``pipeline.classify``)."""
    days = snapshot_days(snaps, as_of)
    weeks = _weeks(snaps, weekly_snapshots(snaps, as_of))
    if not len(days):
        return Changes(None, 0, weeks=weeks)
    run, ref_day = _reference(days, as_of, since)
    then, now = _by_deal(snaps[snaps["run_id"] == run]), _by_deal(pipe)
    deals = [_deal_change(key, then.get(key), now.get(key)) for key in sorted(set(then) | set(now))]
    deals = [d for d in deals if d.kinds]
    movement, by_rep = _movements(then, now)
    return Changes(ref_day, len(days), sorted(deals, key=_deal_order), movement, by_rep,
                   _slipping(then, now, month_span(as_of), quarter_span(as_of)),
                   _stalled(now, snaps, days, as_of, config), weeks)


def _reference(days: pd.Series, as_of: dt.date, since: dt.date | None) -> tuple[int, dt.date]:
    cutoff = pd.Timestamp(since if since else as_of - dt.timedelta(days=7))
    before = days[days.index <= cutoff]
    day = before.index[-1] if len(before) else days.index[0]
    return int(days[day]), day.date()


def _by_deal(frame: pd.DataFrame) -> dict[str, dict]:
    """Key -> the deal's row as a dict (the last one in store order when an id repeats); dicts,
    not Series: the comparisons below read single values, which a Series makes slow."""
    rows = frame[frame["project_id"].notna()].sort_values("order", kind="stable")
    return {deal_key(r["project_id"]): r for r in rows.to_dict("records")}


# Deals
def _deal_change(key: str, then: dict | None, now: dict | None) -> DealChange:
    row = now if now is not None else then
    return DealChange(as_text(row["project_id"]), as_text(row.get("project")), as_text(row.get("customer")), row["rep"],
                      _kinds(then, now), _state(then), _state(now))


def _kinds(then: dict | None, now: dict | None) -> list[str]:
    if then is None:
        return ["new"]
    if now is None:
        return ["removed"]
    kinds = []
    before, after = stage_number(then["stage"]), stage_number(now["stage"])
    if before and after and before < 6 and after < 6 and before != after:
        kinds.append("advanced" if after > before else "moved-back")
    won, lost = bool(now["won"] and not then["won"]), bool(now["lost"] and not then["lost"])
    kinds += ["won"] * won + ["lost"] * lost
    if pd.notna(then["expected_close"]) and pd.notna(now["expected_close"]):
        if now["expected_close"] != then["expected_close"]:
            kinds.append("slipped" if now["expected_close"] > then["expected_close"] else "pulled-in")
    if now["amount"] != then["amount"]:
        kinds.append("amount-up" if now["amount"] > then["amount"] else "amount-down")
    if not (won or lost) and as_text(now["forecast"]) != as_text(then["forecast"]):
        kinds.append("forecast-changed")
    return kinds


def _state(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {"stage": as_text(row["stage"]) or None, "amount": float(row["amount"]),
            "expected_close": as_day(row["expected_close"]), "forecast": as_text(row["forecast"]) or None,
            "win_probability": None if pd.isna(row["win_probability"]) else float(row["win_probability"])}


def _deal_order(d: DealChange) -> tuple:
    return (KINDS.index(d.kinds[0]), d.owner, d.project_id)


# Movement
def _movements(then: dict[str, dict], now: dict[str, dict]) -> tuple[Movement, list[RepMovement]]:
    total, reps = Movement(), {}
    for key in set(then) | set(now):
        old, new = then.get(key), now.get(key)
        rep = (new if new is not None else old)["rep"]
        for m in (total, reps.setdefault(rep, Movement())):
            _move(m, old, new)
    return total, [RepMovement(rep, reps[rep]) for rep in sorted(reps)]


def _move(m: Movement, old: dict | None, new: dict | None) -> None:
    was_open, is_open = old is not None and bool(old["open"]), new is not None and bool(new["open"])
    if was_open:
        m.start += old["amount"]
        if new is None:
            m.removed += old["amount"]
        elif new["won"]:
            m.won += old["amount"]
        elif new["lost"]:
            m.lost += old["amount"]
        else:
            delta = new["amount"] - old["amount"]
            m.increased += max(delta, 0.0)
            m.decreased += max(-delta, 0.0)
    elif is_open:
        m.new += new["amount"]
    if is_open:
        m.end += new["amount"]


def _slipping(then: dict, now: dict, month: tuple, quarter: tuple) -> Slipping:
    s = Slipping()
    for key, new in now.items():
        old = then.get(key)
        if old is None or not new["open"] or not (new["expected_close"] > old["expected_close"]):
            continue
        s.count, s.amount = s.count + 1, s.amount + new["amount"]
        if month[0] <= old["expected_close"] <= month[1] < new["expected_close"]:
            s.out_of_month_count, s.out_of_month_amount = s.out_of_month_count + 1, s.out_of_month_amount + new["amount"]
        if quarter[0] <= old["expected_close"] <= quarter[1] < new["expected_close"]:
            s.out_of_quarter_count += 1
            s.out_of_quarter_amount += new["amount"]
    return s


# Stalled deals
def _stalled(now: dict, snaps: pd.DataFrame, days: pd.Series, as_of: dt.date, config: Config) -> list[StalledDeal]:
    history = _stage_history(snaps, days)
    stalled = []
    for key, row in now.items():
        limit = config.stall_days.get(stage_number(row["stage"]))
        if not row["open"] or limit is None:
            continue
        since = _in_stage_since(history.get(key, []), as_text(row["stage"]), as_of)
        held = (as_of - since).days
        if held > limit:
            stalled.append(StalledDeal(as_text(row["project_id"]), as_text(row["project"]), as_text(row["customer"]),
                                       row["rep"], as_text(row["stage"]), float(row["amount"]), since, held, limit))
    return sorted(stalled, key=lambda s: (-s.days_in_stage, s.project_id))


def _stage_history(snaps: pd.DataFrame, days: pd.Series) -> dict[str, list[tuple[dt.date, str]]]:
    """Deal -> (snapshot day, stage), oldest first, one entry per snapshot day."""
    history: dict[str, list[tuple[dt.date, str]]] = {}
    for day, run in days.items():
        for key, row in _by_deal(snaps[snaps["run_id"] == run]).items():
            history.setdefault(key, []).append((day.date(), as_text(row["stage"])))
    return history


def _in_stage_since(history: list[tuple[dt.date, str]], stage: str, as_of: dt.date) -> dt.date:
    """The first snapshot day of the latest unbroken run of ``stage``; as_of if the stage is newer."""
    since = as_of
    for day, seen in reversed(history):
        if seen != stage:
            break
        since = day
    return since


# Weeks
def _weeks(snaps: pd.DataFrame, chain: list[tuple[int, dt.date]]) -> list[WeekPoint]:
    accuracy = {p.as_of: p for p in commit_trend(snaps, chain)}
    points = []
    for run, day in chain:
        snap = snaps[(snaps["run_id"] == run) & snaps["open"]]
        p = accuracy.get(day)
        points.append(WeekPoint(day, float(snap["amount"].sum()), float(snap["weighted"].sum()),
                                p and p.commit, p and p.closed,
                                p.closed / p.commit * 100 if p and p.commit else None))
    return points

