"""Macro-enabled workbooks: VBA project, button macros and form buttons, checked without Excel.

The macros are read back with oletools (not with the writer), the buttons from the package's
XML, LibreOffice opens the result and binds the buttons, and pyOpenVBA's VBA interpreter
"presses" each button with RunPython stubbed.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.worksheet.datavalidation import DataValidation

from xltools.xlsx import vba

xlwings = pytest.importorskip("xlwings", reason="needs the live extra: pip install 'xltools[live]'")

# Spelled out rather than derived: these are the commands the Python side must provide.
COMMANDS = {
    "RefreshSummary": "import xltools.excel as x; x.refresh_summary()",
    "RefreshSummaryOnly": "import xltools.excel as x; x.rollup_only()",
    "ValidateInbox": "import xltools.excel as x; x.validate_inbox()",
    "MergeInbox": "import xltools.excel as x; x.merge_inbox()",
    "CheckSetup": "import xltools.excel as x; x.check_setup()",
}
SHEET = "设置"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").strip().split("\n")


def code_lines(text: str) -> list[str]:
    """The lines of a module without the export header (VERSION block, Attribute lines) the VBE adds."""
    header = re.compile(r"^(VERSION \d|BEGIN$|  MultiUse = |END$|Attribute VB_)")
    return [line for line in lines(text) if not header.match(line)]


def subs(source: str) -> list[str]:
    """Every Sub/Function declaration line of a module."""
    return re.findall(r"^\s*(?:Public |Private )?(?:Sub|Function) .*$", source, re.M)


def openpyxl_book(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active["A1"] = "按按钮运行 xltools"
    settings = book.create_sheet(SHEET)
    settings["A1"], settings["B1"] = "季度", "2024Q1"
    choice = DataValidation(type="list", formula1='"2024Q1,2024Q2"')
    settings.add_data_validation(choice)
    choice.add("B1")
    book.save(path)
    return path


@pytest.fixture(scope="module", params=sorted(vba.BUTTONS), ids=["summary", "console"])
def built(request, tmp_path_factory):
    """(workbook title, its buttons, the .xlsm) for each of the two workbooks."""
    title = request.param
    folder = tmp_path_factory.mktemp("xlsm")
    xlsx = openpyxl_book(folder / "in.xlsx")
    xlsm = vba.add_vba_and_buttons(xlsx, folder / f"{title}.xlsm", vba.BUTTONS[title], SHEET)
    return title, vba.BUTTONS[title], xlsm


def test_button_table_matches_the_issue():
    assert {title: [(caption, macro) for caption, macro, _ in buttons] for title, buttons in vba.BUTTONS.items()} == {
        "销售汇总": [("刷新汇总", "RefreshSummary"), ("仅刷新汇总", "RefreshSummaryOnly"), ("检查设置", "CheckSetup")],
        "合并控制台": [("校验", "ValidateInbox"), ("合并", "MergeInbox"), ("检查设置", "CheckSetup")],
    }
    assert {macro: vba.runpython_command(entry) for buttons in vba.BUTTONS.values()
            for _, macro, entry in buttons} == COMMANDS


def test_macro_file_is_readable_ascii_with_one_runpython_line_per_macro():
    source = vba.MACRO_FILE.read_bytes().decode("ascii")
    assert source == vba.macro_source()
    assert vba.macro_commands(source) == COMMANDS
    assert subs(source) == [f"Public Sub {macro}()" for macro in COMMANDS]
    assert source.count("RunPython ") == len(COMMANDS)


def test_xlwings_version_is_read_from_its_module():
    modules = vba.xlwings_modules()
    assert set(modules) == {"xlwings", "Dictionary"}
    assert vba.xlwings_vba_version(modules["xlwings"]) == xlwings.__version__
    assert vba.xlwings_vba_version("Attribute VB_Name = \"x\"\n'Version: 1.2.3\n") == "1.2.3"
    with pytest.raises(ValueError):
        vba.xlwings_vba_version(vba.macro_source())


def test_package_is_macro_enabled_with_a_project_relationship(built):
    _, _, xlsm = built
    with zipfile.ZipFile(xlsm) as package:
        types = package.read("[Content_Types].xml").decode()
        rels = package.read("xl/_rels/workbook.xml.rels").decode()
        assert "xl/vbaProject.bin" in package.namelist()
    assert re.search(rf'PartName="/xl/workbook.xml" ContentType="{re.escape(XLSM_MAIN)}"', types)
    assert re.search(rf'Type="{VBA_REL}" Target="vbaProject.bin"', rels)


def test_olevba_reads_our_module_with_exact_runpython_lines(built):
    _, buttons, xlsm = built
    module = vba.read_macros(xlsm)[vba.MODULE_NAME]
    assert lines(module) == lines(vba.macro_source())
    for _, macro, _ in buttons:
        body = re.search(rf"^Public Sub {macro}\(\)\r?\n(.*?)\r?\nEnd Sub", module, re.M | re.S)
        assert body, macro
        assert body.group(1).strip() == f'RunPython "{COMMANDS[macro]}"'
    assert all(re.fullmatch(r"Public Sub \w+\(\)", line.strip()) for line in subs(module))


def test_olevba_reads_xlwings_standalone_modules_of_the_installed_version(built):
    _, _, xlsm = built
    modules = vba.read_macros(xlsm)
    assert vba.xlwings_vba_version(modules["xlwings"]) == xlwings.__version__
    for name, source in vba.xlwings_modules().items():
        assert code_lines(modules[name]) == code_lines(source), name
    assert re.search(r"^Public Function RunPython\(", modules["xlwings"], re.M)


def test_each_caption_is_bound_to_its_macro(built):
    _, buttons, xlsm = built
    assert vba.read_buttons(xlsm) == [(SHEET, caption, macro) for caption, macro, _ in buttons]


def test_buttons_are_excel_2010_form_controls(built):
    """Besides the VML, Excel 2010+ reads <controls> in the sheet and a ctrlProps part per button."""
    _, buttons, xlsm = built
    with zipfile.ZipFile(xlsm) as package:
        sheet = package.read("xl/worksheets/sheet2.xml").decode()
        props = [package.read(name).decode() for name in package.namelist() if name.startswith("xl/ctrlProps/")]
    assert re.findall(r'<controlPr\b[^>]*\bmacro="\[0\]!(\w+)"', sheet) == [macro for _, macro, _ in buttons]
    assert len(props) == len(buttons) and all('objectType="Button"' in part for part in props)


def test_contradicting_button_parts_are_reported(built, tmp_path):
    _, buttons, xlsm = built
    tampered = tmp_path / "tampered.xlsm"
    with zipfile.ZipFile(xlsm) as old, zipfile.ZipFile(tampered, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename.endswith(".vml"):
                data = data.replace(f"!{buttons[0][1]}<".encode(), b"!Elsewhere<")
            new.writestr(info, data)
    with pytest.raises(ValueError, match="Elsewhere"):
        vba.read_buttons(tampered)


def test_pressing_each_button_hands_its_command_to_runpython(built):
    """pyOpenVBA's interpreter runs the macro each button names, with RunPython stubbed to print."""
    from pyopenvba.apps.excel import ExcelApplication

    _, buttons, xlsm = built
    app = ExcelApplication.open(xlsm, with_vba=False)  # xlwings' module needs real Excel and Python
    app.add_module(vba.read_macros(xlsm)[vba.MODULE_NAME], name=vba.MODULE_NAME)
    app.add_module("Public Function RunPython(PythonCommand As String)\n"
                   "    Debug.Print PythonCommand\nEnd Function\n", name="xlwings")
    shapes = app.sheet(SHEET).shapes()
    assert [(shape.text, shape.macro) for shape in shapes] == [(c, m) for c, m, _ in buttons]
    for shape in shapes:
        app.run(shape.macro)
    assert app.console == [COMMANDS[macro] for _, macro, _ in buttons]


def test_build_is_reproducible(tmp_path):
    xlsx = openpyxl_book(tmp_path / "in.xlsx")
    buttons = vba.BUTTONS["销售汇总"]
    first = vba.add_vba_and_buttons(xlsx, tmp_path / "a.xlsm", buttons, SHEET).read_bytes()
    second = vba.add_vba_and_buttons(xlsx, tmp_path / "b.xlsm", buttons, SHEET).read_bytes()
    assert first == second
    assert vba.build_vba_project() == vba.build_vba_project()


def test_vba_project_alone_holds_xlwings_and_our_module(tmp_path):
    project = tmp_path / "vbaProject.bin"
    project.write_bytes(vba.build_vba_project())
    modules = vba.read_macros(project)
    assert {"ThisWorkbook", "Sheet1", "xlwings", "Dictionary", vba.MODULE_NAME} <= set(modules)
    assert vba.xlwings_vba_version(modules["xlwings"]) == xlwings.__version__


def test_xlsxwriter_workbook_gets_buttons_too(tmp_path):
    xlsx = tmp_path / "xw.xlsx"
    book = xlsxwriter.Workbook(str(xlsx))
    book.add_worksheet("说明").write("A1", "说明")
    book.add_worksheet(SHEET).write_formula("A1", "=1+1")
    book.close()
    xlsm = vba.add_vba_and_buttons(xlsx, tmp_path / "xw.xlsm", vba.BUTTONS["合并控制台"], SHEET, anchor="D5")
    assert vba.read_buttons(xlsm) == [(SHEET, "校验", "ValidateInbox"), (SHEET, "合并", "MergeInbox"),
                                      (SHEET, "检查设置", "CheckSetup")]
    assert vba.MODULE_NAME in vba.read_macros(xlsm)


def test_refuses_buttons_without_a_matching_macro_and_missing_sheets(tmp_path):
    xlsx = openpyxl_book(tmp_path / "in.xlsx")
    with pytest.raises(ValueError, match="NoSuchMacro"):
        vba.add_vba_and_buttons(xlsx, tmp_path / "x.xlsm", [("?", "NoSuchMacro", "refresh_summary")], SHEET)
    with pytest.raises(ValueError, match="MergeInbox"):
        vba.add_vba_and_buttons(xlsx, tmp_path / "x.xlsm", [("?", "MergeInbox", "refresh_summary")], SHEET)
    with pytest.raises(KeyError, match="没有"):
        vba.add_vba_and_buttons(xlsx, tmp_path / "x.xlsm", vba.BUTTONS["合并控制台"], "没有")


@pytest.mark.libreoffice
def test_libreoffice_opens_the_workbook_and_binds_each_button(built, libreoffice, tmp_path):
    _, buttons, xlsm = built
    (pdf,) = libreoffice([xlsm], "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    (ods,) = libreoffice([xlsm], "ods", tmp_path)
    with zipfile.ZipFile(ods) as package:
        content = package.read("content.xml").decode()
    bound = []  # (caption, macro URL) of each button LibreOffice made, in sheet order
    for button in re.findall(r"<form:button\b.*?</form:button>", content, re.S):
        label = re.search(r'form:label="([^"]*)"', button)
        href = re.search(r'form:performaction"[^>]*xlink:href="([^"]*)"', button)
        bound.append((label and label.group(1), href and href.group(1).replace("&amp;", "&")))
    assert bound == [(caption, f"vnd.sun.star.script:VBAProject.{vba.MODULE_NAME}.{macro}"
                               "?language=Basic&location=document") for caption, macro, _ in buttons]


def test_vba_project_stream_is_the_specified_seven_bytes_without_a_cache(built):
    """MS-OVBA 2.3.4.1: 0x61CC, version 0xFFFF, 0x00, 0x0000; olevba still reads every module."""
    import olefile

    *_, xlsm = built
    with zipfile.ZipFile(xlsm) as package:
        project = olefile.OleFileIO(package.read(vba.VBA_PART))
    try:
        stream = project.openstream("VBA/_VBA_PROJECT").read()
    finally:
        project.close()
    assert stream == b"\xcc\x61\xff\xff\x00\x00\x00"
    assert code_lines(vba.read_macros(xlsm)[vba.MODULE_NAME]) == code_lines(vba.macro_source())
    alone = olefile.OleFileIO(vba.build_vba_project())
    assert alone.openstream("VBA/_VBA_PROJECT").read() == stream
