"""rollup() on a small store built by hand: every number checked against arithmetic in the comments.

The scenario (as of Wednesday 2024-04-10, money in 万元) has four merge runs, each
snapshotting the pipeline as it stood:

    run 1  2024-03-27   run 2  2024-04-03 (the baseline: exactly 7 days before)
    run 3  2024-04-05 (too recent to be the baseline)    run 4  2024-04-10 (now)
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from xltools.forms.config import Config
from xltools.forms.model import Record
from xltools.forms.config import rebate_rate
from xltools.rollup import rollup
from xltools.rollup.pipeline import stages
from xltools.store import open_store
from xltools.store.interface import FINDING_COLUMNS

AS_OF = dt.date(2024, 4, 10)
ZHANG, LI, WANG, ZHAO = "张三", "李四", "王五", "赵六"


def d(month: int, day: int) -> dt.date:
    return dt.date(2024, month, day)


# The scenario
def project(pid, rep, customer, stage, amount, close, forecast=None, probability=None, delivered=None, reason=None):
    return {"project_id": pid, "project": f"{customer}项目", "customer": customer, "owner": rep,
            "stage": stage, "amount": amount, "expected_close": close, "forecast": forecast,
            "win_probability": probability, "delivered": delivered, "win_loss_reason": reason}


# Now (run 4). Open: P1 P2 P3 P7 P8; won: P4 P5 P9 P11; lost: P6 P10.
NOW = [
    project("P1", ZHANG, "华络通信", "3 有资格", 25, d(4, 20), "承诺"),
    project("P2", ZHANG, "深圳市华络通信有限公司", "2 接触", 10, d(5, 15), "管道"),   # slipped from 04-30
    project("P3", ZHANG, "星辰科技", "4 已发展", 40, d(6, 10), "争取", probability=60),  # 赢率 overrides 75
    project("P4", ZHANG, "云帆软件", "6 收回全款", 30, d(4, 6), "已成交", reason="方案贴合需求"),
    # Expected in March but delivered in April: closed on the delivery date, so this month.
    project("P5", ZHANG, "蓝海物流", "5 已承诺", 20, d(3, 28), "已成交", delivered=d(4, 5), reason="方案贴合需求"),
    project("P6", ZHANG, "华络通信", "3 有资格", 15, d(4, 8), "丢单", reason="价格偏高"),
    project("P7", LI, "明月集团", "5 已承诺", 50, d(4, 25), "承诺"),                  # slipped from 04-09
    project("P8", LI, "明月集团有限公司", "1 确定", 8, d(7, 1)),                        # no forecast: 管道
    project("P9", LI, "远山制造", "6 收回全款", 12, d(3, 15), "已成交"),               # won in March
    project("P10", LI, "远山制造", "3 有资格", 5, d(4, 2), "丢单", reason="价格偏高"),
    project("P11", WANG, "青松医疗", "6 收回全款", 25, d(4, 9), reason="关系良好"),      # stage 6 alone = won
]


def _replace(rows, pid, **changes):
    return [dict(r, **changes) if r["project_id"] == pid else r for r in rows]


def baseline_state():
    """The pipeline on 2024-04-03 (run 2)."""
    rows = [r for r in NOW if r["project_id"] != "P8"]                       # P8 is new since
    rows = _replace(rows, "P2", expected_close=d(4, 30))
    rows = _replace(rows, "P4", stage="5 已承诺", forecast="承诺", reason=None)
    rows = _replace(rows, "P6", forecast="承诺", reason=None)
    rows = _replace(rows, "P7", expected_close=d(4, 9))
    rows = _replace(rows, "P11", stage="4 已发展", forecast="争取", reason=None)
    return rows


def first_state():
    """The pipeline on 2024-03-27 (run 1)."""
    rows = _replace(baseline_state(), "P5", forecast="承诺", reason=None, delivered=None)
    return _replace(rows, "P10", forecast="承诺", reason=None)


CUSTOMERS = [
    {"customer": "华络通信", "owner": ZHANG, "grade": "A类", "next_follow_up": d(4, 8), "buying_power": 300},
    {"customer": "星辰科技", "owner": ZHANG, "grade": "B类", "next_follow_up": d(4, 15), "buying_power": 120},
    {"customer": "云帆软件", "owner": ZHANG, "grade": "C类", "next_follow_up": d(4, 18)},
    {"customer": "明月集团", "owner": LI, "grade": "A类", "next_follow_up": d(4, 17), "buying_power": 500},
    {"customer": "远山制造", "owner": ZHAO, "grade": "B类"},
]
VISITS = [
    {"customer": "云帆软件", "date": d(4, 2), "visitor": ZHANG, "satisfaction": 5, "next_visit": d(5, 2)},
    {"customer": "云帆软件", "date": d(4, 9), "visitor": ZHANG, "satisfaction": 4, "next_visit": d(4, 12)},
    {"customer": "星辰科技", "date": d(4, 20), "visitor": ZHANG},                       # planned, not yet a visit
    {"customer": "明月集团", "date": d(3, 20), "visitor": LI, "satisfaction": 3, "next_visit": d(4, 5)},
]
OBJECTIONS = [
    {"customer": "华络通信", "raised": d(4, 1), "category": "价格", "objection": "报价高", "owner": ZHANG,
     "resolve_by": d(4, 5), "status": "未解决"},
    {"customer": "星辰科技", "raised": d(4, 2), "category": "功能", "objection": "缺报表", "owner": ZHANG,
     "resolve_by": d(4, 3), "status": "已解决"},
    {"customer": "明月集团", "raised": d(4, 8), "objection": "担心交付", "owner": LI, "resolve_by": d(4, 12)},
    {"customer": "明月集团", "raised": d(3, 1), "category": "实施周期", "objection": "周期太长", "owner": LI,
     "resolve_by": d(3, 31), "status": "未解决"},
]


def contract(cid, customer, amount, submitter, submitted, steps):
    return [{"contract_id": cid, "customer": customer, "amount": amount, "submitter": submitter,
             "submitted": submitted, "step": step, "decision": decision, "decided": decided}
            for step, decision, decided in steps]


MANAGER, LEGAL, GM = "销售经理审核", "法务审核", "总经理审批"
CONTRACTS = [
    *contract("HT-202404001", "云帆软件", 19.99, ZHANG, d(4, 1),
              [(MANAGER, "同意", d(4, 2)), (LEGAL, "同意", d(4, 4))]),                    # below 20: no GM
    *contract("HT-202404002", "蓝海物流", 20, ZHANG, d(4, 1),
              [(MANAGER, "同意", d(4, 2)), (LEGAL, "同意", d(4, 3)), (GM, "同意", d(4, 6))]),
    *contract("HT-202404003", "星辰科技", 100, ZHANG, d(3, 25),
              [(MANAGER, "同意", d(3, 26)), (LEGAL, "同意", d(3, 28)), (GM, "同意", d(4, 1))]),
    *contract("HT-202404004", "明月集团", 50, LI, d(4, 3),
              [(MANAGER, "同意", d(4, 5)), (LEGAL, "待审", None)]),
    *contract("HT-202404005", "远山制造", 30, LI, d(4, 8),
              [(MANAGER, "同意", d(4, 9)), (LEGAL, "同意", d(4, 10))]),                   # 30 >= 20 needs GM
    *contract("HT-202404006", "华络通信", 25, ZHANG, d(4, 2), [(MANAGER, "驳回", d(4, 3))]),
    *contract("HT-202404007", "青松医疗", 5, WANG, d(4, 9), [(MANAGER, "待审", None)]),
]
TARGETS = [
    {"rep": ZHANG, "month": d(4, 1), "sales_target": 100},
    {"rep": ZHANG, "month": d(3, 1), "sales_target": 999},       # another month: ignored
    {"rep": LI, "month": d(4, 1), "sales_target": 40},
    {"rep": WANG, "month": d(4, 1), "sales_target": 20},
]


def records(file: str, form: str, rows: list[dict], rep_field: str | None) -> list[Record]:
    return [Record(form, file, form, i, {k: v for k, v in row.items() if v is not None},
                   rep=row.get(rep_field) if rep_field else None) for i, row in enumerate(rows, start=2)]


def files_for(pipeline: list[dict]) -> dict[str, list[Record]]:
    """Each rep's workbook holds their rows of every form; targets come from the admin's book."""
    books: dict[str, list[Record]] = {}
    for rep in (ZHANG, LI, WANG, ZHAO):
        name = f"{rep}.xlsx"
        mine = lambda rows, key: [r for r in rows if r.get(key) == rep]  # noqa: E731
        books[name] = (records(name, "pipeline", mine(pipeline, "owner"), "owner")
                       + records(name, "customers", mine(CUSTOMERS, "owner"), "owner")
                       + records(name, "visits", mine(VISITS, "visitor"), "visitor")
                       + records(name, "objections", mine(OBJECTIONS, "owner"), "owner")
                       + records(name, "contracts", mine(CONTRACTS, "submitter"), "submitter"))
    books["targets.xlsx"] = records("targets.xlsx", "targets", TARGETS, "rep")
    return books


def merge_state(store, as_of: dt.date, pipeline: list[dict]) -> tuple[int, dict[str, int]]:
    """What a merge does to the store: a run, the files' rows, a pipeline snapshot."""
    run = store.start_run(as_of, ["inbox"])
    ids = {}
    for name, recs in files_for(pipeline).items():
        ids[name] = store.upsert_file("inbox", name, name, Path(name).stem, "active", run)
        store.replace_rows(ids[name], recs, run)
    store.snapshot_pipeline(run, as_of)
    return run, ids


def finding(file_id, code, severity, rep, customer=None, key=None, at_row=2):
    row = {"file_id": file_id, "form": "pipeline", "sheet": "商机跟踪", "row": at_row, "column_letter": "A",
           "field": "project", "code": code, "severity": severity, "customer": customer, "rep": rep, "value": None,
           "message_zh": code, "message_en": code, "row_key": key}
    return tuple(row[c] for c in FINDING_COLUMNS)


def build_store(path: Path):
    """The scenario's store, open; the caller closes it."""
    store = open_store(path)
    runs = [merge_state(store, d(3, 27), first_state())[0], merge_state(store, d(4, 3), baseline_state())[0],
            merge_state(store, d(4, 5), NOW)[0]]
    run, ids = merge_state(store, AS_OF, NOW)
    runs.append(run)
    store.replace_findings(run, "rule", [ids["张三.xlsx"], ids["李四.xlsx"]], [
        finding(ids["张三.xlsx"], "required", "error", ZHANG), finding(ids["张三.xlsx"], "required", "error", ZHANG),
        finding(ids["张三.xlsx"], "close-date-stale", "warning", ZHANG, "华络通信", "XM-001"),
        finding(ids["李四.xlsx"], "follow-up-overdue", "warning", LI, "明月集团"),
        finding(ids["李四.xlsx"], "column-extra", "info", LI),                  # info is not counted
        finding(ids["李四.xlsx"], "form-unknown", "warning", None, at_row=None)])   # a whole-sheet finding: no rep
    # A file that left the inbox: its old findings no longer count.
    gone = store.upsert_file("inbox", "old.xlsx", "old", ZHANG, "withdrawn", run)
    store.replace_findings(run, "rule", [gone], [finding(gone, "required", "error", ZHANG)])
    store.runs_made = runs
    return store


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    store = build_store(tmp_path_factory.mktemp("rollup") / "sales.db")
    yield store
    store.close()


@pytest.fixture(scope="module")
def summary(scenario):
    return rollup(scenario, AS_OF)


def rep(summary, name):
    return next(r for r in summary.reps if r.rep == name)


# Pipeline
def test_open_pipeline_excludes_won_lost_and_stage_6(summary):
    p = summary.pipeline
    # Open: P1 25 + P2 10 + P3 40 + P7 50 + P8 8 = 133 (P4 P5 P9 P11 won, P6 P10 lost)
    assert p.open_count == 5
    assert p.open_amount == pytest.approx(133)
    # Weighted: P1 25×0.50 + P2 10×0.25 + P3 40×0.60 (its own 赢率) + P7 50×0.90 + P8 8×0.10
    #         = 12.5 + 2.5 + 24 + 45 + 0.8 = 84.8
    assert p.weighted_amount == pytest.approx(84.8)


def test_funnel_has_every_stage_in_order(summary):
    rows = [(r.stage, r.count, r.amount, r.weighted_amount) for r in summary.pipeline.by_stage]
    assert [r[0] for r in rows] == stages()
    assert rows == [
        ("1 确定", 1, 8, pytest.approx(0.8)),           # P8
        ("2 接触", 1, 10, 2.5),                          # P2
        ("3 有资格", 1, 25, 12.5),                       # P1 (P6 is lost)
        ("4 已发展", 1, 40, 24),                         # P3
        ("5 已承诺", 1, 50, 45),                         # P7 (P5 is won)
        ("6 收回全款", 3, 75, 75),                       # won this month: P4 30 + P5 20 + P11 25
    ]
    # Stages 1-5 add up to the open pipeline: 8 + 10 + 25 + 40 + 50 = 133
    assert sum(r.amount for r in summary.pipeline.by_stage[:5]) == pytest.approx(summary.pipeline.open_amount)


def test_closed_this_month_uses_delivery_date(summary):
    # P4 (04-06) 30 + P5 (expected 03-28, delivered 04-05) 20 + P11 (04-09) 25 = 75; P9 closed in March
    assert summary.closed_won_amount == pytest.approx(75)


def test_forecast_by_month_and_quarter(summary):
    f = summary.forecast
    assert (f.month_label, f.quarter_label) == ("2024-04", "2024Q2")
    # April: 承诺 P1 25 + P7 50 = 75; 争取 P3 is June; 管道 P2 May, P8 July; 已成交 75 as above;
    # 丢单 P6 (04-08) 15 + P10 (04-02) 5 = 20
    assert f.month == {"承诺": 75, "争取": 0, "管道": 0, "已成交": 75, "丢单": 20}
    # Q2: 争取 P3 40; 管道 P2 10 (P8 is in July)
    assert f.quarter == {"承诺": 75, "争取": 40, "管道": 10, "已成交": 75, "丢单": 20}


# Reps
def test_rep_rows_are_sorted_and_complete(summary):
    assert [r.rep for r in summary.reps] == sorted([ZHANG, LI, WANG, ZHAO])


def test_rep_zhang(summary):
    r = rep(summary, ZHANG)
    assert (r.customers_a, r.customers_b, r.customers_c) == (1, 1, 1)
    assert r.visits_this_month == 2                       # 04-02 and 04-09; 04-20 is a plan
    assert r.overdue_follow_ups == 1                      # 华络通信 due 04-08
    assert r.open_pipeline == pytest.approx(75)           # P1 25 + P2 10 + P3 40
    assert r.weighted_pipeline == pytest.approx(39)       # 12.5 + 2.5 + 24
    assert r.commit == pytest.approx(25)                  # P1 (P4 承诺 earlier, won now)
    assert r.closed_this_month == pytest.approx(50)       # P4 30 + P5 20
    assert r.target == 100                                # April's, not March's 999
    assert r.attainment == pytest.approx(50)              # 50 ÷ 100 × 100
    assert r.remaining_target == pytest.approx(50)        # 100 − 50
    assert r.coverage == pytest.approx(150)               # 75 ÷ 50 × 100
    assert r.coverage_flag is False                       # 150 is healthy: only below it is flagged
    assert r.avg_satisfaction == pytest.approx(4.5)       # (5 + 4) ÷ 2
    assert (r.open_objections, r.overdue_objections) == (1, 1)
    assert (r.errors, r.warnings) == (2, 1)               # the withdrawn file's error is not counted


def test_rep_li_coverage_below_healthy_is_flagged(summary):
    r = rep(summary, LI)
    assert r.open_pipeline == pytest.approx(58)           # P7 50 + P8 8
    assert r.weighted_pipeline == pytest.approx(45.8)     # 45 + 0.8
    assert r.commit == pytest.approx(50)
    assert r.closed_this_month == 0                       # P9 closed in March
    assert (r.target, r.attainment, r.remaining_target) == (40, 0, 40)
    assert r.coverage == pytest.approx(145)               # 58 ÷ 40 × 100
    assert r.coverage_flag is True
    assert r.visits_this_month == 0 and r.avg_satisfaction == 3
    assert (r.open_objections, r.overdue_objections) == (2, 1)   # blank status counts as open
    assert (r.errors, r.warnings) == (0, 1)                      # the info finding is not counted


def test_rep_over_target_and_rep_without_target(summary):
    wang = rep(summary, WANG)
    assert wang.closed_this_month == 25 and wang.target == 20
    assert wang.attainment == pytest.approx(125)          # 25 ÷ 20 × 100
    assert wang.remaining_target == 0                     # max(20 − 25, 0)
    assert wang.coverage is None and wang.coverage_flag is False
    zhao = rep(summary, ZHAO)
    assert zhao.customers_b == 1
    assert (zhao.target, zhao.attainment, zhao.remaining_target, zhao.coverage) == (None, None, None, None)
    assert zhao.coverage_flag is False


def test_team_attainment(summary):
    # 75 closed ÷ (100 + 40 + 20) targets = 46.875 %
    assert summary.attainment == pytest.approx(46.875)


# Commit accuracy
def test_commit_accuracy_against_the_snapshot_seven_days_back(summary, scenario):
    ca = summary.commit_accuracy
    # Runs on 03-27, 04-03, 04-05, 04-10: 04-03 is the latest at least 7 days before 04-10.
    assert ca.baseline_as_of == d(4, 3)
    assert ca.baseline_run == scenario.runs_made[1]
    # Window (04-03, 04-10]. Commit in the 04-03 snapshot: P4 30 (04-06) + P6 15 (04-08) + P7 50 (04-09) = 95
    assert ca.commit == pytest.approx(95)
    # Won now with a closed date in the window: P4 30 (04-06) + P5 20 (delivered 04-05) + P11 25 (04-09) = 75
    assert ca.closed == pytest.approx(75)
    assert ca.value == pytest.approx(75 / 95 * 100)       # 78.95 %
    assert ca.healthy is False                            # outside 95-110


def test_slipped_and_lost_since_the_baseline(summary):
    ca = summary.commit_accuracy
    assert [(s.project_id, s.owner, s.amount, s.was, s.now) for s in ca.slipped] == [
        ("P7", LI, 50, d(4, 9), d(4, 25)),                # biggest first
        ("P2", ZHANG, 10, d(4, 30), d(5, 15)),
    ]
    # P6 was 承诺 on 04-03 and is 丢单 now; P10 was already lost then.
    assert [(x.project_id, x.amount, x.was, x.reason) for x in ca.lost] == [("P6", 15, "承诺", "价格偏高")]


def test_commit_trend_over_weekly_snapshots(summary):
    # Weekly chain back from 04-10: 04-03, then 03-27 (04-05 is skipped: less than 7 days).
    # 03-27 -> 04-03: commit P5 20 (03-28) + P10 5 (04-02) = 25; closed in the 04-03 snapshot: P5 20 (03-28)
    # 04-03 -> 04-10: commit 95 as above; closed in the 04-10 snapshot, which has no delivery dates:
    #                 P4 30 (04-06) + P11 25 (04-09) = 55
    assert [(p.as_of, p.commit, p.closed) for p in summary.commit_accuracy.trend] == [
        (d(4, 3), 25, 20), (d(4, 10), 95, 55)]


def test_no_baseline_without_a_snapshot_seven_days_old(tmp_path):
    store = open_store(tmp_path / "s.db")
    merge_state(store, d(4, 4), baseline_state())                # 6 days before 04-10
    merge_state(store, AS_OF, NOW)
    ca = rollup(store, AS_OF).commit_accuracy
    store.close()
    assert (ca.value, ca.healthy, ca.baseline_as_of, ca.baseline_run) == (None, None, None, None)
    assert ca.slipped == [] and ca.lost == []


def test_latest_run_of_the_baseline_day_counts(tmp_path):
    store = open_store(tmp_path / "s.db")
    merge_state(store, d(4, 3), NOW)                             # superseded the same day
    second, _ = merge_state(store, d(4, 3), baseline_state())
    merge_state(store, AS_OF, NOW)
    ca = rollup(store, AS_OF).commit_accuracy
    store.close()
    assert ca.baseline_run == second and ca.commit == pytest.approx(95)


def test_healthy_commit_accuracy_within_range(tmp_path):
    # The baseline commits P4 30 + P11 25 = 55 in the window and 75 closes: 136 %, healthy in a 95-140 range.
    store = open_store(tmp_path / "s.db")
    base = _replace(_replace(baseline_state(), "P6", forecast="争取"), "P7", forecast="争取")
    base = _replace(base, "P11", forecast="承诺")
    merge_state(store, d(4, 3), base)
    merge_state(store, AS_OF, NOW)
    ca = rollup(store, AS_OF, Config(commit_accuracy_range=(95.0, 140.0))).commit_accuracy
    store.close()
    assert ca.commit == pytest.approx(55)                 # P4 30 + P11 25
    assert ca.value == pytest.approx(75 / 55 * 100)       # 136.4 %
    assert ca.healthy is True


# Win rate, customers, objections
def test_win_rate_and_reasons(summary):
    w = summary.win_rate
    assert (w.won, w.lost) == (4, 2)                      # P4 P5 P9 P11 / P6 P10
    assert w.rate == pytest.approx(4 / 6 * 100)           # 66.67 %
    assert [(r.reason, r.won, r.lost) for r in w.reasons] == [
        ("价格偏高", 0, 2), ("方案贴合需求", 2, 0), ("", 1, 0), ("关系良好", 1, 0)]


def test_top_customers_match_names_across_forms(summary):
    top = [(c.customer, c.owner, c.grade, c.buying_power, c.open_pipeline, c.weighted_pipeline, c.projects)
           for c in summary.top_customers]
    assert top == [
        ("明月集团", LI, "A类", 500, 58, pytest.approx(45.8), 2),            # P7 + P8 (明月集团有限公司)
        ("星辰科技", ZHANG, "B类", 120, 40, 24, 1),
        ("华络通信", ZHANG, "A类", 300, 35, 15, 2),                          # P1 + P2 (深圳市华络通信有限公司)
    ]


def test_objections_by_type_and_overdue(summary):
    o = summary.objections
    assert [(t.category, t.count, t.open) for t in o.by_type] == [
        ("价格", 1, 1), ("实施周期", 1, 1), ("功能", 1, 0), ("竞争对手", 0, 0), ("服务", 0, 0),
        ("其他", 1, 1)]                                   # the uncategorised one
    # Overdue: open and 计划解决时间 before 04-10: 03-31 -> 10 days, 04-05 -> 5 days
    assert [(x.customer, x.category, x.days_overdue) for x in o.overdue] == [
        ("明月集团", "实施周期", 10), ("华络通信", "价格", 5)]


# Contracts and rebates
def test_pending_contracts_and_cycle_time(summary):
    c = summary.contracts
    assert [(p.contract_id, p.step, p.submitted, p.days_waiting, p.amount) for p in c.pending] == [
        ("HT-202404004", LEGAL, d(4, 3), 7, 50),          # legal still 待审
        ("HT-202404005", GM, d(4, 8), 2, 30),             # 30 >= 20 needs the GM, who has no row yet
        ("HT-202404007", MANAGER, d(4, 9), 1, 5),
    ]
    assert (c.approved, c.rejected) == (3, 1)
    # Approved: 001 04-01 -> 04-04 = 3 days; 002 04-01 -> 04-06 = 5; 003 03-25 -> 04-01 = 7; (3+5+7)/3 = 5
    assert c.cycle_days_avg == pytest.approx(5)


def test_rebates_by_tier(summary):
    # The tier follows the amount; the rebate is paid on money received, and none has been here
    # (tests/test_collections.py computes it on received money).
    assert [(r.contract_id, r.amount, r.rate, r.received, r.rebate, r.basis) for r in summary.rebates] == [
        ("HT-202404001", 19.99, 5, 0, 0, "received"),
        ("HT-202404002", 20, 8, 0, 0, "received"),
        ("HT-202404003", 100, 10, 0, 0, "received"),
    ]


@pytest.mark.parametrize("amount, rate", [(0, 5), (19.99, 5), (20, 8), (99.99, 8), (100, 10), (500, 10)])
def test_rebate_tier_boundaries(amount, rate):
    assert rebate_rate(amount) == rate


def test_rebate_tiers_come_from_config():
    assert rebate_rate(50, ((0, 1.0), (50, 2.0))) == 2.0


# Follow-ups, satisfaction, quality
def test_follow_ups_due_and_overdue(summary):
    f = summary.follow_ups
    # Overdue: 华络通信's 下次跟进 04-08 (2 days); 明月集团's latest visit asks for 04-05 (5 days)
    assert [(x.rep, x.customer, x.due, x.kind, x.days_overdue) for x in f.overdue] == [
        (ZHANG, "华络通信", d(4, 8), "customer", 2), (LI, "明月集团", d(4, 5), "visit", 5)]
    # Due by 04-17 inclusive: 云帆's latest visit (04-09) asks for 04-12; 星辰 04-15; 明月 04-17.
    # 云帆's own 04-18 is 8 days out, and its earlier visit's 05-02 is superseded.
    assert [(x.rep, x.customer, x.due, x.kind, x.days_left) for x in f.due_7d] == [
        (ZHANG, "云帆软件", d(4, 12), "visit", 2), (ZHANG, "星辰科技", d(4, 15), "customer", 5),
        (LI, "明月集团", d(4, 17), "customer", 7)]


def test_satisfaction_average(summary):
    assert summary.satisfaction_avg == pytest.approx(4.0)     # (5 + 4 + 3) ÷ 3; the planned visit has none


def test_quality_per_rep(summary):
    assert [(q.rep, q.errors, q.warnings, q.by_code) for q in summary.quality] == [
        ("", 0, 1, {"form-unknown": 1}),                      # counted, but no rep row is made for it
        (ZHANG, 2, 1, {"close-date-stale": 1, "required": 2}),
        (LI, 0, 1, {"follow-up-overdue": 1})]


# Entry points and output
def test_to_dict_is_json_ready(summary):
    data = json.loads(json.dumps(summary.to_dict(), ensure_ascii=False))
    assert data["as_of"] == "2024-04-10"
    assert data["commit_accuracy"]["value"] == 78.95              # 75 ÷ 95 × 100, rounded to 2
    assert data["commit_accuracy"]["baseline_as_of"] == "2024-04-03"
    assert data["pipeline"]["by_stage"][0] == {"stage": "1 确定", "count": 1, "amount": 8.0, "weighted_amount": 0.8}
    assert data["forecast"]["month"]["承诺"] == 75.0
    assert data["attainment"] == 46.88                            # 75 ÷ 160 × 100 = 46.875
    assert set(data) >= {"as_of", "pipeline", "closed_won_amount", "forecast", "reps", "commit_accuracy", "win_rate",
                         "top_customers", "objections", "contracts", "follow_ups", "satisfaction_avg", "rebates",
                         "quality"}


def test_default_as_of_is_the_latest_run_and_a_path_works(scenario):
    by_path = rollup(scenario.path)
    assert by_path.as_of == AS_OF
    assert by_path.to_dict() == rollup(scenario, AS_OF).to_dict()


def test_a_missing_store_is_not_created(tmp_path):
    with pytest.raises(FileNotFoundError):
        rollup(tmp_path / "typo.db")
    assert not (tmp_path / "typo.db").exists()


def test_empty_store(tmp_path):
    open_store(tmp_path / "empty.db").close()
    summary = rollup(tmp_path / "empty.db", AS_OF)
    assert summary.pipeline.open_amount == 0 and len(summary.pipeline.by_stage) == 6
    assert summary.reps == [] and summary.commit_accuracy.value is None and summary.win_rate.rate is None
    json.dumps(summary.to_dict())
