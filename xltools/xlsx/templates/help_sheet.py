"""The templates' instructions sheet: how to fill in the forms, then one row per column of every sheet."""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xltools.forms.schema import FieldSpec, Lang, SheetSpec
from xltools.forms.values import text_width
from xltools.text import Text, texts
from xltools.xlsx.templates.sheet_format import (DATA_ROWS, INSTRUCTIONS_TITLE, OPTIONAL_HEADER_FILL,
                                                 REQUIRED_HEADER_FILL, example, fill, put_text, set_print)
from xltools.xlsx.templates.validation import allowed_values

INSTRUCTION_WIDTHS = (14, 22, 44, 10, 16, 44, 26)
LINE_HEIGHT = 15

YES, NO = Text("是", "Yes"), Text("否", "No")
COLUMNS = (Text("工作表", "Sheet"), Text("列名", "Column"), Text("含义", "Meaning"), Text("必填", "Required"),
           Text("类型", "Type"), Text("可填值", "Allowed values"), Text("示例", "Example"))
TYPES = texts({"text": ("文本", "Text"), "date": ("日期", "Date"), "month": ("月份", "Month"),
               "int": ("整数", "Whole number"), "number": ("数字", "Number"), "percent": ("百分比(0-100)", "Percent (0-100)"),
               "enum": ("下拉选择", "Pick from list"), "phone_or_email": ("电话或邮箱", "Phone or e-mail"),
               "contract_id": ("合同编号", "Contract no.")})
NOTES = (
    Text("橙色表头的列为必填；一行开始填写后，空着的必填单元格会显示为浅红色。",
         "Columns with an orange header are required; once a row is started, an empty required cell turns light red."),
    Text("下拉列请从列表中选择；日期请按 2024-03-12 的格式填写；数字列只接受数字。",
         "Pick list columns from the dropdown; write dates like 2024-03-12; number columns take numbers only."),
    Text("已过期的跟进、回访、解决或签约日期会显示为黄色。",
         "Follow-up, visit, resolve-by and close dates that have passed turn amber."),
    Text("请勿修改表头文字；工作表可以改名，每张表最多填写 {rows} 行。",
         "Keep the header texts as they are; sheets may be renamed; each sheet takes up to {rows} rows."),
)


def add_instructions(wb: Workbook, sheets: list[SheetSpec], lang: Lang) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_TITLE(lang))
    put_text(ws.cell(1, 1), INSTRUCTIONS_TITLE(lang)).font = Font(bold=True, size=14)
    for row, note in enumerate(NOTES, start=2):
        put_text(ws.cell(row, 1), note.format(rows=DATA_ROWS)(lang))
    header_row = len(NOTES) + 3
    for col, title in enumerate(COLUMNS, start=1):
        cell = put_text(ws.cell(header_row, col), title(lang))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill(OPTIONAL_HEADER_FILL)
    row = header_row
    for sheet in sheets:
        for field in sheet.fields:
            row += 1
            _write_instruction_row(ws, row, sheet, field, lang)
    for col, width in enumerate(INSTRUCTION_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"A{header_row + 1}"
    set_print(ws, len(COLUMNS), title_row=header_row, last_row=row)


def _write_instruction_row(ws: Worksheet, row: int, sheet: SheetSpec, field: FieldSpec, lang: Lang) -> None:
    values = (sheet.name(lang), field.label(lang), field.help(lang),
              (YES if field.required else NO)(lang), TYPES[field.type](lang),
              allowed_values(field, lang), example(field, lang) or "")
    for col, value in enumerate(values, start=1):
        cell = put_text(ws.cell(row, col), value)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    # Explicit heights: not every program grows a row to fit its wrapped text.
    lines = max(-(-text_width(v) // (width - 1)) for v, width in zip(values, INSTRUCTION_WIDTHS))
    ws.row_dimensions[row].height = LINE_HEIGHT * max(lines, 1) + 3
    if field.required:
        ws.cell(row, 4).font = Font(bold=True, color=REQUIRED_HEADER_FILL)
