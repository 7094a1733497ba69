"""Decide whether a file is a readable workbook before any parser touches it, and if not, say why.

Readable are .xlsx/.xlsm (also encrypted with Excel's built-in default password), .xls, .xlsb and
.ods, recognised by their content whatever their extension.

Reps' files are untrusted. Parsers fail on hostile or mislabelled files in unhelpful ways: a CSV
renamed to .xlsx gives "File is not a zip file", a zip bomb fills the memory, and python-calamine
aborts the whole process on a legal 5 KB file with one value at XFD1048576. ``sniff`` looks at the
bytes first (magic numbers, the zip index, a streamed scan of the XML parts) and answers with a
``Verdict`` whose reasons, in Chinese and English, tell the rep what to do.

The scan only reads: the file's bytes are never changed.
"""
from __future__ import annotations

import codecs
import io
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Iterable, Iterator

from xltools.forms.config import Config

MB = 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}
# Read as well: .xls, .xlsb, .ods and WPS .et by their content; .csv so that its sender learns how
# to convert it instead of seeing it vanish.
OTHER_SPREADSHEET_SUFFIXES = {".xls", ".xlsb", ".et", ".csv", ".ods"}
READ_SUFFIXES = WORKBOOK_SUFFIXES | OTHER_SPREADSHEET_SUFFIXES
# The extensions each readable format goes by; WPS saves .xls content as .et too.
FORMAT_SUFFIXES = {"xlsx": WORKBOOK_SUFFIXES, "xls": {".xls", ".et"}, "xlsb": {".xlsb"}, "ods": {".ods"}}
# Excel encrypts workbooks protected against structure changes or marked read-only-recommended with
# this built-in password and opens them without asking: their reps do not know they are encrypted.
DEFAULT_PASSWORD = "VelvetSweatshop"
CHUNK = 1 * MB
# Enough to keep a whole attribute such as ` r="XFD1048576"` across a chunk boundary.
OVERLAP = 64
XML_SUFFIXES = (".xml", ".rels", ".vml")
SHEET_FOLDERS = ("xl/worksheets/", "xl/macrosheets/", "xl/dialogsheets/")

SKIP_LOCK = "Excel's lock file of an open workbook (~$)"
SKIP_HIDDEN = "hidden file"
SKIP_NOT_SPREADSHEET = "not a spreadsheet"
SKIP_SYMLINK_OUTSIDE = "symlink outside the folder"
SKIP_LINKED_FOLDER = "linked folder: not followed"
SKIP_LINKED_FILE = "link to a file in the folder: read there, not twice"
SKIP_MISSING = "no such file or folder"
SKIP_UNREADABLE_FOLDER = "the folder cannot be opened"
_SKIP_ZH = {
    SKIP_LOCK: "Excel 打开工作簿时生成的临时锁定文件（~$）",
    SKIP_HIDDEN: "隐藏文件",
    SKIP_NOT_SPREADSHEET: "不是电子表格",
    SKIP_SYMLINK_OUTSIDE: "指向文件夹以外的链接",
    SKIP_LINKED_FOLDER: "链接的文件夹：未进入",
    SKIP_LINKED_FILE: "指向本文件夹内文件的链接：只在原处读取一次",
    SKIP_MISSING: "文件或文件夹不存在",
    SKIP_UNREADABLE_FOLDER: "文件夹无法打开",
}


@dataclass(frozen=True)
class Verdict:
    """Whether a file can be read; if not, why, for the rep, and a kind for the program.

    kind, when readable, is the format: xlsx | xls | xlsb | ods. Otherwise: skip | encrypted | xls |
    csv | html | zip | empty | truncated | corrupt | bomb | too-large-range | symlink | not-spreadsheet.
    ``oversize`` maps the sheet parts that are too large to read to their reasons (en, zh): the other
    sheets are read. ``default_password``: encrypted with Excel's built-in password (see ``decrypted``).
    """

    ok: bool
    reason_zh: str = ""
    reason_en: str = ""
    kind: str = "xlsx"
    oversize: tuple[tuple[str, str, str], ...] = ()
    default_password: bool = False
    detail: str = ""


def _no(kind: str, en: str, zh: str) -> Verdict:
    return Verdict(ok=False, reason_zh=zh, reason_en=en, kind=kind)


def skip_reason_zh(reason_en: str) -> str:
    """The Chinese wording of a reason returned by ``should_skip`` or ``iter_workbooks``."""
    if reason_en in _SKIP_ZH:
        return _SKIP_ZH[reason_en]
    base, sep, detail = reason_en.partition(" (")
    zh = _SKIP_ZH.get(base, base)
    return f"{zh}（{detail.rstrip(')')}）" if sep else zh


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


# --------------------------------------------------------------------------- which files to read


def should_skip(path: Path) -> str | None:
    """Why a file is not worth reading at all (listed as skipped, not as an error), or None to read it.

    Other spreadsheet formats are read on purpose: ``sniff`` recognises them by content, and tells
    the sender of a format we do not read (.csv, WPS's own .et) how to convert it.
    """
    name = Path(path).name
    if name.startswith("~$"):
        return SKIP_LOCK
    if name.startswith("."):
        return SKIP_HIDDEN
    suffix = Path(name).suffix.lower()
    if suffix not in READ_SUFFIXES:
        return f"{SKIP_NOT_SPREADSHEET} ({suffix or 'no extension'})"
    return None


def iter_workbooks(paths: Iterable[Path]) -> Iterator[tuple[Path, Path, str | None]]:
    """Yield (file, root, skip_reason) for files given directly and for files found in folders.

    Folders are walked recursively in name order, so runs are reproducible. Hidden folders are not
    entered, links are never followed: a link pointing outside the root, a linked folder (loops) and
    a link to a file inside the root (duplicates) are all yielded with a skip reason.
    """
    for given in paths:
        given = Path(given)
        if given.is_dir():
            yield from _walk(given, given, given.resolve())
        elif given.exists() or given.is_symlink():
            yield given, given.parent, should_skip(given)
        else:
            yield given, given.parent, SKIP_MISSING


def _walk(folder: Path, root: Path, real_root: Path) -> Iterator[tuple[Path, Path, str | None]]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield folder, root, f"{SKIP_UNREADABLE_FOLDER} ({exc.strerror})"
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            yield path, root, _symlink_reason(path, real_root)
        elif entry.is_dir(follow_symlinks=False):
            # Hidden folders (.git, __MACOSX from unpacked archives) hold no reps' forms.
            if not entry.name.startswith(".") and entry.name != "__MACOSX":
                yield from _walk(path, root, real_root)
        else:
            yield path, root, should_skip(path)


def _symlink_reason(path: Path, real_root: Path) -> str | None:
    target = path.resolve()
    if not target.is_relative_to(real_root):
        return SKIP_SYMLINK_OUTSIDE
    if target.is_dir():
        return SKIP_LINKED_FOLDER
    # The target is in the folder too: reading both would count the same rep's data twice.
    return should_skip(path) or SKIP_LINKED_FILE


# --------------------------------------------------------------------------- the verdict


def sniff(path: Path, root: Path | None = None, config: Config = Config()) -> Verdict:
    """Whether ``path`` is a readable workbook, and in which format, judged from its bytes; the reasons say why not."""
    path = Path(path)
    skip = should_skip(path)
    if skip:
        return _no("skip", f"skipped: {skip}", f"已跳过：{skip_reason_zh(skip)}")
    if root is not None and not path.resolve().is_relative_to(Path(root).resolve()):
        return _no("symlink", "a link pointing outside the folder: not read", "指向文件夹以外的链接：未读取")
    try:
        info = os.stat(path)
    except OSError as exc:
        return _no("not-spreadsheet", f"the file cannot be opened ({exc.strerror})", f"文件无法打开（{exc.strerror}）")
    # A FIFO or device would block or never end: read regular files only.
    if not stat.S_ISREG(info.st_mode):
        return _no("not-spreadsheet", "not a regular file", "不是普通文件")
    if info.st_size == 0:
        return _no("empty", "the file is empty (0 bytes)", "文件是空的（0 字节）")
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(path, info.st_size, config)
    if head.startswith(b"PK"):
        return _sniff_zip(path, path, config)
    return _sniff_other(path, head)


def _named(path: Path) -> tuple[str, str]:
    """' named .xlsx' when a workbook's extension disguises another format, else nothing."""
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return f" named {suffix}", f"改名为 {suffix} 的"
    return "", ""


# --------------------------------------------------------------------------- OLE2: encrypted or old .xls


def _sniff_ole(path: Path, size: int, config: Config) -> Verdict:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except Exception:  # olefile raises assorted errors on damaged files
        return _damaged("truncated" if size % 512 else "corrupt")
    en_named, zh_named = _named(path)
    # Excel stores a password-protected .xlsx as an OLE2 file holding the encrypted package.
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        package = decrypted(path)
        if package is None:
            return _no("encrypted", "password-protected: remove the password and save again",
                       "文件受密码保护：请取消密码后重新保存")
        with package:
            verdict = _sniff_zip(package, path, config)
        return replace(verdict, default_password=True) if verdict.ok else verdict
    if "Workbook" in streams or "Book" in streams:
        return Verdict(ok=True, kind="xls")
    if "WordDocument" in streams:
        return _no("not-spreadsheet", f"a Word document{en_named}, not an Excel workbook",
                   f"这是{zh_named} Word 文档，不是 Excel 工作簿")
    return _not_excel(path)


def decrypted(path: Path) -> io.BytesIO | None:
    """The workbook inside an encrypted file when Excel's built-in default password opens it, else None."""
    import msoffcrypto

    try:
        with open(path, "rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            office.load_key(password=DEFAULT_PASSWORD, verify_password=True)
            package = io.BytesIO()
            office.decrypt(package)
    except Exception:  # noqa: BLE001 - a real password, or an encryption msoffcrypto-tool does not know
        return None
    # A wrong key that escaped verification decrypts to noise, not to a zip.
    if not zipfile.is_zipfile(package):
        return None
    package.seek(0)
    return package


def _not_excel(path: Path) -> Verdict:
    if path.suffix.lower() == ".et":
        return _no("not-spreadsheet",
                   "a WPS spreadsheet (.et) in WPS's own format: in WPS, save it as an Excel workbook (.xlsx)",
                   "WPS 表格（.et）专有格式：请在 WPS 中“另存为”Excel 工作簿（.xlsx）")
    return _no("not-spreadsheet", "not an Excel file", "不是 Excel 文件")


def _damaged(kind: str) -> Verdict:
    if kind == "truncated":
        return _no(kind, "the file is damaged or incomplete (truncated): ask for it again",
                   "文件已损坏或不完整（被截断）：请重新发送")
    return _no(kind, "the file is damaged: open it in Excel, let Excel repair it and save again, or ask for it again",
               "文件已损坏：请用 Excel 打开、修复后重新保存，或重新发送")


def parser_failure(exc: BaseException, what: str = "file") -> tuple[str, str, str]:
    """(en, zh, detail) for a parser's exception on a file or one sheet: a sentence for the rep, and
    the parser's own words (``CalamineError: Cell string index not found``) as the detail."""
    detail = f"{type(exc).__name__}: {exc}"
    if type(exc).__name__ == "PasswordError":
        return ("password-protected: remove the password and save again", "文件受密码保护：请取消密码后重新保存",
                detail)
    if what == "sheet":
        return ("the sheet is damaged and cannot be parsed; the rest of the workbook was read",
                "工作表已损坏，无法解析；工作簿的其余部分已读取", detail)
    damaged = _damaged("corrupt")
    return damaged.reason_en, damaged.reason_zh, detail


# --------------------------------------------------------------------------- zip: the workbook itself


def _sniff_zip(source: Path | io.BytesIO, path: Path, config: Config) -> Verdict:
    """``source`` holds the bytes (a decrypted copy, or the file itself); ``path`` names the file."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, EOFError, ValueError):
        # No readable zip index at the end of the file: the download or copy stopped early.
        return _damaged("truncated")
    try:
        with zf:
            return _check_zip(zf, path, config)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
        # A part fails its checksum, does not inflate, or uses an unknown compression or encryption.
        return _damaged("corrupt")


def _check_zip(zf: zipfile.ZipFile, path: Path, config: Config) -> Verdict:
    members = zf.infolist()
    names = {info.filename.lower(): info.filename for info in members}
    kind = _zip_format(zf, names)
    verdict = (None if kind else _not_workbook(names, path)) or _check_sizes(members, config)
    if verdict:
        return verdict
    sheets = _sheet_parts(zf, names) if kind == "xlsx" else set()
    limits = _RangeLimits(config.max_rows, config.max_columns)
    too_large = []
    for info in members:
        if info.filename.lower().endswith(XML_SUFFIXES):
            verdict = _scan_part(zf, info, limits if info.filename in sheets else None)
            if verdict and verdict.kind != "too-large-range":
                return verdict
            if verdict:
                too_large.append((info.filename, verdict))
    # Limits are per sheet: the reader skips these sheets, or reads a form sheet up to the limits.
    return Verdict(ok=True, kind=kind, oversize=tuple((part, v.reason_en, v.reason_zh) for part, v in too_large))


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


def _not_workbook(names: dict[str, str], path: Path) -> Verdict:
    """Why a zip that is no workbook we read is refused."""
    en_named, zh_named = _named(path)
    if any(name.startswith("word/") for name in names):
        return _no("zip", f"a Word document{en_named}, not an Excel workbook", f"这是{zh_named} Word 文档，不是 Excel 工作簿")
    if any(name.startswith("ppt/") for name in names):
        return _no("zip", f"a PowerPoint file{en_named}, not an Excel workbook", f"这是{zh_named} PowerPoint 文件，不是 Excel 工作簿")
    if "content.xml" in names and "mimetype" in names:
        return _no("zip", "an OpenDocument file but not a spreadsheet, not an Excel workbook",
                   "OpenDocument 文件但不是电子表格，不是 Excel 工作簿")
    if any(name.endswith((".xlsx", ".xlsm")) for name in names):
        return _no("zip", "a zip file holding Excel workbooks: unzip it and send the workbooks",
                   "这是装有 Excel 工作簿的 zip 压缩包：请解压后发送工作簿")
    return _no("zip", "a zip file, not an Excel workbook", "这是 zip 压缩包，不是 Excel 工作簿")


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


def _bomb(unpacked: int, packed: int) -> Verdict:
    return _no("bomb",
               f"compressed content unpacks to {_size(unpacked)} (from {_size(packed)}): refused as unsafe",
               f"压缩内容解压后达 {_size(unpacked)}（压缩时 {_size(packed)}）：出于安全考虑拒绝读取")


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{max(1, round(n / 1024)):,} KB"


_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_TYPE = re.compile(rb"""\bType\s*=\s*["']([^"']*)["']""")
_TARGET = re.compile(rb"""\bTarget\s*=\s*["']([^"']*)["']""")
_SHEET_TYPES = (b"/worksheet", b"/macrosheet", b"/dialogsheet")


def _sheet_parts(zf: zipfile.ZipFile, names: dict[str, str]) -> set[str]:
    """Worksheet part names: the usual folders plus whatever the workbook's relationships point at."""
    parts = {real for lower, real in names.items() if lower.startswith(SHEET_FOLDERS)}
    rels = names.get("xl/_rels/workbook.xml.rels")
    if rels is None or zf.getinfo(rels).file_size > 4 * MB:
        return parts
    for tag in _RELATIONSHIP.findall(zf.read(rels)):
        kind, target = _TYPE.search(tag), _TARGET.search(tag)
        if kind and target and kind.group(1).endswith(_SHEET_TYPES):
            part = _resolve_target(target.group(1).decode("utf-8", "replace"))
            parts.add(names.get(part.lower(), part))
    return parts


def _resolve_target(target: str) -> str:
    """A relationship target, relative to xl/ unless absolute, as a zip member name."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in PurePosixPath("xl", target).parts:
        if piece == "..":
            parts = parts[:-1]
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


# --------------------------------------------------------------------------- streamed scan of the XML parts


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


class _RangeLimits:
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
        where_en, where_zh = (f"row {int(cell):,}", f"第 {int(cell)} 行") if cell.isdigit() else (cell, cell)
        limit = f"{self.max_rows:,} rows × {self.max_columns:,} columns"
        limit_zh = f"{self.max_rows} 行 × {self.max_columns} 列"
        return _no("too-large-range",
                   f"a value at {where_en} lies far outside any form (limit: {limit}); delete it and save again",
                   f"{where_zh}处有内容，远超任何表单的范围（上限：{limit_zh}）；请删除后重新保存")


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


def _scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: _RangeLimits | None) -> Verdict | None:
    """Stream one XML part: refuse DTDs, and in sheets, references beyond the limits.

    Reading to the end also makes zipfile verify the part's checksum, which catches damaged files and
    parts that hold more than their declared size.
    """
    tail = b""
    rows = 0
    with zf.open(info) as stream:
        while chunk := stream.read(CHUNK):
            buf = tail + chunk
            # Entities are how XML bombs and external-file reads work; no spreadsheet writer needs them.
            if b"<!DOCTYPE" in buf or b"<!ENTITY" in buf:
                return _no("bomb", f"contains XML entity declarations ({info.filename}): refused as unsafe",
                           f"含有 XML 实体声明（{info.filename}）：出于安全考虑拒绝读取")
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


_ROW_WITHOUT_REF = re.compile(rb"<(?:\w+:)?row(?=[\s>/])(?![^>]*\sr=)")


# --------------------------------------------------------------------------- anything else


_OTHER_MAGIC = [
    (b"%PDF", "a PDF file", "PDF 文件"),
    (b"\x89PNG", "an image", "图片"),
    (b"\xff\xd8\xff", "an image", "图片"),
    (b"GIF8", "an image", "图片"),
    (b"Rar!", "a RAR archive", "RAR 压缩包"),
    (b"7z\xbc\xaf", "a 7-Zip archive", "7-Zip 压缩包"),
    (b"\x1f\x8b", "a gzip archive", "gzip 压缩包"),
]


def _sniff_other(path: Path, head: bytes) -> Verdict:
    en_named, zh_named = _named(path)
    for magic, what_en, what_zh in _OTHER_MAGIC:
        if head.startswith(magic):
            return _no("not-spreadsheet", f"{what_en}{en_named}, not an Excel file", f"这是{zh_named}{what_zh}，不是 Excel 文件")
    text = _as_text(head)
    if text is None:
        return _no("not-spreadsheet", "not an Excel file", "不是 Excel 文件")
    lowered = text.lstrip().lower()
    # Web reports "exported to Excel" are often HTML tables, or Excel 2003 XML, with an .xls(x) name.
    if lowered.startswith(("<html", "<!doctype html", "<table", "mime-version")) or "<html" in lowered[:500]:
        return _no("html", f"an HTML file{en_named} (web exports often are): open it in Excel and save as .xlsx",
                   f"这是{zh_named}网页（HTML）文件（网页导出常见）：请用 Excel 打开后另存为 .xlsx")
    if lowered.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return _no("xls", "an Excel 2003 XML spreadsheet: re-save as .xlsx", "Excel 2003 XML 表格：请另存为 .xlsx")
    if any(sep in text for sep in ",\t;"):
        return _no("csv", f"a CSV/text file{en_named}: open it in Excel and save as .xlsx",
                   f"这是{zh_named} CSV/文本文件：请用 Excel 打开后另存为 .xlsx")
    return _no("not-spreadsheet", f"a plain text file{en_named}, not an Excel file", f"这是{zh_named}纯文本文件，不是 Excel 文件")


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
