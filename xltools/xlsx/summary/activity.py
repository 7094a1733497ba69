"""The 活动与指标 sheet: who sent their files in time, and activity against the targets."""
from __future__ import annotations

from xltools.ingest.submissions import LATE, MISSING, ON_TIME, deadline_text
from xltools.rollup.model import Summary
from xltools.text import Text
from xltools.xlsx.summary.table import Table, Words


def activity_tables(s: Summary, t: Words) -> list[Table]:
    return [_submissions_table(s, t), _activity_table(s, t)]


def _submissions_table(s: Summary, t: Words) -> Table:
    """Who sent their files for the week, and in time; late and missing reps flagged."""
    status = {ON_TIME: t(Text("按时", "On time")), LATE: t(Text("迟交", "Late")), MISSING: t(Text("本周没有新文件", "Nothing new"))}
    subs = s.submissions
    rows = [[r.rep, f"{r.last_changed:%Y-%m-%d %H:%M}" if r.last_changed else None, status[r.status]]
            for r in subs.reps]
    return Table("submissions", t(Text(f"交表情况（截止 {deadline_text(subs.deadline)}）",
                                  f"Submissions (deadline {deadline_text(subs.deadline)})")),
                 [t(Text("销售", "Rep")), t(Text("文件最后修改", "Files last changed")), t(Text("状态", "Status"))],
                 rows, ["text", "text", "text"], sheet="activity",
                 flags={(i, 2) for i, r in enumerate(subs.reps) if r.status != ON_TIME})


def _activity_table(s: Summary, t: Words) -> Table:
    """Visits, new customers, closed and margin against the targets, per rep: month, then quarter, then year."""
    rows = [[r.label, r.rep, r.visits, r.visits_target, r.visits_pct, r.new_customers, r.new_customers_target,
             r.new_customers_pct, r.closed, r.sales_target, r.sales_pct, r.margin_expected, r.margin_closed,
             r.margin_target, r.margin_pct] for r in s.activity]
    return Table("activity", t(Text("拜访、新客户、成交与毛利对比指标（本月、本季、本年）",
                               "Visits, new customers, closed and margin against targets")),
                 [t(Text("期间", "Period")), t(Text("销售", "Rep")), t(Text("拜访", "Visits")), t(Text("拜访指标", "Visit target")),
                  t(Text("完成率", "Done")), t(Text("新客户", "New customers")), t(Text("新客户指标", "New-customer target")),
                  t(Text("完成率", "Done")), t(Text("成交(万元)", "Closed")), t(Text("销售指标(万元)", "Sales target")), t(Text("完成率", "Done")),
                  t(Text("预期毛利(万元)", "Expected margin")), t(Text("成交毛利(万元)", "Closed margin")),
                  t(Text("毛利指标(万元)", "Margin target")), t(Text("完成率", "Done"))],
                 rows, ["text", "text", "int", "num", "pct", "int", "num", "pct", "money", "money", "pct",
                        "money", "money", "money", "pct"],
                 sheet="activity")
