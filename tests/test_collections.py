"""Collections (回款) and rebate applications: the rules on real workbooks, and the rollup's receivables."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).parent))

from test_rules import CHAIN, SHORT, OTHER, approval, cells, check, d, opportunity  # noqa: E402

from xltools.forms.config import Config  # noqa: E402
from xltools.forms.model import Record  # noqa: E402
from xltools.ingest.reader import read_workbook  # noqa: E402
from xltools.forms.schema import load_schema  # noqa: E402
from xltools.rollup import rollup  # noqa: E402
from xltools.store import open_store  # noqa: E402
from xltools.xlsx.summary.workbook import write_summary  # noqa: E402
from xltools.xlsx.templates.build import template_workbook  # noqa: E402

ROLLUP_DAY = d(4, 10)
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
    assert [f for f in check(tmp_path, sheets) if not f.code.startswith("stage-gate-")] == []   # gates: other tests


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
    assert found[0].message("en") == "华络通信: Due on 2024-03-02, 30 days overdue, 7 (10k CNY) still to come"


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


# The rollup: receivables, ageing and collection rate on a small store, as of 2024-04-10
def test_receivables_by_hand(receivable_summary):
    c = receivable_summary.collections
    # Contracted: the approved contracts only, 50 (张三) + 10 (李四); HT-202401003 is still pending.
    # Received 15 + 5 + 2 = 22. Receivable: 15 (进度款) + 15 (质保金) + 3 + 5 = 38.
    # Overdue: 进度款 due 03-01 (40 days: 31-90) 15, 预付款 due 01-01 (100 days: 90+) 3, 验收款 due 04-01 (9 days) 5.
    assert (c.contracted, c.received, c.receivable, c.overdue) == (60, 22, 38, 23)
    assert c.ageing == {"0-30": 5, "31-90": 15, "90+": 3}
    assert c.rate == pytest.approx(22 / 60 * 100)
    assert [(r.rep, r.contracted, r.received, r.receivable, r.overdue, r.rate) for r in c.by_rep] == [
        ("张三", 50, 20, 30, 15, 40), ("李四", 10, 2, 8, 8, 20)]
    assert [(i.contract_id, i.milestone, i.due, i.outstanding, i.days) for i in c.due_soon] == [
        ("HT-202401001", "质保金", d(4, 25), 15, 15)]
    assert [(i.rep, i.contract_id, i.milestone, i.outstanding, i.days) for i in c.overdue_list] == [
        ("李四", "HT-202401002", "预付款", 3, 100), ("张三", "HT-202401001", "进度款", 15, 40),
        ("李四", "HT-202401002", "验收款", 5, 9)]


def test_rebates_on_received_money_by_tier(receivable_summary):
    assert [(r.contract_id, r.amount, r.received, r.rate, r.rebate, r.approval)
            for r in receivable_summary.rebates] == [
        ("HT-202401001", 50, 20, 8, pytest.approx(1.6), "approved"),    # 50 is in the 8% tier; 20 × 8 %
        ("HT-202401002", 10, 2, 5, pytest.approx(0.1), "pending")]      # below 20: 5 %; 2 × 5 %


def test_json_has_collections_and_the_rebates_basis(receivable_summary):
    data = json.loads(json.dumps(receivable_summary.to_dict(), ensure_ascii=False))
    assert {"contracted", "received", "receivable", "overdue", "ageing", "by_rep", "due_soon",
            "overdue_list"} <= set(data["collections"])
    assert data["collections"]["rate"] == 36.67
    assert data["collections"]["overdue_list"][0]["due"] == "2024-01-01"
    assert {r["basis"] for r in data["rebates"]} == {"received"}


def _contract(cid, customer, amount, rep, steps):
    return [{"contract_id": cid, "customer": customer, "amount": amount, "submitter": rep, "submitted": d(1, 2),
             "step": step, "decision": decision, "decided": d(1, 3)} for step, decision in steps]


def _paid(cid, customer, rep, milestone, due, planned, received=None):
    return {"contract_id": cid, "customer": customer, "milestone": milestone, "planned_date": due,
            "planned_amount": planned, "received_amount": received, "owner": rep}


@pytest.fixture(scope="module")
def receivable_summary(tmp_path_factory):
    agreed = [("销售经理审核", "同意"), ("法务审核", "同意"), ("总经理审批", "同意")]
    books = {
        "张三.xlsx": {
            "contracts": _contract("HT-202401001", "云帆软件", 50, "张三", agreed),
            "collections": [_paid("HT-202401001", "云帆软件", "张三", "预付款", d(1, 5), 15, 15),
                            _paid("HT-202401001", "云帆软件", "张三", "进度款", d(3, 1), 20, 5),
                            _paid("HT-202401001", "云帆软件", "张三", "质保金", d(4, 25), 15)],
            "rebates": [{"contract_id": "HT-202401001", "customer": "云帆软件", "rate": 8, "applicant": "张三",
                         "applied": d(1, 4), "step": s, "decision": "同意"} for s in REBATE_STEPS]},
        "李四.xlsx": {
            "contracts": _contract("HT-202401002", "明月集团", 10, "李四", agreed[:2])
            + _contract("HT-202401003", "远山制造", 30, "李四", [("销售经理审核", "待审")]),
            "collections": [_paid("HT-202401002", "明月集团", "李四", "预付款", d(1, 1), 5, 2),
                            _paid("HT-202401002", "明月集团", "李四", "验收款", d(4, 1), 5)],
            "rebates": [{"contract_id": "HT-202401002", "customer": "明月集团", "rate": 5, "applicant": "李四",
                         "applied": d(1, 4), "step": "大客户部经理", "decision": "同意"}]},
    }
    store = open_store(tmp_path_factory.mktemp("receivables") / "sales.db")
    run = store.start_run(ROLLUP_DAY, ["inbox"])
    for name, forms in books.items():
        file_id = store.upsert_file("inbox", name, name, Path(name).stem, "active", run)
        store.replace_rows(file_id, [Record(form, name, form, i, {k: v for k, v in row.items() if v is not None},
                                            rep=Path(name).stem)
                                     for form, rows in forms.items() for i, row in enumerate(rows, start=2)], run)
    yield rollup(store, ROLLUP_DAY)
    store.close()


def test_collections_sheet_and_its_charts(receivable_summary, tmp_path):
    from test_summary import chart_series, table_rows
    path = write_summary(receivable_summary, tmp_path / "summary.xlsx")
    ws = load_workbook(path)["回款"]
    assert table_rows(ws, "各销售回款")[1] == [["张三", 50, 20, 30, 15, 40], ["李四", 10, 2, 8, 8, 20]]
    assert table_rows(ws, "逾期应收账龄")[1] == [["0-30 天", 5], ["31-90 天", 15], ["90+ 天", 3]]
    overdue = table_rows(ws, "逾期回款")[1]
    assert [(r[0], r[2], r[3], r[5], r[6]) for r in overdue] == [
        ("李四", "HT-202401002", "预付款", 3, 100), ("张三", "HT-202401001", "进度款", 15, 40),
        ("李四", "HT-202401002", "验收款", 5, 9)]
    assert [r[6] for r in table_rows(load_workbook(path)["汇总"], "合同返点")[1]] == ["已审批", "审批中"]
    mine = [c for c in chart_series(path) if c["series"][0]["val"].startswith("回款!")]
    assert [s["val"].split("!")[0] for c in mine for s in c["series"]] == ["回款"] * 4


# The template
def _unpaid_rule(path: Path) -> list[str]:
    """The formulas of the conditional formats on the 计划回款日期 column of the collections sheet."""
    ws = load_workbook(path)["回款计划"]
    return [f for cf in ws.conditional_formatting if str(cf.sqref).startswith("D2:")
            for r in cf.rules for f in r.formula]


def test_overdue_instalments_turn_red(tmp_path):
    path = tmp_path / "回款计划与到账.xlsx"
    template_workbook([load_schema().form("collections")]).save(path)
    assert "AND(ISNUMBER($D2),$D2<TODAY(),N($G2)<N($E2))" in _unpaid_rule(path)   # due, past, not all in


@pytest.mark.libreoffice
def test_collections_template_round_trips_through_libreoffice(tmp_path, libreoffice):
    path = tmp_path / "回款计划与到账.xlsx"
    template_workbook([load_schema().form("collections")]).save(path)
    converted, = libreoffice([path], "xlsx", tmp_path / "lo")
    ws = load_workbook(converted)["回款计划"]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert [str(dv.sqref).split(":")[0] for dv in lists] == ["C2"]          # 回款节点
    assert any("TODAY()" in f and "N(" in f for f in _unpaid_rule(converted))
    rows = read_workbook(converted).records
    assert rows == []                                                         # a blank form: nothing to read


def test_money_received_counts_its_contract_even_before_approval():
    """A contract already collecting money is contracted, approved in the files or not: the rate stays
    received ÷ what it was received for (the demo once showed a rep at 174%)."""
    from types import SimpleNamespace

    import pandas as pd

    from xltools.rollup.receivables import collections
    contracts = [SimpleNamespace(contract_id="HT-1", amount=25.0, submitter="李娜", state="approved"),
                 SimpleNamespace(contract_id="HT-2", amount=18.5, submitter="李娜", state="pending"),
                 SimpleNamespace(contract_id="HT-3", amount=40.0, submitter="李娜", state="pending")]
    instalments = pd.DataFrame({
        "contract_id": ["HT-1", "HT-2"], "customer": ["星盛软件", "明通投资"], "milestone": ["预付款", "预付款"],
        "planned_date": pd.to_datetime(["2024-03-01", "2024-03-01"]), "planned_amount": [25.0, 18.5],
        "received_amount": [25.0, 18.5], "rep": ["李娜", "李娜"]})
    c = collections(instalments, contracts, d(4, 10))
    # HT-1 (approved) and HT-2 (collecting) are contracted; HT-3 (pending, nothing collected) is not.
    assert (c.contracted, c.received, c.rate) == (43.5, 43.5, 100)
    assert [(r.rep, r.contracted, r.rate) for r in c.by_rep] == [("李娜", 43.5, 100)]
