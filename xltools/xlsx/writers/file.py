"""A saved workbook file, written without Excel.

openpyxl cannot do this job: even with ``keep_vba=True`` it drops each sheet's ``<controls>``
block and the button drawing part on save, leaving only the legacy VML shape of a Forms button
(checked on a workbook made by ``xltools.xlsx.vba``). So this writer rewrites only the worksheet
parts it writes to (``sheet_xml``: their rows from the cleared row down, the dimension, merged
cells in the cleared area) and copies every other part of the package as it was:
vbaProject.bin, drawings, VML, control properties, styles and the other sheets stay byte for
byte the same.
"""
from __future__ import annotations

import contextlib
import re
import zipfile
from pathlib import Path

from xltools.atomic import FileInUse, atomic_path, is_open_in_excel
from xltools.ingest.package import worksheets
from xltools.xlsx import ooxml
from xltools.xlsx.writers.protocol import SETTINGS_SHEET, STYLE_SHEET, BlockWriter, Cell, settings_from_rows
from xltools.xlsx.writers.sheet_xml import SheetEdit, edited_sheet, style_ids

_CALC_CHAIN = "xl/calcChain.xml"

class FileBookWriter(BlockWriter):
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
        self._parts = _worksheet_parts(self.path)
        self._edits: dict[str, SheetEdit] = {}
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

    def _edit(self, sheet: str) -> SheetEdit:
        if sheet not in self._parts:
            raise KeyError(sheet)
        return self._edits.setdefault(sheet, SheetEdit())

    def _set_row_height(self, sheet: str, row: int, col: int, height: float) -> None:
        self._edit(sheet).heights[row] = height

    def _write_block(self, sheet: str, top: int, left: int, block: list[list[Cell]]) -> None:
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
            styles = style_ids(package, self._parts.get(STYLE_SHEET))
            changed = {self._parts[sheet]: edited_sheet(package.read(self._parts[sheet]).decode("utf-8"),
                                                         edit, styles).encode("utf-8")
                       for sheet, edit in self._edits.items()}
            with atomic_path(self.path) as tmp:
                _copy_package(package, tmp, changed)
        self._edits.clear()
        return self.path



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
                if drop_chain and info.filename in (ooxml.CONTENT_TYPES, ooxml.WORKBOOK_RELS):
                    data = re.sub(rb"<(?:Override|Relationship)\b[^>]*calcChain[^>]*/>", b"", data)
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            out.writestr(entry, data)


def _worksheet_parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as package:
        return worksheets(package)
