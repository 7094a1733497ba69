"""``xltools doctor`` and the 检查设置 button: every misconfiguration Python can detect, with its fix.

``diagnose`` returns the checks as data, in the order a button press meets them: the
interpreter named on ``xlwings.conf``, its xlwings against the workbook's embedded VBA, its
xltools, the 设置 sheet, the inbox folder, the store, the paths the buttons write, and a
PostgreSQL server. The command line prints them (or JSON); the button writes them onto 设置
below the settings. Writability is tried for real (a temporary file, an open for writing),
because permission bits say nothing about ACLs, read-only mounts or a root user.
"""
from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from xltools.buttons.settings import ButtonError, Settings, book_lang, read_settings, sheet_name
from xltools.buttons.excel_setup import PLATFORMS, embedded_xlwings_version, probe, read_conf, this_platform, xlwings_fix
from xltools.text import Text
from xltools.xlsx.workbooks import BOOK_SETTINGS, CONF_SHEET, CONSOLE_SHEETS, SETTINGS_FIRST_ROW, SETTINGS_TITLE
from xltools.xlsx.writers.protocol import BookWriter

MIN_PYTHON = (3, 11)           # what the pinned xlwings requires
SERVER_TIMEOUT = 3.0           # seconds to wait for a database server to answer

SETUP = Text(zh="运行 xltools excel setup（用装有 xltools 的那个 Python），或在 xlwings.conf 工作表填写",
             en="Run xltools excel setup (with the Python that has xltools), or fill in the xlwings.conf sheet's")


@dataclass(frozen=True)
class Check:
    key: str
    name: Text
    ok: bool
    detail: Text               # what was found
    fix: Text | None = None    # what to do, for a failed check

    def to_dict(self, lang: str = "zh") -> dict:
        return {"check": self.key, "name": self.name(lang), "ok": self.ok, "detail": self.detail(lang),
                "fix": self.fix(lang) if self.fix else None}


def _same(text: str) -> Text:
    return Text(zh=text, en=text)


def book_kind(writer: BookWriter) -> str:
    """"console" for 合并控制台, "summary" for 销售汇总."""
    names = writer.sheet_names()
    return "console" if {CONSOLE_SHEETS["findings"].zh, CONSOLE_SHEETS["findings"].en} & set(names) else "summary"


def diagnose(book: Path, writer: BookWriter, platform: str | None = None) -> list[Check]:
    """The checks for the workbook file ``book``, whose 设置 ``writer`` reads."""
    key = PLATFORMS[platform or this_platform()]
    checks = _interpreter_checks(book, key)
    kind = book_kind(writer)
    try:
        settings = read_settings(writer, kind)
    except ButtonError as exc:
        return checks + [Check("settings", Text(zh="设置工作表", en="Settings sheet"), False, exc.text,
                               Text(zh="按上面的说明改正“设置”工作表。", en="Correct the Settings sheet as said."))]
    checks.append(_inbox_check(settings, kind))
    try:
        store = settings.store_file()
    except ButtonError as exc:
        return checks + [Check("store", Text(zh="数据库可用", en="Store usable"), False, exc.text)]
    if isinstance(store, Path):
        checks.append(_store_check(store, kind))
    checks += _written_paths(book, settings, store, kind)
    if not isinstance(store, Path):
        checks.append(_server_check(store))
    return checks


# --- The interpreter ------------------------------------------------------------------------------------------


def _interpreter_checks(book: Path, key: str) -> list[Check]:
    python, xlwings, xltools = (Text(zh="Python", en="Python"), Text(zh="xlwings", en="xlwings"),
                                Text(zh="xltools", en="xltools"))
    conf = read_conf(book)
    if key not in conf:
        missing = Text(zh=f"没有 {CONF_SHEET} 工作表或其中没有 {key}", en=f"No {CONF_SHEET} sheet with {key}")
        fresh = Text(zh="换用 workbook_templates 里的新工作簿。", en="Use a fresh copy from workbook_templates.")
        return [Check("python", python, False, missing, fresh)]
    interpreter, pythonpath = conf[key][1], conf.get("PYTHONPATH", (0, ""))[1]
    embedded = embedded_xlwings_version(book)
    if not interpreter:
        return [Check("python", python, False,
                      Text(zh=f"{key} 为空：xlwings 会用 PATH 里的 python", en=f"{key} is blank: xlwings runs python from PATH"),
                      Text(zh=f"{SETUP.zh} {key}。", en=f"{SETUP.en} {key}."))]
    found = probe(interpreter, pythonpath) if Path(interpreter).is_file() else None
    if found is None:
        return [Check("python", python, False,
                      Text(zh=f"{key} 的 {interpreter} 无法运行", en=f"{key}: {interpreter} does not run"),
                      Text(zh=f"{SETUP.zh} {key}。", en=f"{SETUP.en} {key}."))]
    version = ".".join(map(str, found["python"]))
    needed = ".".join(map(str, MIN_PYTHON))
    checks = [Check("python", python, tuple(found["python"][:2]) >= MIN_PYTHON, _same(f"{version} ({interpreter})"),
                    Text(zh=f"安装 Python {needed} 或更新版本，再运行 xltools excel setup。",
                         en=f"Install Python {needed} or newer, then run xltools excel setup."))]
    installed = found["xlwings"]
    checks.append(Check("xlwings", xlwings, installed is not None and installed == embedded,
                        Text(zh=f"已安装 {installed or '无'}，工作簿嵌入 {embedded or '无'}",
                             en=f"installed {installed or 'none'}, the workbook embeds {embedded or 'none'}"),
                        xlwings_fix(interpreter, embedded, installed)))
    where = found["xltools"]
    checks.append(Check("xltools", xltools, where is not None,
                        _same(where) if where else Text(zh="无法导入", en="cannot be imported"),
                        Text(zh=f"在 {interpreter} 里 pip install xltools，或运行 xltools excel setup 填写 PYTHONPATH。",
                             en=f"pip install xltools into {interpreter}, or run xltools excel setup to set PYTHONPATH.")))
    return checks


# --- Folders and files ----------------------------------------------------------------------------------------


def _can_write_in(folder: Path) -> bool:
    """True when a file can be created in ``folder`` (as every atomic write does)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _can_write(path: Path) -> bool:
    try:
        with open(path, "r+b"):
            return True
    except OSError:
        return False


def _can_read_folder(folder: Path) -> bool:
    try:
        next(iter(os.scandir(folder)), None)
        return True
    except OSError:
        return False


def _inbox_check(s: Settings, kind: str) -> Check:
    name = Text(zh="收件箱可读", en="Inbox readable")
    if s.inbox is None:
        if kind == "summary" and s.store is not None:
            return Check("inbox", name, True, Text(zh="未填写：只能用“仅刷新汇总”", en="blank: only 'Summary only' works"))
        return Check("inbox", name, False, Text(zh="未填写收件箱文件夹", en="The inbox folder is blank"),
                     Text(zh="在“设置”工作表填写收件箱文件夹。", en="Fill in the inbox folder on the Settings sheet."))
    if not s.inbox.is_dir():
        return Check("inbox", name, False, Text(zh=f"不存在：{s.inbox}", en=f"does not exist: {s.inbox}"),
                     Text(zh="改正“设置”里的收件箱文件夹，或连上它所在的共享盘。",
                          en="Correct the inbox folder in Settings, or connect the shared drive it is on."))
    if not _can_read_folder(s.inbox):
        return Check("inbox", name, False, Text(zh=f"无权读取：{s.inbox}", en=f"not readable: {s.inbox}"),
                     Text(zh="请管理员给你这个文件夹的读取权限。", en="Ask the admin for read access to the folder."))
    return Check("inbox", name, True, _same(str(s.inbox)))


def _store_check(store: Path, kind: str) -> Check:
    name = Text(zh="数据库可用", en="Store usable")
    if not store.exists():
        if store.parent.is_dir() and _can_write_in(store.parent):
            return Check("store", name, True,
                         Text(zh=f"还没有 {store}：第一次合并会创建它（之前“仅刷新汇总”不能用）",
                              en=f"no {store} yet: the first merge creates it ('Summary only' needs it)"))
        return Check("store", name, False, Text(zh=f"不存在，也无法在其文件夹里创建：{store}",
                                                en=f"missing, and its folder does not take new files: {store}"),
                     Text(zh="改正“设置”里的数据库，或请管理员给这个文件夹写权限。",
                          en="Correct the store in Settings, or ask the admin for write access to its folder."))
    try:
        with open(store, "rb") as file:
            file.read(16)
    except OSError:
        return Check("store", name, False, Text(zh=f"无权读取：{store}", en=f"not readable: {store}"),
                     Text(zh="请管理员给你这个文件的读取权限。", en="Ask the admin for read access to the file."))
    if _can_write(store) and _can_write_in(store.parent):
        return Check("store", name, True, Text(zh=f"可读写：{store}", en=f"read and write: {store}"))
    read_only = Text(zh=f"只读：{store}（可以“仅刷新汇总”，不能合并）",
                     en=f"read-only: {store} (fine for 'Summary only'; merging needs write access)")
    return Check("store", name, kind == "summary", read_only,
                 Text(zh="合并需要写权限：请管理员给你数据库文件和所在文件夹的写权限。",
                      en="Merging needs write access: ask the admin for it on the store file and its folder."))


def _writable_path(key: str, name: Text, path: Path, what: Text, is_folder: bool = False) -> Check:
    """A folder the buttons write into, or a file they replace (written beside it, then moved)."""
    folder = path if is_folder else path.parent
    ok = folder.is_dir() and _can_write_in(folder) or (not folder.exists() and _creatable(folder))
    if ok and not is_folder and path.exists() and not _can_write(path):
        ok = False
    fix = Text(zh=f"改正“设置”里的{what.zh}，或请管理员给 {folder} 写权限。",
               en=f"Correct the {what.en} in Settings, or ask the admin for write access to {folder}.")
    return Check(key, name, ok, _same(str(path)), fix)


def _creatable(folder: Path) -> bool:
    parent = next((p for p in folder.parents if p.exists()), None)
    return parent is not None and parent.is_dir() and _can_write_in(parent)


def _written_paths(book: Path, s: Settings, store: Path | str, kind: str) -> list[Check]:
    from xltools.jobs.places import default_master

    checks = []
    if s.master is not None or s.inbox is not None or isinstance(store, Path):
        master = s.master or default_master(store, [s.inbox] if s.inbox else [])
        checks.append(_writable_path("master", Text(zh="总表可写", en="Master writable"), master,
                                     Text(zh="总表", en="master workbook")))
    if kind == "summary":
        # Excel saves the workbook through a new file in its folder; the open file itself is locked by Excel.
        ok = _can_write_in(book.parent)
        checks.append(Check("summary", Text(zh="汇总工作簿可保存", en="Summary workbook savable"), ok,
                            _same(str(book)), Text(zh=f"把工作簿放到你能写入的文件夹，而不是 {book.parent}。",
                                                   en=f"Keep the workbook in a folder you can write to, not {book.parent}.")))
    elif s.inbox is not None:
        try:
            folder = s.annotated_folder()
        except ButtonError as exc:
            return checks + [Check("annotated", Text(zh="批注副本文件夹可写", en="Annotated copies writable"), False,
                                   exc.text)]
        checks.append(_writable_path("annotated", Text(zh="批注副本文件夹可写", en="Annotated copies writable"),
                                     folder, Text(zh="批注副本文件夹", en="annotated copies folder"), is_folder=True))
    return checks


# --- A database server ------------------------------------------------------------------------------------------


def _server_check(url: str) -> Check:
    from xltools.store.locations import mask_url

    name = Text(zh="PostgreSQL 服务器", en="PostgreSQL server")
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=SERVER_TIMEOUT):
            return Check("server", name, True, _same(f"{host}:{port}"))
    except OSError as exc:
        return Check("server", name, False,
                     Text(zh=f"{host}:{port} 连不上（{exc.strerror or exc}）", en=f"{host}:{port} does not answer ({exc.strerror or exc})"),
                     Text(zh=f"检查“设置”里的数据库地址 {mask_url(url)}、网络（VPN）和防火墙，或请管理员确认服务器在运行。",
                          en=f"Check the store address {mask_url(url)} in Settings, the network (VPN) and firewall, "
                             "or ask the admin whether the server runs."))


# --- Showing the checks ----------------------------------------------------------------------------------------


def render(checks: list[Check], lang: str = "zh") -> str:
    """One line per check, ✓ or ✗, and the fix under each ✗."""
    lines = []
    for check in checks:
        lines.append(f"{'✓' if check.ok else '✗'} {check.name(lang)}: {check.detail(lang)}")
        if not check.ok and check.fix:
            lines.append(f"  → {check.fix(lang)}")
    return "\n".join(lines)


_HEADERS = (Text("检查", "Check"), Text("结果", "Result"), Text("如何修正", "How to fix"))
_TITLE = Text("检查设置（{now}）", "Setup check ({now})")


def check_setup_book(writer: BookWriter) -> None:
    """检查设置: the checklist, written onto 设置 below the settings."""
    from xltools.buttons.sheets import now_text

    lang = book_lang(writer)
    book = writer.file_path()
    if book is None:
        raise ButtonError("工作簿在 OneDrive/SharePoint 上：请先另存到本机文件夹再检查。",
                          "The workbook is on OneDrive/SharePoint: save a copy to a local folder, then check.")
    checks = diagnose(book, writer)
    sheet = sheet_name(writer, SETTINGS_TITLE)
    row = SETTINGS_FIRST_ROW + len(BOOK_SETTINGS[book_kind(writer)]) + 1
    rows = [[c.name(lang), f"{'✓' if c.ok else '✗'} {c.detail(lang)}", None if c.ok or not c.fix else c.fix(lang)]
            for c in checks]
    with writer.writing():
        writer.clear(sheet, row)
        writer.write_table(sheet, f"A{row}", [h(lang) for h in _HEADERS], rows, ["text"] * 3,
                           title=_TITLE.format(now=now_text())(lang),
                           flags={(i, 1) for i, c in enumerate(checks) if not c.ok})
    writer.save()
