"""What python-calamine does not tell of an .xlsx: error cells, formulas without a cached value,
the template's form tags and each sheet's part in the package -- from a cheap scan of the XML
(the sheets' parts are located by ``package``, by pattern rather than a full XML parser)."""
from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from xltools.ingest import package


@dataclass
class XmlFacts:
    forms: dict[str, str] = field(default_factory=dict)            # sheet name -> form key (metadata)
    cells: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet name -> {A1: "#REF!" | "formula"}
    parts: dict[str, str] = field(default_factory=dict)            # sheet name -> its part in the zip

    _ERROR = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*?\bt="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?<v>([^<]*)</v>')
    _NO_VALUE = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>')
    _TAG = re.compile(r'<definedName\b[^>]*\bname="_xltools_form"[^>]*\blocalSheetId="(\d+)"[^>]*>([^<]*)<')

    @classmethod
    def scan(cls, path: Path | io.BytesIO, skip: set[str] | frozenset = frozenset()) -> "XmlFacts":
        """The facts of every sheet but the parts in ``skip`` (too large to read)."""
        facts = cls()
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            workbook = zf.read(package.WORKBOOK_PART)
            sheets = [(name, part) for name, _, part in package.sheets(zf, workbook)]
            for index, value in cls._TAG.findall(workbook.decode("utf-8", "replace")):
                if int(index) < len(sheets):
                    facts.forms[sheets[int(index)][0]] = html.unescape(value).strip('"\' ')
            for name, part in sheets:
                facts.parts[name] = part
                if part in names and part not in skip:
                    facts.cells[name] = cls._cell_facts(zf.read(part))
        return facts

    @classmethod
    def _cell_facts(cls, xml: bytes) -> dict[str, str]:
        facts: dict[str, str] = {}
        if b't="e"' in xml:
            facts.update((ref.decode(), v.decode()) for ref, v in cls._ERROR.findall(xml))
        if b"<f" in xml:
            facts.update((ref.decode(), "formula") for ref in cls._NO_VALUE.findall(xml))
        return facts
