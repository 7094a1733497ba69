"""``xltools excel setup``: point a workbook's ``xlwings.conf`` sheet at this computer's Python.

A button's RunPython starts the interpreter named on the workbook's ``xlwings.conf`` sheet
(``Interpreter_Win`` or ``Interpreter_Mac``); a blank value there means ``python`` on PATH,
which on a fresh computer is missing, the Microsoft Store's placeholder, or a Python without
xlwings. ``setup_book`` writes the running interpreter's path there, and ``PYTHONPATH`` only
when that interpreter cannot import this copy of xltools by itself. It edits only that
sheet's XML inside the package (``FileBookWriter``): the VBA project, the buttons and every
other part stay byte-identical.

``probe`` asks an interpreter, in a process of its own, what it can import: ``doctor`` uses it too.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from xltools.text import Text
from xltools.xlsx.workbooks import CONF_SHEET, book_file_name

PLATFORMS = {"win": "Interpreter_Win", "mac": "Interpreter_Mac"}
SOURCE_FOLDER = Path(__file__).resolve().parents[2]      # the folder that holds the xltools package

# Run by the interpreter being asked; prints what it can import, as JSON.
_PROBE = r"""
import json, os, sys
found = {"python": list(sys.version_info[:3]), "xltools": None, "xlwings": None}
try:
    import xltools
    found["xltools"] = os.path.dirname(os.path.dirname(os.path.abspath(xltools.__file__)))
except Exception:
    pass
try:
    from importlib.metadata import version
    found["xlwings"] = version("xlwings")
except Exception:
    pass
print(json.dumps(found))
"""


def this_platform() -> str:
    """The xlwings.conf key family of this computer: "mac" on macOS, else "win"."""
    return "mac" if sys.platform == "darwin" else "win"


def probe(interpreter: str | Path, pythonpath: str = "") -> dict | None:
    """What ``interpreter`` imports when RunPython starts it: Python version, xltools' folder, xlwings' version.

    It runs in a fresh temporary folder with only ``pythonpath`` as PYTHONPATH, as xlwings
    sets it from the conf sheet. None when the interpreter cannot be run.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    with tempfile.TemporaryDirectory() as folder:      # not the caller's folder, which may hold an xltools/
        try:
            done = subprocess.run([str(interpreter), "-c", _PROBE], cwd=folder, env=env, capture_output=True,
                                  text=True, timeout=120,
                                  creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))   # no console flash on Windows
        except (OSError, subprocess.SubprocessError):
            return None
    try:
        return json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    except (IndexError, ValueError):
        return None


def runs_this_xltools(found: dict | None) -> bool:
    return bool(found and found["xltools"] and Path(found["xltools"]).resolve() == SOURCE_FOLDER)


def default_books(folder: Path | None = None) -> list[Path]:
    """The two workbooks (Chinese or English names) in ``folder``, else in its workbook_templates/."""
    folder = Path.cwd() if folder is None else folder
    for place in (folder, folder / "workbook_templates"):
        found = [place / book_file_name(kind, lang) for kind in ("summary", "console") for lang in ("zh", "en")
                 if (place / book_file_name(kind, lang)).is_file()]
        if found:
            return found
    return []


def read_conf(book: Path) -> dict[str, tuple[int, str]]:
    """Key -> (row, value as text) of the workbook's xlwings.conf sheet; empty when it has none."""
    from openpyxl import load_workbook

    from xltools.xlsx.writers.protocol import setting_text

    workbook = load_workbook(book, read_only=True, data_only=True)
    try:
        if CONF_SHEET not in workbook.sheetnames:
            return {}
        rows = workbook[CONF_SHEET].iter_rows(max_col=2, values_only=True)
        return {str(row[0]).strip(): (number, setting_text(row[1] if len(row) > 1 else None))
                for number, row in enumerate(rows, start=1) if row and isinstance(row[0], str) and row[0].strip()}
    finally:
        workbook.close()


def embedded_xlwings_version(book: Path) -> str | None:
    """The version of the xlwings VBA module inside the workbook, as olevba reads it."""
    from xltools.xlsx.vba import read_macros, xlwings_vba_version

    source = read_macros(book).get("xlwings")
    return xlwings_vba_version(source) if source else None


@dataclass
class SetupResult:
    book: Path
    written: dict[str, str]           # xlwings.conf key -> value now in column B
    interpreter: str
    embedded: str | None              # version of the workbook's xlwings VBA
    installed: str | None             # version of xlwings in the interpreter; None: not installed

    @property
    def versions_match(self) -> bool:
        return self.embedded is not None and self.installed == self.embedded

    def advice(self) -> Text | None:
        """What to run when the interpreter's xlwings is not the workbook's; None when it is."""
        if self.versions_match:
            return None
        return xlwings_fix(self.interpreter, self.embedded, self.installed)


def xlwings_fix(interpreter: str, embedded: str | None, installed: str | None) -> Text:
    """The command that installs the workbook's xlwings version into ``interpreter``."""
    if embedded is None:
        return Text(zh="工作簿里没有 xlwings 的 VBA 模块：请换用 workbook_templates 里的新工作簿。",
                    en="The workbook has no xlwings VBA module: use a fresh copy from workbook_templates.")
    command = f'"{interpreter}" -m pip install xlwings=={embedded}'
    runpython = f'"{Path(interpreter).parent / "xlwings"}" runpython install'
    then = Text(f"，然后运行 {runpython}", f", then {runpython}") if this_platform() == "mac" else Text("", "")
    now = Text(installed, installed) if installed else Text("未安装", "not installed")
    return _XLWINGS_MISMATCH.format(embedded=embedded, now=now, command=command, then=then)


_XLWINGS_MISMATCH = Text("工作簿嵌入的是 xlwings {embedded}，而这个 Python 的 xlwings 是 {now}：请运行 {command}{then}。",
                         "The workbook embeds xlwings {embedded}, this Python has xlwings {now}: run {command}{then}.")


def setup_book(book: str | Path, platform: str | None = None, interpreter: str | Path | None = None) -> SetupResult:
    """Write the interpreter (and PYTHONPATH if it needs one) into ``book``'s xlwings.conf sheet.

    Only the values of those keys change; the file is replaced in one move and keeps its
    permissions. ``interpreter`` defaults to the running one, ``platform`` to this computer's.

    :raises FileInUse: the workbook is open in Excel; it is left as it was.
    :raises ValueError: the workbook has no xlwings.conf sheet with that key.
    """
    from xltools.xlsx.writers.file import FileBookWriter

    book = Path(book)
    interpreter = str(interpreter or sys.executable)
    key = PLATFORMS[platform or this_platform()]
    conf = read_conf(book)
    if key not in conf or "PYTHONPATH" not in conf:
        raise ValueError(f"{book} has no {CONF_SHEET} sheet with {key} and PYTHONPATH")
    found = probe(interpreter)
    values = {key: interpreter}
    if not runs_this_xltools(found):
        values["PYTHONPATH"] = str(SOURCE_FOLDER)
        found = probe(interpreter, str(SOURCE_FOLDER))
    elif conf["PYTHONPATH"][1]:
        values["PYTHONPATH"] = ""        # installed now: an old source folder would shadow it
    mode = stat.S_IMODE(book.stat().st_mode)
    writer = FileBookWriter(book)
    for name, value in values.items():
        writer.write_values(CONF_SHEET, f"B{conf[name][0]}", [[value]])
    writer.save()
    os.chmod(book, mode)             # the new file was created private; the workbook keeps what it had
    return SetupResult(book, values, interpreter, embedded_xlwings_version(book), found and found["xlwings"])
