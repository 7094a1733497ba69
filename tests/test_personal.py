"""The rep's own workbook and the handout: names spelled one way, read back as written."""
import datetime as dt
import shutil

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from test_templates import list_items, sheet_of, validation_of
from xltools.cli import cli
from xltools.jobs.demo import run_demo
from xltools.jobs.merge import Merge
from xltools.xlsx.personal import CUSTOMER_NAMES, REP_NAMES, current_rows, personal_workbook, workbook_rep
from xltools.ingest.reader import read_workbook
from xltools.rollup import rollup
from xltools.store import open_store
from xltools.xlsx.templates.build import template_metadata

CUSTOMER = {"customer": "深圳市华络通信有限公司", "contact": "王明", "phone": "13800138000", "owner": "张伟",
            "grade": "A类", "industry": "制造业", "source": "行业展会", "account_type": "A 开拓型"}
VISIT = {"customer": "深圳市华络通信有限公司", "visit_date": "2024-03-12", "visitor": "张伟"}
# What a rep types in an English workbook: labels and the usual abbreviations.
ENGLISH = {"grade": "A", "industry": "Mfg", "source": "Trade show", "account_type": "A Acquisition"}


def named_items(wb, name: str) -> list:
    return list_items(wb, wb.defined_names[name].attr_text)


def save(wb, path):
    wb.save(path)
    return path


def test_english_workbook_with_english_choices_reads_like_its_chinese_twin(schema, tmp_path):
    zh = save(personal_workbook("张伟", "zh", rows={"customers": [CUSTOMER]}), tmp_path / "zh.xlsx")
    en = save(personal_workbook("张伟", "en", rows={"customers": [CUSTOMER | ENGLISH]}), tmp_path / "en.xlsx")
    read_zh, read_en = read_workbook(zh), read_workbook(en)
    assert [f.code for f in read_en.findings] == [f.code for f in read_zh.findings] == []
    assert [r.values for r in read_en.records] == [r.values for r in read_zh.records]
    assert read_en.records[0].values["industry"] == "制造业"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dropdowns_in_the_workbooks_language(schema, tmp_path, lang):
    wb = openpyxl.load_workbook(save(personal_workbook("张伟", lang), tmp_path / "p.xlsx"))
    ws = sheet_of(wb, "customers")
    for col, field in enumerate(schema.sheets["customers"].fields, start=1):
        if field.type == "enum":
            assert list_items(wb, validation_of(ws, col).formula1) == [c.label(lang) for c in field.choices]


def test_owner_and_customer_dropdowns_and_the_metadata_read_back(schema, tmp_path):
    wb = openpyxl.load_workbook(save(personal_workbook("张伟", colleagues=["李娜", "张伟"],
                                                       rows={"customers": [CUSTOMER]}), tmp_path / "p.xlsx"))
    assert workbook_rep(wb) == "张伟"
    assert named_items(wb, REP_NAMES) == ["张伟", "李娜"]
    assert named_items(wb, CUSTOMER_NAMES)[0] == CUSTOMER["customer"]
    for key, spec in schema.sheets.items():
        if key == "targets":
            continue
        ws = sheet_of(wb, key)
        columns = list(spec.field_map)
        if spec.rep_field:
            owners = validation_of(ws, columns.index(spec.rep_field) + 1)
            assert owners.formula1 == REP_NAMES, key
            assert owners.errorStyle == "warning"
        if spec.customer_field and key != "customers":
            dv = validation_of(ws, columns.index(spec.customer_field) + 1)
            assert (dv.type, dv.formula1, dv.errorStyle) == ("list", CUSTOMER_NAMES, "warning"), key
            assert dv.error == "先在客户信息中登记该客户"
    notes = [c.value for c in wb["填写说明"]["A"] if c.value]
    assert any("新客户" in n and "客户信息" in n for n in notes)


def test_protection_keeps_the_header_and_allows_rows_sorting_and_filtering(schema, tmp_path):
    path = save(personal_workbook("张伟", rows={"customers": [CUSTOMER]}), tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = sheet_of(wb, "customers")
    p = ws.protection
    assert p.sheet and not p.password
    assert not any([p.insertRows, p.deleteRows, p.formatCells, p.formatColumns, p.formatRows, p.sort, p.autoFilter])
    assert ws["A1"].protection.locked and not ws["A2"].protection.locked
    assert ws.column_dimensions["A"].protection.locked is False        # rows not yet written are open too
    # The rep inserts a row above the first one and edits a cell: both are read.
    ws.insert_rows(2)
    for col, value in enumerate(["广州华新", None, None, None, "李雷", None, "13900000000"], start=1):
        ws.cell(2, col, value)
    ws.cell(2, 10, "张伟")
    ws.cell(2, 11, "B")
    ws["K3"] = "C类"
    read = read_workbook(save(wb, tmp_path / "edited.xlsx"))
    assert [(r.values["customer"], r.values["grade"]) for r in read.records] == [
        ("广州华新", "B类"), (CUSTOMER["customer"], "C类")]
    assert read.findings == []


@pytest.mark.libreoffice
def test_dropdowns_and_protection_survive_libreoffice(schema, libreoffice, tmp_path):
    wb = personal_workbook("张伟", rows={"customers": [CUSTOMER], "visits": [VISIT]})
    sheet_of(wb, "customers")["A3"] = "广州华新科技有限公司"              # added before the round trip
    (tmp_path / "src").mkdir()
    source = save(wb, tmp_path / "src" / "张伟.xlsx")
    [converted] = libreoffice([source], "xlsx", tmp_path)
    back = openpyxl.load_workbook(converted)
    assert workbook_rep(back) == "张伟"
    assert sorted(template_metadata(back).values()) == sorted(template_metadata(wb).values())
    customers = named_items(back, CUSTOMER_NAMES)
    assert named_items(back, REP_NAMES) == ["张伟"]
    assert validation_of(sheet_of(back, "customers"), 10).formula1.lstrip("=") == REP_NAMES
    assert customers[:2] == [CUSTOMER["customer"], "广州华新科技有限公司"]
    visits = sheet_of(back, "visits")
    dv = validation_of(visits, 1)
    assert (dv.type, dv.formula1.lstrip("="), dv.errorStyle) == ("list", CUSTOMER_NAMES, "warning")
    assert visits.protection.sheet and not visits.protection.insertRows
    read = read_workbook(converted)
    assert [r.values["customer"] for r in read.records if r.form == "customers"] == customers[:2]
    assert [f.code for f in read.findings if f.code in ("enum", "type", "column-missing")] == []


# Handout
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def handouts(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    result = CliRunner().invoke(cli, ["handout", str(demo.inbox), "--store", str(demo.outputs["store"]),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_every_rep_of_the_store_gets_a_workbook_with_their_customers(demo, tmp_path):
    store = str(demo.outputs["store"])
    result = CliRunner().invoke(cli, ["templates", "build", "--reps-from", store, "--store", store,
                                      "--out", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    db = open_store(store, read_only=True)
    try:
        customers = current_rows(db)["customers"]
        for rep in ("张伟", "李娜", "王芳", "刘洋"):
            wb = openpyxl.load_workbook(tmp_path / f"All forms-{rep}.xlsx")
            assert workbook_rep(wb) == rep
            listed = [v for v in named_items(wb, CUSTOMER_NAMES) if v]
            assert listed == list(customers[customers["_rep"] == rep]["customer"]), rep
            assert named_items(wb, REP_NAMES)[:4] == [rep] + [n for n in ("张伟", "李娜", "王芳", "刘洋") if n != rep]
    finally:
        db.close()


def test_a_handout_holds_the_senders_rows_and_reads_back_without_new_findings(demo, handouts):
    db = open_store(demo.outputs["store"], read_only=True)
    try:
        stored = _stored_findings(db)
        files = {s.path: s.rep for s in db.files().values() if s.status == "active" and s.rep}
        for path, rep in files.items():
            if not (handouts / path).exists():
                continue                                         # the admin's targets workbook
            read = read_workbook(handouts / path)
            expected = {key: frame[list(db.schema.sheets[key].field_map)].to_dict("records")
                        for key, frame in _sent_by(db, path).items()}
            for key, rows in expected.items():
                got = [r.values for r in read.records if r.form == key]
                assert [_comparable(v) for v in got] == [_comparable(v) for v in rows], (path, key)
            assert {(f.code, f.field) for f in read.findings} <= stored[path], path
    finally:
        db.close()
    assert len(list(handouts.rglob("*.xlsx"))) == 4


def test_the_handout_marks_the_latest_findings_on_a_to_fix_sheet(demo, handouts):
    wb = openpyxl.load_workbook(handouts / "华南区" / "张伟.xlsx")
    assert wb.sheetnames[0] == "待修正"
    ws = wb["待修正"]
    listed = {ws.cell(r, 4).value: r for r in range(2, ws.max_row + 1)}
    row = listed["required"]
    sheet, ref = ws.cell(row, 2).value, ws.cell(row, 3).value
    assert sheet == "客户信息"
    assert ws.cell(row, 3).hyperlink.target == f"#'{sheet}'!{ref}"
    cell = wb[sheet][ref]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and "required" in cell.comment.text


def test_sending_back_unchanged_handouts_changes_nothing(demo, handouts, tmp_path):
    store, admin = demo.outputs["store"], demo.targets.parent
    as_of = demo.summary.as_of
    db = open_store(store, read_only=True)
    before = (_rows(db), _stored_findings(db, with_place=False))
    db.close()
    figures = rollup(store, as_of).to_dict()
    for path in handouts.rglob("*.xlsx"):
        shutil.copyfile(path, demo.inbox / path.relative_to(handouts))
    merging = Merge(store, as_of=as_of)
    merging.write_master(merging.run([demo.inbox, admin]), tmp_path / "master.xlsx")
    db = open_store(store, read_only=True)
    after = (_rows(db), _stored_findings(db, with_place=False))
    db.close()
    assert after == before
    again = rollup(store, as_of).to_dict()
    # Sending a file back is a submission: only who sent when moves (every rep's copy is newer than as_of: late).
    assert {**again, "submissions": None} == {**figures, "submissions": None}
    assert again["submissions"]["late"] == [r["rep"] for r in figures["submissions"]["reps"]]


def _sent_by(db, path: str) -> dict[str, pd.DataFrame]:
    return {key: frame[frame["_file"] == path] for key, frame in current_rows(db).items()}


def _comparable(values: dict) -> dict:
    """Stored and read values side by side: dates as text, whole floats as ints, NaN as None."""
    out = {}
    for key, value in values.items():
        if value is None or value != value:
            value = None
        elif isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()[:10]
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        out[key] = value
    return out


def _stored_findings(db, with_place=True):
    frame = db.findings()
    frame = frame[frame["severity"] != "info"]
    if not with_place:
        return sorted(map(tuple, frame[["code", "rep", "customer", "field", "value", "file"]].astype(str).values))
    found: dict[str, set] = {}
    for f in frame.to_dict("records"):
        found.setdefault(f["file"], set()).add((f["code"], f["field"] if isinstance(f["field"], str) else None))
    return found


def _rows(db):
    rows = []
    for key in db.schema.sheets:
        frame = db.frame(key, statuses=("merged", "quarantined"))
        fields = [f.key for f in db.schema.sheets[key].fields]
        rows += sorted(map(tuple, frame[["_file", "_first_seen", "_status", *fields]].astype(str).values))
    return rows


@pytest.mark.parametrize("args", [["handout", ".", "--store", "{missing}", "--out", "{out}"],
                                  ["templates", "build", "--reps-from", "{missing}", "--out", "{out}"]])
def test_a_missing_store_is_one_sentence(tmp_path, args):
    args = [a.format(missing=tmp_path / "none.db", out=tmp_path / "out") for a in args]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "没有找到库" in result.output and "Traceback" not in result.output


def test_one_handout_that_cannot_be_written_never_stops_the_others(demo, tmp_path, monkeypatch):
    """A rep whose handout cannot be written is named; every other rep still gets theirs (exit 1)."""
    import xltools.jobs.handout as handout_module
    inbox, store = demo.inbox, demo.outputs["store"]
    real = handout_module.personal_workbook
    calls = []

    def failing_first(rep, *args, **kwargs):
        calls.append(rep)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(rep, *args, **kwargs)
    monkeypatch.setattr(handout_module, "personal_workbook", failing_first)
    result = CliRunner().invoke(cli, ["handout", str(inbox), "--store", str(store), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    written = sorted((tmp_path / "out").rglob("*.xlsx"))
    assert len(written) == len(calls) - 1 >= 1
    assert "未能写入发回工作簿" in result.output and "Traceback" not in result.output
