"""Collections (回款) and rebate applications: the rules on real workbooks, and the rollup's receivables."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_rules import CHAIN, SHORT, OTHER, approval, cells, check, d, opportunity  # noqa: E402

from xltools.config import Config  # noqa: E402

CONTRACT = "HT-202403001"          # 22 万 in approval(): the 8% tier


def instalment(milestone="预付款", planned=11, due=d(3, 25), received=None, **kw):
    return {"contract_id": CONTRACT, "customer": SHORT, "milestone": milestone, "planned_date": due,
            "planned_amount": planned, "received_amount": received, "owner": "张三", **kw}


def rebate_step(step, decision="同意", status="申请中", **kw):
    return {"contract_id": CONTRACT, "customer": SHORT, "rate": 8, "applicant": "张三", "applied": d(3, 25),
            "status": status, "step": step, "decision": decision, "decided": d(3, 26), **kw}


REBATE_STEPS = ["大客户部经理", "市场营销中心", "总经理"]
CONTRACTS = [approval(step) for step in CHAIN]


def test_paid_plan_raises_nothing(tmp_path):
    sheets = {"contracts": CONTRACTS,
              "collections": [instalment(received=11, received_date=d(3, 24)),
                              instalment("质保金", due=d(9, 30))],
              "rebates": [rebate_step(s, status="已支付") for s in REBATE_STEPS],
              "pipeline": [opportunity(stage="5 已承诺", win_probability=90)]}
    assert check(tmp_path, sheets) == []


def test_plan_mismatch_against_the_contract_amount(tmp_path):
    sheets = {"contracts": CONTRACTS, "collections": [instalment(planned=11), instalment("验收款", planned=10)]}
    found = [f for f in check(tmp_path, sheets) if f.code == "collection-plan-mismatch"]
    assert [(f.cell, f.params["total"], f.params["other"]) for f in found] == [("E2", 21, 22)]
    assert found[0].message("zh") == "合同 HT-202403001 的计划回款合计 21 万元，与合同金额 22 万元不一致"
    loose = Config(collection_tolerance=1)
    assert cells(check(tmp_path, sheets, config=loose), "collection-plan-mismatch") == []


def test_plan_of_a_rejected_contract_is_not_compared(tmp_path):
    sheets = {"contracts": [approval("销售经理审核", decision="驳回")], "collections": [instalment(planned=5)]}
    assert cells(check(tmp_path, sheets), "collection-plan-mismatch") == []


def test_overdue_instalment_counts_the_days(tmp_path):
    sheets = {"collections": [instalment(due=d(3, 2), received=4),           # 30 days, 7 missing
                              instalment("进度款", due=d(3, 3), received=11),  # paid in full
                              instalment("验收款", due=d(4, 1))]}             # due today: not late
    found = [f for f in check(tmp_path, sheets) if f.code == "collection-overdue"]
    assert [(f.cell, f.params["days"], f.params["missing"]) for f in found] == [("D2", 30, 7)]
    assert found[0].message("en") == "Due on 2024-03-02: 30 days overdue, 7 (10k CNY) still to come"


@pytest.mark.parametrize("exclude_retention, expected", [(False, [("won-not-collected", "F2", "XM-2024-001")]),
                                                         (True, [])])
def test_stage_six_means_fully_paid(tmp_path, exclude_retention, expected):
    sheets = {"collections": [instalment(received=11), instalment("质保金", received=0, due=d(9, 30))],
              "pipeline": [opportunity(stage="6 收回全款", win_probability=100, forecast="已成交"),
                           opportunity(project_id="XM-2024-002", customer=OTHER, stage="6 收回全款",
                                       win_probability=100, forecast="已成交")]}   # no instalments: not judged
    found = check(tmp_path, sheets, config=Config(won_excludes_retention=exclude_retention))
    assert cells(found, "won-not-collected") == expected


def test_closed_forecast_alone_is_judged_too(tmp_path):
    sheets = {"collections": [instalment(received=3)],
              "pipeline": [opportunity(stage="5 已承诺", win_probability=90, forecast="已成交")]}
    found = [f for f in check(tmp_path, sheets) if f.code == "won-not-collected"]
    assert [(f.cell, f.params["received"], f.params["planned"]) for f in found] == [("M2", 3, 11)]


def test_rebate_promised_without_the_full_chain(tmp_path):
    rows = [rebate_step("大客户部经理", status="已承诺"), rebate_step("市场营销中心", decision="待审")]
    found = [f for f in check(tmp_path, {"rebates": rows}) if f.code == "rebate-unapproved"]
    assert [f.cell for f in found] == ["G2"]
    assert found[0].message("zh") == "合同 HT-202403001 的返点已承诺或已支付，但缺少审批：市场营销中心、总经理"
    applied_only = [rebate_step("大客户部经理"), rebate_step("市场营销中心", decision="待审")]
    assert cells(check(tmp_path, {"rebates": applied_only}), "rebate-unapproved") == []


def test_rebate_rate_above_the_tier(tmp_path):
    over = {"contracts": CONTRACTS, "rebates": [rebate_step("大客户部经理", rate=8),
                                                rebate_step("市场营销中心", rate=10)]}
    found = [f for f in check(tmp_path, over) if f.code == "rebate-over-tier"]
    assert [(f.cell, f.params["limit"]) for f in found] == [("C3", 8.0)]
    within = {"contracts": CONTRACTS, "rebates": [rebate_step("大客户部经理", rate=8)]}
    assert cells(check(tmp_path, within), "rebate-over-tier") == []
