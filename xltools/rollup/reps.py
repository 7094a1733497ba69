"""One row per rep: customers by grade, visits, follow-ups, pipeline, targets, objections and findings.

- **Targets**: the rep's 销售指标 for the as_of month. remaining = max(target − closed, 0);
  coverage = open pipeline ÷ remaining × 100 (None without a remaining target), flagged
  below ``config.coverage_healthy``.
- **Visits this month** count pre-sale visits (拜访客户详细资料表) and after-sales visits (客户回访记录表) dated
  in as_of's month up to as_of. Satisfaction averages after-sales visits dated up to as_of. Findings count for
  files still active.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from xltools.forms.config import Config
from xltools.rollup.frames import latest, mean, month_span, pct, total, within
from xltools.rollup.load import StoreData
from xltools.rollup.model import FollowUps, RepRow
from xltools.rollup.objections import open_objections
from xltools.rollup.pipeline import COMMIT


@dataclass
class _RepFrames:
    """The rows each per-rep column counts, already cut to as_of's month where it matters."""
    customers: pd.DataFrame            # one row per rep and customer
    visits: pd.DataFrame               # visits up to as_of
    visits_month: pd.DataFrame         # pre-sale and after-sales visits in as_of's month up to as_of
    open: pd.DataFrame
    won_month: pd.DataFrame
    objections: pd.DataFrame           # open ones, with an ``overdue`` column
    findings: pd.DataFrame
    targets: pd.Series                 # rep -> this month's target
    overdue_follow_ups: pd.Series      # rep -> count

    def names(self) -> list[str]:
        frames = (self.customers, self.visits, self.open, self.won_month, self.objections, self.findings)
        return sorted(({n for f in frames for n in f["rep"]} | set(self.targets.index)) - {""})


def _rep_frames(data: StoreData, pipe: pd.DataFrame, follow_ups: FollowUps, as_of: dt.date) -> _RepFrames:
    month = month_span(as_of)
    visits, every_visit = visits_to(data.visits, as_of), visits_to(all_visits(data), as_of)
    targets = latest(data.targets[within(data.targets["month"], month)], ["rep"])
    return _RepFrames(
        customers=latest(data.customers[data.customers["ckey"] != ""], ["rep", "ckey"]),
        visits=visits, visits_month=every_visit[within(every_visit["date"], month)],
        open=pipe[pipe["open"]], won_month=pipe[pipe["won"] & within(pipe["closed_on"], month)],
        objections=open_objections(data.objections, as_of), findings=data.findings,
        targets=targets.set_index("rep")["sales_target"].dropna(),
        overdue_follow_ups=pd.Series([f.rep for f in follow_ups.overdue], dtype=object).value_counts())


def rep_rows(data: StoreData, pipe: pd.DataFrame, follow_ups: FollowUps, as_of: dt.date, config: Config) -> list[RepRow]:
    frames = _rep_frames(data, pipe, follow_ups, as_of)
    split = _RepSplit()
    return [_rep_row(rep, frames, config, lambda frame: split(frame, rep)) for rep in frames.names()]


class _RepSplit:
    """Each frame split by rep once, not filtered again for every rep."""

    def __init__(self):
        self.parts: dict[int, tuple[pd.DataFrame, dict[str, pd.DataFrame]]] = {}

    def __call__(self, frame: pd.DataFrame, rep: str) -> pd.DataFrame:
        if id(frame) not in self.parts:
            self.parts[id(frame)] = (frame, dict(tuple(frame.groupby("rep", sort=False))))
        return self.parts[id(frame)][1].get(rep, frame.iloc[0:0])


def _rep_row(rep: str, f: _RepFrames, config: Config, mine) -> RepRow:
    target = float(f.targets[rep]) if rep in f.targets.index else None
    closed, open_amount = total(mine(f.won_month)["amount"]), total(mine(f.open)["amount"])
    remaining = max(target - closed, 0.0) if target is not None else None
    coverage = pct(open_amount, remaining)
    grades = mine(f.customers)["grade"].value_counts()
    objections, severities = mine(f.objections), mine(f.findings)["severity"]
    return RepRow(
        rep=rep, customers_a=int(grades.get("A类", 0)), customers_b=int(grades.get("B类", 0)),
        customers_c=int(grades.get("C类", 0)), visits_this_month=len(mine(f.visits_month)),
        overdue_follow_ups=int(f.overdue_follow_ups.get(rep, 0)),
        open_pipeline=open_amount, weighted_pipeline=total(mine(f.open)["weighted"]),
        commit=total(mine(f.open)["amount"].where(mine(f.open)["forecast"] == COMMIT)), closed_this_month=closed,
        target=target, attainment=pct(closed, target), remaining_target=remaining, coverage=coverage,
        coverage_flag=coverage is not None and coverage < config.coverage_healthy,
        avg_satisfaction=mean(mine(f.visits)["satisfaction"]),
        open_objections=len(objections), overdue_objections=int(objections["overdue"].sum()),
        errors=int((severities == "error").sum()), warnings=int((severities == "warning").sum()))


def all_visits(data: StoreData) -> pd.DataFrame:
    """Every visit a rep made: pre-sale (拜访客户详细资料表) and after-sales (客户回访记录表)."""
    columns = ["date", "rep", "ckey"]
    return pd.concat([data.visits[columns], data.presale_visits[columns]], ignore_index=True)


def visits_to(visits: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Visits that happened: a visit dated after as_of is a plan, not a visit."""
    return visits[visits["date"] <= pd.Timestamp(as_of)]
