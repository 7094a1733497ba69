"""The Excel workbooks with buttons and the Python behind them, checked without Excel.

What is checked, and how:
* the committed 销售汇总.xlsm and 合并控制台.xlsm equal a rebuild, and a rebuild is byte-identical;
* their VBA, read back with oletools, holds our macros with the exact RunPython lines and
  xlwings' module of the installed version; each button is bound to its macro (read from the
  package's XML) and pressing it in pyOpenVBA's interpreter hands RunPython the expected command;
* that command, run the way xlwings' VBA starts Python, imports xltools.excel and reaches
  ``xw.Book.caller()`` (where it stops on Linux, as there is no Excel to attach to);
* the buttons' jobs, run on a copy of the workbook file (FileBookWriter), write the same tables
  as the command line, keep the VBA project byte-identical and the buttons bound;
* LiveBookWriter, driven against a stand-in for an xlwings Book, writes the same cells.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import ROOT
from factory import make_workbook
from test_templates import _differences
from test_vba import COMMANDS, code_lines, lines

from xltools.buttons import sheets

from xltools.xlsx import vba

from xltools.xlsx import workbooks

from xltools.ingest.package import worksheets
from xltools.atomic import FileInUse
from xltools.buttons.settings import ButtonError
from xltools.buttons.sheets import write_result_sheets
from xltools.buttons.press import (merge_inbox_book, press, refresh_summary_book, rollup_into,
                             rollup_only_book, validate_inbox_book)
from xltools.jobs.merge import Merge
from xltools.rollup import rollup
from xltools.xlsx.summary.table import SUMMARY_SHEETS, Table
from xltools.xlsx.summary.tables import summary_tables
from xltools.xlsx.summary.workbook import write_summary
from xltools.xlsx.workbooks import CONF_SHEET, CONSOLE_SHEETS, SETTINGS_FIRST_ROW, XLWINGS_CONF, build_excel_workbooks
from xltools.xlsx.writers.file import FileBookWriter
from xltools.xlsx.writers.live import LiveBookWriter
from xltools.xlsx.writers import protocol, sheet_xml
from xltools.xlsx.writers.protocol import STYLE_SHEET

xlwings = pytest.importorskip("xlwings", reason="needs the live extra: pip install 'xltools[live]'")

COMMITTED = ROOT / "workbook_templates"
REBUILD = ("run `xltools excel build --out workbook_templates` (or `python -c \"from xltools.xlsx.workbooks import "
           "build_excel_workbooks; build_excel_workbooks('workbook_templates')\"`) and commit the result")
BOOKS = {"summary": "销售汇总.xlsm", "console": "合并控制台.xlsm"}
SETTINGS = "设置"
AS_OF = dt.date(2024, 4, 10)
SUMMARY_PARTS = {s.zh for s in SUMMARY_SHEETS.values()}       # 汇总, 商机变化, 待跟进, 数据质量, 客户分析 ...


# --- Built workbooks ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    paths = build_excel_workbooks(tmp_path_factory.mktemp("excel"))
    return {kind: path for kind, path in zip(BOOKS, paths)}


def xlsm_fingerprint(path: Path) -> dict:
    """Cells, sheets, names, validations, cell looks, VBA modules and buttons, as plain data."""
    book = openpyxl.load_workbook(path)
    return {
        "properties": (book.properties.title, book.properties.creator, book.properties.created),
        "defined_names": sorted(book.defined_names),
        "sheets": [(ws.title, ws.sheet_state) for ws in book.worksheets],
        "cells": {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets},
        "looks": {ws.title: [[(c.font.b, c.font.i, c.font.sz, c.font.color and c.font.color.rgb, c.fill.fgColor.rgb,
                               c.number_format, c.alignment.wrap_text) for c in row] for row in ws.iter_rows()]
                  for ws in book.worksheets},
        "widths": {ws.title: sorted((k, d.width) for k, d in ws.column_dimensions.items()) for ws in book.worksheets},
        "validations": {ws.title: sorted((str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation)
                        for ws in book.worksheets},
        "modules": {name: code_lines(source) for name, source in vba.read_macros(path).items()},
        "buttons": vba.read_buttons(path),
    }


def test_committed_workbooks_match_a_rebuild(built):
    assert sorted(p.name for p in COMMITTED.glob("*.xlsm")) == sorted(BOOKS.values()), f"workbooks differ: {REBUILD}"
    for path in built.values():
        diffs = _differences(xlsm_fingerprint(COMMITTED / path.name), xlsm_fingerprint(path))
        assert not diffs, f"{path.name} is out of date; {REBUILD}:\n" + "\n".join(diffs[:15])


def test_rebuilding_gives_identical_bytes(built, tmp_path):
    again = build_excel_workbooks(tmp_path)
    for path in again:
        assert path.read_bytes() == built[_kind(path)].read_bytes(), f"{path.name} differs between two builds"


def _kind(path: Path) -> str:
    return next(kind for kind, name in BOOKS.items() if name == path.name)


def _macro_body(module: str, macro: str) -> str:
    body = re.search(rf"^Public Sub {macro}\(\)\r?\n(.*?)\r?\nEnd Sub", module, re.M | re.S)
    assert body, macro
    return body.group(1).strip()


@pytest.mark.parametrize("kind", BOOKS)
def test_olevba_reads_our_macros_with_exact_runpython_lines(kind):
    path = COMMITTED / BOOKS[kind]
    modules = vba.read_macros(path)
    assert lines(modules[vba.MODULE_NAME]) == lines(vba.macro_source())
    for _, macro, entry in vba.BUTTONS[path.stem]:
        assert _macro_body(modules[vba.MODULE_NAME], macro) == f'RunPython "{COMMANDS[macro]}"'
        assert COMMANDS[macro] == f"import xltools.excel as x; x.{entry}()"


@pytest.mark.parametrize("kind", BOOKS)
def test_embedded_xlwings_module_is_the_installed_version(kind):
    modules = vba.read_macros(COMMITTED / BOOKS[kind])
    embedded = vba.xlwings_vba_version(modules["xlwings"])
    assert embedded == xlwings.__version__, (
        f"{BOOKS[kind]} embeds xlwings {embedded}'s VBA but xlwings {xlwings.__version__} is installed: "
        f"{REBUILD}, or install xlwings=={embedded}")
    for name, source in vba.xlwings_modules().items():
        assert code_lines(modules[name]) == code_lines(source), name


@pytest.mark.parametrize("kind", BOOKS)
def test_each_button_is_bound_to_its_macro_on_the_settings_sheet(kind):
    path = COMMITTED / BOOKS[kind]
    assert vba.read_buttons(path) == [(SETTINGS, caption, macro) for caption, macro, _ in vba.BUTTONS[path.stem]]


@pytest.mark.slow
@pytest.mark.parametrize("kind", BOOKS)
def test_pressing_each_button_hands_runpython_its_command(kind):
    """pyOpenVBA's interpreter runs each button's macro with RunPython stubbed to print its argument."""
    from pyopenvba.apps.excel import ExcelApplication

    path = COMMITTED / BOOKS[kind]
    app = ExcelApplication.open(path, with_vba=False)      # xlwings' own module needs real Excel and Python
    app.add_module(vba.read_macros(path)[vba.MODULE_NAME], name=vba.MODULE_NAME)
    app.add_module("Public Function RunPython(PythonCommand As String)\n"
                   "    Debug.Print PythonCommand\nEnd Function\n", name="xlwings")
    shapes = app.sheet(SETTINGS).shapes()
    expected = vba.BUTTONS[path.stem]
    assert [(s.text, s.macro) for s in shapes] == [(caption, macro) for caption, macro, _ in expected]
    for shape in shapes:
        app.run(shape.macro)
    assert app.console == [f"import xltools.excel as x; x.{entry}()" for _, _, entry in expected]


def test_every_macro_names_an_entry_of_xltools_excel():
    import xltools.excel as x

    for entries in vba.BUTTONS.values():
        for _, _, entry in entries:
            assert callable(getattr(x, entry)), entry


# --- The sheets of the built workbooks -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", BOOKS)
def test_sheets_of_each_workbook(kind, built):
    book = openpyxl.load_workbook(built[kind])
    results = [n.zh for n in (SUMMARY_SHEETS if kind == "summary" else CONSOLE_SHEETS).values()]
    assert book.sheetnames == [SETTINGS, *results, CONF_SHEET, STYLE_SHEET]
    assert book[STYLE_SHEET].sheet_state == "hidden"
    labels = [book[SETTINGS].cell(r, 1).value for r in range(SETTINGS_FIRST_ROW, book[SETTINGS].max_row + 1)]
    assert labels == [workbooks.SETTINGS[k].label.zh for k in workbooks.BOOK_SETTINGS[kind]]
    assert all(book[SETTINGS].cell(r, 2).value is None for r in range(SETTINGS_FIRST_ROW, book[SETTINGS].max_row + 1))


def test_xlwings_conf_sheet_holds_only_keys_xlwings_reads_as_text(built):
    """xlwings reads A1 down to the first empty cell; a listed key overrides the user's config, even blank."""
    xlwings_bas = vba.xlwings_modules()["xlwings"]
    for path in built.values():
        ws = openpyxl.load_workbook(path)[CONF_SHEET]
        keys = [ws.cell(r, 1).value for r in range(1, len(XLWINGS_CONF) + 2)]
        assert keys == [key for key, _ in XLWINGS_CONF] + [None]
        for row, key in enumerate(keys[:-1], start=1):
            assert re.search(rf'GetConfig\("{re.escape(key.upper())}"', xlwings_bas), key
            assert ws.cell(row, 2).value is None and ws.cell(row, 3).value
        # Keys read as booleans would make RunPython fail with a type mismatch when left blank.
        assert not {k.upper() for k in keys[:-1]} & {"SHOW CONSOLE", "USE UDF SERVER", "DEBUG UDFS"}
        assert xlwings.__version__ in " ".join(str(ws.cell(r, 5).value) for r in range(1, 4))


# --- RunPython's command, run as xlwings runs it ------------------------------------------------------------

# Records what Book.caller() saw when it returns or raises (a profile hook, so nothing of xlwings changes).
SITECUSTOMIZE = '''
import json, os, sys

def _watch(frame, event, arg):
    code = frame.f_code
    if event == "return" and code.co_name == "caller" and code.co_filename.replace("\\\\", "/").endswith("xlwings/main.py"):
        seen = {k: frame.f_locals.get(k) for k in ("wb", "from_xl", "hwnd")}
        with open(os.environ["XLTOOLS_CALLER_LOG"], "w", encoding="utf-8") as fh:
            json.dump({**seen, "argv": sys.argv, "path": sys.path}, fh, ensure_ascii=False)

sys.setprofile(_watch)
'''


def _windows_argv(book: Path, command: str) -> list[str]:
    """What ExecuteWindows in xlwings.bas runs, once cmd.exe has split it into arguments."""
    pythonpath = ";".join(["true", str(book), str(book), "", "", "", ""])   # workbook dir, OneDrive x3, PYTHONPATH
    code = f'import xlwings.utils;xlwings.utils.prepare_sys_path("{pythonpath}"); {command}'
    return ["-B", "-c", code, f"--wb={book.name}", "--from_xl=1",
            "--app=C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", "--hwnd=65552"]


def _mac_argv(book: Path, command: str) -> list[str]:
    """What the VbaHandler of xlwings' AppleScript runs."""
    pythonpath = ";".join(["true", str(book), str(book), "", "", "", ""]) + ";"
    code = f"import xlwings.utils;xlwings.utils.prepare_sys_path('{pythonpath}');{command} "
    return ["-B", "-u", "-W", "ignore", "-c", code, f"--wb={book.name}", "--from_xl=1",
            "--app=/Applications/Microsoft Excel.app"]


def test_the_commands_below_mirror_xlwings_vba_and_applescript():
    """If xlwings changes how it starts Python, the argv built by the tests below must change too."""
    module = vba.read_macros(COMMITTED / BOOKS["summary"])["xlwings"]
    assert ('RunCommand = CondaCmd & PythonInterpreter & " -B -c ""import xlwings.utils;'
            'xlwings.utils.prepare_sys_path(\\""" & PYTHONPATH & "\\""); " & PythonCommand & """ "') in module
    assert '" --wb=" & """" & ThisWorkbook.Name & """ --from_xl=1" & " --app=" & Chr(34)' in module
    assert 'PYTHONPATH = AddExcelDir & ";" & ActiveFullName & ";" & ThisFullName & ";" & GetConfig("ONEDRIVE_CONSUMER_WIN")' \
        in module
    script = next(vba._xlwings_dir().glob("xlwings-*.applescript")).read_text(encoding="utf-8")
    assert ("-B -u -W ignore -c \\\"import xlwings.utils;xlwings.utils.prepare_sys_path('\" & PYTHONPATH & \"');\" & ¬"
            in script)
    assert '"--wb=" & WorkbookName & "\\" \\"--from_xl=1\\"' in script


@pytest.mark.slow
@pytest.mark.parametrize("platform, macro", [("windows", m) for m in COMMANDS] + [("mac", "RefreshSummary")])
def test_runpython_command_imports_xltools_and_reaches_book_caller(platform, macro, tmp_path):
    """The macro's exact command, started like RunPython starts it, gets as far as ``Book.caller()``.

    On Linux Book.caller() cannot attach to Excel, so the process fails there, and that failure is
    the evidence: the traceback runs from the -c command through xltools/excel.py into xlwings'
    ``caller``, which had parsed --wb and --from_xl=1 (recorded by a profile hook in sitecustomize).
    Not checked here: that Excel itself starts the process (it needs Windows or macOS).
    """
    book = tmp_path / "book folder" / BOOKS["summary"]
    book.parent.mkdir()
    shutil.copy(COMMITTED / book.name, book)
    command = vba.macro_commands(vba.read_macros(book)[vba.MODULE_NAME])[macro]
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = tmp_path / "caller.json"
    # This checkout's xltools, as `xltools excel setup` puts it on PYTHONPATH, not whichever copy is installed.
    env = {**_clean_env(), "PYTHONPATH": os.pathsep.join([str(hooks), str(ROOT)]), "XLTOOLS_CALLER_LOG": str(log)}
    argv = (_windows_argv if platform == "windows" else _mac_argv)(book, command)
    done = subprocess.run([sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    frames = re.findall(r'File "([^"]+)", line \d+, in (\S+)', done.stderr)
    entry = command.rsplit(".", 1)[1].rstrip("()")
    assert done.returncode != 0
    assert "ImportError" not in done.stderr and "ModuleNotFoundError" not in done.stderr, done.stderr
    assert [name for _, name in frames[:3]] == ["<module>", entry, "caller"], done.stderr
    assert frames[1][0].replace("\\", "/").endswith("xltools/excel.py")
    assert frames[2][0].replace("\\", "/").endswith("xlwings/main.py")
    assert "only supported on Windows and macOS" in done.stderr.strip().splitlines()[-1]
    seen = json.loads(log.read_text(encoding="utf-8"))
    assert (seen["wb"], seen["from_xl"]) == (book.name, "1")
    assert str(book.parent) in seen["path"]          # prepare_sys_path put the workbook's folder first


def _clean_env() -> dict[str, str]:
    import os
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}


def test_writers_import_without_xlwings():
    code = ("import sys; sys.modules['xlwings'] = None\n"
            "import xltools.xlsx.writers.live, xltools.xlsx.writers.file, xltools.buttons.press, xltools.xlsx.workbooks\n"
            "try:\n    import xltools.excel\nexcept ImportError:\n    print('excel needs xlwings')\n"
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=_clean_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["excel", "needs", "xlwings", "ok"]


# --- A real store -------------------------------------------------------------------------------------------


def _customer(name, owner, grade="A类", **kw):
    return {"customer": name, "contact": "王明", "phone": "13800138000", "owner": owner, "grade": grade,
            "next_follow_up": dt.date(2024, 4, 12), **kw}


def _project(pid, owner, customer, stage, amount, close, forecast=None, **kw):
    return {"project_id": pid, "project": f"{customer}项目", "customer": customer, "owner": owner, "stage": stage,
            "amount": amount, "expected_close": close, "forecast": forecast, **kw}


FORMULA_LIKE = "=1+1 华络通信"        # a rep's text that Excel must keep as text


def make_inbox(folder: Path) -> Path:
    """Two reps' workbooks with data for every summary sheet (and a few findings)."""
    inbox = folder / "收件箱"
    make_workbook(inbox / "华南", {
        "customers": [_customer(FORMULA_LIKE, "张三"), _customer("星辰科技", "张三", "B类", next_follow_up=dt.date(2024, 4, 1))],
        "visits": [{"customer": "星辰科技", "date": dt.date(2024, 4, 2), "visitor": "张三", "satisfaction": 4,
                    "next_visit": dt.date(2024, 4, 15)}],
        "pipeline": [_project("P1", "张三", FORMULA_LIKE, "3 有资格", 25, dt.date(2024, 4, 20), "承诺"),
                     _project("P2", "张三", "星辰科技", "6 收回全款", 30, dt.date(2024, 4, 5), "已成交",
                              win_probability=100, win_loss_reason="方案贴合需求")],
        "objections": [{"customer": "星辰科技", "raised": dt.date(2024, 3, 20), "objection": "报价高于预算",
                        "owner": "张三", "resolve_by": dt.date(2024, 3, 30), "status": "处理中"}],
        "targets": [{"rep": "张三", "month": dt.date(2024, 4, 1), "sales_target": 100}],
    }, "张三.xlsx")
    make_workbook(inbox / "华北", {
        "customers": [_customer("天津瑞丰制造", "李四", "C类", phone="12345")],
        "pipeline": [_project("P3", "李四", "天津瑞丰制造", "2 接触", 12.5, dt.date(2024, 5, 30), "管道")],
    }, "李四.xlsx")
    return inbox


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    merging = Merge(folder / "xltools.db", as_of=AS_OF)
    merging.write_master(merging.run([make_inbox(folder)]), folder / "master.xlsx")
    return folder / "xltools.db"


@pytest.fixture
def summary_book(tmp_path) -> Path:
    path = tmp_path / "wb" / BOOKS["summary"]
    path.parent.mkdir()
    shutil.copy(COMMITTED / path.name, path)
    return path


@pytest.fixture
def console_book(tmp_path) -> Path:
    path = tmp_path / "wb" / BOOKS["console"]
    path.parent.mkdir(exist_ok=True)
    shutil.copy(COMMITTED / path.name, path)
    return path


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(sheets, "now_text", lambda: "2024-04-10 09:00")


def fill_settings(path: Path, **values: str) -> None:
    """Type values into 设置 as an admin would (keys as in workbooks.SETTINGS)."""
    book = openpyxl.load_workbook(path, read_only=True)
    labels = {row[0]: i for i, row in enumerate(book[SETTINGS].iter_rows(values_only=True), start=1)}
    book.close()
    writer = FileBookWriter(path)
    for key, value in values.items():
        writer.write_values(SETTINGS, f"B{labels[workbooks.SETTINGS[key].label.zh]}", [[value]])
    writer.save()


# --- Reading the written sheets back ------------------------------------------------------------------------


def sheet_values(path: Path, sheet: str, from_row: int = 1) -> list[list]:
    ws = openpyxl.load_workbook(path)[sheet]
    rows = [[_plain(c.value) for c in row] for row in ws.iter_rows(min_row=from_row)]
    return [_trim(row) for row in rows]


def _plain(value):
    """A cell's value for comparison: midnight datetimes as dates, empty text as blank."""
    if value == "":
        return None
    return value.date() if isinstance(value, dt.datetime) and value.time() == dt.time() else value


def _trim(row: list) -> list:
    while row and row[-1] is None:
        row = row[:-1]
    return row


def expected_rows(tables, lang: str = "zh") -> list[list]:
    """The rows a sheet holds from row 4: each table as title, header, rows (or "（无）"), total; two rows apart."""
    rows: list[list] = []
    for table in tables:
        if rows:
            rows += [[], []]
        rows.append([table.title])
        rows.append(list(table.headers))
        body = table.rows or [["（无）" if lang == "zh" else "(none)"]]
        rows += [[_plain(protocol.plain(v)) for v in row] for row in body]
        if table.total is not None:
            rows.append([_plain(protocol.plain(v)) for v in table.total])
    return [_trim(row) for row in rows]


def assert_summary_sheets_hold(path: Path, summary) -> None:
    tables = summary_tables(summary, "zh")
    for key, name in SUMMARY_SHEETS.items():
        mine = [t for t in tables if t.sheet == key]
        assert sheet_values(path, name.zh, workbooks.FIRST_TABLE_ROW) == expected_rows(mine), name.zh


# --- The summary workbook's buttons, on the file --------------------------------------------------------------


def test_rollup_only_button_writes_the_tables_the_cli_computes(summary_book, store):
    fill_settings(summary_book, store=str(store), as_of="2024-04-10")
    writer = FileBookWriter(summary_book)
    assert press(writer, rollup_only_book), writer.alerts
    assert_summary_sheets_hold(summary_book, rollup(store, AS_OF))
    heading = sheet_values(summary_book, "汇总")[:2]
    assert heading == [["销售管理汇总"], ["截至 2024-04-10 · 金额单位：万元 · 刷新于 2024-04-10 09:00"]]


def test_same_tables_as_the_cli_summary_workbook(summary_book, store, tmp_path):
    """Every table but the KPI tiles, found by its title in `xltools rollup --out` and compared cell by cell."""
    summary = rollup(store, AS_OF)
    cli = write_summary(summary, tmp_path / "summary.xlsx")
    rollup_into(store, summary_book, AS_OF)
    for key, name in SUMMARY_SHEETS.items():
        tables = [t for t in summary_tables(summary) if t.sheet == key and t.name != "kpi"]
        ours, theirs = sheet_values(summary_book, name.zh), sheet_values(cli, name.zh)
        for table in tables:
            width = len(table.headers)
            span = 1 + max(len(table.rows), 1) + (table.total is not None)
            assert _block(ours, table.title, width, span) == _block(theirs, table.title, width, span), table.name


def _block(rows: list[list], title: str, width: int, span: int) -> list[list]:
    """The header, rows and total under a table's title; numbers to 12 digits (xlsxwriter writes 16, we write 17)."""
    start = next(i for i, row in enumerate(rows) if row[:1] == [title])
    return [[float(f"{v:.12g}") if isinstance(v, float) else v for v in _trim((row + [None] * width)[:width])]
            for row in rows[start + 1:start + 1 + span]]


def test_refresh_button_merges_the_inbox_then_rolls_up(summary_book, tmp_path):
    inbox = make_inbox(tmp_path / "data")
    fill_settings(summary_book, inbox=str(inbox), as_of="2024-04-10")
    writer = FileBookWriter(summary_book)
    assert press(writer, refresh_summary_book), writer.alerts
    store = inbox.parent / "xltools.db"                     # the default: beside the inbox, as merge has it
    assert store.is_file() and (inbox.parent / "master.xlsx").is_file()
    assert_summary_sheets_hold(summary_book, rollup(store, AS_OF))
    note = sheet_values(summary_book, "汇总")[1][0]
    assert "本次合并读取 2 个文件（未变化 0 个），错误 1 个" in note
    assert any("正在读取 2/2 个文件" in s for s in writer.statuses)


def test_rollup_into_keeps_the_vba_project_and_buttons(summary_book, store):
    with zipfile.ZipFile(summary_book) as package:
        before = {name: package.read(name) for name in package.namelist()}
    rollup_into(store, summary_book, AS_OF)
    with zipfile.ZipFile(summary_book) as package:
        after = {name: package.read(name) for name in package.namelist()}
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    changed = {name for name in before if after[name] != before[name]}
    with zipfile.ZipFile(summary_book) as package:
        parts = worksheets(package)
    assert set(after) == set(before) and changed == {parts[name] for name in SUMMARY_PARTS}
    assert vba.read_buttons(summary_book) == vba.read_buttons(COMMITTED / BOOKS["summary"])
    assert_summary_sheets_hold(summary_book, rollup(store, AS_OF))


def test_rep_text_that_starts_with_equals_is_written_as_text(summary_book, store):
    rollup_into(store, summary_book, AS_OF)
    ws = openpyxl.load_workbook(summary_book)["汇总"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == FORMULA_LIKE]
    assert cells and all(c.data_type == "s" for c in cells)
    with zipfile.ZipFile(summary_book) as package:
        xml = package.read(worksheets(package)["汇总"]).decode()
    assert "<f>" not in xml and f"<t xml:space=\"preserve\">{FORMULA_LIKE}</t>" in xml


def test_a_second_refresh_replaces_the_first(summary_book, store, tmp_path):
    """Rows left over from a longer first refresh are gone after a shorter second one."""
    empty = tmp_path / "empty.db"
    from xltools.store import open_store
    open_store(empty).close()
    rollup_into(store, summary_book, AS_OF)
    rollup_into(empty, summary_book, AS_OF)
    assert_summary_sheets_hold(summary_book, rollup(empty, AS_OF))
    assert FORMULA_LIKE not in str(sheet_values(summary_book, "汇总"))


@pytest.mark.libreoffice
def test_libreoffice_opens_the_filled_workbook_with_buttons_bound(summary_book, store, libreoffice, tmp_path):
    rollup_into(store, summary_book, AS_OF)
    (ods,) = libreoffice([summary_book], "ods", tmp_path)
    with zipfile.ZipFile(ods) as package:
        content = package.read("content.xml").decode()
    assert "张三" in content and "销售管理汇总" in content and FORMULA_LIKE in content
    bound = re.findall(r'form:label="([^"]*)".*?xlink:href="vnd\.sun\.star\.script:VBAProject\.xltools_buttons\.(\w+)\?',
                       content, re.S)
    assert bound == [("刷新汇总", "RefreshSummary"), ("仅刷新汇总", "RefreshSummaryOnly"), ("检查设置", "CheckSetup")]


# --- The console's buttons ---------------------------------------------------------------------------------


def test_validate_button_lists_findings_and_files_with_annotated_copies(console_book, tmp_path):
    inbox = make_inbox(tmp_path / "data")
    fill_settings(console_book, inbox=str(inbox), as_of="2024-04-10")
    writer = FileBookWriter(console_book)
    assert press(writer, validate_inbox_book), writer.alerts

    from xltools.checks.validate import validate
    report = validate([inbox], AS_OF)
    findings = sheet_values(console_book, "校验结果", workbooks.FIRST_TABLE_ROW)
    assert findings[1] == ["级别", "文件", "工作表", "单元格", "代码", "说明", "值", "销售", "客户", "编号"]
    assert [row[4] for row in findings[2:]] == [f.code for f in report.findings]
    customer_and_key = [row[8:] + [None] * (10 - len(row)) for row in findings[2:]]   # trailing blanks are cut
    assert customer_and_key == [[f.customer, f.key] for f in report.findings]
    assert ["天津瑞丰制造", "P3"] in customer_and_key             # a pipeline finding: its customer, its project
    copies = inbox.parent / "校验批注"
    assert sorted(p.name for p in copies.rglob("*.xlsx")) == ["张三.xlsx", "李四.xlsx"]

    files = sheet_values(console_book, "文件", workbooks.FIRST_TABLE_ROW)
    assert [row[:3] for row in files[2:]] == [[f.path, "已读取", f.rep] for f in report.files]
    links = [row[8] for row in files[2:]]
    for link, f in zip(links, report.files):
        target = re.fullmatch(r'=HYPERLINK\("(.*)","打开"\)', link).group(1)
        assert Path(target) == copies / f.path and Path(target).is_file()
    target, ref, shown = re.fullmatch(r"=HYPERLINK\(\"\[(.*)\]'.+'!(\w+\d+)\",\"(\w+\d+)\"\)",
                                      findings[2][3]).groups()          # the finding's cell, in its copy
    assert Path(target).is_file() and ref == shown
    assert "尚未刷新" in sheet_values(console_book, "合并日志")[1][0]      # validating leaves the log alone


def test_validate_button_links_the_xlsx_copy_of_a_file_named_xls(console_book, tmp_path):
    inbox = make_inbox(tmp_path / "data")
    named_xls = next(inbox.rglob("张三.xlsx")).rename(next(inbox.rglob("张三.xlsx")).with_suffix(".xls"))
    fill_settings(console_book, inbox=str(inbox), as_of="2024-04-10")
    assert press(FileBookWriter(console_book), validate_inbox_book)
    files = {row[0]: row[8] for row in sheet_values(console_book, "文件", workbooks.FIRST_TABLE_ROW)[2:]}
    shown = named_xls.relative_to(inbox).as_posix()
    target = re.fullmatch(r'=HYPERLINK\("(.*)","打开"\)', files[shown]).group(1)
    assert Path(target) == inbox.parent / "校验批注" / Path(shown).with_suffix(".xlsx") and Path(target).is_file()


def test_merge_button_writes_the_log(console_book, tmp_path):
    inbox = make_inbox(tmp_path / "data")
    store = tmp_path / "db" / "sales.db"
    fill_settings(console_book, inbox=str(inbox), store=str(store), as_of="2024-04-10")
    for run in (1, 2):
        writer = FileBookWriter(console_book)
        assert press(writer, merge_inbox_book), writer.alerts
    log = sheet_values(console_book, "合并日志", workbooks.FIRST_TABLE_ROW)
    assert log[0] == ["本次合并（批次 2）"]
    items = dict(tuple(row) for row in log[2:11])
    assert items["文件"] == "共 2，读取 0，未变化 2，跳过 0，无法读取 0"
    assert items["数据库"] == str(store) and items["截至日期"] == AS_OF
    history = log[log.index(["历次合并"]) + 2:]
    assert [row[:2] for row in history] == [[2, "2024-04-10"], [1, "2024-04-10"]]
    files = sheet_values(console_book, "文件", workbooks.FIRST_TABLE_ROW)
    assert [row[:3] for row in files[2:]] == [["华北/李四.xlsx", "未变化", "李四"], ["华南/张三.xlsx", "未变化", "张三"]]


# --- Failures -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("settings, job, message", [
    ({}, refresh_summary_book, "请在“设置”工作表填写收件箱文件夹。"),
    ({"inbox": "没有这个文件夹"}, refresh_summary_book, "收件箱文件夹不存在："),
    ({"inbox": ".", "as_of": "下周"}, refresh_summary_book, "截至日期“下周”不是日期"),
    ({"store": "none.db"}, rollup_only_book, "还没有数据库"),
    ({"inbox": ".", "lang": "fr"}, validate_inbox_book, "“语言”应为 zh 或 en"),
])
def test_a_failure_is_one_message_and_the_workbook_is_left_alone(settings, job, message, tmp_path):
    kind = "console" if job is validate_inbox_book else "summary"
    path = tmp_path / BOOKS[kind]
    shutil.copy(COMMITTED / path.name, path)
    if settings:
        fill_settings(path, **settings)
    before = path.read_bytes()
    writer = FileBookWriter(path)
    assert not press(writer, job)
    (title, text), = writer.alerts
    assert title.startswith("xltools · ") and message in text
    assert path.read_bytes() == before


def test_english_settings_give_english_messages(summary_book):
    fill_settings(summary_book, lang="en")
    writer = FileBookWriter(summary_book)
    assert not press(writer, refresh_summary_book)
    assert writer.alerts == [("xltools · Refresh summary", "Fill in the inbox folder on the Settings sheet.")]


def test_an_unexpected_error_is_reported_with_its_type(summary_book):
    def boom(writer):
        raise RuntimeError("disk full")
    writer = FileBookWriter(summary_book)
    assert not press(writer, boom)
    assert writer.alerts[0][0] == "xltools"
    assert "RuntimeError: disk full" in writer.alerts[0][1] and "本工作簿未改动" in writer.alerts[0][1]


def test_a_failure_while_writing_into_excel_says_sheets_may_be_incomplete(summary_book, store):
    fill_settings(summary_book, store=str(store), as_of="2024-04-10")
    live = FakeBook(summary_book)
    live.sheets.remove(live.sheets["待跟进"])
    live.sheets.append(BrokenSheet(live, "待跟进", {}))
    assert not press(LiveBookWriter(live), rollup_only_book)
    (title, text, mode), = live.app.alerts
    assert "写入工作簿时出错" in text and "Excel is busy" in text and mode == "critical"
    assert (live.app.screen_updating, live.app.calculation) == (True, "automatic")     # restored all the same


def test_a_workbook_open_in_excel_is_not_replaced(summary_book, store):
    owner = summary_book.with_name("~$" + summary_book.name)
    owner.write_bytes(b"")
    before = summary_book.read_bytes()
    with pytest.raises(FileInUse):
        rollup_into(store, summary_book, AS_OF)
    assert summary_book.read_bytes() == before


def test_annotated_copies_inside_the_inbox_are_refused(console_book, tmp_path):
    inbox = make_inbox(tmp_path / "data")
    fill_settings(console_book, inbox=str(inbox), annotated=str(inbox / "批注"))
    writer = FileBookWriter(console_book)
    assert not press(writer, validate_inbox_book)
    assert "批注副本文件夹不能放在收件箱文件夹里" in writer.alerts[0][1]


# --- The live writer, against a stand-in for an xlwings Book -----------------------------------------------


class FakeBook:
    """Enough of xlwings' Book for LiveBookWriter: cells, the calls made, status bar and alerts.

    Like Excel, a value assigned as text is parsed: "'…" keeps the text and "=…" becomes a formula.
    ``calls`` counts what would cross into Excel: getting a range or a font, setting or reading a
    property, clearing, autofitting.
    """

    def __init__(self, path: Path):
        self.fullname = str(path)
        self.calls = 0
        source = openpyxl.load_workbook(path)
        self.sheets = FakeSheets([FakeSheet(self, ws.title, {(c.row, c.column): c.value for row in ws.iter_rows()
                                                            for c in row if c.value is not None})
                                  for ws in source.worksheets])
        self.app = FakeApp(self)
        self.bulk_writes: list[tuple[str, int, int]] = []       # (sheet, rows, columns) of each 2-D write
        self.formulas: list[str] = []
        self.looks: list[tuple] = []                            # (sheet, areas, property, value)

    def look(self, sheet: str, cell: tuple[int, int], name: str):
        """The last value set for a property on an area holding the cell."""
        found = None
        for where, areas, prop, value in self.looks:
            if where == sheet and prop == name and any(r1 <= cell[0] <= r2 and c1 <= cell[1] <= c2
                                                       for (r1, c1), (r2, c2) in areas):
                found = value
        return found


class FakeApp:
    def __init__(self, book):
        self.book, self.status_bar, self.statuses, self.alerts = book, False, [], []
        self.screen_updating, self.calculation = True, "automatic"
        self.states: list[tuple[bool, str]] = []                # (screen updating, calculation) at each write

    def __setattr__(self, name, value):
        if name == "status_bar" and hasattr(self, "statuses"):
            self.statuses.append(value)
        if hasattr(self, "states"):
            self.book.calls += 1
        object.__setattr__(self, name, value)

    def alert(self, prompt, title=None, buttons="ok", mode=None):
        self.alerts.append((title, prompt, mode))


class FakeSheets(list):
    def __getitem__(self, key):
        return next(s for s in self if s.name == key) if isinstance(key, str) else super().__getitem__(key)


def _areas(address: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """((first row, first col), (last row, last col)) of each area of a union address such as "A1:B2,D5"."""
    areas = []
    for area in address.split(","):
        first, _, last = area.partition(":")
        areas.append((openpyxl.utils.cell.coordinate_to_tuple(first),
                      openpyxl.utils.cell.coordinate_to_tuple(last or first)))
    return areas


class FakeSheet:
    def __init__(self, book, name, cells):
        self.book, self.name, self.cells = book, name, cells

    def range(self, first, last=None):
        self.book.calls += 1
        if isinstance(first, str):
            assert len(first) <= 255, "Excel refuses a longer address"
            return FakeRange(self, _areas(first))
        return FakeRange(self, [(first, last or first)])

    @property
    def used_range(self):
        self.book.calls += 1
        rows = [r for r, _ in self.cells] or [1]
        cols = [c for _, c in self.cells] or [1]
        return FakeRange(self, [((1, 1), (max(rows), max(cols)))])


class BrokenSheet(FakeSheet):
    """A sheet Excel refuses to write to, as when a cell is being edited."""

    def range(self, first, last=None):
        raise RuntimeError("Excel is busy")


class FakeRange:
    def __init__(self, sheet, areas):
        self.sheet, self.areas = sheet, areas
        self.first, self.last = areas[0]
        self.rows = _Recorder(sheet.book)

    @property
    def font(self):
        self.sheet.book.calls += 1
        return _Font(self)

    @property
    def last_cell(self):
        return FakeRange(self.sheet, [(self.last, self.last)])

    @property
    def row(self):
        return self.first[0]

    @property
    def column(self):
        return self.first[1]

    def options(self, ndim=None):
        return self

    @property
    def value(self):
        self.sheet.book.calls += 1
        (r1, c1), (r2, c2) = self.first, self.last
        return [[self.sheet.cells.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]

    @value.setter
    def value(self, rows):
        book = self.sheet.book
        book.calls += 1
        book.bulk_writes.append((self.sheet.name, len(rows), max(len(r) for r in rows)))
        book.app.states.append((book.app.screen_updating, book.app.calculation))
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                key = (self.first[0] + i, self.first[1] + j)
                if isinstance(v, str) and v.startswith("'"):
                    v = v[1:]
                elif isinstance(v, str) and v.startswith("="):
                    book.formulas.append(v)
                self.sheet.cells.pop(key, None) if v is None else self.sheet.cells.__setitem__(key, v)

    def clear(self):
        self.sheet.book.calls += 1
        (r1, c1), (r2, c2) = self.first, self.last
        for key in [k for k in self.sheet.cells if r1 <= k[0] <= r2 and c1 <= k[1] <= c2]:
            del self.sheet.cells[key]

    def __setattr__(self, name, value):
        if name in ("number_format", "color", "wrap_text", "row_height"):
            self.sheet.book.calls += 1
            self.sheet.book.looks.append((self.sheet.name, self.areas, name, value))
        object.__setattr__(self, name, value)


class _Font:
    """A range's font: each property set is recorded as "font.<name>"."""

    def __init__(self, rng):
        object.__setattr__(self, "rng", rng)

    def __setattr__(self, name, value):
        book = self.rng.sheet.book
        book.calls += 1
        book.looks.append((self.rng.sheet.name, self.rng.areas, f"font.{name}", value))


class _Recorder:
    """The rows of a range: any method may be called, and counts as a call."""

    def __init__(self, book):
        self.book = book

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.book.calls += 1
        return call


def test_live_writer_fills_the_same_cells_as_the_file_writer(summary_book, store):
    fill_settings(summary_book, store=str(store), as_of="2024-04-10")
    live = FakeBook(summary_book)
    assert press(LiveBookWriter(live), rollup_only_book), live.app.alerts
    assert press(FileBookWriter(summary_book), rollup_only_book)
    for name in SUMMARY_PARTS:
        written = sheet_values(summary_book, name)
        cells = live.sheets[name].cells
        grid = [[_plain(cells.get((r, c))) for c in range(1, 16)] for r in range(1, len(written) + 1)]
        assert [_trim(row) for row in grid] == written, name
    tables = summary_tables(rollup(store, AS_OF))
    assert len(live.bulk_writes) == len(tables) + len(SUMMARY_PARTS)     # one per table, one per heading
    assert live.formulas == []                                          # rep text never became a formula
    assert live.app.statuses[-1] is False                               # the status bar is handed back
    stage_header = next(r for r, c in live.sheets["汇总"].cells if live.sheets["汇总"].cells[(r, c)] == "销售阶段")
    assert live.look("汇总", (stage_header, 1), "color") == "#1F4E78"                      # header fill
    assert live.look("汇总", (stage_header, 1), "font.bold") is True
    for row in range(stage_header + 1, stage_header + 7):                                # amounts, 6 stages
        assert live.look("汇总", (row, 3), "number_format") == "#,##0.00"
        assert live.look("汇总", (row, 3), "color") is None                              # no fill on data cells
    assert set(live.app.states) == {(False, "manual")}                   # every write with Excel quiet ...
    assert (live.app.screen_updating, live.app.calculation) == (True, "automatic")       # ... and restored


def test_a_500_row_findings_table_with_every_other_row_flagged_takes_few_calls(console_book):
    rows = [[f"级别{i}", f"销售/{i}.xlsx", "客户信息", f"B{i}", "E001", "说明" * 3, "=1+1", "张三", "客户"]
            for i in range(500)]
    flagged = {(i, 0) for i in range(0, 500, 2)}
    table = Table("findings", "发现的问题", [f"列{c}" for c in range(9)], rows, ["text"] * 9,
                          sheet="findings", flags=flagged)
    live = FakeBook(console_book)
    write_result_sheets(LiveBookWriter(live), {"findings": table}, "校验于 2024-04-10", "zh")
    assert live.calls <= 100, live.calls
    first = workbooks.FIRST_TABLE_ROW + 2                         # below the title and the header
    for i in (0, 1, 2, 249, 250, 498, 499):
        expected = "#FFC7CE" if i % 2 == 0 else None
        assert live.look("校验结果", (first + i, 1), "color") == expected, i        # flagged rows only
        assert live.look("校验结果", (first + i, 2), "color") is None
        assert live.sheets["校验结果"].cells[(first + i, 7)] == "=1+1"              # text, not a formula
    assert live.formulas == [] and live.bulk_writes[-1] == ("校验结果", 502, 9)


def test_excel_entries_run_their_job_on_the_calling_book(summary_book, store, monkeypatch):
    import xltools.excel as x

    fill_settings(summary_book, store=str(store), as_of="2024-04-10")
    live = FakeBook(summary_book)
    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: live))
    x.rollup_only()
    assert live.app.alerts == [] and live.sheets["汇总"].cells[(1, 1)] == "销售管理汇总"
    x.refresh_summary()                          # no inbox filled in: one message box, nothing written
    assert [(t, m) for t, _, m in live.app.alerts] == [("xltools · 刷新汇总", "critical")]


# --- FileBookWriter on XML as Excel writes it --------------------------------------------------------------

EXCEL_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">'
    '<x:dimension ref="A1:C9"/><x:sheetData>'
    '<x:row r="1" spans="1:3" x14ac:dyDescent="0.25"><x:c r="A1" s="3" t="s"><x:v>0</x:v></x:c></x:row>'
    '<x:row r="2" spans="1:3"><x:c r="B2" s="4"><x:v>7</x:v></x:c><x:c r="C2" s="5"/></x:row>'
    '<x:row r="5" spans="1:3"><x:c r="A5" s="2" t="s"><x:v>1</x:v></x:c></x:row>'
    '<x:row r="9"><x:c r="C9"><x:f>SUM(A1:A2)</x:f><x:v>3</x:v></x:c></x:row>'
    '</x:sheetData><x:mergeCells count="2"><x:mergeCell ref="A1:C1"/><x:mergeCell ref="A5:C6"/></x:mergeCells>'
    '</x:worksheet>')


def test_sheet_xml_edit_keeps_what_it_does_not_write():
    edit = sheet_xml.SheetEdit(clear_from=4)
    edit.cells = {2: {1: ("新", None), 3: (1.5, "cell:money")}, 4: {1: ("=A1", "title")}}
    edit.heights = {4: 36}
    xml = sheet_xml.edited_sheet(EXCEL_SHEET, edit, {"title": 9, "cell:money": 10})
    assert xml.startswith(EXCEL_SHEET[:EXCEL_SHEET.index("<x:sheetData>")].replace('ref="A1:C9"', 'ref="A1:C4"'))
    assert '<x:row r="1" spans="1:3" x14ac:dyDescent="0.25"><x:c r="A1" s="3" t="s"><x:v>0</x:v></x:c></x:row>' in xml
    assert ('<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t xml:space="preserve">新</x:t></x:is></x:c>'
            '<x:c r="B2" s="4"><x:v>7</x:v></x:c><x:c r="C2" s="10"><x:v>1.5</x:v></x:c></x:row>') in xml
    assert ('<x:row r="4" ht="36" customHeight="1"><x:c r="A4" s="9" t="inlineStr"><x:is>'
            '<x:t xml:space="preserve">=A1</x:t></x:is></x:c></x:row>') in xml
    assert 'r="5"' not in xml and "SUM" not in xml
    assert '<x:mergeCells count="1"><x:mergeCell ref="A1:C1"/></x:mergeCells>' in xml


def test_calc_chain_goes_when_sheets_change(summary_book, store, tmp_path):
    """Excel's list of formula cells may name cells that a refresh removed: it is dropped, Excel rebuilds it."""
    staged = tmp_path / "staged.xlsm"
    with zipfile.ZipFile(summary_book) as old, zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/calcChain" '
                                    b'Target="calcChain.xml"/></Relationships>')
            new.writestr(info, data)
        new.writestr("xl/calcChain.xml", b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                                         b'2006/main"><c r="A40" i="2"/></calcChain>')
    shutil.move(staged, summary_book)
    rollup_into(store, summary_book, AS_OF)
    with zipfile.ZipFile(summary_book) as package:
        assert "xl/calcChain.xml" not in package.namelist()
        assert b"calcChain" not in package.read("[Content_Types].xml") + package.read("xl/_rels/workbook.xml.rels")
    assert vba.read_buttons(summary_book) == vba.read_buttons(COMMITTED / BOOKS["summary"])


def test_cell_values_become_the_right_xml():
    cell = sheet_xml._cell_xml
    assert cell("A1", dt.date(2024, 4, 10), 3, "") == '<c r="A1" s="3"><v>45392</v></c>'
    assert cell("A1", float("nan"), 0, "") == '<c r="A1"/>'
    assert cell("A1", True, 0, "") == '<c r="A1" t="b"><v>1</v></c>'
    assert cell("A1", "a\x01b_x0041_<", 0, "") == \
        '<c r="A1" t="inlineStr"><is><t xml:space="preserve">a_x0001_b_x005F_x0041_&lt;</t></is></c>'
    assert cell("A1", protocol.Link('C:\\a "b".xlsx', "打开"), 0, "") == \
        '<c r="A1" t="str"><f>HYPERLINK("C:\\a ""b"".xlsx","打开")</f><v>打开</v></c>'
    assert cell("A1", protocol.Link("x" * 300, "打开"), 0, "").count("x" * 300) == 1     # too long: plain text


def test_style_ids_are_read_from_the_hidden_sheet_even_as_shared_strings(built):
    with zipfile.ZipFile(built["summary"]) as package:
        ids = sheet_xml.style_ids(package, worksheets(package)[STYLE_SHEET])
    assert set(ids) == set(protocol.STYLES) and len(set(ids.values())) > 10
    shared = '<c r="A1" t="s"><v>1</v></c>'
    assert sheet_xml.cell_text(shared, ["x", "header"]) == "header"


def test_docs_name_the_xlwings_version_the_workbooks_embed():
    text = (ROOT / "docs" / "excel.md").read_text(encoding="utf-8")
    assert f"xlwings=={xlwings.__version__}" in text, "docs/excel.md: update the xlwings version it names"
    assert not set(re.findall(r"xlwings==([\d.]+)", text)) - {xlwings.__version__}


def test_button_error_speaks_both_languages():
    error = ButtonError("中文", "English")
    assert (error.message("zh"), error.message("en")) == ("中文", "English")


def test_each_result_sheet_names_the_button_that_fills_it():
    book = openpyxl.load_workbook(COMMITTED / BOOKS["console"], read_only=True)
    notes = {name: book[name]["A2"].value for name in ("校验结果", "文件", "合并日志")}
    book.close()
    assert notes == {"校验结果": "尚未刷新：在“设置”工作表填好设置后，按“校验”。",
                     "文件": "尚未刷新：在“设置”工作表填好设置后，按“校验”。",
                     "合并日志": "尚未刷新：在“设置”工作表填好设置后，按“合并”。"}     # only 合并 fills the log
