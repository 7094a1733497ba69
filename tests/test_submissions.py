"""Submission discipline: one rep on time, one late, one who sent nothing, one whose file is last week's."""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from factory import customer, make_workbook  # noqa: E402

from xltools.cli import cli  # noqa: E402
from xltools.ingest.submissions import weekly_deadline  # noqa: E402

MONDAY = dt.date(2024, 4, 8)            # the merge the morning after the default deadline, Sunday 04-07 24:00


def at(*moment):
    return dt.datetime(2024, *moment).timestamp()


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    for rep, modified in (("张三", at(4, 6, 10, 0)),      # Saturday: on time
                          ("李四", at(4, 8, 9, 30)),      # Monday morning: after the deadline
                          ("赵六", at(3, 30, 18, 0))):    # the week before: nothing new this week
        path = make_workbook(folder, {"customers": [customer(f"{rep}的客户有限公司", rep)]}, f"{rep}.xlsx")
        os.utime(path, (modified, modified))
    targets = make_workbook(tmp_path, {"targets": [{"rep": rep, "month": dt.date(2024, 4, 1), "sales_target": 50}
                                                   for rep in ("张三", "李四", "王五")]}, "销售指标.xlsx")
    return folder, targets


def merge(inbox, tmp_path, *args):
    folder, targets = inbox
    return CliRunner().invoke(cli, ["merge", str(folder), "--targets", str(targets), "--store",
                                    str(tmp_path / "sales.db"), "--as-of", MONDAY.isoformat(), *args])


def test_the_admin_sees_who_was_late_and_who_sent_nothing(inbox, tmp_path):
    zh = merge(inbox, tmp_path).output
    assert "交表截止 2024-04-07 24:00：按时 1 人；迟交：李四 (04-08 09:30)；本周没有新文件：王五、赵六" in zh
    en = merge(inbox, tmp_path, "--lang", "en").output
    assert "Deadline 2024-04-07 24:00: 1 on time; late: 李四 (04-08 09:30); nothing new this week: 王五, 赵六" in en


def test_merge_and_rollup_json_carry_the_submissions(inbox, tmp_path):
    merged = json.loads(merge(inbox, tmp_path, "--json").output)["submissions"]
    assert merged["deadline"] == "2024-04-08 00:00:00"
    assert (merged["late"], merged["missing"]) == (["李四"], ["王五", "赵六"])
    rolled = CliRunner().invoke(cli, ["rollup", "--store", str(tmp_path / "sales.db"), "--json"])
    data = json.loads(rolled.output)["submissions"]
    assert data == merged
    assert {r["rep"]: (r["status"], r["last_changed"]) for r in data["reps"]} == {
        "张三": ("on_time", "2024-04-06 10:00:00"), "李四": ("late", "2024-04-08 09:30:00"),
        "王五": ("missing", None), "赵六": ("missing", "2024-03-30 18:00:00")}


def test_an_unchanged_file_keeps_the_time_it_last_changed(inbox, tmp_path):
    merge(inbox, tmp_path)
    folder, _ = inbox
    os.utime(folder / "张三.xlsx", (at(4, 9, 8, 0), at(4, 9, 8, 0)))       # saved again, same contents
    data = json.loads(merge(inbox, tmp_path, "--json").output)["submissions"]
    assert {r["rep"]: r["last_changed"] for r in data["reps"]}["张三"] == "2024-04-06 10:00:00"


@pytest.mark.parametrize("as_of, setting, deadline", [
    (MONDAY, (7, 24), dt.datetime(2024, 4, 8)),                 # Monday reviews the week just ended
    (dt.date(2024, 4, 9), (7, 24), dt.datetime(2024, 4, 15)),   # from Tuesday on, the week under way
    (dt.date(2024, 4, 7), (7, 24), dt.datetime(2024, 4, 8)),    # on Sunday itself, that night
    (MONDAY, (7, 18), dt.datetime(2024, 4, 7, 18)),
    (MONDAY, (5, 17.5), dt.datetime(2024, 4, 12, 17, 30)),      # a Friday deadline
])
def test_the_weekly_deadline(as_of, setting, deadline):
    assert weekly_deadline(as_of, setting) == deadline


def test_the_summary_lists_the_submissions_with_late_and_missing_flagged(inbox, tmp_path):
    from xltools.rollup import rollup
    from xltools.store import open_store
    from xltools.xlsx.summary.tables import summary_tables
    merge(inbox, tmp_path)
    store = open_store(tmp_path / "sales.db")
    try:
        table = {t.name: t for t in summary_tables(rollup(store, MONDAY), "zh")}["submissions"]
    finally:
        store.close()
    assert table.title == "交表情况（截止 2024-04-07 24:00）" and table.sheet == "activity"
    assert table.rows == [["张三", "2024-04-06 10:00", "按时"], ["李四", "2024-04-08 09:30", "迟交"],
                          ["王五", None, "本周没有新文件"], ["赵六", "2024-03-30 18:00", "本周没有新文件"]]
    assert table.flags == {(1, 2), (2, 2), (3, 2)}


def test_a_deadline_outside_the_week_is_one_sentence(inbox, tmp_path):
    (tmp_path / "rules.yaml").write_text("submission_deadline: [8, 24]\n", encoding="utf-8")
    result = merge(inbox, tmp_path, "--config", str(tmp_path / "rules.yaml"))
    assert result.exit_code != 0 and "submission_deadline: [8, 24.0] is not [weekday 1-7, hour 0-24]" in result.output
    assert "Traceback" not in result.output
