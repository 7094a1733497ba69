"""The 设置 sheet of a button workbook, read and checked: the inbox, the store, the master, the day,
the rule settings and the language a button runs with."""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from xltools.errors import UserError
from xltools.forms.config import Config, config_beside, load_config
from xltools.text import Text
from xltools.xlsx.workbooks import BOOK_SETTINGS, SETTINGS, SETTINGS_TITLE
from xltools.xlsx.writers.protocol import BookWriter

ANNOTATED = Text("校验批注", "annotated")
"""The folder of annotated copies beside the inbox, when 设置 names none."""


class ButtonError(UserError):
    """A failure the user can fix, said in both languages."""


@dataclass
class Settings:
    inbox: Path | None
    store: Path | str | None         # a file, or a database address such as postgresql://… as it was typed
    master: Path | None
    annotated: Path | None
    as_of: dt.date
    config: Config
    lang: str
    targets: Path | None = None       # the targets workbook or folder, merged with the inbox

    def inbox_folder(self) -> Path:
        if self.inbox is None:
            raise ButtonError("请在“设置”工作表填写收件箱文件夹。", "Fill in the inbox folder on the Settings sheet.")
        if not self.inbox.is_dir():
            raise ButtonError(f"收件箱文件夹不存在：{self.inbox}", f"The inbox folder does not exist: {self.inbox}")
        return self.inbox

    def store_file(self) -> Path | str:
        """The store named in 设置, or xltools.db beside the inbox, as merge would use."""
        if self.store is not None:
            return self.store
        if self.inbox is None:
            raise ButtonError("请在“设置”工作表填写数据库或收件箱文件夹。",
                              "Fill in the store or the inbox folder on the Settings sheet.")
        from xltools.store.locations import default_store
        return default_store([self.inbox])

    def annotated_folder(self) -> Path:
        inbox = self.inbox_folder()
        folder = self.annotated or inbox.resolve().parent / ANNOTATED(self.lang)
        _outside_inbox(folder, inbox, Text("批注副本文件夹", "The annotated copies folder"))
        return folder


def read_settings(writer: BookWriter, kind: str) -> Settings:
    """The 设置 sheet of a "summary" or "console" workbook, checked and with defaults filled in."""
    raw = writer.read_settings(sheet_name(writer, SETTINGS_TITLE))
    text = {key: raw.get(SETTINGS[key].label.zh, raw.get(SETTINGS[key].label.en, "")) for key in BOOK_SETTINGS[kind]}
    base = writer.base_dir()
    lang = (text.get("lang") or "zh").strip().lower()
    if lang not in ("zh", "en"):
        raise ButtonError(f"“语言”应为 zh 或 en，而不是“{lang}”。", f"Language must be zh or en, not '{lang}'.")
    store = text.get("store", "").strip()
    settings = Settings(inbox=_path(text.get("inbox"), base), store=store if "://" in store else _path(store, base),
                        master=_path(text.get("master"), base), annotated=_path(text.get("annotated"), base),
                        as_of=_day(text.get("as_of", "")), config=Config(), lang=lang,
                        targets=_path(text.get("targets"), base))
    # Blank: the rules.yaml beside the store, as every command picks it up.
    beside = config_beside(settings.store_file()) if settings.store or settings.inbox else None
    settings.config = _config(_path(text.get("config"), base) or beside)
    if settings.master is not None and settings.inbox is not None:
        _outside_inbox(settings.master, settings.inbox, Text("总表", "The master workbook"))
    return settings


def _path(text: str | None, base: Path) -> Path | None:
    if not text or not text.strip():
        return None
    path = Path(os.path.expandvars(os.path.expanduser(text.strip().strip('"'))))
    return path if path.is_absolute() else base / path


def _day(text: str) -> dt.date:
    if not text.strip():
        return dt.date.today()
    found = re.fullmatch(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]0?0:00(?::00)?)?\s*", text)
    try:
        return dt.date(*(int(part) for part in found.groups())) if found else _bad_day(text)
    except ValueError:
        return _bad_day(text)


def _bad_day(text: str):
    raise ButtonError(f"截至日期“{text}”不是日期：请写成 2024-04-10，或留空表示今天。",
                      f"As-of date '{text}' is not a date: write it like 2024-04-10, or leave it blank for today.")


def _config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except (ValueError, OSError) as exc:
        raise ButtonError(f"规则设置文件 {path} 有误：{exc}", f"Rule settings file {path} is wrong: {exc}") from exc


def _outside_inbox(path: Path, inbox: Path, what: Text) -> None:
    # Anything written inside the inbox would be read back as a rep's workbook next time.
    if path.resolve().is_relative_to(inbox.resolve()):
        raise ButtonError(f"{what.zh}不能放在收件箱文件夹里：{path}", f"{what.en} must not be inside the inbox folder: {path}")


def sheet_name(writer: BookWriter, name: Text) -> str:
    """The sheet's name in this workbook, whichever language it was built in."""
    names = writer.sheet_names()
    for candidate in (name.zh, name.en):
        if candidate in names:
            return candidate
    raise ButtonError(f"工作簿里没有“{name.zh}”工作表：请换用 workbook_templates 里的新工作簿。",
                      f"The workbook has no sheet '{name.en}': use a fresh copy from workbook_templates.")



def book_lang(writer: BookWriter) -> str:
    """The language for messages: 设置's 语言 when it can be read, else the workbook's own."""
    own = "en" if SETTINGS_TITLE.en in writer.sheet_names() else "zh"
    try:
        raw = writer.read_settings(sheet_name(writer, SETTINGS_TITLE))
    except Exception:  # noqa: BLE001 - the job itself reports a broken 设置
        return own
    lang = raw.get(SETTINGS["lang"].label.zh, raw.get(SETTINGS["lang"].label.en, "")).strip().lower()
    return lang if lang in ("zh", "en") else own

