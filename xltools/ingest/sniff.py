"""Decide whether a file is a readable workbook before any parser touches it, and if not, say why.

Readable are .xlsx/.xlsm (also encrypted with Excel's built-in default password), .xls, .xlsb and
.ods, recognised by their content whatever their extension.

Reps' files are untrusted. Parsers fail on hostile or mislabelled files in unhelpful ways: a CSV
renamed to .xlsx gives "File is not a zip file", a zip bomb fills the memory, and python-calamine
aborts the whole process on a legal 5 KB file with one value at XFD1048576. ``sniff`` looks at the
bytes first: their magic number says which check runs next (OLE2 here, zip in ``zip_checks``, text
and other formats here), and the answer is a ``Verdict`` whose reasons tell the rep what to do.

The scan only reads: the file's bytes are never changed.
"""
from __future__ import annotations

import codecs
import os
import stat
from dataclasses import replace
from pathlib import Path

from xltools.forms.config import Config
from xltools.ingest.discovery import should_skip, skip_reason
from xltools.ingest.encryption import decrypted
from xltools.ingest.verdict import PASSWORD_PROTECTED, WORD_DOCUMENT, Verdict, damaged, named_as, refused
from xltools.ingest.zip_checks import sniff_zip
from xltools.text import Text

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_OUTSIDE = Text("指向文件夹以外的链接：未读取", "a link pointing outside the folder: not read")
_CANNOT_OPEN = Text("文件无法打开（{error}）", "the file cannot be opened ({error})")
_NOT_REGULAR = Text("不是普通文件", "not a regular file")
_EMPTY = Text("文件是空的（0 字节）", "the file is empty (0 bytes)")


def sniff(path: Path, root: Path | None = None, config: Config = Config()) -> Verdict:
    """Whether ``path`` is a readable workbook, and in which format, judged from its bytes; the reasons say why not."""
    path = Path(path)
    skip = should_skip(path)
    if skip:
        return refused("skip", Text("已跳过：", "skipped: ") + skip_reason(skip))
    if root is not None and not path.resolve().is_relative_to(Path(root).resolve()):
        return refused("symlink", _OUTSIDE)
    try:
        info = os.stat(path)
    except OSError as exc:
        return refused("not-spreadsheet", _CANNOT_OPEN.format(error=exc.strerror))
    # A FIFO or device would block or never end: read regular files only.
    if not stat.S_ISREG(info.st_mode):
        return refused("not-spreadsheet", _NOT_REGULAR)
    if info.st_size == 0:
        return refused("empty", _EMPTY)
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(path, info.st_size, config)
    if head.startswith(b"PK"):
        return sniff_zip(path, path, config)
    return _sniff_other(path, head)


# --------------------------------------------------------------------------- OLE2: encrypted or old .xls


_WPS = Text("WPS 表格（.et）专有格式：请在 WPS 中“另存为”Excel 工作簿（.xlsx）",
            "a WPS spreadsheet (.et) in WPS's own format: in WPS, save it as an Excel workbook (.xlsx)")
_NOT_EXCEL = Text("不是 Excel 文件", "not an Excel file")


def _sniff_ole(path: Path, size: int, config: Config) -> Verdict:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except Exception:  # olefile raises assorted errors on damaged files
        return damaged("truncated" if size % 512 else "corrupt")
    # Excel stores a password-protected .xlsx as an OLE2 file holding the encrypted package.
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        package = decrypted(path)
        if package is None:
            return refused("encrypted", PASSWORD_PROTECTED)
        with package:
            verdict = sniff_zip(package, path, config)
        return replace(verdict, default_password=True) if verdict.ok else verdict
    if "Workbook" in streams or "Book" in streams:
        return Verdict(ok=True, kind="xls")
    if "WordDocument" in streams:
        named = named_as(path)
        return refused("not-spreadsheet", WORD_DOCUMENT.format(named=named))
    return refused("not-spreadsheet", _WPS if path.suffix.lower() == ".et" else _NOT_EXCEL)


# --------------------------------------------------------------------------- anything else


_OTHER_MAGIC = [
    (b"%PDF", Text("PDF 文件", "a PDF file")),
    (b"\x89PNG", Text("图片", "an image")),
    (b"\xff\xd8\xff", Text("图片", "an image")),
    (b"GIF8", Text("图片", "an image")),
    (b"Rar!", Text("RAR 压缩包", "a RAR archive")),
    (b"7z\xbc\xaf", Text("7-Zip 压缩包", "a 7-Zip archive")),
    (b"\x1f\x8b", Text("gzip 压缩包", "a gzip archive")),
]
_OTHER_FORMAT = Text("这是{named}{what}，不是 Excel 文件", "{what}{named}, not an Excel file")
_HTML = Text("这是{named}网页（HTML）文件（网页导出常见）：请用 Excel 打开后另存为 .xlsx",
             "an HTML file{named} (web exports often are): open it in Excel and save as .xlsx")
_XML_2003 = Text("Excel 2003 XML 表格：请另存为 .xlsx", "an Excel 2003 XML spreadsheet: re-save as .xlsx")
_CSV = Text("这是{named} CSV/文本文件：请用 Excel 打开后另存为 .xlsx", "a CSV/text file{named}: open it in Excel and save as .xlsx")
_PLAIN_TEXT = Text("这是{named}纯文本文件，不是 Excel 文件", "a plain text file{named}, not an Excel file")


def _sniff_other(path: Path, head: bytes) -> Verdict:
    named = named_as(path)
    for magic, what in _OTHER_MAGIC:
        if head.startswith(magic):
            return refused("not-spreadsheet", _OTHER_FORMAT.format(named=named, what=what))
    text = _as_text(head)
    if text is None:
        return refused("not-spreadsheet", _NOT_EXCEL)
    lowered = text.lstrip().lower()
    # Web reports "exported to Excel" are often HTML tables, or Excel 2003 XML, with an .xls(x) name.
    if lowered.startswith(("<html", "<!doctype html", "<table", "mime-version")) or "<html" in lowered[:500]:
        return refused("html", _HTML.format(named=named))
    if lowered.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return refused("xls", _XML_2003)
    if any(sep in text for sep in ",\t;"):
        return refused("csv", _CSV.format(named=named))
    return refused("not-spreadsheet", _PLAIN_TEXT.format(named=named))


def _as_text(head: bytes) -> str | None:
    """The first bytes as text when they look like text (UTF-8, UTF-16 with BOM, or GB18030), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export is UTF-16 with a byte order mark.
        text = head.decode("utf-16", errors="ignore")
    elif b"\x00" in head:
        return None
    else:
        text = _decode(head, "utf-8-sig") or _decode(head, "gb18030")
    if not text:
        return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if printable / len(text) > 0.95 else None


def _decode(head: bytes, encoding: str) -> str | None:
    # Incremental: the 2 KB cut may split the last character, which is no reason to call it binary.
    try:
        return codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return None
