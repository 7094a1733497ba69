"""The master workbook: every consolidated row of every form, the rows waiting for a fix
(待修正), and the log of this merge (合并日志).

Written by the streaming writer in ``xlsx.stream`` (rows go straight to disk, so 400k rows
stay small in memory) to a temporary file that replaces the old master in one move, the
previous masters kept with dated names (``masters_kept``). Every text from a rep is written as a string: "=1+1"
stays text, never a formula.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from xltools.atomic import atomic_path
from xltools.ingest.findings import WARNING
from xltools.checks.report import STATUS_WORDS
from xltools.ingest.reps import UNKNOWN as UNKNOWN_REP
from xltools.forms.schema import SheetSpec, load_schema
from xltools.text import Text
from xltools.forms.values import text_width
from xltools.store.interface import QUARANTINED
from xltools.xlsx.stream import BOLD, DATE, DEFAULT, HEADER, MONEY, NUMBER, WARN, StreamBook

if TYPE_CHECKING:
    from xltools.jobs.merge_result import MergeResult

LINEAGE_LABELS = {"file": Text(zh="来源文件", en="Source file"), "row": Text(zh="来源行", en="Source row"),
                  "rep": Text(zh="归属销售", en="Row's rep"), "sheet": Text(zh="来源工作表", en="Source sheet"),
                  "flags": Text(zh="校验提示", en="Warnings")}
SHEETS = {"quarantine": Text(zh="待修正", en="To fix"), "log": Text(zh="合并日志", en="Merge log")}
_QUARANTINE_HEADERS = (Text("表单", "Form"), Text("来源文件", "Source file"), Text("工作表", "Sheet"), Text("单元格", "Cell"),
                       Text("跟进人", "Rep"), Text("客户", "Customer"), Text("编号", "Key"), Text("问题代码", "Code"),
                       Text("问题说明", "Problem"), Text("原值", "Value"))
_LOG = {"run": Text("合并批次 {run}", "Merge run {run}"), "as_of": Text("截至日期 {as_of}", "As of {as_of}"),
        "files": Text("文件：", "Files: "), "rows": Text("行：", "Rows: "), "store_rows": Text("库内行：", "Rows in store: ")}
_LOG_HEADERS = (Text("文件", "File"), Text("状态", "Status"), Text("销售代表", "Rep"), Text("行数", "Rows"),
                Text("表单", "Forms"), Text("原因", "Reason"))
LINEAGE = ["_file", "_sheet", "_row", "_rep"]
_MAX_CELL = 32767


def write_master(db, target: Path, result: "MergeResult", lang: str = "zh", keep: int = 5) -> Path:
    """Write the master workbook for the store's current state, keeping ``keep`` previous ones.
    Returns the path written."""
    schema = load_schema()
    warnings = _warnings_by_row(result, lang)
    with atomic_path(target, keep=keep) as tmp:
        book = StreamBook(tmp)
        for spec in schema.sheets.values():
            _form_sheet(book, spec, db.frame(spec.key), warnings, lang)
        _quarantine_sheet(book, db, result, lang)
        _log_sheet(book, result, lang)
        book.close()
    return target


def _form_sheet(book: StreamBook, spec: SheetSpec, frame: pd.DataFrame, warnings, lang: str) -> None:
    fields = list(spec.fields)
    headers = [f.label(lang) for f in fields] + [LINEAGE_LABELS[k](lang) for k in ("file", "sheet", "row", "rep", "flags")]
    styles = [_style(f.type, f.unit) for f in fields] + [DEFAULT, DEFAULT, DEFAULT, DEFAULT, WARN]
    columns = [_column_values(frame[f.key], f.type) for f in fields] + [frame[c].tolist() for c in LINEAGE]
    widths = [_width(label, values) for label, values in zip(headers, columns)] + [40]
    ws = book.sheet(_safe_title(spec.name(lang)), widths)
    ws.row(headers, HEADER)
    for values in zip(*columns):
        flags = warnings.get((values[-4], spec.key, values[-2]))
        ws.row([*values, "；".join(flags) if flags else None], styles)
    ws.close()


def _style(kind: str, unit: str | None) -> int:
    if kind in ("date", "month"):
        return DATE
    if kind in ("int", "number", "percent"):
        return MONEY if unit == "万元" else NUMBER
    return DEFAULT


def _column_values(series: pd.Series, kind: str) -> list:
    """A store column as cell values: ISO dates become dates, long text is fitted, once per column."""
    values = series.tolist()
    if kind in ("date", "month"):
        return [dt.date.fromisoformat(v) if isinstance(v, str) else None for v in values]
    if series.dtype == object:
        return [_fit(v) if isinstance(v, str) and len(v) > _MAX_CELL else v for v in values]
    return values


def _quarantine_sheet(book: StreamBook, db, result: "MergeResult", lang: str) -> None:
    ws = book.sheet(SHEETS["quarantine"](lang), [14, 30, 14, 8, 10, 24, 16, 20, 50, 20])
    ws.row([label(lang) for label in _QUARANTINE_HEADERS], HEADER)
    schema = load_schema()
    quarantined = _quarantined_rows(db, schema)
    for f in result.report.errors:
        if (f.file, f.form, f.row) in quarantined:
            form_name = schema.sheets[f.form].name(lang) if f.form in schema.sheets else ""
            ws.row([form_name, f.file, f.sheet, f.cell or (str(f.row) if f.row else ""), f.rep, f.customer,
                    f.key, f.code, f.message(lang), None if f.value is None else _fit(str(f.value))])
    ws.close()


def _log_sheet(book: StreamBook, result: "MergeResult", lang: str) -> None:
    ws = book.sheet(SHEETS["log"](lang), [36, 14, 14, 14, 14, 40])
    ws.row([_LOG["run"].format(run=result.run)(lang)], BOLD)
    ws.row([_LOG["as_of"].format(as_of=result.report.as_of.isoformat())(lang)])
    for title, counts in [(_LOG["files"], result.files), (_LOG["rows"], result.rows),
                          (_LOG["store_rows"], result.store_rows)]:
        ws.row([title(lang) + counts.text()(lang)])
    ws.row([])
    ws.row([label(lang) for label in _LOG_HEADERS], HEADER)
    forms = load_schema().sheets
    for f in result.report.files:
        ws.row([f.path, STATUS_WORDS[f.status](lang), f.rep or UNKNOWN_REP(lang), f.rows,
                Text("、", ", ")(lang).join(forms[k].name(lang) if k in forms else k for k in f.forms),
                f.reason(lang) or None])
    ws.close(autofilter=False)


def _fit(text: str) -> str:
    """Excel refuses longer text; the store keeps the whole of it."""
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _width(label: str, values: list) -> float:
    """Wide enough for the header and the first rows' values (CJK characters count double)."""
    sample = [label] + [v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values[:200] if v is not None]
    return max(8, min(40, max(text_width(s) for s in sample) + 2))


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
