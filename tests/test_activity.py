"""Activity against targets for two reps over two months, worked out by hand."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from xltools.forms.model import Record
from xltools.rollup import rollup
from xltools.store import open_store
from xltools.xlsx.summary.tables import summary_tables

ZHANG, LI = "张三", "李四"


def d(month: int, day: int) -> dt.date:
    return dt.date(2024, month, day)


def customer(name, owner):
    return {"customer": name, "owner": owner, "grade": "B类"}


def visit(owner, day):
    return {"customer": f"{owner}的客户", "date": day, "visitor": owner}


def won(pid, owner, amount, day):
    return {"project_id": pid, "project": pid, "customer": f"{owner}的客户", "owner": owner, "stage": "6 收回全款",
            "amount": amount, "expected_close": day, "forecast": "已成交"}


# Customers first merged on 03-10 (C1 C2 C3) and 04-10 (C4 C5 C6); the later merge keeps the earlier rows.
MARCH = {ZHANG: [customer("C1", ZHANG), customer("C2", ZHANG)], LI: [customer("C3", LI)]}
APRIL = {ZHANG: MARCH[ZHANG] + [customer("C4", ZHANG)], LI: MARCH[LI] + [customer("C5", LI), customer("C6", LI)]}
VISITS = {ZHANG: [visit(ZHANG, d(3, 5)), visit(ZHANG, d(3, 20)), visit(ZHANG, d(4, 2)), visit(ZHANG, d(4, 25))],
          LI: [visit(LI, d(4, 1)), visit(LI, d(4, 15))]}
PIPELINE = {ZHANG: [won("P1", ZHANG, 20, d(4, 5))], LI: [won("P2", LI, 10, d(3, 28))]}
TARGETS = [{"rep": ZHANG, "month": d(3, 1), "sales_target": 50, "visits": 4, "new_customers": 2},
           {"rep": ZHANG, "month": d(4, 1), "sales_target": 60, "visits": 5, "new_customers": 2},
           {"rep": LI, "month": d(4, 1), "sales_target": 30, "visits": 2, "new_customers": 1}]


def records(file, form, rows, rep):
    return [Record(form, file, form, i, dict(row), rep=rep) for i, row in enumerate(rows, start=2)]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("activity") / "sales.db")
    for as_of, customers in ((d(3, 10), MARCH), (d(4, 10), APRIL)):
        run = store.start_run(as_of, ["inbox"])
        for rep in (ZHANG, LI):
            file_id = store.upsert_file("inbox", f"{rep}.xlsx", f"{rep}.xlsx", rep, "active", run)
            store.replace_rows(file_id, records(f"{rep}.xlsx", "customers", customers[rep], rep)
                               + records(f"{rep}.xlsx", "visits", VISITS[rep], rep)
                               + records(f"{rep}.xlsx", "pipeline", PIPELINE[rep], rep), run)
        targets = store.upsert_file("inbox", "targets.xlsx", "targets.xlsx", None, "active", run)
        store.replace_rows(targets, records("targets.xlsx", "targets", TARGETS, None), run)
    yield store
    store.close()


def table(summary, period):
    return [(r.rep, r.visits, r.visits_target, r.visits_pct, r.new_customers, r.new_customers_target,
             r.new_customers_pct, r.closed, r.sales_target, r.sales_pct)
            for r in summary.activity if r.period == period]


def test_march(store):
    summary = rollup(store, d(3, 31))
    assert table(summary, "month") == [
        (ZHANG, 2, 4, 50, 2, 2, 100, 0, 50, 0),
        (LI, 0, None, None, 1, None, None, 10, None, None)]                   # no March target for 李四


def test_april_month_quarter_and_year(store):
    summary = rollup(store, d(4, 20))
    april = [(ZHANG, 1, 5, 20, 1, 2, 50, 20, 60, pytest.approx(100 / 3)),    # the 04-25 visit is still ahead
             (LI, 2, 2, 100, 2, 1, 200, 0, 30, 0)]
    assert table(summary, "month") == april
    assert table(summary, "quarter") == april                                 # Q2 so far is April
    assert table(summary, "year") == [
        (ZHANG, 3, 9, pytest.approx(100 / 3), 3, 4, 75, 20, 110, pytest.approx(2000 / 110)),
        (LI, 2, 2, 100, 3, 1, 300, 10, 30, pytest.approx(100 / 3))]
    assert {r.label for r in summary.activity} == {"2024-04", "2024Q2", "2024"}


def test_json_and_summary_carry_the_activity(store):
    summary = rollup(store, d(4, 20))
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["activity"][0]["rep"] == ZHANG and data["activity"][0]["visits_target"] == 5
    rows = {t.name: t for t in summary_tables(summary, "zh")}["activity"].rows
    assert rows[0][:4] == ["2024-04", ZHANG, 1, 5]


def test_the_activity_sheet_charts_visits_against_target(store, tmp_path):
    import sys
    from pathlib import Path

    from openpyxl import load_workbook

    from xltools.xlsx.summary.workbook import write_summary
    sys.path.insert(0, str(Path(__file__).parent))
    from test_summary import chart_series, series_by_name
    path = write_summary(rollup(store, d(4, 20)), tmp_path / "summary.xlsx")
    series = series_by_name(load_workbook(path), chart_series(path)[-1])
    assert series["拜访"] == ([ZHANG, LI], [1, 2]) and series["拜访指标"] == ([ZHANG, LI], [5, 2])


# Pre-sale visits and margin: one rep, one April merge.
def deal(pid, amount, margin, day, forecast):
    stage = "6 收回全款" if forecast == "已成交" else "3 有资格"
    return {"project_id": pid, "project": pid, "customer": "C1", "owner": ZHANG, "stage": stage, "amount": amount,
            "margin": margin, "expected_close": day, "forecast": forecast}


@pytest.fixture(scope="module")
def margin_summary(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("margin") / "sales.db")
    run = store.start_run(d(4, 20), ["inbox"])
    mine = store.upsert_file("inbox", "张三.xlsx", "张三.xlsx", ZHANG, "active", run)
    store.replace_rows(mine, records("张三.xlsx", "customers", [customer("C1", ZHANG)], ZHANG)
                       + records("张三.xlsx", "visits", [visit(ZHANG, d(4, 2))], ZHANG)
                       + records("张三.xlsx", "presale_visits", [{"customer": "C1", "date": d(4, 3), "visitor": ZHANG},
                                                                 {"customer": "C1", "date": d(4, 9), "visitor": ZHANG},
                                                                 {"customer": "C1", "date": d(4, 28), "visitor": ZHANG}],
                                 ZHANG)
                       + records("张三.xlsx", "pipeline", [deal("P1", 20, 30, d(4, 5), "已成交"),
                                                           deal("P2", 10, None, d(4, 8), "已成交"),
                                                           deal("P3", 40, 25, d(4, 30), "争取"),
                                                           deal("P4", 50, 40, d(5, 15), "管道")], ZHANG), run)
    targets = store.upsert_file("inbox", "targets.xlsx", "targets.xlsx", None, "active", run)
    store.replace_rows(targets, records("targets.xlsx", "targets", [
        {"rep": ZHANG, "month": d(4, 1), "sales_target": 60, "visits": 6, "margin_target": 12},
        {"rep": ZHANG, "month": d(5, 1), "sales_target": 60, "visits": 6, "margin_target": 8}], None), run)
    yield rollup(store, d(4, 20))
    store.close()


def test_visits_count_pre_sale_and_after_sales(margin_summary):
    # 04-02 after-sales, 04-03 and 04-09 pre-sale; the 04-28 pre-sale visit is still ahead.
    month = next(r for r in margin_summary.activity if r.period == "month")
    assert (month.visits, month.visits_target, month.visits_pct) == (3, 6, 50)
    assert margin_summary.reps[0].visits_this_month == 3


def test_margin_expected_and_closed_against_the_margin_target(margin_summary):
    rows = {r.period: r for r in margin_summary.activity}
    # Closed: P1 20 × 30% = 6; P2 has no margin. Expected in April: P3 40 × 25% = 10; P4 closes in May.
    assert (rows["month"].margin_closed, rows["month"].margin_expected) == (6, 10)
    assert (rows["month"].margin_target, rows["month"].margin_pct) == (12, 50)
    # Q2 holds May too: P4 50 × 40% = 20 more expected; targets 12 + 8.
    assert (rows["quarter"].margin_expected, rows["quarter"].margin_target, rows["quarter"].margin_pct) == (30, 20, 30)
    table = {t.name: t for t in summary_tables(margin_summary, "zh")}["activity"]
    assert table.rows[0][-4:] == [10, 6, 12, 50]
