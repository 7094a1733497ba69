"""Whose workbook is it, when no row says so.

The rep of a row is its form's owner column (跟进人, 提交人, …). A workbook holding only forms
without one (需求分析, 决策链, 商务谈判) takes its rep, in this order, from:

1. the workbook's properties: a custom property named ``销售代表`` or ``rep``, else the
   "last saved by" name Office and WPS record, unless it is a generic account (Administrator, …);
2. its file name, once form titles and names (with short forms: 商务谈判要点表, 客户回访记录表,
   商机跟踪表), dates, months, numbers, "副本"/"copy", "(1)" and separators (的 included) are
   dropped: the first word left;
3. the folders around it, innermost first, by the same rule, skipping region and team folders
   (names ending in 区, 部, 组 or 分公司).

Each such guess is said with an info finding (``rep-inferred``), so an admin can check it.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import PurePosixPath

from defusedxml import DefusedXmlException, ElementTree

from xltools.forms.schema import Schema
from xltools.text import Text

UNKNOWN = Text(zh="未知", en="unknown")
"""The rep of a file nothing could be read from."""

SOURCES = {"metadata": Text(zh="文件属性", en="the file's properties"),
           "file": Text(zh="文件名", en="the file name"), "folder": Text(zh="文件夹名", en="the folder name")}

_GENERIC_ACCOUNTS = {"", "administrator", "admin", "user", "users", "owner", "microsoft office user", "microsoft office 用户",
                     "openpyxl", "python", "xltools", "apache poi", "作者", "用户", "管理员", "wps", "unknown"}
_SHORT_FORM_SUFFIXES = ("要点表", "记录表", "登记表", "明细表", "汇总表", "清单", "记录", "表")
_GENERIC_WORDS = ("销售表单合集", "销售代表", "销售", "表单", "合集", "模板", "工作簿", "最终版", "修改版", "template",
                  "final", "forms", "form")
_COPY = re.compile(r"[（(]\s*\d+\s*[)）]|副本|\bcopy\b|\bof\b", re.IGNORECASE)
_DATE = re.compile(r"\d{2,4}\s*[-./年]\s*\d{1,2}(\s*[-./月]\s*\d{1,2}\s*日?|\s*月)?|\d{1,2}\s*月(\s*\d{1,2}\s*[日号])?"
                   r"|第?\s*\d+\s*[周季]度?|\bQ\d\b|\d+", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s_\-–—.·・、,，;；+&#@()（）\[\]【】《》的]+")
_TEAM_FOLDER = re.compile(r"(区|部|组|分公司)$")


def rep_from_metadata(source) -> str | None:
    """The rep a workbook's properties name, if any (an .xlsx's docProps)."""
    try:
        with zipfile.ZipFile(source) as zf:
            parts = set(zf.namelist())
            custom = _xml(zf, "docProps/custom.xml") if "docProps/custom.xml" in parts else None
            core = _xml(zf, "docProps/core.xml") if "docProps/core.xml" in parts else None
    except (zipfile.BadZipFile, OSError, ElementTree.ParseError, DefusedXmlException, KeyError):
        return None                 # properties are a hint only: a damaged part just gives none
    for prop in custom.iter() if custom is not None else ():
        if prop.get("name", "").strip().lower() in ("销售代表", "rep") and (value := "".join(prop.itertext()).strip()):
            return value
    for element in core.iter() if core is not None else ():
        if element.tag.endswith("}lastModifiedBy") and (name := (element.text or "").strip()):
            return None if name.lower() in _GENERIC_ACCOUNTS else name
    return None


def _xml(zf: zipfile.ZipFile, part: str):
    return ElementTree.fromstring(zf.read(part))


def rep_from_path(display: str, schema: Schema) -> tuple[str, str] | None:
    """(rep, "file" | "folder") read from a file's path relative to its inbox, or None."""
    path = PurePosixPath(display.replace("\\", "/"))
    if name := _name_in(path.stem, schema):
        return name, "file"
    for folder in reversed(path.parent.parts if not path.is_absolute() else ()):   # folders inside the inbox only
        if not _TEAM_FOLDER.search(folder) and (name := _name_in(folder, schema)):
            return name, "folder"
    return None


def _name_in(text: str, schema: Schema) -> str | None:
    text = _DATE.sub(" ", _COPY.sub(" ", text))
    for word in _form_words(schema):
        text = re.sub(re.escape(word), " ", text, flags=re.IGNORECASE)
    text = re.sub(r"(?<=[A-Za-z]) (?=[A-Za-z])", "\0", text)       # "Zhao Lei" stays one name
    words = [w.replace("\0", " ") for w in _SEPARATORS.split(text) if w]
    return words[0] if words else None


def _form_words(schema: Schema) -> list[str]:
    """Form titles and sheet names in both languages with their short forms, longest first (so
    商务谈判要点表 goes whole before 商务谈判 could leave 要点表 behind)."""
    words = set(_GENERIC_WORDS)
    for form in schema.forms:
        for name in (form.title, *(sheet.name for sheet in form.sheets)):
            stems = {name.zh, re.sub(r"(清单|处理|跟踪|审批|分析|信息)$", "", name.zh)}
            words |= {stem + suffix for stem in stems for suffix in ("", *_SHORT_FORM_SUFFIXES)} | {name.en}
    return sorted(words, key=len, reverse=True)


def infer_rep(display: str, source, schema: Schema) -> tuple[str, str | None]:
    """(rep, where it came from) for a workbook no owner column names: see the module's rule.
    ``source``: the .xlsx to read properties from, or None. Nothing found: (未知, None)."""
    if source is not None and (name := rep_from_metadata(source)):
        return name, "metadata"
    found = rep_from_path(display, schema)
    return found if found else (UNKNOWN.zh, None)
