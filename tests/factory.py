"""Write real .xlsx workbooks for tests: one sheet per form, the schema's Chinese labels as headers.

    path = make_workbook(tmp_path, {"customers": [{"customer": "华络通信", "grade": "A类"}]})

Every field of a sheet gets a column, in schema order, so column letters are those of
the template (customers: A 客户名称 ... J 跟进人, K 客户等级, L 下次跟进时间).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from xltools.schema import Schema, load_schema


def make_workbook(directory: Path, sheets: dict[str, list[dict[str, Any]]], name: str = "book.xlsx",
                  schema: Schema | None = None) -> Path:
    """Write ``{sheet_key: [{field_key: value}, ...]}`` to ``directory/name``; returns the path."""
    schema = schema or load_schema()
    book = Workbook()
    book.remove(book.active)
    for sheet_key, rows in sheets.items():
        spec = schema.sheets[sheet_key]
        unknown = {k for row in rows for k in row} - set(spec.field_map)
        if unknown:
            raise KeyError(f"{sheet_key} has no fields {sorted(unknown)}")
        ws = book.create_sheet(spec.name.zh)
        ws.append([f.label.zh for f in spec.fields])
        for row in rows:
            ws.append([row.get(f.key) for f in spec.fields])
        for cells in ws.iter_rows(min_row=2):
            for cell in cells:
                if cell.is_date:
                    cell.number_format = "yyyy-mm-dd"
                elif cell.data_type == "f":
                    cell.data_type = "s"      # a rep's text that starts with "=" is text, as Excel keeps it
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
