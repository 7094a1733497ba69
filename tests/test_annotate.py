"""Annotated copies: highlighted cells with comments and a 校验结果 sheet; inputs untouched."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from factory import make_workbook  # noqa: E402

from xltools.xlsx.annotate import FILLS, annotate  # noqa: E402
from xltools.checks.validate import validate  # noqa: E402


def bad_inbox(tmp_path):
    inbox = tmp_path / "inbox"
    make_workbook(inbox, {"customers": [
        {"customer": "华络通信", "contact": "王明", "phone": "12345", "owner": "张三", "grade": "A类",
         "next_follow_up": dt.date(2024, 3, 1)},
        {"customer": "=HYPERLINK(\"http://x\")", "contact": "李雷", "phone": "13800138000", "owner": "张三", "grade": "B类"},
    ]}, "张三.xlsx")
    return inbox


def test_annotated_copy_marks_every_finding_and_lists_it(tmp_path):
    inbox = bad_inbox(tmp_path)
    source = inbox / "张三.xlsx"
    before = source.read_bytes()
    report = validate([inbox], as_of=dt.date(2024, 4, 1))
    [copy] = annotate(report, tmp_path / "checked")
    assert copy == tmp_path / "checked" / "张三.xlsx"
    assert source.read_bytes() == before
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames[0] == "校验结果"
    ws = book["客户信息"]
    phone = ws["G2"]                           # 联系方式 is column G of the customers form
    assert phone.fill.fgColor.rgb.endswith(FILLS["error"].fgColor.rgb[-6:])
    assert "[format]" in phone.comment.text and "联系方式" in phone.comment.text
    follow = ws["L2"]
    assert follow.fill.fgColor.rgb.endswith(FILLS["warning"].fgColor.rgb[-6:])
    results = book["校验结果"]
    rows = list(results.iter_rows(min_row=2, values_only=True))
    shown = [f for f in report.findings if f.severity != "info"]
    assert [(r[1], r[2], r[3]) for r in rows] == [(f.sheet, f.cell, f.code) for f in shown]
    link = next(c for c in results["C"][1:] if c.value == "G2")
    assert link.hyperlink.location == "'客户信息'!G2" or link.hyperlink.target == "#'客户信息'!G2"


def test_annotated_copy_keeps_formula_text_as_text(tmp_path):
    report = validate([bad_inbox(tmp_path)], as_of=dt.date(2024, 4, 1))
    [copy] = annotate(report, tmp_path / "checked", "en")
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames[0] == "Validation results"
    assert book["客户信息"]["A3"].data_type == "s"
    for row in book["Validation results"].iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in row)


@pytest.mark.libreoffice
def test_annotated_copy_opens_in_libreoffice_with_its_results(tmp_path, libreoffice):
    report = validate([bad_inbox(tmp_path)], as_of=dt.date(2024, 4, 1))
    [copy] = annotate(report, tmp_path / "checked")
    [pdf] = libreoffice([copy], "pdf", tmp_path / "pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "format" in text and "联系方式" in text and "12345" in text
