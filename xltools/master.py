"""The master workbook: every consolidated row of every form, the rows waiting for a fix
(待修正), and the log of this merge (合并日志).

Written with xlsxwriter in constant-memory mode (it streams rows, so 400k rows stay
small in memory) to a temporary file that replaces the old master in one move. Every
text from a rep is written as a string: "=1+1" stays text, never a formula.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import xlsxwriter

from .atomic import atomic_path
from .findings import WARNING
from .schema import SheetSpec, Text, load_schema
from .store import QUARANTINED

if TYPE_CHECKING:
    from .merge import MergeResult

LINEAGE_LABELS = {"file": Text(zh="来源文件", en="Source file"), "row": Text(zh="来源行", en="Source row"),
                  "rep": Text(zh="跟进人", en="Rep"), "sheet": Text(zh="来源工作表", en="Source sheet"),
                  "flags": Text(zh="校验提示", en="Warnings")}
SHEETS = {"quarantine": Text(zh="待修正", en="To fix"), "log": Text(zh="合并日志", en="Merge log")}
_MAX_CELL = 32767


def write_master(db, target: Path, result: "MergeResult", lang: str = "zh") -> Path:
    """Write the master workbook for the store's current state. Returns the path written."""
    schema = load_schema()
    warnings = _warnings_by_row(result, lang)
    with atomic_path(target, backup=True) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False})
        styles = _styles(book)
        for spec in schema.sheets.values():
            _form_sheet(book, styles, spec, db.frame(spec.key), warnings, lang)
        _quarantine_sheet(book, styles, db, result, lang)
        _log_sheet(book, styles, result, lang)
        book.close()
    return target


def _styles(book) -> dict[str, Any]:
    return {
        "header": book.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "border": 1,
                                   "text_wrap": True, "valign": "vcenter"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "number": book.add_format({"num_format": "0.##"}),
        "warn": book.add_format({"bg_color": "#FFF2CC"}),
        "bold": book.add_format({"bold": True}),
    }


def _form_sheet(book, styles, spec: SheetSpec, frame: pd.DataFrame, warnings, lang: str) -> None:
    ws = book.add_worksheet(_safe_title(spec.name(lang)))
    fields = list(spec.fields)
    headers = [f.label(lang) for f in fields] + [LINEAGE_LABELS[k](lang) for k in ("file", "sheet", "row", "rep", "flags")]
    _header(ws, styles, headers, [_width(f.label(lang), f.type) for f in fields] + [28, 12, 8, 10, 40])
    for i, data in enumerate(frame.to_dict("records"), start=1):
        for c, f in enumerate(fields):
            _cell(ws, i, c, data.get(f.key), f.type, f.unit, styles)
        lineage = [data["_file"], data["_sheet"], data["_row"], data["_rep"]]
        for c, value in enumerate(lineage, start=len(fields)):
            _cell(ws, i, c, value, "int" if c == len(fields) + 2 else "text", None, styles)
        flags = warnings.get((data["_file"], spec.key, data["_row"]))
        if flags:
            ws.write_string(i, len(fields) + 4, _fit("；".join(flags)), styles["warn"])
    _finish(ws, len(frame), len(headers))


def _quarantine_sheet(book, styles, db, result: "MergeResult", lang: str) -> None:
    ws = book.add_worksheet(SHEETS["quarantine"](lang))
    labels = {"zh": ["表单", "来源文件", "工作表", "单元格", "跟进人", "客户/编号", "问题代码", "问题说明", "原值"],
              "en": ["Form", "Source file", "Sheet", "Cell", "Rep", "Subject", "Code", "Problem", "Value"]}[lang]
    _header(ws, styles, labels, [14, 30, 14, 8, 10, 24, 20, 50, 20])
    schema = load_schema()
    quarantined = _quarantined_rows(db, schema)
    rows = [f for f in result.report.errors if (f.file, f.form, f.row) in quarantined]
    for i, f in enumerate(rows, start=1):
        form_name = schema.sheets[f.form].name(lang) if f.form in schema.sheets else ""
        for c, value in enumerate([form_name, f.file, f.sheet, f.cell or (str(f.row) if f.row else ""),
                                   f.rep, f.customer, f.code, f.message(lang), f.value]):
            _cell(ws, i, c, value, "text", None, styles)
    _finish(ws, len(rows), len(labels))


def _log_sheet(book, styles, result: "MergeResult", lang: str) -> None:
    ws = book.add_worksheet(SHEETS["log"](lang))
    zh = lang == "zh"
    ws.set_column(0, 0, 36)
    ws.set_column(1, 5, 14)
    ws.write_string(0, 0, ("合并批次 " if zh else "Merge run ") + str(result.run), styles["bold"])
    ws.write_string(1, 0, ("截至日期 " if zh else "As of ") + result.report.as_of.isoformat())
    summary = [("文件" if zh else "Files", result.files), ("行" if zh else "Rows", result.rows),
               ("库内行" if zh else "Rows in store", result.store_rows)]
    for r, (title, counts) in enumerate(summary, start=2):
        ws.write_string(r, 0, f"{title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    head = ["文件", "状态", "跟进人", "行数", "表单", "原因"] if zh else ["File", "Status", "Rep", "Rows", "Forms", "Reason"]
    for c, label in enumerate(head):
        ws.write_string(6, c, label, styles["header"])
    for r, f in enumerate(result.report.files, start=7):
        for c, value in enumerate([f.path, f.status, f.rep, f.rows, "、".join(f.forms), f.reason(lang)]):
            _cell(ws, r, c, value, "int" if c == 3 else "text", None, styles)


def _header(ws, styles, headers: list[str], widths: list[float]) -> None:
    for c, (label, width) in enumerate(zip(headers, widths)):
        ws.set_column(c, c, width)
        ws.write_string(0, c, label, styles["header"])


def _finish(ws, rows: int, cols: int) -> None:
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(rows, 1), cols - 1)
    ws.set_landscape()               # wide data sheets: landscape, header on every page, no shrinking
    ws.set_paper(9)                  # A4
    ws.repeat_rows(0)


def _cell(ws, r: int, c: int, value: Any, kind: str, unit: str | None, styles) -> None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return
    if kind in ("date", "month"):
        day = dt.date.fromisoformat(value) if isinstance(value, str) else value
        ws.write_datetime(r, c, dt.datetime.combine(day, dt.time()), styles["date"])
    elif kind in ("int", "number", "percent") and not isinstance(value, str):
        ws.write_number(r, c, float(value), styles["money"] if unit == "万元" else styles["number"])
    else:
        ws.write_string(r, c, _fit(str(value)))


def _fit(text: str) -> str:
    """Excel refuses longer text; the store keeps the whole of it."""
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _width(label: str, kind: str) -> float:
    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in label)
    return max(10, min(40, wide + 2, 24 if kind == "text" else 14))


def _safe_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "_")
    return title[:31]


def _warnings_by_row(result: "MergeResult", lang: str) -> dict[tuple, list[str]]:
    flags: dict[tuple, list[str]] = defaultdict(list)
    for f in result.report.findings:
        if f.severity == WARNING and f.form and f.row:
            flags[(f.file, f.form, f.row)].append(f.message(lang))
    return flags


def _quarantined_rows(db, schema) -> set[tuple]:
    rows = set()
    for spec in schema.sheets.values():
        frame = db.frame(spec.key, (QUARANTINED,))
        rows |= {(file, spec.key, row) for file, row in zip(frame["_file"], frame["_row"])}
    return rows
