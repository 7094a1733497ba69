"""Excel templates of the sales forms, made from the schema.

One workbook per form (file name = the form's title) plus one workbook with every
rep form. Each form sheet has a styled header whose text is exactly the field's
label, an Excel Table, dropdowns and range checks with input hints, highlighting
of missing required cells and of overdue dates, a frozen header, print set-up, an
instructions sheet, and hidden metadata that lets a reader recognise a sheet even
after a rep renames it (see ``template_metadata``).

Builds are byte-for-byte reproducible: fixed document dates and fixed zip entry
times, so rebuilding the committed templates changes nothing in git.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field as dataclass_field
from pathlib import Path
from typing import Iterable

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from xltools.atomic import write_atomically
from xltools.forms.schema import FieldSpec, FormSpec, Lang, Schema, SheetSpec, Text, load_schema, vocabulary
from xltools.forms.values import text_width

FIRST_DATA_ROW = 2
DATA_ROWS = 1000
LAST_DATA_ROW = FIRST_DATA_ROW + DATA_ROWS - 1

ALL_FORMS_TITLE = Text(zh="销售表单合集", en="All forms")
INSTRUCTIONS_TITLE = Text(zh="填写说明", en="Instructions")
LISTS_SHEET = "_lists"
META_SHEET = "_xltools"
FORM_NAME = "_xltools_form"
VERSION_NAME = "_xltools_schema_version"

# Fixed document dates: a rebuild must not differ from the committed file.
BUILD_TIME = dt.datetime(2024, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CORE_PROPERTIES = "docProps/core.xml"

UNBOUNDED = (-1e15, 1e15)
INLINE_LIST_LIMIT = 255  # Excel rejects longer inline dropdown lists
PROMPT_TITLE_LIMIT, PROMPT_LIMIT, ERROR_LIMIT = 32, 255, 225
MIN_WIDTH, MAX_WIDTH = 10, 40
INSTRUCTION_WIDTHS = (14, 22, 44, 10, 16, 44, 26)
LINE_HEIGHT = 15
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

# Dates that fall due: highlighted once past, unless the row is closed by one of
# the values playing these roles in forms.yaml (the schema has no notion of due dates).
DUE_DATES: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "customers": ("next_follow_up", {}),
    "visits": ("next_visit", {}),
    "objections": ("resolve_by", {"status": (vocabulary("objections", "status", "resolved"),)}),
    "pipeline": ("expected_close", {"forecast": (vocabulary("pipeline", "forecast", "won"),
                                                 vocabulary("pipeline", "forecast", "lost")),
                                    "stage": (vocabulary("pipeline", "stage", "won"),)}),
}

# Instalments: (due date, amount due, amount received); red once past and not fully received.
DUE_AMOUNTS: dict[str, tuple[str, str, str]] = {
    "collections": ("planned_date", "planned_amount", "received_amount"),
}

UI = {
    "zh": {
        "yes": "是", "no": "否", "joiner": "、",
        "columns": ("工作表", "列名", "含义", "必填", "类型", "可填值", "示例"),
        "types": {"text": "文本", "date": "日期", "month": "月份", "int": "整数", "number": "数字",
                  "percent": "百分比(0-100)", "enum": "下拉选择", "phone_or_email": "电话或邮箱",
                  "contract_id": "合同编号"},
        "notes": (
            "橙色表头的列为必填；一行开始填写后，空着的必填单元格会显示为浅红色。",
            "下拉列请从列表中选择；日期请按 2024-03-12 的格式填写；数字列只接受数字。",
            "已过期的跟进、回访、解决或签约日期会显示为黄色。",
            "请勿修改表头文字；工作表可以改名，每张表最多填写 {rows} 行。",
        ),
        "list_error": "请从下拉列表中选择：{values}",
        "date_error": "请输入日期，格式如 2024-03-12",
        "month_error": "请输入月份，格式如 2024-03",
        "contract_error": "合同编号格式如 HT-202403001",
        "number_error": "请输入{range}的{kind}",
        "kinds": {"int": "整数", "number": "数字"},
        "between": " {lo} 到 {hi} 之间", "at_least": "不小于 {lo} ", "above": "大于 {lo} ",
        "at_most": "不大于 {hi} ",
    },
    "en": {
        "yes": "Yes", "no": "No", "joiner": ", ",
        "columns": ("Sheet", "Column", "Meaning", "Required", "Type", "Allowed values", "Example"),
        "types": {"text": "Text", "date": "Date", "month": "Month", "int": "Whole number",
                  "number": "Number", "percent": "Percent (0-100)", "enum": "Pick from list",
                  "phone_or_email": "Phone or e-mail", "contract_id": "Contract no."},
        "notes": (
            "Columns with an orange header are required; once a row is started, an empty required cell turns light red.",
            "Pick list columns from the dropdown; write dates like 2024-03-12; number columns take numbers only.",
            "Follow-up, visit, resolve-by and close dates that have passed turn amber.",
            "Keep the header texts as they are; sheets may be renamed; each sheet takes up to {rows} rows.",
        ),
        "list_error": "Pick one of: {values}",
        "date_error": "Enter a date like 2024-03-12",
        "month_error": "Enter a month like 2024-03",
        "contract_error": "A contract number looks like HT-202403001",
        "number_error": "Enter a {kind} {range}",
        "kinds": {"int": "whole number", "number": "number"},
        "between": "from {lo} to {hi}", "at_least": "of at least {lo}", "above": "above {lo}",
        "at_most": "of at most {hi}",
    },
}


# Building
def build_templates(out_dir: str | Path, lang: Lang = "zh", schema: Schema | None = None) -> list[Path]:
    """Write one workbook per form and one with every rep form; return their paths."""
    schema = schema or load_schema()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for form in schema.forms:
        title = form.title(lang)
        written.append(_save(template_workbook([form], lang, schema, title),
                             out_dir / template_file_name(title)))
    rep_forms = [f for f in schema.forms if not f.admin]
    title = ALL_FORMS_TITLE(lang)
    written.append(_save(template_workbook(rep_forms, lang, schema, title),
                         out_dir / template_file_name(title)))
    return written


def template_file_name(title: str) -> str:
    return re.sub(r'[\\/:*?"<>|]', "-", title) + ".xlsx"


def template_workbook(forms: Iterable[FormSpec], lang: Lang = "zh", schema: Schema | None = None,
                      title: str = "") -> Workbook:
    """A workbook holding the sheets of ``forms``, instructions and metadata."""
    schema = schema or load_schema()
    forms = list(forms)
    sheets = [s for form in forms for s in form.sheets]
    wb = Workbook()
    wb.remove(wb.active)
    lists = DropdownLists()
    for sheet in sheets:
        _add_form_sheet(wb, sheet, lang, lists)
    _add_instructions(wb, sheets, lang)
    lists.write(wb)
    _add_metadata(wb, forms, sheets, lang, schema)
    _set_properties(wb, title)
    wb.active = 0
    return wb


def _add_form_sheet(wb: Workbook, sheet: SheetSpec, lang: Lang, lists: DropdownLists) -> Worksheet:
    ws = wb.create_sheet(sheet.name(lang))
    _write_header(ws, sheet, lang)
    _format_columns(ws, sheet, lang)
    _add_table(ws, sheet)
    for col, field in enumerate(sheet.fields, start=1):
        dv = field_validation(field, lang, lists, f"{get_column_letter(col)}{FIRST_DATA_ROW}")
        dv.add(_data_range(col))
        ws.add_data_validation(dv)
    _highlight_missing_required(ws, sheet)
    _highlight_late_date(ws, sheet, lang)
    _highlight_unpaid(ws, sheet)
    _outline_started_rows(ws, sheet)  # last: LibreOffice applies only the first matching rule
    ws.freeze_panes = "A2"
    _set_print(ws, len(sheet.fields), title_row=1, last_row=LAST_DATA_ROW)
    ws.defined_names[FORM_NAME] = DefinedName(FORM_NAME, attr_text=f'"{sheet.key}"', hidden=True)
    return ws


def _write_header(ws: Worksheet, sheet: SheetSpec, lang: Lang) -> None:
    labels = [f.label(lang) for f in sheet.fields]
    if len(set(labels)) != len(labels):
        raise ValueError(f"sheet {sheet.key}: two fields share a {lang} label")
    for col, field in enumerate(sheet.fields, start=1):
        cell = put_text(ws.cell(1, col), field.label(lang))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _fill(REQUIRED_HEADER_FILL if field.required else OPTIONAL_HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 30


def _format_columns(ws: Worksheet, sheet: SheetSpec, lang: Lang) -> None:
    """Width and number format per column; a column style reaches every row a rep types in."""
    for col, field in enumerate(sheet.fields, start=1):
        dim = ws.column_dimensions[get_column_letter(col)]
        dim.width = column_width(field, lang)
        dim.number_format = number_format(field)
        dim.alignment = Alignment(vertical="top", wrap_text=field.type == "text")


def _add_table(ws: Worksheet, sheet: SheetSpec) -> None:
    last = get_column_letter(len(sheet.fields))
    table = Table(displayName=sheet.table_name, ref=f"A1:{last}{LAST_DATA_ROW}")
    # No row stripes: banding on a thousand empty rows would print as blank pages.
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=False,
                                          showColumnStripes=False)
    ws.add_table(table)


def _data_range(col: int) -> str:
    letter = get_column_letter(col)
    return f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_DATA_ROW}"


# Columns
def column_width(field: FieldSpec, lang: Lang) -> int:
    samples = [_example(field, lang) or "", *(c.label(lang) for c in field.choices)]
    widest = max([text_width(field.label(lang)) + FILTER_BUTTON_WIDTH,
                  *(text_width(s) + 2 for s in samples)])
    if field.type in ("date", "month"):
        widest = max(widest, 12)
    return min(max(widest, MIN_WIDTH), MAX_WIDTH)


def number_format(field: FieldSpec) -> str:
    if field.unit == "万元":
        return MONEY_FORMAT
    return NUMBER_FORMATS.get(field.type, TEXT_FORMAT)


# Validation
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
    ui = UI[lang]
    if field.type == "enum":
        items = [c.label(lang) for c in field.choices]
        dv = DataValidation(type="list", formula1=lists.source(field.key, items),
                            error=ui["list_error"].format(values=ui["joiner"].join(items)))
    elif field.type == "date":
        dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(1900,1,1)",
                            error=ui["date_error"])
    elif field.type == "month":
        # A month may stay text (2024-03) where Excel does not turn it into a date: warn only.
        dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(1900,1,1)",
                            error=ui["month_error"], errorStyle="warning")
    elif field.type in ("int", "number", "percent"):
        dv = _number_validation(field, lang)
    elif field.type == "contract_id":
        dv = DataValidation(type="custom", error=ui["contract_error"], errorStyle="warning",
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
    ui = UI[lang]
    kind = "int" if field.type == "int" else "number"
    operator, lo, hi = number_bounds(field)
    error = ui["number_error"].format(kind=ui["kinds"][kind], range=range_phrase(field, lang))
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


_OPERATOR_PHRASES = {"between": "between", "greaterThan": "above",
                     "greaterThanOrEqual": "at_least", "lessThanOrEqual": "at_most"}


def range_phrase(field: FieldSpec, lang: Lang) -> str:
    """The allowed range in words, e.g. "从 1 到 5 之间" or "of at least 0"."""
    operator, lo, hi = number_bounds(field)
    if (lo, hi) == UNBOUNDED:
        return ""
    return UI[lang][_OPERATOR_PHRASES[operator]].format(lo=_num(lo), hi=_num(hi))


def allowed_values(field: FieldSpec, lang: Lang) -> str:
    """What a cell may hold, as text for people: the choices, or the numeric range."""
    if field.choices:
        return UI[lang]["joiner"].join(c.label(lang) for c in field.choices)
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


# Conditional formatting
def _started_row(sheet: SheetSpec) -> str:
    """Formula part: the row has any value (relative to the first data row)."""
    last = get_column_letter(len(sheet.fields))
    return f"COUNTA($A{FIRST_DATA_ROW}:${last}{FIRST_DATA_ROW})>0"


def _outline_started_rows(ws: Worksheet, sheet: SheetSpec) -> None:
    """Thin borders on filled rows only: the printout gets a grid, empty rows stay blank."""
    last = get_column_letter(len(sheet.fields))
    side = Side(style="thin", color=GRID_COLOR)
    rule = FormulaRule(formula=[_started_row(sheet)],
                       border=Border(left=side, right=side, top=side, bottom=side))
    ws.conditional_formatting.add(f"A{FIRST_DATA_ROW}:{last}{LAST_DATA_ROW}", rule)


def _highlight_missing_required(ws: Worksheet, sheet: SheetSpec) -> None:
    for col, field in enumerate(sheet.fields, start=1):
        if not field.required:
            continue
        cell = f"{get_column_letter(col)}{FIRST_DATA_ROW}"
        rule = FormulaRule(formula=[f"AND({_started_row(sheet)},LEN(TRIM({cell}))=0)"],
                           fill=_fill(MISSING_FILL), font=Font(color=MISSING_FONT))
        ws.conditional_formatting.add(_data_range(col), rule)


def _highlight_late_date(ws: Worksheet, sheet: SheetSpec, lang: Lang) -> None:
    if sheet.key not in DUE_DATES:
        return
    date_key, closed_by = DUE_DATES[sheet.key]
    columns = {f.key: idx for idx, f in enumerate(sheet.fields, start=1)}
    cell = f"{get_column_letter(columns[date_key])}{FIRST_DATA_ROW}"
    conditions = [f"ISNUMBER({cell})", f"{cell}<TODAY()"]
    for key, values in closed_by.items():
        status_cell = f"${get_column_letter(columns[key])}{FIRST_DATA_ROW}"
        labels = {c.value: c.label(lang) for c in sheet.field(key).choices}
        conditions += [f'{status_cell}<>"{labels[v]}"' for v in values]
    rule = FormulaRule(formula=[f"AND({','.join(conditions)})"], fill=_fill(LATE_FILL),
                       font=Font(color=LATE_FONT))
    ws.conditional_formatting.add(_data_range(columns[date_key]), rule)


def _highlight_unpaid(ws: Worksheet, sheet: SheetSpec) -> None:
    if sheet.key not in DUE_AMOUNTS:
        return
    columns = {f.key: idx for idx, f in enumerate(sheet.fields, start=1)}
    date_key, due_key, received_key = DUE_AMOUNTS[sheet.key]
    date, due, received = (f"${get_column_letter(columns[k])}{FIRST_DATA_ROW}"
                           for k in (date_key, due_key, received_key))
    rule = FormulaRule(formula=[f"AND(ISNUMBER({date}),{date}<TODAY(),N({received})<N({due}))"],
                       fill=_fill(LATE_FILL), font=Font(color=LATE_FONT))
    ws.conditional_formatting.add(_data_range(columns[date_key]), rule)


def _fill(color: str) -> PatternFill:
    return PatternFill("solid", start_color=color, end_color=color, bgColor=color)


# Instructions
def _add_instructions(wb: Workbook, sheets: list[SheetSpec], lang: Lang) -> None:
    ui = UI[lang]
    ws = wb.create_sheet(INSTRUCTIONS_TITLE(lang))
    put_text(ws.cell(1, 1), INSTRUCTIONS_TITLE(lang)).font = Font(bold=True, size=14)
    for row, note in enumerate(ui["notes"], start=2):
        put_text(ws.cell(row, 1), note.format(rows=DATA_ROWS))
    header_row = len(ui["notes"]) + 3
    for col, title in enumerate(ui["columns"], start=1):
        cell = put_text(ws.cell(header_row, col), title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _fill(OPTIONAL_HEADER_FILL)
    row = header_row
    for sheet in sheets:
        for field in sheet.fields:
            row += 1
            _write_instruction_row(ws, row, sheet, field, lang)
    for col, width in enumerate(INSTRUCTION_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"A{header_row + 1}"
    _set_print(ws, len(ui["columns"]), title_row=header_row, last_row=row)


def _write_instruction_row(ws: Worksheet, row: int, sheet: SheetSpec, field: FieldSpec, lang: Lang) -> None:
    ui = UI[lang]
    values = (sheet.name(lang), field.label(lang), field.help(lang),
              ui["yes"] if field.required else ui["no"], ui["types"][field.type],
              allowed_values(field, lang), _example(field, lang) or "")
    for col, value in enumerate(values, start=1):
        cell = put_text(ws.cell(row, col), value)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    # Explicit heights: not every program grows a row to fit its wrapped text.
    lines = max(-(-text_width(v) // (width - 1)) for v, width in zip(values, INSTRUCTION_WIDTHS))
    ws.row_dimensions[row].height = LINE_HEIGHT * max(lines, 1) + 3
    if field.required:
        ws.cell(row, 4).font = Font(bold=True, color=REQUIRED_HEADER_FILL)


def _example(field: FieldSpec, lang: Lang) -> str | None:
    """The field's example as a rep would type it in this language."""
    if field.example is None:
        return None
    example = str(field.example)
    for choice in field.choices:
        if choice.value == example:
            return choice.label(lang)
    return example


# Print set-up
def _set_print(ws: Worksheet, columns: int, title_row: int, last_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{title_row}:{title_row}"
    ws.print_area = f"A1:{get_column_letter(columns)}{last_row}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&A  &P / &N"


# Metadata
def _add_metadata(wb: Workbook, forms: list[FormSpec], sheets: list[SheetSpec], lang: Lang,
                  schema: Schema) -> None:
    ws = wb.create_sheet(META_SHEET)
    ws.sheet_state = "veryHidden"
    rows = [("schema_version", schema.version), ("lang", lang)]
    rows += [("form", form.key) for form in forms]
    rows += [(f"sheet:{s.key}", s.name(lang)) for s in sheets]
    for row, (key, value) in enumerate(rows, start=1):
        put_text(ws.cell(row, 1), key)
        put_text(ws.cell(row, 2), value)
    wb.defined_names[VERSION_NAME] = DefinedName(VERSION_NAME, attr_text=f'"{schema.version}"',
                                                 hidden=True)


def template_metadata(wb: Workbook) -> dict[str, str]:
    """Sheet title -> sheet key, read from each sheet's ``_xltools_form`` name.

    The names are scoped to their sheet, so they follow a sheet that was renamed or
    copied into another workbook.
    """
    found = {}
    for ws in wb.worksheets:
        name = ws.defined_names.get(FORM_NAME)
        key = _string_constant(name.attr_text) if name is not None else None
        if key:
            found[ws.title] = key
    return found


def _string_constant(formula: str | None) -> str | None:
    match = re.fullmatch(r'=?\s*"([^"]*)"\s*', formula or "")
    return match.group(1) if match else None


def _set_properties(wb: Workbook, title: str) -> None:
    props = wb.properties
    props.title = title
    props.creator = props.lastModifiedBy = "xltools"
    props.created = props.modified = BUILD_TIME


# Writing
def put_text(cell, value: object):
    """Write a constant; text that starts with '=' stays text, never a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def workbook_bytes(wb: Workbook) -> bytes:
    """The saved workbook with fixed times, so equal content gives equal bytes.

    openpyxl stamps the save time into the document properties and the zip entries;
    both are replaced by fixed times.
    """
    raw = io.BytesIO()
    wb.save(raw)
    stable = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(stable, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == CORE_PROPERTIES:
                data = _fix_modified_time(data)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    return stable.getvalue()


def _fix_modified_time(core_xml: bytes) -> bytes:
    stamp = BUILD_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", lambda m: m.group(1) + stamp, core_xml)


def _save(wb: Workbook, path: Path) -> Path:
    write_atomically(path, workbook_bytes(wb))
    return path
