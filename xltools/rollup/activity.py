"""Activity against targets: per rep, for the month, quarter and year of as_of (seed 001's 销售任务书).

Definitions:

- **Visits**: pre-sale visits (拜访客户详细资料表, by their 拜访人) and after-sales visits (客户回访记录表, by their
  回访人) dated in the period up to as_of; against the sum of the targets' 拜访指标 of the period's months.
- **New customers**: customers whose earliest row in customer information was first seen by a merge whose as-of day
  falls in the period, by their owner; against the sum of 新客户指标. (The customers of the very first merge all
  count as new in its month.)
- **Closed**: won deals with a closed date in the period (as ``rollup`` dates them); against the sum of 销售指标.
- **Margin** of a deal: 预计签约金额 × 预计毛利率 (a deal without 预计毛利率 adds none). Closed margin: of the closed
  deals above, against the sum of 毛利指标. Expected margin: of the open deals whose 预计签约时间 falls in the period.
- A rep is listed when the targets name them or they have any of these in the period. Attainment is None without a
  target.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from xltools.rollup.frames import month_span, pct, quarter_label, quarter_span

PERIODS = ("month", "quarter", "year")


@dataclass
class ActivityRow:
    period: str                      # month | quarter | year
    label: str                       # 2024-04 | 2024Q2 | 2024
    rep: str
    visits: int
    visits_target: float | None
    visits_pct: float | None
    new_customers: int
    new_customers_target: float | None
    new_customers_pct: float | None
    closed: float
    sales_target: float | None
    sales_pct: float | None
    margin_expected: float
    margin_closed: float
    margin_target: float | None
    margin_pct: float | None


def activity(customers: pd.DataFrame, visits: pd.DataFrame, targets: pd.DataFrame, pipe: pd.DataFrame,
             runs: pd.DataFrame, as_of: dt.date) -> list[ActivityRow]:
    """The rows for each period of as_of, each period's reps by name."""
    run_day = dict(zip(runs["started_at"].astype(str), pd.to_datetime(runs["as_of"], errors="coerce")))
    new = customers[customers["ckey"] != ""].sort_values("_first_seen", kind="stable").drop_duplicates("ckey")
    new = new.assign(seen=pd.to_datetime(pd.Series([run_day.get(str(s)) for s in new["_first_seen"]],
                                                   index=new.index, dtype=object)))
    pipe = pipe.assign(margin_amount=pipe["amount"] * pipe["margin"].fillna(0) / 100)
    rows = []
    for period in PERIODS:
        start, end, label = _period(as_of, period)
        until = min(end, pd.Timestamp(as_of))
        done = visits[visits["date"].between(start, until)].groupby("rep").size()
        gained = new[new["seen"].between(start, end)].groupby("rep").size()
        won = pipe[pipe["won"] & pipe["closed_on"].between(start, end)].groupby("rep")
        closed, margin_closed = won["amount"].sum(), won["margin_amount"].sum()
        expected = pipe[pipe["open"] & pipe["expected_close"].between(start, end)].groupby("rep")["margin_amount"].sum()
        goal = targets[targets["month"].between(start, end)].groupby("rep")[["visits", "new_customers", "sales_target",
                                                                           "margin_target"]].sum(min_count=1)
        for rep in sorted((set(goal.index) | set(done.index) | set(gained.index) | set(closed.index)
                           | set(expected.index)) - {""}):
            target = goal.loc[rep] if rep in goal.index else None
            rows.append(_row(period, label, rep, int(done.get(rep, 0)), int(gained.get(rep, 0)),
                             float(closed.get(rep, 0.0)), float(expected.get(rep, 0.0)),
                             float(margin_closed.get(rep, 0.0)), target))
    return rows


def _row(period: str, label: str, rep: str, visits: int, new: int, closed: float, margin_expected: float,
         margin_closed: float, target) -> ActivityRow:
    def goal(key):
        return None if target is None or pd.isna(target[key]) else float(target[key])
    return ActivityRow(period, label, rep, visits, goal("visits"), pct(visits, goal("visits")), new,
                       goal("new_customers"), pct(new, goal("new_customers")), closed, goal("sales_target"),
                       pct(closed, goal("sales_target")), margin_expected, margin_closed, goal("margin_target"),
                       pct(margin_closed, goal("margin_target")))


def _period(day: dt.date, period: str) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    if period == "month":
        return (*month_span(day), f"{day:%Y-%m}")
    if period == "quarter":
        return (*quarter_span(day), quarter_label(day))
    return pd.Timestamp(day.year, 1, 1), pd.Timestamp(day.year, 12, 31), str(day.year)
