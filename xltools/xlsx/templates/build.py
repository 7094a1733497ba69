"""Excel templates of the sales forms, made from the schema.

One workbook per form (file name = the form's title) plus one workbook with every
rep form. Each form sheet has a styled header whose text is exactly the field's
label, an Excel Table, dropdowns and range checks with input hints (``validation``),
highlighting of missing required cells and of overdue dates (``highlights``), a frozen
header, print set-up, an instructions sheet (``help_sheet``), and hidden metadata that
lets a reader recognise a sheet even after a rep renames it (see ``template_metadata``).
Builds are byte-for-byte reproducible (``reproducible``).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from xltools.forms.schema import FormSpec, Lang, Schema, SheetSpec, load_schema
from xltools.xlsx.templates.help_sheet import add_instructions
from xltools.xlsx.templates.highlights import (highlight_late_date, highlight_missing_required, highlight_unpaid,
                                               outline_started_rows)
from xltools.xlsx.templates.reproducible import BUILD_TIME, save_workbook
from xltools.xlsx.templates.sheet_format import (ALL_FORMS_TITLE, FIRST_DATA_ROW, FORM_NAME, LAST_DATA_ROW, META_SHEET,
                                                 OPTIONAL_HEADER_FILL, REQUIRED_HEADER_FILL, VERSION_NAME, column_width,
                                                 data_range, fill, number_format, put_text, set_print)
from xltools.xlsx.templates.validation import DropdownLists, field_validation


def build_templates(out_dir: str | Path, lang: Lang = "zh", schema: Schema | None = None) -> list[Path]:
    """Write one workbook per form and one with every rep form; return their paths."""
    schema = schema or load_schema()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for form in schema.forms:
        title = form.title(lang)
        written.append(save_workbook(template_workbook([form], lang, schema, title),
                             out_dir / template_file_name(title)))
    rep_forms = [f for f in schema.forms if not f.admin]
    title = ALL_FORMS_TITLE(lang)
    written.append(save_workbook(template_workbook(rep_forms, lang, schema, title),
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
    add_instructions(wb, sheets, lang)
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
        dv.add(data_range(col))
        ws.add_data_validation(dv)
    highlight_missing_required(ws, sheet)
    highlight_late_date(ws, sheet, lang)
    highlight_unpaid(ws, sheet)
    outline_started_rows(ws, sheet)  # last: LibreOffice applies only the first matching rule
    ws.freeze_panes = "A2"
    set_print(ws, len(sheet.fields), title_row=1, last_row=LAST_DATA_ROW)
    ws.defined_names[FORM_NAME] = DefinedName(FORM_NAME, attr_text=f'"{sheet.key}"', hidden=True)
    return ws


def _write_header(ws: Worksheet, sheet: SheetSpec, lang: Lang) -> None:
    labels = [f.label(lang) for f in sheet.fields]
    if len(set(labels)) != len(labels):
        raise ValueError(f"sheet {sheet.key}: two fields share a {lang} label")
    for col, field in enumerate(sheet.fields, start=1):
        cell = put_text(ws.cell(1, col), field.label(lang))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill(REQUIRED_HEADER_FILL if field.required else OPTIONAL_HEADER_FILL)
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
