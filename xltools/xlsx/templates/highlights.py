"""The template sheets' conditional formatting: a grid on filled rows, missing required cells, dates that
fell due and instalments not fully received."""
from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xltools.forms.schema import Lang, SheetSpec, vocabulary
from xltools.xlsx.templates.sheet_format import (FIRST_DATA_ROW, GRID_COLOR, LAST_DATA_ROW, LATE_FILL, LATE_FONT,
                                                 MISSING_FILL, MISSING_FONT, data_range, fill)

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


def _started_row(sheet: SheetSpec) -> str:
    """Formula part: the row has any value (relative to the first data row)."""
    last = get_column_letter(len(sheet.fields))
    return f"COUNTA($A{FIRST_DATA_ROW}:${last}{FIRST_DATA_ROW})>0"


def outline_started_rows(ws: Worksheet, sheet: SheetSpec) -> None:
    """Thin borders on filled rows only: the printout gets a grid, empty rows stay blank."""
    last = get_column_letter(len(sheet.fields))
    side = Side(style="thin", color=GRID_COLOR)
    rule = FormulaRule(formula=[_started_row(sheet)],
                       border=Border(left=side, right=side, top=side, bottom=side))
    ws.conditional_formatting.add(f"A{FIRST_DATA_ROW}:{last}{LAST_DATA_ROW}", rule)


def highlight_missing_required(ws: Worksheet, sheet: SheetSpec) -> None:
    for col, field in enumerate(sheet.fields, start=1):
        if not field.required:
            continue
        cell = f"{get_column_letter(col)}{FIRST_DATA_ROW}"
        rule = FormulaRule(formula=[f"AND({_started_row(sheet)},LEN(TRIM({cell}))=0)"],
                           fill=fill(MISSING_FILL), font=Font(color=MISSING_FONT))
        ws.conditional_formatting.add(data_range(col), rule)


def highlight_late_date(ws: Worksheet, sheet: SheetSpec, lang: Lang) -> None:
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
    rule = FormulaRule(formula=[f"AND({','.join(conditions)})"], fill=fill(LATE_FILL),
                       font=Font(color=LATE_FONT))
    ws.conditional_formatting.add(data_range(columns[date_key]), rule)


def highlight_unpaid(ws: Worksheet, sheet: SheetSpec) -> None:
    if sheet.key not in DUE_AMOUNTS:
        return
    columns = {f.key: idx for idx, f in enumerate(sheet.fields, start=1)}
    date_key, due_key, received_key = DUE_AMOUNTS[sheet.key]
    date, due, received = (f"${get_column_letter(columns[k])}{FIRST_DATA_ROW}"
                           for k in (date_key, due_key, received_key))
    rule = FormulaRule(formula=[f"AND(ISNUMBER({date}),{date}<TODAY(),N({received})<N({due}))"],
                       fill=fill(LATE_FILL), font=Font(color=LATE_FONT))
    ws.conditional_formatting.add(data_range(columns[date_key]), rule)
