"""Write real .xlsx workbooks for tests: one sheet per form, the schema's Chinese labels as headers.

    path = make_workbook(tmp_path, {"customers": [{"customer": "华络通信", "grade": "A类"}]})

Every field of a sheet gets a column, in schema order, so column letters are those of
the template (customers: A 客户名称 ... J 跟进人, K 客户等级, L 下次跟进时间).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from xltools.forms.schema import Schema, load_schema


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


# A small inbox used by the merge and store tests
MEETING = dt.date(2024, 3, 5)


def customer(name: str, owner: str, **kw) -> dict[str, Any]:
    """A valid customer-information row."""
    return {"customer": name, "contact": "王明", "phone": "13800138000", "owner": owner, "grade": "B类",
            "next_follow_up": dt.date(2024, 4, 20), **kw}


def visit(name: str, who: str, day: dt.date, **kw) -> dict[str, Any]:
    """A valid follow-up visit row."""
    return {"customer": name, "date": day, "visitor": who, "satisfaction": 5,
            "next_visit": day + dt.timedelta(days=30), **kw}


def two_region_inbox(folder: Path) -> Path:
    """Two regions' folders; 李四's phone 12345 is a format error, so that row is quarantined."""
    make_workbook(folder / "华南", {"customers": [customer("深圳市华络通信有限公司", "张三"), customer("广州华新科技", "张三")],
                                   "visits": [visit("华络通信", "张三", MEETING)]}, "张三.xlsx")
    make_workbook(folder / "华北", {"customers": [customer("北京恒通物流有限公司", "李四"),
                                                 customer("天津瑞丰制造", "李四", phone="12345")]}, "李四.xlsx")
    return folder
