"""An admin's first week: one rules.yaml read like the forms, found beside the store by every
command; the store found by rollup where merge put it; single files merged."""
import datetime as dt
import json
import os
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from factory import make_workbook  # noqa: E402

from xltools.cli import cli  # noqa: E402
from xltools.forms.config import Config, load_config  # noqa: E402

AS_OF = "2024-04-01"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def rules_file(folder: Path, text: str) -> Path:
    path = folder / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# Settings read like the forms, overridden key by key
def test_amounts_read_like_the_forms_and_mappings_override_key_by_key(tmp_path):
    config = load_config(rules_file(tmp_path, "approval_gm_threshold: 50万\n"
                                              "visit_interval_days: {A类: 14}\n"
                                              "stage_probability: {2 接触: 30}\n"
                                              "stall_days: {'3': 60}\n"
                                              "rebate_tiers: [[0, 5%], [0.5亿, 9]]\n"))
    default = Config()
    assert config.approval_gm_threshold == 50.0
    assert config.visit_interval_days == {**default.visit_interval_days, "A类": 14}
    assert config.stage_probability == {**default.stage_probability, "2 接触": 30.0}
    assert config.stall_days == {**default.stall_days, 3: 60}
    assert config.rebate_tiers == ((0.0, 5.0), (5000.0, 9.0))
    assert config.overrides() == {"approval_gm_threshold": 50.0, "visit_interval_days": config.visit_interval_days,
                                  "stage_probability": config.stage_probability, "stall_days": config.stall_days,
                                  "rebate_tiers": config.rebate_tiers}


@pytest.mark.parametrize("text, detail", [("visit_interval_days: {D类: 14}\n", "unknown key 'D类'"),
                                          ("approval_gm_threshold: 很多\n", "'很多' is not a number"),
                                          ("entry_hours: 1.5\n", "not a whole number"),
                                          ("visit_interval_days: 14\n", "expected a mapping")])
def test_a_wrong_setting_is_one_usage_line(tmp_path, text, detail):
    result = invoke("validate", tmp_path, "--config", rules_file(tmp_path, text), "--lang", "en")
    assert result.exit_code == 2 and detail in result.stderr and "Traceback" not in result.stderr


def test_a_partial_override_keeps_the_other_grades_checked(tmp_path):
    visits = [{"customer": "华络通信", "visitor": "张三", "date": dt.date(2024, 3, 1), "next_visit": dt.date(2024, 6, 3)}]
    make_workbook(tmp_path / "inbox", {"customers": [customer("华络通信", "B类")], "visits": visits}, "张三.xlsx")
    rules_file(tmp_path, "visit_interval_days: {A类: 14}\n")
    codes = {f["code"] for f in report(invoke("validate", tmp_path / "inbox", "--format", "json", "--as-of", AS_OF))}
    assert "visit-interval" in codes                      # B类's 92 days still apply: 94 is over


def customer(name, grade):
    return {"customer": name, "contact": "王明", "phone": "13800138000", "owner": "张三", "grade": grade,
            "next_follow_up": dt.date(2024, 4, 20)}


def report(result):
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)["findings"]


# rules.yaml beside the store, picked up by validate, merge and rollup alike
def contract(amount):
    return [{"contract_id": "HT-202403001", "customer": "华络通信", "amount": amount, "submitter": "张三",
             "submitted": dt.date(2024, 3, 1), "step": s, "decision": "同意", "decided": dt.date(2024, 3, 2)}
            for s in ("销售经理审核", "法务审核")]


def deal(pid, stage):
    return {"project_id": pid, "project": f"{pid}项目", "customer": "华络通信", "owner": "张三", "stage": stage,
            "amount": 100, "expected_close": dt.date(2024, 5, 1)}


@pytest.fixture
def week(tmp_path, monkeypatch):
    """A folder as the quick start lays it out: inbox/ and, beside it, rules.yaml."""
    make_workbook(tmp_path / "inbox", {"contracts": contract("30万"),
                                       "pipeline": [deal("XM-1", "2 接触"), deal("XM-2", "3 有资格")]}, "张三.xlsx")
    rules_file(tmp_path, "approval_gm_threshold: 50万\nstage_probability: {2 接触: 30}\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_rules_yaml_beside_the_store_is_used_by_every_command(week):
    result = invoke("validate", "inbox", "--format", "json", "--as-of", AS_OF)
    assert "approval-authority" not in {f["code"] for f in report(result)}
    assert f"设置：使用 {week / 'rules.yaml'}" in result.stderr      # beside the store merge would write

    result = invoke("merge", "inbox", "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    assert "approval-authority" not in json.loads(result.stdout)["findings"]["by_code"]
    assert f"设置：使用 {week / 'rules.yaml'}" in result.stderr

    result = invoke("rollup", "--as-of", AS_OF, "--json", "--lang", "en")
    assert result.exit_code == 0, result.stderr
    assert "Settings: using rules.yaml" in result.stderr       # beside the store: the current folder
    by_stage = {s["stage"]: s["weighted_amount"] for s in json.loads(result.stdout)["pipeline"]["by_stage"] if s["count"]}
    assert by_stage == {"2 接触": 30.0, "3 有资格": 50.0}    # the override, and the default kept


def test_each_run_records_the_settings_it_used(week):
    assert invoke("merge", "inbox", "--as-of", AS_OF).exit_code == 0
    from xltools.store import open_store
    db = open_store(week / "xltools.db")
    try:
        settings = db.last_run()["counts"]["settings"]
    finally:
        db.close()
    assert settings["approval_gm_threshold"] == 50.0 and settings["stage_probability"]["2 接触"] == 30.0


def test_config_option_wins_over_the_file_beside_the_store(week):
    explicit = rules_file(week / "inbox", "approval_gm_threshold: 20\n")
    os.replace(explicit, week / "strict.yaml")
    result = invoke("validate", "inbox", "--format", "json", "--as-of", AS_OF, "--config", week / "strict.yaml")
    assert "approval-authority" in {f["code"] for f in report(result)} and "rules.yaml" not in result.stderr


# The store where merge put it; single files
def test_rollup_right_after_merge_finds_the_store_from_the_inbox_parent(week):
    assert invoke("merge", "inbox", "--as-of", AS_OF).exit_code == 0
    result = invoke("rollup", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert (week / "summary.xlsx").exists()


def test_rollup_without_a_store_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("rollup")
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"在 {tmp_path.resolve() / 'xltools.db'} 没有找到库：merge 把 xltools.db 写在收件箱"
                                     f"文件夹旁，请在收件箱的上一级文件夹运行，或用 --store 指明")


def test_merge_and_validate_take_a_single_file(week):
    book = Path("inbox") / "张三.xlsx"
    assert invoke("validate", book, "--as-of", AS_OF).exit_code == 0
    result = invoke("merge", book, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["files"]["read"] == 1 and (week / "xltools.db").exists()


def test_a_file_merged_alone_updates_the_record_its_folder_merge_made(week):
    nested = week / "inbox" / "华东区"
    make_workbook(nested, {"pipeline": [deal("XM-3", "4 已发展")]}, "赵磊.xlsx")
    first = json.loads(invoke("merge", "inbox", "--as-of", AS_OF, "--json").stdout)
    assert first["files"]["read"] == 2
    (nested / "赵磊.xlsx").unlink()
    make_workbook(nested, {"pipeline": [deal("XM-3", "5 已承诺")]}, "赵磊.xlsx")
    alone = invoke("merge", nested / "赵磊.xlsx", "--as-of", AS_OF, "--json")
    assert alone.exit_code == 0, alone.stderr
    assert json.loads(alone.stdout)["files"]["read"] == 1
    again = json.loads(invoke("merge", "inbox", "--as-of", AS_OF, "--json").stdout)
    assert again["files"] == {"total": 2, "read": 0, "unchanged": 2, "skipped": 0, "unreadable": 0}
    assert again["rows"]["withdrawn"] == 0 and not list((week / "inbox").glob("xltools.db*"))
    stages = json.loads(invoke("rollup", "--as-of", AS_OF, "--json").stdout)["pipeline"]["by_stage"]
    assert {s["stage"]: s["count"] for s in stages if s["count"]} == {"2 接触": 1, "3 有资格": 1, "5 已承诺": 1}


# Reps named by rule
NEGOTIATION = {"customer": "华络通信", "date": dt.date(2024, 3, 20), "clause": "价格", "floor": "22", "agreed_amount": 22}


@pytest.mark.parametrize("where, source", [("商务谈判要点表_赵磊.xlsx", "文件名"), ("赵磊-5月(1).xlsx", "文件名"),
                                           ("华东区/赵磊/商务谈判 2024-05-06.xlsx", "文件夹名")])
def test_a_workbook_without_an_owner_column_takes_its_rep_by_rule(tmp_path, where, source):
    path = tmp_path / "inbox" / where
    make_workbook(path.parent, {"negotiations": [NEGOTIATION]}, path.name)
    result = json.loads(invoke("validate", tmp_path / "inbox", "--format", "json", "--as-of", AS_OF).stdout)
    assert [f["rep"] for f in result["files"]] == ["赵磊"]
    inferred = [f for f in result["findings"] if f["code"] == "rep-inferred"]
    assert [(f["severity"], f["message"]) for f in inferred] == [
        ("info", f"表内没有填写销售代表的列：销售代表按{source}取为“赵磊”")]


def test_the_owner_column_wins_and_the_workbook_properties_come_before_the_name(tmp_path):
    from openpyxl import load_workbook
    owned = make_workbook(tmp_path / "inbox", {"customers": [customer("华络通信", "B类")]}, "商务谈判_赵磊.xlsx")
    saved = make_workbook(tmp_path / "inbox", {"negotiations": [NEGOTIATION]}, "谈判记录.xlsx")
    book = load_workbook(saved)
    book.properties.lastModifiedBy = "钱七"
    book.save(saved)
    result = json.loads(invoke("validate", tmp_path / "inbox", "--format", "json", "--as-of", AS_OF).stdout)
    assert {f["path"]: f["rep"] for f in result["files"]} == {owned.name: "张三", saved.name: "钱七"}
    assert [f["file"] for f in result["findings"] if f["code"] == "rep-inferred"] == [saved.name]


def test_an_unreadable_file_has_an_unknown_rep(tmp_path):
    (tmp_path / "赵磊.xlsx").write_text("not a workbook", encoding="utf-8")
    result = invoke("validate", tmp_path, "--as-of", AS_OF)
    assert "  未知：" in result.stdout or "  未知:" in result.stdout


# One language at a time
ENGLISH_WORDS = re.compile(r"\b(total|read|unchanged|ok|skipped|unreadable|merged|quarantined|withdrawn|customers|"
                           r"contracts|pipeline|negotiations|Files|Rows|By code)\b")
CHINESE_WORDS = re.compile(r"共|读取|未变化|已读取|跳过|无法读取|合并 |待修正|撤回|文件：|行：|按类型|未知|错误|警告")


def without_codes(text: str) -> str:
    """Codes may stand beside their titles: take them out before looking for words."""
    from xltools.ingest.findings import CODES
    for code in sorted(CODES, key=len, reverse=True):
        text = text.replace(code, "")
    return text


def sheet_text(path: Path, sheet: str) -> str:
    from openpyxl import load_workbook
    book = load_workbook(path, read_only=True)
    return "\n".join(" ".join(str(v) for v in row if v is not None) for row in book[sheet].iter_rows(values_only=True))


@pytest.mark.parametrize("lang, foreign", [("zh", ENGLISH_WORDS), ("en", CHINESE_WORDS)])
def test_a_run_speaks_one_language(week, lang, foreign):
    (week / "inbox" / "坏.xlsx").write_text("not a workbook", encoding="utf-8")
    make_workbook(week / "inbox", {"customers": [customer("恒通物流", "B类") | {"phone": "12345"}]}, "李四.xlsx")
    merged = invoke("merge", "inbox", "--as-of", AS_OF, "--lang", lang)
    rolled = invoke("rollup", "--as-of", AS_OF, "--lang", lang)
    # The planted bad phone is an error: merge exits 1 (rows quarantined), and still writes everything.
    assert merged.exit_code == 1 and rolled.exit_code == 0, merged.stderr + rolled.stderr
    from xltools.xlsx.master import SHEETS
    from xltools.xlsx.summary.table import SUMMARY_SHEETS
    seen = {"cli": merged.stdout + rolled.stdout, "log": sheet_text(week / "master.xlsx", SHEETS["log"](lang)),
            "quality": sheet_text(week / "summary.xlsx", SUMMARY_SHEETS["quality"](lang))}
    data = {"张三", "李四", "坏.xlsx", "李四.xlsx", "张三.xlsx", "恒通物流", "华络通信", "12345"}   # the reps' own text
    for where, text in seen.items():
        for word in data:
            text = text.replace(word, "")
        assert not foreign.findall(without_codes(text)), (where, text)
    assert ("合同审批、商机跟踪" if lang == "zh" else "Contracts, Pipeline") in seen["log"]    # forms by name


def every_command():
    found = []

    def walk(command, path):
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])
    walk(cli, [])
    return found


@pytest.mark.parametrize("path, command", every_command(), ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_help_is_chinese_first(path, command):
    import click
    cjk = re.compile(r"^[^a-zA-Z]*[\u4e00-\u9fff]")
    result = invoke(*path, "--help")
    assert result.exit_code == 0
    assert cjk.match(command.help), command.help
    for option in (p for p in command.params if isinstance(p, click.Option)):
        assert cjk.match(option.help or ""), (path, option.opts)


# Labels that say what they mean
def test_annotated_copies_show_what_the_rep_typed_and_say_when_all_is_well(tmp_path):
    import openpyxl
    from xltools.xlsx.annotate import annotate
    from xltools.checks.validate import validate
    inbox = tmp_path / "inbox"
    make_workbook(inbox, {"contracts": contract("30万")}, "张三.xlsx")
    make_workbook(inbox, {"customers": [customer("华络通信", "B类")]}, "李四.xlsx")
    report = validate([inbox], as_of=dt.date(2024, 4, 1))
    annotate(report, tmp_path / "checked")
    flagged = openpyxl.load_workbook(tmp_path / "checked" / "张三.xlsx")["校验结果"]
    rows = [r for r in flagged.iter_rows(min_row=2, values_only=True) if r[3] == "approval-authority"]
    assert rows and rows[0][5] == "30万"
    clean = openpyxl.load_workbook(tmp_path / "checked" / "李四.xlsx")["校验结果"]
    assert clean["A2"].value == "未发现问题"


# The workbooks' 设置 sheet: 指标文件, and rules.yaml beside the store
def test_the_console_merges_the_targets_file_and_uses_rules_beside_the_store(week):
    import shutil
    from xltools.buttons import press as buttons
    from xltools.buttons.settings import read_settings
    from xltools.xlsx import workbooks
    from xltools.xlsx.writers.file import FileBookWriter
    sys.path.insert(0, str(Path(__file__).parent))
    from test_excel import COMMITTED, fill_settings
    book = week / "wb" / "合并控制台.xlsm"
    book.parent.mkdir()
    shutil.copy(COMMITTED / book.name, book)
    make_workbook(week / "指标", {"targets": [{"rep": "张三", "month": dt.date(2024, 4, 1), "sales_target": 100}]},
                  "销售指标.xlsx")
    fill_settings(book, inbox=str(week / "inbox"), targets=str(week / "指标" / "销售指标.xlsx"), as_of=AS_OF)
    settings = read_settings(FileBookWriter(book), "console")
    assert settings.config.approval_gm_threshold == 50.0             # week's rules.yaml, beside the store
    result = buttons._merge(FileBookWriter(book), settings)
    assert result.files.read == 2 and "approval-authority" not in {f.code for f in result.report.findings}
    assert "targets" in workbooks.BOOK_SETTINGS["summary"]


def test_the_weighted_pipeline_is_rounded_as_the_workbook_shows_it(week):
    import openpyxl
    from xltools.rollup.model import excel_round
    make_workbook(week / "inbox", {"pipeline": [deal("XM-9", "4 已发展") | {"owner": "李四", "amount": 201.5}]},
                  "李四.xlsx")
    assert invoke("merge", "inbox", "--as-of", AS_OF).exit_code == 0
    data = json.loads(invoke("rollup", "--as-of", AS_OF, "--json").stdout)
    assert invoke("rollup", "--as-of", AS_OF).exit_code == 0
    by_stage = {s["stage"]: s["weighted_amount"] for s in data["pipeline"]["by_stage"]}
    assert by_stage["4 已发展"] == 151.13                # 201.5 × 75% = 151.125: Excel shows 151.13, round() 151.12
    book = openpyxl.load_workbook(week / "summary.xlsx")
    cells = [c for row in book.worksheets[0].iter_rows() for c in row if c.value == 151.125]
    assert cells and all(c.number_format.startswith("#,##0.00") for c in cells)    # shown at 2 places: 151.13
    assert excel_round(2.675) == 2.68 and excel_round(-0.125) == -0.13 and excel_round(1.005) == 1.01


def test_the_text_report_lines_up_under_chinese_sheet_names(tmp_path):
    from xltools.forms.values import text_width
    chain = [{"customer": "华络通信", "date": dt.date(2024, 3, 5), "person": "王明", "role": "决策人", "weight": "很多"}]
    make_workbook(tmp_path / "inbox", {"customers": [customer("华络通信", "B类") | {"phone": "12345"}],
                                       "decision_chain": chain}, "张三.xlsx")
    lines = [line for line in invoke("validate", tmp_path / "inbox", "--as-of", AS_OF).stdout.splitlines()
             if re.search(r"(客户信息|决策链)!", line)]
    assert {line.split()[1].split("!")[0] for line in lines} == {"客户信息", "决策链"}   # 4 and 3 wide characters
    codes = [re.search(r" ([a-z]+(-[a-z]+)*) ", line).start(1) for line in lines]
    assert len({text_width(line[:at]) for line, at in zip(lines, codes)}) == 1


def test_the_objection_date_says_resolve_by_and_the_old_header_still_reads(tmp_path):
    import openpyxl
    from xltools.forms.schema import load_schema
    assert load_schema().sheets["objections"].field("resolve_by").label.zh == "计划解决时间"
    objection = {"customer": "华络通信", "raised": dt.date(2024, 3, 20), "objection": "报价高于预算", "owner": "张三",
                 "resolve_by": dt.date(2024, 3, 30), "status": "处理中"}
    path = make_workbook(tmp_path / "inbox", {"objections": [objection]}, "张三.xlsx")
    book = openpyxl.load_workbook(path)
    header = next(c for c in book.worksheets[0][1] if c.value == "计划解决时间")
    header.value = "解决时间"                                # a workbook from before the rename
    book.save(path)
    result = json.loads(invoke("validate", tmp_path / "inbox", "--format", "json", "--as-of", AS_OF).stdout)
    assert [f["code"] for f in result["findings"] if f["severity"] != "info"] == ["objection-overdue"]
