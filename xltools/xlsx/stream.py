"""A small streaming .xlsx writer for big data sheets (the master workbook).

It writes each sheet's XML straight into the zip as rows arrive: inline strings, a fixed
set of styles, frozen header, autofilter, column widths and print set-up. Nothing is kept
in memory but the current row, and a cell costs a string format instead of a general
writer's per-cell bookkeeping -- several times faster than xlsxwriter in constant-memory
mode for the same cells. Text is always written as text: a string starting with "=" is
never a formula.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable

from openpyxl.utils import get_column_letter

from xltools.forms.values import EXCEL_EPOCH
from xltools.ingest.package import WORKBOOK_PART
from xltools.xlsx.ooxml import (CONTENT_TYPES, DOC_REL_NS, MAIN_NS, PACKAGE_REL_NS, WORKBOOK_RELS,
                                 WORKSHEET_TYPE, worksheet_part, xml_text)

# Style ids of the cellXfs written in styles.xml below.
DEFAULT, HEADER, DATE, MONEY, NUMBER, WARN, BOLD = range(7)
_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{DOC_REL_NS}">')


class StreamBook:
    """Sheets are written one after the other; ``close()`` writes the workbook parts."""

    def __init__(self, path: str | Path):
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[tuple[str, str | None]] = []      # (name, print-title columns)

    def sheet(self, name: str, widths: list[float], landscape: bool = True) -> "StreamSheet":
        index = len(self.sheets) + 1
        self.sheets.append((name, None))
        return StreamSheet(self, index, name, widths, landscape)

    def close(self) -> None:
        self.zip.writestr(CONTENT_TYPES, _content_types(len(self.sheets)))
        self.zip.writestr("_rels/.rels", _ROOT_RELS)
        self.zip.writestr(WORKBOOK_PART, _workbook(self.sheets))
        self.zip.writestr(WORKBOOK_RELS, _workbook_rels(len(self.sheets)))
        self.zip.writestr("xl/styles.xml", _STYLES)
        self.zip.close()


class StreamSheet:
    def __init__(self, book: StreamBook, index: int, name: str, widths: list[float], landscape: bool):
        self.book, self.index, self.name = book, index, name
        self.letters = [get_column_letter(i + 1) for i in range(len(widths))]
        self.rows = 0
        self.out = book.zip.open(worksheet_part(index), "w", force_zip64=True)
        self.landscape = landscape
        cols = "".join(f'<col min="{i}" max="{i}" width="{w:.2f}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        self._emit(_HEAD + '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                   'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                   f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>')

    def row(self, values: Iterable[Any], styles: list[int] | int = DEFAULT) -> None:
        """One row: str -> text, int/float -> number, date/datetime -> date; None is empty."""
        self.rows += 1
        r = self.rows
        parts = [f'<row r="{r}">']
        for c, value in enumerate(values):
            if value is None or value != value or value == "":     # None, NaN and "" are empty cells
                continue
            style = styles if isinstance(styles, int) else styles[c]
            parts.append(_cell(f"{self.letters[c]}{r}", value, style))
        parts.append("</row>")
        self._emit("".join(parts))

    def close(self, autofilter: bool = True) -> None:
        last = f"{self.letters[-1]}{max(self.rows, 2)}"
        self._emit("</sheetData>" + (f'<autoFilter ref="A1:{last}"/>' if autofilter else "")
                   + '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                   + f'<pageSetup paperSize="9" orientation="{"landscape" if self.landscape else "portrait"}"/>'
                   + "</worksheet>")
        self.out.close()
        self.book.sheets[self.index - 1] = (self.name, f"A1:{last}" if autofilter else None)

    def _emit(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))


def _cell(ref: str, value: Any, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{xml_text(value)}</t></is></c>'
    if isinstance(value, dt.datetime):
        value = (value - EXCEL_EPOCH).total_seconds() / 86400
    elif isinstance(value, dt.date):
        value = (value - EXCEL_EPOCH.date()).days
    elif isinstance(value, bool):
        value = int(value)
    return f'<c r="{ref}"{s}><v>{value!r}</v></c>'


def _content_types(n: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                     f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{sheets}</Types>')


def _workbook(sheets: list[tuple[str, str | None]]) -> str:
    entries = "".join(f'<sheet name="{xml_text(name)}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, (name, _) in enumerate(sheets, 1))
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{_quoted(name)}!'
        f'{_absolute(ref)}</definedName><definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
        f'{_quoted(name)}!$1:$1</definedName>'
        for i, (name, ref) in enumerate(sheets) if ref)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{DOC_REL_NS}">'
            f'<bookViews><workbookView/></bookViews><sheets>{entries}</sheets>'
            + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>")


def _quoted(name: str) -> str:
    return "'" + xml_text(name).replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    first, last = ref.split(":")
    split = lambda r: re.match(r"([A-Z]+)(\d+)", r).groups()  # noqa: E731
    (c1, r1), (c2, r2) = split(first), split(last)
    return f"${c1}${r1}:${c2}${r2}"


def _workbook_rels(n: int) -> str:
    rels = "".join(f'<Relationship Id="rId{i}" Type="{WORKSHEET_TYPE}" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, n + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PACKAGE_REL_NS}">'
            f'{rels}<Relationship Id="rId{n + 1}" Type="{DOC_REL_NS}/styles" Target="styles.xml"/></Relationships>')


_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              f'<Relationships xmlns="{PACKAGE_REL_NS}">'
              f'<Relationship Id="rId1" Type="{DOC_REL_NS}/officeDocument" Target="{WORKBOOK_PART}"/></Relationships>')

# Fonts: 0 normal, 1 bold white (header), 2 bold. Fills: 0/1 required by Excel, 2 header blue,
# 3 warning amber. numFmts: 164 date, 165 money, 166 plain number.
_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<styleSheet xmlns="{MAIN_NS}">'
           '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
           '<numFmt numFmtId="165" formatCode="#,##0.00"/><numFmt numFmtId="166" formatCode="0.##"/></numFmts>'
           '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
           '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/></font>'
           '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
           '</fill><fill><patternFill patternType="solid"><fgColor rgb="FF1F4E78"/></patternFill></fill>'
           '<fill><patternFill patternType="solid"><fgColor rgb="FFFFF2CC"/></patternFill></fill></fills>'
           '<borders count="2"><border/><border><left style="thin"/><right style="thin"/><top style="thin"/>'
           '<bottom style="thin"/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
           'applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/>'
           '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
