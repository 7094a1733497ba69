"""The 回款 sheet: receivables per rep and by age, instalments overdue and due soon."""
from __future__ import annotations

from xltools.rollup.model import Summary
from xltools.rollup.receivables import DUE_SOON_DAYS
from xltools.text import Text
from xltools.xlsx.summary.table import Table, Words


def collections_tables(s: Summary, t: Words) -> list[Table]:
    """The 回款 sheet: receivables per rep, their ageing, and the instalments due soon and overdue."""
    c = s.collections
    money = [t(Text("合同额(万元)", "Contracted")), t(Text("已回款(万元)", "Received")), t(Text("应收(万元)", "Receivable")),
             t(Text("逾期应收(万元)", "Overdue")), t(Text("回款率", "Collection rate"))]
    instalment = [t(Text("销售", "Rep")), t(Text("客户", "Customer")), t(Text("合同编号", "Contract")), t(Text("回款节点", "Instalment")),
                  t(Text("计划回款日期", "Due")), t(Text("未收(万元)", "Outstanding"))]
    listed = ["text", "text", "text", "text", "date", "money", "int"]

    def rows(items) -> list[list]:
        return [[i.rep, i.customer, i.contract_id, t.choice("collections", "milestone", i.milestone), i.due,
                 i.outstanding, i.days] for i in items]
    return [
        Table("collections_reps", t(Text("各销售回款", "Collections per rep")), [t(Text("销售", "Rep")), *money],
              [[r.rep, r.contracted, r.received, r.receivable, r.overdue, r.rate] for r in c.by_rep],
              ["text", "money", "money", "money", "money", "pct"], sheet="collections",
              total=[t(Text("合计", "Total")), c.contracted, c.received, c.receivable, c.overdue, c.rate]),
        Table("collections_ageing", t(Text("逾期应收账龄", "Overdue receivables by age")),
              [t(Text("逾期天数", "Days overdue")), t(Text("金额(万元)", "Amount"))],
              [[t(Text(f"{label} 天", f"{label} days")), amount] for label, amount in c.ageing.items()],
              ["text", "money"], sheet="collections", total=[t(Text("合计", "Total")), c.overdue]),
        Table("collections_overdue", t(Text(f"逾期回款（{len(c.overdue_list)} 笔，周会跟进）",
                                       f"Overdue instalments ({len(c.overdue_list)}, for the weekly review)")),
              [*instalment, t(Text("逾期天数", "Days overdue"))], rows(c.overdue_list), listed, sheet="collections"),
        Table("collections_due", t(Text(f"未来 {DUE_SOON_DAYS} 天应回款（{len(c.due_soon)} 笔）",
                                   f"Due in the next 30 days ({len(c.due_soon)})")),
              [*instalment, t(Text("剩余天数", "Days left"))], rows(c.due_soon), listed, sheet="collections"),
    ]
