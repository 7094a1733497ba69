"""The business rules, on real workbooks written by the factory and read back by the reader."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from factory import make_workbook  # noqa: E402

from xltools.forms.config import Config  # noqa: E402
from xltools.ingest.findings import Finding  # noqa: E402
from xltools.ingest.reader import read_workbook  # noqa: E402
from xltools.checks.rules import RULES, RuleContext, run_rules  # noqa: E402
from xltools.forms.schema import load_schema  # noqa: E402

AS_OF = dt.date(2024, 4, 1)
FULL = "深圳市华络通信有限公司"
SHORT = "华络通信"
OTHER = "广州云帆科技有限公司"


def d(month: int, day: int) -> dt.date:
    return dt.date(2024, month, day)


# Valid rows; each test overrides what it is about.
def customer(name=FULL, **kw):
    return {"customer": name, "contact": "王明", "phone": "13800138000", "owner": "张三", "grade": "A类",
            "next_follow_up": d(4, 12), **kw}


def need(**kw):
    return {"customer": SHORT, "date": d(3, 5), "pain_points": "客户信息分散", "confirmation_sent": d(3, 6), **kw}


def person(name, role, weight, **kw):
    return {"customer": SHORT, "date": d(3, 5), "person": name, "role": role, "weight": weight, **kw}


MODULES = ["客户痛点分析", "解决方案概述", "核心功能详情", "价值量化", "实施计划", "成功案例"]


def module(name, **kw):
    return {"customer": SHORT, "module": name, "done": "是", "owner": "张三", "done_date": d(3, 8), **kw}


def objection(**kw):
    return {"customer": SHORT, "raised": d(3, 10), "objection": "报价高于预算", "owner": "张三",
            "resolve_by": d(3, 15), "status": "已解决", **kw}


def negotiation(**kw):
    return {"customer": SHORT, "date": d(3, 20), "clause": "价格", "floor": "22", "agreed_amount": 22, **kw}


DECIDED = {"销售经理审核": d(3, 23), "法务审核": d(3, 25), "总经理审批": d(3, 26)}


def approval(step, **kw):
    return {"contract_id": "HT-202403001", "customer": SHORT, "amount": 22, "submitter": "张三",
            "submitted": d(3, 22), "step": step, "decision": "同意", "decided": DECIDED[step], **kw}


CHAIN = ["销售经理审核", "法务审核", "总经理审批"]


def visit(**kw):
    return {"customer": SHORT, "date": d(3, 29), "visitor": "张三", "next_visit": d(4, 20), **kw}


def opportunity(**kw):
    return {"project_id": "XM-2024-001", "project": "华络通信CRM项目", "customer": SHORT, "owner": "张三",
            "stage": "3 有资格", "win_probability": 50, "amount": 22, "expected_close": d(5, 30),
            "forecast": "争取", **kw}


# Running
def read_files(tmp_path, files: dict[str, dict]) -> list:
    records = []
    for name, sheets in files.items():
        read = read_workbook(make_workbook(tmp_path, sheets, name), display=name)
        records += read.records
    return records


WATCHED = dt.datetime(2024, 1, 1)      # the store has watched every file since before the rows appeared


def check(tmp_path, sheets=None, *, files=None, as_of=AS_OF, config=None, first_seen=None,
          watched=WATCHED) -> list[Finding]:
    records = read_files(tmp_path, files or {"张三.xlsx": sheets})
    for r in records:
        r.first_seen = first_seen(r) if first_seen else None
    since = {r.file: watched for r in records} if watched else {}
    return run_rules(records, RuleContext(load_schema(), config or Config(), as_of, since))


def cells(findings, code):
    """(code, cell, what the row is): its own key (contract, project) where it has one, else its customer."""
    return [(f.code, f.cell, f.key or f.customer) for f in findings if f.code == code]


# No false alarms
def valid_forms():
    return {
        "customers": [customer(), customer(OTHER, owner="张三", grade="B类", phone="020-87654321")],
        "needs": [need()],
        "decision_chain": [person("李总 总经理", "决策", 60), person("采购总监", "影响", 30),
                           person("销售主管", "使用", 10)],
        "solution": [module(m) for m in MODULES],
        "objections": [objection(), objection(objection="实施周期太长", category="实施周期", status="未解决",
                                              resolve_by=d(4, 5))],
        "negotiations": [negotiation(date=d(3, 15), agreed_amount=25, floor="22万"), negotiation(),
                         negotiation(clause="付款方式", floor=None, agreed_amount=None, agreed="3期付款")],
        "contracts": [approval(step) for step in CHAIN],
        "visits": [visit(date=d(3, 1), next_visit=d(3, 29)), visit()],
        "pipeline": [opportunity(project_id="XM-2024-001", stage="6 收回全款", win_probability=100,
                                 forecast="已成交", expected_close=d(3, 22), delivered=d(3, 27)),
                     opportunity(project_id="XM-2024-002", project="云帆科技项目", customer=OTHER, stage="1 确定",
                                 win_probability=None, delivered=None)],
    }


def test_valid_forms_have_no_findings(tmp_path):
    read = read_workbook(make_workbook(tmp_path, valid_forms(), "张三.xlsx"))
    assert read.findings == []

    def on_time(r):       # entered the evening of the meeting
        return dt.datetime.combine(r.get("date"), dt.time(18, 0)) if r.form in ("needs", "negotiations") else None
    assert check(tmp_path, valid_forms(), first_seen=on_time) == []


def test_every_rule_has_a_catalogue_code_and_can_be_skipped(tmp_path):
    records = read_files(tmp_path, {"a.xlsx": {"customers": [customer(contact=None)]}})
    ctx = RuleContext(load_schema(), Config(), AS_OF)
    assert cells(run_rules(records, ctx), "required") == [("required", "E2", FULL)]
    assert run_rules(records, ctx, skip={"required"}) == []
    with pytest.raises(ValueError):
        run_rules(records, ctx, skip={"no-such-rule"})
    assert "weights-sum" in RULES and "duplicate-claim" in RULES


def test_messages_fill_every_placeholder(tmp_path):
    sheets = {
        "customers": [customer(contact=None, next_follow_up=d(3, 1))],
        "decision_chain": [person("李总", "影响", 50)],
        "solution": [module("客户痛点分析", done_date=None)],
        "objections": [objection(resolve_by=d(3, 1), status="未解决")],
        "negotiations": [negotiation(agreed_amount=20)],
        "contracts": [approval("法务审核", amount=30), approval("销售经理审核", amount=31)],
        "visits": [visit(customer=OTHER, date=d(3, 1), next_visit=d(3, 1))],
        "pipeline": [opportunity(stage="6 收回全款", win_probability=90, delivered=d(3, 1), expected_close=d(3, 1)),
                     opportunity(project_id="XM-2", win_probability=40, expected_close=d(3, 1))],
        "needs": [need(confirmation_sent=None)],
    }
    found = check(tmp_path, sheets, first_seen=lambda r: dt.datetime(2024, 3, 30))
    codes = {f.code for f in found}
    assert codes >= {"required", "weights-sum", "decision-maker-missing", "solution-incomplete",
                     "done-date-missing", "date-order", "objection-overdue", "approval-order",
                     "approval-consistency", "approval-authority", "follow-up-overdue", "probability-mismatch",
                     "close-date-stale", "won-inconsistent", "customer-unknown", "amount-mismatch",
                     "below-floor", "confirmation-missing", "delivery-followup-missing", "entry-late"}
    for f in found:
        for lang in ("zh", "en"):
            assert "{" not in f.message(lang), (f.code, f.message(lang))
        assert f.file == "张三.xlsx" and f.rep == "张三" and f.field and f.column


def test_findings_are_sorted_by_place(tmp_path):
    sheets = {"customers": [customer(contact=None, phone=None), customer(OTHER, owner=None)],
              "visits": [visit(visitor=None)]}
    found = check(tmp_path, sheets)
    assert [(f.sheet, f.cell) for f in found] == [("客户信息", "E2"), ("客户信息", "G2"), ("客户信息", "J3"),
                                                ("客户回访", "D2")]
    assert [f.to_dict() for f in found] == [f.to_dict() for f in check(tmp_path, sheets)]


# required
def test_required_empty_cell(tmp_path):
    found = check(tmp_path, {"customers": [customer(contact=None), customer(OTHER)]})
    assert cells(found, "required") == [("required", "E2", FULL)]
    assert found[0].params["label"].zh == "联系人"


def test_required_not_repeated_for_unreadable_cells(tmp_path):
    sheets = {"customers": [customer(phone="abc", grade="X类")], "needs": [need(date="上周三", confirmation_sent=None)]}
    read = read_workbook(make_workbook(tmp_path, sheets))
    assert sorted(f.code for f in read.findings) == ["enum", "format", "type"]
    assert check(tmp_path, sheets) == []       # nor do rules speak about values they cannot read


# duplicate-row
def test_duplicate_row_matches_customer_names_loosely(tmp_path):
    found = check(tmp_path, {"customers": [customer(FULL), customer(OTHER), customer(SHORT)]})
    assert cells(found, "duplicate-row") == [("duplicate-row", "A4", SHORT)]
    assert found[0].params["other"] == "张三.xlsx!客户信息 row 2"


def test_the_same_record_in_two_files_is_an_error_on_the_later_file(tmp_path):
    # Without modification times the files rank by name: 张三-1 keeps the visit.
    files = {"张三-1.xlsx": {"visits": [visit()]}, "张三-2.xlsx": {"visits": [visit(customer=FULL), visit(date=d(3, 30))]}}
    found = check(tmp_path, files=files)
    assert [f.code for f in found if f.code.startswith("duplicate-")] == ["duplicate-record"]
    [dup] = [f for f in found if f.code == "duplicate-record"]
    assert (dup.file, dup.cell, dup.severity) == ("张三-2.xlsx", "A2", "error")
    assert dup.params["other"] == "张三-1.xlsx!客户回访 row 2"


def test_same_customer_of_two_reps_is_a_claim_not_a_duplicate_row(tmp_path):
    found = check(tmp_path, {"customers": [customer(owner="张三"), customer(SHORT, owner="李四")]})
    assert cells(found, "duplicate-row") == []
    assert cells(found, "duplicate-claim") == [("duplicate-claim", "A3", SHORT)]


# decision chain
def test_weights_sum_tolerance(tmp_path):
    rows = [person("李总", "决策", 60), person("采购总监", "影响", 30), person("主管", "使用", 9.6),
            person("王总", "决策", 60, customer=OTHER), person("钱总监", "影响", 30, customer=OTHER),
            person("孙主管", "使用", 9.4, customer=OTHER)]
    found = check(tmp_path, {"decision_chain": rows})
    assert cells(found, "weights-sum") == [("weights-sum", "E5", OTHER)]
    assert found[0].params["total"] == pytest.approx(99.4)


def test_weights_grouped_by_loose_customer_and_date(tmp_path):
    rows = [person("李总", "决策", 60, customer=FULL), person("采购总监", "影响", 40, customer=SHORT),
            person("李总", "决策", 100, date=d(3, 6))]
    assert check(tmp_path, {"decision_chain": rows}) == []


def test_weights_with_a_missing_weight_are_not_summed(tmp_path):
    found = check(tmp_path, {"decision_chain": [person("李总", "决策", 60), person("采购总监", "影响", None)]})
    assert cells(found, "weights-sum") == []
    assert cells(found, "required") == [("required", "E3", SHORT)]


def test_decision_maker_missing(tmp_path):
    rows = [person("李总", "影响", 60), person("采购总监", "使用", 40),
            person("王总", "决策者", 100, customer=OTHER)]
    found = check(tmp_path, {"decision_chain": rows})
    assert cells(found, "decision-maker-missing") == [("decision-maker-missing", "D2", SHORT)]


# solution
def test_solution_incomplete(tmp_path):
    rows = [module(m) for m in MODULES] + [module(m, customer=OTHER) for m in MODULES[:4]]
    found = check(tmp_path, {"solution": rows})
    assert cells(found, "solution-incomplete") == [("solution-incomplete", "B8", OTHER)]
    assert found[0].params["missing"] == ["实施计划", "成功案例"]


def test_solution_modules_of_one_customer_spelled_differently(tmp_path):
    rows = [module(m, customer=FULL if i % 2 else SHORT) for i, m in enumerate(MODULES)]
    assert check(tmp_path, {"solution": rows}) == []


def test_done_date_missing(tmp_path):
    rows = [module(m) for m in MODULES]
    rows[1] = module(MODULES[1], done_date=None)
    rows[2] = module(MODULES[2], done="否", done_date=None)
    found = check(tmp_path, {"solution": rows})
    assert cells(found, "done-date-missing") == [("done-date-missing", "F3", SHORT)]


# date-order
def test_date_order_objection(tmp_path):
    rows = [objection(resolve_by=d(3, 9)), objection(objection="太贵", resolve_by=d(3, 10))]
    found = check(tmp_path, {"objections": rows})
    assert cells(found, "date-order") == [("date-order", "H2", SHORT)]
    assert found[0].params["other"] == d(3, 10)
    assert found[0].message("zh") == "“计划解决时间”（2024-03-09）不应早于“异议提出时间”（2024-03-10）"


def test_date_order_visit_next_must_be_after(tmp_path):
    rows = [visit(date=d(3, 29), next_visit=d(3, 29)), visit(date=d(3, 30), next_visit=d(3, 31))]
    assert cells(check(tmp_path, {"visits": rows}), "date-order") == [("date-order", "J2", SHORT)]


def test_date_order_contract_decided_before_submitted(tmp_path):
    rows = [approval("销售经理审核", submitted=d(3, 24), decided=d(3, 23)),
            approval("销售经理审核", contract_id="HT-202403002", submitted=d(3, 23), decided=d(3, 23))]
    assert cells(check(tmp_path, {"contracts": rows}), "date-order") == [("date-order", "K2", "HT-202403001")]


# objections
def test_objection_overdue(tmp_path):
    rows = [objection(objection="a", status="未解决", resolve_by=d(3, 31)),
            objection(objection="b", status="未解决", resolve_by=d(4, 1)),
            objection(objection="c", status=None, resolve_by=d(3, 20)),
            objection(objection="d", status="已解决", resolve_by=d(3, 20))]
    found = check(tmp_path, {"objections": rows})
    assert cells(found, "objection-overdue") == [("objection-overdue", "H2", SHORT),
                                                 ("objection-overdue", "H4", SHORT)]


# contracts
def approval_findings(tmp_path, rows, code="approval-order"):
    found = check(tmp_path, {"contracts": rows})
    return [(f.cell, f.params["detail"].zh if code == "approval-order" else f.value)
            for f in found if f.code == code]


def test_approval_order_correct_chain(tmp_path):
    assert approval_findings(tmp_path, [approval(s) for s in CHAIN]) == []


def test_approval_order_out_of_order(tmp_path):
    rows = [approval("销售经理审核"), approval("总经理审批"), approval("法务审核")]
    assert approval_findings(tmp_path, rows) == [("G4", "“法务审核”排在“总经理审批”之后")]


def test_approval_order_skipped_step(tmp_path):
    rows = [approval("销售经理审核"), approval("总经理审批")]
    assert approval_findings(tmp_path, rows) == [("G3", "“总经理审批”已有结果，但“法务审核”缺失")]


def test_approval_order_decided_before_earlier_step_approved(tmp_path):
    rows = [approval("销售经理审核", decision="待审", decided=None), approval("法务审核")]
    assert approval_findings(tmp_path, rows) == [("G3", "“法务审核”已有结果，但“销售经理审核”尚未同意")]


def test_approval_order_in_progress_is_fine(tmp_path):
    rows = [approval("销售经理审核"), approval("法务审核", decision="待审", decided=None),
            approval("总经理审批", decision=None, decided=None)]
    assert approval_findings(tmp_path, rows) == []


def test_approval_order_dates_backwards(tmp_path):
    rows = [approval("销售经理审核", decided=d(3, 25)), approval("法务审核", decided=d(3, 24)),
            approval("总经理审批", decided=d(3, 24))]
    assert approval_findings(tmp_path, rows) == [
        ("K3", "“法务审核”的审批时间 2024-03-24 早于“销售经理审核”的 2024-03-25"),
        ("K4", "“总经理审批”的审批时间 2024-03-24 早于“销售经理审核”的 2024-03-25")]
    same_day = [approval(s, decided=d(3, 25)) for s in CHAIN]
    assert approval_findings(tmp_path, same_day) == []


def test_approval_order_row_after_rejection(tmp_path):
    rows = [approval("销售经理审核", decision="驳回"), approval("法务审核", decision="待审", decided=None)]
    assert approval_findings(tmp_path, rows) == [("G3", "“销售经理审核”已驳回，审批已终止，不应再有“法务审核”")]
    assert approval_findings(tmp_path, rows[:1]) == []


def test_approval_consistency(tmp_path):
    same = [approval("销售经理审核", customer=FULL), approval("法务审核", customer=SHORT, amount="22万")]
    assert approval_findings(tmp_path, same, "approval-consistency") == []
    rows = [approval("销售经理审核"), approval("法务审核", amount=25), approval("总经理审批", customer=OTHER)]
    found = check(tmp_path, {"contracts": rows})
    assert cells(found, "approval-consistency") == [("approval-consistency", "C3", "HT-202403001"),
                                                    ("approval-consistency", "B4", "HT-202403001")]
    assert [f.params["values"] for f in found if f.code == "approval-consistency"] == [[22, 25], [SHORT, OTHER]]


@pytest.mark.parametrize("amount, decisions, expected", [
    (19.99, ["同意", "同意"], []),
    (20, ["同意", "同意"], [("C2", 20)]),
    (20, ["同意", "待审"], [("C2", 20)]),          # the planned chain already lacks the GM
    (20, ["同意", "驳回"], []),                    # rejected: no approval needed any more
])
def test_approval_authority(tmp_path, amount, decisions, expected):
    rows = [approval("销售经理审核", amount=amount, decision=decisions[0]),
            approval("法务审核", amount=amount, decision=decisions[1])]
    assert approval_findings(tmp_path, rows, "approval-authority") == expected


def test_approval_authority_with_gm_step(tmp_path):
    rows = [approval(s, amount=100) for s in CHAIN[:2]] + [approval("总经理审批", amount=100, decision="待审", decided=None)]
    assert approval_findings(tmp_path, rows, "approval-authority") == []
    config = Config(approval_gm_threshold=150)
    found = check(tmp_path, {"contracts": [approval(s, amount=100) for s in CHAIN[:2]]}, config=config)
    assert cells(found, "approval-authority") == []


# visits
def test_visit_interval_by_grade(tmp_path):
    sheets = {"customers": [customer(FULL, grade="A类"), customer(OTHER, grade="B类")],
              "visits": [visit(date=d(3, 1), next_visit=d(4, 1)),                    # 31 days: ok for A
                         visit(date=d(3, 2), next_visit=d(4, 3)),                    # 32 days
                         visit(customer=OTHER, date=d(3, 1), next_visit=d(6, 1)),    # 92 days: ok for B
                         visit(customer=OTHER, date=d(3, 2), next_visit=d(6, 3))]}   # 93 days
    found = check(tmp_path, sheets)
    assert cells(found, "visit-interval") == [("visit-interval", "J3", SHORT), ("visit-interval", "J5", OTHER)]
    assert [(f.params["days"], f.params["limit"]) for f in found if f.code == "visit-interval"] == [(32, 31), (93, 92)]
    assert found[0].message("zh") == "华络通信：A类客户的回访间隔 32 天，超过 31 天"
    assert found[0].message("en") == "华络通信: A A customer's next visit is 32 days away, over 31"


def test_visit_interval_needs_a_grade(tmp_path):
    found = check(tmp_path, {"visits": [visit(date=d(1, 1), next_visit=d(6, 1))]})
    assert cells(found, "visit-interval") == []


def test_follow_up_overdue_customers(tmp_path):
    found = check(tmp_path, {"customers": [customer(next_follow_up=d(3, 31)), customer(OTHER, next_follow_up=d(4, 1))]})
    assert cells(found, "follow-up-overdue") == [("follow-up-overdue", "L2", FULL)]


def test_follow_up_overdue_only_the_latest_visit(tmp_path):
    rows = [visit(date=d(3, 25), next_visit=d(4, 10)),
            visit(date=d(3, 1), next_visit=d(3, 20)),                    # superseded by the later visit
            visit(customer=OTHER, date=d(3, 1), next_visit=d(3, 31)),
            visit(customer=OTHER, date=d(2, 1), next_visit=d(3, 1))]
    found = check(tmp_path, {"visits": rows})
    assert cells(found, "follow-up-overdue") == [("follow-up-overdue", "J4", OTHER)]


# pipeline
def test_probability_mismatch(tmp_path):
    rows = [opportunity(project_id="P1", win_probability=40), opportunity(project_id="P2", win_probability=50),
            opportunity(project_id="P3", win_probability=None),
            opportunity(project_id="P4", win_probability=0, forecast="丢单")]
    found = check(tmp_path, {"pipeline": rows})
    assert cells(found, "probability-mismatch") == [("probability-mismatch", "G2", "P1")]
    mismatch = next(f for f in found if f.code == "probability-mismatch")
    assert mismatch.params["expected"] == 50 and mismatch.params["stage"].zh == "3 有资格"


def test_close_date_stale(tmp_path):
    rows = [opportunity(project_id="P1", expected_close=d(3, 31)),
            opportunity(project_id="P2", expected_close=d(4, 1)),
            opportunity(project_id="P3", expected_close=d(3, 1), forecast="丢单", win_probability=None),
            opportunity(project_id="P4", expected_close=d(3, 1), forecast=None)]
    found = check(tmp_path, {"pipeline": rows})
    assert cells(found, "close-date-stale") == [("close-date-stale", "L2", "P1"), ("close-date-stale", "L5", "P4")]


def test_won_inconsistent(tmp_path):
    won = {"stage": "6 收回全款", "expected_close": d(3, 1)}
    rows = [opportunity(project_id="P1", win_probability=90, forecast="已成交", **won),
            opportunity(project_id="P2", win_probability=100, forecast="承诺", **won),
            opportunity(project_id="P3", win_probability=None, forecast="已成交", **won),
            opportunity(project_id="P4", win_probability=100, forecast="已成交", **won)]
    found = check(tmp_path, {"pipeline": rows})
    assert cells(found, "won-inconsistent") == [("won-inconsistent", "G2", "P1"), ("won-inconsistent", "M3", "P2")]
    assert {f.code for f in found} == {"won-inconsistent"}


# across forms
def test_customer_unknown_with_loose_names(tmp_path):
    sheets = {"customers": [customer(FULL)],
              "visits": [visit(customer=SHORT), visit(customer=OTHER)],
              "contracts": [approval("销售经理审核", customer="华络通信有限公司")]}
    found = check(tmp_path, sheets)
    assert cells(found, "customer-unknown") == [("customer-unknown", "A3", OTHER)]


def test_customer_unknown_needs_customer_information(tmp_path):
    assert cells(check(tmp_path, {"visits": [visit(customer=OTHER)]}), "customer-unknown") == []


def test_amount_mismatch_across_files(tmp_path):
    talks = {"negotiations": [negotiation(date=d(3, 20), agreed_amount=22),
                              negotiation(date=d(3, 15), agreed_amount=25),      # earlier, though listed later
                              negotiation(date=d(3, 21), clause="付款方式", agreed_amount=30, floor=None)]}
    agreed = check(tmp_path, files={"谈判.xlsx": talks, "合同.xlsx": {"contracts": [approval("销售经理审核", customer=FULL)]}})
    assert cells(agreed, "amount-mismatch") == []
    differs = check(tmp_path, files={"谈判.xlsx": talks,
                                     "合同.xlsx": {"contracts": [approval("销售经理审核", amount=25)]}})
    assert [(f.file, f.cell, f.value, f.params["other"]) for f in differs if f.code == "amount-mismatch"] == [
        ("合同.xlsx", "C2", 25, 22)]


def test_amount_mismatch_needs_a_price_agreement(tmp_path):
    found = check(tmp_path, {"contracts": [approval("销售经理审核", amount=99)],
                             "negotiations": [negotiation(customer=OTHER)]})
    assert cells(found, "amount-mismatch") == []


def test_below_floor(tmp_path):
    rows = [negotiation(agreed_amount=21.9, floor="22万/年"), negotiation(date=d(3, 21), agreed_amount=22, floor="22"),
            negotiation(date=d(3, 22), agreed_amount=10, floor="面议"),
            negotiation(date=d(3, 23), clause="付款方式", agreed_amount=10, floor="20")]
    found = check(tmp_path, {"negotiations": rows})
    assert cells(found, "below-floor") == [("below-floor", "K2", SHORT)]
    assert found[0].params["other"] == 22


def test_confirmation_late(tmp_path):
    rows = [need(date=d(3, 5), confirmation_sent=d(3, 6)), need(date=d(3, 6), confirmation_sent=d(3, 8)),
            need(date=d(3, 25), confirmation_sent=None)]
    found = check(tmp_path, {"needs": rows}, as_of=d(3, 26))
    assert cells(found, "confirmation-late") == [("confirmation-late", "I3", SHORT)]
    assert cells(found, "confirmation-missing") == []
    found = check(tmp_path, {"needs": rows}, as_of=d(3, 27))
    assert cells(found, "confirmation-late") == [("confirmation-late", "I3", SHORT)]
    assert cells(found, "confirmation-missing") == [("confirmation-missing", "I4", SHORT)]
    assert [f.params["days"] for f in found if f.code.startswith("confirmation")] == [2, 2]


@pytest.mark.parametrize("visit_on, as_of, flagged", [
    (d(3, 6), d(3, 10), False),    # Fri 1 March + 3 working days = Wed 6 March
    (d(3, 7), d(3, 10), True),
    (None, d(3, 6), False),        # the window is still open
    (None, d(3, 7), True),
    (d(3, 1), d(3, 10), False),    # on the day of delivery
])
def test_delivery_followup(tmp_path, visit_on, as_of, flagged):
    sheets = {"pipeline": [opportunity(delivered=d(3, 1), expected_close=d(12, 31))],
              "visits": [visit(customer=FULL, date=visit_on, next_visit=d(12, 1))] if visit_on else []}
    found = check(tmp_path, sheets, as_of=as_of)
    assert cells(found, "delivery-followup-missing") == ([("delivery-followup-missing", "N2", "XM-2024-001")]
                                                         if flagged else [])


def test_findings_keep_the_customer_and_the_row_key_apart(tmp_path):
    target = {"rep": "张三", "month": d(3, 1), "sales_target": 100}
    found = check(tmp_path, {"pipeline": [opportunity(delivered=d(3, 1), expected_close=d(12, 31))],
                             "targets": [target, dict(target)]})
    followup = next(f for f in found if f.code == "delivery-followup-missing")
    assert (followup.customer, followup.key) == (SHORT, "XM-2024-001")
    duplicate = next(f for f in found if f.code == "duplicate-row")
    assert (duplicate.customer, duplicate.key) == (None, "张三 2024-03")      # targets: no customer, rep and month


def test_a_customer_level_message_without_a_customer_is_the_rest_alone():
    found = Finding("delivery-followup-missing", "a.xlsx", value=d(3, 1), params={"limit": 3})
    assert found.message("zh") == "交付（2024-03-01）后 3 个工作日内没有回访"
    found.customer = "苏州园区精密制造有限公司"
    assert found.message("zh") == "苏州园区精密制造有限公司：交付（2024-03-01）后 3 个工作日内没有回访"
    assert found.message("en").startswith("苏州园区精密制造有限公司: No follow-up visit within 3 working days")


def test_entry_late(tmp_path):
    sheets = {"needs": [need(date=d(3, 5)), need(date=d(3, 6))],
              "negotiations": [negotiation(date=d(3, 20))]}
    seen = {("needs", 2): dt.datetime(2024, 3, 6, 23, 59), ("needs", 3): dt.datetime(2024, 3, 8, 0, 30),
            ("negotiations", 2): dt.datetime(2024, 3, 23, 9, 0)}
    found = check(tmp_path, sheets, first_seen=lambda r: seen[(r.form, r.row)])
    assert cells(found, "entry-late") == [("entry-late", "B3", SHORT), ("entry-late", "B2", SHORT)]
    assert [f.params["hours"] for f in found if f.code == "entry-late"] == [25, 57]
    assert cells(check(tmp_path, sheets), "entry-late") == []       # never stored: nothing to say
    # Rows that were already in the file when the store first saw it have no known entry time.
    first_sight = check(tmp_path, sheets, first_seen=lambda r: seen[(r.form, r.row)],
                        watched=dt.datetime(2024, 4, 1))
    assert cells(first_sight, "entry-late") == []


def test_duplicate_claim_across_files(tmp_path):
    files = {"张三.xlsx": {"customers": [customer(FULL, owner="张三"), customer(OTHER, owner="张三")]},
             "李四.xlsx": {"customers": [customer(SHORT, owner="李四")]},
             "王五.xlsx": {"customers": [customer(OTHER, owner="张三")]}}
    found = check(tmp_path, files=files)
    claims = [(f.file, f.cell, f.value, f.params["reps"]) for f in found if f.code == "duplicate-claim"]
    assert claims == [("李四.xlsx", "A2", SHORT, ["张三", "李四"])]
    assert "撞单" in found[[f.code for f in found].index("duplicate-claim")].message("zh")


def test_duplicate_claim_first_seen_decides_who_claimed_first(tmp_path):
    files = {"张三.xlsx": {"customers": [customer(FULL, owner="张三")]},
             "李四.xlsx": {"customers": [customer(SHORT, owner="李四")]}}
    seen = {"张三": dt.datetime(2024, 3, 10), "李四": dt.datetime(2024, 3, 1)}
    found = check(tmp_path, files=files, first_seen=lambda r: seen[r.rep])
    assert [(f.file, f.cell) for f in found if f.code == "duplicate-claim"] == [("张三.xlsx", "A2")]


def test_finding_codes_never_change():
    """Each rule declares its code with @rule; a published code is never renamed or removed."""
    from xltools.ingest.findings import CODES
    assert set(CODES) >= set([
        "file-unreadable", "form-unknown", "column-missing", "column-extra", "cell-error", "formula-uncalculated",
        "text-too-long", "control-character", "required", "type", "enum", "range", "format", "duplicate-row",
        "weights-sum", "decision-maker-missing", "solution-incomplete", "done-date-missing", "date-order",
        "objection-overdue", "approval-order", "approval-consistency", "approval-authority", "visit-interval",
        "probability-mismatch", "close-date-stale", "won-inconsistent", "customer-unknown", "amount-mismatch",
        "below-floor", "confirmation-late", "confirmation-missing", "delivery-followup-missing", "entry-late",
        "duplicate-claim", "follow-up-overdue", "file-extension-wrong", "sheet-skipped", "form-sheet-too-large",
        "form-sheet-unreadable", "file-duplicate", "stage-gate-decision-chain", "stage-gate-budget", "stage-gate-solution",
        "stage-gate-commit"])
    assert {code: CODES[code].severity for code in ("required", "duplicate-row", "approval-order")} == {
        "required": "error", "duplicate-row": "warning", "approval-order": "error"}


def test_a_code_is_declared_once():
    from xltools.checks.rules import rule
    with pytest.raises(ValueError, match="declared twice"):
        rule("required", "error", "again", zh="", en="", forms=("*",))


# Stage gates: the funnel's exit conditions
def gated(stage, **kw):
    return opportunity(stage=stage, win_probability=None, **kw)


GATE_EVIDENCE = {"decision_chain": [person("李总 总经理", "决策", 100)],
                 "needs": [need(budget="15-20")],
                 "solution": [module(m) for m in MODULES]}


def gate_codes(found):
    return sorted((f.code, f.cell, f.params.get("client", SHORT), f.params.get("project")) for f in found if f.code.startswith("stage-gate"))


@pytest.mark.parametrize("gate, stage, evidence, without", [
    ("decision-chain", "2 接触", "decision_chain", None),
    ("budget", "3 有资格", "needs", [need()]),                                  # a needs record, no budget
    ("solution", "4 已发展", "solution", [module(m) for m in MODULES[:5]] + [module(MODULES[5], done="否")]),
])
def test_stage_gate_fires_from_its_stage_without_the_evidence(tmp_path, gate, stage, evidence, without):
    """P1 has reached the gate's stage without the evidence; P0 is one stage before it; OTHER's deal has it all."""
    previous = f"{int(stage[0]) - 1} " + {"2": "确定", "3": "接触", "4": "有资格"}[stage[0]]
    sheets = {k: list(v) for k, v in GATE_EVIDENCE.items()}
    sheets[evidence] = without or []
    others = {k: [{**row, "customer": OTHER} for row in rows] for k, rows in GATE_EVIDENCE.items()}
    for k in sheets:
        sheets[k] = sheets[k] + others[k]
    sheets["pipeline"] = [gated(stage, project_id="P1"), gated(previous, project_id="P0"),
                          gated(stage, project_id="P2", customer=OTHER)]
    found = check(tmp_path, sheets)
    assert gate_codes(found) == [(f"stage-gate-{gate}", "F2", SHORT, "P1")]
    gate_finding = next(f for f in found if f.code == f"stage-gate-{gate}")
    assert "P1" in gate_finding.message("zh") and "P1" in gate_finding.message("en")

    off = check(tmp_path, sheets, config=Config(stage_gates={}))
    assert gate_codes(off) == []


def test_stage_gate_needs_only_open_deals(tmp_path):
    sheets = {"pipeline": [gated("4 已发展", project_id="P1", forecast="丢单")]}
    assert gate_codes(check(tmp_path, sheets)) == []


def test_a_stage_gate_applies_from_the_configured_stage(tmp_path):
    sheets = {"pipeline": [gated("2 接触", project_id="P1")]}
    assert gate_codes(check(tmp_path, sheets, config=Config(stage_gates={"budget": 2}))) == [
        ("stage-gate-budget", "F2", SHORT, "P1")]


def test_commit_needs_stage_5(tmp_path):
    sheets = {**GATE_EVIDENCE, "pipeline": [gated("4 已发展", project_id="P1", forecast="承诺"),
                                            gated("5 已承诺", project_id="P2", forecast="承诺"),
                                            gated("4 已发展", project_id="P3", forecast="争取")]}
    found = check(tmp_path, sheets)
    assert gate_codes(found) == [("stage-gate-commit", "M2", SHORT, "P1")]
    assert found[0].params["needed"].zh == "5 已承诺"
    assert gate_codes(check(tmp_path, sheets, config=Config(stage_gates={"commit": None}))) == []
