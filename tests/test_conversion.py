"""Conversion and velocity from three snapshots, worked out by hand."""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from xltools.forms.model import Record
from xltools.rollup import rollup
from xltools.store import open_store
from xltools.xlsx.summary.tables import summary_tables
from xltools.xlsx.summary.workbook import write_summary

sys.path.insert(0, str(Path(__file__).parent))
from test_summary import chart_series, series_by_name  # noqa: E402


def deal(pid, stage, amount, forecast=None):
    return {"project_id": pid, "project": pid, "customer": f"{pid}客户", "owner": "张三", "stage": stage,
            "amount": amount, "expected_close": dt.date(2024, 6, 30), "forecast": forecast}


# P1 moves 1 → 2 and stays; P2 moves 2 → 3 → won; P3 is lost at stage 2; P4 was won before the first snapshot.
P4 = deal("P4", "6 收回全款", 50, "已成交")
STATES = [
    (dt.date(2024, 3, 1), [deal("P1", "1 确定", 10), deal("P2", "2 接触", 20), deal("P3", "2 接触", 5), P4]),
    (dt.date(2024, 3, 15), [deal("P1", "2 接触", 10), deal("P2", "3 有资格", 20), deal("P3", "2 接触", 5, "丢单"), P4]),
    (dt.date(2024, 4, 5), [deal("P1", "2 接触", 10), deal("P2", "6 收回全款", 20, "已成交"),
                           deal("P3", "2 接触", 5, "丢单"), P4]),
]


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("conversion") / "sales.db")
    try:
        for as_of, rows in STATES:
            run = store.start_run(as_of, ["inbox"])
            file_id = store.upsert_file("inbox", "张三.xlsx", "张三.xlsx", "张三", "active", run)
            store.replace_rows(file_id, [Record("pipeline", "张三.xlsx", "pipeline", i,
                                                {k: v for k, v in r.items() if v is not None}, rep="张三")
                                         for i, r in enumerate(rows, start=2)], run)
            store.snapshot_pipeline(run, as_of)
        yield rollup(store, dt.date(2024, 4, 5))
    finally:
        store.close()


def test_stage_to_stage_conversion_and_days_per_stage(summary):
    rows = [(s.stage, s.deals, s.reached, s.lost, s.conversion, s.loss_rate, s.avg_days)
            for s in summary.conversion.by_stage]
    assert rows == [
        (1, 1, 1, 0, 100, 0, 14),                                   # P1: 03-01 → 03-15
        (2, 3, 1, 1, pytest.approx(100 / 3), pytest.approx(100 / 3), 14),   # P2 on, P3 lost, P1 still there
        (3, 1, 1, 0, 100, 0, 21),                                   # P2: 03-15 → won 04-05
        (4, 0, 0, 0, None, None, None),
        (5, 0, 0, 0, None, None, None),
    ]


def test_sales_cycle_and_pipeline_growth(summary):
    c = summary.conversion
    assert (c.won_deals, c.avg_cycle_days) == (1, 35)               # P2: first seen 03-01, won 04-05; not P4
    # March ends with P1 + P2 open (30), April with P1 (10): -66.7%, below the 5% minimum.
    assert [(g.month, g.open_pipeline, g.growth, g.healthy) for g in c.growth] == [
        ("2024-03", 30, None, None), ("2024-04", 10, pytest.approx(-200 / 3), False)]


def test_json_and_summary_carry_the_conversion(summary):
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["conversion"]["by_stage"][0]["conversion"] == 100
    tables = {t.name: t for t in summary_tables(summary, "zh")}
    assert [r[:4] for r in tables["conversion"].rows][:3] == [["1 确定", 1, 1, 0], ["2 接触", 3, 1, 1],
                                                             ["3 有资格", 1, 1, 0]]
    assert tables["pipeline_growth"].flags == {(1, 2)}


def test_the_conversion_sheet_has_a_native_chart(summary, tmp_path):
    from openpyxl import load_workbook
    path = write_summary(summary, tmp_path / "summary.xlsx")
    [chart] = [c for c in chart_series(path) if c["series"][0]["val"].startswith("转化分析!")]
    series = series_by_name(load_workbook(path), chart)
    stages, rates = series["转化率"]
    assert stages[:3] == ["1 确定", "2 接触", "3 有资格"] and rates[:3] == [100, pytest.approx(100 / 3), 100]
