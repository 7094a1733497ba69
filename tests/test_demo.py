"""The demo runs the whole job end to end, and its outputs agree with each other."""
import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner

from xltools.cli import cli
from xltools.jobs.demo import run_demo
from xltools.rollup import rollup


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo"))


def test_every_output_is_written(demo):
    for name in ("inbox", "targets", "annotated", "store", "master", "summary"):
        assert demo.outputs[name].exists(), name
    assert len(list(demo.outputs["annotated"].rglob("*.xlsx"))) == 5      # four reps and the targets


def test_validation_finds_the_broken_file_and_the_planted_mistakes(demo):
    statuses = {f.path: f.status for f in demo.report.files}
    assert statuses["损坏文件.xlsx"] == "unreadable"
    assert statuses["华南区/~$张伟.xlsx"] == "skipped"
    codes = {f.code for f in demo.report.findings}
    assert {"required", "format", "enum", "range", "weights-sum", "amount-mismatch", "approval-authority",
            "duplicate-claim", "objection-overdue", "close-date-stale", "file-unreadable"} <= codes


def test_the_second_merge_reads_only_the_changed_files(demo):
    first, second, *later = demo.merges
    assert len(later) == 2                                 # four weekly merges
    assert first.files.read == 5                        # four reps and the targets workbook
    assert 0 < second.files.read < first.files.read
    assert second.files.unchanged == first.files.read - second.files.read
    for result in demo.merges:
        assert result.rows.read == result.rows.merged + result.rows.quarantined


def test_history_gives_commit_accuracy(demo):
    accuracy = demo.summary.commit_accuracy
    assert accuracy.baseline_as_of is not None and accuracy.value is not None
    assert accuracy.closed > 0 and accuracy.commit > 0


def test_summary_json_equals_the_library_model(demo):
    result = CliRunner().invoke(cli, ["rollup", "--store", str(demo.outputs["store"]), "--json",
                                      "--as-of", demo.summary.as_of.isoformat()])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == json.loads(json.dumps(rollup(demo.outputs["store"], demo.summary.as_of).to_dict()))
    for key in ("as_of", "closed_won_amount", "reps", "commit_accuracy"):
        assert key in printed
    assert {"open_amount", "weighted_amount", "by_stage"} <= set(printed["pipeline"])
    assert {"overdue", "due_7d"} <= set(printed["follow_ups"])


def test_summary_and_master_open_with_their_sheets(demo):
    summary = openpyxl.load_workbook(demo.outputs["summary"])
    assert {"汇总", "待跟进", "数据质量"} <= set(summary.sheetnames)
    master = openpyxl.load_workbook(demo.outputs["master"], read_only=True)
    assert {"客户信息", "商机跟踪", "销售指标", "待修正", "合并日志"} <= set(master.sheetnames)


def test_demo_command_prints_where_outputs_are(tmp_path):
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "d"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Summary workbook: " in result.output and str(tmp_path / "d" / "summary.xlsx") in result.output


def test_the_changes_sheet_shows_a_week_of_every_kind(demo):
    changes = demo.summary.changes
    assert changes.since == demo.summary.as_of - dt.timedelta(days=7)
    kinds = {k for deal in changes.deals for k in deal.kinds}
    assert {"new", "removed", "advanced", "won", "lost", "slipped"} <= kinds
    m = changes.movement
    assert round(m.start + m.new + m.increased - m.decreased - m.won - m.lost - m.removed, 6) == round(m.end, 6)
    assert len(changes.weeks) == 4 and all(w.open_amount > 0 for w in changes.weeks)
    summary = openpyxl.load_workbook(demo.outputs["summary"])
    assert summary["商机变化"].tables                          # the changed deals, filterable


def test_the_rep_idle_for_a_week_has_nothing_new(demo):
    # Reps send their files the day before each merge; the one who did nothing that week shows as missing.
    first, last = demo.merges[0].submissions, demo.merges[-1].submissions
    assert first.missing == [] and first.late == [] and len(first.reps) == 4            # four reps, all in time
    assert len(last.missing) == 1 and last.late == []
    assert demo.summary.submissions.to_dict() == last.to_dict()
    assert any(r.visits for r in demo.summary.activity) and any(r.margin_target for r in demo.summary.activity)
