"""Where the buttons' results land: the workbook open in Excel, or a workbook file.

Both writers take the same calls (``BookWriter``), so a button in Excel and
``xltools rollup --into`` fill a workbook through the same code:

* ``LiveBookWriter`` drives the workbook open in Excel through xlwings. This module never
  imports xlwings itself (the caller hands in the ``xw.Book``), so it loads on Linux and in
  the command line, where xlwings may be missing.
* ``FileBookWriter`` edits a saved .xlsm without Excel. openpyxl cannot do that job: even
  with ``keep_vba=True`` it drops each sheet's ``<controls>`` block and the button drawing
  part on save, leaving only the legacy VML shape of a Forms button (checked on a workbook
  made by ``xltools.vba``). So this writer rewrites only the worksheet parts it writes to
  (their rows from the cleared row down, the dimension, merged cells in the cleared area)
  and copies every other part of the package as it was: vbaProject.bin, drawings, VML,
  control properties, styles and the other sheets stay byte for byte the same.

What both writers share: a table is written in one block (title, header, rows, total);
text is always written as text, never as a formula, because reps' cells may start with
"="; only a ``Link`` becomes a formula (=HYPERLINK). Cell looks come from ``STYLES``:
LiveBookWriter sets them through xlwings, FileBookWriter uses the cell formats that the
build prepared on the hidden sheet ``STYLE_SHEET`` (key in column A, styled cell in
column B), so it never has to add formats to styles.xml.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol
from xml.sax.saxutils import escape

from defusedxml import ElementTree
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple

from xltools.atomic import FileInUse, atomic_path, is_open_in_excel
from xltools.forms.values import EXCEL_EPOCH
from xltools.xlsx.summary import NUMBER_FORMATS

SETTINGS_SHEET = "设置"
STYLE_SHEET = "_xltools_styles"
EXCEL_TEXT_LIMIT = 32767     # characters in one cell
FORMULA_TEXT_LIMIT = 255     # characters in one string inside a formula

KINDS = ("text", "int", "money", "pct", "num", "date", "link")
NAVY, GREY, LINK_BLUE = "1F4E78", "595959", "0563C1"


@dataclass(frozen=True)
class Style:
    """The look of a cell, limited to what xlwings can set on Windows and macOS alike."""
    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None          # font colour, RRGGBB
    fill: str | None = None           # background colour, RRGGBB
    number_format: str | None = None
    wrap: bool = False


def _styles() -> dict[str, Style]:
    styles = {"heading": Style(bold=True, size=16, color=NAVY),
              "note": Style(italic=True, color=GREY),
              "title": Style(bold=True, size=12, color=NAVY),
              "header": Style(bold=True, color="FFFFFF", fill=NAVY, wrap=True)}
    for kind in KINDS:
        cell = Style(number_format=NUMBER_FORMATS.get(kind), color=LINK_BLUE if kind == "link" else None)
        styles[f"cell:{kind}"] = cell
        styles[f"total:{kind}"] = replace(cell, bold=True, fill="F2F2F2")
        styles[f"flag:{kind}"] = replace(cell, bold=True, color="9C0006", fill="FFC7CE")
    return styles


STYLES: dict[str, Style] = _styles()


@dataclass(frozen=True)
class Link:
    """A cell that opens ``target`` (a file, or ``file#'Sheet'!A1``) when clicked."""
    target: str
    text: str

    def formula(self) -> str | None:
        """The =HYPERLINK formula, or None when a part is too long for a formula string."""
        if max(len(self.target), len(self.text)) > FORMULA_TEXT_LIMIT:
            return None
        return f"=HYPERLINK({_formula_string(self.target)},{_formula_string(self.text)})"


def _formula_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class BookWriter(Protocol):
    """What a button's job needs from a workbook: read its settings, write tables, talk to the user."""

    def sheet_names(self) -> list[str]: ...

    def base_dir(self) -> Path:
        """The workbook's folder: relative paths in the settings start from here."""

    def file_path(self) -> Path | None:
        """The workbook's file; None when it is not a local file (OneDrive/SharePoint)."""

    def read_settings(self, sheet: str = SETTINGS_SHEET) -> dict[str, str]:
        """Label -> value (as text) of a two-column sheet: label in column A, value in B."""

    def clear(self, sheet: str, from_row: int = 1) -> None:
        """Empty the sheet from ``from_row`` down: values, cell formats and row heights."""

    def write_heading(self, sheet: str, title: str, note: str) -> None:
        """Title in A1, a note (as-of day, units, when refreshed) in A2."""

    def write_table(self, sheet: str, anchor: str, headers: list[str], rows: list[list[Any]],
                    formats: list[str], *, title: str | None = None, total: list[Any] | None = None,
                    flags: Iterable[tuple[int, int]] = (), header_height: float | None = None) -> int:
        """Write one table from ``anchor`` in one block; returns the number of sheet rows it took."""

    def write_values(self, sheet: str, anchor: str, rows: list[list[Any]]) -> None:
        """Values only, keeping the cells' formats (e.g. filling in 设置)."""

    def status(self, text: str | None) -> None:
        """Progress in Excel's status bar; None hands the status bar back to Excel."""

    def alert(self, title: str, text: str) -> None:
        """Tell the user something went wrong."""

    def writing(self) -> contextlib.AbstractContextManager:
        """A context for writing several sheets at once (in Excel: without repainting or recalculating)."""

    def save(self) -> None: ...


# --- Laying out a table: shared by both writers ------------------------------------------------------


Cell = tuple[Any, "str | None"]      # (value, style key); None keeps the cell's own format


def table_block(headers: list[str], rows: list[list[Any]], formats: list[str], title: str | None = None,
                total: list[Any] | None = None, flags: Iterable[tuple[int, int]] = ()) -> list[list[Cell]]:
    """The rows of cells a table occupies, each cell with its style key."""
    flags = set(flags)
    block: list[list[Cell]] = []
    if title is not None:
        block.append([(title, "title")])
    if headers:
        block.append([(h, "header") for h in headers])
    for r, row in enumerate(rows):
        block.append([(v, f"{'flag' if (r, c) in flags else 'cell'}:{_kind(formats, c, v)}") for c, v in enumerate(row)])
    if total is not None:
        block.append([(v, f"total:{_kind(formats, c, v)}") for c, v in enumerate(total)])
    return block


def _kind(formats: list[str], column: int, value: Any) -> str:
    if isinstance(value, Link):
        return "link"
    if isinstance(value, dt.date) and formats[column:column + 1] != ["date"]:
        return "date"              # a date in a text column still shows as a date, not a serial number
    kind = formats[column] if column < len(formats) else "text"
    return kind if kind in KINDS else "text"


def plain(value: Any) -> Any:
    """A value as a cell holds it: numpy and pandas scalars unwrapped, NaN/NaT empty, long text cut."""
    if type(value).__module__ == "numpy":
        value = value.item()                       # numpy scalars, as pandas hands them out
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, dt.datetime) and value != value:   # pandas NaT
        return None
    if isinstance(value, str) and len(value) > EXCEL_TEXT_LIMIT:
        return value[:EXCEL_TEXT_LIMIT]
    return value


def setting_text(value: Any) -> str:
    """A 设置 cell's value as text: dates as YYYY-MM-DD, whole numbers without ".0"."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def settings_from_rows(rows: Iterable[Iterable[Any]]) -> dict[str, str]:
    """Label -> value of every row whose column A holds text."""
    found = {}
    for row in rows:
        row = list(row) + [None, None]
        if isinstance(row[0], str) and row[0].strip():
            found[row[0].strip()] = setting_text(row[1])
    return found


# --- The workbook open in Excel -------------------------------------------------------------------------


class LiveBookWriter:
    """Writes into the workbook open in Excel, through an ``xlwings.Book``.

    Every call crosses into Excel (COM on Windows, several AppleScript messages on macOS), so
    they are few: the values of a table go in one ``range.value = [...]`` call, and each style
    is set once per table over the union of its areas (``_style_areas``). Text is prefixed
    with an apostrophe, which Excel keeps as the cell's prefix character rather than as content:
    without it Excel would turn "=…" into a formula and "2024-03-01" or "001" into numbers, as
    if typed.
    """

    def __init__(self, book):
        self.book = book

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def base_dir(self) -> Path:
        # A workbook on OneDrive/SharePoint has a URL as its full name: then paths in 设置 must be absolute.
        path = self.file_path()
        return path.parent if path else Path.cwd()

    def file_path(self) -> Path | None:
        fullname = str(self.book.fullname)
        return Path(fullname) if "://" not in fullname else None

    def read_settings(self, sheet: str = SETTINGS_SHEET) -> dict[str, str]:
        ws = self.book.sheets[sheet]
        last = ws.used_range.last_cell
        values = ws.range((1, 1), (max(last.row, 1), max(last.column, 2))).options(ndim=2).value
        return settings_from_rows(values)

    def clear(self, sheet: str, from_row: int = 1) -> None:
        ws = self.book.sheets[sheet]
        last = ws.used_range.last_cell
        if last.row >= from_row:
            area = ws.range((from_row, 1), (last.row, max(last.column, 1)))
            area.clear()
            area.rows.autofit()      # drops the heights of the header rows written last time

    def write_heading(self, sheet: str, title: str, note: str) -> None:
        self._write_block(sheet, 1, 1, [[(title, "heading")], [(note, "note")]])

    def write_table(self, sheet, anchor, headers, rows, formats, *, title=None, total=None, flags=(),
                    header_height=None) -> int:
        block = table_block(headers, rows, formats, title, total, flags)
        top, left = coordinate_to_tuple(anchor)
        self._write_block(sheet, top, left, block)
        if header_height and headers:
            self.book.sheets[sheet].range((top + (title is not None), left)).row_height = header_height
        return len(block)

    def write_values(self, sheet: str, anchor: str, rows: list[list[Any]]) -> None:
        top, left = coordinate_to_tuple(anchor)
        self._write_block(sheet, top, left, [[(v, None) for v in row] for row in rows])

    def _write_block(self, sheet: str, top: int, left: int, block: list[list[Cell]]) -> None:
        if not block:
            return
        ws = self.book.sheets[sheet]
        width = max(len(row) for row in block)
        ws.range((top, left)).value = [[_live_value(v) for v, _ in row] + [None] * (width - len(row))
                                       for row in block]
        for key, areas in _style_areas(block).items():
            for address in _union_addresses(areas, top, left):
                _apply_style(ws.range(address), STYLES[key])

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Screen updating and automatic calculation off while the sheets are written, restored after.

        Excel then neither repaints nor recalculates after each call: the sheets change on
        screen once, when they are all written.
        """
        app = self.book.app
        updating, calculation = app.screen_updating, app.calculation
        app.screen_updating, app.calculation = False, "manual"
        try:
            yield
        finally:
            app.calculation = calculation
            app.screen_updating = updating

    def status(self, text: str | None) -> None:
        self.book.app.status_bar = text if text else False

    def alert(self, title: str, text: str) -> None:
        self.book.app.alert(text, title=title, mode="critical")

    def save(self) -> None:
        """Nothing to do: the manager sees the result at once and saves the workbook when they choose."""


def _live_value(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, Link):
        return value.formula() or "'" + value.target
    if isinstance(value, str):
        return "'" + value if value else None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


Area = tuple[int, int, int, int]     # first row, first column, last row, last column (0-based, in the block)


def _style_areas(block: list[list[Cell]]) -> dict[str, list[Area]]:
    """Style key -> rectangles covering the block's cells of that key (cells without a look left out).

    Each column's consecutive cells of one key make a run, and runs over the same rows in
    neighbouring columns make one rectangle: a table's data columns of one kind take one area.
    """
    areas: dict[str, list[Area]] = {}
    width = max(len(row) for row in block)
    for col in range(width):
        start, key = 0, None
        for r in range(len(block) + 1):
            here = block[r][col][1] if r < len(block) and col < len(block[r]) else None
            if here != key:
                if key is not None and STYLES[key] != Style():
                    _add_run(areas.setdefault(key, []), start, col, r - 1)
                start, key = r, here
    return areas


def _add_run(areas: list[Area], first: int, col: int, last: int) -> None:
    """Widen the area that ends in the column to the left over the same rows, or start one."""
    for i, (r1, c1, r2, c2) in enumerate(areas):
        if (r1, r2, c2) == (first, last, col - 1):
            areas[i] = (r1, c1, r2, col)
            return
    areas.append((first, col, last, col))


# Excel's Range("A1:B2,D5") takes a union of areas, in an address of at most 255 characters.
RANGE_ADDRESS_LIMIT = 255


def _union_addresses(areas: list[Area], top: int, left: int) -> list[str]:
    """The areas as few union addresses as fit Excel's limit, moved to the block's place on the sheet."""
    addresses, current = [], ""
    for r1, c1, r2, c2 in areas:
        first = f"{get_column_letter(left + c1)}{top + r1}"
        area = first if (r1, c1) == (r2, c2) else f"{first}:{get_column_letter(left + c2)}{top + r2}"
        if current and len(current) + 1 + len(area) > RANGE_ADDRESS_LIMIT:
            addresses.append(current)
            current = ""
        current = f"{current},{area}" if current else area
    return addresses + [current] if current else addresses


def _apply_style(rng, style: Style) -> None:
    if style.number_format:
        rng.number_format = style.number_format
    if style.bold or style.italic or style.size or style.color:
        font = rng.font             # fetched once: each attribute is a call to Excel
        if style.bold:
            font.bold = True
        if style.italic:
            font.italic = True
        if style.size:
            font.size = style.size
        if style.color:
            font.color = "#" + style.color
    if style.fill:
        rng.color = "#" + style.fill
    if style.wrap:
        rng.wrap_text = True


# --- A workbook file --------------------------------------------------------------------------------------

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CALC_CHAIN = "xl/calcChain.xml"


@dataclass
class _SheetEdit:
    """What is to change in one worksheet part."""
    clear_from: int | None = None
    cells: dict[int, dict[int, tuple[Any, str | None]]] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)


class FileBookWriter:
    """Writes into a saved .xlsm (or .xlsx) without Excel, keeping its VBA project and buttons.

    Nothing touches the file until ``save()``, which writes a complete new package beside it
    and moves it into place in one step: a failure before or during the save leaves the old
    file as it was.

    :raises FileInUse: the workbook is open in Excel (its ~$ owner file is there).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no workbook at {self.path}")
        if is_open_in_excel(self.path):
            raise FileInUse(self.path)
        self._parts = _sheet_parts(self.path)
        self._edits: dict[str, _SheetEdit] = {}
        self.statuses: list[str] = []        # what the status bar would have shown
        self.alerts: list[tuple[str, str]] = []

    def sheet_names(self) -> list[str]:
        return list(self._parts)

    def base_dir(self) -> Path:
        return self.path.resolve().parent

    def file_path(self) -> Path:
        return self.path

    def read_settings(self, sheet: str = SETTINGS_SHEET) -> dict[str, str]:
        from openpyxl import load_workbook

        book = load_workbook(self.path, read_only=True, data_only=True)
        try:
            if sheet not in book.sheetnames:
                raise KeyError(sheet)
            rows = list(book[sheet].iter_rows(values_only=True))
        finally:
            book.close()
        return settings_from_rows(rows)

    def clear(self, sheet: str, from_row: int = 1) -> None:
        edit = self._edit(sheet)
        edit.clear_from = from_row if edit.clear_from is None else min(edit.clear_from, from_row)
        for row in [r for r in edit.cells if r >= from_row]:
            del edit.cells[row]
        for row in [r for r in edit.heights if r >= from_row]:
            del edit.heights[row]

    def write_heading(self, sheet: str, title: str, note: str) -> None:
        self._put(sheet, 1, 1, [[(title, "heading")], [(note, "note")]])

    def write_table(self, sheet, anchor, headers, rows, formats, *, title=None, total=None, flags=(),
                    header_height=None) -> int:
        block = table_block(headers, rows, formats, title, total, flags)
        top, left = coordinate_to_tuple(anchor)
        self._put(sheet, top, left, block)
        if header_height and headers:
            self._edit(sheet).heights[top + (title is not None)] = header_height
        return len(block)

    def write_values(self, sheet: str, anchor: str, rows: list[list[Any]]) -> None:
        top, left = coordinate_to_tuple(anchor)
        self._put(sheet, top, left, [[(v, None) for v in row] for row in rows])

    def _edit(self, sheet: str) -> _SheetEdit:
        if sheet not in self._parts:
            raise KeyError(sheet)
        return self._edits.setdefault(sheet, _SheetEdit())

    def _put(self, sheet: str, top: int, left: int, block: list[list[Cell]]) -> None:
        edit = self._edit(sheet)
        for r, row in enumerate(block):
            for c, cell in enumerate(row):
                edit.cells.setdefault(top + r, {})[left + c] = cell

    def status(self, text: str | None) -> None:
        if text:
            self.statuses.append(text)

    def alert(self, title: str, text: str) -> None:
        self.alerts.append((title, text))

    def writing(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()       # nothing reaches the file before save()

    def save(self) -> Path:
        """Write the edited sheets into the file in one move; every other part is copied unchanged."""
        with zipfile.ZipFile(self.path) as package:
            styles = _style_ids(package, self._parts.get(STYLE_SHEET))
            changed = {self._parts[sheet]: _edited_sheet(package.read(self._parts[sheet]).decode("utf-8"),
                                                         edit, styles).encode("utf-8")
                       for sheet, edit in self._edits.items()}
            with atomic_path(self.path) as tmp:
                _copy_package(package, tmp, changed)
        self._edits.clear()
        return self.path


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> worksheet part, in workbook order."""
    with zipfile.ZipFile(path) as package:
        book = ElementTree.fromstring(package.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{{{_REL_NS}}}Relationship")}
    parts = {}
    for sheet in book.iter(f"{{{_MAIN_NS}}}sheet"):
        target = targets.get(sheet.get(_R_ID), "")
        if target.endswith(".xml"):
            parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _copy_package(package: zipfile.ZipFile, target: Path, changed: dict[str, bytes]) -> None:
    """Every part in its order, time and compression; ``changed`` parts with new content.

    calcChain.xml (Excel's cache of formula cells) goes when sheets change, since it may
    name cells that are gone; Excel rebuilds it on the next save.
    """
    drop_chain = bool(changed) and _CALC_CHAIN in package.namelist()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in package.infolist():
            if drop_chain and info.filename == _CALC_CHAIN:
                continue
            data = changed.get(info.filename)
            if data is None:
                data = package.read(info)
                if drop_chain and info.filename in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
                    data = re.sub(rb"<(?:Override|Relationship)\b[^>]*calcChain[^>]*/>", b"", data)
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            out.writestr(entry, data)


# Worksheet XML, edited as text: a parser would rewrite namespace declarations that Excel's
# mc:Ignorable attribute depends on, so only <sheetData>, <dimension> and <mergeCells> change.
_SHEET_DATA = re.compile(r"<(?P<p>\w+:)?sheetData\b[^>]*?(?:/>|>(?P<body>.*?)</(?P=p)?sheetData>)", re.S)
_ROW = re.compile(r"<(?:\w+:)?row\b[^>]*?(?:/>|>.*?</(?:\w+:)?row>)", re.S)
_CELL = re.compile(r"<(?:\w+:)?c\b[^>]*?(?:/>|>.*?</(?:\w+:)?c>)", re.S)
_REF = re.compile(r'\br="([A-Z]+)(\d+)"')


def _edited_sheet(xml: str, edit: _SheetEdit, styles: dict[str, int]) -> str:
    found = _SHEET_DATA.search(xml)
    if found is None:
        raise ValueError("worksheet has no <sheetData>")
    prefix = found.group("p") or ""
    rows = _rows(found.group("body") or "")
    if edit.clear_from is not None:
        rows = {r: x for r, x in rows.items() if r < edit.clear_from}
    for r in sorted(set(edit.cells) | set(edit.heights)):
        rows[r] = _row_xml(r, rows.get(r), edit.cells.get(r, {}), edit.heights.get(r), styles, prefix)
    body = "".join(rows[r] for r in sorted(rows))
    data = f"<{prefix}sheetData>{body}</{prefix}sheetData>" if body else f"<{prefix}sheetData/>"
    xml = xml[:found.start()] + data + xml[found.end():]
    xml = _set_dimension(xml, body)
    return _drop_merges(xml, edit.clear_from) if edit.clear_from is not None else xml


def _rows(body: str) -> dict[int, str]:
    rows, last = {}, 0
    for match in _ROW.finditer(body):
        number = re.search(r'\br="(\d+)"', match.group()[:match.group().find(">")])
        last = int(number.group(1)) if number else last + 1
        rows[last] = match.group()
    return rows


def _row_xml(row: int, old: str | None, cells: dict[int, tuple[Any, str | None]], height: float | None,
             styles: dict[str, int], prefix: str) -> str:
    kept = _cells(old) if old else {}
    for col, (value, key) in cells.items():
        ref = f"{get_column_letter(col)}{row}"
        style = styles.get(key, 0) if key is not None else _style_of(kept.get(col))
        kept[col] = _cell_xml(ref, value, style, prefix)
    attrs = _row_attributes(old, row) if old else f' r="{row}"'
    if height:
        attrs = re.sub(r'\s(?:ht|customHeight)="[^"]*"', "", attrs) + f' ht="{height:g}" customHeight="1"'
    return f"<{prefix}row{attrs}>" + "".join(kept[c] for c in sorted(kept)) + f"</{prefix}row>"


def _row_attributes(row_xml: str, row: int) -> str:
    """The row's own attributes, without spans (an optional hint that new cells would make wrong)."""
    opening = re.match(r"<(?:\w+:)?row\b([^>]*?)/?>", row_xml).group(1)
    opening = re.sub(r'\sspans="[^"]*"', "", opening)
    return opening if re.search(r'\br="', opening) else f' r="{row}"' + opening


def _cells(row_xml: str) -> dict[int, str]:
    cells, last = {}, 0
    for match in _CELL.finditer(row_xml):
        ref = _REF.search(match.group()[:match.group().find(">")])
        last = _column_index(ref.group(1)) if ref else last + 1
        cells[last] = match.group()
    return cells


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def _style_of(cell_xml: str | None) -> int:
    found = cell_xml and re.search(r'\ss="(\d+)"', cell_xml[:cell_xml.find(">")])
    return int(found.group(1)) if found else 0


def _cell_xml(ref: str, value: Any, style: int, p: str) -> str:
    s = f' s="{style}"' if style else ""
    value = plain(value)
    if value is None or value == "":          # as in Excel, where an empty text leaves the cell blank
        return f'<{p}c r="{ref}"{s}/>'
    if isinstance(value, Link):
        formula = value.formula()
        if formula is None:
            return _cell_xml(ref, value.target, style, p)
        return (f'<{p}c r="{ref}"{s} t="str"><{p}f>{escape(formula[1:])}</{p}f>'
                f'<{p}v>{_xml_text(value.text)}</{p}v></{p}c>')
    if isinstance(value, bool):
        return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
    if isinstance(value, (int, float)):
        return f'<{p}c r="{ref}"{s}><{p}v>{value!r}</{p}v></{p}c>'
    if isinstance(value, dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        serial = (moment.replace(tzinfo=None) - EXCEL_EPOCH) / dt.timedelta(days=1)
        return f'<{p}c r="{ref}"{s}><{p}v>{serial:g}</{p}v></{p}c>' if serial.is_integer() \
            else f'<{p}c r="{ref}"{s}><{p}v>{serial!r}</{p}v></{p}c>'
    # Text, whatever it looks like: an inline string is never read as a formula or a number.
    return (f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t xml:space="preserve">{_xml_text(str(value))}'
            f'</{p}t></{p}is></{p}c>')


def _xml_text(text: str) -> str:
    """Text for an OOXML string: characters XML cannot hold written as _xHHHH_, as Excel does."""
    text = re.sub(r"_(x[0-9A-Fa-f]{4})_", r"_x005F_\1_", text)          # keep a literal "_x0041_" literal
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", lambda m: f"_x{ord(m.group()):04X}_", text)
    text = re.sub(r"[\ud800-\udfff]", "\ufffd", text)
    return escape(text)


def _set_dimension(xml: str, body: str) -> str:
    refs = [(int(r), _column_index(c)) for c, r in re.findall(r'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"', body)]
    if refs:
        top, bottom = min(r for r, _ in refs), max(r for r, _ in refs)
        left, right = min(c for _, c in refs), max(c for _, c in refs)
        area = f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"
    else:
        area = "A1"
    return re.sub(r'(<(?:\w+:)?dimension\b[^>]*?\bref=")[^"]*(")', lambda m: m.group(1) + area + m.group(2), xml, 1)


def _drop_merges(xml: str, from_row: int) -> str:
    """Merged blocks reaching into the cleared rows go with them."""
    def keep(merge: re.Match) -> bool:
        rows = [int(n) for n in re.findall(r"[A-Z]+(\d+)", merge.group(1))]
        return max(rows) < from_row

    def rewrite(block: re.Match) -> str:
        merges = [m for m in re.finditer(r'<(?:\w+:)?mergeCell\b[^>]*?\bref="([^"]*)"[^>]*/>', block.group(0))
                  if keep(m)]
        if not merges:
            return ""
        opening = re.sub(r'\scount="\d+"', f' count="{len(merges)}"', block.group(1))
        return opening + "".join(m.group() for m in merges) + block.group(3)

    return re.sub(r"(<(?:\w+:)?mergeCells\b[^>]*>)(.*?)(</(?:\w+:)?mergeCells>)", rewrite, xml, flags=re.S)


def _style_ids(package: zipfile.ZipFile, part: str | None) -> dict[str, int]:
    """Style key -> cell format index, from the hidden style sheet (key in A, styled cell in B)."""
    if part is None:
        return {}
    shared = _shared_strings(package)
    ids = {}
    for row in _rows((_SHEET_DATA.search(package.read(part).decode("utf-8")).group("body") or "")).values():
        cells = _cells(row)
        if 1 in cells and 2 in cells:
            key = _cell_text(cells[1], shared)
            if key:
                ids[key] = _style_of(cells[2])
    return ids


def _shared_strings(package: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in package.namelist():
        return []
    root = ElementTree.fromstring(package.read("xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in item.iter(f"{{{_MAIN_NS}}}t")) for item in root.iter(f"{{{_MAIN_NS}}}si")]


def _cell_text(cell_xml: str, shared: list[str]) -> str | None:
    """The text of a string cell, whether Excel stored it shared or inline."""
    kind = re.search(r'\st="(\w+)"', cell_xml[:cell_xml.find(">")])
    kind = kind.group(1) if kind else "n"
    if kind == "s":
        index = re.search(r"<(?:\w+:)?v>(\d+)<", cell_xml)
        return shared[int(index.group(1))] if index and int(index.group(1)) < len(shared) else None
    if kind in ("inlineStr", "str"):
        texts = re.findall(r"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", cell_xml, re.S) or \
            re.findall(r"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", cell_xml, re.S)
        return "".join(texts).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return None
