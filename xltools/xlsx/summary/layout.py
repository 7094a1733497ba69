"""How the summary's sheets are laid out with xlsxwriter: column widths, page set-up, headings, KPI tiles,
tables stacked one under another, and the cell formats."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from xltools.forms.values import text_width
from xltools.text import Text
from xltools.xlsx.summary.table import KPI_MONEY, NUMBER_FORMATS, SUMMARY_SHEETS, Table


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

CHART_HEIGHT = 300
CHART_ROWS = 16           # rows one chart takes, with a gap
CHART_COLUMNS = 6         # the left chart spans A:F, the right one G:M
_KPI_ROW = 3


def setup_sheet(ws, key: str) -> None:
    for col, width in enumerate(SUMMARY_WIDTHS[key]):
        ws.set_column(col, col, width)
    ws.set_landscape()
    ws.set_paper(9)                    # A4
    ws.fit_to_pages(1, 0)              # one page wide, as many pages down as needed
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer("&C&P / &N")
    ws.hide_gridlines(2)


def heading(ws, styles, row: int, title: str, as_of: dt.date, lang: str) -> None:
    ws.set_row(row, 28)
    ws.write_string(row, 0, title, styles.get("title"))
    unit = Text("截至 {as_of} · 金额单位：万元", "As of {as_of} · amounts in 10k CNY")
    ws.write_string(row + 1, 0, unit.format(as_of=as_of.isoformat())(lang), styles.get("note"))


def kpis(ws, styles, kpi: Table, lang: str) -> None:
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


def stack(ws, styles, tables: list[Table], row: int, sheet: str) -> dict[str, Placement]:
    """Write tables one under another from ``row``; returns where each landed."""
    placed = {}
    for table in tables:
        placed[table.name] = _table(ws, styles, table, row, sheet)
        row = placed[table.name].last_row + (3 if table.total is None else 4)
    return placed


def _table(ws, styles, table: Table, row: int, sheet: str) -> Placement:
    ws.write_string(row, 0, table.title, styles.get("table_title"))
    header = row + 1
    ws.set_row(header, header_height(table.headers, SUMMARY_WIDTHS.get(_sheet_key(sheet), [])))
    for c, label in enumerate(table.headers):
        ws.write_string(header, c, label, styles.get("header"))
    rows = table.rows or [[Text("（无）", "(none)")(styles.lang)] + [None] * (len(table.headers) - 1)]
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


def header_height(headers: list[str], widths: list[float]) -> float:
    """Header labels wrap: tall enough (points) for the longest one in its column (13 wide past ``widths``)."""
    lines = max((math.ceil(text_width(h) / max((widths[c] if c < len(widths) else 13) - 1, 1))
                 for c, h in enumerate(headers)), default=1)
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


def filterable(ws, styles, table: Table, p: Placement) -> None:
    """An Excel table over the changed deals, so a manager filters by kind, rep or customer."""
    if table.rows:
        ws.add_table(p.header_row, p.first_col, p.last_row, p.first_col + p.columns - 1,
                     {"columns": [{"header": h, "header_format": styles.get("header")} for h in table.headers],
                      "style": "Table Style Light 1", "name": "PipelineChanges"})


class Styles:
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
                 "num_format": KPI_MONEY(self.lang) if kind == "money" else NUMBER_FORMATS.get(kind, "General")}
        return self._make(("kpi", kind, flagged), props)
