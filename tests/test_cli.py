"""The CLI renders what the library returns: same numbers, exit codes 0/1/2, help with examples."""
import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from factory import make_workbook  # noqa: E402

from xltools.cli import cli  # noqa: E402
from xltools.jobs.merge import Merge  # noqa: E402
from xltools.checks.validate import validate  # noqa: E402

AS_OF = "2024-04-01"


def good(name, owner="张三", **kw):
    return {"customer": name, "contact": "王明", "phone": "13800138000", "owner": owner, "grade": "B类",
            "next_follow_up": dt.date(2024, 4, 20), **kw}


@pytest.fixture
def inbox(tmp_path):
    box = tmp_path / "inbox"
    make_workbook(box, {"customers": [good("华络通信"), good("恒通物流", phone="12345")]}, "张三.xlsx")
    (box / "坏.xlsx").write_text("a,b\n1,2\n", encoding="utf-8")
    return box


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_validate_json_is_the_library_report(inbox):
    result = invoke("validate", inbox, "--as-of", AS_OF, "--format", "json", "--lang", "en")
    assert result.exit_code == 1
    report = validate([inbox], as_of=dt.date(2024, 4, 1))
    assert json.loads(result.output) == json.loads(json.dumps(report.to_dict("en"), ensure_ascii=False, default=str))
    finding = next(f for f in json.loads(result.output)["findings"] if f["code"] == "format")
    assert {k: finding[k] for k in ("severity", "file", "sheet", "row", "column", "cell", "field", "customer", "value")} == {
        "severity": "error", "file": "张三.xlsx", "sheet": "客户信息", "row": 3, "column": "G", "cell": "G3",
        "field": "phone", "customer": "恒通物流", "value": "12345"}
    statuses = {f["path"]: f["status"] for f in json.loads(result.output)["files"]}
    assert statuses == {"坏.xlsx": "unreadable", "张三.xlsx": "ok"}


def test_validate_text_is_chinese_and_exit_zero_without_errors(tmp_path):
    box = tmp_path / "ok"
    make_workbook(box, {"customers": [good("华络通信")]}, "张三.xlsx")
    result = invoke("validate", box, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "文件 1 个：读取 1" in result.output


def test_validate_annotate_writes_copies(inbox, tmp_path):
    result = invoke("validate", inbox, "--as-of", AS_OF, "--annotate", tmp_path / "checked")
    assert result.exit_code == 1
    assert (tmp_path / "checked" / "张三.xlsx").exists()
    assert not (tmp_path / "checked" / "坏.xlsx").exists()


def test_merge_json_matches_the_library(inbox, tmp_path):
    result = invoke("merge", inbox, "--store", tmp_path / "a.db", "--as-of", AS_OF, "--json", "--no-master")
    assert result.exit_code == 1, result.output          # 12345 and the broken file are errors
    printed = json.loads(result.output)
    library = Merge(tmp_path / "b.db", as_of=dt.date(2024, 4, 1)).run([inbox]).to_dict()
    for key in ("files", "rows", "findings"):
        assert printed[key] == library[key]
    assert printed["files"] == {"total": 2, "read": 1, "unchanged": 0, "skipped": 0, "unreadable": 1}
    assert printed["rows"] == {"read": 2, "merged": 1, "quarantined": 1, "withdrawn": 0}
    again = json.loads(invoke("merge", inbox, "--store", tmp_path / "a.db", "--as-of", AS_OF, "--json",
                              "--no-master").output)
    assert again["files"]["unchanged"] == 1 and again["rows"]["read"] == 0


def test_bad_usage_exits_2(tmp_path):
    assert invoke("validate").exit_code == 2
    assert invoke("validate", tmp_path / "missing").exit_code == 2
    assert invoke("validate", tmp_path, "--as-of", "yesterday").exit_code == 2
    assert invoke("merge", tmp_path, "--config", tmp_path / "none.yaml").exit_code == 2


def test_a_bad_config_file_is_a_usage_error(tmp_path):
    config = tmp_path / "rules.yaml"
    config.write_text("approval_threshold: 5\n", encoding="utf-8")
    result = invoke("validate", tmp_path, "--config", config)
    assert result.exit_code == 2 and "unknown settings" in result.output


def test_config_file_changes_a_threshold(tmp_path):
    box = tmp_path / "box"
    rows = [{"contract_id": "HT-202403001", "customer": "华络通信", "amount": 30, "submitter": "张三",
             "submitted": dt.date(2024, 3, 1), "step": s, "decision": "同意", "decided": dt.date(2024, 3, 2)}
            for s in ("销售经理审核", "法务审核")]
    make_workbook(box, {"contracts": rows}, "c.xlsx")
    codes = lambda r: {f["code"] for f in json.loads(r.output)["findings"]}  # noqa: E731
    assert "approval-authority" in codes(invoke("validate", box, "--format", "json", "--as-of", AS_OF))
    config = tmp_path / "rules.yaml"
    config.write_text("approval_gm_threshold: 50\n", encoding="utf-8")
    assert "approval-authority" not in codes(invoke("validate", box, "--format", "json", "--as-of", AS_OF,
                                                   "--config", config))


@pytest.mark.parametrize("command", [[], ["templates", "build"], ["validate"], ["merge"], ["templates", "docs"]])
def test_every_command_has_help_with_an_example(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output and "xltools" in result.output


def test_json_findings_name_the_customer_and_the_row_key_apart(tmp_path):
    box = tmp_path / "box"
    deal = {"project_id": "XM-2024-007", "project": "园区MES项目", "customer": "苏州园区精密制造有限公司",
            "owner": "张三", "stage": "5 已承诺", "win_probability": 80, "amount": 30,
            "expected_close": dt.date(2024, 5, 30), "forecast": "承诺", "delivered": dt.date(2024, 3, 15)}
    contract = {"contract_id": "HT-202403009", "customer": "杭州明通投资有限公司", "amount": 60, "submitter": "张三",
                "submitted": dt.date(2024, 3, 1), "step": "销售经理审核", "decision": "同意",
                "decided": dt.date(2024, 3, 2)}
    make_workbook(box, {"pipeline": [deal], "contracts": [contract]}, "张三.xlsx")
    findings = json.loads(invoke("validate", box, "--format", "json", "--as-of", AS_OF).output)["findings"]
    by_code = {f["code"]: f for f in findings}
    followup, authority = by_code["delivery-followup-missing"], by_code["approval-authority"]
    assert (followup["customer"], followup["key"]) == ("苏州园区精密制造有限公司", "XM-2024-007")
    assert followup["message"] == "苏州园区精密制造有限公司：交付（2024-03-15）后 3 个工作日内没有回访"
    assert (authority["customer"], authority["key"]) == ("杭州明通投资有限公司", "HT-202403009")
    assert authority["message"] == "合同 HT-202403009 金额 60 万元，需总经理审批"
