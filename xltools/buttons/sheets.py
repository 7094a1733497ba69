"""Writing a button's tables into the workbook's sheets: the summary sheets and the console's result sheets.

Each sheet is replaced whole (heading, then its tables one under another), inside one
``writer.writing()``; a failure part-way is a ``WriteFailed`` naming the sheet."""
from __future__ import annotations

import datetime as dt

from xltools.buttons.settings import sheet_name
from xltools.text import Text
from xltools.xlsx.summary.table import SUMMARY_SHEETS, Table
from xltools.xlsx.summary.tables import summary_tables
from xltools.xlsx.summary.layout import header_height
from xltools.xlsx.workbooks import CONSOLE_SHEETS, FIRST_TABLE_ROW, TABLE_GAP, WIDTHS
from xltools.xlsx.writers.protocol import BookWriter

SUMMARY_HEADING = Text("销售管理汇总", "Sales summary")
SUMMARY_NOTE = Text("截至 {as_of} · 金额单位：万元 · 刷新于 {now}", "As of {as_of} · amounts in 10k CNY · refreshed {now}")
NONE = Text("（无）", "(none)")
STAMP = Text("于 {now} · 截至 {as_of}", " {now} · as of {as_of}")


class WriteFailed(Exception):
    """Writing into the workbook failed after some sheets may have been written (only possible in Excel)."""


def write_summary_sheets(writer: BookWriter, summary, lang: str = "zh", note: str = "") -> None:
    """Replace the summary sheets' content with the tables of ``summary`` (as ``xltools rollup`` makes them)."""
    tables = summary_tables(summary, lang)
    unit = SUMMARY_NOTE.format(as_of=summary.as_of, now=now_text())(lang) + note
    with writer.writing():
        for key, name in SUMMARY_SHEETS.items():
            heading = SUMMARY_HEADING(lang) if key == "summary" else name(lang)
            write_tables(writer, sheet_name(writer, name), key, heading, unit,
                         [t for t in tables if t.sheet == key], lang)


def write_result_sheets(writer: BookWriter, tables: dict[str, Table | list[Table]], note: str, lang: str) -> None:
    """Replace the content of the console's sheets named in ``tables`` (findings, files, log)."""
    with writer.writing():
        for key, content in tables.items():
            name = CONSOLE_SHEETS[key]
            write_tables(writer, sheet_name(writer, name), key, name(lang), note,
                         content if isinstance(content, list) else [content], lang)


def write_tables(writer: BookWriter, sheet: str, key: str, heading: str, note: str, tables: list[Table],
                 lang: str) -> None:
    """A sheet's whole content: heading, then the tables one under another."""
    try:
        writer.clear(sheet, 1)
        writer.write_heading(sheet, heading, note)
        row = FIRST_TABLE_ROW
        for table in tables:
            rows = table.rows or [[NONE(lang)] + [None] * (len(table.headers) - 1)]
            used = writer.write_table(sheet, f"A{row}", table.headers, rows, table.formats, title=table.title,
                                      total=table.total, flags=table.flags,
                                      header_height=header_height(table.headers, WIDTHS[key]))
            row += used + TABLE_GAP
    except Exception as exc:
        raise WriteFailed(sheet) from exc


def now_text() -> str:
    """The minute a sheet was written, as its notes show it."""
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M")


def stamp(lang: str, verb: Text, as_of: dt.date) -> str:
    """The note under a result sheet's heading: what was done, when, and as of which day."""
    return (verb + STAMP.format(now=now_text(), as_of=as_of))(lang)
