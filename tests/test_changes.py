"""The weekly review (changes.py): a small pipeline edited between merges, every number by hand.

Reference 2024-04-03 (run 1), now 2024-04-10 (run 2), money in 万元:

    K1 张三 2 接触 → 3 有资格                         advanced
    K2 张三 4 已发展 → 3 有资格, close 04-25 → 05-15  moved-back, slipped (out of April)
    K3 张三 5 已承诺 承诺 30 → 6 收回全款 已成交        won
    K4 李四 争取 15 → 丢单                             lost
    K5 李四 close 06-20 → 05-10, 8 → 12               pulled-in, amount-up (id typed "ｋ－ 5" now)
    K6 李四 25 → 18, 管道 → 争取                       amount-down, forecast-changed
    K7 张三 12                                        removed
    K8 李四 9                                         new
    K9 张三 close 06-25 → 07-05                       slipped (out of Q2)
"""
from __future__ import annotations

import json
import subprocess

import pytest
from openpyxl import load_workbook
from test_rollup import LI, ZHANG, d, merge_state, project
from test_summary import chart_series, series_by_name

from xltools.rollup.changes import deal_key
from xltools.forms.config import Config
from xltools.rollup import rollup
from xltools.store import open_store
from xltools.xlsx.summary.tables import summary_tables
from xltools.xlsx.summary.workbook import write_summary

AS_OF = d(4, 10)

THEN = [
    project("K1", ZHANG, "甲公司", "2 接触", 10, d(4, 20), "管道"),
    project("K2", ZHANG, "乙公司", "4 已发展", 20, d(4, 25), "承诺"),
    project("K3", ZHANG, "丙公司", "5 已承诺", 30, d(4, 8), "承诺"),
    project("K4", LI, "丁公司", "3 有资格", 15, d(4, 30), "争取"),
    project("K-5", LI, "戊公司", "2 接触", 8, d(6, 20), "管道"),
    project("K6", LI, "己公司", "1 确定", 25, d(6, 30), "管道"),
    project("K7", ZHANG, "庚公司", "3 有资格", 12, d(5, 20), "争取"),
    project("K9", ZHANG, "壬公司", "2 接触", 5, d(6, 25), "管道"),
]
NOW = [
    project("K1", ZHANG, "甲公司", "3 有资格", 10, d(4, 20), "管道"),
    project("K2", ZHANG, "乙公司", "3 有资格", 20, d(5, 15), "承诺"),
    project("K3", ZHANG, "丙公司", "6 收回全款", 30, d(4, 8), "已成交"),
    project("K4", LI, "丁公司", "3 有资格", 15, d(4, 30), "丢单"),
    project("ｋ－ 5", LI, "戊公司", "2 接触", 12, d(5, 10), "管道"),
    project("K6", LI, "己公司", "1 确定", 18, d(6, 30), "争取"),
    project("K8", LI, "辛公司", "1 确定", 9, d(7, 1), "管道"),
    project("K9", ZHANG, "壬公司", "2 接触", 5, d(7, 5), "管道"),
]


def make_store(path, states):
    store = open_store(path)
    for day, pipeline in states:
        merge_state(store, day, pipeline)
    return store


@pytest.fixture(scope="module")
def changes(tmp_path_factory):
    store = make_store(tmp_path_factory.mktemp("changes") / "s.db", [(d(4, 3), THEN), (AS_OF, NOW)])
    yield rollup(store, AS_OF).changes
    store.close()


def test_every_kind_of_change(changes):
    assert changes.since == d(4, 3)
    assert {c.project_id: c.kinds for c in changes.deals} == {
        "K1": ["advanced"], "K2": ["moved-back", "slipped"], "K3": ["won"], "K4": ["lost"],
        "ｋ－ 5": ["pulled-in", "amount-up"], "K6": ["amount-down", "forecast-changed"], "K7": ["removed"],
        "K8": ["new"], "K9": ["slipped"]}


def test_before_and_after_values(changes):
    k2 = next(c for c in changes.deals if c.project_id == "K2")
    assert (k2.before["stage"], k2.after["stage"]) == ("4 已发展", "3 有资格")
    assert (k2.before["expected_close"], k2.after["expected_close"]) == (d(4, 25), d(5, 15))
    k7 = next(c for c in changes.deals if c.project_id == "K7")
    assert k7.after is None and k7.before["amount"] == 12
    k8 = next(c for c in changes.deals if c.project_id == "K8")
    assert k8.before is None and k8.after["amount"] == 9


def bridge(m):
    return [m.start, m.new, m.increased, m.decreased, m.won, m.lost, m.removed, m.end]


def test_waterfall_reconciles_overall_and_per_rep(changes):
    # start: 10+20+30+15+8+25+12+5 = 125; new K8 9; up K5 +4; down K6 -7; won K3 30; lost K4 15;
    # removed K7 12; end: 10+20+12+18+9+5 = 74 = 125 + 9 + 4 - 7 - 30 - 15 - 12
    assert bridge(changes.movement) == [125, 9, 4, 7, 30, 15, 12, 74]
    reps = {r.rep: bridge(r.movement) for r in changes.by_rep}
    assert reps == {ZHANG: [77, 0, 0, 0, 30, 0, 12, 35],          # K1 K2 K3 K7 K9
                    LI: [48, 9, 4, 7, 0, 15, 0, 39]}             # K4 K5 K6 K8
    for m in [changes.movement] + [r.movement for r in changes.by_rep]:
        assert m.start + m.new + m.increased - m.decreased - m.won - m.lost - m.removed == m.end


def test_slipped_out_of_month_and_quarter(changes):
    s = changes.slipped
    assert (s.count, s.amount) == (2, 25)                                    # K2 20, K9 5
    assert (s.out_of_month_count, s.out_of_month_amount) == (1, 20)          # K2: April → May
    assert (s.out_of_quarter_count, s.out_of_quarter_amount) == (1, 5)       # K9: June → July


def test_project_id_variants_are_one_deal():
    assert deal_key("ｋ－ 5") == deal_key("K-5") == deal_key(" k -5 ")
    assert deal_key("K-5") != deal_key("K-6")


def test_json_matches(tmp_path):
    store = make_store(tmp_path / "s.db", [(d(4, 3), THEN), (AS_OF, NOW)])
    data = rollup(store, AS_OF).to_dict()["changes"]
    store.close()
    assert data["since"] == "2024-04-03"
    k2 = next(c for c in data["deals"] if c["project_id"] == "K2")
    assert k2 == {"project_id": "K2", "project": "乙公司项目", "customer": "乙公司", "owner": ZHANG,
                  "kinds": ["moved-back", "slipped"],
                  "before": {"stage": "4 已发展", "amount": 20.0, "expected_close": "2024-04-25", "forecast": "承诺",
                             "win_probability": None},
                  "after": {"stage": "3 有资格", "amount": 20.0, "expected_close": "2024-05-15", "forecast": "承诺",
                            "win_probability": None}}
    assert data["movement"] == {"start": 125, "new": 9, "increased": 4, "decreased": 7, "won": 30, "lost": 15,
                                "removed": 12, "end": 74}


def test_since_without_a_snapshot_before_it_uses_the_earliest(tmp_path):
    store = make_store(tmp_path / "s.db", [(d(4, 3), THEN), (AS_OF, NOW)])
    assert rollup(store, AS_OF, since=d(3, 1)).changes.since == d(4, 3)
    assert rollup(store, AS_OF, since=d(4, 9)).changes.since == d(4, 3)
    assert rollup(store, AS_OF, since=d(4, 10)).changes.deals == []          # now against itself
    store.close()


def test_default_reference_without_one_seven_days_old_is_the_earliest(tmp_path):
    store = make_store(tmp_path / "s.db", [(d(4, 6), THEN), (AS_OF, NOW)])
    changes = rollup(store, AS_OF).changes
    store.close()
    assert changes.since == d(4, 6) and len(changes.deals) == 9


def test_one_snapshot_only(tmp_path):
    store = make_store(tmp_path / "s.db", [(AS_OF, NOW)])
    changes = rollup(store, AS_OF).changes
    store.close()
    assert (changes.since, changes.snapshots, changes.deals) == (AS_OF, 1, [])
    assert bridge(changes.movement) == [74, 0, 0, 0, 0, 0, 0, 74]


# Stalled deals: snapshots 02-20, 03-20 and 04-10
def stall_states():
    def s(pid, stage, forecast="管道"):
        return project(pid, ZHANG, f"{pid}客户", stage, 10, d(9, 30), forecast)
    feb = [s("S1", "2 接触"), s("S2", "1 确定"), s("S4", "3 有资格"), s("S5", "4 已发展")]
    mar = [s("S1", "2 接触"), s("S2", "2 接触"), s("S3", "5 已承诺"), s("S4", "3 有资格"), s("S5", "3 有资格")]
    apr = [s("S1", "2 接触"), s("S2", "2 接触"), s("S3", "5 已承诺"), s("S4", "3 有资格", "丢单"),
           s("S5", "4 已发展")]
    return [(d(2, 20), feb), (d(3, 20), mar), (AS_OF, apr)]


def test_stalled_deals_across_three_snapshots(tmp_path):
    store = make_store(tmp_path / "s.db", stall_states())
    stalled = rollup(store, AS_OF).changes.stalled
    # S1 in 2 接触 since 02-20: 50 days > 30. S3 first seen in 5 已承诺 on 03-20: 21 > 14.
    # S2 in 2 接触 since 03-20: 21 <= 30. S4 is lost. S5 went back to 4 已发展 on 04-10: 0 days.
    assert [(s.project_id, s.in_stage_since, s.days_in_stage, s.limit_days) for s in stalled] == [
        ("S1", d(2, 20), 50, 30), ("S3", d(3, 20), 21, 14)]
    relaxed = Config(stall_days={1: 30, 2: 60, 3: 45, 4: 30, 5: 14})
    assert [s.project_id for s in rollup(store, AS_OF, relaxed).changes.stalled] == ["S3"]
    store.close()


def test_weekly_trend_points(tmp_path):
    store = make_store(tmp_path / "s.db", [(d(4, 3), THEN), (AS_OF, NOW)])
    weeks = rollup(store, AS_OF).changes.weeks
    store.close()
    # 04-03: open 125, weighted 10×.25 + 20×.75 + 30×.9 + 15×.5 + 8×.25 + 25×.1 + 12×.5 + 5×.25 = 63.75
    assert [(w.as_of, w.open_amount, w.weighted_amount) for w in weeks] == [
        (d(4, 3), 125, pytest.approx(63.75)), (AS_OF, 74, pytest.approx(10 * .5 + 20 * .5 + 12 * .25 + 18 * .1
                                                                        + 9 * .1 + 5 * .25))]
    # Commit due in (04-03, 04-10] in the 04-03 snapshot: K3 30 (04-08); closed since: K3 30.
    assert (weeks[0].accuracy, weeks[1].commit, weeks[1].closed, weeks[1].accuracy) == (None, 30, 30, 100)


# The 商机变化 sheet
@pytest.fixture(scope="module")
def sheet_book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sheet")
    store = make_store(folder / "s.db", [(d(3, 27), THEN), (d(4, 3), THEN), (AS_OF, NOW)])
    path = write_summary(rollup(store, AS_OF), folder / "summary.xlsx")
    store.close()
    return path


def test_bridge_chart_draws_the_movement_table(sheet_book):
    book = load_workbook(sheet_book)
    bridge_chart = chart_series(sheet_book)[4]
    assert (bridge_chart["kind"], bridge_chart["dir"]) == ("barChart", "col")
    series = series_by_name(book, bridge_chart)
    labels = ["期初", "新增", "金额增加", "金额减少", "成交", "丢单", "移除", "期末"]
    # The invisible base lifts each step to the level the one before left: 125 → 134 → 138 → 131 → 101 → 86 → 74.
    assert series["图：基线"] == (labels, [0, 125, 134, 131, 101, 86, 74, 0])
    assert series["图：增加"][1] == [0, 9, 4, 0, 0, 0, 0, 0]
    assert series["图：减少"][1] == [0, 0, 0, 7, 30, 15, 12, 0]
    assert series["图：期初/期末"][1] == [125, 0, 0, 0, 0, 0, 0, 74]


def test_changed_deals_are_a_filterable_table_with_bad_news_in_red(sheet_book):
    ws = load_workbook(sheet_book)["商机变化"]
    [table] = ws.tables.values()
    header, *rows = [[c.value for c in row] for row in ws[table.ref]]
    assert header[:2] == ["变化类型", "项目编号"]
    by_kind = {(r[0], r[1]): r[5] for r in rows}
    assert by_kind[("推迟签约", "K2")] == "2024-04-25 → 2024-05-15"
    assert by_kind[("回退", "K2")] == "4 已发展 → 3 有资格"
    assert by_kind[("金额减少", "K6")] == "25.00 → 18.00"
    red = {(r[0].value, r[1].value) for r in ws[table.ref][1:] if r[0].fill.fgColor.rgb == "FFFFC7CE"}
    assert red == {("回退", "K2"), ("推迟签约", "K2"), ("推迟签约", "K9"), ("丢单", "K4"), ("移除", "K7"),
                   ("金额减少", "K6")}


def test_one_snapshot_shows_a_note_instead_of_empty_charts(tmp_path):
    store = make_store(tmp_path / "s.db", [(AS_OF, NOW)])
    path = write_summary(rollup(store, AS_OF), tmp_path / "summary.xlsx")
    store.close()
    assert not [c for c in chart_series(path) if c["series"][0]["val"].startswith("商机变化!")]   # no empty charts
    texts = [c.value for row in load_workbook(path)["商机变化"].iter_rows() for c in row if c.value]
    assert "只有一次合并的快照：下次合并后这里显示商机的变化。" in texts


def test_labels_follow_the_config(tmp_path):
    store = make_store(tmp_path / "s.db", [(d(4, 3), THEN), (AS_OF, NOW)])
    config = Config(coverage_healthy=120, commit_accuracy_range=(90, 105), rebate_tiers=((0, 3), (50, 6)))
    titles = {t.name: t.title for t in summary_tables(rollup(store, AS_OF, config))}
    store.close()
    assert "低于 120% 标红" in titles["reps"]
    assert titles["rebates"] == "合同返点（50 万以下 3%，50 万及以上 6%）"
    assert "健康 90–105%" in titles["weeks"]
    default = {t.name: t.title for t in summary_tables(rollup(make_store(tmp_path / "t.db", [(AS_OF, NOW)]), AS_OF),
                                                        "en")}
    assert default["rebates"] == "Rebates (below 20: 5%, 20–100: 8%, 100 and above: 10%; 10k CNY)"


@pytest.mark.libreoffice
def test_changes_sheet_renders_with_its_chart(sheet_book, libreoffice, tmp_path):
    [pdf] = libreoffice([sheet_book], "pdf", tmp_path)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    page = next(p for p in pages if p.lstrip().startswith("商机变化"))
    # Drawn on the page: the bridge's title and step labels, the accuracy chart's band in its legend.
    assert "在途商机变化（万元）" in page and "金额增加" in page and "健康下限" in page
    assert "###" not in "".join(pages)



def test_cli_since_matches_the_library(tmp_path):
    from click.testing import CliRunner

    from xltools.cli import cli
    make_store(tmp_path / "s.db", [(d(3, 27), THEN), (d(4, 3), NOW), (AS_OF, NOW)]).close()
    result = CliRunner().invoke(cli, ["rollup", "--store", str(tmp_path / "s.db"), "--as-of", "2024-04-10",
                                      "--since", "2024-03-30", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)["changes"]
    assert printed["since"] == "2024-03-27" and len(printed["deals"]) == 9
    expected = rollup(tmp_path / "s.db", AS_OF, since=d(3, 30)).to_dict()["changes"]
    assert printed == json.loads(json.dumps(expected))
