"""The 商机变化 sheet: the open pipeline's bridge, changed, slipped and stalled deals, the weekly trend."""
from __future__ import annotations

from xltools.rollup.changes import BAD_KINDS, KINDS
from xltools.rollup.model import Summary
from xltools.text import Text, texts
from xltools.xlsx.summary.labels import commit_band
from xltools.xlsx.summary.table import Table, Words


_KIND_WORDS = texts({"new": ("新增", "New"), "removed": ("移除", "Removed"), "advanced": ("推进", "Advanced"),
               "moved-back": ("回退", "Moved back"), "won": ("成交", "Won"), "lost": ("丢单", "Lost"),
               "slipped": ("推迟签约", "Slipped"), "pulled-in": ("提前签约", "Pulled in"),
               "amount-up": ("金额增加", "Amount up"), "amount-down": ("金额减少", "Amount down"),
               "forecast-changed": ("预测类别变化", "Forecast changed")})


def changes_tables(s: Summary, t: Words) -> list[Table]:
    c = s.changes
    return [_movement_table(s, t), _rep_movement_table(c, t), _slip_table(c, t), _deal_changes_table(c, t),
            _stalled_table(c, t), _weeks_table(s, t)]


def _movement_table(s: Summary, t: Words) -> Table:
    """The bridge: each step's amount, and the columns its stacked-column chart draws (base, up, down, total)."""
    m = s.changes.movement
    steps = [(t(Text("期初", "Start")), m.start, 0), (t(Text("新增", "New")), m.new, 1), (t(Text("金额增加", "Increased")), m.increased, 1),
             (t(Text("金额减少", "Decreased")), m.decreased, -1), (t(Text("成交", "Won")), m.won, -1),
             (t(Text("丢单", "Lost")), m.lost, -1), (t(Text("移除", "Removed")), m.removed, -1), (t(Text("期末", "End")), m.end, 0)]
    rows, level = [], 0.0
    for label, amount, sign in steps:
        if sign == 0:
            rows.append([label, amount, 0.0, 0.0, 0.0, amount])
            level = amount
        else:
            level += sign * amount
            rows.append([label, sign * amount or 0.0, min(level, level - sign * amount), amount * (sign > 0),
                         amount * (sign < 0), 0.0])
    since = s.changes.since or "—"
    return Table("movement", t(Text(f"在途商机变化（{since} → {s.as_of}）", f"Open pipeline, {since} → {s.as_of}")),
                 [t(Text("变化", "Movement")), t(Text("金额(万元)", "Amount (10k CNY)")), t(Text("图：基线", "Chart: base")),
                  t(Text("图：增加", "Chart: up")), t(Text("图：减少", "Chart: down")), t(Text("图：期初/期末", "Chart: total"))],
                 rows, ["text"] + ["money"] * 5, sheet="changes", flags={(i, 1) for i in (3, 5, 6) if rows[i][1]})


def _rep_movement_table(c, t: Words) -> Table:
    rows = [[r.rep, *_bridge(r.movement)] for r in c.by_rep]
    return Table("movement_reps", t(Text("各销售的在途商机变化（万元）", "Open pipeline movement per rep (10k CNY)")),
                 [t(Text("销售", "Rep")), t(Text("期初", "Start")), t(Text("新增", "New")), t(Text("金额增加", "Increased")),
                  t(Text("金额减少", "Decreased")), t(Text("成交", "Won")), t(Text("丢单", "Lost")), t(Text("移除", "Removed")), t(Text("期末", "End"))],
                 rows, ["text"] + ["money"] * 8, sheet="changes", total=[t(Text("合计", "Total")), *_bridge(c.movement)])


def _bridge(m) -> list[float]:
    return [m.start, m.new, m.increased, m.decreased, m.won, m.lost, m.removed, m.end]


def _slip_table(c, t: Words) -> Table:
    p = c.slipped
    rows = [[t(Text("推迟签约", "Slipped")), p.count, p.amount],
            [t(Text("其中移出本月", "of which out of this month")), p.out_of_month_count, p.out_of_month_amount],
            [t(Text("其中移出本季", "of which out of this quarter")), p.out_of_quarter_count, p.out_of_quarter_amount]]
    return Table("slips", t(Text("推迟签约的在途商机", "Open deals that slipped")),
                 [t(Text("推迟签约", "Slipped")), t(Text("商机数", "Deals")), t(Text("金额(万元)", "Amount (10k CNY)"))],
                 rows, ["text", "int", "money"], sheet="changes")


def _deal_changes_table(c, t: Words) -> Table:
    pairs = sorted(((kind, d) for d in c.deals for kind in d.kinds), key=lambda kd: KINDS.index(kd[0]))
    rows, flags = [], set()
    for i, (kind, d) in enumerate(pairs):
        amount = (d.after or d.before)["amount"]
        rows.append([t(_KIND_WORDS[kind]), d.project_id, d.project, d.customer, d.owner,
                     _before_after(kind, d, t), amount])
        if kind in BAD_KINDS:
            flags |= {(i, 0), (i, 5)}
    return Table("deal_changes", t(Text("变化的商机（按变化类型，可筛选）", "Changed deals by kind (filterable)")),
                 [t(Text("变化类型", "Kind")), t(Text("项目编号", "Project ID")), t(Text("项目名称", "Project")), t(Text("客户", "Customer")),
                  t(Text("跟进人", "Owner")), t(Text("原 → 现", "Before → after")), t(Text("金额(万元)", "Amount (10k CNY)"))],
                 rows, ["text", "text", "text", "text", "text", "text", "money"], sheet="changes", flags=flags)


def _before_after(kind: str, d, t: Words) -> str:
    """The value the kind is about, before → after: "2024-05-15 → 2024-06-30", "3 有资格 → 4 已发展"."""
    field_of = {"advanced": "stage", "moved-back": "stage", "slipped": "expected_close",
                "pulled-in": "expected_close", "amount-up": "amount", "amount-down": "amount"}

    def show(state: dict | None, key: str) -> str:
        if state is None or state.get(key) is None:
            return "—"
        value = state[key]
        if key == "amount":
            return f"{value:,.2f}"
        if key in ("stage", "forecast"):
            return t.choice("pipeline", key, value)
        return str(value)

    if kind in ("new", "removed"):
        state = d.after or d.before
        return f"{show(state, 'stage')} · {show(state, 'amount')}"
    key = field_of.get(kind, "forecast")
    return f"{show(d.before, key)} → {show(d.after, key)}"


def _stalled_table(c, t: Words) -> Table:
    rows = [[x.project_id, x.project, x.customer, x.owner, t.choice("pipeline", "stage", x.stage), x.amount,
             x.in_stage_since, x.days_in_stage, x.limit_days] for x in c.stalled]
    return Table("stalled", t(Text("停滞的商机（在同一阶段超过上限天数）", "Stalled deals (in one stage longer than its limit)")),
                 [t(Text("项目编号", "Project ID")), t(Text("项目名称", "Project")), t(Text("客户", "Customer")), t(Text("跟进人", "Owner")),
                  t(Text("销售阶段", "Stage")), t(Text("金额(万元)", "Amount (10k CNY)")), t(Text("进入阶段", "In stage since")),
                  t(Text("停留天数", "Days in stage")), t(Text("上限天数", "Limit (days)"))],
                 rows, ["text", "text", "text", "text", "text", "money", "date", "int", "int"], sheet="changes",
                 flags={(i, 7) for i in range(len(rows))})


def _weeks_table(s: Summary, t: Words) -> Table:
    low, high = s.config.commit_accuracy_range
    rows, flags = [], set()
    for i, w in enumerate(s.changes.weeks):
        rows.append([w.as_of, w.open_amount, w.weighted_amount, w.commit, w.closed, w.accuracy, low, high])
        if w.accuracy is not None and not low <= w.accuracy <= high:
            flags.add((i, 5))
    return Table("weeks", t(Text(f"每周趋势（承诺准确率 = 成交 ÷ 上周承诺，健康 {commit_band(s)}）",
                            f"Weekly trend (commit accuracy = closed ÷ last week's commit, healthy {commit_band(s)})")),
                 [t(Text("截至日期", "Week to")), t(Text("在途商机(万元)", "Open pipeline")), t(Text("加权商机(万元)", "Weighted pipeline")),
                  t(Text("上周承诺(万元)", "Commit")), t(Text("成交(万元)", "Closed")), t(Text("承诺准确率", "Commit accuracy")),
                  t(Text("健康下限", "Healthy from")), t(Text("健康上限", "Healthy to"))],
                 rows, ["date", "money", "money", "money", "money", "pct", "pct", "pct"], sheet="changes",
                 flags=flags)
