"""The streaming writer: what it writes reads back the same, and text never becomes a formula."""
import datetime as dt
import re

import openpyxl
import python_calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from xltools.xlsx.stream import DATE, HEADER, MONEY, StreamBook

# Text Excel can hold: no surrogates, no NUL (Excel itself cannot store it).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=60)


def write(path, rows, styles=0):
    book = StreamBook(path)
    sheet = book.sheet("数据", [12] * max(len(r) for r in rows))
    for row in rows:
        sheet.row(row, styles)
    sheet.close()
    book.close()
    return path


def test_values_and_types_round_trip(tmp_path):
    day = dt.date(2024, 3, 5)
    path = write(tmp_path / "a.xlsx", [["客户", "金额", "日期"], ["=HYPERLINK(\"x\")", 22.5, day], ["+86 138", None, None],
                                       ["a & <b>", float("nan"), dt.datetime(2024, 3, 5, 12, 0)]],
                 [HEADER, MONEY, DATE])
    ws = openpyxl.load_workbook(path)["数据"]
    assert ws["A2"].value == "=HYPERLINK(\"x\")" and ws["A2"].data_type == "s"
    assert ws["B2"].value == 22.5 and ws["B2"].number_format == "#,##0.00"
    assert ws["C2"].value == dt.datetime(2024, 3, 5) and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["A3"].value == "+86 138" and ws["B3"].value is None
    assert ws["A4"].value == "a & <b>" and ws["B4"].value is None
    assert ws["C4"].value == dt.datetime(2024, 3, 5, 12, 0)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:C4"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"


@settings(max_examples=80, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=5))
def test_any_text_reads_back_exactly(tmp_path_factory, texts):
    path = write(tmp_path_factory.mktemp("h") / "t.xlsx", [texts])
    # calamine decodes Excel's _xHHHH_ escapes as Excel does: every text comes back exactly.
    grid = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(
        skip_empty_area=False)
    row = grid[0] if grid else []
    assert row + [""] * (len(texts) - len(row)) == texts
    ws = openpyxl.load_workbook(path).active
    for c, text in enumerate(texts, start=1):
        assert ws.cell(1, c).data_type in ("s", "n")
        if not re.search(r"[\x00-\x1f]|_x[0-9A-Fa-f]{4}_", text):    # openpyxl leaves escapes encoded
            assert ws.cell(1, c).value == (text or None)


def test_escape_like_text_and_control_characters(tmp_path):
    path = write(tmp_path / "e.xlsx", [["_x0041_", "a\x07b", "", "line\nbreak"]])
    row = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(
        skip_empty_area=False)[0]
    assert row == ["_x0041_", "a\x07b", "", "line\nbreak"]
    assert openpyxl.load_workbook(path).active["C1"].value is None          # "" is an empty cell


def test_libreoffice_opens_it(tmp_path, libreoffice):
    path = write(tmp_path / "lo.xlsx", [["客户名称", "金额"], ["华络通信", 22]])
    [pdf] = libreoffice([path], "pdf", tmp_path / "out")
    assert pdf.stat().st_size > 0
