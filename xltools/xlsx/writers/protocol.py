"""What the buttons' results are written through: the ``BookWriter`` calls both writers take.

Both writers (``live.LiveBookWriter`` into the workbook open in Excel, ``file.FileBookWriter``
into a saved file) take the same calls, so a button in Excel and ``xltools rollup --into`` fill a
workbook through the same code.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Protocol

from openpyxl.utils.cell import coordinate_to_tuple

from xltools.xlsx.summary.table import NUMBER_FORMATS

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


class BlockWriter:
    """The writing both writers do alike: a heading, a table or plain values go in as one block of cells.

    A writer supplies ``_write_block`` (the cells, each with its style key) and ``_set_row_height``.
    """

    def write_heading(self, sheet: str, title: str, note: str) -> None:
        self._write_block(sheet, 1, 1, [[(title, "heading")], [(note, "note")]])

    def write_table(self, sheet, anchor, headers, rows, formats, *, title=None, total=None, flags=(),
                    header_height=None) -> int:
        block = table_block(headers, rows, formats, title, total, flags)
        top, left = coordinate_to_tuple(anchor)
        self._write_block(sheet, top, left, block)
        if header_height and headers:
            self._set_row_height(sheet, top + (title is not None), left, header_height)
        return len(block)

    def write_values(self, sheet: str, anchor: str, rows: list[list[Any]]) -> None:
        top, left = coordinate_to_tuple(anchor)
        self._write_block(sheet, top, left, [[(v, None) for v in row] for row in rows])

    def _write_block(self, sheet: str, top: int, left: int, block: list[list[Cell]]) -> None:
        raise NotImplementedError

    def _set_row_height(self, sheet: str, row: int, col: int, height: float) -> None:
        raise NotImplementedError


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

