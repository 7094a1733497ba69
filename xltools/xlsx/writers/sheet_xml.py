"""Worksheet XML edited as text: the rows a writer changes, and nothing else.

A parser would rewrite namespace declarations that Excel's mc:Ignorable attribute depends on, so
only <sheetData>, <dimension> and <mergeCells> change.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from xltools.forms.values import EXCEL_EPOCH
from xltools.xlsx import ooxml
from xltools.xlsx.writers.protocol import Link, plain


@dataclass
class SheetEdit:
    """What is to change in one worksheet part."""
    clear_from: int | None = None
    cells: dict[int, dict[int, tuple[Any, str | None]]] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)


_SHEET_DATA = re.compile(r"<(?P<p>\w+:)?sheetData\b[^>]*?(?:/>|>(?P<body>.*?)</(?P=p)?sheetData>)", re.S)
_ROW = re.compile(r"<(?:\w+:)?row\b[^>]*?(?:/>|>.*?</(?:\w+:)?row>)", re.S)
_CELL = re.compile(r"<(?:\w+:)?c\b[^>]*?(?:/>|>.*?</(?:\w+:)?c>)", re.S)
_REF = re.compile(r'\br="([A-Z]+)(\d+)"')


def edited_sheet(xml: str, edit: SheetEdit, styles: dict[str, int]) -> str:
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
        return (f'<{p}c r="{ref}"{s} t="str"><{p}f>{ooxml.xml_escape(formula[1:])}</{p}f>'
                f'<{p}v>{ooxml.xml_text(value.text)}</{p}v></{p}c>')
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
    return (f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t xml:space="preserve">{ooxml.xml_text(str(value))}'
            f'</{p}t></{p}is></{p}c>')




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


def style_ids(package: zipfile.ZipFile, part: str | None) -> dict[str, int]:
    """Style key -> cell format index, from the hidden style sheet (key in A, styled cell in B)."""
    if part is None:
        return {}
    shared = ooxml.shared_strings(package)
    ids = {}
    for row in _rows((_SHEET_DATA.search(package.read(part).decode("utf-8")).group("body") or "")).values():
        cells = _cells(row)
        if 1 in cells and 2 in cells:
            key = cell_text(cells[1], shared)
            if key:
                ids[key] = _style_of(cells[2])
    return ids




def cell_text(cell_xml: str, shared: list[str]) -> str | None:
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
