"""A rep's own workbook: the all-forms template made personal, so names are spelled one way.

On top of the all-forms template it

- names the rep in the hidden metadata (``rep``);
- offers the rep's name (and colleagues' from the targets) in every owner column;
- offers the customers of its own 客户信息 sheet in every other 客户名称 column, through the
  defined name ``xl_customer_names`` over that sheet's customer column: a customer added
  there is offered at once; another name only warns ("先在客户信息中登记该客户");
- protects the form sheets without a password: the header stays as it is, reps still format,
  insert and delete rows, sort and filter;
- may hold rows already (the rep's customers from the store, or everything in a handout).

Programs that ignore a named-range dropdown (some WPS versions) just show no list: the cells
hold plain values and read the same.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from xltools.forms.schema import FieldSpec, Lang, Schema, SheetSpec, load_schema
from xltools.store import open_store
from xltools.store.interface import MERGED, QUARANTINED
from xltools.text import Text
from xltools.xlsx.templates.build import template_file_name, template_metadata, template_workbook
from xltools.xlsx.templates.help_sheet import NOTES as TEMPLATE_NOTES
from xltools.xlsx.templates.reproducible import save_workbook
from xltools.xlsx.templates.sheet_format import (ALL_FORMS_TITLE, FIRST_DATA_ROW, INSTRUCTIONS_TITLE, LAST_DATA_ROW,
                                                 META_SHEET, put_text)
from xltools.xlsx.templates.validation import PROMPT_LIMIT, PROMPT_TITLE_LIMIT

CUSTOMER_SHEET = "customers"
CUSTOMER_NAMES = "xl_customer_names"
REP_NAMES = "xl_rep_names"
REP_COLUMN = 4                  # on the metadata sheet, beside its key-value pairs
OWNER_KEYS = frozenset({"owner", "submitter", "visitor", "rep"})   # besides each form's own rep field

UI = {
    "register_first": Text("先在客户信息中登记该客户", "Register this customer in Customer information first"),
    "rep_list": Text("请从下拉列表选择姓名，保持写法一致", "Pick the name from the list so it is spelled one way"),
    "how_to_add": Text("新客户：先在“{sheet}”表末尾新增一行填写客户名称，其它表的“客户名称”下拉列表随即列出它。",
                       "New customer: add a row at the end of \"{sheet}\" first; the Customer dropdown of "
                       "every other sheet lists it at once."),
}


def personal_file_name(rep: str, lang: Lang = "zh") -> str:
    return template_file_name(f"{ALL_FORMS_TITLE(lang)}-{rep}")


def personal_workbook(rep: str, lang: Lang = "zh", colleagues: Iterable[str] = (),
                      rows: Mapping[str, list[dict[str, Any]]] | None = None,
                      schema: Schema | None = None) -> Workbook:
    """The all-forms workbook of ``rep``, holding ``rows`` (sheet key -> field values) if given."""
    schema = schema or load_schema()
    forms = [f for f in schema.forms if not f.admin]
    wb = template_workbook(forms, lang, schema, f"{ALL_FORMS_TITLE(lang)} {rep}")
    sheets = {key: wb[title] for title, key in template_metadata(wb).items()}
    customers = schema.sheets[CUSTOMER_SHEET]
    _define_customer_names(wb, sheets[CUSTOMER_SHEET], customers)
    _define_rep_names(wb, [rep, *colleagues])
    for key, ws in sheets.items():
        spec = schema.sheets[key]
        for col, field in enumerate(spec.fields, start=1):
            if field.key in OWNER_KEYS or field.key == spec.rep_field:
                _replace_validation(ws, col, _list_validation(field, lang, REP_NAMES, "rep_list"))
            elif field.key == spec.customer_field and key != CUSTOMER_SHEET:
                _replace_validation(ws, col, _list_validation(field, lang, CUSTOMER_NAMES, "register_first"))
        write_rows(ws, spec, (rows or {}).get(key, ()), lang)
        protect(ws, len(spec.fields))
    _name_rep(wb, rep)
    _explain_customers(wb, customers, lang)
    return wb


def build_personal(out_dir: str | Path, reps: Iterable[str] = (), lang: Lang = "zh", store: str | Path | None = None,
                   reps_from: str | Path | None = None) -> list[Path]:
    """Write the personal workbook of each rep into ``out_dir``; return their paths.

    :param store: offer colleagues' names from it and fill 客户信息 with each rep's current customers.
    :param reps_from: a store whose every rep gets a workbook (besides ``reps``).
    """
    reps, colleagues, customers = list(reps), [], {}
    if reps_from:
        with contextlib.closing(open_store(reps_from, read_only=True)) as db:
            reps += reps_of(db)
    if store:
        with contextlib.closing(open_store(store, read_only=True)) as db:
            colleagues = reps_of(db)
            frame = current_rows(db)[CUSTOMER_SHEET]
            customers = {rep: {CUSTOMER_SHEET: frame_values(frame[frame["_rep"] == rep], db.schema.sheets[CUSTOMER_SHEET])}
                         for rep in reps}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [save_workbook(personal_workbook(rep, lang, colleagues, customers.get(rep)), out_dir / personal_file_name(rep, lang))
            for rep in dict.fromkeys(reps)]


# Dropdowns
def _define_customer_names(wb: Workbook, ws: Worksheet, spec: SheetSpec) -> None:
    # The whole data range, not a structured reference: LibreOffice and WPS keep a plain range.
    col = get_column_letter(list(spec.field_map).index(spec.customer_field) + 1)
    wb.defined_names[CUSTOMER_NAMES] = DefinedName(
        CUSTOMER_NAMES, attr_text=f"{quote_sheetname(ws.title)}!${col}${FIRST_DATA_ROW}:${col}${LAST_DATA_ROW}")


def _define_rep_names(wb: Workbook, names: list[str]) -> None:
    """The names in a column of the metadata sheet: no length limit, commas allowed."""
    ws = wb[META_SHEET]
    names = list(dict.fromkeys(n for n in names if n))
    for row, name in enumerate(names, start=1):
        put_text(ws.cell(row, REP_COLUMN), name)
    col = get_column_letter(REP_COLUMN)
    wb.defined_names[REP_NAMES] = DefinedName(
        REP_NAMES, attr_text=f"{quote_sheetname(META_SHEET)}!${col}$1:${col}${len(names)}")


def _list_validation(field: FieldSpec, lang: Lang, source: str, error_key: str) -> DataValidation:
    """A list that warns rather than stops: a new colleague or customer is still possible."""
    return DataValidation(type="list", formula1=source, allow_blank=True, showDropDown=False,
                          showInputMessage=True, promptTitle=field.label(lang)[:PROMPT_TITLE_LIMIT],
                          prompt=field.help(lang)[:PROMPT_LIMIT], showErrorMessage=True,
                          errorStyle="warning", errorTitle=field.label(lang)[:PROMPT_TITLE_LIMIT],
                          error=UI[error_key](lang))


def _replace_validation(ws: Worksheet, col: int, dv: DataValidation) -> None:
    letter = get_column_letter(col)
    cells = f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_DATA_ROW}"
    ws.data_validations.dataValidation = [v for v in ws.data_validations.dataValidation
                                          if str(v.sqref) != cells]
    dv.add(cells)
    ws.add_data_validation(dv)


# Rows
def write_rows(ws: Worksheet, spec: SheetSpec, rows: Iterable[Mapping[str, Any]], lang: Lang) -> None:
    """Field values as a rep would type them: choices as this language's label, text never a formula."""
    for r, values in enumerate(rows, start=FIRST_DATA_ROW):      # past the Table's end too: all are read
        for col, field in enumerate(spec.fields, start=1):
            value = values.get(field.key)
            if value is not None and value == value:        # NaN from a data frame is empty
                put_text(ws.cell(r, col), _typed(field, value, lang))


def _typed(field: FieldSpec, value: Any, lang: Lang) -> Any:
    if field.type == "enum":
        return next((c.label(lang) for c in field.choices if c.value == value), value)
    if field.type == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if hasattr(value, "item"):                              # numpy scalars from a data frame
        value = value.item()
    if isinstance(value, float) and value.is_integer():    # stored as REAL; typed as 6, not 6.0
        return int(value)
    return value


# Protection
def protect(ws: Worksheet, columns: int) -> None:
    """Lock the header only; formatting, rows, sorting and filtering stay allowed (no password)."""
    for col in range(1, columns + 1):
        ws.column_dimensions[get_column_letter(col)].protection = Protection(locked=False)
        for row in range(FIRST_DATA_ROW, ws.max_row + 1):
            ws.cell(row, col).protection = Protection(locked=False)
    ws.protection = SheetProtection(sheet=True, formatCells=False, formatColumns=False, formatRows=False,
                                    insertRows=False, deleteRows=False, sort=False, autoFilter=False,
                                    selectLockedCells=False, selectUnlockedCells=False)


# Metadata and instructions
def _name_rep(wb: Workbook, rep: str) -> None:
    ws = wb[META_SHEET]
    row = ws.max_row + 1
    put_text(ws.cell(row, 1), "rep")
    put_text(ws.cell(row, 2), rep)
    ws.protection = SheetProtection(sheet=True)


def workbook_rep(wb: Workbook) -> str | None:
    """The rep a personal workbook names in its metadata, if any."""
    if META_SHEET not in wb.sheetnames:
        return None
    ws = wb[META_SHEET]
    return next((str(v) for k, v in ws.iter_rows(min_col=1, max_col=2, values_only=True) if k == "rep"), None)


def _explain_customers(wb: Workbook, customers: SheetSpec, lang: Lang) -> None:
    # The empty row between the template's notes and the field table.
    row = len(TEMPLATE_NOTES) + 2
    put_text(wb[INSTRUCTIONS_TITLE(lang)].cell(row, 1), UI["how_to_add"](lang).format(sheet=customers.name(lang)))


# From the store
def current_rows(db, inbox: str | None = None) -> dict[str, pd.DataFrame]:
    """Each rep form's current rows (merged or quarantined), in the order they were first seen.

    :param inbox: only the rows of this inbox's files (as the store names the inbox).
    """
    frames = {}
    for form in db.schema.forms:
        if form.admin:
            continue
        for spec in form.sheets:
            frame = db.frame(spec.key, statuses=(MERGED, QUARANTINED))
            if inbox is not None:
                ids = {s.id for s in db.files().values() if s.inbox == inbox}
                frame = frame[frame["_file_id"].isin(ids)]
            frames[spec.key] = frame.sort_values("_first_seen", kind="stable")
    return frames


def reps_of(db) -> list[str]:
    """Every rep the store knows: those of the targets first, then those who sent rows."""
    names = list(db.frame("targets")["rep"].dropna()) if "targets" in db.schema.sheets else []
    for frame in current_rows(db).values():
        names += list(frame["_rep"].dropna())
    return list(dict.fromkeys(str(n) for n in names))


def row_values(row: Mapping[str, Any], spec: SheetSpec) -> dict[str, Any]:
    """A stored row's field values, with the text of cells that could not be read put back."""
    values = {f.key: row.get(f.key) for f in spec.fields}
    if isinstance(row.get("_unread"), str):
        values.update((key, _number_or_text(spec.field(key), text)) for key, text in json.loads(row["_unread"]).items())
    return values


def _number_or_text(field: FieldSpec, text: str) -> Any:
    """An out-of-range number kept as text ("6.0") goes back as the number it was."""
    if field.type in ("int", "number", "percent"):
        with contextlib.suppress(ValueError):
            return float(text)
    return text


def frame_values(frame: pd.DataFrame, spec: SheetSpec) -> list[dict[str, Any]]:
    """The field values of a frame's rows, in its order."""
    return [row_values(row, spec) for row in frame.to_dict("records")]
