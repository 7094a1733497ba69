"""Numbers a manager can trust (issue 21): a re-sent copy counted once, an empty or shrunken
inbox refused with nothing changed, the last masters kept, and the exit codes the README states.
Every case runs through the CLI; the totals are computed by hand in the comments."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from factory import customer, make_workbook, visit  # noqa: E402

from xltools.atomic import backups  # noqa: E402
from xltools.cli import cli  # noqa: E402
from xltools.rollup import rollup  # noqa: E402

AS_OF = "2024-04-01"


def deal(project_id: str, amount: float, owner: str = "张三", stage: str = "3 有资格", **kw) -> dict:
    """An open deal that breaks no rule on AS_OF (win probability = the stage's default)."""
    probability = {"3 有资格": 50, "6 收回全款": 100}[stage]
    forecast = "已成交" if stage == "6 收回全款" else "管道"
    return {"project_id": project_id, "project": "CRM", "customer": "华络通信", "owner": owner, "stage": stage,
            "win_probability": probability, "amount": amount, "expected_close": dt.date(2024, 5, 30),
            "forecast": forecast, **kw}


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def merge(inbox: Path, out: Path, *extra):
    return invoke("merge", inbox, "--store", out / "s.db", "--master", out / "master.xlsx", "--as-of", AS_OF, *extra)


def digest(path: Path) -> str:
    """A file's bytes; a store's content (SQLite may rewrite its header on a read)."""
    if path.suffix == ".db":
        with sqlite3.connect(path) as db:
            return "\n".join(db.iterdump())
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def inbox(tmp_path):
    box = tmp_path / "inbox"
    make_workbook(box, {"pipeline": [deal("XM-1", 25), deal("XM-2", 50)]}, "张三 5月.xlsx")
    make_workbook(box, {"pipeline": [deal("XM-3", 40, owner="李四")]}, "李四 5月.xlsx")
    return box


# 1. A re-sent copy
def test_a_resent_identical_copy_is_counted_once(inbox, tmp_path):
    copy = inbox / "张三 5月(1).xlsx"
    shutil.copy(inbox / "张三 5月.xlsx", copy)
    os.utime(copy, (os.stat(copy).st_atime, os.stat(inbox / "张三 5月.xlsx").st_mtime + 60))   # saved later
    out = tmp_path / "out"
    result = merge(inbox, out, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "张三 5月(1).xlsx  [skipped]  identical to 张三 5月.xlsx" in result.output
    assert "file-duplicate           Identical to 张三 5月.xlsx (a re-sent copy): skipped" in result.output
    # 张三 25 + 50, 李四 40: the copy adds nothing
    summary = rollup(out / "s.db")
    assert summary.pipeline.open_amount == pytest.approx(115)


def test_a_resaved_copy_with_the_same_cells_is_counted_once(inbox, tmp_path):
    import openpyxl
    original = inbox / "张三 5月.xlsx"
    copy = inbox / "张三 5月(1).xlsx"
    book = openpyxl.load_workbook(original)
    book.properties.lastModifiedBy = "微信"                  # re-saved: other bytes, the same cells
    book.save(copy)
    assert copy.read_bytes() != original.read_bytes()
    os.utime(copy, (0, os.stat(original).st_mtime + 60))
    out = tmp_path / "out"
    result = merge(inbox, out, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "file-duplicate           Identical to 张三 5月.xlsx (a re-sent copy): skipped" in result.output
    report = json.loads(invoke("validate", inbox, "--format", "json", "--as-of", AS_OF).output)
    assert [(f["file"], f["code"]) for f in report["findings"] if f["file"] == "张三 5月(1).xlsx"] == [
        ("张三 5月(1).xlsx", "file-duplicate")]
    assert rollup(out / "s.db").pipeline.open_amount == pytest.approx(115)     # 25 + 50 + 40


def test_the_copy_is_the_later_file_whatever_its_name(inbox, tmp_path):
    original = inbox / "张三 5月.xlsx"
    copy = inbox / "A 张三.xlsx"                          # sorts first, but saved later
    shutil.copy(original, copy)
    os.utime(copy, (os.stat(copy).st_atime, os.stat(original).st_mtime + 60))
    report = json.loads(invoke("validate", inbox, "--format", "json", "--as-of", AS_OF).output)
    assert [(f["file"], f["code"]) for f in report["findings"] if not f["code"].startswith("stage-gate-")] == [
        ("A 张三.xlsx", "file-duplicate")]


def test_a_record_sent_in_two_files_is_counted_once_and_an_error_on_the_later_file(inbox, tmp_path):
    later = make_workbook(inbox, {"pipeline": [deal("XM-2", 50), deal("XM-5", 10)]}, "A 张三 补充.xlsx")
    os.utime(later, (0, os.stat(inbox / "张三 5月.xlsx").st_mtime + 60))     # sorts first, saved later
    out = tmp_path / "out"
    result = merge(inbox, out, "--lang", "en")
    assert result.exit_code == 1, result.output                      # an error: a row quarantined
    assert "The same record as 张三 5月.xlsx!商机跟踪 row 3 (in another file): remove one of the copies" in result.output
    report = json.loads(invoke("validate", inbox, "--format", "json", "--as-of", AS_OF).output)
    assert [(f["file"], f["row"], f["severity"]) for f in report["findings"] if f["code"] == "duplicate-record"] == [
        ("A 张三 补充.xlsx", 2, "error")]
    # 张三 25 + 50, 李四 40, the new XM-5 10: the second XM-2 is out of the totals until one copy goes
    assert rollup(out / "s.db").pipeline.open_amount == pytest.approx(125)
    later.unlink()
    make_workbook(inbox, {"pipeline": [deal("XM-5", 10)]}, "A 张三 补充.xlsx")
    assert merge(inbox, out).exit_code == 0
    assert rollup(out / "s.db").pipeline.open_amount == pytest.approx(125)


# 3. Money left out of the totals
def approval(contract_id: str, amount: float) -> dict:
    """A contract passed by the sales manager, waiting at 法务审核."""
    return {"contract_id": contract_id, "customer": "深圳市华络通信有限公司", "amount": amount, "submitter": "王五",
            "submitted": dt.date(2024, 3, 1), "step": "销售经理审核", "decision": "同意", "decided": dt.date(2024, 3, 2)}


def test_money_left_out_is_listed_and_counted(inbox, tmp_path):
    # A 30万 contract lacks 总经理审批 in its chain (approval-authority: quarantined); a 10万 one needs none.
    make_workbook(inbox, {"contracts": [approval("HT-202403030", 30), approval("HT-202403010", 10)]}, "王五 合同.xlsx")
    later = make_workbook(inbox, {"pipeline": [deal("XM-2", 50)]}, "A 张三 补充.xlsx")
    os.utime(later, (0, os.stat(inbox / "张三 5月.xlsx").st_mtime + 60))     # XM-2 again: duplicate-record
    out = tmp_path / "out"
    assert merge(inbox, out).exit_code == 1
    model = json.loads(invoke("rollup", "--store", out / "s.db", "--as-of", AS_OF, "--json").output)
    assert model["left_out"] == [
        {"form": "pipeline", "code": "duplicate-record", "rows": 1, "amount": 50},
        {"form": "contracts", "code": "approval-authority", "rows": 1, "amount": 30}]
    assert model["pipeline"]["open_amount"] == 115                        # 25 + 50 + 40: the copy left out
    assert [(p["contract_id"], p["amount"], p["quarantined"]) for p in model["contracts"]["pending"]] == [
        ("HT-202403010", 10, False), ("HT-202403030", 30, True)]
    # The summary's first sheet says it, and flags the contract where the general manager looks
    assert invoke("rollup", "--store", out / "s.db", "--as-of", AS_OF, "--out", out / "summary.xlsx").exit_code == 0
    import openpyxl
    ws = openpyxl.load_workbook(out / "summary.xlsx")["汇总"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "未计入合计的数据：2 行，80.00 万元（明细见主表“待修正”与本工作簿“数据质量”）" in texts
    assert texts.count("待修正，未计入合计") == 1 and "HT-202403030" in texts


# customer-unknown suggests the registered name
def test_an_unknown_customer_gets_the_likely_registered_name(tmp_path):
    box = tmp_path / "inbox"
    make_workbook(box, {"customers": [customer("苏州恒达机械制造有限公司", "张三"), customer("深圳市华络通信有限公司", "张三")],
                        "pipeline": [deal("XM-1", 25, customer="恒达机电"), deal("XM-2", 10, customer="明月集团")]},
                  "张三.xlsx")
    report = json.loads(invoke("validate", box, "--format", "json", "--as-of", AS_OF).output)
    unknown = {f["value"]: f["message"] for f in report["findings"] if f["code"] == "customer-unknown"}
    assert unknown == {"恒达机电": "客户“恒达机电”不在客户信息表中，您是否指 苏州恒达机械制造有限公司？",
                       "明月集团": "客户“明月集团”不在客户信息表中"}      # nothing like it: no guess
    english = invoke("validate", box, "--lang", "en", "--as-of", AS_OF).output
    assert "Customer '恒达机电' is not in customer information. Did you mean 苏州恒达机械制造有限公司?" in english


# 2. An empty or shrunken inbox
def test_an_empty_inbox_is_refused_and_nothing_changes(inbox, tmp_path):
    out = tmp_path / "out"
    assert merge(inbox, out).exit_code == 0
    assert merge(inbox, out).exit_code == 0                  # a second master: one kept copy
    before = {p.name: digest(p) for p in out.iterdir()}
    for f in inbox.iterdir():
        f.unlink()                                           # the share is not mounted
    result = merge(inbox, out, "--lang", "en")
    assert result.exit_code == 1
    assert "holds no readable workbook" in result.output and "Traceback" not in result.output
    assert {p.name: digest(p) for p in out.iterdir()} == before
    assert rollup(out / "s.db").pipeline.open_amount == pytest.approx(115)


def test_a_shrunken_inbox_is_refused_unless_allowed(inbox, tmp_path):
    out = tmp_path / "out"
    make_workbook(inbox, {"pipeline": [deal("XM-4", 10, owner="王五")]}, "王五.xlsx")
    assert merge(inbox, out).exit_code == 0
    (inbox / "李四 5月.xlsx").unlink()
    (inbox / "王五.xlsx").unlink()                            # 2 of 3 gone: 67% > 50%
    result = merge(inbox, out)
    assert result.exit_code == 1 and "少了 2/3 个已合并的文件" in result.output
    assert rollup(out / "s.db").pipeline.open_amount == pytest.approx(125)     # 25 + 50 + 40 + 10
    assert merge(inbox, out, "--allow-shrink").exit_code == 0
    assert rollup(out / "s.db").pipeline.open_amount == pytest.approx(75)      # 25 + 50


def test_the_shrink_limit_is_a_setting(inbox, tmp_path):
    out = tmp_path / "out"
    assert merge(inbox, out).exit_code == 0
    (inbox / "李四 5月.xlsx").unlink()                         # 1 of 2 gone: 50%, allowed by default
    config = tmp_path / "rules.yaml"
    config.write_text("shrink_limit: 40\n", encoding="utf-8")
    assert merge(inbox, out, "--config", config).exit_code == 1
    assert merge(inbox, out).exit_code == 0


def test_the_last_masters_are_kept_with_dated_names(inbox, tmp_path):
    out = tmp_path / "out"
    config = tmp_path / "rules.yaml"
    config.write_text("masters_kept: 2\n", encoding="utf-8")
    for i in range(4):
        assert merge(inbox, out, "--config", config).exit_code == 0
        os.utime(out / "master.xlsx", (0, 1_700_000_000 + i * 3600))     # each master an hour apart
    kept = backups(out / "master.xlsx")
    assert [p.name for p in kept] == [f"master.bak-{_stamp(1_700_000_000 + i * 3600)}.xlsx" for i in (1, 2)]


def _stamp(seconds: float) -> str:
    import time
    return time.strftime("%Y%m%d-%H%M%S", time.localtime(seconds))


# Exit codes as the README says
def test_validate_of_a_folder_with_no_workbook_exits_1(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke("validate", tmp_path / "empty", "--lang", "en")
    assert result.exit_code == 1 and "Nothing readable" in result.output


@pytest.mark.parametrize("rows, code", [
    ([deal("XM-1", 25)], 0),                                               # clean
    ([deal("XM-1", 25, win_probability=30)], 0),                          # a warning only
    ([deal("XM-1", 25, stage="6 收回全款", win_probability=50)], 1),           # an error: the row is quarantined
])
def test_merge_exits_1_only_when_it_reported_errors(tmp_path, rows, code):
    make_workbook(tmp_path / "inbox", {"pipeline": rows}, "张三.xlsx")
    result = merge(tmp_path / "inbox", tmp_path / "out", "--json")
    assert result.exit_code == code, result.output


# 4. Who claimed a customer first
def _claims(box: Path) -> tuple[Path, Path]:
    """王芳 claimed 恒达机械 first (her file is older) but her file sorts after 李娜's."""
    first = make_workbook(box, {"customers": [customer("苏州恒达机械制造有限公司", "王芳", grade="A类")],
                                "visits": [visit("恒达机械", "王芳", dt.date(2024, 3, 1),
                                                 next_visit=dt.date(2024, 4, 10))]}, "王芳.xlsx")
    later = make_workbook(box, {"customers": [customer("恒达机械", "李娜", grade="B类")],
                                "visits": [visit("恒达机械", "李娜", dt.date(2024, 3, 2),
                                                 next_visit=dt.date(2024, 4, 11))]}, "李娜.xlsx")
    os.utime(first, (0, 1_700_000_000))
    os.utime(later, (0, 1_700_003_600))
    return first, later


def _flagged(output: str, code: str) -> list[tuple[str, str]]:
    return sorted((f["file"], f["cell"]) for f in json.loads(output)["findings"] if f["code"] == code)


def test_the_first_claim_stays_with_the_first_claimant_across_edits(tmp_path):
    box = tmp_path / "inbox"
    first, later = _claims(box)
    report = invoke("validate", box, "--format", "json", "--as-of", AS_OF).output
    assert _flagged(report, "duplicate-claim") == [("李娜.xlsx", "A2")]
    # Each rep's own grade: 王芳's A类 visit 40 days apart is over 31; 李娜's B类 40 days is within 92.
    assert _flagged(report, "visit-interval") == [("王芳.xlsx", "J2")]
    out = tmp_path / "out"
    assert merge(box, out).exit_code == 0
    # 王芳 edits her file (now the newer one): the claim stays hers.
    make_workbook(box, {"customers": [customer("苏州恒达机械制造有限公司", "王芳", grade="A类", contact="李明")]},
                  "王芳.xlsx")
    result = invoke("merge", box, "--store", out / "s.db", "--no-master", "--as-of", AS_OF, "--json")
    assert result.exit_code == 0
    with sqlite3.connect(out / "s.db") as db:
        claims = db.execute("SELECT f.path FROM findings x JOIN files f ON f.id = x.file_id "
                            "WHERE x.code = 'duplicate-claim'").fetchall()
    assert claims == [("李娜.xlsx",)]
