"""The 待跟进 sheet: follow-ups overdue and due within the next days."""
from __future__ import annotations

from xltools.rollup.follow_ups import DUE_DAYS

from xltools.rollup.model import Summary
from xltools.text import Text
from xltools.xlsx.summary.table import Table, Words


def follow_up_tables(s: Summary, t: Words) -> list[Table]:
    f = s.follow_ups
    overdue = Table("follow_ups_overdue", t(Text(f"逾期未跟进（{len(f.overdue)} 项）", f"Overdue ({len(f.overdue)})")),
                    [t(Text("销售", "Rep")), t(Text("客户", "Customer")), t(Text("类型", "Kind")), t(Text("应跟进日期", "Due")),
                     t(Text("逾期天数", "Days overdue"))],
                    [[o.rep, o.customer, _kind(o.kind, t), o.due, o.days_overdue] for o in f.overdue],
                    ["text", "text", "text", "date", "int"], sheet="follow_ups")
    due = Table("follow_ups_due", t(Text(f"未来 {DUE_DAYS} 天到期（{len(f.due_7d)} 项）", f"Due in the next {DUE_DAYS} days ({len(f.due_7d)})")),
                [t(Text("销售", "Rep")), t(Text("客户", "Customer")), t(Text("类型", "Kind")), t(Text("应跟进日期", "Due")),
                 t(Text("剩余天数", "Days left"))],
                [[d.rep, d.customer, _kind(d.kind, t), d.due, d.days_left] for d in f.due_7d],
                ["text", "text", "text", "date", "int"], sheet="follow_ups")
    return [overdue, due]


def _kind(kind: str, t: Words) -> str:
    return t(Text("客户跟进", "Customer follow-up")) if kind == "customer" else t(Text("回访", "Visit"))
