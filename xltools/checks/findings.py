"""Findings: what validation says about a file, a row or a cell.

Every finding has a stable kebab-case code (never renamed once published), a severity
and a message template in Chinese and English. The catalogue below defines the codes of
reading; each business rule declares its own with ``@rule`` in rules.py. docs/rules.md is
generated from both.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

from openpyxl.utils import get_column_letter

from xltools.forms.schema import Text

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    zh: str
    en: str


_CATALOGUE = [
    # Files and forms
    Code("file-unreadable", ERROR, "无法读取文件：{reason}", "Cannot read the file: {reason}"),
    Code("file-extension-wrong", INFO, "文件实际是 {format} 格式，扩展名却是 {suffix}：已按 {format} 读取",
         "The file is a {format} workbook named {suffix}: read as {format}"),
    Code("file-duplicate", INFO, "与 {original} 内容完全相同（重复发送的副本），已跳过",
         "Identical to {original} (a re-sent copy): skipped"),
    Code("sheet-skipped", INFO, "工作表“{sheet}”未读取：{reason}", "Sheet '{sheet}' was not read: {reason}"),
    Code("form-sheet-too-large", ERROR, "表单工作表“{sheet}”超出上限，只读取了上限以内的内容：{reason}",
         "Form sheet '{sheet}' goes beyond the limits; only what lies within them was read: {reason}"),
    Code("form-sheet-unreadable", ERROR, "表单工作表“{sheet}”的行未读取：{reason}",
         "The rows of form sheet '{sheet}' were not read: {reason}"),
    Code("rep-inferred", INFO, "表内没有填写销售代表的列：销售代表按{source}取为“{rep}”",
         "No column of this workbook names its rep: taken from {source} as '{rep}'"),
    Code("form-unknown", WARNING, "工作表“{sheet}”不像任何一张表单，已忽略", "Sheet '{sheet}' matches no form and was ignored"),
    Code("column-missing", ERROR, "缺少必填列“{label}”", "Required column '{label}' is missing"),
    Code("column-extra", INFO, "多余的列“{label}”，已忽略", "Extra column '{label}' ignored"),
    Code("cell-error", ERROR, "单元格是错误值 {value}", "The cell holds the error {value}"),
    Code("formula-uncalculated", WARNING, "公式没有计算结果（文件可能由程序生成），请在 Excel 中打开并保存",
         "The formula has no calculated value (the file was probably written by a program); open and save it in Excel"),
    Code("text-too-long", ERROR, "文本超过 Excel 上限 32767 个字符（{length} 个）", "Text is longer than Excel's 32,767 characters ({length})"),
    Code("control-character", WARNING, "文本含不可见的控制字符", "Text contains invisible control characters"),
    # Cells
    Code("type", ERROR, "“{label}”的值“{value}”不是有效的{expected}", "'{label}': '{value}' is not a valid {expected}"),
    Code("enum", ERROR, "“{label}”的值“{value}”不在可选范围内：{allowed}", "'{label}': '{value}' is not one of: {allowed}"),
    Code("range", ERROR, "“{label}”的值 {value} 超出范围 {bounds}", "'{label}': {value} is outside {bounds}"),
    Code("format", ERROR, "“{label}”的值“{value}”格式不对：{expected}", "'{label}': '{value}' is not {expected}"),
    # The rules' codes are declared with each rule, in rules.py.
]
CODES: dict[str, Code] = {c.code: c for c in _CATALOGUE}
"""Every finding code: the ones above, then each rule's (registered by ``rules.rule``)."""

# Each code's short title, for a manager's summary (the code itself stays the key).
TITLES = {k: Text(zh=zh, en=en) for k, (zh, en) in {
    "file-unreadable": ("文件无法读取", "Unreadable file"), "form-unknown": ("无法识别的工作表", "Unknown sheet"),
    "column-missing": ("缺少必填列", "Missing column"), "column-extra": ("多余的列", "Extra column"),
    "cell-error": ("单元格错误值", "Error value in a cell"), "formula-uncalculated": ("公式未计算", "Uncalculated formula"),
    "text-too-long": ("文本过长", "Text too long"), "control-character": ("含控制字符", "Control characters"),
    "required": ("必填项为空", "Required value missing"), "type": ("类型不对", "Wrong type"),
    "enum": ("不在可选范围", "Not a listed value"), "range": ("超出范围", "Out of range"),
    "format": ("格式不对", "Wrong format"), "duplicate-row": ("重复行", "Duplicate row"),
    "duplicate-record": ("同一记录在两个文件中", "Same record in two files"),
    "weights-sum": ("决策链权重不为 100%", "Decision weights not 100%"),
    "decision-maker-missing": ("决策链缺少决策人", "No decision maker"),
    "solution-incomplete": ("方案模块不全", "Proposal incomplete"),
    "done-date-missing": ("缺少完成时间", "Completion date missing"), "date-order": ("日期先后不对", "Dates out of order"),
    "objection-overdue": ("异议逾期未解决", "Objection overdue"), "approval-order": ("审批顺序不对", "Approvals out of order"),
    "approval-consistency": ("合同各行不一致", "Contract rows disagree"),
    "approval-authority": ("需总经理审批", "Needs the general manager"),
    "visit-interval": ("回访间隔过长", "Visit interval too long"),
    "probability-mismatch": ("赢率与阶段不符", "Probability differs from stage"),
    "close-date-stale": ("预计签约时间已过", "Expected close passed"),
    "won-inconsistent": ("成交信息不一致", "Won deal inconsistent"),
    "stage-gate-decision-chain": ("阶段缺决策链", "Stage without a decision chain"),
    "stage-gate-budget": ("阶段缺预算", "Stage without a budget"),
    "stage-gate-solution": ("阶段缺完整方案", "Stage without a complete proposal"),
    "stage-gate-commit": ("承诺早于已承诺阶段", "Commit before stage 5"), "customer-unknown": ("客户不在客户信息表", "Unknown customer"),
    "amount-mismatch": ("合同金额与谈判不符", "Amount differs from negotiation"),
    "below-floor": ("低于底线价", "Below our floor"), "confirmation-late": ("需求确认函迟发", "Needs confirmation late"),
    "confirmation-missing": ("需求确认函未发", "Needs confirmation missing"),
    "delivery-followup-missing": ("交付后未回访", "No follow-up after delivery"),
    "entry-late": ("录入不及时", "Entered late"), "duplicate-claim": ("撞单", "Duplicate claim"),
    "collection-plan-mismatch": ("回款计划与合同金额不符", "Instalments differ from the contract"),
    "collection-overdue": ("回款逾期", "Instalment overdue"), "won-not-collected": ("成交未收全款", "Won, not fully paid"),
    "rebate-unapproved": ("返点未审批", "Rebate not approved"), "rebate-over-tier": ("返点超比例", "Rebate above its tier"),
    "follow-up-overdue": ("跟进逾期", "Follow-up overdue"),
    "file-extension-wrong": ("扩展名与内容不符", "Wrong file extension"),
    "file-duplicate": ("重复发送的副本", "Re-sent copy"), "sheet-skipped": ("工作表未读取", "Sheet skipped"),
    "form-sheet-too-large": ("表单工作表超出上限", "Form sheet too large"),
    "form-sheet-unreadable": ("表单工作表无法读取", "Form sheet unreadable"),
    "rep-inferred": ("销售代表由文件推断", "Rep inferred from the file"),
}.items()}


def code_title(code: str, lang: str = "zh") -> str:
    """The code's title in ``lang``; an unknown code (from an older store) shows as itself."""
    return TITLES[code](lang) if code in TITLES else code

# What a cell was expected to be, named for the message.
EXPECTED = {k: Text(zh=zh, en=en) for k, (zh, en) in {
    "date": ("日期", "date"), "month": ("月份", "month"), "number": ("数字", "number"),
    "integer": ("整数", "whole number"), "int": ("整数", "whole number"), "percent": ("百分比", "percentage"),
    "phone": ("11位手机号、带区号座机或邮箱", "an 11-digit mobile, a landline with area code, or an e-mail"),
    "email": ("有效的邮箱", "a valid e-mail"),
    "phone_or_email": ("11位手机号、带区号座机或邮箱", "an 11-digit mobile, a landline with area code, or an e-mail"),
    "contract_id": ("合同编号（如 HT-202403001）", "a contract number like HT-202403001"),
    "enum": ("可选值", "one of the listed values"),
}.items()}


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
    fixed_message: dict[str, str] | None = None   # a message kept from an earlier run, by language
    key: str | None = None      # the row's own key beside its customer: contract, project, or rep and month

    def __post_init__(self):
        self.severity = self.severity or CODES[self.code].severity

    @property
    def cell(self) -> str | None:
        return f"{self.column}{self.row}" if self.column and self.row else None

    def message(self, lang: str = "zh") -> str:
        if self.fixed_message:
            return self.fixed_message[lang]
        template = getattr(CODES[self.code], lang)
        values = {"value": _show(self.value), "customer": self.customer or "", "key": self.key or "",
                  "sheet": self.sheet or ""}
        if not self.customer:       # "{customer}：..." of a row without one reads as the rest alone
            template = template.removeprefix("{customer}：").removeprefix("{customer}: ")
        values.update({k: v(lang) if isinstance(v, Text) else _show(v) for k, v in self.params.items()})
        try:
            return template.format(**values)
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


from xltools.checks import rules  # noqa: E402,F401 -- registers the rules' codes in CODES
