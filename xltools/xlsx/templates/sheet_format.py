"""What every template sheet shares: the data rows, titles and hidden names, colours, number formats,
column widths, print set-up, and writing a cell so that text stays text."""
from __future__ import annotations

from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xltools.forms.schema import FieldSpec, Lang
from xltools.forms.values import text_width
from xltools.text import Text


FIRST_DATA_ROW = 2
DATA_ROWS = 1000
LAST_DATA_ROW = FIRST_DATA_ROW + DATA_ROWS - 1

ALL_FORMS_TITLE = Text(zh="销售表单合集", en="All forms")
INSTRUCTIONS_TITLE = Text(zh="填写说明", en="Instructions")
LISTS_SHEET = "_lists"
META_SHEET = "_xltools"
FORM_NAME = "_xltools_form"
VERSION_NAME = "_xltools_schema_version"

MIN_WIDTH, MAX_WIDTH = 10, 40
FILTER_BUTTON_WIDTH = 4  # the Table's filter arrow sits on the header text

REQUIRED_HEADER_FILL = "C65911"
OPTIONAL_HEADER_FILL = "1F4E78"
MISSING_FILL = "FFC7CE"
MISSING_FONT = "9C0006"
LATE_FILL = "FFEB9C"
LATE_FONT = "9C5700"
GRID_COLOR = "A6A6A6"

NUMBER_FORMATS = {"date": "yyyy-mm-dd", "month": "yyyy-mm", "int": "0", "percent": "General",
                  "number": "General"}
MONEY_FORMAT = "#,##0.00"
TEXT_FORMAT = "@"  # keeps 13800138000 and 15-20 as typed instead of a number or a date


def column_width(field: FieldSpec, lang: Lang) -> int:
    samples = [example(field, lang) or "", *(c.label(lang) for c in field.choices)]
    widest = max([text_width(field.label(lang)) + FILTER_BUTTON_WIDTH,
                  *(text_width(s) + 2 for s in samples)])
    if field.type in ("date", "month"):
        widest = max(widest, 12)
    return min(max(widest, MIN_WIDTH), MAX_WIDTH)


def number_format(field: FieldSpec) -> str:
    if field.unit == "万元":
        return MONEY_FORMAT
    return NUMBER_FORMATS.get(field.type, TEXT_FORMAT)


def example(field: FieldSpec, lang: Lang) -> str | None:
    """The field's example as a rep would type it in this language."""
    if field.example is None:
        return None
    example = str(field.example)
    for choice in field.choices:
        if choice.value == example:
            return choice.label(lang)
    return example


def data_range(col: int) -> str:
    letter = get_column_letter(col)
    return f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_DATA_ROW}"


def fill(color: str) -> PatternFill:
    return PatternFill("solid", start_color=color, end_color=color, bgColor=color)


def set_print(ws: Worksheet, columns: int, title_row: int, last_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{title_row}:{title_row}"
    ws.print_area = f"A1:{get_column_letter(columns)}{last_row}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&A  &P / &N"


def put_text(cell, value: object):
    """Write a constant; text that starts with '=' stays text, never a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
