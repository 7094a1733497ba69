"""Findings: what validation says about a file, a row or a cell.

Every finding has a stable kebab-case code (never renamed once published), a severity
and a message template in Chinese and English. The catalogue below is the one place
they are defined; docs/errors.md is generated from it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

from openpyxl.utils import get_column_letter

from .schema import Text

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
    Code("sheet-skipped", INFO, "工作表“{sheet}”未读取：{reason}", "Sheet '{sheet}' was not read: {reason}"),
    Code("form-sheet-too-large", ERROR, "表单工作表“{sheet}”超出上限，只读取了上限以内的内容：{reason}",
         "Form sheet '{sheet}' goes beyond the limits; only what lies within them was read: {reason}"),
    Code("form-sheet-unreadable", ERROR, "表单工作表“{sheet}”的行未读取：{reason}",
         "The rows of form sheet '{sheet}' were not read: {reason}"),
    Code("form-unknown", WARNING, "工作表“{sheet}”不像任何一张表单，已忽略", "Sheet '{sheet}' matches no form and was ignored"),
    Code("column-missing", ERROR, "缺少必填列“{label}”", "Required column '{label}' is missing"),
    Code("column-extra", INFO, "多余的列“{label}”，已忽略", "Extra column '{label}' ignored"),
    Code("cell-error", ERROR, "单元格是错误值 {value}", "The cell holds the error {value}"),
    Code("formula-uncalculated", WARNING, "公式没有计算结果（文件可能由程序生成），请在 Excel 中打开并保存",
         "The formula has no calculated value (the file was probably written by a program); open and save it in Excel"),
    Code("text-too-long", ERROR, "文本超过 Excel 上限 32767 个字符（{length} 个）", "Text is longer than Excel's 32,767 characters ({length})"),
    Code("control-character", WARNING, "文本含不可见的控制字符", "Text contains invisible control characters"),
    # Cells
    Code("required", ERROR, "“{label}”为必填项", "'{label}' is required"),
    Code("type", ERROR, "“{label}”的值“{value}”不是有效的{expected}", "'{label}': '{value}' is not a valid {expected}"),
    Code("enum", ERROR, "“{label}”的值“{value}”不在可选范围内：{allowed}", "'{label}': '{value}' is not one of: {allowed}"),
    Code("range", ERROR, "“{label}”的值 {value} 超出范围 {bounds}", "'{label}': {value} is outside {bounds}"),
    Code("format", ERROR, "“{label}”的值“{value}”格式不对：{expected}", "'{label}': '{value}' is not {expected}"),
    Code("duplicate-row", WARNING, "与 {other} 重复", "Duplicates {other}"),
    # Per form
    Code("weights-sum", ERROR, "{customer} {date} 的决策链权重合计 {total}%，应为 100%",
         "Decision-chain weights of {customer} on {date} add up to {total}%, not 100%"),
    Code("decision-maker-missing", ERROR, "{customer} {date} 的决策链没有“决策”角色",
         "The decision chain of {customer} on {date} has no decision maker"),
    Code("solution-incomplete", WARNING, "{customer} 的方案缺少模块：{missing}", "The proposal for {customer} lacks: {missing}"),
    Code("done-date-missing", ERROR, "模块已完成但没有完成时间", "The module is done but has no completion date"),
    Code("date-order", ERROR, "“{label}”（{value}）不应早于“{other_label}”（{other}）",
         "'{label}' ({value}) must not be before '{other_label}' ({other})"),
    Code("objection-overdue", WARNING, "异议未解决且已过解决时间 {value}", "The objection is open past its resolve-by date {value}"),
    Code("approval-order", ERROR, "合同 {customer} 的审批环节顺序不对：{detail}", "Approval steps of {customer} are out of order: {detail}"),
    Code("approval-consistency", ERROR, "合同 {customer} 的各行{label}不一致：{values}", "Rows of contract {customer} disagree on {label}: {values}"),
    Code("approval-authority", ERROR, "合同 {customer} 金额 {value} 万元，需总经理审批", "Contract {customer} of {value} (10k CNY) needs the general manager's approval"),
    Code("visit-interval", WARNING, "{grade}客户的回访间隔 {days} 天，超过 {limit} 天", "A {grade} customer's next visit is {days} days away, over {limit}"),
    Code("probability-mismatch", WARNING, "赢率 {value}% 与阶段“{stage}”的 {expected}% 不符", "Win probability {value}% differs from {expected}% of stage '{stage}'"),
    Code("close-date-stale", WARNING, "进行中的商机预计签约时间 {value} 已过", "The open opportunity's expected close {value} has passed"),
    Code("won-inconsistent", ERROR, "阶段“{stage}”需赢率 100% 且预测类别为“已成交”", "Stage '{stage}' needs 100% and forecast Closed"),
    Code("customer-unknown", WARNING, "客户“{value}”不在客户信息表中", "Customer '{value}' is not in customer information"),
    Code("amount-mismatch", ERROR, "合同金额 {value} 与谈判共识价格 {other} 不一致", "Contract amount {value} differs from the agreed price {other}"),
    Code("below-floor", WARNING, "共识金额 {value} 低于我方底线 {other}，需审批", "Agreed {value} is below our floor {other}; needs approval"),
    Code("confirmation-late", WARNING, "需求确认函在需求挖掘 {days} 天后才发送（应在 {limit} 天内）",
         "The needs confirmation went out {days} days after the meeting (due within {limit})"),
    Code("confirmation-missing", WARNING, "需求挖掘已过 {days} 天仍未发送需求确认函（应在 {limit} 天内）",
         "No needs confirmation sent {days} days after the meeting (due within {limit})"),
    Code("delivery-followup-missing", WARNING, "交付（{value}）后 {limit} 个工作日内没有回访", "No follow-up visit within {limit} working days of delivery ({value})"),
    Code("entry-late", WARNING, "{value} 的记录在 {hours} 小时后才录入（应在 {limit} 小时内）",
         "The record of {value} was entered {hours} hours later (due within {limit})"),
    Code("duplicate-claim", WARNING, "客户“{value}”同时由 {reps} 跟进（撞单）", "Customer '{value}' is claimed by {reps}"),
    Code("follow-up-overdue", WARNING, "“{label}” {value} 已过", "'{label}' {value} has passed"),
]
CODES: dict[str, Code] = {c.code: c for c in _CATALOGUE}

# Each code's short title, for a manager's summary (the code itself stays the key).
TITLES = {k: Text(zh=zh, en=en) for k, (zh, en) in {
    "file-unreadable": ("文件无法读取", "Unreadable file"), "form-unknown": ("无法识别的工作表", "Unknown sheet"),
    "column-missing": ("缺少必填列", "Missing column"), "column-extra": ("多余的列", "Extra column"),
    "cell-error": ("单元格错误值", "Error value in a cell"), "formula-uncalculated": ("公式未计算", "Uncalculated formula"),
    "text-too-long": ("文本过长", "Text too long"), "control-character": ("含控制字符", "Control characters"),
    "required": ("必填项为空", "Required value missing"), "type": ("类型不对", "Wrong type"),
    "enum": ("不在可选范围", "Not a listed value"), "range": ("超出范围", "Out of range"),
    "format": ("格式不对", "Wrong format"), "duplicate-row": ("重复行", "Duplicate row"),
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
    "won-inconsistent": ("成交信息不一致", "Won deal inconsistent"), "customer-unknown": ("客户不在客户信息表", "Unknown customer"),
    "amount-mismatch": ("合同金额与谈判不符", "Amount differs from negotiation"),
    "below-floor": ("低于底线价", "Below our floor"), "confirmation-late": ("需求确认函迟发", "Needs confirmation late"),
    "confirmation-missing": ("需求确认函未发", "Needs confirmation missing"),
    "delivery-followup-missing": ("交付后未回访", "No follow-up after delivery"),
    "entry-late": ("录入不及时", "Entered late"), "duplicate-claim": ("撞单", "Duplicate claim"),
    "follow-up-overdue": ("跟进逾期", "Follow-up overdue"),
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

    def __post_init__(self):
        self.severity = self.severity or CODES[self.code].severity

    @property
    def cell(self) -> str | None:
        return f"{self.column}{self.row}" if self.column and self.row else None

    def message(self, lang: str = "zh") -> str:
        if self.fixed_message:
            return self.fixed_message[lang]
        template = getattr(CODES[self.code], lang)
        values = {"value": _show(self.value), "customer": self.customer or "", "sheet": self.sheet or ""}
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
