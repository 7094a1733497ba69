"""Cutting a form sheet that goes beyond the limits down to them, so that what lies within
them can still be read: a copy of the package, its sheet XML streamed whole rows at a time."""
from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

from xltools.ingest.findings import column_letter
from xltools.forms.config import Config

_ROW = re.compile(rb"<row[\s>/][^>]*?(?:/>|>.*?</row>)", re.S)
_ROW_NUMBER = re.compile(rb"""\sr=["'](\d+)["']""")
_CELL = re.compile(rb"""<c\s[^>]*?\br=["']([A-Z]+)\d+["'][^>]*?(?:/>|>.*?</c>)""", re.S)


def cut_to_limits(source: Path | io.BytesIO, parts: set[str], config: Config) -> io.BytesIO:
    """A copy of the package in which the sheets ``parts`` keep only rows and columns within the limits."""
    copy = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in parts:
                with zin.open(info) as stream:
                    zout.writestr(info.filename, _cut_sheet(stream, config.max_rows, config.max_columns))
            else:   # streamed: other sheets too large to read may be big
                with zin.open(info) as part, zout.open(info.filename, "w") as copied:
                    shutil.copyfileobj(part, copied)
    copy.seek(0)
    return copy


def _cut_sheet(stream, max_rows: int, max_columns: int) -> bytes:
    """The sheet's XML streamed, whole rows at a time, without the rows and cells beyond the limits."""
    last_column = column_letter(max_columns)
    out, buf, row, beyond = bytearray(), b"", 0, False

    def cells_within(match: re.Match) -> bytes:
        letters = match.group(1)
        return match.group(0) if (len(letters), letters) <= (len(last_column), last_column.encode()) else b""

    while True:
        chunk = stream.read(1 << 20)
        buf += chunk
        # Whole rows only, until the end of the part.
        end = buf.rfind(b"</row>") + len(b"</row>") if chunk else len(buf)
        if chunk and end < len(b"</row>"):
            continue
        region, buf = buf[:end], buf[end:]
        pos = 0
        for match in _ROW.finditer(region):
            if not beyond:
                out += region[pos:match.start()]
                number = _ROW_NUMBER.search(match.group(0), 0, match.group(0).find(b">"))
                row = int(number.group(1)) if number else row + 1
                beyond = row > max_rows
                if not beyond:
                    out += _CELL.sub(cells_within, match.group(0))
            pos = match.end()
        if beyond:
            # Keep the end of the sheet (</sheetData> and what follows) once it comes.
            tail = region.find(b"</sheetData>", pos)
            pos = tail if tail >= 0 else len(region)
            beyond = tail < 0
        out += region[pos:]
        if not chunk:
            return bytes(out)
