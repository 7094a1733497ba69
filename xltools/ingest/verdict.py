"""The answer to "can this file be read?": a ``Verdict``, and the refusals that several checks share.

A refusal's reason is written for the rep, in Chinese and English, and says what to do; its kind is
for the program. ``parser_failure`` words a parser's exception the same way, for files that pass the
checks and still fail to parse.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xltools.text import Text

# Extensions that name an Excel workbook; a file with one that holds another format is "named" so.
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}


@dataclass(frozen=True)
class Verdict:
    """Whether a file can be read; if not, why, for the rep, and a kind for the program.

    kind, when readable, is the format: xlsx | xls | xlsb | ods. Otherwise: skip | encrypted | xls |
    csv | html | zip | empty | truncated | corrupt | bomb | too-large-range | symlink | not-spreadsheet.
    ``oversize`` maps the sheet parts that are too large to read to their reasons: the other
    sheets are read. ``default_password``: encrypted with Excel's built-in password (see
    ``xltools.ingest.encryption.decrypted``).
    """

    ok: bool
    reason: Text = Text("", "")
    kind: str = "xlsx"
    oversize: tuple[tuple[str, Text], ...] = ()
    default_password: bool = False
    detail: str = ""


def refused(kind: str, reason: Text) -> Verdict:
    return Verdict(ok=False, reason=reason, kind=kind)


def named_as(path: Path) -> Text:
    """' named .xlsx' when a workbook's extension disguises another format, else nothing."""
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return Text(f"改名为 {suffix} 的", f" named {suffix}")
    return Text("", "")


_TRUNCATED = Text("文件已损坏或不完整（被截断）：请重新发送",
                  "the file is damaged or incomplete (truncated): ask for it again")
_CORRUPT = Text("文件已损坏：请用 Excel 打开、修复后重新保存，或重新发送",
                "the file is damaged: open it in Excel, let Excel repair it and save again, or ask for it again")
WORD_DOCUMENT = Text("这是{named} Word 文档，不是 Excel 工作簿", "a Word document{named}, not an Excel workbook")
PASSWORD_PROTECTED = Text("文件受密码保护：请取消密码后重新保存", "password-protected: remove the password and save again")
_SHEET_DAMAGED = Text("工作表已损坏，无法解析；工作簿的其余部分已读取",
                      "the sheet is damaged and cannot be parsed; the rest of the workbook was read")


def damaged(kind: str) -> Verdict:
    """kind: truncated (the copy stopped early) or corrupt."""
    return refused(kind, _TRUNCATED if kind == "truncated" else _CORRUPT)


def parser_failure(exc: BaseException, what: str = "file") -> tuple[Text, str]:
    """(reason, detail) for a parser's exception on a file or one sheet: a sentence for the rep, and
    the parser's own words (``CalamineError: Cell string index not found``) as the detail."""
    detail = f"{type(exc).__name__}: {exc}"
    if type(exc).__name__ == "PasswordError":
        reason = PASSWORD_PROTECTED
    elif what == "sheet":
        reason = _SHEET_DAMAGED
    else:
        reason = _CORRUPT
    return reason, detail
