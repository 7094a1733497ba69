"""What reading produces and validation consumes: typed rows that know where they came from."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Company-form suffixes and place prefixes stripped before comparing customer names.
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司", "股份", "有限")
_PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
              "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西",
              "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
_PROVINCE = re.compile(r"^(?:" + "|".join(_PROVINCES) + r")(?:省|自治区|市)?")
_CITY = re.compile(r"^[\u4e00-\u9fff]{2,3}?(?:市|州|区|县)")


def customer_key(name: Any) -> str:
    """A customer's name for matching: 深圳市华络通信有限公司 and 华络通信 are one customer.

    Strips the province/city prefix (省/市), the company form (有限公司, 集团 ...),
    brackets, spaces and case.
    """
    return "" if name is None else _customer_key(str(name))


@lru_cache(maxsize=1 << 16)
def _customer_key(name: str) -> str:
    # Cached: every rule asks for the keys of the same few thousand names again and again.
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s|\([^)]*\)|\[[^\]]*\]|【[^】]*】", "", text).casefold()   # NFKC made （） into ()
    for _ in range(2):
        for suffix in _SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text = text[: -len(suffix)]
    for prefix in (_PROVINCE, _CITY):
        m = prefix.match(text)
        # A bare province name needs a longer rest: 上海银行 is a bank, not 银行.
        need = 2 if m and m.group().endswith(("省", "市", "州", "区", "县", "自治区")) else 3
        if m and len(text) - m.end() >= need:
            text = text[m.end():]
    return text


@dataclass(slots=True)
class Record:
    """One data row of one form, read from a rep's workbook."""
    form: str                    # the sheet key in the schema, e.g. "pipeline"
    file: str                    # path as given to the reader (relative to the inbox in a merge)
    sheet: str                   # the sheet's name in the workbook
    row: int                     # the Excel row number
    values: dict[str, Any]       # field key -> typed value; None when blank or not readable
    raw: dict[str, Any] = field(default_factory=dict)      # field key -> what an unreadable cell held
    columns: dict[str, str] = field(default_factory=dict)  # field key -> column letter
    rep: str | None = None       # the rep the row belongs to
    first_seen: dt.datetime | None = None  # when the store first saw this row (None outside a store)

    @property
    def subject(self) -> str | None:
        """What the row is about, for reports: the contract, the project, or the customer."""
        for key in ("contract_id", "project_id", "customer", "rep"):
            if self.values.get(key):
                return str(self.values[key])
        return None

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def column(self, key: str) -> str | None:
        return self.columns.get(key)


@dataclass
class SheetData:
    """A sheet recognised as a form: where its header is and which column holds which field."""
    form: str
    sheet: str
    header_row: int
    columns: dict[str, str]                        # field key -> column letter
    extra_columns: dict[str, str] = field(default_factory=dict)   # header -> column letter
    how: str = "headers"                           # metadata | table | name | headers
