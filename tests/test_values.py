"""Values typed the way reps type them."""
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xltools.forms.schema import load_schema
from xltools.forms.values import coerce, parse_date, parse_number, parse_size

SHEETS = load_schema().sheets
D = dt.date(2024, 3, 5)


def field(sheet, key):
    return SHEETS[sheet].field(key)


@pytest.mark.parametrize("raw", [D, dt.datetime(2024, 3, 5, 14, 30), 45356, 45356.6, "2024-03-05", "2024/3/5",
                                 "2024.03.05", "2024年3月5日", "2024-03-05 10:30", "2024/3/5 9:05:00",
                                 "２０２４年３月５日", "20240305", " 2024-3-5 "])
def test_dates_in_every_common_spelling(raw):
    assert parse_date(raw) == D


@pytest.mark.parametrize("raw", ["soon", "2024-13-05", "2024-02-30", "", "3/5"])
def test_what_is_not_a_date(raw):
    value, problem = coerce(field("visits", "date"), raw)
    assert (value, problem and problem.code) == (None, "type" if raw else None)


@pytest.mark.parametrize("raw, expected", [("22万", 22), ("1亿", 10000), ("1,234.5", 1234.5), ("２２", 22),
                                           (" 22 万元 ", 22), ("220000元", 22), ("¥22", 22), (22, 22)])
def test_money_in_wan(raw, expected):
    assert parse_number(raw, "万元") == pytest.approx(expected)


def test_combined_size_column():
    assert parse_size("200人/1亿") == (200, 10000)
    assert parse_size("５０人／２２万") == (50, 22)


@pytest.mark.parametrize("raw", ["A", "a类", "A级", "Ａ类", " A类 "])
def test_grade_spellings(raw):
    assert coerce(field("customers", "grade"), raw) == ("A类", None)


@pytest.mark.parametrize("raw", ["3", "有资格", "3 有资格", "50%", 0.5, 3.0, "3 Qualified"])
def test_stage_spellings(raw):
    assert coerce(field("pipeline", "stage"), raw) == ("3 有资格", None)


@pytest.mark.parametrize("raw, expected", [("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
                                           ("１３８００１３８０００", "13800138000"), (13800138000.0, "13800138000"),
                                           ("0755-12345678", "0755-12345678"), ("(010) 1234 5678", "010-12345678"),
                                           ("Wang@Example.COM", "wang@example.com")])
def test_phones_and_emails(raw, expected):
    assert coerce(field("customers", "phone"), raw) == (expected, None)


@pytest.mark.parametrize("raw", ["12345", "2800138000", "wang@", "电话"])
def test_bad_phones(raw):
    assert coerce(field("customers", "phone"), raw)[1].code == "format"


def test_percent_from_text_number_and_percent_cell():
    sow = field("customers", "share_of_wallet")
    assert coerce(sow, "15%") == (15, None)
    assert coerce(sow, 0.15) == (15, None)      # 15% typed into a %-formatted cell
    assert coerce(sow, 30) == (30, None)
    assert coerce(sow, 150)[1].code == "range"


def test_ranges_and_whole_numbers():
    satisfaction = field("visits", "satisfaction")
    assert coerce(satisfaction, "5分") == (5, None)
    assert coerce(satisfaction, 6)[1].code == "range"
    assert coerce(satisfaction, 0)[1].code == "range"
    assert coerce(satisfaction, 4.5)[1].code == "type"
    assert coerce(field("contracts", "amount"), 0)[1].code == "range"       # amount must be above 0
    assert coerce(field("contracts", "amount"), -1)[1].code == "range"


def test_contract_ids():
    cid = field("contracts", "contract_id")
    assert coerce(cid, " ht-202403001 ") == ("HT-202403001", None)
    assert coerce(cid, "HT2024")[1].code == "format"


@given(st.text())
def test_text_is_kept_as_typed(text):
    value, problem = coerce(field("customers", "initial_need"), text)
    assert problem is None
    assert value == (None if not text.strip() else text.strip())
