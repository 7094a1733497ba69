"""Findings: what reading and the rules say about a file, a row or a cell.

Every finding has a stable kebab-case code (never renamed once published), a severity, a message
template and a short title, each in Chinese and English. The catalogue below declares the codes of
reading, which ``ingest`` reports itself; each business rule declares its own with ``@rule`` in
``xltools.checks.rules``, which adds it to ``CODES``. The type lives here, at the bottom of the
layers that report findings, so reading needs nothing of the rules. docs/rules.md is generated
from both.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

from openpyxl.utils import get_column_letter

from xltools.text import Text, texts

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)
"""Most serious first: the order findings of one cell are listed in."""


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    message: Text
    """The template: ``{value}``, ``{customer}`` and the finding's params fill it."""
    title: Text
    """A few words for a manager's summary (the code itself stays the key)."""


def _reading(code: str, severity: str, zh: str, en: str, title: Text) -> Code:
    return Code(code, severity, Text(zh, en), title)


_CATALOGUE = [
    # Files and forms
    _reading("file-unreadable", ERROR, "无法读取文件：{reason}", "Cannot read the file: {reason}",
             Text("文件无法读取", "Unreadable file")),
    _reading("file-extension-wrong", INFO, "文件实际是 {format} 格式，扩展名却是 {suffix}：已按 {format} 读取",
             "The file is a {format} workbook named {suffix}: read as {format}",
             Text("扩展名与内容不符", "Wrong file extension")),
    _reading("file-duplicate", INFO, "与 {original} 内容完全相同（重复发送的副本），已跳过",
             "Identical to {original} (a re-sent copy): skipped", Text("重复发送的副本", "Re-sent copy")),
    _reading("sheet-skipped", INFO, "工作表“{sheet}”未读取：{reason}", "Sheet '{sheet}' was not read: {reason}",
             Text("工作表未读取", "Sheet skipped")),
    _reading("form-sheet-too-large", ERROR, "表单工作表“{sheet}”超出上限，只读取了上限以内的内容：{reason}",
             "Form sheet '{sheet}' goes beyond the limits; only what lies within them was read: {reason}",
             Text("表单工作表超出上限", "Form sheet too large")),
    _reading("form-sheet-unreadable", ERROR, "表单工作表“{sheet}”的行未读取：{reason}",
             "The rows of form sheet '{sheet}' were not read: {reason}",
             Text("表单工作表无法读取", "Form sheet unreadable")),
    _reading("rep-inferred", INFO, "表内没有填写销售代表的列：销售代表按{source}取为“{rep}”",
             "No column of this workbook names its rep: taken from {source} as '{rep}'",
             Text("销售代表由文件推断", "Rep inferred from the file")),
    _reading("form-unknown", WARNING, "工作表“{sheet}”不像任何一张表单，已忽略", "Sheet '{sheet}' matches no form and was ignored",
             Text("无法识别的工作表", "Unknown sheet")),
    _reading("column-missing", ERROR, "缺少必填列“{label}”", "Required column '{label}' is missing",
             Text("缺少必填列", "Missing column")),
    _reading("column-extra", INFO, "多余的列“{label}”，已忽略", "Extra column '{label}' ignored", Text("多余的列", "Extra column")),
    _reading("cell-error", ERROR, "单元格是错误值 {value}", "The cell holds the error {value}",
             Text("单元格错误值", "Error value in a cell")),
    _reading("formula-uncalculated", WARNING, "公式没有计算结果（文件可能由程序生成），请在 Excel 中打开并保存",
             "The formula has no calculated value (the file was probably written by a program); open and save it in Excel",
             Text("公式未计算", "Uncalculated formula")),
    _reading("text-too-long", ERROR, "文本超过 Excel 上限 32767 个字符（{length} 个）",
             "Text is longer than Excel's 32,767 characters ({length})", Text("文本过长", "Text too long")),
    _reading("control-character", WARNING, "文本含不可见的控制字符", "Text contains invisible control characters",
             Text("含控制字符", "Control characters")),
    # Cells
    _reading("type", ERROR, "“{label}”的值“{value}”不是有效的{expected}", "'{label}': '{value}' is not a valid {expected}",
             Text("类型不对", "Wrong type")),
    _reading("enum", ERROR, "“{label}”的值“{value}”不在可选范围内：{allowed}", "'{label}': '{value}' is not one of: {allowed}",
             Text("不在可选范围", "Not a listed value")),
    _reading("range", ERROR, "“{label}”的值 {value} 超出范围 {bounds}", "'{label}': {value} is outside {bounds}",
             Text("超出范围", "Out of range")),
    _reading("format", ERROR, "“{label}”的值“{value}”格式不对：{expected}", "'{label}': '{value}' is not {expected}",
             Text("格式不对", "Wrong format")),
    # The rules' codes are declared with each rule, in xltools.checks.rules.
]
CODES: dict[str, Code] = {c.code: c for c in _CATALOGUE}
"""Every finding code: the ones above, then each rule's (registered by ``checks.rules.rule``)."""

# What a cell was expected to be, named for the message.
EXPECTED = texts({
    "date": ("日期", "date"), "month": ("月份", "month"), "number": ("数字", "number"),
    "integer": ("整数", "whole number"), "int": ("整数", "whole number"), "percent": ("百分比", "percentage"),
    "phone": ("11位手机号、带区号座机或邮箱", "an 11-digit mobile, a landline with area code, or an e-mail"),
    "email": ("有效的邮箱", "a valid e-mail"),
    "phone_or_email": ("11位手机号、带区号座机或邮箱", "an 11-digit mobile, a landline with area code, or an e-mail"),
    "contract_id": ("合同编号（如 HT-202403001）", "a contract number like HT-202403001"),
    "enum": ("可选值", "one of the listed values"),
})


@dataclass
class Finding:
    """One thing validation found. Location fields are None where they do not apply."""
    code: str
    file: str
    form: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None
    customer: str | None = None
    value: Any = None
    rep: str | None = None
    params: dict[str, Any] = dc_field(default_factory=dict)
    severity: str = ""
    fixed_message: Text | None = None   # a message kept from an earlier run
    key: str | None = None      # the row's own key beside its customer: contract, project, or rep and month

    def __post_init__(self):
        self.severity = self.severity or CODES[self.code].severity

    @property
    def cell(self) -> str | None:
        return f"{self.column}{self.row}" if self.column and self.row else None

    def message(self, lang: str = "zh") -> str:
        return self.fixed_message(lang) if self.fixed_message else self._format(lang, *self._values())

    def messages(self) -> Text:
        """The message in both languages (the store keeps both of every finding)."""
        if self.fixed_message:
            return self.fixed_message
        values = self._values()
        return Text(self._format("zh", *values), self._format("en", *values))

    def _values(self) -> tuple[dict[str, Any], dict[str, Text]]:
        """What fills the templates: the values shown as they are, and the params said in two languages."""
        plain = {"value": _show(self.value), "customer": self.customer or "", "key": self.key or "",
                 "sheet": self.sheet or ""}
        texts = {}
        for k, v in self.params.items():
            if isinstance(v, Text):
                texts[k] = v
            else:
                plain[k] = _show(v)
        return plain, texts

    def _format(self, lang: str, plain: dict[str, Any], texts: dict[str, Text]) -> str:
        template = CODES[self.code].message(lang)
        if not self.customer:       # "{customer}：..." of a row without one reads as the rest alone
            template = template.removeprefix("{customer}：").removeprefix("{customer}: ")
        try:
            return template.format_map(plain | {k: v(lang) for k, v in texts.items()} if texts else plain)
        except KeyError:            # a missing parameter must never hide the finding
            return template

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        d = asdict(self)
        d.pop("params")
        d.pop("fixed_message")
        d["cell"] = self.cell
        d["value"] = _json_value(self.value)
        d["message"] = self.message(lang)
        return d


def finding_order(forms: Iterable[str]) -> Callable[[Finding], tuple]:
    """The sort key of findings, given the forms in the order of the sales process: by file, form,
    sheet, row, column, then the most serious first and by code."""
    form_rank = {key: i for i, key in enumerate(forms)}

    def key(f: Finding) -> tuple:
        column = (len(f.column), f.column) if f.column else (0, "")      # A < Z < AA, as Excel orders them
        return (f.file, form_rank.get(f.form, -1), f.sheet or "", f.row or 0, column,
                SEVERITIES.index(f.severity), f.code)
    return key


def column_letter(index: int) -> str:
    """1-based column index -> Excel letters."""
    return get_column_letter(index)


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(_show(v) for v in value)
    return "" if value is None else str(value)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return _show(value)
