"""Where the parts of an .xlsx package are: its sheets in workbook order and each part's relationships.

Read by pattern, not by an XML parser: sniffing runs this on files nobody has vetted yet, reading runs
it on every workbook, and writers spell these tags with or without a namespace prefix, attributes in
any order, in single or double quotes. Everything that locates a part (sniff, the reader, the writers
into a workbook, the VBA build) asks here.
"""
from __future__ import annotations

import html
import posixpath
import re
import zipfile

WORKBOOK_PART = "xl/workbook.xml"
RELS_LIMIT = 4 * 1024 * 1024        # a relationships part larger than this is not a workbook's: not read

_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")


def _attribute(name: bytes) -> re.Pattern:
    return re.compile(rb"\s" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""")


_ID, _TYPE, _TARGET, _NAME = (_attribute(n) for n in (rb"Id", rb"Type", rb"Target", rb"name"))
_REL_ID = _attribute(rb"\w+:id")


def _value(pattern: re.Pattern, tag: bytes) -> str:
    found = pattern.search(tag)
    return html.unescape((found.group(1) or found.group(2) or b"").decode("utf-8", "replace")) if found else ""


def rels_part(part: str) -> str:
    """The relationships part of ``part`` (xl/workbook.xml -> xl/_rels/workbook.xml.rels)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve(folder: str, target: str) -> str:
    """A relationship's target as a part name: absolute from the package root, else relative to ``folder``."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target)).lstrip("/")


def relationships(package: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """rId -> (type, target part) of one part's relationships; none when it has none (or too many to be real)."""
    rels = rels_part(part)
    try:
        if package.getinfo(rels).file_size > RELS_LIMIT:
            return {}
    except KeyError:
        return {}
    folder = posixpath.dirname(part)
    return {_value(_ID, tag): (_value(_TYPE, tag), resolve(folder, _value(_TARGET, tag)))
            for tag in _RELATIONSHIP.findall(package.read(rels))}


def sheets(package: zipfile.ZipFile, workbook: bytes | None = None) -> list[tuple[str, str, str]]:
    """(name, relationship type, part) of every sheet, worksheets and chart sheets alike, in workbook order.
    ``workbook``: the workbook part's bytes, when the caller has read them already."""
    targets = relationships(package, WORKBOOK_PART)
    found = []
    for tag in _SHEET.findall(package.read(WORKBOOK_PART) if workbook is None else workbook):
        kind, part = targets.get(_value(_REL_ID, tag), ("", ""))
        found.append((_value(_NAME, tag), kind, part))
    return found


def worksheets(package: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part of the worksheets (chart, macro and dialog sheets left out), in workbook order."""
    return {name: part for name, kind, part in sheets(package) if kind.endswith("/worksheet")}
