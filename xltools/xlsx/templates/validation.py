"""Each template column's data validation: dropdown lists, dates, numbers in range, contract numbers,
with the field's help as the input message and the allowed values in words."""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field

from openpyxl import Workbook
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from xltools.forms.schema import FieldSpec, Lang
from xltools.text import Text, texts
from xltools.xlsx.templates.sheet_format import LISTS_SHEET, put_text

INLINE_LIST_LIMIT = 255  # Excel rejects longer inline dropdown lists
PROMPT_TITLE_LIMIT, PROMPT_LIMIT, ERROR_LIMIT = 32, 255, 225
UNBOUNDED = (-1e15, 1e15)

JOINER = Text("、", ", ")
LIST_ERROR = Text("请从下拉列表中选择：{values}", "Pick one of: {values}")
DATE_ERROR = Text("请输入日期，格式如 2024-03-12", "Enter a date like 2024-03-12")
MONTH_ERROR = Text("请输入月份，格式如 2024-03", "Enter a month like 2024-03")
CONTRACT_ERROR = Text("合同编号格式如 HT-202403001", "A contract number looks like HT-202403001")
NUMBER_ERROR = Text("请输入{range}的{kind}", "Enter a {kind} {range}")
NUMBER_KINDS = texts({"int": ("整数", "whole number"), "number": ("数字", "number")})
# The allowed range in words, by Excel operator.
RANGE_PHRASES = texts({"between": (" {lo} 到 {hi} 之间", "from {lo} to {hi}"),
                       "greaterThan": ("大于 {lo} ", "above {lo}"),
                       "greaterThanOrEqual": ("不小于 {lo} ", "of at least {lo}"),
                       "lessThanOrEqual": ("不大于 {hi} ", "of at most {hi}")})


@dataclass
class DropdownLists:
    """Dropdown sources: inline when short, else a column of the hidden ``_lists`` sheet."""
    columns: list[tuple[str, list[str]]] = dataclass_field(default_factory=list)

    def source(self, name: str, items: list[str]) -> str:
        inline = ",".join(items)
        if len(inline) <= INLINE_LIST_LIMIT and not any("," in i or '"' in i for i in items):
            return f'"{inline}"'
        self.columns.append((name, items))
        letter = get_column_letter(len(self.columns))
        return f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(items) + 1}"

    def write(self, wb: Workbook) -> None:
        if not self.columns:
            return
        ws = wb.create_sheet(LISTS_SHEET)
        ws.sheet_state = "hidden"
        for col, (name, items) in enumerate(self.columns, start=1):
            for row, item in enumerate([name, *items], start=1):
                put_text(ws.cell(row, col), item)


def field_validation(field: FieldSpec, lang: Lang, lists: DropdownLists, first_cell: str) -> DataValidation:
    """The data validation of one column, with the field's help as its input message.

    ``first_cell`` is the top-left cell of the range: relative references in a
    custom formula are relative to it.
    """
    if field.type == "enum":
        items = [c.label(lang) for c in field.choices]
        dv = DataValidation(type="list", formula1=lists.source(field.key, items),
                            error=LIST_ERROR(lang).format(values=JOINER(lang).join(items)))
    elif field.type == "date":
        dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(1900,1,1)",
                            error=DATE_ERROR(lang))
    elif field.type == "month":
        # A month may stay text (2024-03) where Excel does not turn it into a date: warn only.
        dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(1900,1,1)",
                            error=MONTH_ERROR(lang), errorStyle="warning")
    elif field.type in ("int", "number", "percent"):
        dv = _number_validation(field, lang)
    elif field.type == "contract_id":
        dv = DataValidation(type="custom", error=CONTRACT_ERROR(lang), errorStyle="warning",
                            formula1=f'AND(LEFT({first_cell},3)="HT-",LEN({first_cell})>=12,'
                                     f'ISNUMBER(-MID({first_cell},4,30)))')
    else:
        dv = DataValidation()  # any value: only the input message
    dv.allow_blank = True
    dv.showInputMessage = True
    dv.promptTitle = field.label(lang)[:PROMPT_TITLE_LIMIT]
    dv.prompt = field.help(lang)[:PROMPT_LIMIT]
    if dv.type:
        dv.showErrorMessage = True
        dv.errorStyle = dv.errorStyle or "stop"
        dv.errorTitle = field.label(lang)[:PROMPT_TITLE_LIMIT]
        dv.error = dv.error[:ERROR_LIMIT]
    return dv


def _number_validation(field: FieldSpec, lang: Lang) -> DataValidation:
    kind = "int" if field.type == "int" else "number"
    operator, lo, hi = number_bounds(field)
    error = NUMBER_ERROR(lang).format(kind=NUMBER_KINDS[kind](lang), range=range_phrase(field, lang))
    return DataValidation(type="whole" if kind == "int" else "decimal", operator=operator,
                          formula1=_num(lo if lo is not None else hi),
                          formula2=_num(hi) if operator == "between" else None,
                          error=re.sub(r"\s+", " ", error).strip())


def number_bounds(field: FieldSpec) -> tuple[str, float | None, float | None]:
    """(Excel operator, low, high) of a numeric field's allowed range."""
    lo, hi = field.bounds()
    if lo is not None and hi is not None:
        return "between", lo, hi
    if lo is not None:
        return ("greaterThan" if field.min_exclusive else "greaterThanOrEqual"), lo, None
    if hi is not None:
        return "lessThanOrEqual", None, hi
    return ("between", *UNBOUNDED)  # any number, but a number


def range_phrase(field: FieldSpec, lang: Lang) -> str:
    """The allowed range in words, e.g. "从 1 到 5 之间" or "of at least 0"."""
    operator, lo, hi = number_bounds(field)
    if (lo, hi) == UNBOUNDED:
        return ""
    return RANGE_PHRASES[operator](lang).format(lo=_num(lo), hi=_num(hi))


def allowed_values(field: FieldSpec, lang: Lang) -> str:
    """What a cell may hold, as text for people: the choices, or the numeric range."""
    if field.choices:
        return JOINER(lang).join(c.label(lang) for c in field.choices)
    if field.type not in ("int", "number", "percent"):
        return ""
    operator, lo, hi = number_bounds(field)
    if (lo, hi) == UNBOUNDED:
        return ""
    return {"between": f"{_num(lo)}–{_num(hi)}", "greaterThan": f"> {_num(lo)}",
            "greaterThanOrEqual": f"≥ {_num(lo)}", "lessThanOrEqual": f"≤ {_num(hi)}"}[operator]


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
