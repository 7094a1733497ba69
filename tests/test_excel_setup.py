"""``xltools excel setup``: the interpreter lands on the xlwings.conf sheet and nothing else changes."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import ROOT
from xltools.xlsx import vba
from xltools.atomic import FileInUse
from xltools.cli import cli
from xltools.buttons.excel_setup import SOURCE_FOLDER, default_books, probe, read_conf, setup_book
from xltools.xlsx.workbooks import CONF_SHEET

xlwings = pytest.importorskip("xlwings", reason="needs the live extra: pip install 'xltools[live]'")

COMMITTED = ROOT / "workbook_templates"
BOOKS = ["销售汇总.xlsm", "合并控制台.xlsm"]


@pytest.fixture
def books(tmp_path) -> list[Path]:
    for name in BOOKS:
        shutil.copy(COMMITTED / name, tmp_path / name)
    return [tmp_path / name for name in BOOKS]


def conf_values(book: Path) -> dict:
    ws = openpyxl.load_workbook(book)[CONF_SHEET]
    return {row[0].value: row[1].value for row in ws.iter_rows(max_col=2) if row[0].value}


def parts(book: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(book) as package:
        return {info.filename: package.read(info) for info in package.infolist()}


def conf_part(book: Path) -> str:
    from xltools.ingest.package import worksheets
    with zipfile.ZipFile(book) as package:
        return worksheets(package)[CONF_SHEET]


def make_python(folder: Path, *paths: Path) -> Path:
    """A virtual environment whose sys.path gets ``paths`` (through a .pth file, as an install does)."""
    venv.create(folder, with_pip=False)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "test-paths.pth").write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")
    return python


# This interpreter's site-packages as a plain path: its libraries (xlwings too), not its editable installs.
LIBRARIES = Path(sysconfig.get_paths()["purelib"])


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> Path:
    """Neither xltools nor xlwings."""
    return make_python(tmp_path_factory.mktemp("bare"))


@pytest.fixture(scope="module")
def plain_python(tmp_path_factory) -> Path:
    """xlwings and xltools' libraries, but not xltools."""
    return make_python(tmp_path_factory.mktemp("plain"), LIBRARIES)


@pytest.fixture(scope="module")
def installed_python(tmp_path_factory) -> Path:
    """This xltools installed, with its libraries."""
    return make_python(tmp_path_factory.mktemp("installed"), LIBRARIES, SOURCE_FOLDER)


def test_setup_writes_the_running_interpreter_and_changes_nothing_else(books):
    before = {book: parts(book) for book in books}
    os.chmod(books[0], 0o640)
    result = CliRunner().invoke(cli, ["excel", "setup", *map(str, books), "--for", "win"])
    assert result.exit_code == 0, result.output
    for book in books:
        values = conf_values(book)
        assert values["Interpreter_Win"] == sys.executable
        assert values["Interpreter_Mac"] is None
        after, old = parts(book), before[book]
        assert list(after) == list(old)                                      # same parts, same order
        assert {name for name in after if after[name] != old[name]} == {conf_part(book)}
        assert after[vba.VBA_PART] == old[vba.VBA_PART]
        assert vba.read_buttons(book) == vba.read_buttons(COMMITTED / book.name)
        assert vba.read_macros(book) == vba.read_macros(COMMITTED / book.name)
    assert books[0].stat().st_mode & 0o777 == 0o640
    assert [p.name for p in books[0].parent.iterdir() if p.name.startswith(".~tmp")] == []


def test_mac_key_and_the_default_books_of_the_folder(books, monkeypatch):
    monkeypatch.chdir(books[0].parent)
    assert default_books() == books
    result = CliRunner().invoke(cli, ["excel", "setup", "--for", "mac"])
    assert result.exit_code == 0, result.output
    assert all(conf_values(book)["Interpreter_Mac"] == sys.executable for book in books)


def test_default_books_fall_back_to_workbook_templates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "workbook_templates").mkdir()
    shutil.copy(COMMITTED / BOOKS[1], tmp_path / "workbook_templates" / BOOKS[1])
    assert default_books() == [tmp_path / "workbook_templates" / BOOKS[1]]
    (tmp_path / "workbook_templates" / BOOKS[1]).unlink()
    result = CliRunner().invoke(cli, ["excel", "setup", "--lang", "en"])
    assert result.exit_code == 1 and "No workbook here or in workbook_templates/" in result.output


def test_pythonpath_only_for_an_interpreter_without_this_xltools(books, plain_python, installed_python):
    summary = books[0]
    assert probe(plain_python)["xltools"] is None
    plain = setup_book(summary, "win", plain_python)
    assert conf_values(summary)["PYTHONPATH"] == str(SOURCE_FOLDER)
    assert probe(plain_python, str(SOURCE_FOLDER))["xltools"] == str(SOURCE_FOLDER)   # what RunPython will see
    assert plain.versions_match and plain.advice() is None
    installed = setup_book(summary, "win", installed_python)
    assert conf_values(summary) == {**conf_values(books[1]), "Interpreter_Win": str(installed_python),
                                    "PYTHONPATH": None}          # installed: the old folder is taken out
    assert installed.written == {"Interpreter_Win": str(installed_python), "PYTHONPATH": ""}
    assert installed.versions_match and installed.advice() is None


def test_a_version_mismatch_says_what_to_run(books, bare_python, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(bare_python))
    result = CliRunner().invoke(cli, ["excel", "setup", str(books[0]), "--lang", "en"])
    assert result.exit_code == 1
    assert probe(bare_python)["xlwings"] is None
    assert f"run \"{bare_python}\" -m pip install xlwings=={xlwings.__version__}" in result.stderr
    assert conf_values(books[0])["Interpreter_Win" if sys.platform != "darwin" else "Interpreter_Mac"] == str(bare_python)


def test_a_workbook_open_in_excel_is_left_alone(books):
    books[0].with_name("~$" + books[0].name).write_bytes(b"")
    before = books[0].read_bytes()
    with pytest.raises(FileInUse):
        setup_book(books[0], "win")
    assert books[0].read_bytes() == before
    result = CliRunner().invoke(cli, ["excel", "setup", str(books[0])])
    assert result.exit_code == 1 and "正在 Excel 中打开" in result.output


def test_a_workbook_without_the_conf_sheet_is_refused(tmp_path):
    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    assert read_conf(plain) == {}
    result = CliRunner().invoke(cli, ["excel", "setup", str(plain)])
    assert result.exit_code == 1 and "has no xlwings.conf sheet" in result.output
