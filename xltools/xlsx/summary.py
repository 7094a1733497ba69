"""The manager's summary workbook: KPIs, tables and native Excel charts from a ``Summary``.

``summary_tables`` turns a summary into plain tables (title, headers, rows, number
formats); ``write_summary`` lays them out with xlsxwriter, and the live Excel book writes
the same tables into an open workbook. Sheets: 汇总 (KPIs, charts, tables), 商机变化 (the
weekly review: the open pipeline's bridge, changed and stalled deals, the weekly trend), 待跟进
(follow-ups due and overdue), 数据质量 (findings per rep and by problem; each row to fix, by customer
and key) and 回款 (receivables per rep and by age, instalments overdue and due within 30 days, with
two charts). Labels that name a threshold take it from the summary's config.

Charts reference the cells of the tables on the sheet, so a manager who edits a number
sees the chart follow, and the numbers behind every chart are visible.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter

from xltools.atomic import atomic_path
from xltools.rollup.changes import BAD_KINDS, KINDS
from xltools.checks.findings import code_title
from xltools.rollup.model import Summary
from xltools.rollup.pipeline import FORECASTS, stages
from xltools.forms.schema import Text, load_schema
from xltools.forms.values import text_width
from xltools.ingest.submissions import LATE, MISSING, ON_TIME, deadline_text

SUMMARY_SHEETS = {"summary": Text(zh="汇总", en="Summary"),
                  "changes": Text(zh="商机变化", en="Pipeline changes"),
                  "follow_ups": Text(zh="待跟进", en="Follow-ups"),
                  "quality": Text(zh="数据质量", en="Data quality"),
                  "collections": Text(zh="回款", en="Collections"),
                  "accounts": Text(zh="客户分析", en="Accounts"),
                  "conversion": Text(zh="转化分析", en="Conversion"),
                  "activity": Text(zh="活动与指标", en="Activity vs targets")}

# Number formats by column kind; amounts are 万元 throughout.
NUMBER_FORMATS = {"money": "#,##0.00", "pct": '0.0"%"', "int": "0", "num": "0.0", "date": "yyyy-mm-dd"}
KPI_MONEY = {"zh": '#,##0.00"万"', "en": "#,##0.00"}


@dataclass
class Table:
    """One table of the summary, ready to lay out in any sheet.

    ``formats`` has one kind per column: text, int, money (万元), pct (a number of percent),
    num (one decimal) or date. ``flags`` holds (row, column) cells to highlight, e.g. a
    coverage below the healthy level. The KPI table has a value row and a caption row.
    """
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    formats: list[str]
    sheet: str = "summary"
    total: list[Any] | None = None
    flags: set[tuple[int, int]] = field(default_factory=set)


# Tables
def summary_tables(summary: Summary, lang: str = "zh") -> list[Table]:
    """Every table of the summary workbook, in the order they are laid out."""
    t = _Words(lang)
    return [_kpi_table(summary, t), _left_out_table(summary, t), _stage_table(summary, t), _rep_table(summary, t), _rep_activity_table(summary, t),
            _forecast_table(summary, t),
            _trend_table(summary, t), _win_table(summary, t), _top_table(summary, t), _objection_type_table(summary, t),
            _objection_overdue_table(summary, t), _contract_table(summary, t), _rebate_table(summary, t),
            _slipped_table(summary, t), _lost_table(summary, t),
            *_follow_up_tables(summary, t), *_quality_tables(summary, t), *_changes_tables(summary, t),
            *_collections_tables(summary, t),

            *_account_tables(summary, t), *_conversion_tables(summary, t), _submissions_table(summary, t),
            _activity_table(summary, t)]


class _Words:
    """Labels in one language; enum values shown as the schema names them."""

    def __init__(self, lang: str):
        self.lang = lang
        self.schema = load_schema()

    def __call__(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def choice(self, sheet: str, key: str, value: str | None) -> str:
        if not value:
            return ""
        spec = self.schema.sheets[sheet].field(key)
        return next((c.label(self.lang) for c in spec.choices if c.value == value), value)


def _kpi_table(s: Summary, t: _Words) -> Table:
    ca = s.commit_accuracy
    team_target = sum(r.target for r in s.reps if r.target)
    captions = [
        t(f"{s.pipeline.open_count} 个在途商机", f"{s.pipeline.open_count} open opportunities"),
        t("金额 × 赢率", "amount × win probability"),
        t(f"{s.as_of:%Y-%m} 已成交", f"won in {s.as_of:%Y-%m}"),
        t(f"团队指标 {team_target:,.2f} 万", f"team target {team_target:,.2f}") if team_target else t("无指标", "no target"),
        t(f"基准 {ca.baseline_as_of}，健康 {_band(s)}", f"vs {ca.baseline_as_of}, healthy {_band(s)}")
        if ca.baseline_as_of else t("无 7 天前的快照", "no snapshot 7+ days old"),
        t(f"未来 7 天到期 {len(s.follow_ups.due_7d)} 项", f"{len(s.follow_ups.due_7d)} due in 7 days"),
        t("1–5 分", "1–5 scale"),
    ]
    flags = {(0, 4)} if ca.healthy is False else set()
    return Table("kpi", t("关键指标", "Key figures"),
                 [t("在途商机(万元)", "Open pipeline (10k CNY)"), t("加权商机(万元)", "Weighted pipeline (10k CNY)"),
                  t("本月成交(万元)", "Closed this month (10k CNY)"), t("指标完成率", "Attainment"),
                  t("承诺准确率", "Commit accuracy"), t("逾期跟进", "Overdue follow-ups"), t("平均满意度", "Avg satisfaction")],
                 [[s.pipeline.open_amount, s.pipeline.weighted_amount, s.closed_won_amount, s.attainment, ca.value,
                   s.overdue_follow_ups, s.satisfaction_avg], captions],
                 ["money", "money", "money", "pct", "pct", "int", "num"], flags=flags)


LEFT_OUT_FORMS = {"pipeline": ("商机", "Pipeline"), "contracts": ("合同", "Contracts")}


def _left_out_table(s: Summary, t: _Words) -> Table:
    """Money out of the totals is never out of sight: quarantined rows by reason, with where they are listed."""
    rows = [[t(*LEFT_OUT_FORMS[o.form]), code_title(o.code, t.lang) if o.code else "", o.rows, o.amount]
            for o in s.left_out]
    count, money = sum(o.rows for o in s.left_out), sum(o.amount for o in s.left_out)
    title = t(f"未计入合计的数据：{count} 行，{money:,.2f} 万元（明细见主表“待修正”与本工作簿“数据质量”）",
              f"Left out of the totals: {count} rows, {money:,.2f} (10k CNY) (listed in the master's "
              f"'To fix' and this workbook's 'Data quality')")
    return Table("left_out", title, [t("表单", "Form"), t("原因", "Reason"), t("行数", "Rows"),
                                     t("金额(万元)", "Amount (10k CNY)")], rows, ["text", "text", "int", "money"])


def _stage_table(s: Summary, t: _Words) -> Table:
    p = s.pipeline
    rows = [[t.choice("pipeline", "stage", r.stage), r.count, r.amount, r.weighted_amount] for r in p.by_stage]
    total = [t("合计", "Total"), sum(r.count for r in p.by_stage), sum(r.amount for r in p.by_stage),
             sum(r.weighted_amount for r in p.by_stage)]
    return Table("by_stage", t("销售漏斗（阶段 1–5 为在途商机，阶段 6 为本月成交）",
                               "Funnel (stages 1–5: open pipeline; stage 6: won this month)"),
                 [t("销售阶段", "Stage"), t("商机数", "Count"), t("金额(万元)", "Amount (10k CNY)"),
                  t("加权金额(万元)", "Weighted (10k CNY)")],
                 rows, ["text", "int", "money", "money"], total=total)


def _rep_table(s: Summary, t: _Words) -> Table:
    rows, flags = [], set()
    for i, r in enumerate(s.reps):
        rows.append([r.rep, r.open_pipeline, r.weighted_pipeline, r.commit, r.closed_this_month, r.target,
                     r.attainment, r.remaining_target, r.coverage])
        if r.coverage_flag:
            flags.add((i, 8))
    headers = [t("销售", "Rep"), t("在途商机(万元)", "Open pipeline"), t("加权商机(万元)", "Weighted pipeline"),
               t("承诺(万元)", "Commit"), t("本月成交(万元)", "Closed this month"), t("本月指标(万元)", "Target"),
               t("完成率", "Attainment"), t("剩余指标(万元)", "Remaining target"), t("覆盖率", "Coverage")]
    healthy = _num(s.config.coverage_healthy)
    return Table("reps", t(f"各销售业绩（覆盖率 = 在途商机 ÷ 剩余指标，低于 {healthy}% 标红）",
                           f"Per rep (coverage = open pipeline ÷ remaining target; red below {healthy}%; 10k CNY)"),
                 headers, rows, ["text"] + ["money"] * 5 + ["pct", "money", "pct"], flags=flags)


def _rep_activity_table(s: Summary, t: _Words) -> Table:
    rows = [[r.rep, r.customers_a, r.customers_b, r.customers_c, r.visits_this_month, r.overdue_follow_ups,
             r.avg_satisfaction, r.open_objections, r.overdue_objections, r.errors, r.warnings] for r in s.reps]
    headers = [t("销售", "Rep"), t("A类客户", "A customers"), t("B类客户", "B customers"), t("C类客户", "C customers"),
               t("本月拜访", "Visits this month"), t("逾期跟进", "Overdue follow-ups"), t("平均满意度", "Avg satisfaction"),
               t("未解决异议", "Open objections"), t("逾期异议", "Overdue objections"), t("数据错误", "Errors"),
               t("数据警告", "Warnings")]
    return Table("rep_activity", t("各销售客户与活动", "Customers and activity per rep"),
                 headers, rows, ["text"] + ["int"] * 5 + ["num"] + ["int"] * 4,
                 flags={(i, 5) for i, r in enumerate(s.reps) if r.overdue_follow_ups}
                 | {(i, 8) for i, r in enumerate(s.reps) if r.overdue_objections})


def _forecast_table(s: Summary, t: _Words) -> Table:
    f = s.forecast
    rows = [[t.choice("pipeline", "forecast", c), f.month[c], f.quarter[c]] for c in FORECASTS]
    return Table("forecast", t(f"预测类别（本月 {f.month_label}、本季 {f.quarter_label}；按预计签约时间，已成交按成交日期）",
                               f"Forecast categories ({f.month_label}, {f.quarter_label}; by expected close, "
                               "won deals by closed date)"),
                 [t("预测类别", "Forecast"), t("本月(万元)", "This month"), t("本季(万元)", "This quarter")],
                 rows, ["text", "money", "money"])


def _trend_table(s: Summary, t: _Words) -> Table:
    rows = [[p.as_of, p.commit, p.closed] for p in s.commit_accuracy.trend]
    return Table("commit_trend", t("承诺与成交（每周，承诺取上周快照）", "Commit vs closed by week (commit from the week before)"),
                 [t("截至日期", "Week to"), t("承诺(万元)", "Commit (10k CNY)"), t("成交(万元)", "Closed (10k CNY)")],
                 rows, ["date", "money", "money"])


def _win_table(s: Summary, t: _Words) -> Table:
    w = s.win_rate
    rate = "—" if w.rate is None else f"{w.rate:.1f}%"
    rows = [[r.reason or t("（未填写）", "(not given)"), r.won, r.lost] for r in w.reasons]
    return Table("win_loss", t(f"赢单率 {rate}（赢 {w.won} / 丢 {w.lost}）及输赢原因",
                               f"Win rate {rate} (won {w.won} / lost {w.lost}) and reasons"),
                 [t("输赢原因", "Reason"), t("赢单", "Won"), t("丢单", "Lost")], rows, ["text", "int", "int"],
                 total=[t("合计", "Total"), w.won, w.lost])


def _top_table(s: Summary, t: _Words) -> Table:
    rows = [[c.customer, c.owner, t.choice("customers", "grade", c.grade), c.buying_power, c.open_pipeline,
             c.weighted_pipeline, c.projects] for c in s.top_customers]
    return Table("top_customers", t("TOP 20 客户（按在途商机）", "Top 20 customers by open pipeline"),
                 [t("客户", "Customer"), t("跟进人", "Owner"), t("客户等级", "Grade"),
                  t("年度采购量(万元)", "Buying power"), t("在途商机(万元)", "Open pipeline"),
                  t("加权商机(万元)", "Weighted"), t("商机数", "Projects")],
                 rows, ["text", "text", "text", "money", "money", "money", "int"])


def _objection_type_table(s: Summary, t: _Words) -> Table:
    rows = [[t.choice("objections", "category", o.category), o.count, o.open] for o in s.objections.by_type]
    return Table("objection_types", t("异议类型", "Objections by type"),
                 [t("异议类型", "Category"), t("数量", "Count"), t("未解决", "Open")], rows, ["text", "int", "int"])


def _objection_overdue_table(s: Summary, t: _Words) -> Table:
    rows = [[o.customer, t.choice("objections", "category", o.category), o.owner, o.raised, o.resolve_by,
             o.days_overdue, o.objection] for o in s.objections.overdue]
    return Table("objections_overdue", t("逾期未解决的异议", "Overdue objections"),
                 [t("客户", "Customer"), t("异议类型", "Category"), t("责任人", "Owner"), t("提出时间", "Raised"),
                  t("计划解决时间", "Resolve by"), t("逾期天数", "Days overdue"), t("异议内容", "Objection")],
                 rows, ["text", "text", "text", "date", "date", "int", "text"])


def _contract_table(s: Summary, t: _Words) -> Table:
    c = s.contracts
    cycle = "—" if c.cycle_days_avg is None else f"{c.cycle_days_avg:.1f}"
    rows = [[p.customer, p.contract_id, p.submitter, p.amount, p.submitted, p.days_waiting,
             t.choice("contracts", "step", p.step), t("待修正，未计入合计", "to fix, left out") if p.quarantined else ""]
            for p in c.pending]
    title = t(f"待审批合同（已批 {c.approved} 份，平均审批周期 {cycle} 天）",
              f"Contracts waiting for approval ({c.approved} approved, average cycle {cycle} days)")
    return Table("contracts_pending", title,
                 [t("客户", "Customer"), t("合同编号", "Contract"), t("提交人", "Submitter"),
                  t("合同金额(万元)", "Amount"), t("提交时间", "Submitted"), t("已等待天数", "Days waiting"),
                  t("待审环节", "Waiting at"), t("状态", "Status")],
                 rows, ["text", "text", "text", "money", "date", "int", "text", "text"],
                 flags={(i, 7) for i, p in enumerate(c.pending) if p.quarantined})


REBATE_APPROVAL = {"approved": ("已审批", "Approved"), "pending": ("审批中", "Pending"),
                   "rejected": ("已驳回", "Rejected"), "none": ("未申请", "Not applied for")}


def _rebate_table(s: Summary, t: _Words) -> Table:
    """Rebates on money received: the tier follows the contract amount, the rebate the money in."""
    rows = [[r.customer, r.contract_id, r.amount, r.received, r.rate, r.rebate, t(*REBATE_APPROVAL[r.approval])]
            for r in s.rebates]
    flags = {(i, 6) for i, r in enumerate(s.rebates) if r.approval != "approved" and r.rebate}
    return Table("rebates", t(f"合同返点（{_tiers(s.config.rebate_tiers, t)}）",
                              f"Rebates ({_tiers(s.config.rebate_tiers, t)}; 10k CNY)"),
                 [t("客户", "Customer"), t("合同编号", "Contract"), t("合同金额(万元)", "Amount"),
                  t("已回款(万元)", "Received"), t("返点比例", "Rate"), t("返点金额(按已回款)", "Rebate on received"),
                  t("返点审批", "Approval")],
                 rows, ["text", "text", "money", "money", "pct", "money", "text"], flags=flags,
                 total=[t("合计", "Total"), "", sum(r.amount for r in s.rebates),
                        sum(r.received for r in s.rebates), None, sum(r.rebate for r in s.rebates), ""])


def _slipped_table(s: Summary, t: _Words) -> Table:
    ca = s.commit_accuracy
    rows = [[x.customer, x.project_id, x.owner, x.amount, x.was, x.now] for x in ca.slipped]
    since = ca.baseline_as_of or "—"
    return Table("slipped", t(f"推迟签约的商机（与 {since} 相比）", f"Deals that slipped since {since}"),
                 [t("客户", "Customer"), t("项目编号", "Project"), t("跟进人", "Owner"), t("金额(万元)", "Amount"),
                  t("原预计签约", "Was"), t("现预计签约", "Now")],
                 rows, ["text", "text", "text", "money", "date", "date"])


def _lost_table(s: Summary, t: _Words) -> Table:
    ca = s.commit_accuracy
    rows = [[x.customer, x.project_id, x.owner, x.amount, t.choice("pipeline", "forecast", x.was), x.reason]
            for x in ca.lost]
    since = ca.baseline_as_of or "—"
    return Table("lost", t(f"新丢单（与 {since} 相比）", f"Newly lost since {since}"),
                 [t("客户", "Customer"), t("项目编号", "Project"), t("跟进人", "Owner"), t("金额(万元)", "Amount"),
                  t("原预测类别", "Was"), t("丢单原因", "Reason")],
                 rows, ["text", "text", "text", "money", "text", "text"])


def _kind(kind: str, t: _Words) -> str:
    return t("客户跟进", "Customer follow-up") if kind == "customer" else t("回访", "Visit")


def _follow_up_tables(s: Summary, t: _Words) -> list[Table]:
    f = s.follow_ups
    overdue = Table("follow_ups_overdue", t(f"逾期未跟进（{len(f.overdue)} 项）", f"Overdue ({len(f.overdue)})"),
                    [t("销售", "Rep"), t("客户", "Customer"), t("类型", "Kind"), t("应跟进日期", "Due"),
                     t("逾期天数", "Days overdue")],
                    [[o.rep, o.customer, _kind(o.kind, t), o.due, o.days_overdue] for o in f.overdue],
                    ["text", "text", "text", "date", "int"], sheet="follow_ups")
    due = Table("follow_ups_due", t(f"未来 7 天到期（{len(f.due_7d)} 项）", f"Due in the next 7 days ({len(f.due_7d)})"),
                [t("销售", "Rep"), t("客户", "Customer"), t("类型", "Kind"), t("应跟进日期", "Due"),
                 t("剩余天数", "Days left")],
                [[d.rep, d.customer, _kind(d.kind, t), d.due, d.days_left] for d in f.due_7d],
                ["text", "text", "text", "date", "int"], sheet="follow_ups")
    return [overdue, due]


def _quality_tables(s: Summary, t: _Words) -> list[Table]:
    def ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    per_rep = [[q.rep or t("（未知）", "(unknown)"), q.errors, q.warnings,
                t("、", ", ").join(f"{code_title(code, t.lang)} {n}" for code, n in ranked(q.by_code))]
               for q in s.quality]
    codes: dict[str, int] = {}
    for q in s.quality:
        for code, n in q.by_code.items():
            codes[code] = codes.get(code, 0) + n
    by_code = [[code_title(code, t.lang), n, code] for code, n in ranked(codes)]
    return [
        Table("quality_reps", t("各销售的数据问题", "Data problems per rep"),
              [t("销售", "Rep"), t("错误", "Errors"), t("警告", "Warnings"), t("问题及数量", "Problems")],
              per_rep, ["text", "int", "int", "text"], sheet="quality",
              total=[t("合计", "Total"), sum(q.errors for q in s.quality), sum(q.warnings for q in s.quality), ""]),
        Table("quality_codes", t("按问题类型", "By problem"), [t("问题", "Problem"), t("数量", "Count"),
                                                             t("问题代码", "Code")],
              by_code, ["text", "int", "text"], sheet="quality"),
        Table("quality_rows", t("待修正的行", "Rows to fix"),
              [t("客户", "Customer"), t("销售", "Rep"), t("编号", "Key"), t("问题", "Problem")],
              [[q.customer, q.rep, q.key, q.message(t.lang)] for q in s.to_fix], ["text"] * 4, sheet="quality"),
    ]


def _collections_tables(s: Summary, t: _Words) -> list[Table]:
    """The 回款 sheet: receivables per rep, their ageing, and the instalments due soon and overdue."""
    c = s.collections
    money = [t("合同额(万元)", "Contracted"), t("已回款(万元)", "Received"), t("应收(万元)", "Receivable"),
             t("逾期应收(万元)", "Overdue"), t("回款率", "Collection rate")]
    instalment = [t("销售", "Rep"), t("客户", "Customer"), t("合同编号", "Contract"), t("回款节点", "Instalment"),
                  t("计划回款日期", "Due"), t("未收(万元)", "Outstanding")]
    listed = ["text", "text", "text", "text", "date", "money", "int"]

    def rows(items) -> list[list]:
        return [[i.rep, i.customer, i.contract_id, t.choice("collections", "milestone", i.milestone), i.due,
                 i.outstanding, i.days] for i in items]
    return [
        Table("collections_reps", t("各销售回款", "Collections per rep"), [t("销售", "Rep"), *money],
              [[r.rep, r.contracted, r.received, r.receivable, r.overdue, r.rate] for r in c.by_rep],
              ["text", "money", "money", "money", "money", "pct"], sheet="collections",
              total=[t("合计", "Total"), c.contracted, c.received, c.receivable, c.overdue, c.rate]),
        Table("collections_ageing", t("逾期应收账龄", "Overdue receivables by age"),
              [t("逾期天数", "Days overdue"), t("金额(万元)", "Amount")],
              [[t(f"{label} 天", f"{label} days"), amount] for label, amount in c.ageing.items()],
              ["text", "money"], sheet="collections", total=[t("合计", "Total"), c.overdue]),
        Table("collections_overdue", t(f"逾期回款（{len(c.overdue_list)} 笔，周会跟进）",
                                       f"Overdue instalments ({len(c.overdue_list)}, for the weekly review)"),
              [*instalment, t("逾期天数", "Days overdue")], rows(c.overdue_list), listed, sheet="collections"),
        Table("collections_due", t(f"未来 30 天应回款（{len(c.due_soon)} 笔）",
                                   f"Due in the next 30 days ({len(c.due_soon)})"),
              [*instalment, t("剩余天数", "Days left")], rows(c.due_soon), listed, sheet="collections"),
    ]


def _account_tables(s: Summary, t: _Words) -> list[Table]:
    """Accounts by RAD type, the TOP 10 发展型 and the untapped wallet per account (``accounts.py``)."""
    if s.accounts is None:
        return []
    headers = [t("客户", "Customer"), t("跟进人", "Owner"), t("客户类型", "Account type"),
               t("年度采购量(万元)", "Buying power"), t("我方份额(%)", "Share of wallet (%)"),
               t("未开发份额(万元)", "Untapped wallet"), t("在途商机(万元)", "Open pipeline")]
    formats = ["text", "text", "text", "money", "pct", "money", "money"]

    def rows(accounts):
        return [[a.customer, a.owner, t.choice("customers", "account_type", a.type), a.buying_power,
                 a.share_of_wallet, a.untapped, a.open_pipeline] for a in accounts]
    by_type = [[t.choice("customers", "account_type", g.type) or t("未填类型", "No type"), g.accounts, g.buying_power,
                g.share_of_wallet, g.untapped, g.open_pipeline] for g in s.accounts.by_type]
    return [Table("accounts_by_type", t("按客户类型（RAD）", "Accounts by type (RAD)"),
                  [t("客户类型", "Account type"), t("客户数", "Accounts"), t("年度采购量(万元)", "Buying power"),
                   t("我方份额(%)", "Share of wallet (%)"), t("未开发份额(万元)", "Untapped wallet"),
                   t("在途商机(万元)", "Open pipeline")],
                  by_type, ["text", "int", "money", "pct", "money", "money"], sheet="accounts"),
            Table("top_development", t("TOP 10 发展型客户（总监直接介入）", "Top 10 development accounts (the director's own)"),
                  headers, rows(s.accounts.top_development), formats, sheet="accounts"),
            Table("untapped", t("未开发份额 = 年度采购量 × (1 − 我方份额)", "Untapped wallet = buying power × (1 − share)"),
                  headers, rows(s.accounts.untapped), formats, sheet="accounts")]


def _conversion_tables(s: Summary, t: _Words) -> list[Table]:
    """Stage-to-stage conversion with days per stage, and the open pipeline's monthly growth (``conversion.py``)."""
    c = s.conversion
    if c is None:
        return []
    names = stages()
    rows = [[t.choice("pipeline", "stage", names[r.stage - 1]), r.deals, r.reached, r.lost, r.conversion, r.loss_rate,
             r.avg_days] for r in c.by_stage]
    cycle = t(f"平均销售周期（首次出现到成交，{c.won_deals} 个成交）", f"Average sales cycle (first seen to won, {c.won_deals} won)")
    growth = [[g.month, g.open_pipeline, g.growth] for g in c.growth]
    return [Table("conversion", t("阶段转化率与停留天数", "Stage conversion and days per stage"),
                  [t("阶段", "Stage"), t("曾处于该阶段", "Deals at stage"), t("推进到下一阶段", "Moved on"),
                   t("丢单", "Lost"), t("转化率", "Conversion"), t("丢单率", "Loss rate"), t("平均停留天数", "Avg days")],
                  rows, ["text", "int", "int", "int", "pct", "pct", "num"], sheet="conversion",
                  total=[cycle, None, None, None, None, None, c.avg_cycle_days]),
            Table("pipeline_growth", t("在途商机月环比（10% 为好，5% 为底线）", "Open pipeline month over month (10% good, 5% minimum)"),
                  [t("月份", "Month"), t("月末在途商机(万元)", "Open pipeline at month end"), t("环比增长", "Growth")],
                  growth, ["text", "money", "pct"], sheet="conversion",
                  flags={(i, 2) for i, g in enumerate(c.growth) if g.healthy is False})]


def _submissions_table(s: Summary, t: _Words) -> Table:
    """Who sent their files for the week, and in time; late and missing reps flagged."""
    status = {ON_TIME: t("按时", "On time"), LATE: t("迟交", "Late"), MISSING: t("本周没有新文件", "Nothing new")}
    subs = s.submissions
    rows = [[r.rep, f"{r.last_changed:%Y-%m-%d %H:%M}" if r.last_changed else None, status[r.status]]
            for r in subs.reps]
    return Table("submissions", t(f"交表情况（截止 {deadline_text(subs.deadline)}）",
                                  f"Submissions (deadline {deadline_text(subs.deadline)})"),
                 [t("销售", "Rep"), t("文件最后修改", "Files last changed"), t("状态", "Status")],
                 rows, ["text", "text", "text"], sheet="activity",
                 flags={(i, 2) for i, r in enumerate(subs.reps) if r.status != ON_TIME})


def _activity_table(s: Summary, t: _Words) -> Table:
    """Visits, new customers, closed and margin against the targets, per rep: month, then quarter, then year."""
    rows = [[r.label, r.rep, r.visits, r.visits_target, r.visits_pct, r.new_customers, r.new_customers_target,
             r.new_customers_pct, r.closed, r.sales_target, r.sales_pct, r.margin_expected, r.margin_closed,
             r.margin_target, r.margin_pct] for r in s.activity]
    return Table("activity", t("拜访、新客户、成交与毛利对比指标（本月、本季、本年）",
                               "Visits, new customers, closed and margin against targets"),
                 [t("期间", "Period"), t("销售", "Rep"), t("拜访", "Visits"), t("拜访指标", "Visit target"),
                  t("完成率", "Done"), t("新客户", "New customers"), t("新客户指标", "New-customer target"),
                  t("完成率", "Done"), t("成交(万元)", "Closed"), t("销售指标(万元)", "Sales target"), t("完成率", "Done"),
                  t("预期毛利(万元)", "Expected margin"), t("成交毛利(万元)", "Closed margin"),
                  t("毛利指标(万元)", "Margin target"), t("完成率", "Done")],
                 rows, ["text", "text", "int", "num", "pct", "int", "num", "pct", "money", "money", "pct",
                        "money", "money", "money", "pct"],
                 sheet="activity")


def _num(value: float) -> str:
    """A threshold as a label shows it: 150, 95.5."""
    return f"{value:g}"


def _band(s: Summary) -> str:
    low, high = s.config.commit_accuracy_range
    return f"{_num(low)}–{_num(high)}%"


def _tiers(tiers: tuple, t: _Words) -> str:
    """Rebate tiers in words: "20 万以下 5%，20–100 万 8%，100 万及以上 10%"."""
    tiers = sorted(tiers)
    parts = []
    for i, (floor, rate) in enumerate(tiers):
        upper = tiers[i + 1][0] if i + 1 < len(tiers) else None
        if upper is None:
            span = t(f"{_num(floor)} 万及以上", f"{_num(floor)} and above") if floor else t("全部", "all")
        elif not floor:
            span = t(f"{_num(upper)} 万以下", f"below {_num(upper)}")
        else:
            span = t(f"{_num(floor)}–{_num(upper)} 万", f"{_num(floor)}–{_num(upper)}")
        parts.append(t(f"{span} {_num(rate)}%", f"{span}: {_num(rate)}%"))
    return t("，", ", ").join(parts)


# The 商机变化 sheet
_KIND_WORDS = {"new": ("新增", "New"), "removed": ("移除", "Removed"), "advanced": ("推进", "Advanced"),
               "moved-back": ("回退", "Moved back"), "won": ("成交", "Won"), "lost": ("丢单", "Lost"),
               "slipped": ("推迟签约", "Slipped"), "pulled-in": ("提前签约", "Pulled in"),
               "amount-up": ("金额增加", "Amount up"), "amount-down": ("金额减少", "Amount down"),
               "forecast-changed": ("预测类别变化", "Forecast changed")}


def _changes_tables(s: Summary, t: _Words) -> list[Table]:
    c = s.changes
    return [_movement_table(s, t), _rep_movement_table(c, t), _slip_table(c, t), _deal_changes_table(c, t),
            _stalled_table(c, t), _weeks_table(s, t)]


def _movement_table(s: Summary, t: _Words) -> Table:
    """The bridge: each step's amount, and the columns its stacked-column chart draws (base, up, down, total)."""
    m = s.changes.movement
    steps = [(t("期初", "Start"), m.start, 0), (t("新增", "New"), m.new, 1), (t("金额增加", "Increased"), m.increased, 1),
             (t("金额减少", "Decreased"), m.decreased, -1), (t("成交", "Won"), m.won, -1),
             (t("丢单", "Lost"), m.lost, -1), (t("移除", "Removed"), m.removed, -1), (t("期末", "End"), m.end, 0)]
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
    return Table("movement", t(f"在途商机变化（{since} → {s.as_of}）", f"Open pipeline, {since} → {s.as_of}"),
                 [t("变化", "Movement"), t("金额(万元)", "Amount (10k CNY)"), t("图：基线", "Chart: base"),
                  t("图：增加", "Chart: up"), t("图：减少", "Chart: down"), t("图：期初/期末", "Chart: total")],
                 rows, ["text"] + ["money"] * 5, sheet="changes", flags={(i, 1) for i in (3, 5, 6) if rows[i][1]})


def _rep_movement_table(c, t: _Words) -> Table:
    rows = [[r.rep, *_bridge(r.movement)] for r in c.by_rep]
    return Table("movement_reps", t("各销售的在途商机变化（万元）", "Open pipeline movement per rep (10k CNY)"),
                 [t("销售", "Rep"), t("期初", "Start"), t("新增", "New"), t("金额增加", "Increased"),
                  t("金额减少", "Decreased"), t("成交", "Won"), t("丢单", "Lost"), t("移除", "Removed"), t("期末", "End")],
                 rows, ["text"] + ["money"] * 8, sheet="changes", total=[t("合计", "Total"), *_bridge(c.movement)])


def _bridge(m) -> list[float]:
    return [m.start, m.new, m.increased, m.decreased, m.won, m.lost, m.removed, m.end]


def _slip_table(c, t: _Words) -> Table:
    p = c.slipped
    rows = [[t("推迟签约", "Slipped"), p.count, p.amount],
            [t("其中移出本月", "of which out of this month"), p.out_of_month_count, p.out_of_month_amount],
            [t("其中移出本季", "of which out of this quarter"), p.out_of_quarter_count, p.out_of_quarter_amount]]
    return Table("slips", t("推迟签约的在途商机", "Open deals that slipped"),
                 [t("推迟签约", "Slipped"), t("商机数", "Deals"), t("金额(万元)", "Amount (10k CNY)")],
                 rows, ["text", "int", "money"], sheet="changes")


def _deal_changes_table(c, t: _Words) -> Table:
    pairs = sorted(((kind, d) for d in c.deals for kind in d.kinds), key=lambda kd: KINDS.index(kd[0]))
    rows, flags = [], set()
    for i, (kind, d) in enumerate(pairs):
        amount = (d.after or d.before)["amount"]
        rows.append([t(*_KIND_WORDS[kind]), d.project_id, d.project, d.customer, d.owner,
                     _before_after(kind, d, t), amount])
        if kind in BAD_KINDS:
            flags |= {(i, 0), (i, 5)}
    return Table("deal_changes", t("变化的商机（按变化类型，可筛选）", "Changed deals by kind (filterable)"),
                 [t("变化类型", "Kind"), t("项目编号", "Project ID"), t("项目名称", "Project"), t("客户", "Customer"),
                  t("跟进人", "Owner"), t("原 → 现", "Before → after"), t("金额(万元)", "Amount (10k CNY)")],
                 rows, ["text", "text", "text", "text", "text", "text", "money"], sheet="changes", flags=flags)


def _before_after(kind: str, d, t: _Words) -> str:
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


def _stalled_table(c, t: _Words) -> Table:
    rows = [[x.project_id, x.project, x.customer, x.owner, t.choice("pipeline", "stage", x.stage), x.amount,
             x.in_stage_since, x.days_in_stage, x.limit_days] for x in c.stalled]
    return Table("stalled", t("停滞的商机（在同一阶段超过上限天数）", "Stalled deals (in one stage longer than its limit)"),
                 [t("项目编号", "Project ID"), t("项目名称", "Project"), t("客户", "Customer"), t("跟进人", "Owner"),
                  t("销售阶段", "Stage"), t("金额(万元)", "Amount (10k CNY)"), t("进入阶段", "In stage since"),
                  t("停留天数", "Days in stage"), t("上限天数", "Limit (days)")],
                 rows, ["text", "text", "text", "text", "text", "money", "date", "int", "int"], sheet="changes",
                 flags={(i, 7) for i in range(len(rows))})


def _weeks_table(s: Summary, t: _Words) -> Table:
    low, high = s.config.commit_accuracy_range
    rows, flags = [], set()
    for i, w in enumerate(s.changes.weeks):
        rows.append([w.as_of, w.open_amount, w.weighted_amount, w.commit, w.closed, w.accuracy, low, high])
        if w.accuracy is not None and not low <= w.accuracy <= high:
            flags.add((i, 5))
    return Table("weeks", t(f"每周趋势（承诺准确率 = 成交 ÷ 上周承诺，健康 {_band(s)}）",
                            f"Weekly trend (commit accuracy = closed ÷ last week's commit, healthy {_band(s)})"),
                 [t("截至日期", "Week to"), t("在途商机(万元)", "Open pipeline"), t("加权商机(万元)", "Weighted pipeline"),
                  t("上周承诺(万元)", "Commit"), t("成交(万元)", "Closed"), t("承诺准确率", "Commit accuracy"),
                  t("健康下限", "Healthy from"), t("健康上限", "Healthy to")],
                 rows, ["date", "money", "money", "money", "money", "pct", "pct", "pct"], sheet="changes",
                 flags=flags)


# Layout
@dataclass
class Placement:
    """Where a table landed: its header row and data rows (0-based), first column and width."""
    sheet: str
    header_row: int
    first_row: int
    last_row: int
    first_col: int
    columns: int


# Column widths per sheet (Excel character units), also used by the live workbook. Column A holds names.
SUMMARY_WIDTHS = {"summary": [26, 16] + [13] * 11, "follow_ups": [12, 32, 16, 13, 12], "quality": [28, 10, 26, 60],
                  "changes": [22, 14, 22, 20, 12, 30, 13, 13, 13],
                  "collections": [14, 30, 16, 14, 13, 13, 12],
                  "accounts": [32, 12, 16, 16, 14, 16, 14],
                  "conversion": [40, 16, 16, 10, 12, 12, 14], "activity": [12, 14] + [12] * 13}
_CHART_HEIGHT = 300
_CHART_ROWS = 16           # rows one chart takes, with a gap
_CHART_COLUMNS = 6         # the left chart spans A:F, the right one G:M
_KPI_ROW = 3
_PAGE_BEFORE = ("top_customers",)
_CHART_TOP = 8
_CHANGES_CHART_TOP = 3
_CHANGES_CHART_COLUMNS = 4  # the left chart spans A:D, the right one E:I
_COLLECTIONS_CHART_COLUMNS = 4  # the left chart spans A:D, the right one E:G


def write_summary(summary: Summary, target: str | Path, lang: str = "zh") -> Path:
    """Write the summary workbook to ``target`` in one move.

    :raises FileInUse: the target is open in Excel; the old file is left as it was.
    """
    target = Path(target)
    tables = summary_tables(summary, lang)
    with atomic_path(target) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                              "strings_to_numbers": False})
        styles = _Styles(book, lang)
        for key, name in SUMMARY_SHEETS.items():
            ws = book.add_worksheet(name(lang))
            _setup_sheet(ws, key)
            mine = [tb for tb in tables if tb.sheet == key]
            if key == "summary":
                placed = _summary_sheet(ws, styles, summary, mine, lang)
                _charts(book, ws, name(lang), placed, mine, lang)
            elif key == "changes":
                _changes_sheet(book, ws, styles, summary, mine, lang)
            elif key == "collections":
                _collections_sheet(book, ws, styles, summary, mine, lang)
            else:
                _heading(ws, styles, 0, name(lang), summary.as_of, lang)
                placed = _stack(ws, styles, mine, 3, name(lang))
                if key == "conversion":
                    _conversion_chart(book, ws, placed["conversion"], lang)
                if key == "activity":
                    _activity_chart(book, ws, placed["activity"], summary, lang)
        book.close()
    return target


def _setup_sheet(ws, key: str) -> None:
    for col, width in enumerate(SUMMARY_WIDTHS[key]):
        ws.set_column(col, col, width)
    ws.set_landscape()
    ws.set_paper(9)                    # A4
    ws.fit_to_pages(1, 0)              # one page wide, as many pages down as needed
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer("&C&P / &N")
    ws.hide_gridlines(2)


def _heading(ws, styles, row: int, title: str, as_of: dt.date, lang: str) -> None:
    ws.set_row(row, 28)
    ws.write_string(row, 0, title, styles.get("title"))
    unit = "截至 {} · 金额单位：万元" if lang == "zh" else "As of {} · amounts in 10k CNY"
    ws.write_string(row + 1, 0, unit.format(as_of.isoformat()), styles.get("note"))


def _changes_sheet(book, ws, styles, summary: Summary, tables: list[Table], lang: str) -> None:
    """Charts on top (the bridge, commit accuracy against its band, pipeline by week), then the tables."""
    zh = lang == "zh"
    name = ws.name
    _heading(ws, styles, 0, name, summary.as_of, lang)
    top = _CHANGES_CHART_TOP + 2 * _CHART_ROWS + 1
    placed = _stack(ws, styles, tables, top, name)
    _filterable(ws, styles, next(tb for tb in tables if tb.name == "deal_changes"), placed["deal_changes"])
    ws.set_h_pagebreaks([top])
    compared = summary.changes.snapshots >= 2 and summary.changes.since != summary.as_of
    weeks = len(summary.changes.weeks) >= 2
    specs = [  # (draw, table, value columns, title, whether there is something to draw, the note instead)
        (_bridge_chart, "movement", [2, 3, 4, 5], "在途商机变化（万元）" if zh else "Open pipeline bridge (10k CNY)",
         compared, "只有一次合并的快照：下次合并后这里显示商机的变化。" if zh else
         "Only one merge's snapshot so far: the next merge shows what changed."),
        (_band_chart, "weeks", [5, 6, 7], "承诺准确率（%）" if zh else "Commit accuracy (%)", weeks,
         "至少两周的快照后显示趋势。" if zh else "The trend appears after two weekly snapshots."),
        (_trend_chart, "weeks", [1, 2], "每周在途与加权商机（万元）" if zh else "Open and weighted pipeline by week",
         weeks, "至少两周的快照后显示趋势。" if zh else "The trend appears after two weekly snapshots."),
    ]
    widths = [_pixels(w) for w in SUMMARY_WIDTHS["changes"]]
    left, right = sum(widths[:_CHANGES_CHART_COLUMNS]), sum(widths[_CHANGES_CHART_COLUMNS:])
    for i, (draw, table, columns, title, drawn, note) in enumerate(specs):
        row, col = _CHANGES_CHART_TOP + (i // 2) * _CHART_ROWS, 0 if i % 2 == 0 else _CHANGES_CHART_COLUMNS
        if not drawn:
            ws.write_string(row + 1, col, title, styles.get("table_title"))
            ws.write_string(row + 2, col, note, styles.get("note"))
            continue
        chart = draw(book, placed[table], columns, title, _value_axis(False))
        chart.set_size({"width": (left if i % 2 == 0 else right) - 12, "height": _CHART_HEIGHT})
        ws.insert_chart(row, col, chart, {"x_offset": 6, "y_offset": 4, "object_position": 1})


def _collections_sheet(book, ws, styles, summary: Summary, tables: list[Table], lang: str) -> None:
    """Two charts on top (money per rep, overdue by age), then the tables."""
    zh = lang == "zh"
    _heading(ws, styles, 0, ws.name, summary.as_of, lang)
    top = _CHANGES_CHART_TOP + _CHART_ROWS + 1
    placed = _stack(ws, styles, tables, top, ws.name)
    by_name = {tb.name: tb for tb in tables}
    specs = [(_rep_chart, "collections_reps", [1, 2, 3], "各销售合同额、已回款与应收（万元）" if zh
              else "Contracted, received and receivable by rep"),
             (_column_chart, "collections_ageing", [1], "逾期应收账龄（万元）" if zh else "Overdue by age")]
    widths = [_pixels(w) for w in SUMMARY_WIDTHS["collections"]]
    left, right = sum(widths[:_COLLECTIONS_CHART_COLUMNS]), sum(widths[_COLLECTIONS_CHART_COLUMNS:])
    for i, (draw, table, columns, title) in enumerate(specs):
        if not summary.collections.received + summary.collections.receivable or _no_data(by_name[table], columns):
            ws.write_string(_CHANGES_CHART_TOP + 1, 0 if i == 0 else _COLLECTIONS_CHART_COLUMNS, title,
                            styles.get("table_title"))
            continue                  # no collections tracked yet (or nothing overdue): no empty chart
        chart = draw(book, placed[table], columns, title, _value_axis(False))
        chart.set_size({"width": (left if i == 0 else right) - 12, "height": _CHART_HEIGHT})
        ws.insert_chart(_CHANGES_CHART_TOP, 0 if i == 0 else _COLLECTIONS_CHART_COLUMNS, chart,
                        {"x_offset": 6, "y_offset": 4, "object_position": 1})


def _filterable(ws, styles, table: Table, p: Placement) -> None:
    """An Excel table over the changed deals, so a manager filters by kind, rep or customer."""
    if table.rows:
        ws.add_table(p.header_row, p.first_col, p.last_row, p.first_col + p.columns - 1,
                     {"columns": [{"header": h, "header_format": styles.get("header")} for h in table.headers],
                      "style": "Table Style Light 1", "name": "PipelineChanges"})


def _summary_sheet(ws, styles, summary: Summary, tables: list[Table], lang: str) -> dict[str, Placement]:
    title = "销售管理汇总" if lang == "zh" else "Sales summary"
    _heading(ws, styles, 0, title, summary.as_of, lang)
    kpi, rest = tables[0], tables[1:]
    _kpis(ws, styles, kpi, lang)
    top = _CHART_TOP + 2 * _CHART_ROWS + 1          # tables start under the 2 × 2 chart grid
    placed = _stack(ws, styles, rest, top, ws.name)
    # Page 1 is the dashboard (KPIs and charts), page 2 the pipeline tables, then customers and contracts.
    ws.set_h_pagebreaks([top] + [placed[name].header_row - 1 for name in _PAGE_BEFORE])
    return placed


def _kpis(ws, styles, kpi: Table, lang: str) -> None:
    """One tile per KPI: a label, a big number and a caption; column A alone, then pairs of columns."""
    ws.set_row(_KPI_ROW + 1, 36)
    values, captions = kpi.rows
    for i, (label, value, caption, kind) in enumerate(zip(kpi.headers, values, captions, kpi.formats)):
        first, last = (0, 0) if i == 0 else (2 * i - 1, 2 * i)
        flagged = (0, i) in kpi.flags
        big = styles.kpi(kind, flagged)
        _merge(ws, _KPI_ROW, first, last, label, styles.get("kpi_label"))
        _merge(ws, _KPI_ROW + 2, first, last, caption, styles.get("kpi_caption"))
        if value is None or (isinstance(value, float) and math.isnan(value)):
            _merge(ws, _KPI_ROW + 1, first, last, "—", big)
        elif first == last:
            ws.write_number(_KPI_ROW + 1, first, value, big)
        else:
            ws.merge_range(_KPI_ROW + 1, first, _KPI_ROW + 1, last, None, big)
            ws.write_number(_KPI_ROW + 1, first, value, big)


def _merge(ws, row: int, first: int, last: int, text: str, style) -> None:
    if first == last:
        ws.write_string(row, first, text, style)
    else:
        ws.merge_range(row, first, row, last, text, style)


def _stack(ws, styles, tables: list[Table], row: int, sheet: str) -> dict[str, Placement]:
    """Write tables one under another from ``row``; returns where each landed."""
    placed = {}
    for table in tables:
        placed[table.name] = _table(ws, styles, table, row, sheet)
        row = placed[table.name].last_row + (3 if table.total is None else 4)
    return placed


def _table(ws, styles, table: Table, row: int, sheet: str) -> Placement:
    ws.write_string(row, 0, table.title, styles.get("table_title"))
    header = row + 1
    ws.set_row(header, _header_height(table.headers, SUMMARY_WIDTHS.get(_sheet_key(sheet), [13] * 30)))
    for c, label in enumerate(table.headers):
        ws.write_string(header, c, label, styles.get("header"))
    rows = table.rows or [[("（无）" if styles.lang == "zh" else "(none)")] + [None] * (len(table.headers) - 1)]
    for r, values in enumerate(rows):
        for c, (value, kind) in enumerate(zip(values, table.formats)):
            _cell(ws, header + 1 + r, c, value, styles.cell(kind, (r, c) in table.flags))
    last = header + len(rows)
    if table.total is not None:
        for c, (value, kind) in enumerate(zip(table.total, table.formats)):
            _cell(ws, last + 1, c, value, styles.cell(kind, False, total=True))
    return Placement(sheet, header, header + 1, last, 0, len(table.headers))


def _sheet_key(name: str) -> str:
    return next((k for k, v in SUMMARY_SHEETS.items() if name in (v.zh, v.en)), "summary")


def _header_height(headers: list[str], widths: list[float]) -> float:
    """Header labels wrap: tall enough for the longest one in its column."""
    lines = max(math.ceil(text_width(h) / max(widths[c] - 1, 1)) for c, h in enumerate(headers))
    return 15 * max(lines, 1) + 6


def _cell(ws, row: int, col: int, value: Any, style) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(row, col, None, style)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), style)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, style)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, style)
    else:
        ws.write_string(row, col, str(value), style)


class _Styles:
    """The workbook's formats, made once each."""
    NAVY = "#1F4E78"

    def __init__(self, book, lang: str):
        self.book, self.lang, self._made = book, lang, {}
        self._named = {
            "title": {"bold": True, "font_size": 16, "font_color": self.NAVY},
            "note": {"font_color": "#595959", "italic": True},
            "table_title": {"bold": True, "font_size": 12, "font_color": self.NAVY},
            "header": {"bold": True, "bg_color": self.NAVY, "font_color": "#FFFFFF", "border": 1,
                       "text_wrap": True, "valign": "vcenter", "align": "center"},
            "kpi_label": {"bold": True, "font_color": "#595959", "align": "center", "bg_color": "#DDEBF7",
                          "top": 2, "left": 1, "right": 1, "top_color": self.NAVY},
            "kpi_caption": {"font_size": 9, "font_color": "#7F7F7F", "align": "center", "bg_color": "#DDEBF7",
                            "bottom": 1, "left": 1, "right": 1},
        }

    def _make(self, key: tuple, props: dict):
        if key not in self._made:
            self._made[key] = self.book.add_format(props)
        return self._made[key]

    def get(self, name: str):
        return self._make(("named", name), self._named[name])

    def cell(self, kind: str, flagged: bool, total: bool = False):
        props = {"border": 1, "border_color": "#BFBFBF", "valign": "vcenter"}
        if kind in NUMBER_FORMATS:
            props["num_format"] = NUMBER_FORMATS[kind]
        if kind == "date":
            props["align"] = "center"
        if flagged:
            props.update({"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True})
        if total:
            props.update({"bold": True, "top": 2, "bg_color": "#F2F2F2"})
        return self._make(("cell", kind, flagged, total), props)

    def kpi(self, kind: str, flagged: bool):
        props = {"bold": True, "font_size": 18, "align": "center", "valign": "vcenter", "bg_color": "#DDEBF7",
                 "left": 1, "right": 1, "font_color": "#9C0006" if flagged else self.NAVY,
                 "num_format": KPI_MONEY[self.lang] if kind == "money" else NUMBER_FORMATS.get(kind, "General")}
        return self._make(("kpi", kind, flagged), props)


# Charts
def _charts(book, ws, sheet: str, placed: dict[str, Placement], tables: list[Table], lang: str) -> None:
    """A 2 × 2 grid under the KPIs: funnel, reps against target, forecast, commit trend."""
    zh = lang == "zh"
    by_name = {t.name: t for t in tables}
    specs = [  # (draw, table, value columns, title)
        (_funnel_chart, "by_stage", [2], "销售漏斗（金额，万元）" if zh else "Funnel (10k CNY)"),
        (_rep_chart, "reps", [1, 2, 5], "各销售商机与本月指标（万元）" if zh else "Pipeline vs target by rep"),
        (_column_chart, "forecast", [1, 2], "预测类别（万元）" if zh else "Forecast categories"),
        (_trend_chart, "commit_trend", [1, 2], "承诺与成交趋势（万元）" if zh else "Commit vs closed"),
    ]
    widths = [_pixels(w) for w in SUMMARY_WIDTHS["summary"]]
    left, right = sum(widths[:_CHART_COLUMNS]), sum(widths[_CHART_COLUMNS:])
    for i, (draw, name, columns, title) in enumerate(specs):
        chart = draw(book, placed[name], columns, title, _value_axis(_no_data(by_name[name], columns)))
        chart.set_size({"width": (left if i % 2 == 0 else right) - 12, "height": _CHART_HEIGHT})
        ws.insert_chart(_CHART_TOP + (i // 2) * _CHART_ROWS, 0 if i % 2 == 0 else _CHART_COLUMNS, chart,
                        {"x_offset": 6, "y_offset": 4, "object_position": 1})


def _conversion_chart(book, ws, p: Placement, lang: str) -> None:
    """The conversion funnel: each stage's conversion and loss rate, beside the table."""
    title = "各阶段转化率与丢单率（%）" if lang == "zh" else "Conversion and loss rate by stage (%)"
    chart = _column_chart(book, p, [4, 5], title, _value_axis(False))
    chart.set_size({"width": 560, "height": _CHART_HEIGHT})
    ws.insert_chart(p.header_row, p.first_col + p.columns + 1, chart, {"x_offset": 6, "object_position": 1})


def _activity_chart(book, ws, p: Placement, summary: Summary, lang: str) -> None:
    """This month's visits against the visit target per rep, under the table (the month's rows come first)."""
    months = sum(r.period == "month" for r in summary.activity)
    month = Placement(p.sheet, p.header_row, p.first_row, p.first_row + max(months, 1) - 1, p.first_col, p.columns)
    chart = book.add_chart({"type": "column"})
    for col, color in ((2, BLUE), (3, ORANGE)):
        chart.add_series({"name": _name_ref(month, col), "categories": _ref(month, 1), "values": _ref(month, col),
                          "fill": {"color": color}})
    chart.set_y_axis(_value_axis(not months))
    _style_chart(chart, "本月拜访与拜访指标" if lang == "zh" else "Visits vs target this month")
    chart.set_size({"width": 640, "height": _CHART_HEIGHT})
    ws.insert_chart(p.last_row + 3, 0, chart, {"x_offset": 6, "object_position": 1})


def _no_data(table: Table, columns: list[int]) -> bool:
    return not any(row[c] for row in table.rows for c in columns)


def _value_axis(empty: bool) -> dict:
    axis = {"num_format": "#,##0", "min": 0, "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}}
    # With nothing to show, Excel picks a 0-1 scale in steps of 0.5, which "#,##0" prints as 0, 1, 1.
    return {**axis, "max": 1, "major_unit": 1} if empty else axis


def _pixels(width: float) -> int:
    """Excel's column width in characters -> pixels (default font)."""
    return int(width * 7 + 5)


def _ref(p: Placement, col: int) -> list:
    return [p.sheet, p.first_row, p.first_col + col, p.last_row, p.first_col + col]


def _name_ref(p: Placement, col: int) -> list:
    return [p.sheet, p.header_row, p.first_col + col]


def _style_chart(chart, title: str, legend: bool = True) -> None:
    chart.set_title({"name": title, "name_font": {"size": 12, "bold": True}})
    chart.set_legend({"position": "bottom"} if legend else {"none": True})
    chart.set_chartarea({"border": {"color": "#BFBFBF"}})


BLUE, LIGHT_BLUE, GREEN, LIGHT_GREEN, ORANGE, RED = "#2E75B6", "#9DC3E6", "#70AD47", "#A9D18E", "#C55A11", "#C00000"


def _funnel_chart(book, p: Placement, columns: list[int], title: str, value_axis: dict):
    chart = book.add_chart({"type": "bar"})
    stages = p.last_row - p.first_row + 1
    # The last bar is what was won this month: green, apart from the open stages.
    points = [{"fill": {"color": BLUE}}] * (stages - 1) + [{"fill": {"color": GREEN}}]
    chart.add_series({"name": _name_ref(p, columns[0]), "categories": _ref(p, 0), "values": _ref(p, columns[0]),
                      "points": points, "gap": 40, "data_labels": {"value": True, "num_format": "#,##0.0"}})
    chart.set_y_axis({"reverse": True})            # stage 1 on top, as a funnel reads
    chart.set_x_axis(value_axis)                   # a bar chart's values run along x
    _style_chart(chart, title, legend=False)
    return chart


def _rep_chart(book, p: Placement, columns: list[int], title: str, value_axis: dict):
    chart = book.add_chart({"type": "column"})
    for col, color in zip(columns, (BLUE, LIGHT_BLUE, ORANGE)):        # open, weighted, target
        chart.add_series({"name": _name_ref(p, col), "categories": _ref(p, 0), "values": _ref(p, col),
                          "fill": {"color": color}})
    chart.set_y_axis(value_axis)
    _style_chart(chart, title)
    return chart


def _column_chart(book, p: Placement, columns: list[int], title: str, value_axis: dict):
    chart = book.add_chart({"type": "column"})
    for col, color in zip(columns, (BLUE, LIGHT_GREEN)):
        chart.add_series({"name": _name_ref(p, col), "categories": _ref(p, 0), "values": _ref(p, col),
                          "fill": {"color": color}, "data_labels": {"value": True, "num_format": "#,##0.0"}})
    chart.set_y_axis(value_axis)
    _style_chart(chart, title)
    return chart


def _trend_chart(book, p: Placement, columns: list[int], title: str, value_axis: dict):
    chart = book.add_chart({"type": "line"})
    for col, color in zip(columns, (BLUE, GREEN)):
        chart.add_series({"name": _name_ref(p, col), "categories": _ref(p, 0), "values": _ref(p, col),
                          "line": {"color": color, "width": 2.25},
                          "marker": {"type": "circle", "size": 6, "fill": {"color": color},
                                     "border": {"color": color}}})
    # A text axis: a date axis with a single point is drawn from 1900-01-01 by LibreOffice.
    chart.set_x_axis({"text_axis": True, "num_format": "mm-dd"})
    chart.set_y_axis(value_axis)
    _style_chart(chart, title)
    return chart


def _bridge_chart(book, p: Placement, columns: list[int], title: str, value_axis: dict):
    """A waterfall as stacked columns: an invisible base lifts each step to where the last one ended."""
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    base, up, down, total = columns
    chart.add_series({"name": _name_ref(p, base), "categories": _ref(p, 0), "values": _ref(p, base),
                      "fill": {"none": True}, "border": {"none": True}})
    for col, color in ((up, GREEN), (down, RED), (total, BLUE)):
        chart.add_series({"name": _name_ref(p, col), "categories": _ref(p, 0), "values": _ref(p, col),
                          "fill": {"color": color}, "gap": 50})
    chart.set_y_axis(value_axis)
    _style_chart(chart, title, legend=False)
    return chart


def _band_chart(book, p: Placement, columns: list[int], title: str, value_axis: dict):
    """Commit accuracy by week, between the healthy band's two lines (from the config)."""
    chart = book.add_chart({"type": "line"})
    value, low, high = columns
    chart.add_series({"name": _name_ref(p, value), "categories": _ref(p, 0), "values": _ref(p, value),
                      "line": {"color": BLUE, "width": 2.25},
                      "marker": {"type": "circle", "size": 6, "fill": {"color": BLUE}, "border": {"color": BLUE}}})
    for col in (low, high):
        chart.add_series({"name": _name_ref(p, col), "categories": _ref(p, 0), "values": _ref(p, col),
                          "line": {"color": GREEN, "width": 1.25, "dash_type": "dash"}})
    chart.set_x_axis({"text_axis": True, "num_format": "mm-dd"})
    chart.set_y_axis({**value_axis, "num_format": '0"%"'})
    _style_chart(chart, title)
    return chart
