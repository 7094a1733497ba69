"""Typing a form sheet's cells a column at a time.

Most cells are already what their field wants (a text, a date, a number within bounds, a listed
value), so a column is typed whole: a single pass that calls no Python function per cell, or,
when every cell of a column has the same type, C-level ``map``, ``min`` and ``max`` over it. A
cell that is anything else goes through ``coerce``, and every problem is a finding at its cell.
Nothing is inferred from a sample: every cell is looked at.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import sys
from itertools import compress, zip_longest
from typing import Any

from xltools.ingest.findings import EXPECTED, Finding
from xltools.forms.model import SheetData
from xltools.forms.schema import FieldSpec, SheetSpec
from xltools.forms.values import coerce, is_blank, parse_size, to_text
from xltools.ingest.rows import RowTable

MAX_TEXT = 32767
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SLOW = object()        # a cell the fast paths leave to coerce()


def read_columns(path: str, spec: SheetSpec, sheet: SheetData, grid: list[list[Any]],
                 facts: dict[str, str], findings: list[Finding]) -> RowTable | None:
    """The sheet's rows below its header, typed; None when there is none. Findings go to ``findings``."""
    body = grid[sheet.header_row:]
    kept = list(map(has_content, body))       # blank rows inside the data are allowed
    rows = list(compress(body, kept))
    if not rows:
        return None
    numbers = list(compress(range(sheet.header_row + 1, len(grid) + 1), kept))
    table = _Typing(path, spec, sheet, numbers, findings)
    facts_by_column = _by_column(facts)
    cells = _transposed(rows)
    for key, col in sheet.columns.items():
        index = _col_index(col)
        raws = list(cells[index]) if index < len(cells) else [None] * len(rows)
        table.take_facts(key, raws, facts_by_column.get(col))
        kinds = set(map(type, raws))
        table.check_text(key, col, raws, kinds)
        if "+" in key:
            table.combined(key, raws)
        else:
            table.convert(key, raws, kinds)
    return RowTable(spec.key, sheet.sheet, numbers, table.columns, table.unread, table.letters)


def _by_column(facts: dict[str, str]) -> dict[str, dict[int, str]]:
    """The sheet's cell facts ({"B7": "#REF!"}) by column letters, then row number."""
    columns: dict[str, dict[int, str]] = {}
    for ref, fact in facts.items():
        letters = ref.rstrip("0123456789")
        digits = ref[len(letters):]
        if digits == str(int(digits)):      # a ref written "B07" names no cell of a row read
            columns.setdefault(letters, {})[int(digits)] = fact
    return columns


def has_content(row: list[Any]) -> bool:
    """Whether a row holds anything but blanks (formatted-but-empty cells come as '')."""
    for value in filter(None, row):         # the first cell that is not '', None or 0 mostly decides
        blank = not value.strip() if isinstance(value, str) else isinstance(value, float) and value != value
        return not blank or not all(map(is_blank, row))     # blank text or NaN: look at every cell
    return row.count("") + row.count(None) < len(row)      # zeros and False are content


def _transposed(rows: list[list[Any]]) -> list[tuple[Any, ...]]:
    """The rows' cells by column; a row shorter than the others reads as None beyond its end."""
    if len(set(map(len, rows))) == 1:
        return list(zip(*rows))
    return list(zip_longest(*rows))


class _Typing:
    """The typed columns of one sheet, and the findings made while typing them."""

    def __init__(self, path: str, spec: SheetSpec, sheet: SheetData, numbers: list[int],
                 findings: list[Finding]):
        self.path, self.spec, self.sheet, self.numbers, self.findings = path, spec, sheet, numbers, findings
        self.columns: dict[str, list[Any]] = {}
        self.unread: dict[int, dict[str, Any]] = {}        # row position -> {field: what was there}
        self.letters = {k: col for key, col in sheet.columns.items() for k in key.split("+")}

    def finding(self, code: str, pos: int, key: str, **kw) -> None:
        self.findings.append(Finding(code, self.path, self.spec.key, self.sheet.sheet, self.numbers[pos],
                                     self.letters[key], key, **kw))

    def take_facts(self, key: str, raws: list[Any], facts: dict[int, str] | None) -> None:
        """Error cells and formulas without a value (``facts``: by row) are reported, never taken as values."""
        if not facts:
            return
        position = dict(zip(self.numbers, range(len(self.numbers))))
        for row in sorted(facts):
            pos, fact = position.get(row), facts[row]
            if pos is not None:
                code = "formula-uncalculated" if fact == "formula" else "cell-error"
                self.finding(code, pos, key.split("+")[0], value=None if fact == "formula" else fact)
                for k in key.split("+"):
                    self.unread.setdefault(pos, {})[k] = fact
                raws[pos] = None

    def check_text(self, key: str, col: str, raws: list[Any], kinds: set[type]) -> None:
        if str not in kinds:
            return
        texts = raws if kinds == {str} else [v for v in raws if type(v) is str]
        if not texts or (max(map(len, texts)) <= MAX_TEXT and not _CONTROL.search("\n".join(texts))):
            return      # the usual column, checked whole
        for pos, raw in ((pos, v) for pos, v in enumerate(raws) if type(v) is str):
            self.findings += _text_findings(self.path, self.spec, self.sheet, self.numbers[pos], col,
                                            key.split("+")[0], raw)

    def convert(self, key: str, raws: list[Any], kinds: set[type]) -> None:
        fld = self.spec.field(key)
        values = typed_column(fld, raws, kinds)
        pos = -1
        for _ in range(values.count(_SLOW)):
            pos = values.index(_SLOW, pos + 1)
            values[pos], problem = coerce(fld, raws[pos])
            if problem:
                self.unread.setdefault(pos, {})[key] = raws[pos]
                self.finding(problem.code, pos, key, value=to_text(raws[pos]),
                             params=_problem_params(fld, problem.reason))
        self.columns[key] = values

    def combined(self, key: str, raws: list[Any]) -> None:
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


def typed_column(fld: FieldSpec, raws: list[Any], kinds: set[type]) -> list[Any]:
    """The column's values where no parsing is needed, _SLOW for the cells coerce() must read
    (``kinds``: the types of its cells).

    Repeated values share one object (names, listed values, dates repeat all the time): 400k rows
    then fit in a fraction of the memory.
    """
    if fld.type == "text":
        if kinds == {str}:
            values = list(map(sys.intern, map(str.strip, raws)))
            return [v or None for v in values] if "" in values else values
        intern = sys.intern
        return [((text if len(text) > 40 else intern(text)) if (text := v.strip()) else None) if type(v) is str
                else None if v is None or v == "" else _SLOW for v in raws]
    if fld.type == "date":
        return _date_column(raws, kinds)
    if fld.type in ("number", "int", "percent"):
        return _number_column(fld, raws, kinds)
    if fld.type == "enum":
        canonical = {v: v for v in fld.choice_values()}
        if kinds == {str}:
            values = list(map(canonical.get, raws))
            if all(values):
                return values
        return [canonical.get(v) or (None if v is None or v == "" else _SLOW) for v in raws]
    return [None if v is None or v == "" else _SLOW for v in raws]


def _date_column(raws: list[Any], kinds: set[type]) -> list[Any]:
    days: dict[dt.date, dt.date] = {}
    if kinds == {dt.date}:
        return list(map(days.setdefault, raws, raws))
    date, stamp, keep = dt.date, dt.datetime, days.setdefault
    return [keep(v, v) if type(v) is date else keep(v.date(), v.date()) if type(v) is stamp
            else None if v is None or v == "" else _SLOW for v in raws]


def _number_column(fld: FieldSpec, raws: list[Any], kinds: set[type]) -> list[Any]:
    """A number, int or percent column: a percent in (0, 1] may be a fraction from a %-formatted
    cell, which coerce() decides."""
    low, high = fld.bounds()
    low = -math.inf if low is None else low
    high = math.inf if high is None else high
    exclusive = bool(fld.min_exclusive)
    if kinds == {float} and fld.type != "percent" and not any(map(math.isnan, raws)):
        smallest, largest = min(raws), max(raws)
        within = (low < smallest if exclusive else low <= smallest) and largest <= high
        if within and fld.type == "number":
            return list(raws)
        if within and all(map(float.is_integer, raws)):
            return list(map(int, raws))
    number, whole, percent = (float, int), fld.type == "int", fld.type == "percent"
    to = int if whole else float
    return [to(v) if type(v) in number and (not whole or v == int(v)) and (not percent or v > 1 or v == 0)
            and (low < v if exclusive else low <= v) and v <= high
            else None if v is None or v == "" else _SLOW for v in raws]


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
