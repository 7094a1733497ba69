"""Every workbook a rep's Excel or WPS can save is read: .xls, .ods and .xlsb by content, files
encrypted with Excel's default password, sheets formatted to the grid's end, workbooks with chart
and oversize sheets. Real files from real programs (LibreOffice, msoffcrypto-tool), read back."""
from __future__ import annotations

import datetime as dt
import json
import re
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference

sys.path.insert(0, str(Path(__file__).parent))

import make_broken as mb  # noqa: E402
from factory import customer, make_workbook  # noqa: E402

from xltools.xlsx.annotate import annotate  # noqa: E402
from xltools.forms.config import Config  # noqa: E402
from xltools.ingest.inbox import read_batch  # noqa: E402
from xltools.ingest.reader import read_workbook  # noqa: E402
from xltools.sample import SampleSpec, generate_inbox  # noqa: E402
from xltools.ingest.encryption import DEFAULT_PASSWORD  # noqa: E402
from xltools.ingest.sniff import sniff  # noqa: E402
from xltools.ingest.verdict import Verdict  # noqa: E402
from xltools.checks.validate import validate  # noqa: E402

TEMPLATES = Path(__file__).parent.parent / "workbook_templates"
SPEC = SampleSpec(broken_file=False)


def _seen(report) -> tuple[list, list]:
    """Findings (file stem, sheet, cell, code) and records, with the file's extension left out."""
    findings = sorted((Path(f.file).stem, f.sheet or "", f.cell or "", f.code) for f in report.findings)
    records = sorted((Path(r.file).stem, r.sheet, r.row, tuple(sorted((k, str(v)) for k, v in r.values.items())))
                     for r in report.records)
    return findings, records


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, list[Path]]:
    inbox = tmp_path_factory.mktemp("formats") / "inbox"
    return inbox, generate_inbox(inbox, SPEC).files


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_libreoffice_copies_read_like_the_xlsx_originals(sample, libreoffice, tmp_path, fmt):
    inbox, files = sample
    copies = libreoffice(files, fmt, tmp_path)
    original, converted = validate([inbox], as_of=SPEC.as_of), validate([tmp_path], as_of=SPEC.as_of)
    assert [f.status for f in converted.files] == ["ok"] * len(files)
    assert all(sniff(path).kind == fmt for path in copies)
    found, records = _seen(converted)
    assert records and records == _seen(original)[1]
    assert found and found == _seen(original)[0]


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_templates_converted_are_still_recognised_as_their_forms(libreoffice, tmp_path, fmt):
    templates = sorted(TEMPLATES.glob("*.xlsx"))
    for original, copy in zip(templates, libreoffice(templates, fmt, tmp_path)):
        forms = [s.form for s in read_workbook(original).sheets]
        assert [s.form for s in read_workbook(copy, verdict=sniff(copy)).sheets] == forms, copy.name


@pytest.mark.libreoffice
def test_annotated_copy_of_an_xls_is_an_xlsx_and_the_original_is_untouched(libreoffice, tmp_path):
    inbox = make_workbook(tmp_path / "made", {"customers": [customer("北京恒通物流有限公司", "李四", phone="12345")]},
                          "李四.xlsx").parent
    (xls,) = libreoffice([inbox / "李四.xlsx"], "xls", tmp_path / "inbox")
    before = xls.read_bytes()
    [copy] = annotate(validate([xls.parent], as_of=SPEC.as_of), tmp_path / "checked")
    assert copy == tmp_path / "checked" / "李四.xlsx" and xls.read_bytes() == before
    book = openpyxl.load_workbook(copy)
    phone = book["客户信息"]["G2"]
    assert phone.value == "12345" and "[format]" in phone.comment.text
    assert book["校验结果"]["D2"].value == "format"


@pytest.mark.libreoffice
def test_wrong_extension_is_read_by_content_with_a_note(libreoffice, tmp_path):
    original = make_workbook(tmp_path / "made", {"customers": [customer("北京恒通物流有限公司", "李四")]}, "李四.xlsx")
    # A second workbook for the .et: a byte-identical copy would be skipped as a re-sent file.
    other = make_workbook(tmp_path / "made", {"customers": [customer("北京恒通物流有限公司", "王五")]}, "王五.xlsx")
    # And a third for the .xls content: LibreOffice's .xls of 李四.xlsx has its very cells (a re-saved copy).
    third = make_workbook(tmp_path / "made", {"customers": [customer("北京恒通物流有限公司", "赵六")]}, "赵六.xlsx")
    xls, other_xls, resaved = libreoffice([third, other, original], "xls", tmp_path / "conv")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(xls, inbox / "xls内容.xlsx")
    shutil.copy(original, inbox / "xlsx内容.xls")
    shutil.copy(other_xls, inbox / "WPS.et")       # WPS saves .xls content under its own extension
    batch = read_batch([inbox])
    assert [f.status for f in batch.files] == ["ok"] * 3
    assert sorted(r.values["customer"] for r in batch.records) == ["北京恒通物流有限公司"] * 3
    notes = {f.file: f.message("en") for f in batch.findings if f.code == "file-extension-wrong"}
    assert notes == {"xls内容.xlsx": "The file is a .xls workbook named .xlsx: read as .xls",
                     "xlsx内容.xls": "The file is a .xlsx workbook named .xls: read as .xlsx"}
    # The annotated copy of an .xlsx named .xls is an .xlsx under its right name.
    [copy] = annotate(validate([inbox / "xlsx内容.xls"], as_of=SPEC.as_of), tmp_path / "checked")
    assert (inbox / "xlsx内容.xls").read_bytes() == original.read_bytes()
    assert copy.name == "xlsx内容.xlsx" and openpyxl.load_workbook(copy)["客户信息"]["A2"].value == "北京恒通物流有限公司"
    # The same cells re-saved as .xls beside the original: skipped as a re-sent copy.
    resent = tmp_path / "resent"
    resent.mkdir()
    shutil.copy(original, resent / "李四.xlsx")
    shutil.copy(resaved, resent / "李四(1).xls")
    os.utime(resent / "李四(1).xls", (0, os.stat(resent / "李四.xlsx").st_mtime + 60))
    batch = read_batch([resent])
    assert {f.path: f.status for f in batch.files} == {"李四.xlsx": "ok", "李四(1).xls": "skipped"}
    assert [(f.file, f.code) for f in batch.findings] == [("李四(1).xls", "file-duplicate")]
    assert len(batch.records) == 1


@pytest.mark.libreoffice
def test_dates_of_the_1904_date_system_are_read_in_every_format(libreoffice, tmp_path):
    path = make_workbook(tmp_path / "made", {"customers": [customer("北京恒通物流有限公司", "李四")]}, "mac.xlsx")
    book = openpyxl.load_workbook(path)
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    book.save(path)
    assert b'date1904="1"' in zipfile.ZipFile(path).read("xl/workbook.xml")
    copies = [libreoffice([path], fmt, tmp_path / fmt)[0] for fmt in ("xls", "ods")]
    for workbook in (path, *copies):
        [record] = read_workbook(workbook, verdict=sniff(workbook)).records
        assert record.values["next_follow_up"] == dt.date(2024, 4, 20), workbook.name


def test_xlsb_is_recognised_by_content(tmp_path):
    path = tmp_path / "binary.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    assert sniff(path) == Verdict(ok=True, kind="xlsb")


def test_wps_et_in_its_own_format_says_how_to_re_save(tmp_path):
    path = tmp_path / "报表.et"
    path.write_bytes(mb._compound_file({"WpsContent": b"\x00" * 16}))
    verdict = sniff(path)
    assert not verdict.ok and "WPS" in verdict.reason.en and ".xlsx" in verdict.reason.zh


# Formatted but empty cells ------------------------------------------------------------------

def _formatted_to_the_end(source: Path, target: Path) -> Path:
    """The workbook with every row formatted out to column XFD and a formatted row 1,048,576,
    written as Excel writes them: styled empty cells and a <dimension> reaching the grid's end."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name.startswith("xl/worksheets/sheet"):
                xml = data.decode()
                xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
                xml = re.sub(r'(<row r="(\d+)"[^>]*>)(.*?)</row>',
                             lambda m: f'{m.group(1)}{m.group(3)}<c r="XFA{m.group(2)}" s="0"/>'
                                       f'<c r="XFD{m.group(2)}" s="0"></c></row>', xml, flags=re.S)
                xml = xml.replace("</sheetData>", '<row r="1048576" s="0" customFormat="1">'
                                  '<c r="A1048576" s="0"/><c r="XFD1048576" s="0"/></row></sheetData>')
                data = xml.encode()
            zout.writestr(name, data)
    return target


def test_cells_formatted_to_the_grid_end_are_not_content(sample, tmp_path):
    _, files = sample
    original = files[0]
    formatted = _formatted_to_the_end(original, tmp_path / original.name)
    assert b'r="XFD1048576"' in zipfile.ZipFile(formatted).read("xl/worksheets/sheet1.xml")
    assert sniff(formatted).ok and not sniff(formatted).oversize
    assert _seen(validate([formatted], as_of=SPEC.as_of)) == _seen(validate([original], as_of=SPEC.as_of))


def test_a_value_beyond_the_limits_is_still_found_among_formatted_cells(tmp_path):
    path = mb.far_cell_xlsx(tmp_path)
    formatted = _formatted_to_the_end(path, tmp_path / "formatted_far.xlsx")
    [(part, reason)] = sniff(formatted).oversize
    assert part == "xl/worksheets/sheet1.xml" and "XFD1048576" in reason.en


# Default password ---------------------------------------------------------------------------

def _encrypt(source: Path, target: Path, password: str) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(source, "rb") as src, open(target, "wb") as out:
        OOXMLFile(src).encrypt(password, out)
    return target


def test_default_password_workbook_reads_like_the_original(sample, tmp_path):
    _, files = sample
    original = files[1]
    (tmp_path / "inbox").mkdir()
    locked = _encrypt(original, tmp_path / "inbox" / original.name, DEFAULT_PASSWORD)
    before = locked.read_bytes()
    assert sniff(locked).default_password
    assert _seen(validate([locked], as_of=SPEC.as_of)) == _seen(validate([original], as_of=SPEC.as_of))
    [copy] = annotate(validate([locked], as_of=SPEC.as_of), tmp_path / "checked")
    assert openpyxl.load_workbook(copy).sheetnames[0] == "校验结果"
    assert locked.read_bytes() == before


def test_a_real_password_is_still_refused_with_the_password_message(sample, tmp_path):
    locked = _encrypt(sample[1][1], tmp_path / "locked.xlsx", "secret")
    batch = read_batch([locked])
    assert batch.files[0].status == "unreadable"
    assert "password-protected" in batch.files[0].reason.en and "密码" in batch.files[0].reason.zh


# Limits per sheet -----------------------------------------------------------------------------

def _mixed(tmp_path: Path, far_on_form: bool = False) -> Path:
    """A customers form, a chart sheet, and a data sheet with a value at XFD1048576."""
    path = make_workbook(tmp_path / "made", {"customers": [customer("北京恒通物流有限公司", "李四"),
                                                          customer("天津瑞丰制造", "李四")]}, "李四.xlsx")
    book = openpyxl.load_workbook(path)
    dump = book.create_sheet("数据导出")
    dump.append(["编号", "数量"])
    dump.append([1, 2])
    (dump if not far_on_form else book["客户信息"])["XFD1048576"] = 1
    chart = BarChart()
    chart.add_data(Reference(dump, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    book.create_chartsheet("图表").add_chart(chart)
    book.save(path)
    return path


def test_chart_and_oversize_sheets_are_skipped_and_the_form_is_read(tmp_path):
    batch = read_batch([_mixed(tmp_path)])
    assert batch.files[0].status == "ok"
    assert [r.values["customer"] for r in batch.records] == ["北京恒通物流有限公司", "天津瑞丰制造"]
    skipped = {f.sheet: f for f in batch.findings if f.code == "sheet-skipped"}
    assert set(skipped) == {"数据导出", "图表"} and all(f.severity == "info" for f in skipped.values())
    assert "XFD1048576" in skipped["数据导出"].message("en") and "chart sheet" in skipped["图表"].message("en")
    assert "图表工作表" in skipped["图表"].message("zh")


def test_a_form_sheet_beyond_the_limits_is_read_up_to_them_with_an_error(tmp_path):
    batch = read_batch([_mixed(tmp_path, far_on_form=True)])
    assert batch.files[0].status == "ok"
    assert [r.values["customer"] for r in batch.records] == ["北京恒通物流有限公司", "天津瑞丰制造"]
    [error] = [f for f in batch.findings if f.code == "form-sheet-too-large"]
    assert error.sheet == "客户信息" and error.severity == "error" and "XFD1048576" in error.message("zh")
    assert [f.sheet for f in batch.findings if f.code == "sheet-skipped"] == ["图表"]


def test_a_long_form_sheet_keeps_its_first_rows_up_to_the_limit(tmp_path):
    rows = [customer(f"客户{i:02d}有限公司", "李四") for i in range(30)]
    path = make_workbook(tmp_path, {"customers": rows}, "李四.xlsx")
    batch = read_batch([path], config=Config(max_rows=11))
    assert [r.row for r in batch.records] == list(range(2, 12))
    assert [f.code for f in batch.findings if f.severity == "error"] == ["form-sheet-too-large"]
    assert "11 行" in next(f for f in batch.findings if f.code == "form-sheet-too-large").message("zh")


def test_a_file_with_nothing_but_a_sheet_beyond_the_limits_is_still_refused(tmp_path):
    batch = read_batch([mb.far_cell_xlsx(tmp_path)])
    assert batch.files[0].status == "unreadable"
    assert "XFD1048576" in batch.files[0].reason.en and "delete it" in batch.files[0].reason.en


# Messages ---------------------------------------------------------------------------------------

def _rewritten(source: Path, target: Path, drop: str | None = None, change: dict | None = None) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for name in zin.namelist():
            if name != drop:
                zout.writestr(name, (change or {}).get(name, zin.read(name)))
    return target


def test_parser_errors_become_sentences_with_the_technical_text_as_detail(tmp_path):
    valid = mb.valid_xlsx(tmp_path, "valid.xlsx")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _rewritten(valid, inbox / "no_rels.xlsx", drop="xl/_rels/workbook.xml.rels")
    sheet = zipfile.ZipFile(valid).read("xl/worksheets/sheet1.xml")
    bad = re.sub(rb'<c r="A1"[^>]*>.*?</c>', b'<c r="A1" t="s"><v>9999</v></c>', sheet, count=1)
    _rewritten(valid, inbox / "bad_string.xlsx", change={"xl/worksheets/sheet1.xml": bad})
    out = subprocess.run([sys.executable, "-m", "xltools", "validate", str(inbox), "--format", "json", "--lang", "en"],
                         capture_output=True, text=True)
    findings = {f["file"]: f for f in json.loads(out.stdout)["findings"]}
    unreadable, skipped = findings["no_rels.xlsx"], findings["bad_string.xlsx"]
    assert unreadable["code"] == "file-unreadable" and "damaged" in unreadable["message"]
    assert "Calamine" not in unreadable["message"] and "CalamineError" in unreadable["value"]
    assert skipped["code"] == "sheet-skipped" and "damaged" in skipped["message"]
    assert "Calamine" not in skipped["message"] and "shared strings" in skipped["value"]


def test_a_form_sheet_the_parser_fails_on_is_an_error_and_the_other_forms_are_read(tmp_path):
    path = make_workbook(tmp_path / "made", {"customers": [customer("北京恒通物流有限公司", "李四")],
                                             "visits": [{"customer": "北京恒通物流有限公司", "visitor": "李四",
                                                         "date": dt.date(2024, 4, 2)}]}, "李四.xlsx")
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    bad = re.sub(rb'<c r="A2"[^>]*>.*?</c>', b'<c r="A2" t="s"><v>9999</v></c>', sheet, count=1)
    assert bad != sheet
    batch = read_batch([_rewritten(path, tmp_path / "李四.xlsx", change={"xl/worksheets/sheet1.xml": bad})])
    [error] = [f for f in batch.findings if f.code == "form-sheet-unreadable"]
    assert error.sheet == "客户信息" and error.severity == "error" and "damaged" in error.message("en")
    assert "shared strings" in error.value and {r.sheet for r in batch.records} == {"客户回访"}
