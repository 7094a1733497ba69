"""What reading produces and validation consumes: typed rows that know where they came from."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Company-form suffixes, place prefixes and common industry words stripped before comparing
# customer names: 苏州恒达机械制造有限公司 is the 恒达机械 a rep writes.
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司", "股份", "有限")
_PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
              "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西",
              "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
# Cities whose names end in 州 or are written without 市 ("苏州恒达"): the pattern below misses them.
_CITIES = ("石家庄", "哈尔滨", "乌鲁木齐", "呼和浩特", "苏州", "杭州", "广州", "福州", "郑州", "徐州", "常州",
           "温州", "台州", "泉州", "惠州", "兰州", "贵州", "深圳", "南京", "无锡", "宁波", "东莞", "佛山", "厦门",
           "青岛", "济南", "武汉", "长沙", "成都", "西安", "沈阳", "大连", "长春", "合肥", "南昌", "南宁", "昆明",
           "贵阳", "太原", "唐山", "保定", "南通", "扬州", "嘉兴", "绍兴", "金华", "珠海", "中山", "汕头", "洛阳",
           "昆山", "烟台", "潍坊", "绵阳", "宜昌", "襄阳", "株洲", "海口", "银川", "西宁", "拉萨")
_INDUSTRY = ("机械制造", "信息技术", "网络科技", "科技发展", "科技", "技术", "制造", "机械", "实业", "贸易",
             "商贸", "制药", "工业", "发展")
_BARE_PLACES = frozenset(_PROVINCES + _CITIES)
_PROVINCE = re.compile(r"^(?:" + "|".join(_PROVINCES) + r")(?:省|自治区|市)?")
_CITY = re.compile(r"^(?:(?:" + "|".join(_CITIES) + r")市?|[\u4e00-\u9fff]{2,3}?(?:市|州|区|县))")


def customer_key(name: Any) -> str:
    """A customer's name for matching: 深圳市华络通信有限公司 and 华络通信 are one customer, and so are
    苏州恒达机械制造有限公司 and 恒达机械.

    Strips the company form (有限公司, 集团 ...), the province and city (with or without 省/市),
    common industry words (科技, 制造, 实业 ...), brackets, spaces and case. A bare place name
    stays when little follows it (上海银行 is a bank, not 银行), and so does an industry word
    when fewer than two characters would be left.
    """
    return "" if name is None else _customer_key(str(name))


@lru_cache(maxsize=1 << 16)
def _customer_key(name: str) -> str:
    # Cached: every rule asks for the keys of the same few thousand names again and again.
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s|\([^)]*\)|\[[^\]]*\]|【[^】]*】", "", text).casefold()   # NFKC made （） into ()
    text = _strip_endings(text, _SUFFIXES)
    for prefix in (_PROVINCE, _CITY):
        m = prefix.match(text)
        # A bare place name needs a longer rest: 上海银行 is a bank, not 银行.
        need = 3 if m and m.group() in _BARE_PLACES else 2
        if m and len(text) - m.end() >= need:
            text = text[m.end():]
    return _strip_endings(text, _INDUSTRY)


def _strip_endings(text: str, endings: tuple[str, ...]) -> str:
    """``text`` without these endings (twice over: 科技发展 then 集团), two characters at least left."""
    for _ in range(2):
        for ending in endings:
            if text.endswith(ending) and len(text) >= len(ending) + 2:
                text = text[: -len(ending)]
    return text


ROW_KEY_FIELDS = ("contract_id", "project_id", "rep", "month")
"""The fields of a row's own key beside its customer (``Record.key``), in the order they are tried."""


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
    def customer(self) -> str | None:
        """The customer the row is about, as read (a display name, not ``customer_key``); None when none."""
        name = self.values.get("customer")
        return (str(name).strip() or None) if name else None

    @property
    def key(self) -> str | None:
        """The row's own key beside its customer: the contract, the project, or the rep and month."""
        values = self.values
        for field_key in ROW_KEY_FIELDS[:2]:
            if value := values.get(field_key):
                return str(value)
        rep, month = values.get(ROW_KEY_FIELDS[2]), values.get(ROW_KEY_FIELDS[3])
        if rep and month:
            return f"{rep} {month:%Y-%m}" if isinstance(month, dt.date) else f"{rep} {month}"
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
