"""The manager's summary workbook written with xlsxwriter: each sheet's tables, and charts where they help.

Sheets: 汇总 (KPIs, charts, tables), 商机变化 (the weekly review: the open pipeline's bridge, changed and
stalled deals, the weekly trend), 待跟进, 数据质量, 回款 (with two charts), 客户分析, 转化分析 and 活动与指标.
"""
from __future__ import annotations

from pathlib import Path

import xlsxwriter

from xltools.atomic import atomic_path
from xltools.rollup.model import Summary
from xltools.text import Text
from xltools.xlsx.summary.charts import (BLUE, ORANGE, band_chart, bridge_chart, column_chart, funnel_chart, no_data,
                                         pixels, rep_chart, trend_chart, value_axis)
from xltools.xlsx.summary.layout import (CHART_COLUMNS, CHART_HEIGHT, CHART_ROWS, SUMMARY_WIDTHS, Placement, Styles,
                                         filterable, heading, kpis, setup_sheet, stack)
from xltools.xlsx.summary.table import SUMMARY_SHEETS, Table
from xltools.xlsx.summary.tables import summary_tables


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
        styles = Styles(book, lang)
        for key, name in SUMMARY_SHEETS.items():
            ws = book.add_worksheet(name(lang))
            setup_sheet(ws, key)
            mine = [tb for tb in tables if tb.sheet == key]
            if key == "summary":
                placed = _summary_sheet(ws, styles, summary, mine, lang)
                _charts(book, ws, name(lang), placed, mine, lang)
            elif key == "changes":
                _changes_sheet(book, ws, styles, summary, mine, lang)
            elif key == "collections":
                _collections_sheet(book, ws, styles, summary, mine, lang)
            else:
                heading(ws, styles, 0, name(lang), summary.as_of, lang)
                placed = stack(ws, styles, mine, 3, name(lang))
                if key == "conversion":
                    _conversion_chart(book, ws, placed["conversion"], lang)
                if key == "activity":
                    _activity_chart(book, ws, placed["activity"], summary, lang)
        book.close()
    return target


def _summary_sheet(ws, styles, summary: Summary, tables: list[Table], lang: str) -> dict[str, Placement]:
    title = Text("销售管理汇总", "Sales summary")(lang)
    heading(ws, styles, 0, title, summary.as_of, lang)
    kpi, rest = tables[0], tables[1:]
    kpis(ws, styles, kpi, lang)
    top = _CHART_TOP + 2 * CHART_ROWS + 1          # tables start under the 2 × 2 chart grid
    placed = stack(ws, styles, rest, top, ws.name)
    # Page 1 is the dashboard (KPIs and charts), page 2 the pipeline tables, then customers and contracts.
    ws.set_h_pagebreaks([top] + [placed[name].header_row - 1 for name in _PAGE_BEFORE])
    return placed


def _changes_sheet(book, ws, styles, summary: Summary, tables: list[Table], lang: str) -> None:
    """Charts on top (the bridge, commit accuracy against its band, pipeline by week), then the tables."""
    name = ws.name
    heading(ws, styles, 0, name, summary.as_of, lang)
    top = _CHANGES_CHART_TOP + 2 * CHART_ROWS + 1
    placed = stack(ws, styles, tables, top, name)
    filterable(ws, styles, next(tb for tb in tables if tb.name == "deal_changes"), placed["deal_changes"])
    ws.set_h_pagebreaks([top])
    compared = summary.changes.snapshots >= 2 and summary.changes.since != summary.as_of
    weeks = len(summary.changes.weeks) >= 2
    specs = [  # (draw, table, value columns, title, whether there is something to draw, the note instead)
        (bridge_chart, "movement", [2, 3, 4, 5], Text("在途商机变化（万元）", "Open pipeline bridge (10k CNY)")(lang),
         compared, Text("只有一次合并的快照：下次合并后这里显示商机的变化。",
                        "Only one merge's snapshot so far: the next merge shows what changed.")(lang)),
        (band_chart, "weeks", [5, 6, 7], Text("承诺准确率（%）", "Commit accuracy (%)")(lang), weeks,
         Text("至少两周的快照后显示趋势。", "The trend appears after two weekly snapshots.")(lang)),
        (trend_chart, "weeks", [1, 2], Text("每周在途与加权商机（万元）", "Open and weighted pipeline by week")(lang),
         weeks, Text("至少两周的快照后显示趋势。", "The trend appears after two weekly snapshots.")(lang)),
    ]
    widths = [pixels(w) for w in SUMMARY_WIDTHS["changes"]]
    left, right = sum(widths[:_CHANGES_CHART_COLUMNS]), sum(widths[_CHANGES_CHART_COLUMNS:])
    for i, (draw, table, columns, title, drawn, note) in enumerate(specs):
        row, col = _CHANGES_CHART_TOP + (i // 2) * CHART_ROWS, 0 if i % 2 == 0 else _CHANGES_CHART_COLUMNS
        if not drawn:
            ws.write_string(row + 1, col, title, styles.get("table_title"))
            ws.write_string(row + 2, col, note, styles.get("note"))
            continue
        chart = draw(book, placed[table], columns, title, value_axis(False))
        chart.set_size({"width": (left if i % 2 == 0 else right) - 12, "height": CHART_HEIGHT})
        ws.insert_chart(row, col, chart, {"x_offset": 6, "y_offset": 4, "object_position": 1})


def _collections_sheet(book, ws, styles, summary: Summary, tables: list[Table], lang: str) -> None:
    """Two charts on top (money per rep, overdue by age), then the tables."""
    heading(ws, styles, 0, ws.name, summary.as_of, lang)
    top = _CHANGES_CHART_TOP + CHART_ROWS + 1
    placed = stack(ws, styles, tables, top, ws.name)
    by_name = {tb.name: tb for tb in tables}
    specs = [(rep_chart, "collections_reps", [1, 2, 3],
              Text("各销售合同额、已回款与应收（万元）", "Contracted, received and receivable by rep")(lang)),
             (column_chart, "collections_ageing", [1], Text("逾期应收账龄（万元）", "Overdue by age")(lang))]
    widths = [pixels(w) for w in SUMMARY_WIDTHS["collections"]]
    left, right = sum(widths[:_COLLECTIONS_CHART_COLUMNS]), sum(widths[_COLLECTIONS_CHART_COLUMNS:])
    for i, (draw, table, columns, title) in enumerate(specs):
        if not summary.collections.received + summary.collections.receivable or no_data(by_name[table], columns):
            ws.write_string(_CHANGES_CHART_TOP + 1, 0 if i == 0 else _COLLECTIONS_CHART_COLUMNS, title,
                            styles.get("table_title"))
            continue                  # no collections tracked yet (or nothing overdue): no empty chart
        chart = draw(book, placed[table], columns, title, value_axis(False))
        chart.set_size({"width": (left if i == 0 else right) - 12, "height": CHART_HEIGHT})
        ws.insert_chart(_CHANGES_CHART_TOP, 0 if i == 0 else _COLLECTIONS_CHART_COLUMNS, chart,
                        {"x_offset": 6, "y_offset": 4, "object_position": 1})


def _charts(book, ws, sheet: str, placed: dict[str, Placement], tables: list[Table], lang: str) -> None:
    """A 2 × 2 grid under the KPIs: funnel, reps against target, forecast, commit trend."""
    by_name = {t.name: t for t in tables}
    specs = [  # (draw, table, value columns, title)
        (funnel_chart, "by_stage", [2], Text("销售漏斗（金额，万元）", "Funnel (10k CNY)")(lang)),
        (rep_chart, "reps", [1, 2, 5], Text("各销售商机与本月指标（万元）", "Pipeline vs target by rep")(lang)),
        (column_chart, "forecast", [1, 2], Text("预测类别（万元）", "Forecast categories")(lang)),
        (trend_chart, "commit_trend", [1, 2], Text("承诺与成交趋势（万元）", "Commit vs closed")(lang)),
    ]
    widths = [pixels(w) for w in SUMMARY_WIDTHS["summary"]]
    left, right = sum(widths[:CHART_COLUMNS]), sum(widths[CHART_COLUMNS:])
    for i, (draw, name, columns, title) in enumerate(specs):
        chart = draw(book, placed[name], columns, title, value_axis(no_data(by_name[name], columns)))
        chart.set_size({"width": (left if i % 2 == 0 else right) - 12, "height": CHART_HEIGHT})
        ws.insert_chart(_CHART_TOP + (i // 2) * CHART_ROWS, 0 if i % 2 == 0 else CHART_COLUMNS, chart,
                        {"x_offset": 6, "y_offset": 4, "object_position": 1})


def _conversion_chart(book, ws, p: Placement, lang: str) -> None:
    """The conversion funnel: each stage's conversion and loss rate, beside the table."""
    title = Text("各阶段转化率与丢单率（%）", "Conversion and loss rate by stage (%)")(lang)
    chart = column_chart(book, p, [4, 5], title, value_axis(False))
    chart.set_size({"width": 560, "height": CHART_HEIGHT})
    ws.insert_chart(p.header_row, p.first_col + p.columns + 1, chart, {"x_offset": 6, "object_position": 1})


def _activity_chart(book, ws, p: Placement, summary: Summary, lang: str) -> None:
    """This month's visits against the visit target per rep, under the table (the month's rows come first)."""
    months = sum(r.period == "month" for r in summary.activity)
    month = Placement(p.sheet, p.header_row, p.first_row, p.first_row + max(months, 1) - 1, p.first_col, p.columns)
    title = Text("本月拜访与拜访指标", "Visits vs target this month")(lang)
    chart = column_chart(book, month, [2, 3], title, value_axis(not months), (BLUE, ORANGE), data_labels=False,
                         category=1)
    chart.set_size({"width": 640, "height": CHART_HEIGHT})
    ws.insert_chart(p.last_row + 3, 0, chart, {"x_offset": 6, "object_position": 1})
