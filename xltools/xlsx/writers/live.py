"""The workbook open in Excel, written through xlwings.

This module never imports xlwings itself (the caller hands in the ``xw.Book``), so it loads on
Linux and in the command line, where xlwings may be missing.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any, Iterator

from openpyxl.utils import get_column_letter

from xltools.xlsx.writers.protocol import SETTINGS_SHEET, STYLES, BlockWriter, Cell, Link, Style, plain, settings_from_rows

class LiveBookWriter(BlockWriter):
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

    def _set_row_height(self, sheet: str, row: int, col: int, height: float) -> None:
        self.book.sheets[sheet].range((row, col)).row_height = height

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
