"""The parts of an OOXML workbook package, and text as they hold it.

Everything in ``xlsx/`` that reads or writes a package's XML itself (the file writer, the
streaming writer, the VBA build's reader) takes the part names and namespaces from here and escapes
text with ``xml_text``; where a part is (the sheets, a part's relationships) is found by
``xltools.ingest.package``, as for reading.
"""
from __future__ import annotations

import re
import zipfile

from defusedxml import ElementTree

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_ID = f"{{{DOC_REL_NS}}}id"
WORKSHEET_TYPE = f"{DOC_REL_NS}/worksheet"

WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
SHARED_STRINGS = "xl/sharedStrings.xml"
CONTENT_TYPES = "[Content_Types].xml"


def worksheet_part(index: int) -> str:
    """The part of the ``index``-th sheet (from 1) in a package written from scratch."""
    return f"xl/worksheets/sheet{index}.xml"


def read_xml(package: zipfile.ZipFile, part: str):
    return ElementTree.fromstring(package.read(part))


def shared_strings(package: zipfile.ZipFile) -> list[str]:
    if SHARED_STRINGS not in package.namelist():
        return []
    root = read_xml(package, SHARED_STRINGS)
    return ["".join(t.text or "" for t in item.iter(f"{{{MAIN_NS}}}t")) for item in root.iter(f"{{{MAIN_NS}}}si")]


_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4})_")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def xml_escape(text: str) -> str:
    """&, < and > as XML entities (attribute values here are always in double quotes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def excel_text(text: str) -> str:
    """Text as Excel stores it: characters XML cannot hold as _xHHHH_, and a typed "_x0041_" as
    "_x005F_x0041_" so that Excel does not read it back as "A"."""
    text = _ESCAPE_LIKE.sub(r"_x005F_\1_", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return _SURROGATE.sub("\ufffd", text)


def xml_text(text: str) -> str:
    """Text for an OOXML string element or attribute: escaped, and as Excel stores it."""
    if not _SPECIAL.search(text):
        return text
    return xml_escape(excel_text(text))
