"""Follow-ups due and overdue, as the follow-up-overdue rule sees them: each customer row's 下次跟进时间,
and each customer's latest visit's 下次回访时间. Overdue: before as_of; due: as_of to as_of + 7.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from xltools.rollup.frames import as_day, as_text, latest
from xltools.rollup.model import DueFollowUp, FollowUps, OverdueFollowUp

DUE_DAYS = 7


def due_follow_ups(customers: pd.DataFrame, visits: pd.DataFrame, as_of: dt.date) -> FollowUps:
    soon = as_of + dt.timedelta(days=DUE_DAYS)
    horizon = pd.Timestamp(soon)          # later dates are neither due nor overdue: skip them early
    due = [(r["rep"], as_text(r["customer"]), as_day(r["next_follow_up"]), "customer")
           for r in customers[customers["next_follow_up"] <= horizon].to_dict("records")]
    last_visits = latest(visits[visits["date"].notna() & (visits["ckey"] != "")], ["ckey"], ["date"])
    due += [(r["rep"], as_text(r["customer"]), as_day(r["next_visit"]), "visit")
            for r in last_visits[last_visits["next_visit"] <= horizon].to_dict("records")]
    due.sort(key=lambda d: (d[0], d[2], d[1], d[3]))
    return FollowUps(
        overdue=[OverdueFollowUp(rep, cust, day, kind, (as_of - day).days) for rep, cust, day, kind in due
                 if day < as_of],
        due_7d=[DueFollowUp(rep, cust, day, kind, (day - as_of).days) for rep, cust, day, kind in due
                if as_of <= day <= soon])
