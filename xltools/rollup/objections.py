"""Customer objections: how many of each type are still open, and the open ones past their planned resolution.

Open = 状态 未解决 or blank; overdue = open with 计划解决时间 before as_of. A blank category counts as 其他.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from xltools.forms.schema import load_schema, vocabulary
from xltools.rollup.frames import as_day, as_text
from xltools.rollup.model import ObjectionType, Objections, OverdueObjection

RESOLVED = vocabulary("objections", "status", "resolved")
OTHER_CATEGORY = "其他"


def objection_categories() -> list[str]:
    return load_schema().sheets["objections"].field("category").choice_values()


def open_objections(objections: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    open_ = objections[objections["status"] != RESOLVED].copy()
    open_["overdue"] = open_["resolve_by"] < pd.Timestamp(as_of)
    return open_


def objection_summary(objections: pd.DataFrame, as_of: dt.date) -> Objections:
    category = objections["category"].where(objections["category"].notna(), OTHER_CATEGORY)
    is_open = objections["status"] != RESOLVED
    by_type = [ObjectionType(c, int((category == c).sum()), int(((category == c) & is_open).sum()))
               for c in objection_categories()]
    overdue = [OverdueObjection(as_text(r["customer"]), as_text(r["category"]) or OTHER_CATEGORY, as_text(r["objection"]),
                                r["rep"], as_day(r["raised"]), as_day(r["resolve_by"]),
                                (as_of - as_day(r["resolve_by"])).days)
               for _, r in open_objections(objections, as_of).query("overdue").iterrows()]
    overdue.sort(key=lambda o: (-o.days_overdue, o.customer, o.objection))
    return Objections(by_type, overdue)
