"""Annotated copies: what an admin sends back to a rep.

Each input gets a copy in which every finding's cell is filled (red for an error, amber for
a warning) and carries a comment with the message, plus a 校验结果 sheet listing the
findings with links to their cells. The rep's own file is never touched: a copy that would
land on an input is refused, and one copy that cannot be written never stops the others.

An input that is not an .xlsx package (.xls, .xlsb, .ods) gets its copy as ``<name>.xlsx``, its
values taken over sheet by sheet; one encrypted with Excel's default password is decrypted first.
"""
from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.escape import unescape

from xltools.atomic import atomic_path
from xltools.errors import refuse_inside, write_each
from xltools.checks.findings import SEVERITY_WORDS
from xltools.ingest.findings import ERROR, INFO, Finding
from xltools.ingest.reader import open_calamine
from xltools.checks.report import Report
from xltools.ingest.encryption import decrypted
from xltools.ingest.sniff import sniff
from xltools.ingest.verdict import WORKBOOK_SUFFIXES
from xltools.text import Text
from xltools.xlsx.ooxml import excel_text

FILLS = {ERROR: PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
RESULT_SHEET = Text("校验结果", "Validation results")
NO_PROBLEMS = Text("未发现问题", "No problems found")
_HEADERS = (Text("级别", "Severity"), Text("工作表", "Sheet"), Text("单元格", "Cell"), Text("代码", "Code"),
            Text("说明", "Message"), Text("值", "Value"))


def annotate(report: Report, out_dir: Path, lang: str = "zh") -> list[Path]:
    """Write an annotated copy of every readable input into ``out_dir``; returns the paths.

    :raises UsageError: ``out_dir`` is inside a folder being read (a copy could replace an input).
    :raises SomeNotWritten: after every other copy was written, when some could not be.
    """
    refuse_inside("--annotate", out_dir, {f.root for f in report.files if f.root and f.root.is_dir()})
    jobs = [(copy_path(out_dir, f.path), partial(annotate_file, f.abspath, copy_path(out_dir, f.path),
                                                 report.findings_of(f.path), lang))
            for f in report.files if f.status == "ok"]
    return write_each(jobs, Text("批注副本", "annotated copy"))


def copy_path(out_dir: Path, shown: str) -> Path:
    """Where the annotated copy of the input ``shown`` (its path as reported) goes: the same name,
    with .xlsx instead of any extension that is not an Excel 2007+ workbook's (.xls, .ods, .et)."""
    target = out_dir / shown
    return target if target.suffix.lower() in WORKBOOK_SUFFIXES else target.with_suffix(".xlsx")


def annotate_file(source: Path, target: Path, findings: list[Finding], lang: str = "zh") -> Path:
    """Write the annotated copy of ``source`` to ``target`` (see ``copy_path``); returns ``target``."""
    verdict = sniff(source)
    if verdict.kind == "xlsx":
        # A file object: openpyxl refuses a path whose extension is not its own (an .xlsx named .xls).
        with (decrypted(source) if verdict.default_password else open(source, "rb")) as fh:
            book = openpyxl.load_workbook(fh, keep_vba=target.suffix.lower() == ".xlsm")
    else:
        book = _values_copy(source)
    mark_findings(book, findings, lang)
    with atomic_path(target) as tmp:
        book.save(tmp)
    return target


def mark_findings(book: openpyxl.Workbook, findings: list[Finding], lang: str = "zh",
                  sheet_name: str | None = None) -> None:
    """Highlight each finding (but notes) at its cell and list them on a first sheet with links."""
    shown = [f for f in findings if f.severity != INFO]
    for f in shown:
        if f.sheet in book.sheetnames and f.cell:
            _mark(book[f.sheet], f, lang)
    _results_sheet(book, shown, lang, sheet_name or RESULT_SHEET(lang))


def _values_copy(source: Path) -> openpyxl.Workbook:
    """A new workbook holding the values and merged blocks of every worksheet of ``source``.

    Only files the isolated reader already read come here, so calamine is safe to run in this process;
    a sheet it fails on is left out of the copy, as it was left out of the reading.
    """
    book = openpyxl.Workbook()
    book.remove(book.active)
    calamine = open_calamine(source)
    for meta in calamine.sheets_metadata:
        if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
            continue
        try:
            sheet = calamine.get_sheet_by_name(meta.name)
            grid = sheet.to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001 -- reported by the reading already
            continue
        ws = book.create_sheet(meta.name)
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                if value != "" and value is not None:
                    _value(ws.cell(r, c), value)
        for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    return book


def _value(cell, value) -> None:
    if isinstance(value, str):
        _text(cell, value)
        return
    cell.value = value
    if isinstance(value, (dt.date, dt.datetime)):
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, dt.datetime) else "yyyy-mm-dd"


def _mark(ws, f: Finding, lang: str) -> None:
    cell = _anchor(ws, f.cell)
    if f.severity == ERROR or cell.fill != FILLS[ERROR]:
        cell.fill = FILLS[f.severity]
    text = excel_text(f"[{f.code}] {f.message(lang)}")
    if cell.comment:
        text = cell.comment.text + "\n" + text
    cell.comment = Comment(text, "xltools", width=320, height=120)


def _anchor(ws, ref: str):
    """A merged block keeps its value and style in its top-left cell."""
    cell = ws[ref]
    if isinstance(cell, MergedCell):
        for block in ws.merged_cells.ranges:
            if ref in block:
                return ws.cell(block.min_row, block.min_col)
    return cell


def _results_sheet(book, findings: list[Finding], lang: str, name: str) -> None:
    if name in book.sheetnames:
        del book[name]
    ws = book.create_sheet(name, 0)
    for c, (title, width) in enumerate(zip([h(lang) for h in _HEADERS], [8, 16, 10, 24, 70, 24]), start=1):
        ws.cell(1, c, title).font = Font(bold=True)
        ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width = width
    if not findings:
        _text(ws.cell(2, 1), NO_PROBLEMS(lang))
    for r, f in enumerate(findings, start=2):
        values = [SEVERITY_WORDS[f.severity](lang), f.sheet or "", f.cell or (str(f.row) if f.row else ""), f.code,
                  f.message(lang), _as_typed(book, f)]
        for c, value in enumerate(values, start=1):
            _text(ws.cell(r, c), value)
        ws.cell(r, 1).fill = FILLS.get(f.severity, PatternFill())
        if f.sheet and f.cell:
            link = ws.cell(r, 3)
            link.hyperlink = f"#'{f.sheet}'!{f.cell}"
            link.font = Font(color="0563C1", underline="single")
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _as_typed(book, f: Finding) -> str:
    """The finding's value as the rep typed it (30万, not 30.0): the cell's own content where
    the copy has the cell, else the value the reader took."""
    typed = _anchor(book[f.sheet], f.cell).value if f.cell and f.sheet in book.sheetnames else None
    value = f.value if typed is None else unescape(typed) if isinstance(typed, str) else typed   # _x001B_ as read
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _text(cell, value: str) -> None:
    """Write as text even when it starts with '=': a rep's text is never a formula. Control
    characters are kept as Excel stores them (_x001B_), which openpyxl would refuse raw."""
    cell.value = excel_text(value)
    cell.data_type = "s"
