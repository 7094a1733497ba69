"""The workbook templates and the forms reference, checked on real files."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from conftest import ROOT, require_tool
from xltools import atomic
from xltools.xlsx.docs import forms_markdown
from xltools.forms.schema import Schema, load_schema
from xltools.forms.values import text_width
from xltools.xlsx.templates import reproducible
from xltools.xlsx.templates.build import build_templates, template_file_name, template_metadata
from xltools.xlsx.templates.sheet_format import ALL_FORMS_TITLE, DATA_ROWS, INSTRUCTIONS_TITLE

COMMITTED = ROOT / "workbook_templates"
REBUILD = ("run `xltools templates build` (or `python -c \"from xltools.xlsx.templates.build import "
           "build_templates; build_templates('workbook_templates')\"`) and commit the result")
FIRST, LAST = 2, 1 + DATA_ROWS


# Helpers
def workbook_fingerprint(path: Path) -> dict:
    """Everything a template promises, as plain data: equal fingerprints, equal templates."""
    wb = openpyxl.load_workbook(path)
    props = wb.properties
    return {
        "properties": (props.title, props.creator, props.created, props.modified),
        "defined_names": sorted((n.name, n.attr_text, bool(n.hidden)) for n in wb.defined_names.values()),
        "sheet_order": wb.sheetnames,
        "sheets": {ws.title: _sheet_fingerprint(ws) for ws in wb.worksheets},
    }


def _sheet_fingerprint(ws) -> dict:
    return {
        "state": ws.sheet_state,
        "cells": [[_plain(c.value) for c in row] for row in ws.iter_rows()],
        "header_style": [(c.font.b, c.fill.fgColor.rgb) for c in ws[1]],
        "validations": {str(dv.sqref): (dv.type, dv.formula1, dv.formula2, dv.operator,
                                         dv.promptTitle, dv.prompt, dv.errorTitle, dv.error,
                                         dv.errorStyle, dv.showErrorMessage, dv.showInputMessage,
                                         dv.allow_blank)
                        for dv in ws.data_validations.dataValidation},
        "names": sorted((name, d.attr_text, bool(d.hidden)) for name, d in ws.defined_names.items()),
        "tables": sorted((t.displayName, t.ref, t.tableStyleInfo.name if t.tableStyleInfo else None)
                         for t in ws.tables.values()),
        "conditional_formats": {str(cf.sqref): [(r.type, r.formula, r.priority, _dxf(r.dxf))
                                                for r in cf.rules]
                                for cf in ws.conditional_formatting},
        "freeze_panes": ws.freeze_panes,
        "print_titles": ws.print_title_rows,
        "print_area": ws.print_area,
        "page_setup": (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth,
                       ws.page_setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage),
        "columns": sorted((key, dim.width, dim.number_format) for key, dim in ws.column_dimensions.items()),
    }


def _dxf(dxf) -> tuple:
    if dxf is None:
        return ()
    fill = dxf.fill.bgColor.rgb if dxf.fill is not None else None
    font = dxf.font.color.rgb if dxf.font is not None and dxf.font.color is not None else None
    border = dxf.border.left.style if dxf.border is not None and dxf.border.left is not None else None
    return fill, font, border


def _plain(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _differences(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: committed {a!r} != rebuilt {b!r}"]


def sheet_of(wb, key: str):
    """The worksheet holding sheet ``key``, found the way a reader finds it."""
    title = {k: t for t, k in template_metadata(wb).items()}[key]
    return wb[title]


def validation_of(ws, col: int):
    """The data validation covering the whole data range of column ``col``."""
    letter = get_column_letter(col)
    found = [dv for dv in ws.data_validations.dataValidation
             if f"{letter}{FIRST}" in dv.sqref and f"{letter}{LAST}" in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{letter}: {len(found)} validations cover rows {FIRST}-{LAST}"
    return found[0]


def list_items(wb, formula: str) -> list[str]:
    """The values of a list validation: inline ("a,b") or a range on another sheet."""
    formula = formula.lstrip("=")
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, ref = formula.rsplit("!", 1)
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    ws = wb[sheet.strip("'")]
    return [ws.cell(r, c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def expected_files(schema: Schema, lang: str) -> list[str]:
    return [template_file_name(f.title(lang)) for f in schema.forms] + [
        template_file_name(ALL_FORMS_TITLE(lang))]


@pytest.fixture(scope="module")
def built_zh(tmp_path_factory) -> list[Path]:
    return build_templates(tmp_path_factory.mktemp("templates_zh"), "zh")


@pytest.fixture(scope="module")
def built_en(tmp_path_factory) -> list[Path]:
    return build_templates(tmp_path_factory.mktemp("templates_en"), "en")


# Committed files
def test_committed_templates_match_a_rebuild(built_zh):
    committed = sorted(p.name for p in COMMITTED.glob("*.xlsx"))
    assert committed == sorted(p.name for p in built_zh), f"template files differ: {REBUILD}"
    for rebuilt in built_zh:
        diffs = _differences(workbook_fingerprint(COMMITTED / rebuilt.name), workbook_fingerprint(rebuilt))
        assert not diffs, f"{rebuilt.name} is out of date; {REBUILD}:\n" + "\n".join(diffs[:15])


def test_rebuilding_gives_identical_bytes(tmp_path):
    first = build_templates(tmp_path / "a")
    second = build_templates(tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two builds"
    with zipfile.ZipFile(first[0]) as zf:
        core = zf.read("docProps/core.xml").decode()
    assert "2024-01-01T00:00:00Z" in core and str(dt.date.today().year + 1) not in core


def test_docs_are_up_to_date():
    committed = (ROOT / "docs" / "forms.md").read_text(encoding="utf-8")
    assert committed == forms_markdown(), (
        "docs/forms.md is out of date: run `xltools templates docs` "
        "(or `python -c \"from xltools.xlsx.docs import write_docs; write_docs('docs/forms.md')\"`)")


def test_docs_describe_every_field(schema):
    text = forms_markdown()
    for form in schema.forms:
        assert f"(`{form.key}`)" in text
        for sheet in form.sheets:
            for field in sheet.fields:
                row = next(line for line in text.splitlines()
                           if line.startswith(f"| {field.label.zh} | {field.label.en} | `{field.key}` |"))
                if field.required:
                    assert "| ✓ |" in row
                for choice in field.choices:
                    assert choice.value in row
    assert "| 满意度评分 | Satisfaction (1-5) | `satisfaction` | int |  | 1–5 |" in text


# Files and sheets
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_file_per_form_plus_all_forms(schema, built_zh, built_en, lang):
    built = built_zh if lang == "zh" else built_en
    assert [p.name for p in built] == expected_files(schema, lang)
    for form, path in zip(schema.forms, built):
        wb = openpyxl.load_workbook(path)
        assert sorted(template_metadata(wb).values()) == sorted(s.key for s in form.sheets)
        assert wb.sheetnames[:len(form.sheets)] == [s.name(lang) for s in form.sheets]
        assert wb.active.title == form.sheets[0].name(lang)
    names = {p.name for p in built}
    assert {"zh": {"客户信息收集表.xlsx", "销售表单合集.xlsx"},
            "en": {"Customer information.xlsx", "All forms.xlsx"}}[lang] <= names


def test_all_forms_workbook_holds_every_rep_form_but_targets(schema, built_zh):
    wb = openpyxl.load_workbook(built_zh[-1])
    keys = list(template_metadata(wb).values())
    rep_sheets = [s.key for f in schema.forms if not f.admin for s in f.sheets]
    assert keys == rep_sheets
    assert "targets" not in keys and "decision_chain" in keys
    assert schema.form("targets").admin


# Every field of every sheet
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headers_and_validations_follow_the_schema(schema, built_zh, built_en, lang):
    for form, path in zip(schema.forms, built_zh if lang == "zh" else built_en):
        wb = openpyxl.load_workbook(path)
        for sheet in form.sheets:
            ws = sheet_of(wb, sheet.key)
            assert [c.value for c in ws[1]] == [f.label(lang) for f in sheet.fields]
            for col, field in enumerate(sheet.fields, start=1):
                check_validation(wb, validation_of(ws, col), field, lang)


def check_validation(wb, dv, field, lang):
    where = f"{field.key} ({field.type})"
    assert dv.showInputMessage and dv.promptTitle == field.label(lang), where
    assert dv.prompt == field.help(lang), where
    if field.type == "enum":
        assert dv.type == "list", where
        assert list_items(wb, dv.formula1) == [c.label(lang) for c in field.choices], where
    elif field.type in ("date", "month"):
        assert (dv.type, dv.operator) == ("date", "greaterThan"), where
    elif field.type in ("int", "number", "percent"):
        check_number_validation(dv, field, where)
    elif field.type in ("text", "phone_or_email"):
        assert dv.type is None and not dv.showErrorMessage, where  # only the input message
    if dv.type:
        assert dv.showErrorMessage and dv.error and dv.errorTitle, where
        strict = field.type in ("enum", "date", "int", "number", "percent")
        assert dv.errorStyle == ("stop" if strict else "warning"), where


def check_number_validation(dv, field, where):
    assert dv.type == ("whole" if field.type == "int" else "decimal"), where
    lo, hi = field.bounds()
    if lo is not None and hi is not None:
        assert (dv.operator, float(dv.formula1), float(dv.formula2)) == ("between", lo, hi), where
    elif lo is not None:
        operator = "greaterThan" if field.min_exclusive else "greaterThanOrEqual"
        assert (dv.operator, float(dv.formula1)) == (operator, lo), where


def test_validations_spelled_out_for_known_fields(built_zh):
    wb = openpyxl.load_workbook(built_zh[-1])
    visits, contracts, pipeline = (sheet_of(wb, k) for k in ("visits", "contracts", "pipeline"))
    satisfaction = validation_of(visits, 6)
    assert (satisfaction.type, satisfaction.operator, satisfaction.formula1, satisfaction.formula2) == (
        "whole", "between", "1", "5")
    amount = validation_of(contracts, 3)
    assert (amount.type, amount.operator, amount.formula1) == ("decimal", "greaterThan", "0")
    margin = validation_of(pipeline, 9)
    assert (margin.type, margin.formula1, margin.formula2) == ("decimal", "0", "100")
    stage = validation_of(pipeline, 6)
    assert stage.formula1 == '"1 确定,2 接触,3 有资格,4 已发展,5 已承诺,6 收回全款"'


def test_english_template_speaks_english(schema, built_en):
    wb = openpyxl.load_workbook(built_en[0])
    ws = sheet_of(wb, "customers")
    assert [c.value for c in ws[1]][:3] == ["Customer", "Industry", "Employees"]
    assert list_items(wb, validation_of(ws, 11).formula1) == ["A", "B", "C"]
    assert INSTRUCTIONS_TITLE.en in wb.sheetnames and INSTRUCTIONS_TITLE.zh not in wb.sheetnames
    objections = sheet_of(openpyxl.load_workbook(built_en[3]), "objections")
    late = [r.formula[0] for cf in objections.conditional_formatting for r in cf.rules
            if "TODAY()" in r.formula[0]]
    assert late == ['AND(ISNUMBER(H2),H2<TODAY(),$J2<>"Resolved")']


# Layout
def test_table_widths_formats_freeze_and_print(schema, built_zh):
    for form, path in zip(schema.forms, built_zh):
        wb = openpyxl.load_workbook(path)
        for sheet in form.sheets:
            ws = sheet_of(wb, sheet.key)
            last = get_column_letter(len(sheet.fields))
            assert [(t.displayName, t.ref) for t in ws.tables.values()] == [
                (sheet.table_name, f"A1:{last}{LAST}")]
            assert ws.freeze_panes == "A2"
            assert ws.print_title_rows == "$1:$1"
            assert ws.print_area == f"'{ws.title}'!$A$1:${last}${LAST}"
            setup = ws.page_setup
            assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == (
                "landscape", int(ws.PAPERSIZE_A4), 1, 0)
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            for col, field in enumerate(sheet.fields, start=1):
                check_column(ws, col, field)


def check_column(ws, col, field):
    dim = ws.column_dimensions[get_column_letter(col)]
    assert text_width(field.label.zh) + 2 <= dim.width <= 40, field.key
    expected = {"date": "yyyy-mm-dd", "month": "yyyy-mm", "int": "0"}.get(field.type)
    if field.unit == "万元":
        expected = "#,##0.00"
    elif field.type in ("text", "phone_or_email", "contract_id", "enum"):
        expected = "@"  # so 13800138000 and 15-20 stay as typed
    if expected:
        assert dim.number_format == expected, field.key


def test_required_headers_stand_out(schema, built_zh):
    wb = openpyxl.load_workbook(built_zh[-1])
    fills = {True: set(), False: set()}
    for sheet in (s for f in schema.forms if not f.admin for s in f.sheets):
        ws = sheet_of(wb, sheet.key)
        for cell, field in zip(ws[1], sheet.fields):
            assert cell.font.b
            fills[field.required].add(cell.fill.fgColor.rgb)
    assert len(fills[True]) == len(fills[False]) == 1 and fills[True] != fills[False]


def test_text_width_counts_cjk_twice():
    assert text_width("客户名称") == 8
    assert text_width("年营收(万元)") == 12
    assert text_width("Owner") == 5


# Conditional formatting
def test_missing_required_cells_are_highlighted_in_started_rows(schema, built_zh):
    wb = openpyxl.load_workbook(built_zh[-1])
    for sheet in (s for f in schema.forms if not f.admin for s in f.sheets):
        ws = sheet_of(wb, sheet.key)
        last = get_column_letter(len(sheet.fields))
        rules = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
        for col, field in enumerate(sheet.fields, start=1):
            letter = get_column_letter(col)
            formula = f"AND(COUNTA($A2:${last}2)>0,LEN(TRIM({letter}2))=0)"
            assert (formula in rules.get(f"{letter}2:{letter}{LAST}", [])) == field.required, field.key


def test_overdue_dates_are_highlighted(built_zh):
    wb = openpyxl.load_workbook(built_zh[-1])
    expected = {
        "customers": ("L2:L1001", "AND(ISNUMBER(L2),L2<TODAY())"),
        "visits": ("J2:J1001", "AND(ISNUMBER(J2),J2<TODAY())"),
        "objections": ("H2:H1001", 'AND(ISNUMBER(H2),H2<TODAY(),$J2<>"已解决")'),
        "pipeline": ("L2:L1001", 'AND(ISNUMBER(L2),L2<TODAY(),$M2<>"已成交",$M2<>"丢单",$F2<>"6 收回全款")'),
    }
    for key, (sqref, formula) in expected.items():
        ws = sheet_of(wb, key)
        late = [(str(cf.sqref), r.formula[0]) for cf in ws.conditional_formatting for r in cf.rules
                if "TODAY()" in r.formula[0]]
        assert late == [(sqref, formula)], key


# Instructions and metadata
def test_instructions_describe_every_field(schema, built_zh):
    for form, path in zip(schema.forms, built_zh):
        wb = openpyxl.load_workbook(path)
        ws = wb[INSTRUCTIONS_TITLE.zh]
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        start = rows.index(["工作表", "列名", "含义", "必填", "类型", "可填值", "示例"]) + 1
        fields = [(s, f) for s in form.sheets for f in s.fields]
        assert len(rows) - start == len(fields)
        for row, (sheet, field) in zip(rows[start:], fields):
            assert row[:4] == [sheet.name.zh, field.label.zh, field.help.zh, "是" if field.required else "否"]
            assert row[5] == expected_allowed(field), field.key
            assert row[6] == str(field.example)
        assert ws.print_title_rows == f"${start}:${start}"
        assert ws.cell(start + 1, 3).alignment.wrap_text


def expected_allowed(field):
    if field.choices:
        return "、".join(field.choice_values())
    if field.key == "satisfaction":
        return "1–5"
    if field.type == "percent":
        return "0–100"
    if field.min_exclusive:
        return "> 0"
    if field.type in ("int", "number"):
        return "≥ 0"
    return None


def test_metadata_sheet_and_names(schema, built_zh):
    wb = openpyxl.load_workbook(built_zh[1])  # needs: two sheets
    meta = wb["_xltools"]
    assert meta.sheet_state == "veryHidden"
    assert [tuple(c.value for c in row) for row in meta.iter_rows()] == [
        ("schema_version", schema.version), ("lang", "zh"), ("form", "needs"),
        ("sheet:needs", "需求分析"), ("sheet:decision_chain", "决策链")]
    assert wb.defined_names["_xltools_schema_version"].attr_text == f'"{schema.version}"'
    assert template_metadata(wb) == {"需求分析": "needs", "决策链": "decision_chain"}


def test_sheet_key_survives_renaming_a_sheet(built_zh, tmp_path):
    wb = openpyxl.load_workbook(built_zh[-1])
    wb["决策链"].title = "张三的决策链"
    wb.move_sheet("张三的决策链", offset=-2)  # a rep may also reorder sheets
    wb.save(tmp_path / "renamed.xlsx")
    metadata = template_metadata(openpyxl.load_workbook(tmp_path / "renamed.xlsx"))
    assert metadata["张三的决策链"] == "decision_chain"
    assert "决策链" not in metadata and metadata["需求分析"] == "needs"


# Edge cases of writing
def schema_with(**changes) -> Schema:
    """A one-form schema whose first field of `customers` is changed."""
    data = load_schema().to_descriptor()
    form = next(f for f in data["forms"] if f["key"] == "customers")
    form["sheets"][0]["fields"][1].update(changes)
    data["forms"] = [form]
    return Schema.from_descriptor(data)


def test_long_or_comma_lists_move_to_a_hidden_lists_sheet(tmp_path):
    choices = [f"第{i}类行业客户，含子行业" for i in range(30)]
    path = build_templates(tmp_path, "zh", schema_with(choices=choices))[0]
    wb = openpyxl.load_workbook(path)
    dv = validation_of(sheet_of(wb, "customers"), 2)
    assert dv.type == "list" and dv.formula1.startswith("'_lists'!")
    assert list_items(wb, dv.formula1) == choices
    assert wb["_lists"].sheet_state in ("hidden", "veryHidden")


def test_text_starting_with_equals_stays_text(tmp_path):
    path = build_templates(tmp_path, "zh", schema_with(example="=HYPERLINK(\"x\")"))[0]
    with zipfile.ZipFile(path) as zf:
        sheets = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in xml for xml in sheets)
    ws = openpyxl.load_workbook(path)[INSTRUCTIONS_TITLE.zh]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "客户信息收集表.xlsx"
    target.write_bytes(b"old")

    def broken(wb):
        raise OSError("disk full")

    monkeypatch.setattr(reproducible, "workbook_bytes", broken)
    with pytest.raises(OSError):
        build_templates(tmp_path)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_interrupted_replace_leaves_no_temporary_file(tmp_path, monkeypatch):
    def broken(src, dst):
        raise OSError("interrupted")

    monkeypatch.setattr(atomic.os, "replace", broken)      # the one atomic writer
    with pytest.raises(OSError):
        build_templates(tmp_path)
    assert list(tmp_path.iterdir()) == []


# LibreOffice
@pytest.mark.libreoffice
def test_dropdowns_and_sheet_keys_survive_libreoffice(schema, built_zh, libreoffice, tmp_path):
    converted = libreoffice(built_zh, "xlsx", tmp_path)
    for form, path in zip(schema.forms, converted):
        wb = openpyxl.load_workbook(path)
        assert sorted(template_metadata(wb).values()) == sorted(s.key for s in form.sheets), path.name
        for sheet in form.sheets:
            ws = sheet_of(wb, sheet.key)
            for col, field in enumerate(sheet.fields, start=1):
                if field.type == "enum":
                    dv = validation_of(ws, col)
                    assert dv.type == "list", (path.name, field.key)
                    assert list_items(wb, dv.formula1) == field.choice_values(), (path.name, field.key)


@pytest.mark.libreoffice
def test_printed_header_repeats_on_every_page(schema, built_zh, libreoffice, tmp_path):
    pdftotext = require_tool("pdftotext")
    rows = 150
    filled = [fill_rows(path, tmp_path / "filled" / path.name, form.sheets, rows)
              for form, path in zip(schema.forms, built_zh) if not form.admin]
    pdfs = libreoffice(filled, "pdf", tmp_path / "pdf")
    for form, pdf in zip((f for f in schema.forms if not f.admin), pdfs):
        pages = pdf_pages(pdftotext, pdf)
        for sheet in form.sheets:
            on_sheet = [p for p in pages if footer_sheet(p) == sheet.name.zh]
            assert len(on_sheet) >= 2, f"{pdf.name}: {sheet.key} printed on {len(on_sheet)} page(s)"
            for page in on_sheet:
                assert sheet.fields[0].label.zh in page and sheet.fields[-1].label.zh in page, (
                    f"{pdf.name}: a page of {sheet.key} lacks the header")


def fill_rows(template: Path, target: Path, sheets, rows: int) -> Path:
    """A copy of the template with `rows` rows of example values on every form sheet."""
    wb = openpyxl.load_workbook(template)
    del wb[INSTRUCTIONS_TITLE.zh]  # so every printed page belongs to a form sheet
    for sheet in sheets:
        ws = sheet_of(wb, sheet.key)
        for row in range(FIRST, FIRST + rows):
            for col, field in enumerate(sheet.fields, start=1):
                ws.cell(row, col, example_value(field, row))
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def example_value(field, row: int):
    example = field.example
    if field.type == "date":
        return dt.date.fromisoformat(str(example))
    if field.type in ("int", "number", "percent"):
        return example
    return f"{example}{row}" if field.key == "customer" else str(example)


def pdf_pages(pdftotext: str, pdf: Path) -> list[str]:
    """The text of each page, one pdftotext call per page."""
    info = subprocess.run([require_tool("pdfinfo"), str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return [subprocess.run([pdftotext, "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for page in range(1, count + 1)]


def footer_sheet(page: str) -> str | None:
    """The sheet named in the page footer ("&A  &P / &N")."""
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    match = re.fullmatch(r"(.+?)\s+\d+ / \d+", lines[-1]) if lines else None
    return match.group(1) if match else None


def test_rules_docs_are_up_to_date():
    from xltools.xlsx.docs import rules_markdown
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), "docs/rules.md is out of date: run `xltools templates docs`"


def test_rules_docs_describe_every_rule():
    from xltools.xlsx.docs import rules_markdown
    from xltools.checks.rules import RULES
    text = rules_markdown()
    for code in RULES:
        line = next(row for row in text.splitlines() if row.startswith(f"| `{code}` |"))
        assert "checked while reading" not in line, code
