"""The pre-sale visit form (拜访客户详细资料表) and the weekly plan (每周工作计划表): templates that survive
LibreOffice with their dropdowns, and rows read back as they were typed."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).parent))
from test_templates import fill_rows, list_items, sheet_of, validation_of  # noqa: E402

from xltools.ingest.reader import read_workbook  # noqa: E402
from xltools.forms.schema import load_schema  # noqa: E402
from xltools.xlsx.templates.build import template_workbook  # noqa: E402

FORMS = ("presale_visits", "weekly_plan")


@pytest.mark.libreoffice
@pytest.mark.parametrize("key", FORMS)
def test_the_new_forms_round_trip_through_libreoffice(key, tmp_path, libreoffice):
    form = load_schema().form(key)
    [sheet] = form.sheets
    blank = tmp_path / f"{form.title.zh}.xlsx"
    template_workbook([form]).save(blank)
    filled = fill_rows(blank, tmp_path / "filled" / blank.name, [sheet], rows=2)
    converted, = libreoffice([filled], "xlsx", tmp_path / "lo")
    wb = load_workbook(converted)
    for col, field in enumerate(sheet.fields, start=1):
        if field.type == "enum":
            assert list_items(wb, validation_of(sheet_of(wb, key), col).formula1) == field.choice_values()
    result = read_workbook(converted)
    assert [r.form for r in result.records] == [key, key]
    assert not [f for f in result.findings if f.severity == "error"]
    first = result.records[0].values
    for field in sheet.fields:
        expected = field.example if field.type != "date" else dt.date.fromisoformat(str(field.example))
        assert str(first[field.key]).startswith(str(expected)), field.key   # customer names carry the row number
