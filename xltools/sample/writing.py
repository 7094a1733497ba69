"""Writing the rep workbooks with xlsxwriter (a fixed creation stamp: the same spec, the same bytes), and
the broken files that are not rep workbooks at all."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter
from openpyxl.utils import get_column_letter

from xltools.forms.schema import load_schema
from xltools.sample.book import Book, Table
from xltools.sample.dates import fixed_moment
from xltools.sample.plan import RepPlan
from xltools.sample.spec import BROKEN_NAME

DATE_FORMAT = "yyyy-mm-dd"


def write_book(path: Path, book: Book, constant_memory: bool) -> dict[str, tuple[dict[int, int], dict[str, str]]]:
    """Write every sheet; return, per sheet, {id(row): Excel row} and {field: column letter}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    workbook.set_properties({"created": fixed_moment(book.spec.start), "author": book.plan.name,
                             "company": book.plan.region})
    formats = {"header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
               "title": workbook.add_format({"bold": True, "font_size": 14, "align": "center"}),
               "date": workbook.add_format({"num_format": DATE_FORMAT})}
    places = {key: _write_table(workbook, table, formats) for key, table in book.tables.items()}
    workbook.close()
    return places


def _write_table(workbook, table: Table, formats: dict) -> tuple[dict[int, int], dict[str, str]]:
    """One sheet: the title row if any, the headers, the rows (a None row stays blank)."""
    spec = load_schema().sheets[table.key]
    sheet = workbook.add_worksheet(spec.name.zh)
    columns = table.columns()
    headers = [spec.field(k).label.zh if k in spec.field_map else k for k in columns]
    r = 0
    if table.title:
        sheet.merge_range(0, 0, 0, len(columns) - 1, table.title, formats["title"])
        r = 1
    for c, header in enumerate(headers):
        sheet.set_column(c, c, min(30, max(10, 2 * len(header) + 2)))
        sheet.write_string(r, c, header, formats["header"])
    sheet.freeze_panes(r + 1, 0)
    rows_at: dict[int, int] = {}
    for row in table.rows:
        r += 1
        if row is None:
            continue
        rows_at[id(row)] = r + 1
        for c, key in enumerate(columns):
            _write_cell(sheet, r, c, row.get(key), formats["date"])
    return rows_at, {k: get_column_letter(i + 1) for i, k in enumerate(columns)}


def _write_cell(sheet, r: int, c: int, value: Any, date_format) -> None:
    """Type by type: a text starting with '=' stays text (write() would make it a formula)."""
    if value is None:
        return
    if isinstance(value, str):
        sheet.write_string(r, c, value)
    elif isinstance(value, date):
        sheet.write_datetime(r, c, value, date_format)
    else:
        sheet.write_number(r, c, value)


def write_broken(folder: Path, first: RepPlan) -> list[Path]:
    """A CSV someone saved as .xlsx, and the owner file Excel leaves beside an open workbook."""
    csv = folder / BROKEN_NAME
    csv.parent.mkdir(parents=True, exist_ok=True)
    csv.write_bytes("\ufeff客户名称,联系人,联系方式\r\n深圳市华络通信有限公司,王明,13800138000\r\n".encode("utf-8"))
    owner = first.path.with_name("~$" + first.path.name)
    user = "sales01"                 # the Windows user who has the workbook open
    owner.write_bytes(bytes([len(user)]) + user.encode().ljust(53) + bytes([len(user), 0])
                      + user.encode("utf-16-le").ljust(110, b" "))
    return [csv, owner]
