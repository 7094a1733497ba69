"""Turn what a rep typed into typed values, the way a person would read it.

``coerce(field, raw)`` returns ``(value, None)`` or ``(None, Problem)``; it never raises
for bad data. Empty cells come back as ``(None, None)``: whether that is allowed is
validation's business.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from xltools.forms.schema import FieldSpec, norm_label

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
CONTRACT_ID = re.compile(r"^HT-\d{6}\d{3,}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^(010|02\d|0[3-9]\d{2})(\d{7,8})(?:(?:转|ext|x|#)\d{1,6})?$")
EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_UNIT_SCALE = {"亿元": 10000.0, "亿": 10000.0, "万元": 1.0, "万": 1.0, "千元": 0.1, "元": 0.0001}


@dataclass(frozen=True)
class Problem:
    """Why a cell's value could not be taken: a finding code and a reason key."""
    code: str      # type | enum | format | range
    reason: str    # a key of findings.REASONS


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days (Mon-Fri) after ``start``; holidays are not known."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def text_width(text: object) -> int:
    """Display width: CJK and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (
        isinstance(raw, float) and math.isnan(raw))


def clean_text(raw: Any) -> str:
    """NFKC (full-width to half-width) and trimmed."""
    return unicodedata.normalize("NFKC", str(raw)).strip()


# Text
def to_text(raw: Any) -> str:
    """A cell as the text a rep sees: 13800138000.0 reads as 13800138000, dates as ISO."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw).strip()


# Dates
def parse_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return serial_to_date(raw)
    text = clean_text(raw)
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if _NUMBER.match(text):
        return serial_to_date(float(text))
    raise ValueError("date")


def serial_to_date(serial: float) -> dt.date:
    """An Excel serial day number (1900 system) as a date; refuses absurd ones."""
    if not 1 <= serial < 2958466:
        raise ValueError("date")
    return (EXCEL_EPOCH + dt.timedelta(days=float(serial))).date()


def parse_month(raw: Any) -> dt.date:
    """A month as the first day of it: 2024-03, 2024年3月, 202403, or any date."""
    if isinstance(raw, (dt.date, int, float)) and not isinstance(raw, bool):
        return parse_date(raw).replace(day=1)
    text = clean_text(raw)
    m = _MONTH.match(text)
    if m:
        month = int(m.group(2) or m.group(3))
        if 1 <= month <= 12:
            return dt.date(int(m.group(1)), month, 1)
        raise ValueError("date")
    return parse_date(text).replace(day=1)


# Numbers
def parse_number(raw: Any, unit: str | None = None) -> float:
    """A decimal from 22, "22", "２２", "1,234.5", "22万", "1亿" (with unit 万元), "15%"."""
    if isinstance(raw, bool):
        raise ValueError("number")
    if isinstance(raw, (int, float)):
        if math.isnan(raw) or math.isinf(raw):
            raise ValueError("number")
        return float(raw)
    text = re.sub(r"[,\s，]", "", clean_text(raw))
    scale = 1.0
    if unit == "万元":
        for suffix, factor in _UNIT_SCALE.items():
            if text.endswith(suffix) and text != suffix:
                text, scale = text[: -len(suffix)], factor
                break
    text = text.removesuffix("%").removeprefix("¥").removeprefix("￥")
    if not _NUMBER.match(text):
        raise ValueError("number")
    return float(text) * scale


def parse_int(raw: Any) -> int:
    text = raw if not isinstance(raw, str) else re.sub(r"(人|个|分|次|名)$", "", clean_text(raw))
    value = parse_number(text)
    if not value.is_integer():
        raise ValueError("integer")
    return int(value)


def parse_percent(raw: Any) -> float:
    """0-100. A number in (0, 1] typed into a %-formatted cell is a fraction: 0.15 is 15%."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 < raw <= 1 and not (
            isinstance(raw, int)):
        return round(float(raw) * 100, 10)
    return parse_number(raw)


def parse_size(raw: Any) -> tuple[int | None, float | None]:
    """The seed's combined size column, "200人/1亿", as (employees, revenue in 万元)."""
    parts = [p for p in re.split(r"[/／,，;；]", clean_text(raw)) if p.strip()]
    employees = revenue = None
    for part in parts:
        part = part.strip()
        if re.search(r"(亿|万|元)$", part):
            revenue = parse_number(part, "万元")
        else:
            employees = parse_int(part)
    if employees is None and revenue is None:
        raise ValueError("number")
    return employees, revenue


# Closed lists and formats
def parse_enum(field: FieldSpec, raw: Any) -> str:
    if isinstance(raw, float) and not raw.is_integer() and 0 < raw <= 1:
        raw = f"{raw * 100:g}%"       # a stage typed as 50% into a %-formatted cell
    value = field.choice_lookup.get(norm_label(to_text(raw)))
    if value is None:
        raise ValueError("enum")
    return value


def parse_phone_or_email(raw: Any) -> str:
    text = clean_text(to_text(raw))
    if "@" in text:
        if EMAIL.match(text):
            return text.lower()
        raise ValueError("email")
    digits = re.sub(r"[\s\-()（）.]", "", text)
    digits = re.sub(r"^(\+86|0086|86(?=1[3-9]\d{9}$))", "", digits)
    if MOBILE.match(digits):
        return digits
    m = LANDLINE.match(digits)
    if m:
        return f"{m.group(1)}-{digits[len(m.group(1)):]}"
    raise ValueError("phone")


def parse_contract_id(raw: Any) -> str:
    text = re.sub(r"\s", "", clean_text(to_text(raw))).upper().replace("—", "-").replace("_", "-")
    if CONTRACT_ID.match(text):
        return text
    raise ValueError("contract_id")


_PARSERS = {
    "date": parse_date, "month": parse_month, "int": parse_int, "percent": parse_percent,
    "phone_or_email": parse_phone_or_email, "contract_id": parse_contract_id,
}
_CODES = {"enum": "enum", "phone": "format", "email": "format", "contract_id": "format"}


def coerce(field: FieldSpec, raw: Any) -> tuple[Any, Problem | None]:
    """Read one cell for one field: the typed value, or the problem that stops it."""
    if is_blank(raw):
        return None, None
    try:
        if field.type == "text":
            value = to_text(raw)
        elif field.type == "number":
            value = parse_number(raw, field.unit)
        elif field.type == "enum":
            value = parse_enum(field, raw)
        else:
            value = _PARSERS[field.type](raw)
    except (ValueError, OverflowError) as exc:
        reason = str(exc) if str(exc) in _REASON_KEYS else field.type
        return None, Problem(_CODES.get(reason, "type"), reason)
    problem = check_range(field, value)
    return (None, problem) if problem else (value, None)


def check_range(field: FieldSpec, value: Any) -> Problem | None:
    if not isinstance(value, (int, float)):
        return None
    low, high = field.bounds()
    if low is not None and (value < low or (field.min_exclusive and value == low)):
        return Problem("range", "too_low")
    if high is not None and value > high:
        return Problem("range", "too_high")
    return None


_REASON_KEYS = {"date", "number", "integer", "enum", "phone", "email", "contract_id"}
