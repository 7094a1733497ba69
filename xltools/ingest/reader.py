"""Read a rep's workbook into typed rows, as reps really send them.

A sheet is recognised as a form by the template's hidden metadata, by its name, or by
its headers (anywhere in the first 10 rows, in any order, Chinese or English, with
aliases). Values come from python-calamine (fast, and it knows the Chinese date
formats); what calamine hides -- error cells and formulas without a cached value --
comes from a cheap scan of the sheet's XML (in .xlsx files; .xls, .xlsb and .ods are
read through calamine alone). Every problem is a finding at its cell.

A sheet that cannot be read (a chart or macro sheet, one too large, one the parser
fails on) is skipped with a finding naming it; the rest of the workbook is read.

This module only reads one file that ``sniff`` already passed; ``read.read_paths``
runs it for many files in crash-proof worker processes.
"""
from __future__ import annotations

import datetime as dt
import html
import io
import math
import re
import shutil
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import python_calamine

from xltools.forms.config import Config
from xltools.ingest.findings import EXPECTED, Finding, column_letter
from xltools.forms.model import Record, SheetData
from xltools.ingest.reps import SOURCES as REP_SOURCES, infer_rep
from xltools.forms.schema import Schema, SheetSpec, Text, load_schema, norm_label
from xltools.ingest.discovery import FORMAT_SUFFIXES
from xltools.ingest.encryption import decrypted
from xltools.ingest.verdict import Verdict, parser_failure
from xltools.forms.values import clean_text, coerce, is_blank, parse_size, to_text

HEADER_SCAN_ROWS = 10
MAX_TEXT = 32767
SERVICE_SHEETS = {"_xltools", "_lists", "填写说明", "instructions", "校验结果", "validationresults", "待修正", "tofix"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_REQUIRED_MARK = re.compile(r"(\*|＊|※|\(必填\)|（必填）|必填)$")


@dataclass
class WorkbookRead:
    """Everything read from one workbook."""
    path: str
    sheets: list[SheetData] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rep: str | None = None


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
    too_large = {part: Text(zh=zh, en=en) for part, en, zh in verdict.oversize}
    xml = _XmlFacts.scan(source, set(too_large)) if verdict.kind == "xlsx" else _XmlFacts()
    # Form sheets beyond the limits are read up to them, from a copy cut down to the limits.
    cut = {xml.parts[name]: reason for name, reason in _form_sheets(schema, xml, too_large).items()}
    if cut:
        source = _cut_to_limits(source, set(cut), config)
        xml = _XmlFacts.scan(source, set(too_large) - set(cut))
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
                en, zh, detail = parser_failure(exc, "sheet")
                reason = Text(zh=zh, en=en)
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


def _form_sheets(schema: Schema, xml: "_XmlFacts", parts: dict[str, Text]) -> dict[str, Text]:
    """The sheets among ``parts`` that are forms by their name or the template's tag."""
    return {name: parts[part] for name, part in xml.parts.items()
            if part in parts and (xml.forms.get(name) or schema.sheet_name_lookup.get(norm_label(name)))}


_ROW = re.compile(rb"<row[\s>/][^>]*?(?:/>|>.*?</row>)", re.S)
_ROW_NUMBER = re.compile(rb"""\sr=["'](\d+)["']""")
_CELL = re.compile(rb"""<c\s[^>]*?\br=["']([A-Z]+)\d+["'][^>]*?(?:/>|>.*?</c>)""", re.S)


def _cut_to_limits(source: Path | io.BytesIO, parts: set[str], config: Config) -> io.BytesIO:
    """A copy of the package in which the sheets ``parts`` keep only rows and columns within the limits."""
    copy = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in parts:
                with zin.open(info) as stream:
                    zout.writestr(info.filename, _cut_sheet(stream, config.max_rows, config.max_columns))
            else:   # streamed: other sheets too large to read may be big
                with zin.open(info) as part, zout.open(info.filename, "w") as copied:
                    shutil.copyfileobj(part, copied)
    copy.seek(0)
    return copy


def _cut_sheet(stream, max_rows: int, max_columns: int) -> bytes:
    """The sheet's XML streamed, whole rows at a time, without the rows and cells beyond the limits."""
    last_column = column_letter(max_columns)
    out, buf, row, beyond = bytearray(), b"", 0, False

    def cells_within(match: re.Match) -> bytes:
        letters = match.group(1)
        return match.group(0) if (len(letters), letters) <= (len(last_column), last_column.encode()) else b""

    while True:
        chunk = stream.read(1 << 20)
        buf += chunk
        # Whole rows only, until the end of the part.
        end = buf.rfind(b"</row>") + len(b"</row>") if chunk else len(buf)
        if chunk and end < len(b"</row>"):
            continue
        region, buf = buf[:end], buf[end:]
        pos = 0
        for match in _ROW.finditer(region):
            if not beyond:
                out += region[pos:match.start()]
                number = _ROW_NUMBER.search(match.group(0), 0, match.group(0).find(b">"))
                row = int(number.group(1)) if number else row + 1
                beyond = row > max_rows
                if not beyond:
                    out += _CELL.sub(cells_within, match.group(0))
            pos = match.end()
        if beyond:
            # Keep the end of the sheet (</sheetData> and what follows) once it comes.
            tail = region.find(b"</sheetData>", pos)
            pos = tail if tail >= 0 else len(region)
            beyond = tail < 0
        out += region[pos:]
        if not chunk:
            return bytes(out)


def _sheet_not_read(schema: Schema, path: str, name: str, tagged: str | None, reason: Text,
                    detail: str | None) -> Finding:
    """An error when the sheet is a form by its name or the template's tag, else a note."""
    form = tagged or schema.sheet_name_lookup.get(norm_label(name))
    return Finding("form-sheet-unreadable" if form else "sheet-skipped", path, form, name, value=detail,
                   params={"reason": reason})


# Recognising a form
def _read_sheet(result: WorkbookRead, schema: Schema, name: str, grid: list[list[Any]],
                xml: "_XmlFacts", tagged: str | None) -> None:
    if not any(not is_blank(v) for row in grid for v in row):
        return
    spec, header_row = _find_form(schema, name, grid, tagged)
    if spec is None:
        result.findings.append(Finding("form-unknown", result.path, sheet=name))
        return
    header = grid[header_row] if header_row < len(grid) else []
    sheet = _map_columns(spec, name, header_row + 1, header)
    sheet.how = "metadata" if tagged else ("name" if schema.sheet_name_lookup.get(norm_label(name)) else "headers")
    result.sheets.append(sheet)
    result.findings += _column_findings(result.path, spec, sheet)
    _read_rows(result, spec, sheet, grid, xml.cells.get(name, {}))


def _find_form(schema: Schema, name: str, grid: list[list[Any]], tagged: str | None
               ) -> tuple[SheetSpec | None, int]:
    """The form a sheet holds and the index of its header row."""
    named = tagged or schema.sheet_name_lookup.get(norm_label(name))
    candidates = [schema.sheets[named]] if named else list(schema.sheets.values())
    best: tuple[int, int, SheetSpec | None] = (0, 0, None)
    for spec in candidates:
        for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
            hits = len({spec.header_lookup.get(_header_key(v)) for v in row} - {None})
            if hits > best[0]:
                best = (hits, index, spec)
    hits, index, spec = best
    if named:                            # the name or metadata decides; headers only locate the row
        return schema.sheets[named], index if hits else 0
    required = sum(f.required for f in spec.fields) if spec else 0
    if spec is None or hits < max(2, (required + 1) // 2):
        return None, 0
    return spec, index


def _header_key(value: Any) -> str:
    return _REQUIRED_MARK.sub("", norm_label(value)) if not is_blank(value) else ""


def _map_columns(spec: SheetSpec, name: str, header_row: int, header: list[Any]) -> SheetData:
    columns: dict[str, str] = {}
    extra: dict[str, str] = {}
    for index, value in enumerate(header, start=1):
        if is_blank(value):
            continue
        key = spec.header_lookup.get(_header_key(value))
        if key and key not in columns:
            columns[key] = column_letter(index)
        else:
            extra[to_text(value)] = column_letter(index)
    return SheetData(spec.key, name, header_row, columns, extra)


def _column_findings(path: str, spec: SheetSpec, sheet: SheetData) -> list[Finding]:
    mapped = {k for key in sheet.columns for k in key.split("+")}
    findings = [Finding("column-missing", path, spec.key, sheet.sheet, sheet.header_row, field=f.key,
                        params={"label": f.label})
                for f in spec.fields if f.required and f.key not in mapped]
    findings += [Finding("column-extra", path, spec.key, sheet.sheet, sheet.header_row, column=col,
                         value=header, params={"label": header})
                 for header, col in sheet.extra_columns.items()]
    return findings


# Reading the rows, a column at a time: most cells are already what the field wants (a
# date, a number, a listed value), so they take a fast path; the rest go through coerce().
_SLOW = object()


def _read_rows(result: WorkbookRead, spec: SheetSpec, sheet: SheetData, grid: list[list[Any]],
               facts: dict[str, str]) -> None:
    numbers, rows = [], []
    for index in range(sheet.header_row, len(grid)):
        row = grid[index]
        if any(v != "" and v is not None for v in row) and not all(is_blank(v) for v in row):
            numbers.append(index + 1)    # blank rows inside the data are allowed
            rows.append(row)
    if not rows:
        return
    table = _Table(result, spec, sheet, numbers)
    for key, col in sheet.columns.items():
        index = _col_index(col)
        raws = [row[index] if index < len(row) else None for row in rows]
        table.take_facts(key, col, raws, facts)
        table.check_text(key, col, raws)
        if "+" in key:
            table.combined(key, col, raws)
        else:
            table.convert(key, col, raws)
    result.records += table.records()


class _Table:
    """The typed columns of one sheet, and the findings made while typing them."""

    def __init__(self, result: WorkbookRead, spec: SheetSpec, sheet: SheetData, numbers: list[int]):
        self.result, self.spec, self.sheet, self.numbers = result, spec, sheet, numbers
        self.columns: dict[str, list[Any]] = {}
        self.unread: dict[int, dict[str, Any]] = {}        # row position -> {field: what was there}
        self.letters = {k: col for key, col in sheet.columns.items() for k in key.split("+")}

    def finding(self, code: str, pos: int, key: str, **kw) -> None:
        self.result.findings.append(Finding(code, self.result.path, self.spec.key, self.sheet.sheet,
                                            self.numbers[pos], self.letters[key], key, **kw))

    def take_facts(self, key: str, col: str, raws: list[Any], facts: dict[str, str]) -> None:
        """Error cells and formulas without a value are reported, never taken as values."""
        if not facts:
            return
        for pos, row in enumerate(self.numbers):
            fact = facts.get(f"{col}{row}")
            if fact is not None:
                code = "formula-uncalculated" if fact == "formula" else "cell-error"
                self.finding(code, pos, key.split("+")[0], value=None if fact == "formula" else fact)
                for k in key.split("+"):
                    self.unread.setdefault(pos, {})[k] = fact
                raws[pos] = None

    def check_text(self, key: str, col: str, raws: list[Any]) -> None:
        texts = [v for v in raws if type(v) is str]
        if not texts or (max(map(len, texts)) <= MAX_TEXT and not _CONTROL.search("\n".join(texts))):
            return      # the usual column, checked whole
        for pos, raw in ((pos, v) for pos, v in enumerate(raws) if type(v) is str):
            for f in _text_findings(self.result.path, self.spec, self.sheet, self.numbers[pos], col,
                                    key.split("+")[0], raw):
                self.result.findings.append(f)

    def convert(self, key: str, col: str, raws: list[Any]) -> None:
        fld = self.spec.field(key)
        values = _fast_column(fld)(raws)
        for pos, value in enumerate(values):
            if value is _SLOW:
                values[pos], problem = coerce(fld, raws[pos])
                if problem:
                    self.unread.setdefault(pos, {})[key] = raws[pos]
                    self.finding(problem.code, pos, key, value=to_text(raws[pos]),
                                 params=_problem_params(fld, problem.reason))
        self.columns[key] = values

    def combined(self, key: str, col: str, raws: list[Any]) -> None:
        """The seed's 企业规模 column: "200人/1亿" fills employees and revenue where their own
        columns left them empty."""
        employees, revenue = key.split("+")
        for k in (employees, revenue):
            self.columns.setdefault(k, [None] * len(raws))
        for pos, raw in enumerate(raws):
            if is_blank(raw):
                continue
            try:
                pair = parse_size(raw) if isinstance(raw, str) else (int(raw), None)
            except (ValueError, TypeError):
                self.unread.setdefault(pos, {})[employees] = raw
                self.finding("type", pos, employees, value=to_text(raw),
                             params=_problem_params(self.spec.field(employees), "number"))
                continue
            for k, v in zip((employees, revenue), pair):
                if self.columns[k][pos] is None:
                    self.columns[k][pos] = v

    def records(self) -> list[Record]:
        keys = list(self.columns)
        rows = zip(*(self.columns[k] for k in keys))
        return [Record(self.spec.key, self.result.path, self.sheet.sheet, number, dict(zip(keys, values)),
                       self.unread.get(pos, {}), self.letters)
                for pos, (number, values) in enumerate(zip(self.numbers, rows))]


def _text_column(raws: list[Any]) -> list[Any]:
    """A text field's fast path over its whole column, with no call per cell (most cells are text).
    Short texts are interned: repeated names then share one object."""
    intern = sys.intern
    return [((text if len(text) > 40 else intern(text)) if (text := v.strip()) else None) if type(v) is str
            else None if v is None or v == "" else _SLOW for v in raws]


def _fast_column(fld) -> Callable[[list[Any]], list[Any]]:
    """A function typing a column: the values of the cells that need no parsing, _SLOW for the others."""
    if fld.type == "text":
        return _text_column
    cell = _fast_cell(fld)
    return lambda raws: [cell(v) for v in raws]


def _fast_cell(fld) -> Any:
    """A function taking the cells that need no parsing, and returning _SLOW for the others."""
    def blank_or_slow(v):
        return None if v is None or v == "" else _SLOW

    low, high = fld.bounds()
    low = -math.inf if low is None else low
    high = math.inf if high is None else high

    def in_range(v) -> bool:
        return low < v <= high if fld.min_exclusive else low <= v <= high

    # Repeated values share one object (names, listed values, dates repeat all the time):
    # 400k rows then fit in a fraction of the memory. Text: see _text_column.
    if fld.type == "date":
        days: dict[dt.date, dt.date] = {}
        return lambda v: days.setdefault(v, v) if type(v) is dt.date else (
            days.setdefault(v.date(), v.date()) if type(v) is dt.datetime else blank_or_slow(v))
    if fld.type == "number":
        return lambda v: float(v) if type(v) in (float, int) and in_range(v) else blank_or_slow(v)
    if fld.type == "int":
        return lambda v: int(v) if type(v) in (float, int) and v == int(v) and in_range(v) else blank_or_slow(v)
    if fld.type == "percent":     # 0 < v <= 1 may be a fraction from a %-formatted cell: coerce decides
        return lambda v: float(v) if type(v) in (float, int) and (v > 1 or v == 0) and in_range(v) else blank_or_slow(v)
    if fld.type == "enum":
        canonical = {v: v for v in fld.choice_values()}
        return lambda v: canonical.get(v) or blank_or_slow(v)
    return blank_or_slow


def _problem_params(fld, reason: str) -> dict[str, Any]:
    low, high = fld.bounds()
    bounds = f"{'' if low is None else f'{low:g}'}–{'' if high is None else f'{high:g}'}"
    return {"label": fld.label, "expected": EXPECTED.get(reason, EXPECTED.get(fld.type, fld.type)),
            "allowed": "、".join(fld.choice_values()), "bounds": bounds}


def _text_findings(path, spec, sheet, row, col, key, raw: str) -> list[Finding]:
    found = []
    if len(raw) > MAX_TEXT:
        found.append(Finding("text-too-long", path, spec.key, sheet.sheet, row, col, key,
                             value=raw[:50] + "…", params={"length": len(raw)}))
    if _CONTROL.search(raw):
        found.append(Finding("control-character", path, spec.key, sheet.sheet, row, col, key,
                             value=_CONTROL.sub("�", raw[:80])))
    return found


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


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
    for r in result.records:
        field_key = schema.sheets[r.form].rep_field
        value = r.values.get(field_key) if field_key else None
        if value:
            r.rep = clean_text(value)
            counts[r.rep] += 1
    if counts:
        result.rep = counts.most_common(1)[0][0]
    else:
        result.rep, origin = infer_rep(result.path, source, schema)
        if result.records and origin:
            result.findings.append(Finding("rep-inferred", result.path,
                                           params={"rep": result.rep, "source": REP_SOURCES[origin]}))
    for r in result.records:
        r.rep = r.rep or result.rep
    by_place = {(r.sheet, r.row): r for r in result.records}
    for f in result.findings:
        record = by_place.get((f.sheet, f.row))
        f.rep = record.rep if record else result.rep
        f.customer = f.customer or (record.customer if record else None)
        f.key = f.key or (record.key if record else None)


# What calamine does not tell: error cells, formulas without values, template tags
@dataclass
class _XmlFacts:
    forms: dict[str, str] = field(default_factory=dict)            # sheet name -> form key (metadata)
    cells: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet name -> {A1: "#REF!" | "formula"}
    parts: dict[str, str] = field(default_factory=dict)            # sheet name -> its part in the zip

    _ERROR = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*?\bt="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?<v>([^<]*)</v>')
    _NO_VALUE = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>')
    _SHEET = re.compile(r'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
    _REL = re.compile(r'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
    _REL_REVERSED = re.compile(r'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
    _TAG = re.compile(r'<definedName\b[^>]*\bname="_xltools_form"[^>]*\blocalSheetId="(\d+)"[^>]*>([^<]*)<')

    @classmethod
    def scan(cls, path: Path | io.BytesIO, skip: set[str] | frozenset = frozenset()) -> "_XmlFacts":
        """The facts of every sheet but the parts in ``skip`` (too large to read)."""
        facts = cls()
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace") \
                if "xl/_rels/workbook.xml.rels" in names else ""
            targets = dict(cls._REL.findall(rels)) or {i: t for t, i in cls._REL_REVERSED.findall(rels)}
            sheets = [(html.unescape(n), targets.get(rid, "")) for n, rid in cls._SHEET.findall(workbook)]
            for index, value in cls._TAG.findall(workbook):
                if int(index) < len(sheets):
                    facts.forms[sheets[int(index)][0]] = html.unescape(value).strip('"\' ')
            for name, target in sheets:
                part = "xl/" + target.lstrip("/").removeprefix("xl/") if target else ""
                facts.parts[name] = part
                if part in names and part not in skip:
                    facts.cells[name] = cls._cell_facts(zf.read(part))
        return facts

    @classmethod
    def _cell_facts(cls, xml: bytes) -> dict[str, str]:
        facts: dict[str, str] = {}
        if b't="e"' in xml:
            facts.update((ref.decode(), v.decode()) for ref, v in cls._ERROR.findall(xml))
        if b"<f" in xml:
            facts.update((ref.decode(), "formula") for ref in cls._NO_VALUE.findall(xml))
        return facts
