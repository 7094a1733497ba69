"""The sample generator: deterministic, valid when clean, and its planted mistakes are where it says."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xltools.forms.config import Config
from xltools.ingest.findings import INFO
from xltools.sample import (BROKEN_NAME, TARGETS_NAME, SampleInfo, SampleSpec, advance_week, generate_inbox,
                            write_targets)
from xltools.forms.schema import load_schema

REP_SHEETS = [s for f in load_schema().forms if not f.admin for s in f.sheets]


# Helpers
def findings_of(inbox: Path, as_of: dt.date) -> list:
    """Every finding of a validation run over the inbox, with files relative to it.

    Uses ``xltools.checks.validate`` when it can be imported, else the reader and the rules the
    same way: files in the inbox's walk order, unreadable ones as ``file-unreadable``.
    """
    try:
        from xltools.checks.validate import validate
    except ImportError:
        return _read_and_check(inbox, as_of)
    return validate([inbox], as_of=as_of).findings


def _read_and_check(inbox: Path, as_of: dt.date) -> list:
    from xltools.ingest.findings import Finding
    from xltools.ingest.reader import read_workbook
    from xltools.checks.rules import RuleContext, run_rules
    from xltools.ingest.discovery import iter_workbooks

    records, findings = [], []
    for path, _root, skip in iter_workbooks([inbox]):
        if skip:
            continue
        shown = path.relative_to(inbox).as_posix()
        try:
            read = read_workbook(path, display=shown)
        except Exception:                     # noqa: BLE001 -- the CSV in disguise
            findings.append(Finding("file-unreadable", shown))
            continue
        records += read.records
        findings += read.findings
    return findings + run_rules(records, RuleContext(load_schema(), Config(), as_of))


def places(findings: list, codes: set[str] | None = None) -> set[tuple]:
    return {(f.file, f.sheet, f.cell, f.code) for f in findings
            if f.severity != INFO and (codes is None or f.code in codes)}


def planted_places(info: SampleInfo, inbox: Path) -> set[tuple]:
    return {(Path(p["file"]).relative_to(inbox).as_posix(), p["sheet"], p["cell"], p["code"])
            for p in info.planted if p["code"] != "formula-text"}


def cell_values(path: Path) -> dict[str, list[tuple]]:
    book = load_workbook(path)
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book}


def header_row(ws) -> int:
    """1, or 2 below a merged title row."""
    return 2 if ws.merged_cells.ranges and ws.cell(1, 1).coordinate in ws.merged_cells else 1


def data_rows(ws) -> int:
    first = header_row(ws) + 1
    return sum(any(v is not None for v in row) for row in ws.iter_rows(min_row=first, values_only=True))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, SampleInfo]:
    inbox = tmp_path_factory.mktemp("default") / "inbox"
    return inbox, generate_inbox(inbox, SampleSpec())


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, SampleInfo]:
    inbox = tmp_path_factory.mktemp("clean") / "inbox"
    return inbox, generate_inbox(inbox, SampleSpec(mistakes=False))


# What a sample holds
def test_one_workbook_per_rep_in_region_folders(sample):
    inbox, info = sample
    assert info.reps == ["张伟", "李娜", "王芳", "刘洋"]
    assert info.as_of == dt.date(2024, 5, 1)
    assert [p.relative_to(inbox).parts[-1] for p in info.files] == [f"{r}.xlsx" for r in info.reps]
    assert all(len(p.relative_to(inbox).parts) == 2 for p in info.files)   # inbox/<region>/<rep>.xlsx
    for path in info.files:
        book = load_workbook(path)
        assert book.sheetnames == [s.name.zh for s in REP_SHEETS]
        for spec in REP_SHEETS:
            ws = book[spec.name.zh]
            headers = {c.value for c in ws[header_row(ws)]}
            assert {f.label.zh for f in spec.fields} <= headers


def test_every_customer_has_its_process_rows(sample):
    inbox, info = sample
    book = load_workbook(info.files[0])
    counts = {spec.key: data_rows(book[spec.name.zh]) for spec in REP_SHEETS}
    assert counts["customers"] >= 8 and counts["pipeline"] == 8
    assert counts["solution"] % 6 == 0 and counts["solution"] >= 18
    assert counts["visits"] > counts["customers"]
    assert counts["contracts"] >= 4
    dates = [c.value for c in book["需求分析"]["B"][1:] if c.value is not None]
    assert all(isinstance(d, dt.datetime) for d in dates)
    assert book["需求分析"]["B2"].number_format == "yyyy-mm-dd"


def test_broken_files_and_targets(sample):
    inbox, info = sample
    csv = inbox / BROKEN_NAME
    assert csv in info.broken and not csv.read_bytes().startswith(b"PK")
    owner = info.files[0].with_name("~$" + info.files[0].name)
    assert owner in info.broken and 0 < owner.stat().st_size < 500
    assert info.targets == inbox.parent / TARGETS_NAME
    ws = load_workbook(info.targets)["销售指标"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("销售", "月份", "销售指标(万元)", "新客户指标", "拜访指标", "毛利指标(万元)")
    assert rows[1][5] == pytest.approx(rows[1][2] * 0.3)                      # 30% of the sales target
    assert len(rows) - 1 == len(info.reps) * 5                # four months of activity and the as_of month
    assert rows[1][1] == "2024-01" and ws["B2"].data_type == "s"


def test_write_targets_is_deterministic(tmp_path):
    months = [dt.date(2024, 3, 1), dt.date(2024, 4, 1)]
    a = write_targets(tmp_path / "a.xlsx", ["张伟", "李娜"], months, seed=3)
    b = write_targets(tmp_path / "b.xlsx", ["张伟", "李娜"], months, seed=3)
    assert a.read_bytes() == b.read_bytes()
    assert [r[:2] for r in list(load_workbook(a).active.iter_rows(values_only=True))[1:]] == [
        ("张伟", "2024-03"), ("张伟", "2024-04"), ("李娜", "2024-03"), ("李娜", "2024-04")]


# Determinism
def test_same_seed_gives_the_same_workbooks(tmp_path, sample):
    inbox, info = sample
    again = generate_inbox(tmp_path / "inbox", SampleSpec())
    assert again.planted == [{**p, "file": tmp_path / "inbox" / Path(p["file"]).relative_to(inbox)}
                             for p in info.planted]
    for first, second in zip(info.files, again.files):
        assert cell_values(first) == cell_values(second)
        assert first.read_bytes() == second.read_bytes()        # xlsxwriter with a fixed creation date


def test_another_seed_gives_other_workbooks(tmp_path, sample):
    _, info = sample
    other = generate_inbox(tmp_path / "inbox", SampleSpec(seed=8))
    assert cell_values(info.files[0]) != cell_values(other.files[0])


# Validity
def test_clean_sample_has_no_errors_or_warnings(clean):
    inbox, info = clean
    found = [f for f in findings_of(inbox, info.as_of) if f.severity != INFO]
    # The CSV in disguise is the only thing to report: the owner file is skipped.
    assert [(f.code, f.file) for f in found] == [("file-unreadable", BROKEN_NAME)]
    assert info.planted == []


def test_clean_sample_of_other_shapes(tmp_path):
    for i, spec in enumerate([SampleSpec(reps=1, customers_per_rep=3, months=1, seed=1, mistakes=False),
                              SampleSpec(reps=6, customers_per_rep=12, months=9, seed=2, mistakes=False,
                                         start=dt.date(2023, 7, 1))]):
        inbox = tmp_path / str(i) / "inbox"
        info = generate_inbox(inbox, spec)
        assert places(findings_of(inbox, info.as_of)) == {(BROKEN_NAME, None, None, "file-unreadable")}


def test_planted_mistakes_are_found_exactly_where_recorded(sample):
    inbox, info = sample
    codes = Counter(p["code"] for p in info.planted)
    assert set(codes) == {"required", "format", "enum", "range", "weights-sum", "amount-mismatch",
                          "approval-authority", "duplicate-claim", "objection-overdue", "close-date-stale",
                          "formula-text", "collection-overdue", "won-not-collected", "rebate-unapproved"}
    assert set(codes.values()) == {1}
    found = places(findings_of(inbox, info.as_of)) - {(BROKEN_NAME, None, None, "file-unreadable")}
    assert found == planted_places(info, inbox)


def test_planted_values_are_in_the_recorded_cells(sample):
    _, info = sample
    fields = {s.name.zh: s for s in REP_SHEETS}
    for mark in info.planted:
        ws = load_workbook(mark["file"])[mark["sheet"]]
        cell = ws[mark["cell"]]
        value = cell.value.date() if isinstance(cell.value, dt.datetime) else cell.value
        assert value == mark["value"], mark
        header = ws.cell(header_row(ws), cell.column).value
        assert header == fields[mark["sheet"]].field(mark["field"]).label.zh, mark
    by_code = {m["code"]: m for m in info.planted}
    assert by_code["required"]["value"] is None
    assert by_code["range"]["value"] == 6
    assert by_code["enum"]["value"] == "互联网"


def test_duplicate_claim_names_the_same_customer_loosely(sample):
    _, info = sample
    claim = next(m for m in info.planted if m["code"] == "duplicate-claim")
    owners = [p for p in info.files if p != claim["file"]]
    full_names = {c.value for p in owners for c in load_workbook(p)["客户信息"]["A"] if c.value}
    assert claim["value"] not in full_names
    assert any(name.endswith("有限公司") and claim["value"] in name for name in full_names)


def test_formula_looking_text_is_a_string_cell(sample):
    _, info = sample
    mark = next(m for m in info.planted if m["code"] == "formula-text")
    cell = load_workbook(mark["file"])[mark["sheet"]][mark["cell"]]
    assert cell.value.startswith("=HYPERLINK(")
    assert cell.data_type == "s"
    for path in info.files:                           # nothing anywhere is a live formula
        for ws in load_workbook(path):
            assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_messy_but_valid_input_is_there(sample):
    _, info = sample
    books = [load_workbook(p) for p in info.files]
    values = [[v for ws in b for row in ws.iter_rows(values_only=True) for v in row] for b in books]
    texts = [v for vs in values for v in vs if isinstance(v, str)]
    # A merged title row in one rep's sheets; another's columns in another order; an extra 备注 column.
    assert all(ws.merged_cells.ranges for ws in books[1])
    assert books[2]["客户信息"]["A1"].value != "客户名称"
    assert "备注" in {c.value for c in books[1]["客户信息"][2]}
    # Dates and amounts typed as text, full-width digits, loose grades and stages, a phone as a number.
    assert any(t.endswith("日") and "年" in t for t in texts) and any(t.count("/") == 2 for t in texts)
    assert any(t.endswith("万") and t[:-1].replace(".", "").isdigit() for t in texts)
    assert any("１" <= ch <= "９" for t in texts for ch in t)
    assert {"A", "B级"} & set(texts) and {"3", "有资格", "2", "接触", "4", "已发展"} & set(texts)
    assert any(isinstance(v, int) and v > 10 ** 10 for v in values[3])
    # A blank row inside the data.
    rows = list(books[0]["客户信息"].iter_rows(values_only=True))
    assert any(all(v is None for v in row) for row in rows[1:-1])


# Benchmark mode
def test_benchmark_mode_fills_each_sheet_to_about_the_size(tmp_path):
    inbox = tmp_path / "inbox"
    info = generate_inbox(inbox, SampleSpec(reps=3, rows_per_sheet=50, mistakes=False, broken_file=False))
    assert len(info.files) == 3 and info.broken == []
    largest_group = 6                                  # a customer's six solution modules
    for path in info.files:
        book = load_workbook(path, read_only=False)
        counts = {s.key: data_rows(book[s.name.zh]) for s in REP_SHEETS}
        assert counts["customers"] == counts["pipeline"] == counts["needs"] == 50, counts
        # Rebate applications: three rows per signed contract, so they stop with the contracts.
        rebates = counts.pop("rebates")
        assert 0 < rebates <= 50 and rebates % 3 == 0, rebates
        assert all(50 - largest_group < n <= 50 for n in counts.values()), counts
    assert places(findings_of(inbox, info.as_of)) == set()


def test_benchmark_mode_with_mistakes_still_plants_them(tmp_path):
    inbox = tmp_path / "inbox"
    info = generate_inbox(inbox, SampleSpec(reps=4, rows_per_sheet=40, broken_file=False))
    assert len(info.planted) == 14
    assert places(findings_of(inbox, info.as_of)) == planted_places(info, inbox)


# A week of work
def test_advance_week_changes_only_the_files_it_lists(tmp_path):
    inbox = tmp_path / "inbox"
    info = generate_inbox(inbox, SampleSpec())
    before = {p: digest(p) for p in info.files}
    visits_before = {p: data_rows(load_workbook(p)["客户回访"]) for p in info.files}
    won_before = _count_forecast(info.files, "已成交")

    changed = advance_week(inbox, info)

    assert changed and set(changed) < set(info.files)            # one rep did nothing this week
    assert {p for p in info.files if digest(p) != before[p]} == set(changed)
    assert info.as_of == dt.date(2024, 5, 8)
    assert any(data_rows(load_workbook(p)["客户回访"]) > visits_before[p] for p in changed)
    assert _count_forecast(info.files, "已成交") == won_before + 1
    assert _count_forecast(info.files, "丢单") >= 1
    # The planted mistakes are left alone and no new error appears.
    found = findings_of(inbox, info.as_of)
    errors = {place for place in places([f for f in found if f.severity == "error"])}
    assert errors - {(BROKEN_NAME, None, None, "file-unreadable")} == {
        p for p in planted_places(info, inbox) if p[3] not in ("duplicate-claim", "objection-overdue",
                                                                 "close-date-stale", "collection-overdue")}
    assert planted_places(info, inbox) <= places(found)
    formula = next(m for m in info.planted if m["code"] == "formula-text")
    assert load_workbook(formula["file"])[formula["sheet"]][formula["cell"]].data_type == "s"


def test_advance_week_is_deterministic(tmp_path):
    results = []
    for name in ("a", "b"):
        inbox = tmp_path / name / "inbox"
        info = generate_inbox(inbox, SampleSpec(seed=11))
        changed = advance_week(inbox, info, days=14)
        results.append(([p.relative_to(inbox) for p in changed], [cell_values(p) for p in info.files]))
    assert results[0] == results[1]


def _count_forecast(files: list[Path], forecast: str) -> int:
    count = 0
    for path in files:
        ws = load_workbook(path)["商机跟踪"]
        row = header_row(ws)
        column = next(c.column for c in ws[row] if c.value == "预测类别")
        count += sum(ws.cell(r, column).value == forecast for r in range(row + 1, ws.max_row + 1))
    return count
