"""Reading workbooks as reps really send them: hand-made messy files, read back."""
import datetime as dt
from pathlib import Path
import zipfile

import openpyxl
import pytest

from xltools.ingest.reader import read_workbook


def save(wb, path):
    wb.save(path)
    return path


@pytest.fixture
def messy(tmp_path):
    """A customers sheet named Sheet1 with a merged title row, aliases, '*' marks and messy values."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "客户信息收集表（华南区 2024年3月）"
    ws.merge_cells("A1:I1")
    headers = ["客户名称*", "联系人", "联系方式", "跟进人", "跟进状态", "企业规模（员工人数/年营收）", "下次跟进时间", "备注", "我方份额(%)"]
    for c, h in enumerate(headers, 1):
        ws.cell(3, c, h)
    rows = [
        ["深圳市华络通信有限公司", "王明", "138 0013 8000", "张三", "A", "200人/1亿", "2024年3月12日", "老客户", "30%"],
        [None] * 9,                                                      # a blank row inside the data
        ["广州华新", "李雷", "+86 139-0000-0000", "张三", "b级", "５０人/２２万", 45360, "", 0.3],
        ["坏公司", "赵六", "12345", "张三", "D类", "很多", "下周", "", 150],
    ]
    for r, row in enumerate(rows, 4):
        for c, v in enumerate(row, 1):
            ws.cell(r, c, v)
    ws.row_dimensions[6].hidden = True                                   # hidden rows are still read
    return save(wb, tmp_path / "张三.xlsx")


def test_messy_sheet_is_recognised_and_typed(messy):
    result = read_workbook(messy)
    [sheet] = result.sheets
    assert (sheet.form, sheet.sheet, sheet.header_row, sheet.how) == ("customers", "Sheet1", 3, "headers")
    assert sheet.extra_columns == {"备注": "H"}
    first, second, bad = result.records
    assert (first.row, second.row, bad.row) == (4, 6, 7)
    assert first.values["customer"] == "深圳市华络通信有限公司"
    assert first.values["phone"] == "13800138000"
    assert first.values["grade"] == "A类"
    assert (first.values["employees"], first.values["revenue"]) == (200, 10000)
    assert first.values["next_follow_up"] == dt.date(2024, 3, 12)
    assert first.values["share_of_wallet"] == 30
    assert second.values["grade"] == "B类"
    assert (second.values["employees"], second.values["revenue"]) == (50, 22)
    assert second.values["next_follow_up"] == dt.date(2024, 3, 9)       # an Excel serial number
    assert second.values["share_of_wallet"] == 30                       # 0.3 in a %-formatted cell
    assert result.rep == "张三"


def test_every_bad_cell_is_found_at_its_place_and_nothing_else(messy):
    found = [(f.code, f.cell, f.customer) for f in read_workbook(messy).findings]
    assert found == [
        ("column-extra", "H3", None),
        ("format", "C7", "坏公司"),
        ("enum", "E7", "坏公司"),
        ("type", "F7", "坏公司"),
        ("type", "G7", "坏公司"),
        ("range", "I7", "坏公司"),
    ]


def test_messages_in_both_languages(messy):
    enum = next(f for f in read_workbook(messy).findings if f.code == "enum")
    assert enum.message("zh") == "“客户等级”的值“D类”不在可选范围内：A类、B类、C类"
    assert enum.message("en").startswith("'Grade': 'D类' is not one of")


def test_english_headers_in_any_order_and_merged_customer_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Proposal"
    for c, h in enumerate(["Done", "Module", "Customer", "Done on"], 1):
        ws.cell(1, c, h)
    modules = ["客户痛点分析", "解决方案概述", "核心功能详情"]
    for r, m in enumerate(modules, 2):
        ws.cell(r, 1, "是")
        ws.cell(r, 2, m)
        ws.cell(r, 4, dt.date(2024, 3, r))
    ws["C2"] = "华络通信"
    ws.merge_cells("C2:C4")                                              # one customer over its three rows
    result = read_workbook(save(wb, tmp_path / "p.xlsx"))
    assert [r.values["customer"] for r in result.records] == ["华络通信"] * 3
    assert [r.values["module"] for r in result.records] == modules
    assert [(f.code, f.params["rep"]) for f in result.findings] == [("rep-inferred", "p")]   # no 负责人 column


def test_error_cells_and_uncalculated_formulas_are_reported(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户回访"
    for c, h in enumerate(["客户名称", "回访时间", "回访人", "满意度评分"], 1):
        ws.cell(1, c, h)
    ws.append(["华络通信", dt.date(2024, 3, 1), "张三", "=1/0"])        # no cached value: written by a program
    ws.append(["华络通信", dt.date(2024, 3, 8), "张三", "#REF!"])
    ws["D3"].data_type = "e"
    result = read_workbook(save(wb, tmp_path / "v.xlsx"))
    assert [(f.code, f.cell, f.value) for f in result.findings] == [
        ("formula-uncalculated", "D2", None), ("cell-error", "D3", "#REF!")]
    assert [r.values["satisfaction"] for r in result.records] == [None, None]


def patch_strings(path, replacements):
    """Rewrite strings in the XML the way other programs store what openpyxl refuses to write."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    for name in parts:
        for old, new in replacements.items():
            parts[name] = parts[name].replace(old.encode(), new.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_long_text_and_control_characters_are_reported_not_cut(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "异议处理"
    ws.append(["客户名称", "异议提出时间", "异议内容", "应答策略", "解决责任人"])
    ws.append(["华络通信", dt.date(2024, 3, 1), "CTRL-MARK", "LONG-MARK", "张三"])
    path = save(wb, tmp_path / "o.xlsx")
    patch_strings(path, {"CTRL-MARK": "价格_x0007_太高", "LONG-MARK": "长" * 40000})
    result = read_workbook(path)
    assert [(f.code, f.cell) for f in result.findings] == [("control-character", "C2"), ("text-too-long", "D2")]
    assert result.records[0].values["objection"] == "价格\x07太高"
    assert len(result.records[0].values["response"]) == 40000          # kept whole, never cut


def test_unknown_sheet_is_reported_and_empty_sheets_ignored(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "随手记"
    wb.active.append(["今天", "天气"])
    wb.create_sheet("空表")
    result = read_workbook(save(wb, tmp_path / "x.xlsx"))
    assert [(f.code, f.sheet) for f in result.findings] == [("form-unknown", "随手记")]
    assert result.records == []


def test_a_sheet_named_as_a_form_reports_its_missing_columns(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "商机跟踪"
    wb.active.append(["项目编号", "客户名称", "备注"])
    wb.active.append(["XM-1", "华络通信", ""])
    found = {(f.code, f.field) for f in read_workbook(save(wb, tmp_path / "p.xlsx")).findings}
    assert {("column-missing", k) for k in ["project", "owner", "stage", "amount", "expected_close"]} <= found


def test_reading_never_changes_the_file(messy):
    before = messy.read_bytes()
    read_workbook(messy)
    assert messy.read_bytes() == before


def test_a_template_sheet_renamed_by_a_rep_is_still_recognised(tmp_path):
    book = openpyxl.load_workbook(Path(__file__).parents[1] / "workbook_templates" / "商机跟踪表.xlsx")
    ws = book["商机跟踪"]
    ws.title = "我的商机"
    for ref, value in {"A2": "XM-1", "B2": "CRM", "C2": "华络通信", "E2": "张三", "F2": "3", "H2": "25万",
                       "L2": "2024/5/1"}.items():
        ws[ref] = value
    result = read_workbook(save(book, tmp_path / "商机.xlsx"))
    [sheet] = result.sheets
    assert (sheet.form, sheet.sheet, sheet.how) == ("pipeline", "我的商机", "metadata")
    [record] = result.records
    assert (record.values["stage"], record.values["amount"], record.values["expected_close"]) == (
        "3 有资格", 25, dt.date(2024, 5, 1))
    assert result.findings == []
