"""Read a rep's workbook into typed rows, as reps really send them.

A sheet is recognised as a form by the template's hidden metadata, by its name, or by
its headers (``recognise``). Values come from python-calamine (fast, and it knows the Chinese
date formats) and are typed a column at a time (``columns``); what calamine hides -- error
cells and formulas without a cached value -- comes from a cheap scan of the sheet's XML
(``xml_facts``; in .xlsx files; .xls, .xlsb and .ods are read through calamine alone). Every
problem is a finding at its cell.

A sheet that cannot be read (a chart or macro sheet, one too large, one the parser
fails on) is skipped with a finding naming it; the rest of the workbook is read.

This module only reads one file that ``sniff`` already passed; ``inbox.read_batch``
runs it for many files in crash-proof worker processes.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine

from xltools.ingest.findings import Finding
from xltools.forms.config import Config
from xltools.forms.model import Record, SheetData
from xltools.forms.schema import Schema, load_schema, norm_label
from xltools.text import Text
from xltools.forms.values import clean_text
from xltools.ingest.columns import has_content, read_columns
from xltools.ingest.cut import cut_to_limits
from xltools.ingest.recognise import column_findings, find_form, map_columns
from xltools.ingest.reps import SOURCES as REP_SOURCES, infer_rep
from xltools.ingest.rows import RowTable
from xltools.ingest.discovery import FORMAT_SUFFIXES
from xltools.ingest.encryption import decrypted
from xltools.ingest.verdict import Verdict, parser_failure
from xltools.ingest.xml_facts import XmlFacts

SERVICE_SHEETS = {"_xltools", "_lists", "填写说明", "instructions", "校验结果", "validationresults", "待修正", "tofix"}


@dataclass
class WorkbookRead:
    """Everything read from one workbook: its rows a column per field (``tables``), which is
    what crosses from a reading worker to the parent, and one ``Record`` per row on demand."""
    path: str
    sheets: list[SheetData] = field(default_factory=list)
    tables: list[RowTable] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rep: str | None = None
    _records: list[Record] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def records(self) -> list[Record]:
        """Every row as a Record (of file ``path``), made on first use."""
        if self._records is None:
            self._records = [record for table in self.tables for record in table.records(self.path)]
        return self._records

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_records": None}      # the columns travel, not the objects


def read_workbook(path: str | Path, display: str | None = None, schema: Schema | None = None,
                  config: Config | None = None, verdict: Verdict | None = None) -> WorkbookRead:
    """Read every form sheet of one workbook. Raises only if the file cannot be opened.

    ``verdict`` is what ``sniff`` said of the file (its format, the sheets too large to read, the
    default password); without one the file is taken as an ordinary .xlsx.
    """
    schema, config = schema or load_schema(), config or Config()
    verdict = verdict or Verdict(ok=True)
    display = display or str(path)
    result = WorkbookRead(display)
    source = decrypted(Path(path)) if verdict.default_password else Path(path)
    too_large = dict(verdict.oversize)
    xml = XmlFacts.scan(source, set(too_large)) if verdict.kind == "xlsx" else XmlFacts()
    # Form sheets beyond the limits are read up to them, from a copy cut down to the limits.
    cut = {xml.parts[name]: reason for name, reason in _form_sheets(schema, xml, too_large).items()}
    if cut:
        source = cut_to_limits(source, set(cut), config)
        xml = XmlFacts.scan(source, set(too_large) - set(cut))
        too_large = {part: reason for part, reason in too_large.items() if part not in cut}
    book = open_calamine(source)
    if Path(path).suffix.lower() not in FORMAT_SUFFIXES[verdict.kind]:
        result.findings.append(Finding("file-extension-wrong", display, params={
            "format": f".{verdict.kind}", "suffix": Path(path).suffix or "—"}))
    for meta in book.sheets_metadata:
        if norm_label(meta.name) in SERVICE_SHEETS:
            continue
        reason, detail = _NOT_TABLES.get(str(meta.typ).rsplit(".", 1)[-1]), None
        reason = reason or too_large.get(xml.parts.get(meta.name))
        if reason is None:
            try:
                sheet = book.get_sheet_by_name(meta.name)
                grid = sheet.to_python(skip_empty_area=False)
            except Exception as exc:  # noqa: BLE001 -- one sheet the parser fails on spoils nothing else
                reason, detail = parser_failure(exc, "sheet")
        if reason is not None:
            result.findings.append(_sheet_not_read(schema, display, meta.name, xml.forms.get(meta.name),
                                                   reason, detail))
            continue
        if xml.parts.get(meta.name) in cut:
            result.findings.append(Finding("form-sheet-too-large", display, sheet=meta.name,
                                           params={"reason": cut[xml.parts[meta.name]]}))
        _fill_merged(grid, sheet.merged_cell_ranges or [])
        _read_sheet(result, schema, meta.name, grid, xml, xml.forms.get(meta.name))
    _assign_reps(result, schema, source if verdict.kind == "xlsx" else None)
    return result


def open_calamine(source: Path | io.BytesIO) -> python_calamine.CalamineWorkbook:
    """The workbook, its format told by content (calamine's from_path goes by the extension)."""
    if isinstance(source, io.BytesIO):
        source.seek(0)
        return python_calamine.CalamineWorkbook.from_filelike(source)
    with open(source, "rb") as fh:
        return python_calamine.CalamineWorkbook.from_filelike(fh)


# Sheets that hold no table: skipped, whatever their name.
_NOT_TABLES = {
    "ChartSheet": Text(zh="图表工作表，不含表格", en="a chart sheet, it holds no table"),
    "MacroSheet": Text(zh="Excel 4 宏表，不含表单", en="an Excel 4 macro sheet, it holds no form"),
    "DialogSheet": Text(zh="对话框工作表，不含表格", en="a dialog sheet, it holds no table"),
    "Vba": Text(zh="VBA 模块，不含表格", en="a VBA module, it holds no table"),
}


def _form_sheets(schema: Schema, xml: XmlFacts, parts: dict[str, Text]) -> dict[str, Text]:
    """The sheets among ``parts`` that are forms by their name or the template's tag."""
    return {name: parts[part] for name, part in xml.parts.items()
            if part in parts and (xml.forms.get(name) or schema.sheet_name_lookup.get(norm_label(name)))}


def _sheet_not_read(schema: Schema, path: str, name: str, tagged: str | None, reason: Text,
                    detail: str | None) -> Finding:
    """An error when the sheet is a form by its name or the template's tag, else a note."""
    form = tagged or schema.sheet_name_lookup.get(norm_label(name))
    return Finding("form-sheet-unreadable" if form else "sheet-skipped", path, form, name, value=detail,
                   params={"reason": reason})


def _read_sheet(result: WorkbookRead, schema: Schema, name: str, grid: list[list[Any]],
                xml: XmlFacts, tagged: str | None) -> None:
    if not any(map(has_content, grid)):
        return
    spec, header_row = find_form(schema, name, grid, tagged)
    if spec is None:
        result.findings.append(Finding("form-unknown", result.path, sheet=name))
        return
    header = grid[header_row] if header_row < len(grid) else []
    sheet = map_columns(spec, name, header_row + 1, header)
    sheet.how = "metadata" if tagged else ("name" if schema.sheet_name_lookup.get(norm_label(name)) else "headers")
    result.sheets.append(sheet)
    result.findings += column_findings(result.path, spec, sheet)
    table = read_columns(result.path, spec, sheet, grid, xml.cells.get(name, {}), result.findings)
    if table is not None:
        result.tables.append(table)


def _fill_merged(grid: list[list[Any]], ranges) -> None:
    """A merged block's value belongs to every cell of it (reps merge a customer over its rows)."""
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(grid):
            continue
        value = grid[r0][c0] if c0 < len(grid[r0]) else None
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            row = grid[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    row[c] = value


def _assign_reps(result: WorkbookRead, schema: Schema, source) -> None:
    """Each row's rep is its own owner field; the file's rep is the one most rows name, else
    inferred by ``reps.infer_rep`` (said with an info finding).

    Findings learn their row's rep, customer and key (contract, project, or rep and month) here.
    """
    counts: Counter[str] = Counter()
    tables = [table for table in result.tables if table.columns]     # the ones that have rows
    for table in tables:
        table.reps = _own_reps(table, schema.sheets[table.form].rep_field, counts)
    if counts:
        result.rep = counts.most_common(1)[0][0]
    else:
        result.rep, origin = infer_rep(result.path, source, schema)
        if tables and origin:
            result.findings.append(Finding("rep-inferred", result.path,
                                           params={"rep": result.rep, "source": REP_SOURCES[origin]}))
    for table in tables:
        table.reps = [rep or result.rep for rep in table.reps]
    by_place = _records_at(result, tables, {(f.sheet, f.row) for f in result.findings})
    for f in result.findings:
        record = by_place.get((f.sheet, f.row))
        f.rep = record.rep if record else result.rep
        f.customer = f.customer or (record.customer if record else None)
        f.key = f.key or (record.key if record else None)


def _own_reps(table: RowTable, field_key: str | None, counts: Counter[str]) -> list[str | None]:
    """Each row's rep as its owner field names it (None where it names none), counted in ``counts``."""
    values = table.columns.get(field_key) if field_key else None
    if values is None:
        return [None] * len(table.numbers)
    cleaned = {value: clean_text(value) for value in set(values) if value}
    reps = [cleaned[value] if value else None for value in values]
    counts.update(rep for value, rep in zip(values, reps) if value)
    return reps


def _records_at(result: WorkbookRead, tables: list[RowTable], places: set[tuple[Any, Any]]
                ) -> dict[tuple[str, int], Record]:
    """The Records of the rows at these (sheet, row) places."""
    found = {}
    for table in tables:
        rows = {row for sheet, row in places if sheet == table.sheet}
        if rows:
            position = dict(zip(table.numbers, range(len(table.numbers))))
            found.update(((table.sheet, row), table.record(result.path, position[row]))
                         for row in rows if row in position)
    return found
