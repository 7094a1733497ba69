"""What one table of the summary workbook is: its sheet, title, headers, rows and number formats.

The sheets' names, the number formats by column kind and ``Words`` (labels in the reader's
language, enum values as the schema names them) are shared by every table builder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xltools.forms.schema import load_schema
from xltools.text import Text


SUMMARY_SHEETS = {"summary": Text(zh="汇总", en="Summary"),
                  "changes": Text(zh="商机变化", en="Pipeline changes"),
                  "follow_ups": Text(zh="待跟进", en="Follow-ups"),
                  "quality": Text(zh="数据质量", en="Data quality"),
                  "collections": Text(zh="回款", en="Collections"),
                  "accounts": Text(zh="客户分析", en="Accounts"),
                  "conversion": Text(zh="转化分析", en="Conversion"),
                  "activity": Text(zh="活动与指标", en="Activity vs targets")}

# Number formats by column kind.
NUMBER_FORMATS = {"money": "#,##0.00", "pct": '0.0"%"', "int": "0", "num": "0.0", "date": "yyyy-mm-dd"}

# Amounts are 万元 throughout; a KPI tile names the unit in Chinese.
KPI_MONEY = Text('#,##0.00"万"', "#,##0.00")


@dataclass
class Table:
    """One table of the summary, ready to lay out in any sheet.

    ``formats`` has one kind per column: text, int, money (万元), pct (a number of percent),
    num (one decimal) or date. ``flags`` holds (row, column) cells to highlight, e.g. a
    coverage below the healthy level. The KPI table has a value row and a caption row.
    """
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    formats: list[str]
    sheet: str = "summary"
    total: list[Any] | None = None
    flags: set[tuple[int, int]] = field(default_factory=set)


class Words:
    """Labels in one language; enum values shown as the schema names them."""

    def __init__(self, lang: str):
        self.lang = lang
        self.schema = load_schema()

    def __call__(self, text: Text) -> str:
        return text(self.lang)

    def choice(self, sheet: str, key: str, value: str | None) -> str:
        if not value:
            return ""
        spec = self.schema.sheets[sheet].field(key)
        return next((c.label(self.lang) for c in spec.choices if c.value == value), value)
