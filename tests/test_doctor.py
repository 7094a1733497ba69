"""``xltools doctor`` and the 检查设置 button: each check passes when set up and fails, with its fix, when not."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import ROOT
from test_excel import FakeBook, fill_settings
from test_excel_setup import make_python
from xltools.buttons import press as buttons
from xltools.buttons import sheets
from xltools.buttons.settings import read_settings
from xltools.cli import cli
from xltools.buttons.doctor import check_setup_book, diagnose
from xltools.buttons.excel_setup import PLATFORMS, setup_book, this_platform
from xltools.xlsx.workbooks import CONF_SHEET
from xltools.xlsx.writers.file import FileBookWriter

xlwings = pytest.importorskip("xlwings", reason="needs the live extra: pip install 'xltools[live]'")

COMMITTED = ROOT / "workbook_templates"
KEY = PLATFORMS[this_platform()]


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(sheets, "now_text", lambda: "2024-04-10 09:00")


def copy_book(folder: Path, name: str = "销售汇总.xlsm") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(COMMITTED / name, folder / name))


@pytest.fixture
def office(tmp_path) -> Path:
    """A summary workbook set up for this Python, with an inbox and a store beside it."""
    book = copy_book(tmp_path / "wb")
    setup_book(book)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "xltools.db").write_bytes(b"SQLite format 3\0")
    fill_settings(book, inbox=str(tmp_path / "inbox"), store=str(tmp_path / "xltools.db"))
    return book


def checks_of(book: Path, platform: str | None = None) -> dict[str, object]:
    return {c.key: c for c in diagnose(book, FileBookWriter(book), platform)}


def set_conf(book: Path, **values: str) -> None:
    rows = {row[0].value: row[0].row for row in openpyxl.load_workbook(book)[CONF_SHEET].iter_rows(max_col=1)}
    writer = FileBookWriter(book)
    for key, value in values.items():
        writer.write_values(CONF_SHEET, f"B{rows[key]}", [[value]])
    writer.save()


def test_a_set_up_workbook_passes_every_check(office):
    checks = checks_of(office)
    assert list(checks) == ["python", "xlwings", "xltools", "inbox", "store", "master", "summary"]
    assert all(c.ok for c in checks.values()), [c.to_dict("en") for c in checks.values()]
    assert checks["xlwings"].detail("en") == f"installed {xlwings.__version__}, the workbook embeds {xlwings.__version__}"
    assert checks["xltools"].detail("en") == str(ROOT)


def test_a_blank_or_missing_interpreter_says_to_run_setup(office):
    set_conf(office, **{KEY: ""})
    (python,) = [c for c in diagnose(office, FileBookWriter(office)) if c.key == "python"]
    assert not python.ok and "xltools excel setup" in python.fix("en") and "blank" in python.detail("en")
    set_conf(office, **{KEY: str(office.parent / "no-python.exe")})
    assert not checks_of(office)["python"].ok


def test_an_old_python_without_xltools_and_another_xlwings(office, tmp_path):
    fake = tmp_path / "python"          # answers the probe the way a Python 3.10 with xlwings 0.30.0 would
    fake.write_text("#!/bin/sh\necho '{\"python\": [3, 10, 12], \"xltools\": null, \"xlwings\": \"0.30.0\"}'\n")
    fake.chmod(0o755)
    set_conf(office, **{KEY: str(fake)})
    checks = checks_of(office)
    assert [checks[k].ok for k in ("python", "xlwings", "xltools")] == [False, False, False]
    assert "Install Python 3.11 or newer" in checks["python"].fix("en")
    assert f'"{fake}" -m pip install xlwings=={xlwings.__version__}' in checks["xlwings"].fix("en")
    assert "PYTHONPATH" in checks["xltools"].fix("en")


def test_a_wrong_xlwings_version_in_a_real_environment(office, tmp_path):
    python = make_python(tmp_path / "old-xlwings")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    info = Path(site, "xlwings-0.30.0.dist-info")
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: xlwings\nVersion: 0.30.0\n", encoding="utf-8")
    set_conf(office, **{KEY: str(python)})
    xlwings_check = checks_of(office)["xlwings"]
    assert not xlwings_check.ok
    assert xlwings_check.detail("zh") == f"已安装 0.30.0，工作簿嵌入 {xlwings.__version__}"


def test_a_missing_inbox_folder(office, tmp_path):
    fill_settings(office, inbox=str(tmp_path / "gone"))
    inbox = checks_of(office)["inbox"]
    assert not inbox.ok and "does not exist" in inbox.detail("en") and "shared drive" in inbox.fix("en")


def test_a_wrong_setting_is_one_failed_check(office):
    fill_settings(office, lang="fr")
    checks = checks_of(office)
    assert not checks["settings"].ok and "zh or en" in checks["settings"].detail("en")


def test_a_missing_store_folder_fails_and_a_store_yet_to_be_made_passes(office, tmp_path):
    fill_settings(office, store=str(tmp_path / "nowhere" / "xltools.db"))
    assert not checks_of(office)["store"].ok
    fill_settings(office, store=str(tmp_path / "new.db"))
    store = checks_of(office)["store"]
    assert store.ok and "first merge creates it" in store.detail("en")


def test_master_in_a_folder_that_cannot_exist(office, tmp_path):
    (tmp_path / "a-file").write_text("")
    fill_settings(office, master=str(tmp_path / "a-file" / "master.xlsx"))
    master = checks_of(office)["master"]
    assert not master.ok and "write access" in master.fix("en")


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder on a read-only file system (a tmpfs remounted read-only), as a read-only share is."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def test_a_read_only_store_is_fine_for_a_manager_but_not_for_merging(office, read_only_folder, tmp_path):
    (read_only_folder / "xltools.db").write_bytes(b"SQLite format 3\0")
    console = copy_book(tmp_path / "wb", "合并控制台.xlsm")
    setup_book(console)
    for book in (office, console):
        fill_settings(book, inbox=str(tmp_path / "inbox"), store=str(read_only_folder / "xltools.db"),
                      master=str(tmp_path / "master.xlsx"))
    _remount_read_only(read_only_folder)
    summary_store, console_store = checks_of(office)["store"], checks_of(console)["store"]
    assert summary_store.ok and "read-only" in summary_store.detail("en")
    assert not console_store.ok and "Merging needs write access" in console_store.fix("en")
    assert checks_of(console)["annotated"].ok


def test_a_summary_workbook_in_a_read_only_folder_cannot_be_saved(tmp_path, read_only_folder):
    book = copy_book(read_only_folder)
    setup_book(book)
    fill_settings(book, store=str(tmp_path / "xltools.db"))
    _remount_read_only(read_only_folder)
    assert not checks_of(book)["summary"].ok


def test_a_postgresql_server_that_answers_and_one_that_does_not(office):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        fill_settings(office, store=f"postgresql://bob:secret@127.0.0.1:{port}/sales")
        answered = checks_of(office)["server"]
    assert answered.ok and answered.detail("en") == f"127.0.0.1:{port}"
    silent = checks_of(office)["server"]                 # the port is closed now
    assert not silent.ok and "secret" not in silent.fix("en") and "bob:***" in silent.fix("en")
    assert "store" not in checks_of(office)               # a server store has no file to check


def test_doctor_command_text_json_and_exit_code(office, tmp_path):
    result = CliRunner().invoke(cli, ["doctor", str(office), "--json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert report["book"] == str(office) and all(c["ok"] for c in report["checks"])
    fill_settings(office, inbox=str(tmp_path / "gone"))
    result = CliRunner().invoke(cli, ["doctor", str(office)])
    assert result.exit_code == 1
    assert "✗ 收件箱可读: 不存在" in result.output and "  → 改正“设置”里的收件箱文件夹" in result.output
    assert "✓ Python: " in result.output


def test_the_button_writes_the_checklist_onto_the_settings_sheet(office, tmp_path):
    fill_settings(office, inbox=str(tmp_path / "gone"))
    settings_before = read_settings(FileBookWriter(office), "summary")
    assert buttons.press(FileBookWriter(office), check_setup_book)
    rows = [row for row in openpyxl.load_workbook(office)["设置"].iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if row[0] == "检查设置（2024-04-10 09:00）")
    assert rows[start + 1][:3] == ("检查", "结果", "如何修正")
    listed = {row[0]: row[1:3] for row in rows[start + 2:] if row[0]}
    assert listed["Python"][0].startswith("✓ 3.") and listed["Python"][1] is None
    assert listed["收件箱可读"][0].startswith("✗ 不存在") and "收件箱文件夹" in listed["收件箱可读"][1]
    assert read_settings(FileBookWriter(office), "summary") == settings_before   # 设置 still reads the same
    assert buttons.press(FileBookWriter(office), check_setup_book)                        # a second run replaces it
    rows = list(openpyxl.load_workbook(office)["设置"].iter_rows(values_only=True))
    assert sum(row[0] == "检查设置（2024-04-10 09:00）" for row in rows) == 1


def test_the_button_in_excel_runs_on_the_calling_book(office, monkeypatch):
    import xltools.excel as x

    live = FakeBook(office)
    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: live))
    x.check_setup()
    assert live.app.alerts == []
    written = {v for v in live.sheets["设置"].cells.values() if isinstance(v, str)}
    assert "检查设置（2024-04-10 09:00）" in written and any(v.startswith("✓ 3.") for v in written)
    assert (live.app.screen_updating, live.app.calculation) == (True, "automatic")


def test_annotated_copies_folder_inside_the_inbox_fails_and_beside_it_passes(tmp_path):
    console = copy_book(tmp_path / "wb", "合并控制台.xlsm")
    setup_book(console)
    (tmp_path / "inbox").mkdir()
    fill_settings(console, inbox=str(tmp_path / "inbox"), annotated=str(tmp_path / "inbox" / "copies"))
    annotated = checks_of(console)["annotated"]
    assert not annotated.ok and "must not be inside the inbox folder" in annotated.detail("en")
    fill_settings(console, annotated=str(tmp_path / "copies"))        # made by the first run
    assert checks_of(console)["annotated"].ok


@pytest.mark.skipif(not __import__("os").environ.get("XLTOOLS_TEST_PG"), reason="XLTOOLS_TEST_PG is not set")
def test_a_real_postgresql_server_answers(office):
    import os
    fill_settings(office, store=os.environ["XLTOOLS_TEST_PG"])
    assert checks_of(office)["server"].ok
