"""Macro-enabled xltools workbooks with form buttons, built without Excel.

Managers run xltools from buttons in two workbooks: 销售汇总.xlsm and 合并控制台.xlsm.
Each button is a Forms button bound to a public, argument-less macro of the module
``xltools_buttons``, whose source is the readable text ``xltools/xlsx/macros/xltools_buttons.bas``.
Every macro is one ``RunPython "import xltools.excel as x; x.<entry>()"`` line, and
``RunPython`` comes from xlwings' standalone VBA module, embedded in the workbook so that
no xlwings add-in has to be installed.

The VBA project is made at build time from text only: xlwings' modules are taken from the
installed xlwings package (the files ``xlwings quickstart --standalone`` and
``xlwings release`` embed), so the workbook always matches the xlwings version Python
runs. pyOpenVBA writes the project (vbaProject.bin) and the buttons' drawing, VML and
control-properties parts; its ``_VBA_PROJECT`` stream is then rewritten in the 7-byte form
MS-OVBA specifies for writers other than Office. Nothing binary is kept in the repository.

Reading back is deliberately independent of the writer: ``read_macros`` uses oletools'
olevba and ``read_buttons`` parses the package's XML parts itself.
"""
from __future__ import annotations

import importlib.util
from importlib import resources
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

from xltools.ingest.package import relationships, worksheets
from xltools.xlsx import ooxml

BUTTONS: dict[str, list[tuple[str, str, str]]] = {
    "销售汇总": [("刷新汇总", "RefreshSummary", "refresh_summary"),
                ("仅刷新汇总", "RefreshSummaryOnly", "rollup_only"),
                ("检查设置", "CheckSetup", "check_setup")],
    "合并控制台": [("校验", "ValidateInbox", "validate_inbox"),
                  ("合并", "MergeInbox", "merge_inbox"),
                  ("检查设置", "CheckSetup", "check_setup")],
}

MODULE_NAME = "xltools_buttons"
MACRO_FILE = resources.files(__package__) / "macros" / f"{MODULE_NAME}.bas"   # package data: works from a wheel

# What a standalone workbook embeds instead of the add-in: the same two files that
# `xlwings quickstart --standalone` ships and `xlwings release` imports.
XLWINGS_STANDALONE_FILES = {"xlwings": "xlwings.bas", "Dictionary": "addin/Dictionary.cls"}

XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_PART = "xl/vbaProject.bin"
# MS-OVBA 2.3.4.1: what a writer other than Office writes as the _VBA_PROJECT stream: reserved 0x61CC,
# version 0xFFFF, 0x00, reserved 0x0000 and no performance cache, so Office compiles from source on open
# instead of trusting a cache (pyOpenVBA leaves a zeroed one of the version it copied).
VBA_PROJECT_STREAM = bytes.fromhex("cc61ffff000000")

BUTTON_WIDTH, BUTTON_HEIGHT, BUTTON_GAP = 120.0, 28.0, 8.0  # points

# Zip entry times are fixed so that the same input gives the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_NS = {
    "main": ooxml.MAIN_NS,
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "x": "urn:schemas-microsoft-com:office:excel",
}


# --- sources -------------------------------------------------------------------------------


def macro_source() -> str:
    """The text of xlsx/macros/xltools_buttons.bas."""
    return MACRO_FILE.read_text(encoding="ascii")


def runpython_command(entry: str) -> str:
    """The Python that a button for ``xltools.excel.<entry>`` hands to RunPython."""
    return f"import xltools.excel as x; x.{entry}()"


def macro_commands(source: str) -> dict[str, str]:
    """Macro name -> RunPython command, for the one-line public macros in ``source``."""
    pattern = re.compile(r'^Public Sub (\w+)\(\)\s*\n\s*RunPython "([^"\n]*)"\s*\n\s*End Sub\s*$', re.M)
    return dict(pattern.findall(_lf(source)))


def _xlwings_dir() -> Path:
    # Located without importing xlwings: importing it has side effects this build does not need.
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("xlwings is not installed; it supplies the VBA behind RunPython")
    return Path(next(iter(spec.submodule_search_locations)))


def xlwings_modules() -> dict[str, str]:
    """Module name -> VBA source of xlwings' standalone modules, from the installed xlwings."""
    root = _xlwings_dir()
    return {name: (root / file).read_text(encoding="utf-8")
            for name, file in XLWINGS_STANDALONE_FILES.items()}


def xlwings_vba_version(source: str) -> str:
    """The xlwings version that a copy of the xlwings VBA module declares (its ``'Version:`` line)."""
    found = re.search(r"^'Version:\s*(\S+)", source, re.M)
    if found is None:
        raise ValueError("no 'Version: line: not xlwings' VBA module")
    return found.group(1)


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _crlf(text: str) -> str:
    # The VBA editor stores and exports source with CRLF line ends.
    return _lf(text).replace("\n", "\r\n")


# --- writing ---------------------------------------------------------------------------------


def build_vba_project() -> bytes:
    """vbaProject.bin with xlwings' standalone modules and xltools_buttons.

    It is the project of a one-sheet workbook (document modules ThisWorkbook and Sheet1),
    made the same way as the one ``add_vba_and_buttons`` puts into a workbook.
    """
    from openpyxl import Workbook

    with tempfile.TemporaryDirectory() as tmp:
        blank, staged = Path(tmp) / "blank.xlsx", Path(tmp) / "blank.xlsm"
        Workbook().save(blank)
        _macro_enabled_copy(blank, staged)
        _install_project(staged)
        with zipfile.ZipFile(staged) as package:
            return without_performance_cache(package.read(VBA_PART))


def add_vba_and_buttons(xlsx_in: Path, xlsm_out: Path, buttons: list[tuple[str, str, str]],
                        sheet: str, anchor: str = "B2") -> Path:
    """Write ``xlsm_out``: ``xlsx_in`` with the VBA project and one form button per entry.

    ``buttons`` holds (caption, macro, entry) triples, as in BUTTONS; the buttons are
    stacked on ``sheet`` from the top-left corner of cell ``anchor`` down.
    """
    _check_buttons(buttons)
    xlsm_out = Path(xlsm_out)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "book.xlsm"  # pyOpenVBA goes by the suffix
        _macro_enabled_copy(Path(xlsx_in), staged)
        _install_project(staged)
        _place_buttons(staged, buttons, sheet, anchor)
        _finish(staged, xlsm_out)
    return xlsm_out


def _check_buttons(buttons: list[tuple[str, str, str]]) -> None:
    """Fail before building when a button's macro is missing or calls another entry."""
    commands = macro_commands(macro_source())
    for caption, macro, entry in buttons:
        if commands.get(macro) != runpython_command(entry):
            raise ValueError(f"button {caption!r}: {MACRO_FILE.name} has no macro {macro} "
                             f"running {runpython_command(entry)!r}")


def _rewrite_package(source: Path, target: Path, edit: Callable[[str, bytes], bytes]) -> None:
    """Copy a zip package part by part through ``edit(name, data) -> data``, at fixed times."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            new.writestr(entry, edit(info.filename, old.read(info)))


def _macro_enabled_copy(xlsx: Path, xlsm: Path) -> None:
    """The workbook as a macro-enabled package that pyOpenVBA can give a project to."""
    with zipfile.ZipFile(xlsx) as package:
        if VBA_PART in package.namelist():
            raise ValueError(f"{xlsx} already has a VBA project")
        if XLSX_MAIN.encode() not in package.read("[Content_Types].xml"):
            raise ValueError(f"{xlsx} is not an .xlsx workbook")

    def edit(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(XLSX_MAIN.encode(), XLSM_MAIN.encode())
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            return _declare_r_namespace(data)
        return data

    _rewrite_package(xlsx, xlsm, edit)


def _declare_r_namespace(sheet_xml: bytes) -> bytes:
    # openpyxl leaves xmlns:r off a sheet without relationships, and pyOpenVBA's
    # <drawing r:id=..> then makes the sheet unreadable: declare it up front.
    root = re.search(rb"<(?:\w+:)?worksheet\b[^>]*>", sheet_xml)
    if root is None or b"xmlns:r=" in root.group():
        return sheet_xml
    declared = root.group()[:-1].rstrip(b"/") + f' xmlns:r="{ooxml.DOC_REL_NS}"'.encode()
    declared += b"/>" if root.group().endswith(b"/>") else b">"
    return sheet_xml[:root.start()] + declared + sheet_xml[root.end():]


def _install_project(xlsm: Path) -> None:
    """Give the workbook Excel's initial project plus xlwings' modules and ours."""
    from pyopenvba import ExcelFile, VBAModuleKind

    with ExcelFile(xlsm) as book:
        project = book.add_vba_project()  # ThisWorkbook and one document module per sheet
        for name, source in xlwings_modules().items():
            # A class module exported from the VBA editor starts with "VERSION 1.0 CLASS".
            kind = VBAModuleKind.other if source.startswith("VERSION ") else VBAModuleKind.standard
            project.add_module(name, _crlf(source), kind=kind)
        project.add_module(MODULE_NAME, _crlf(macro_source()))
        book.save()


def _place_buttons(xlsm: Path, buttons: list[tuple[str, str, str]], sheet: str, anchor: str) -> None:
    """Add a Forms button per (caption, macro), stacked downward from ``anchor``."""
    from pyopenvba.apps.excel import ExcelApplication

    app = ExcelApplication.open(xlsm, with_vba=False)  # the workbook's cells and drawings only
    if sheet not in [view.name for view in app.sheets()]:
        raise KeyError(f"{xlsm.name} has no sheet {sheet!r}")
    left, top = _cell_origin(app, sheet, anchor)
    view = app.sheet(sheet)
    for place, (caption, macro, _entry) in enumerate(buttons):
        view.add_button(name=f"{macro}Button", left=left, top=top + place * (BUTTON_HEIGHT + BUTTON_GAP),
                        width=BUTTON_WIDTH, height=BUTTON_HEIGHT, text=caption, macro=macro)
    app.save(xlsm)


def _cell_origin(app, sheet: str, anchor: str) -> tuple[float, float]:
    """Top-left corner of a cell in points, from the sheet's own row heights and column widths."""
    cell = f'Worksheets("{sheet.replace(chr(34), chr(34) * 2)}").Range("{anchor}")'
    return float(app.evaluate(f"{cell}.Left")), float(app.evaluate(f"{cell}.Top"))


def without_performance_cache(project: bytes) -> bytes:
    """vbaProject.bin with its _VBA_PROJECT stream in the form MS-OVBA asks writers for."""
    from pyopenvba.cfb import CFB

    compound = CFB.from_bytes(project)
    compound.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    return compound.to_bytes()


def _finish(staged: Path, xlsm_out: Path) -> None:
    def edit(name: str, data: bytes) -> bytes:
        if name == VBA_PART:
            return without_performance_cache(data)
        return _captions_in_font_runs(data) if name.endswith(".vml") else data

    xlsm_out.parent.mkdir(parents=True, exist_ok=True)
    _rewrite_package(staged, xlsm_out, edit)


def _captions_in_font_runs(vml: bytes) -> bytes:
    # Excel writes a button's caption inside a <font> run; LibreOffice reads the caption only
    # from there and would show a blank button otherwise.
    text = vml.decode("utf-8")
    run = '<font face="Calibri" size="220" color="#000000">'
    wrapped = re.sub(r"(<div style='text-align:center'>)(?!<font)(.*?)(</div>)",
                     lambda m: f"{m.group(1)}{run}{m.group(2)}</font>{m.group(3)}", text, flags=re.S)
    return wrapped.encode("utf-8")


# --- reading back --------------------------------------------------------------------------


def read_macros(xlsm: Path) -> dict[str, str]:
    """Module name -> source, as oletools' olevba reads the workbook's VBA project."""
    with warnings.catch_warnings():
        # olevba builds its pyparsing grammar at import with names pyparsing 3 deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(xlsm))
    try:
        return {file_name.rsplit(".", 1)[0]: code
                for _container, _stream, file_name, code in parser.extract_macros()}
    finally:
        parser.close()


def read_buttons(xlsm: Path) -> list[tuple[str, str, str]]:
    """(sheet, caption, macro) for every Forms button, in sheet and drawing order.

    Caption and macro come from the sheet's VML drawing (what Excel draws the button
    from); the macro of the sheet's <controls> entry and the type in its ctrlProps part
    must agree with it, or ValueError says which button they contradict.
    """
    with zipfile.ZipFile(xlsm) as package:
        return [(sheet, caption, macro)
                for sheet, part in worksheets(package).items()
                for caption, macro in _sheet_buttons(package, part)]


def _macro_name(reference: str) -> str:
    # Excel stores a macro of the workbook itself as "[0]!Name".
    return reference.strip().rsplit("!", 1)[-1]


def _sheet_buttons(package: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    rels = relationships(package, part)
    sheet = ooxml.read_xml(package, part)
    legacy = sheet.find("main:legacyDrawing", _NS)
    if legacy is None:
        return []
    drawn = _vml_buttons(ooxml.read_xml(package, rels[legacy.get(ooxml.R_ID)][1]))
    for control in sheet.iter(f"{{{_NS['main']}}}control"):
        shape_id = control.get("shapeId")
        if shape_id in drawn:
            _check_control(package, control, rels, drawn[shape_id])
    return list(drawn.values())


def _vml_buttons(vml) -> dict[str, tuple[str, str]]:
    """shape id -> (caption, macro) of the VML shapes that are buttons."""
    found = {}
    for shape in vml.iter(f"{{{_NS['v']}}}shape"):
        data = shape.find("x:ClientData", _NS)
        if data is None or data.get("ObjectType") != "Button":
            continue
        textbox = shape.find("v:textbox", _NS)
        caption = "".join(textbox.itertext()).strip() if textbox is not None else ""
        macro = _macro_name(data.findtext("x:FmlaMacro", "", _NS))
        shape_id = shape.get(f"{{{_NS['o']}}}spid", "").rsplit("_s", 1)[-1]  # "_x0000_s1025"
        found[shape_id] = (caption, macro)
    return found


def _check_control(package: zipfile.ZipFile, control, rels, drawn: tuple[str, str]) -> None:
    caption, macro = drawn
    properties = control.find("main:controlPr", _NS)
    if properties is not None and _macro_name(properties.get("macro", "")) != macro:
        raise ValueError(f"button {caption!r}: VML runs {macro}, <controls> runs {properties.get('macro')}")
    kind = ooxml.read_xml(package, rels[control.get(ooxml.R_ID)][1]).get("objectType")
    if kind != "Button":
        raise ValueError(f"button {caption!r}: its ctrlProps part says {kind}")
