"""The tables of the 汇总 sheet: KPIs, the funnel, reps, forecast, wins, top customers, objections, contracts,
rebates, and deals that slipped or were lost."""
from __future__ import annotations

from xltools.checks.findings import code_title
from xltools.rollup.commit_accuracy import BASELINE_DAYS
from xltools.rollup.follow_ups import DUE_DAYS
from xltools.rollup.model import Summary
from xltools.rollup.pipeline import FORECASTS, TOP_CUSTOMERS
from xltools.text import Text, texts
from xltools.xlsx.summary.labels import commit_band, coverage_threshold, rebate_tiers_text
from xltools.xlsx.summary.table import Table, Words


def dashboard_tables(s: Summary, t: Words) -> list[Table]:
    """The 汇总 sheet's tables, KPIs first, in the order they are laid out."""
    return [_kpi_table(s, t), _left_out_table(s, t), _stage_table(s, t), _rep_table(s, t), _rep_activity_table(s, t),
            _forecast_table(s, t), _trend_table(s, t), _win_table(s, t), _top_table(s, t),
            _objection_type_table(s, t), _objection_overdue_table(s, t), _contract_table(s, t), _rebate_table(s, t),
            _slipped_table(s, t), _lost_table(s, t)]


def _kpi_table(s: Summary, t: Words) -> Table:
    ca = s.commit_accuracy
    team_target = sum(r.target for r in s.reps if r.target)
    captions = [
        t(Text(f"{s.pipeline.open_count} 个在途商机", f"{s.pipeline.open_count} open opportunities")),
        t(Text("金额 × 赢率", "amount × win probability")),
        t(Text(f"{s.as_of:%Y-%m} 已成交", f"won in {s.as_of:%Y-%m}")),
        t(Text(f"团队指标 {team_target:,.2f} 万", f"team target {team_target:,.2f}")) if team_target else t(Text("无指标", "no target")),
        t(Text(f"基准 {ca.baseline_as_of}，健康 {commit_band(s)}", f"vs {ca.baseline_as_of}, healthy {commit_band(s)}"))
        if ca.baseline_as_of else t(Text(f"无 {BASELINE_DAYS} 天前的快照", f"no snapshot {BASELINE_DAYS}+ days old")),
        t(Text(f"未来 {DUE_DAYS} 天到期 {len(s.follow_ups.due_7d)} 项", f"{len(s.follow_ups.due_7d)} due in {DUE_DAYS} days")),
        t(Text("1–5 分", "1–5 scale")),
    ]
    flags = {(0, 4)} if ca.healthy is False else set()
    return Table("kpi", t(Text("关键指标", "Key figures")),
                 [t(Text("在途商机(万元)", "Open pipeline (10k CNY)")), t(Text("加权商机(万元)", "Weighted pipeline (10k CNY)")),
                  t(Text("本月成交(万元)", "Closed this month (10k CNY)")), t(Text("指标完成率", "Attainment")),
                  t(Text("承诺准确率", "Commit accuracy")), t(Text("逾期跟进", "Overdue follow-ups")), t(Text("平均满意度", "Avg satisfaction"))],
                 [[s.pipeline.open_amount, s.pipeline.weighted_amount, s.closed_won_amount, s.attainment, ca.value,
                   s.overdue_follow_ups, s.satisfaction_avg], captions],
                 ["money", "money", "money", "pct", "pct", "int", "num"], flags=flags)


LEFT_OUT_FORMS = texts({"pipeline": ("商机", "Pipeline"), "contracts": ("合同", "Contracts")})


def _left_out_table(s: Summary, t: Words) -> Table:
    """Money out of the totals is never out of sight: quarantined rows by reason, with where they are listed."""
    rows = [[t(LEFT_OUT_FORMS[o.form]), code_title(o.code, t.lang) if o.code else "", o.rows, o.amount]
            for o in s.left_out]
    count, money = sum(o.rows for o in s.left_out), sum(o.amount for o in s.left_out)
    title = t(Text(f"未计入合计的数据：{count} 行，{money:,.2f} 万元（明细见主表“待修正”与本工作簿“数据质量”）",
              f"Left out of the totals: {count} rows, {money:,.2f} (10k CNY) (listed in the master's "
              f"'To fix' and this workbook's 'Data quality')"))
    return Table("left_out", title, [t(Text("表单", "Form")), t(Text("原因", "Reason")), t(Text("行数", "Rows")),
                                     t(Text("金额(万元)", "Amount (10k CNY)"))], rows, ["text", "text", "int", "money"])


def _stage_table(s: Summary, t: Words) -> Table:
    p = s.pipeline
    rows = [[t.choice("pipeline", "stage", r.stage), r.count, r.amount, r.weighted_amount] for r in p.by_stage]
    total = [t(Text("合计", "Total")), sum(r.count for r in p.by_stage), sum(r.amount for r in p.by_stage),
             sum(r.weighted_amount for r in p.by_stage)]
    return Table("by_stage", t(Text("销售漏斗（阶段 1–5 为在途商机，阶段 6 为本月成交）",
                               "Funnel (stages 1–5: open pipeline; stage 6: won this month)")),
                 [t(Text("销售阶段", "Stage")), t(Text("商机数", "Count")), t(Text("金额(万元)", "Amount (10k CNY)")),
                  t(Text("加权金额(万元)", "Weighted (10k CNY)"))],
                 rows, ["text", "int", "money", "money"], total=total)


def _rep_table(s: Summary, t: Words) -> Table:
    rows, flags = [], set()
    for i, r in enumerate(s.reps):
        rows.append([r.rep, r.open_pipeline, r.weighted_pipeline, r.commit, r.closed_this_month, r.target,
                     r.attainment, r.remaining_target, r.coverage])
        if r.coverage_flag:
            flags.add((i, 8))
    headers = [t(Text("销售", "Rep")), t(Text("在途商机(万元)", "Open pipeline")), t(Text("加权商机(万元)", "Weighted pipeline")),
               t(Text("承诺(万元)", "Commit")), t(Text("本月成交(万元)", "Closed this month")), t(Text("本月指标(万元)", "Target")),
               t(Text("完成率", "Attainment")), t(Text("剩余指标(万元)", "Remaining target")), t(Text("覆盖率", "Coverage"))]
    healthy = coverage_threshold(s)
    return Table("reps", t(Text(f"各销售业绩（覆盖率 = 在途商机 ÷ 剩余指标，低于 {healthy}% 标红）",
                           f"Per rep (coverage = open pipeline ÷ remaining target; red below {healthy}%; 10k CNY)")),
                 headers, rows, ["text"] + ["money"] * 5 + ["pct", "money", "pct"], flags=flags)


def _rep_activity_table(s: Summary, t: Words) -> Table:
    rows = [[r.rep, r.customers_a, r.customers_b, r.customers_c, r.visits_this_month, r.overdue_follow_ups,
             r.avg_satisfaction, r.open_objections, r.overdue_objections, r.errors, r.warnings] for r in s.reps]
    headers = [t(Text("销售", "Rep")), t(Text("A类客户", "A customers")), t(Text("B类客户", "B customers")), t(Text("C类客户", "C customers")),
               t(Text("本月拜访", "Visits this month")), t(Text("逾期跟进", "Overdue follow-ups")), t(Text("平均满意度", "Avg satisfaction")),
               t(Text("未解决异议", "Open objections")), t(Text("逾期异议", "Overdue objections")), t(Text("数据错误", "Errors")),
               t(Text("数据警告", "Warnings"))]
    return Table("rep_activity", t(Text("各销售客户与活动", "Customers and activity per rep")),
                 headers, rows, ["text"] + ["int"] * 5 + ["num"] + ["int"] * 4,
                 flags={(i, 5) for i, r in enumerate(s.reps) if r.overdue_follow_ups}
                 | {(i, 8) for i, r in enumerate(s.reps) if r.overdue_objections})


def _forecast_table(s: Summary, t: Words) -> Table:
    f = s.forecast
    rows = [[t.choice("pipeline", "forecast", c), f.month[c], f.quarter[c]] for c in FORECASTS]
    return Table("forecast", t(Text(f"预测类别（本月 {f.month_label}、本季 {f.quarter_label}；按预计签约时间，已成交按成交日期）",
                               f"Forecast categories ({f.month_label}, {f.quarter_label}; by expected close, "
                               "won deals by closed date)")),
                 [t(Text("预测类别", "Forecast")), t(Text("本月(万元)", "This month")), t(Text("本季(万元)", "This quarter"))],
                 rows, ["text", "money", "money"])


def _trend_table(s: Summary, t: Words) -> Table:
    rows = [[p.as_of, p.commit, p.closed] for p in s.commit_accuracy.trend]
    return Table("commit_trend", t(Text("承诺与成交（每周，承诺取上周快照）", "Commit vs closed by week (commit from the week before)")),
                 [t(Text("截至日期", "Week to")), t(Text("承诺(万元)", "Commit (10k CNY)")), t(Text("成交(万元)", "Closed (10k CNY)"))],
                 rows, ["date", "money", "money"])


def _win_table(s: Summary, t: Words) -> Table:
    w = s.win_rate
    rate = "—" if w.rate is None else f"{w.rate:.1f}%"
    rows = [[r.reason or t(Text("（未填写）", "(not given)")), r.won, r.lost] for r in w.reasons]
    return Table("win_loss", t(Text(f"赢单率 {rate}（赢 {w.won} / 丢 {w.lost}）及输赢原因",
                               f"Win rate {rate} (won {w.won} / lost {w.lost}) and reasons")),
                 [t(Text("输赢原因", "Reason")), t(Text("赢单", "Won")), t(Text("丢单", "Lost"))], rows, ["text", "int", "int"],
                 total=[t(Text("合计", "Total")), w.won, w.lost])


def _top_table(s: Summary, t: Words) -> Table:
    rows = [[c.customer, c.owner, t.choice("customers", "grade", c.grade), c.buying_power, c.open_pipeline,
             c.weighted_pipeline, c.projects] for c in s.top_customers]
    return Table("top_customers", t(Text(f"TOP {TOP_CUSTOMERS} 客户（按在途商机）", f"Top {TOP_CUSTOMERS} customers by open pipeline")),
                 [t(Text("客户", "Customer")), t(Text("跟进人", "Owner")), t(Text("客户等级", "Grade")),
                  t(Text("年度采购量(万元)", "Buying power")), t(Text("在途商机(万元)", "Open pipeline")),
                  t(Text("加权商机(万元)", "Weighted")), t(Text("商机数", "Projects"))],
                 rows, ["text", "text", "text", "money", "money", "money", "int"])


def _objection_type_table(s: Summary, t: Words) -> Table:
    rows = [[t.choice("objections", "category", o.category), o.count, o.open] for o in s.objections.by_type]
    return Table("objection_types", t(Text("异议类型", "Objections by type")),
                 [t(Text("异议类型", "Category")), t(Text("数量", "Count")), t(Text("未解决", "Open"))], rows, ["text", "int", "int"])


def _objection_overdue_table(s: Summary, t: Words) -> Table:
    rows = [[o.customer, t.choice("objections", "category", o.category), o.owner, o.raised, o.resolve_by,
             o.days_overdue, o.objection] for o in s.objections.overdue]
    return Table("objections_overdue", t(Text("逾期未解决的异议", "Overdue objections")),
                 [t(Text("客户", "Customer")), t(Text("异议类型", "Category")), t(Text("责任人", "Owner")), t(Text("提出时间", "Raised")),
                  t(Text("计划解决时间", "Resolve by")), t(Text("逾期天数", "Days overdue")), t(Text("异议内容", "Objection"))],
                 rows, ["text", "text", "text", "date", "date", "int", "text"])


def _contract_table(s: Summary, t: Words) -> Table:
    c = s.contracts
    cycle = "—" if c.cycle_days_avg is None else f"{c.cycle_days_avg:.1f}"
    rows = [[p.customer, p.contract_id, p.submitter, p.amount, p.submitted, p.days_waiting,
             t.choice("contracts", "step", p.step), t(Text("待修正，未计入合计", "to fix, left out")) if p.quarantined else ""]
            for p in c.pending]
    title = t(Text(f"待审批合同（已批 {c.approved} 份，平均审批周期 {cycle} 天）",
              f"Contracts waiting for approval ({c.approved} approved, average cycle {cycle} days)"))
    return Table("contracts_pending", title,
                 [t(Text("客户", "Customer")), t(Text("合同编号", "Contract")), t(Text("提交人", "Submitter")),
                  t(Text("合同金额(万元)", "Amount")), t(Text("提交时间", "Submitted")), t(Text("已等待天数", "Days waiting")),
                  t(Text("待审环节", "Waiting at")), t(Text("状态", "Status"))],
                 rows, ["text", "text", "text", "money", "date", "int", "text", "text"],
                 flags={(i, 7) for i, p in enumerate(c.pending) if p.quarantined})


REBATE_APPROVAL = texts({"approved": ("已审批", "Approved"), "pending": ("审批中", "Pending"),
                   "rejected": ("已驳回", "Rejected"), "none": ("未申请", "Not applied for")})


def _rebate_table(s: Summary, t: Words) -> Table:
    """Rebates on money received: the tier follows the contract amount, the rebate the money in."""
    rows = [[r.customer, r.contract_id, r.amount, r.received, r.rate, r.rebate, t(REBATE_APPROVAL[r.approval])]
            for r in s.rebates]
    flags = {(i, 6) for i, r in enumerate(s.rebates) if r.approval != "approved" and r.rebate}
    return Table("rebates", t(Text(f"合同返点（{rebate_tiers_text(s.config.rebate_tiers, t)}）",
                              f"Rebates ({rebate_tiers_text(s.config.rebate_tiers, t)}; 10k CNY)")),
                 [t(Text("客户", "Customer")), t(Text("合同编号", "Contract")), t(Text("合同金额(万元)", "Amount")),
                  t(Text("已回款(万元)", "Received")), t(Text("返点比例", "Rate")), t(Text("返点金额(按已回款)", "Rebate on received")),
                  t(Text("返点审批", "Approval"))],
                 rows, ["text", "text", "money", "money", "pct", "money", "text"], flags=flags,
                 total=[t(Text("合计", "Total")), "", sum(r.amount for r in s.rebates),
                        sum(r.received for r in s.rebates), None, sum(r.rebate for r in s.rebates), ""])


def _slipped_table(s: Summary, t: Words) -> Table:
    ca = s.commit_accuracy
    rows = [[x.customer, x.project_id, x.owner, x.amount, x.was, x.now] for x in ca.slipped]
    since = ca.baseline_as_of or "—"
    return Table("slipped", t(Text(f"推迟签约的商机（与 {since} 相比）", f"Deals that slipped since {since}")),
                 [t(Text("客户", "Customer")), t(Text("项目编号", "Project")), t(Text("跟进人", "Owner")), t(Text("金额(万元)", "Amount")),
                  t(Text("原预计签约", "Was")), t(Text("现预计签约", "Now"))],
                 rows, ["text", "text", "text", "money", "date", "date"])


def _lost_table(s: Summary, t: Words) -> Table:
    ca = s.commit_accuracy
    rows = [[x.customer, x.project_id, x.owner, x.amount, t.choice("pipeline", "forecast", x.was), x.reason]
            for x in ca.lost]
    since = ca.baseline_as_of or "—"
    return Table("lost", t(Text(f"新丢单（与 {since} 相比）", f"Newly lost since {since}")),
                 [t(Text("客户", "Customer")), t(Text("项目编号", "Project")), t(Text("跟进人", "Owner")), t(Text("金额(万元)", "Amount")),
                  t(Text("原预测类别", "Was")), t(Text("丢单原因", "Reason"))],
                 rows, ["text", "text", "text", "money", "text", "text"])
