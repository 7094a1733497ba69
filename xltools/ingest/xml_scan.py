"""The streamed scan of a workbook's XML parts: no entity declarations, no values beyond the limits.

XML entities are how XML bombs and external-file reads work, and no spreadsheet writer needs them.
A value far outside any form (one cell at XFD1048576 in a legal 5 KB file) makes python-calamine
abort the whole process, so sheets are refused or cut to the limits before any parser sees them.
The scan streams each part in chunks and only reads: the file's bytes are never changed.
"""
from __future__ import annotations

import re
import zipfile
from types import ModuleType

from xltools.ingest.verdict import Verdict, refused
from xltools.text import Text

MB = 1024 * 1024
CHUNK = 1 * MB
# Enough to keep a whole attribute such as ` r="XFD1048576"` across a chunk boundary.
OVERLAP = 64


def ensure_defusedxml() -> ModuleType:
    """Import defusedxml or fail loudly: openpyxl guards against XML entity attacks only when it is installed."""
    try:
        import defusedxml
    except ImportError as exc:  # pragma: no cover - defusedxml is a declared dependency
        raise RuntimeError(
            "defusedxml is not installed: openpyxl would parse reps' files without protection "
            "against XML entity attacks. Install it: pip install defusedxml"
        ) from exc
    # openpyxl decides once, at import, and lets OPENPYXL_DEFUSEDXML=False switch the protection off.
    import openpyxl
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise RuntimeError("openpyxl is not using defusedxml (is OPENPYXL_DEFUSEDXML set to False?)")
    return defusedxml


def _letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _above(limit: str, one: str, first: str, last: str) -> str:
    """A regex for strings of ``one`` characters that compare above ``limit`` (same length: lexically)."""
    alternatives = [f"{first}{one}{{{len(limit)},}}"]
    for i, char in enumerate(limit):
        if char < last:
            alternatives.append(f"{limit[:i]}[{chr(ord(char) + 1)}-{last}]{one}{{{len(limit) - i - 1}}}")
    return "|".join(alternatives)


# r='…' or r="…" after a tab or line break. One literal-led regex: 1.5 ms per MB.
_UNUSUAL_SPELLING = re.compile(rb"r(?:='|=(?<=[\t\n\r]r=))")


class RangeLimits:
    """Regexes that match only cell or row references beyond the limits.

    Only out-of-range references match, so scanning a normal sheet costs one pass of the regex
    engine over its bytes and builds no match objects. The sheet's <dimension> tag is ignored: it is
    whatever the writer claimed. Only cells with a value count: a rep who formats whole rows leaves
    styled empty cells such as <c r="XFD1" s="3"/>, which hold nothing to read.
    """

    def __init__(self, max_rows: int, max_columns: int):
        self.max_rows, self.max_columns = max_rows, max_columns
        rows = _above(str(max_rows), "[0-9]", "[1-9]", "9").encode()
        columns = _above(_letters(max_columns), "[A-Z]", "[A-Z]", "Z").encode()
        # Lookaheads reject the usual short reference before trying the alternatives: twice as fast.
        rows = b"(?=[0-9]{%d})(?:%s)" % (len(str(max_rows)), rows)
        columns = b"(?=[A-Z]{%d})(?:%s)" % (len(_letters(max_columns)), columns)
        # ` r="N"` on a row, ` r="A1"` on a cell, as every writer spells them. The literal start lets
        # the regex engine skip quickly from one reference to the next.
        self.usual = re.compile(rb' r="(?:[A-Z]*0*' + rows + rb'"|' + columns + rb"[0-9])")
        # XML also allows single quotes and other whitespace before the attribute: slower, so it only
        # runs on the rare chunk that spells a reference that way.
        self.any = re.compile(rb"""\sr=["'](?:[A-Z]*0*""" + rows + rb"""["']|""" + columns + rb"[0-9])")

    def search(self, buf: bytes, pos: int = 0) -> re.Match | None:
        match = self.usual.search(buf, pos)
        if match is None and _UNUSUAL_SPELLING.search(buf, pos):
            match = self.any.search(buf, pos)
        return match

    def value_beyond(self, buf: bytes) -> tuple[str | None, int | None]:
        """(the first cell beyond the limits that holds a value, None) or, when the end of an element
        is not in view yet, (None, where to resume once more bytes are read)."""
        match = self.search(buf)
        while match:
            holds = _holds_value(buf, match)
            if holds is None:
                return None, buf.rfind(b"<", 0, match.start())
            if holds:
                return _where(buf, match), None
            match = self.search(buf, match.end())
        return None, None

    def refusal(self, cell: str) -> Verdict:
        """``cell`` is a reference such as XFD1048576, or a bare row number."""
        where = Text(f"第 {int(cell)} 行", f"row {int(cell):,}") if cell.isdigit() else Text(cell, cell)
        reason = Text("{where}处有内容，远超任何表单的范围（上限：{rows} 行 × {columns} 列）；请删除后重新保存",
                      "a value at {where} lies far outside any form (limit: {rows:,} rows × {columns:,} columns); "
                      "delete it and save again")
        return refused("too-large-range", reason.format(where=where, rows=self.max_rows, columns=self.max_columns))


_REF = re.compile(rb"""r=["']([A-Z]*[0-9]+)["']""")
_CONTENT = re.compile(rb"<(?:\w+:)?(?:v|is|f)\b")
_ELEMENT = re.compile(rb"<(?:\w+:)?(c|row)[\s>/]")


def _holds_value(buf: bytes, match: re.Match) -> bool | None:
    """Whether the cell or row whose reference matched holds a value; None if its end is not in view."""
    start = buf.rfind(b"<", 0, match.start())
    element = _ELEMENT.match(buf, start) if start >= 0 else None
    if element is None:            # another element's r="…" attribute: not content
        return False
    tag_end = buf.find(b">", match.end())
    if tag_end < 0:
        return None
    if buf[tag_end - 1:tag_end] == b"/":
        return False
    # The closing tag of this element (a row's cells have their own): found by name.
    close = buf.find(b"</c>" if element.group(1) == b"c" else b"</row>", tag_end)
    if close < 0:
        return None if len(buf) - start < 4 * CHUNK else True
    return _CONTENT.search(buf, tag_end, close) is not None


def _where(buf: bytes, match: re.Match) -> str:
    """The cell named by a match; for a row tag, the first cell of that row when it is in view."""
    ref = _REF.search(buf, match.start()).group(1).decode()
    if ref.isdigit():
        cell = _REF.search(buf, match.end())
        if cell and cell.group(1).decode().lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ref:
            return cell.group(1).decode()
    return ref


_ROW_WITHOUT_REF = re.compile(rb"<(?:\w+:)?row(?=[\s>/])(?![^>]*\sr=)")
_ENTITIES = Text("含有 XML 实体声明（{part}）：出于安全考虑拒绝读取",
                 "contains XML entity declarations ({part}): refused as unsafe")


def scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: RangeLimits | None) -> Verdict | None:
    """Stream one XML part: refuse DTDs, and in sheets (``limits`` given), references beyond the limits.

    Reading to the end also makes zipfile verify the part's checksum, which catches damaged files and
    parts that hold more than their declared size.
    """
    tail = b""
    rows = 0
    with zf.open(info) as stream:
        while chunk := stream.read(CHUNK):
            buf = tail + chunk
            if b"<!DOCTYPE" in buf or b"<!ENTITY" in buf:
                return refused("bomb", _ENTITIES.format(part=info.filename))
            resume = None
            if limits is not None:
                cell, resume = limits.value_beyond(buf)
                if cell:
                    return limits.refusal(cell)
                # Rows may omit r="…"; readers then count them, so count them too.
                rows += sum(1 for m in _ROW_WITHOUT_REF.finditer(buf) if m.start() >= len(tail))
                if rows > limits.max_rows:
                    return limits.refusal(str(rows))
            tail = buf[-OVERLAP:] if resume is None else buf[min(resume, len(buf) - OVERLAP):]
    return None
