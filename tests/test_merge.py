"""Merge: incremental, idempotent, and nothing lost -- checked on real workbooks."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import subprocess
import sqlite3
import sys
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from factory import MEETING as D  # noqa: E402
from factory import customer, make_workbook, two_region_inbox, visit  # noqa: E402

from xltools.jobs.merge import InboxShrunk, Merge  # noqa: E402
from xltools.store import open_store  # noqa: E402

AS_OF = dt.date(2024, 4, 1)


@pytest.fixture
def inbox(tmp_path):
    return two_region_inbox(tmp_path / "inbox")


def run(inbox, tmp_path, as_of=AS_OF, **kw):
    merging = Merge(tmp_path / "store.db", as_of=as_of)
    result = merging.run([inbox], **kw)
    merging.write_master(result, tmp_path / "out" / "master.xlsx")
    return result


def table(tmp_path, form, columns="customer, _status, _row"):
    with sqlite3.connect(tmp_path / "store.db") as db:
        return db.execute(f"SELECT {columns} FROM rows_{form} ORDER BY _file_id, _row").fetchall()


def test_first_merge_accounts_for_every_row(inbox, tmp_path):
    result = run(inbox, tmp_path)
    assert result.files.to_dict() == {"total": 2, "read": 2, "unchanged": 0, "skipped": 0, "unreadable": 0}
    assert result.rows.to_dict() == {"read": 5, "merged": 4, "quarantined": 1, "withdrawn": 0}
    assert result.rows.read == result.rows.merged + result.rows.quarantined
    assert ("天津瑞丰制造", "quarantined", 3) in table(tmp_path, "customers")


def test_second_run_changes_nothing(inbox, tmp_path):
    first = run(inbox, tmp_path)
    before = table(tmp_path, "customers", "*")
    second = run(inbox, tmp_path)
    assert second.files.read == 0 and second.files.unchanged == 2
    assert second.rows.to_dict() == {"read": 0, "merged": 0, "quarantined": 0, "withdrawn": 0}
    assert [r[:5] for r in table(tmp_path, "customers", "*")] == [r[:5] for r in before]
    assert second.store_rows == first.store_rows
    assert sorted(f.code for f in second.report.findings) == sorted(f.code for f in first.report.findings)


def test_a_changed_file_replaces_only_its_rows(inbox, tmp_path):
    lisi = "(SELECT path FROM files WHERE id = _file_id), customer, _first_seen"
    run(inbox, tmp_path)
    others = table(tmp_path, "customers", lisi)
    make_workbook(inbox / "华北", {"customers": [customer("北京恒通物流有限公司", "李四")]}, "李四.xlsx")
    result = run(inbox, tmp_path)
    assert (result.files.read, result.files.unchanged) == (1, 1)
    now = table(tmp_path, "customers", lisi)
    zhang = "华南/张三.xlsx"
    assert [r for r in now if r[0] == zhang] == [r for r in others if r[0] == zhang]   # 张三's rows untouched
    assert [r[1] for r in now if r[0] == "华北/李四.xlsx"] == ["北京恒通物流有限公司"]
    kept = {r[1]: r[2] for r in others}
    assert dict((r[1], r[2]) for r in now)["北京恒通物流有限公司"] == kept["北京恒通物流有限公司"]  # first seen kept


def test_a_removed_file_is_withdrawn_not_deleted(inbox, tmp_path):
    run(inbox, tmp_path)
    (inbox / "华北" / "李四.xlsx").unlink()
    result = run(inbox, tmp_path)
    assert result.withdrawn_files == ["华北/李四.xlsx"]
    assert result.rows.withdrawn == 2
    assert [s for _, s, _ in table(tmp_path, "customers")].count("withdrawn") == 2
    assert len(table(tmp_path, "customers")) == 4


def test_prune_deletes_the_rows_of_removed_files(inbox, tmp_path):
    run(inbox, tmp_path)
    (inbox / "华北" / "李四.xlsx").unlink()
    run(inbox, tmp_path, prune=True)
    assert [c for c, _, _ in table(tmp_path, "customers")] == ["深圳市华络通信有限公司", "广州华新科技"]


def test_the_same_row_in_two_files_is_reported_not_doubled(inbox, tmp_path):
    copy = make_workbook(inbox, {"visits": [visit("华络通信", "张三", D)]}, "副本.xlsx")
    os.utime(copy, (0, (inbox / "华南" / "张三.xlsx").stat().st_mtime + 60))
    result = run(inbox, tmp_path)
    # 副本 was saved last, so it is the later copy, whatever the path order (副本 before 华南/张三).
    [dup] = [f for f in result.report.findings if f.code == "duplicate-record"]
    assert (dup.file, dup.sheet, dup.row) == ("副本.xlsx", "客户回访", 2)
    assert dup.message("en") == "The same record as 华南/张三.xlsx!客户回访 row 2 (in another file): remove one of the copies"
    statuses = sorted(s for s, in table(tmp_path, "visits", "_status"))
    assert statuses == ["merged", "quarantined"]                    # both kept, the copy out of the totals


def test_lineage_is_kept(inbox, tmp_path):
    run(inbox, tmp_path)
    frame = open_store(tmp_path / "store.db").frame("customers", ("merged", "quarantined"))
    row = frame[frame.customer == "深圳市华络通信有限公司"].iloc[0]
    assert (row["_file"], row["_sheet"], row["_row"], row["_rep"]) == ("华南/张三.xlsx", "客户信息", 2, "张三")
    assert len(open_store(tmp_path / "store.db").db.execute("SELECT sha256 FROM files").fetchone()[0]) == 64


def test_history_and_snapshots(inbox, tmp_path):
    make_workbook(inbox, {"pipeline": [{"project_id": "XM-1", "project": "CRM", "customer": "华络通信", "owner": "张三",
                                        "stage": "3 有资格", "amount": 25, "expected_close": dt.date(2024, 5, 1)}]},
                  "商机.xlsx")
    run(inbox, tmp_path)
    run(inbox, tmp_path, as_of=AS_OF + dt.timedelta(days=7))
    store = open_store(tmp_path / "store.db")
    assert len(store.runs()) == 2
    snaps = store.snapshots()
    assert list(snaps.run_id) == [1, 2] and list(snaps.amount) == [25, 25]
    assert json.loads(store.runs().counts[0])["files"]["read"] == 3


def test_master_workbook(inbox, tmp_path):
    make_workbook(inbox, {"visits": [visit("华络通信", "张三", dt.date(2024, 3, 20), feedback="=HYPERLINK(\"x\")")]},
                  "王五.xlsx")
    book = openpyxl.load_workbook(tmp_path / "out" / "master.xlsx") if run(inbox, tmp_path) else None
    assert book.sheetnames[:3] == ["客户信息", "需求分析", "决策链"]
    assert {"待修正", "合并日志"} <= set(book.sheetnames)
    customers = book["客户信息"]
    headers = [c.value for c in customers[1]]
    assert headers[:2] == ["客户名称", "所属行业"] and headers[-5:-1] == ["来源文件", "来源工作表", "来源行", "归属销售"]
    assert customers.freeze_panes == "A2" and customers.auto_filter.ref
    names = [customers.cell(r, 1).value for r in range(2, customers.max_row + 1)]
    assert "天津瑞丰制造" not in names and "北京恒通物流有限公司" in names      # quarantined rows kept out
    fix = book["待修正"]
    assert any(row[1] == "华北/李四.xlsx" and row[7] == "format" for row in fix.iter_rows(min_row=2, values_only=True))
    visits = book["客户回访"]
    cells = [visits.cell(r, 5) for r in range(2, visits.max_row + 1)]
    formula_like = next(c for c in cells if c.value and str(c.value).startswith("="))
    assert formula_like.data_type == "s"                                         # text, never a formula
    dates = [visits.cell(r, 2) for r in range(2, visits.max_row + 1)]
    assert all(isinstance(c.value, dt.datetime) for c in dates)


def test_to_fix_sheet_shows_the_customer_and_the_row_key(tmp_path):
    box = tmp_path / "box"
    contract = {"contract_id": "HT-202403009", "customer": "杭州明通投资有限公司", "amount": 60, "submitter": "张三",
                "submitted": dt.date(2024, 3, 1), "step": "销售经理审核", "decision": "同意",
                "decided": dt.date(2024, 3, 2)}
    make_workbook(box, {"contracts": [contract]}, "张三.xlsx")
    for _ in range(2):                      # the second run keeps the unchanged file's findings from the store
        run(box, tmp_path)
        fix = openpyxl.load_workbook(tmp_path / "out" / "master.xlsx")["待修正"]
        rows = list(fix.iter_rows(values_only=True))
        assert rows[0][5:8] == ("客户", "编号", "问题代码")
        assert ("杭州明通投资有限公司", "HT-202403009", "approval-authority") in [r[5:8] for r in rows[1:]]


def test_an_open_master_is_left_intact(inbox, tmp_path):
    run(inbox, tmp_path)
    master = tmp_path / "out" / "master.xlsx"
    before = master.read_bytes()
    (master.parent / "~$master.xlsx").write_bytes(b"owner")
    make_workbook(inbox / "华北", {"customers": [customer("北京恒通物流有限公司", "李四")]}, "李四.xlsx")
    result = run(inbox, tmp_path)
    assert result.master_error is not None and "Excel" in result.master_error.message("en")
    assert master.read_bytes() == before
    assert result.files.read == 1                                             # the store was still updated
    assert len(table(tmp_path, "customers")) == 3


def test_broken_files_do_not_stop_the_batch(inbox, tmp_path):
    (inbox / "坏的.xlsx").write_text("客户,电话\n华络,138\n", encoding="utf-8")
    (inbox / "~$张三.xlsx").write_bytes(b"x")
    result = run(inbox, tmp_path)
    assert result.files.to_dict() == {"total": 4, "read": 2, "unchanged": 0, "skipped": 1, "unreadable": 1}
    assert result.ok
    assert [f.file for f in result.report.findings if f.code == "file-unreadable"] == ["坏的.xlsx"]


def test_a_folder_with_nothing_readable_fails(tmp_path):
    box = tmp_path / "inbox"
    box.mkdir()
    (box / "坏的.xlsx").write_bytes(b"")
    with pytest.raises(InboxShrunk):
        run(box, tmp_path)


def test_inputs_are_never_modified(inbox, tmp_path):
    before = {p: p.read_bytes() for p in inbox.rglob("*.xlsx")}
    run(inbox, tmp_path)
    assert {p: p.read_bytes() for p in inbox.rglob("*.xlsx")} == before


def _merge_in_process(inbox, store, master, queue):
    try:
        merging = Merge(store, as_of=AS_OF, lock_wait=60)
        result = merging.run([inbox])
        merging.write_master(result, master)
        queue.put(("ok", result.files.read, result.files.unchanged))
    except Exception as exc:  # noqa: BLE001 -- reported to the test
        queue.put(("error", type(exc).__name__, str(exc)))


def test_two_merges_at_once_do_not_corrupt_the_store(inbox, tmp_path):
    queue = multiprocessing.Queue()
    args = (inbox, tmp_path / "store.db", tmp_path / "master.xlsx", queue)
    procs = [multiprocessing.Process(target=_merge_in_process, args=args) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    outcomes = sorted(queue.get(timeout=5) for _ in procs)
    assert outcomes == [("ok", 0, 2), ("ok", 2, 0)]            # the second waited, then found nothing new
    with sqlite3.connect(tmp_path / "store.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM rows_customers").fetchone() == (4,)


def test_a_busy_store_stops_with_a_clear_error(inbox, tmp_path):
    from xltools.store.base import StoreBusy
    store = open_store(tmp_path / "store.db")
    with store.lock():
        with pytest.raises(StoreBusy):
            Merge(tmp_path / "store.db", as_of=AS_OF, lock_wait=0.5).run([inbox])


def test_entry_late_judges_only_rows_added_after_the_first_merge(inbox, tmp_path):
    def need(day):
        return {"customer": "华络通信", "date": day, "pain_points": "信息分散", "confirmation_sent": day}

    old = dt.date(2024, 3, 1)
    make_workbook(inbox, {"needs": [need(old)]}, "需求.xlsx")
    first = run(inbox, tmp_path)
    assert [f for f in first.report.findings if f.code == "entry-late"] == []     # history, not lateness
    make_workbook(inbox, {"needs": [need(old), need(dt.date(2024, 3, 2))]}, "需求.xlsx")
    second = run(inbox, tmp_path)
    assert [(f.code, f.row) for f in second.report.findings if f.code == "entry-late"] == [("entry-late", 3)]


def _state(store_path):
    """Findings and row statuses of a store, comparable across stores. entry-late and duplicate-claim
    are left out: they depend on when the store first saw each row (and, for a claim, in which
    order it first saw the files), which is the point of them."""
    db = sqlite3.connect(store_path)
    findings = set(db.execute('SELECT f.code, fl.path, f.sheet, f."row", f.column_letter FROM findings f '
                              "JOIN files fl ON fl.id = f.file_id WHERE f.code NOT IN ('entry-late', 'duplicate-claim')").fetchall())
    statuses = set()
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'rows_%'"):
        statuses |= {(table, *r) for r in db.execute(
            f"SELECT fl.path, t._row, t._status FROM {table} t JOIN files fl ON fl.id = t._file_id")}
    return findings, statuses


def test_an_incremental_re_merge_reaches_the_state_of_a_full_merge(tmp_path):
    from xltools.sample import SampleSpec, advance_week, generate_inbox
    inbox = tmp_path / "inbox"
    info = generate_inbox(inbox, SampleSpec(reps=4, customers_per_rep=6, months=3))
    day = info.as_of
    first = Merge(tmp_path / "a.db", as_of=day).run([inbox])
    changed = advance_week(inbox, info)
    second = Merge(tmp_path / "a.db", as_of=day).run([inbox])
    assert 0 < second.files.read == len(changed) < first.files.read
    full = Merge(tmp_path / "b.db", as_of=day).run([inbox])
    assert _state(tmp_path / "a.db") == _state(tmp_path / "b.db")
    codes = lambda r: sorted(f.code for f in r.report.findings if f.code != "entry-late")  # noqa: E731
    # A claim moves between rows, never appears or vanishes: the count of codes is the same.
    assert codes(second) == codes(full)


def test_editing_a_row_keeps_when_it_was_first_seen(inbox, tmp_path):
    def need(**kw):
        return {"customer": "华络通信", "date": dt.date(2024, 3, 1), "pain_points": "信息分散", **kw}

    make_workbook(inbox, {"needs": [need()]}, "需求.xlsx")
    run(inbox, tmp_path)
    before = table(tmp_path, "needs", "customer, _first_seen")
    make_workbook(inbox, {"needs": [need(confirmation_sent=dt.date(2024, 3, 2), budget="15-20")]}, "需求.xlsx")
    result = run(inbox, tmp_path)
    assert result.files.read == 1
    assert table(tmp_path, "needs", "customer, _first_seen") == before     # the same row, filled in
    assert [f for f in result.report.findings if f.code == "entry-late"] == []


@pytest.mark.libreoffice
def test_master_opens_in_libreoffice(inbox, tmp_path, libreoffice):
    run(inbox, tmp_path)
    [pdf] = libreoffice([tmp_path / "out" / "master.xlsx"], "pdf", tmp_path / "pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "深圳市华络通信有限公司" in text and "来源文件" in text
