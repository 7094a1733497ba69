"""Commit accuracy, week over week: did the deals committed a week ago close?

The baseline is the latest snapshot whose as_of is at least 7 days before as_of (the latest run of that
day). Over the window (baseline as_of, as_of]: commit = the baseline's open 承诺 amount expected to close in
the window; closed = the amount won now with a closed date in the window; accuracy = closed ÷ commit × 100.
The trend repeats this between snapshots 7+ days apart, from the snapshots alone (which hold no 交付日期,
so 预计签约时间 dates them).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from xltools.forms.config import Config
from xltools.rollup.frames import after_until, as_day, as_text, latest, pct, total
from xltools.rollup.model import CommitAccuracy, LostDeal, Slip, TrendPoint
from xltools.rollup.pipeline import COMMIT

BASELINE_DAYS = 7
TREND_POINTS = 8


def commit_accuracy(pipe: pd.DataFrame, snaps: pd.DataFrame, as_of: dt.date, config: Config) -> CommitAccuracy:
    trend = commit_trend(snaps, weekly_snapshots(snaps, as_of))
    baseline = _baseline(snaps, as_of)
    if baseline is None:
        return CommitAccuracy(None, None, None, None, 0.0, 0.0, trend=trend)
    run, day = baseline
    base = snaps[snaps["run_id"] == run]
    commit = _commit_due(base, day, as_of)
    closed = total(pipe[pipe["won"] & after_until(pipe["closed_on"], day, as_of)]["amount"])
    value = pct(closed, commit)
    low, high = config.commit_accuracy_range
    return CommitAccuracy(value, None if value is None else low <= value <= high, int(run), day, commit, closed,
                          _slipped(base, pipe), _lost_since(base, pipe), trend)


def snapshot_days(snaps: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Snapshot day -> its latest run, for days up to as_of (several runs a day count once)."""
    return snaps[snaps["as_of"] <= pd.Timestamp(as_of)].groupby("as_of")["run_id"].max().sort_index()


def _baseline(snaps: pd.DataFrame, as_of: dt.date) -> tuple[int, dt.date] | None:
    """The latest snapshot taken at least BASELINE_DAYS before as_of (by its as_of)."""
    days = snapshot_days(snaps, as_of - dt.timedelta(days=BASELINE_DAYS))
    return (int(days.iloc[-1]), days.index[-1].date()) if len(days) else None


def weekly_snapshots(snaps: pd.DataFrame, as_of: dt.date) -> list[tuple[int, dt.date]]:
    """(run, day) of the latest snapshot up to as_of, then each one 7+ days before the last; oldest first."""
    days = snapshot_days(snaps, as_of)
    chain: list[tuple[int, dt.date]] = []
    for day, run in reversed(list(days.items())):
        day = day.date()
        if not chain or day <= chain[-1][1] - dt.timedelta(days=BASELINE_DAYS):
            chain.append((int(run), day))
    # Keep enough snapshots for TREND_POINTS windows.
    return list(reversed(chain[: TREND_POINTS + 1]))


def _commit_due(snap: pd.DataFrame, start: dt.date, end: dt.date) -> float:
    committed = snap[snap["open"] & (snap["forecast"] == COMMIT) & after_until(snap["expected_close"], start, end)]
    return total(committed["amount"])


def commit_trend(snaps: pd.DataFrame, chain: list[tuple[int, dt.date]]) -> list[TrendPoint]:
    points = []
    for (run_before, before), (run_after, after) in zip(chain, chain[1:]):
        later = snaps[snaps["run_id"] == run_after]
        closed = later[later["won"] & after_until(later["expected_close"], before, after)]
        points.append(TrendPoint(after, _commit_due(snaps[snaps["run_id"] == run_before], before, after),
                                 total(closed["amount"])))
    return points[-TREND_POINTS:]


def _by_project(frame: pd.DataFrame) -> pd.DataFrame:
    return latest(frame[frame["project_id"].notna()], ["project_id"]).set_index("project_id")


def _then_and_now(base: pd.DataFrame, pipe: pd.DataFrame) -> pd.DataFrame:
    """Projects in both the baseline and now; the baseline's columns end in ``_then``."""
    return _by_project(base).merge(_by_project(pipe), left_index=True, right_index=True, suffixes=("_then", ""))


def _slipped(base: pd.DataFrame, pipe: pd.DataFrame) -> list[Slip]:
    both = _then_and_now(base, pipe)
    moved = both[both["open"] & (both["expected_close"] > both["expected_close_then"])]
    slips = [Slip(str(pid), as_text(r["customer"]), r["rep"], float(r["amount"]),
                  as_day(r["expected_close_then"]), as_day(r["expected_close"])) for pid, r in moved.iterrows()]
    return sorted(slips, key=lambda s: (-s.amount, s.project_id))


def _lost_since(base: pd.DataFrame, pipe: pd.DataFrame) -> list[LostDeal]:
    both = _then_and_now(base, pipe)
    gone = both[both["lost"] & ~both["lost_then"]]
    deals = [LostDeal(str(pid), as_text(r["customer"]), r["rep"], float(r["amount"]), r["category_then"],
                      as_text(r["win_loss_reason"])) for pid, r in gone.iterrows()]
    return sorted(deals, key=lambda d: (-d.amount, d.project_id))
