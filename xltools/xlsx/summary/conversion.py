"""The 转化分析 sheet: stage-to-stage conversion, days per stage, the open pipeline's monthly growth."""
from __future__ import annotations

from xltools.rollup.conversion import GROWTH_GOOD, GROWTH_MINIMUM
from xltools.rollup.model import Summary
from xltools.rollup.pipeline import stages
from xltools.text import Text
from xltools.xlsx.summary.labels import label_number
from xltools.xlsx.summary.table import Table, Words


def conversion_tables(s: Summary, t: Words) -> list[Table]:
    """Stage-to-stage conversion with days per stage, and the open pipeline's monthly growth (``conversion.py``)."""
    c = s.conversion
    if c is None:
        return []
    names = stages()
    rows = [[t.choice("pipeline", "stage", names[r.stage - 1]), r.deals, r.reached, r.lost, r.conversion, r.loss_rate,
             r.avg_days] for r in c.by_stage]
    cycle = t(Text(f"平均销售周期（首次出现到成交，{c.won_deals} 个成交）", f"Average sales cycle (first seen to won, {c.won_deals} won)"))
    growth = [[g.month, g.open_pipeline, g.growth] for g in c.growth]
    return [Table("conversion", t(Text("阶段转化率与停留天数", "Stage conversion and days per stage")),
                  [t(Text("阶段", "Stage")), t(Text("曾处于该阶段", "Deals at stage")), t(Text("推进到下一阶段", "Moved on")),
                   t(Text("丢单", "Lost")), t(Text("转化率", "Conversion")), t(Text("丢单率", "Loss rate")), t(Text("平均停留天数", "Avg days"))],
                  rows, ["text", "int", "int", "int", "pct", "pct", "num"], sheet="conversion",
                  total=[cycle, None, None, None, None, None, c.avg_cycle_days]),
            Table("pipeline_growth", t(_growth_title()),
                  [t(Text("月份", "Month")), t(Text("月末在途商机(万元)", "Open pipeline at month end")), t(Text("环比增长", "Growth"))],
                  growth, ["text", "money", "pct"], sheet="conversion",
                  flags={(i, 2) for i, g in enumerate(c.growth) if g.healthy is False})]


def _growth_title() -> Text:
    good, minimum = label_number(GROWTH_GOOD), label_number(GROWTH_MINIMUM)
    return Text(f"在途商机月环比（{good}% 为好，{minimum}% 为底线）",
                f"Open pipeline month over month ({good}% good, {minimum}% minimum)")
