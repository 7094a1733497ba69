"""The summary workbook: its tables, KPIs and charts, read back from the written file.

Charts are checked through their XML: each series' ranges are resolved on the sheet with
openpyxl and compared with the numbers of the ``Summary`` they were written from.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).parent))

from test_rollup import AS_OF, LI, ZHANG, build_store  # noqa: E402

from xltools.atomic import FileInUse  # noqa: E402
from xltools.rollup import rollup  # noqa: E402
from xltools.store import open_store  # noqa: E402
from xltools.xlsx.summary.table import SUMMARY_SHEETS  # noqa: E402
from xltools.xlsx.summary.tables import summary_tables  # noqa: E402
from xltools.xlsx.summary.workbook import write_summary  # noqa: E402

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    store = build_store(tmp_path_factory.mktemp("summary") / "sales.db")
    try:
        yield rollup(store, AS_OF)
    finally:
        store.close()


@pytest.fixture(scope="module")
def written(summary, tmp_path_factory):
    return write_summary(summary, tmp_path_factory.mktemp("out") / "summary.xlsx")


@pytest.fixture(scope="module")
def book(written):
    return load_workbook(written)


# Charts, read from the xlsx
def chart_series(path: Path) -> list[dict]:
    """Per chart: its kind and, per series, the name/categories/values range references."""
    from defusedxml.ElementTree import fromstring

    charts = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(n for n in zf.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)):
            root = fromstring(zf.read(name))
            plot = root.find(f"{C}chart/{C}plotArea")
            kind = next(child.tag.removeprefix(C) for child in plot if child.tag.endswith("Chart"))
            bar_dir = plot.find(f".//{C}barDir")
            series = [{part: (s.find(f"{C}{part}//{C}f").text if s.find(f"{C}{part}//{C}f") is not None else None)
                       for part in ("tx", "cat", "val")} for s in plot.iter(f"{C}ser")]
            charts.append({"kind": kind, "dir": bar_dir.get("val") if bar_dir is not None else None,
                           "reverse": _reversed_axis(plot), "series": series})
    return charts


def _reversed_axis(plot) -> bool:
    return any(o.get("val") == "maxMin" for o in plot.iter(f"{C}orientation"))


def cells(book, ref: str) -> list:
    """The values of a one-column or one-cell range like 汇总!$C$44:$C$49."""
    sheet, cell_range = ref.rsplit("!", 1)
    ws = book[sheet.strip("'")]
    found = ws[cell_range.replace("$", "")]
    if not isinstance(found, tuple):
        return [found.value]
    return [row[0].value if isinstance(row, tuple) else row.value for row in found]


def series_by_name(book, chart: dict) -> dict[str, tuple[list, list]]:
    return {cells(book, s["tx"])[0]: (cells(book, s["cat"]), cells(book, s["val"])) for s in chart["series"]}


def test_there_are_four_native_charts(written):
    with zipfile.ZipFile(written) as zf:
        assert len([n for n in zf.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]) >= 4
    assert [(c["kind"], c["dir"]) for c in chart_series(written)] == [
        ("barChart", "bar"), ("barChart", "col"), ("barChart", "col"), ("lineChart", None),
        # 商机变化: the bridge (stacked columns), commit accuracy with its band, pipeline by week
        ("barChart", "col"), ("lineChart", None), ("lineChart", None),
        ("barChart", "col"),                                           # 转化分析: conversion and loss by stage
        ("barChart", "col")]                                           # 活动与指标: visits against target


def test_funnel_chart_shows_the_amount_by_stage(written, book, summary):
    funnel = chart_series(written)[0]
    assert funnel["reverse"] is True                                     # stage 1 on top
    [(name, (stages, amounts))] = series_by_name(book, funnel).items()
    assert name == "金额(万元)"
    assert funnel["series"][0]["val"].startswith("汇总!$C$")
    assert stages == ["1 确定", "2 接触", "3 有资格", "4 已发展", "5 已承诺", "6 收回全款"]
    assert amounts == [r.amount for r in summary.pipeline.by_stage] == [8, 10, 25, 40, 50, 75]


def test_rep_chart_shows_pipeline_weighted_and_target(written, book, summary):
    series = series_by_name(book, chart_series(written)[1])
    reps = [r.rep for r in summary.reps]
    assert series["在途商机(万元)"] == (reps, [r.open_pipeline for r in summary.reps])
    assert series["加权商机(万元)"] == (reps, [pytest.approx(r.weighted_pipeline) for r in summary.reps])
    # 赵六 has no target: an empty cell, a gap in the chart rather than a zero.
    assert series["本月指标(万元)"] == (reps, [r.target for r in summary.reps])
    assert dict(zip(reps, series["本月指标(万元)"][1])) == {ZHANG: 100, LI: 40, "王五": 20, "赵六": None}


def test_forecast_chart_shows_month_and_quarter(written, book, summary):
    series = series_by_name(book, chart_series(written)[2])
    month, quarter = series["本月(万元)"], series["本季(万元)"]
    assert month[0] == ["承诺", "争取", "管道", "已成交", "丢单"]
    assert month[1] == list(summary.forecast.month.values()) == [75, 0, 0, 75, 20]
    assert quarter[1] == list(summary.forecast.quarter.values()) == [75, 40, 10, 75, 20]


def test_trend_chart_shows_commit_and_closed_per_week(written, book, summary):
    series = series_by_name(book, chart_series(written)[3])
    weeks = [dt.datetime(2024, 4, 3), dt.datetime(2024, 4, 10)]          # real dates, not text
    assert series["承诺(万元)"] == (weeks, [p.commit for p in summary.commit_accuracy.trend])
    assert series["成交(万元)"] == (weeks, [p.closed for p in summary.commit_accuracy.trend])
    assert series["承诺(万元)"][1] == [25, 95] and series["成交(万元)"][1] == [20, 55]


# Sheets, KPIs, tables
def test_sheets_in_order(book):
    assert book.sheetnames == [s.zh for s in SUMMARY_SHEETS.values()] == ["汇总", "商机变化", "待跟进", "数据质量", "回款", "客户分析", "转化分析", "活动与指标"]


def kpis(ws) -> dict[str, object]:
    """KPI label -> the big number under it."""
    found = {}
    for row in ws.iter_rows(min_row=1, max_row=8):
        for cell in row:
            below = ws.cell(cell.row + 1, cell.column)
            if isinstance(cell.value, str) and below.value is not None and cell.font.bold and below.font.sz >= 16:
                found[cell.value] = (below.value, below.number_format)
    return found


def test_kpi_block(book, summary):
    found = kpis(book["汇总"])
    assert found["在途商机(万元)"] == (133, '#,##0.00"万"')
    assert found["加权商机(万元)"][0] == pytest.approx(84.8)
    assert found["本月成交(万元)"][0] == 75
    assert found["指标完成率"][0] == pytest.approx(46.875)              # 75 ÷ 160
    assert found["承诺准确率"][0] == pytest.approx(75 / 95 * 100)
    assert found["逾期跟进"][0] == 2
    assert found["平均满意度"][0] == pytest.approx(4.0)


def table_rows(ws, title_start: str) -> tuple[list, list[list]]:
    """The header and data rows of the table whose title starts with ``title_start``."""
    for row in ws.iter_rows():
        if isinstance(row[0].value, str) and row[0].value.startswith(title_start):
            header_row = row[0].row + 1
            break
    else:
        raise AssertionError(f"no table {title_start!r}")
    headers = [c.value for c in ws[header_row] if c.value is not None]
    data = []
    r = header_row + 1
    while ws.cell(r, 1).value not in (None, "合计", "Total"):
        data.append([ws.cell(r, c).value for c in range(1, len(headers) + 1)])
        r += 1
    return headers, data


def test_rep_table_numbers_formats_and_flag(book, summary):
    ws = book["汇总"]
    headers, rows = table_rows(ws, "各销售业绩")
    assert headers[0] == "销售" and headers[-1] == "覆盖率"
    by_rep = {r[0]: r for r in rows}
    assert by_rep[ZHANG][1:] == [75, 39, 25, 50, 100, 50, 50, 150]
    assert by_rep[LI][8] == 145
    # The flagged coverage is red; the healthy one is not.
    li_row = next(c.row for c in ws["A"] if c.value == LI and ws.cell(c.row, 9).value == 145)
    zhang_row = next(c.row for c in ws["A"] if c.value == ZHANG and ws.cell(c.row, 9).value == 150)
    assert ws.cell(li_row, 9).fill.fgColor.rgb.endswith("FFC7CE")
    assert not ws.cell(zhang_row, 9).fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(li_row, 2).number_format == "#,##0.00"
    assert ws.cell(li_row, 9).number_format == '0.0"%"'


def test_other_tables_hold_the_summary(book, summary):
    ws = book["汇总"]
    assert table_rows(ws, "待审批合同")[1] == [
        [p.customer, p.contract_id, p.submitter, p.amount, dt.datetime.combine(p.submitted, dt.time()),
         p.days_waiting, p.step, "待修正，未计入合计" if p.quarantined else ""] for p in summary.contracts.pending]
    # Amount, received, rate, rebate on received, approval: nothing received yet, no application
    assert [r[2:] for r in table_rows(ws, "合同返点")[1]] == [
        [19.99, 0, 5, 0, "未申请"], [20, 0, 8, 0, "未申请"], [100, 0, 10, 0, "未申请"]]
    assert [r[0] for r in table_rows(ws, "TOP 20")[1]] == ["明月集团", "星辰科技", "华络通信"]
    assert table_rows(ws, "赢单率 66.7%")[1][0] == ["价格偏高", 0, 2]


def test_follow_up_and_quality_sheets(book):
    headers, overdue = table_rows(book["待跟进"], "逾期未跟进")
    assert headers == ["销售", "客户", "类型", "应跟进日期", "逾期天数"]
    assert overdue == [[ZHANG, "华络通信", "客户跟进", dt.datetime(2024, 4, 8), 2],
                       [LI, "明月集团", "回访", dt.datetime(2024, 4, 5), 5]]
    assert len(table_rows(book["待跟进"], "未来 7 天到期")[1]) == 3
    assert table_rows(book["数据质量"], "各销售的数据问题")[1] == [
        ["（未知）", 0, 1, "无法识别的工作表 1"], [ZHANG, 2, 1, "必填项为空 2、预计签约时间已过 1"],
        [LI, 0, 1, "跟进逾期 1"]]
    # Each problem by its title in the workbook's language, the code beside it.
    assert table_rows(book["数据质量"], "按问题类型") == (["问题", "数量", "问题代码"], [
        ["必填项为空", 2, "required"], ["预计签约时间已过", 1, "close-date-stale"],     # by count, then code
        ["跟进逾期", 1, "follow-up-overdue"], ["无法识别的工作表", 1, "form-unknown"]])


def test_dates_are_real_dates(book):
    ws = book["待跟进"]
    due = next(c for c in ws["D"] if isinstance(c.value, dt.datetime))
    assert due.number_format == "yyyy-mm-dd"


def test_print_setup_and_widths(book):
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert ws.page_setup.fitToWidth in (None, 1)          # omitted: Excel's default of 1 page wide
        assert ws.page_setup.fitToHeight == 0                 # as many pages down as needed
        assert ws.column_dimensions["A"].width >= 12
    assert book["汇总"].column_dimensions["A"].width >= 26                   # customer names fit
    assert book["待跟进"].column_dimensions["B"].width >= 30
    assert book["汇总"].column_dimensions["B"].width >= 16                   # HT-202404001 fits its 合同编号 cell
    assert book["数据质量"].column_dimensions["C"].width >= 26               # delivery-followup-missing fits


def test_english_labels(summary, tmp_path):
    path = write_summary(summary, tmp_path / "summary_en.xlsx", lang="en")
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Pipeline changes", "Follow-ups", "Data quality", "Collections", "Accounts", "Conversion", "Activity vs targets"]
    assert kpis(book["Summary"])["Open pipeline (10k CNY)"][0] == 133
    funnel = chart_series(path)[0]
    assert funnel["series"][0]["val"].startswith("Summary!$C$")
    assert cells(book, funnel["series"][0]["cat"])[0] == "1 Identified"
    assert table_rows(book["Follow-ups"], "Overdue")[1][0][2] == "Customer follow-up"


def test_tables_are_consistent(summary):
    tables = summary_tables(summary, "zh")
    assert len({t.name for t in tables}) == len(tables)
    for t in tables:
        assert len(t.headers) == len(t.formats), t.name
        assert all(len(row) == len(t.headers) for row in t.rows), t.name
        assert t.sheet in SUMMARY_SHEETS


def test_open_in_excel_raises_and_keeps_the_old_file(summary, tmp_path):
    target = write_summary(summary, tmp_path / "summary.xlsx")
    before = target.read_bytes()
    (tmp_path / "~$summary.xlsx").write_bytes(b"owner")
    with pytest.raises(FileInUse):
        write_summary(summary, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~tmp")] == []


def test_empty_summary_still_has_every_chart(tmp_path):
    open_store(tmp_path / "empty.db").close()
    summary = rollup(tmp_path / "empty.db", AS_OF)
    path = write_summary(summary, tmp_path / "empty.xlsx")
    assert len(chart_series(path)) == 6        # the summary sheet's four, conversion, activity
    assert table_rows(load_workbook(path)["待跟进"], "逾期未跟进")[1] == [["（无）", None, None, None, None]]


@pytest.mark.libreoffice
def test_libreoffice_renders_it(written, libreoffice, tmp_path):
    [pdf] = libreoffice([written], "pdf", tmp_path)
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "销售管理汇总" in text and "133.00万" in text
        assert "###" not in text                                   # no column too narrow for its number


def test_every_finding_code_has_a_title():
    from xltools.checks.findings import CODES, TITLES, code_title
    assert set(TITLES) == set(CODES)
    assert (code_title("follow-up-overdue"), code_title("follow-up-overdue", "en")) == ("跟进逾期", "Follow-up overdue")
    assert code_title("retired-code") == "retired-code"


def test_quality_sheet_lists_each_row_to_fix_with_customer_and_key(book):
    headers, rows = table_rows(book["数据质量"], "待修正的行")
    assert headers == ["客户", "销售", "编号", "问题"]
    # Errors and warnings about a row, by rep then customer; a whole-sheet finding (form-unknown) is not a row.
    assert rows == [["", ZHANG, "", "required"], ["", ZHANG, "", "required"],
                    ["华络通信", ZHANG, "XM-001", "close-date-stale"], ["明月集团", LI, "", "follow-up-overdue"]]


def test_labels_that_name_a_threshold_follow_an_overridden_config(summary):
    """Coverage, the commit-accuracy band and the rebate tiers are read from the config, in both languages."""
    from dataclasses import replace

    from xltools.forms.config import Config

    config = Config(coverage_healthy=135, commit_accuracy_range=(92.5, 108), rebate_tiers=((0, 4), (30, 7)))
    overridden = replace(summary, config=config)
    for lang, words in (("zh", ("低于 135% 标红", "健康 92.5–108%", "30 万以下 4%，30 万及以上 7%")),
                        ("en", ("red below 135%", "healthy 92.5–108%", "below 30: 4%, 30 and above: 7%"))):
        tables = {t.name: t for t in summary_tables(overridden, lang)}
        labels = " | ".join([tables["reps"].title, tables["weeks"].title, tables["rebates"].title,
                             *map(str, tables["kpi"].rows[1])])
        assert all(word in labels for word in words), (lang, labels)
        assert "150" not in labels and "95–110" not in labels and "100 万" not in labels
