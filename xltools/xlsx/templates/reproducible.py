"""Saving a template byte-for-byte reproducibly: fixed document dates and zip entry times, so rebuilding
the committed templates changes nothing in git."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

from xltools.atomic import write_atomically

BUILD_TIME = dt.datetime(2024, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CORE_PROPERTIES = "docProps/core.xml"


def workbook_bytes(wb: Workbook) -> bytes:
    """The saved workbook with fixed times, so equal content gives equal bytes.

    openpyxl stamps the save time into the document properties and the zip entries;
    both are replaced by fixed times.
    """
    raw = io.BytesIO()
    wb.save(raw)
    stable = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(stable, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == CORE_PROPERTIES:
                data = _fix_modified_time(data)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    return stable.getvalue()


def _fix_modified_time(core_xml: bytes) -> bytes:
    stamp = BUILD_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", lambda m: m.group(1) + stamp, core_xml)


def save_workbook(wb: Workbook, path: Path) -> Path:
    write_atomically(path, workbook_bytes(wb))
    return path
