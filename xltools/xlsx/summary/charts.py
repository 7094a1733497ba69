"""The summary's native Excel charts, each drawn over the cells of a table on the sheet.

A manager who edits a number sees the chart follow, and the numbers behind every chart are visible.
"""
from __future__ import annotations

from xltools.xlsx.summary.layout import Placement
from xltools.xlsx.summary.table import Table


BLUE, LIGHT_BLUE, GREEN, LIGHT_GREEN, ORANGE, RED = "#2E75B6", "#9DC3E6", "#70AD47", "#A9D18E", "#C55A11", "#C00000"


def no_data(table: Table, columns: list[int]) -> bool:
    return not any(row[c] for row in table.rows for c in columns)


def value_axis(empty: bool) -> dict:
    axis = {"num_format": "#,##0", "min": 0, "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}}
    # With nothing to show, Excel picks a 0-1 scale in steps of 0.5, which "#,##0" prints as 0, 1, 1.
    return {**axis, "max": 1, "major_unit": 1} if empty else axis


def pixels(width: float) -> int:
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


def funnel_chart(book, p: Placement, columns: list[int], title: str, axis: dict):
    chart = book.add_chart({"type": "bar"})
    stages = p.last_row - p.first_row + 1
    # The last bar is what was won this month: green, apart from the open stages.
    points = [{"fill": {"color": BLUE}}] * (stages - 1) + [{"fill": {"color": GREEN}}]
    chart.add_series({"name": _name_ref(p, columns[0]), "categories": _ref(p, 0), "values": _ref(p, columns[0]),
                      "points": points, "gap": 40, "data_labels": {"value": True, "num_format": "#,##0.0"}})
    chart.set_y_axis({"reverse": True})            # stage 1 on top, as a funnel reads
    chart.set_x_axis(axis)                   # a bar chart's values run along x
    _style_chart(chart, title, legend=False)
    return chart


def column_chart(book, p: Placement, columns: list[int], title: str, axis: dict,
                 colors: tuple[str, ...] = (BLUE, LIGHT_GREEN), data_labels: bool = True, category: int = 0):
    """One column a value column of the table, per row; ``category`` is the column naming the rows."""
    chart = book.add_chart({"type": "column"})
    for col, color in zip(columns, colors):
        series = {"name": _name_ref(p, col), "categories": _ref(p, category), "values": _ref(p, col),
                  "fill": {"color": color}}
        if data_labels:
            series["data_labels"] = {"value": True, "num_format": "#,##0.0"}
        chart.add_series(series)
    chart.set_y_axis(axis)
    _style_chart(chart, title)
    return chart


def rep_chart(book, p: Placement, columns: list[int], title: str, axis: dict):
    """Up to three money columns per rep (open, weighted, target): no value labels, they would crowd."""
    return column_chart(book, p, columns, title, axis, (BLUE, LIGHT_BLUE, ORANGE), data_labels=False)


def trend_chart(book, p: Placement, columns: list[int], title: str, axis: dict):
    chart = book.add_chart({"type": "line"})
    for col, color in zip(columns, (BLUE, GREEN)):
        chart.add_series({"name": _name_ref(p, col), "categories": _ref(p, 0), "values": _ref(p, col),
                          "line": {"color": color, "width": 2.25},
                          "marker": {"type": "circle", "size": 6, "fill": {"color": color},
                                     "border": {"color": color}}})
    # A text axis: a date axis with a single point is drawn from 1900-01-01 by LibreOffice.
    chart.set_x_axis({"text_axis": True, "num_format": "mm-dd"})
    chart.set_y_axis(axis)
    _style_chart(chart, title)
    return chart


def bridge_chart(book, p: Placement, columns: list[int], title: str, axis: dict):
    """A waterfall as stacked columns: an invisible base lifts each step to where the last one ended."""
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    base, up, down, total = columns
    chart.add_series({"name": _name_ref(p, base), "categories": _ref(p, 0), "values": _ref(p, base),
                      "fill": {"none": True}, "border": {"none": True}})
    for col, color in ((up, GREEN), (down, RED), (total, BLUE)):
        chart.add_series({"name": _name_ref(p, col), "categories": _ref(p, 0), "values": _ref(p, col),
                          "fill": {"color": color}, "gap": 50})
    chart.set_y_axis(axis)
    _style_chart(chart, title, legend=False)
    return chart


def band_chart(book, p: Placement, columns: list[int], title: str, axis: dict):
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
    chart.set_y_axis({**axis, "num_format": '0"%"'})
    _style_chart(chart, title)
    return chart
