"""The zip container: is it a workbook we read (xlsx, xlsb, ods), is it a zip bomb, are its parts sound.

A zip bomb is refused from the zip index alone, before anything is inflated; then every XML part is
streamed once (``xml_scan``), which also verifies the parts' checksums.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from xltools.forms.config import Config
from xltools.ingest.package import WORKBOOK_PART, relationships
from xltools.ingest.verdict import WORD_DOCUMENT, Verdict, damaged, named_as, refused
from xltools.ingest.xml_scan import MB, RangeLimits, scan_part
from xltools.text import Text

XML_SUFFIXES = (".xml", ".rels", ".vml")
SHEET_FOLDERS = ("xl/worksheets/", "xl/macrosheets/", "xl/dialogsheets/")


def sniff_zip(source: Path | io.BytesIO, path: Path, config: Config) -> Verdict:
    """``source`` holds the bytes (a decrypted copy, or the file itself); ``path`` names the file."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, EOFError, ValueError):
        # No readable zip index at the end of the file: the download or copy stopped early.
        return damaged("truncated")
    try:
        with zf:
            return _check_zip(zf, path, config)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
        # A part fails its checksum, does not inflate, or uses an unknown compression or encryption.
        return damaged("corrupt")


def _check_zip(zf: zipfile.ZipFile, path: Path, config: Config) -> Verdict:
    members = zf.infolist()
    names = {info.filename.lower(): info.filename for info in members}
    kind = _zip_format(zf, names)
    verdict = (None if kind else _not_workbook(names, path)) or _check_sizes(members, config)
    if verdict:
        return verdict
    sheets = _sheet_parts(zf, names) if kind == "xlsx" else set()
    limits = RangeLimits(config.max_rows, config.max_columns)
    too_large = []
    for info in members:
        if info.filename.lower().endswith(XML_SUFFIXES):
            verdict = scan_part(zf, info, limits if info.filename in sheets else None)
            if verdict and verdict.kind != "too-large-range":
                return verdict
            if verdict:
                too_large.append((info.filename, verdict))
    # Limits are per sheet: the reader skips these sheets, or reads a form sheet up to the limits.
    return Verdict(ok=True, kind=kind, oversize=tuple((part, v.reason) for part, v in too_large))


def _zip_format(zf: zipfile.ZipFile, names: dict[str, str]) -> str | None:
    """xlsx, xlsb or ods when the zip holds the parts their readers need, else None."""
    if "[content_types].xml" in names and "xl/workbook.xml" in names:
        return "xlsx"
    if "[content_types].xml" in names and "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names and "mimetype" in names and zf.getinfo(names["mimetype"]).file_size < 100 \
            and b"opendocument.spreadsheet" in zf.read(names["mimetype"]):
        return "ods"
    return None


_POWERPOINT = Text("这是{named} PowerPoint 文件，不是 Excel 工作簿", "a PowerPoint file{named}, not an Excel workbook")
_OPENDOCUMENT = Text("OpenDocument 文件但不是电子表格，不是 Excel 工作簿",
                     "an OpenDocument file but not a spreadsheet, not an Excel workbook")
_ZIP_OF_WORKBOOKS = Text("这是装有 Excel 工作簿的 zip 压缩包：请解压后发送工作簿",
                         "a zip file holding Excel workbooks: unzip it and send the workbooks")
_ZIP = Text("这是 zip 压缩包，不是 Excel 工作簿", "a zip file, not an Excel workbook")


def _not_workbook(names: dict[str, str], path: Path) -> Verdict:
    """Why a zip that is no workbook we read is refused."""
    named = named_as(path)
    if any(name.startswith("word/") for name in names):
        return refused("zip", WORD_DOCUMENT.format(named=named))
    if any(name.startswith("ppt/") for name in names):
        return refused("zip", _POWERPOINT.format(named=named))
    if "content.xml" in names and "mimetype" in names:
        return refused("zip", _OPENDOCUMENT)
    if any(name.endswith((".xlsx", ".xlsm")) for name in names):
        return refused("zip", _ZIP_OF_WORKBOOKS)
    return refused("zip", _ZIP)


def _check_sizes(members: list[zipfile.ZipInfo], config: Config) -> Verdict | None:
    """Refuse zip bombs from the zip index alone, before inflating anything.

    The declared sizes are enough: zipfile never inflates a part beyond its declared size, and a part
    that holds more fails its checksum in the streamed scan.
    """
    total = sum(info.file_size for info in members)
    if total > config.max_unzipped_mb * MB:
        return _bomb(total, sum(info.compress_size for info in members))
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MB and ratio > config.max_compression_ratio:
            return _bomb(info.file_size, info.compress_size)
    return None


_BOMB = Text("压缩内容解压后达 {unpacked}（压缩时 {packed}）：出于安全考虑拒绝读取",
             "compressed content unpacks to {unpacked} (from {packed}): refused as unsafe")


def _bomb(unpacked: int, packed: int) -> Verdict:
    return refused("bomb", _BOMB.format(unpacked=_size(unpacked), packed=_size(packed)))


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{max(1, round(n / 1024)):,} KB"


_SHEET_TYPES = ("/worksheet", "/macrosheet", "/dialogsheet")


def _sheet_parts(zf: zipfile.ZipFile, names: dict[str, str]) -> set[str]:
    """Worksheet part names: the usual folders plus whatever the workbook's relationships point at."""
    parts = {real for lower, real in names.items() if lower.startswith(SHEET_FOLDERS)}
    for kind, part in relationships(zf, names.get(WORKBOOK_PART, WORKBOOK_PART)).values():
        if kind.endswith(_SHEET_TYPES):
            parts.add(names.get(part.lower(), part))
    return parts
