"""A re-merge into an existing store equals a merge of the same files into a fresh store.

The property test drives random edit sequences (files added, changed and removed; rows that
share customers, contracts, projects, reps and months across files; loosely written customer
names; the as-of day moving forward) and compares, after every step, the store's findings,
row statuses and rollup figures with those of a fresh merge. History-dependent outcomes
(entry-late, and which of two claims came first in duplicate-claim) are tested on their own
in test_rules/test_merge.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from factory import make_workbook  # noqa: E402

from xltools.jobs.merge import Merge  # noqa: E402
from xltools.forms.model import customer_key  # noqa: E402
from xltools.rollup import rollup  # noqa: E402

DAY = dt.date(2024, 4, 1)
# One customer written loosely in different files.
CUSTOMERS = [("深圳市华络通信有限公司", "华络通信"), ("广州华新科技有限公司", "华新科技"), ("北京恒通物流", "恒通物流有限公司")]
REPS = ["张三", "李四", "王五"]
CONTRACTS = ["HT-202403001", "HT-202403002"]
PROJECTS = ["P-001", "P-002", "P-003"]
STEPS = ["销售经理审核", "法务审核", "总经理审批"]
# History-dependent: when the store first saw a row, which claim came first.
HISTORY = {"entry-late", "duplicate-claim"}
# Rollup figures that compare this run with earlier runs' snapshots.
# Built from the run history, not the files (activity: new customers count by the merge that first saw them;
# submissions: a rep whose files are gone is still listed, with nothing new).
ROLLUP_HISTORY = {"commit_accuracy", "as_of", "changes", "conversion", "activity", "submissions"}


def fresh_state(inbox: Path, store: Path, day: dt.date):
    # Random edits may remove most files: the shrink guard is tested in test_trust.py.
    result = Merge(store, as_of=day).run([inbox], allow_shrink=True)
    findings = set()
    for f in result.report.findings:
        if f.code == "duplicate-claim":
            findings.add((f.code, customer_key(f.value)))     # that there is a clash, not who came first
        elif f.code not in HISTORY:
            findings.add((f.code, f.file, f.sheet, f.cell, f.message("zh")))
    return findings, statuses(store), figures(store, day)


def statuses(store: Path) -> set:
    db = sqlite3.connect(store)
    found = set()
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'rows_%'"):
        found |= {(table, *r) for r in db.execute(
            f"SELECT fl.path, t._row, t._status FROM {table} t JOIN files fl ON fl.id = t._file_id "
            "WHERE t._status != 'withdrawn'")}
    db.close()
    return found


def figures(store: Path, day: dt.date) -> dict:
    """The rollup, over a copy of the store without the history-dependent findings."""
    copy = store.with_suffix(".figures.db")
    shutil.copyfile(store, copy)
    with sqlite3.connect(copy) as db:
        db.execute(f"DELETE FROM findings WHERE code IN ({', '.join('?' * len(HISTORY))})", sorted(HISTORY))
    db.close()
    summary = rollup(copy, day).to_dict()
    copy.unlink()
    return {k: v for k, v in summary.items() if k not in ROLLUP_HISTORY}


def assert_same_as_fresh(inbox: Path, store: Path, tmp: Path, day: dt.date, step: str):
    again = fresh_state(inbox, store, day)
    fresh_store = tmp / f"fresh-{random.random()}.db"
    fresh = fresh_state(inbox, fresh_store, day)
    fresh_store.unlink()
    for name, mine, theirs in zip(("findings", "statuses", "rollup"), again, fresh):
        assert mine == theirs, f"{step}: {name} differ"


# Regression: the two reproductions of issue 11
def test_a_targets_row_duplicated_in_a_new_file(tmp_path):
    inbox, store = tmp_path / "inbox", tmp_path / "a.db"
    target = {"rep": "张三", "month": dt.date(2024, 3, 1), "sales_target": 50}
    make_workbook(inbox, {"targets": [target]}, "指标.xlsx")
    Merge(store, as_of=DAY).run([inbox])
    # Another row too: a byte-identical copy would be skipped as a re-sent file (file-duplicate).
    extra = make_workbook(inbox, {"targets": [target, {**target, "rep": "李四"}]}, "指标-补充.xlsx")
    os.utime(extra, (0, (inbox / "指标.xlsx").stat().st_mtime - 60))      # saved before 指标, sent after it
    again = Merge(store, as_of=DAY).run([inbox])
    assert [(f.code, f.file) for f in again.report.findings if f.code.startswith("duplicate-")] == [
        ("duplicate-record", "指标.xlsx")]               # the later copy by modification time: the stored file
    assert_same_as_fresh(inbox, store, tmp_path, DAY, "targets")


def contract(step: str, amount: float, decided: dt.date, **kw) -> dict:
    return {"contract_id": "HT-202403001", "customer": "深圳市华络通信有限公司", "amount": amount,
            "submitter": "张三", "submitted": dt.date(2024, 3, 1), "step": step, "decision": "同意",
            "decided": decided, **kw}


def test_an_approval_chain_continued_in_a_second_file(tmp_path):
    inbox, store = tmp_path / "inbox", tmp_path / "a.db"
    price = {"customer": "华络通信", "date": dt.date(2024, 2, 20), "clause": "价格", "agreed_amount": 18}
    make_workbook(inbox, {"contracts": [contract("销售经理审核", 18, dt.date(2024, 3, 2))],
                          "negotiations": [price]}, "张三.xlsx")
    Merge(store, as_of=DAY).run([inbox])
    make_workbook(inbox, {"contracts": [contract("法务审核", 25, dt.date(2024, 3, 3)),
                                        contract("总经理审批", 25, dt.date(2024, 3, 4))]}, "张三续.xlsx")   # after 张三.xlsx in the inbox
    again = Merge(store, as_of=DAY).run([inbox])
    codes = sorted(f.code for f in again.report.findings)
    assert codes == ["approval-consistency"]
    assert_same_as_fresh(inbox, store, tmp_path, DAY, "contract")


# The property: random edit sequences
def random_rows(rng: random.Random) -> dict[str, list[dict]]:
    """A rep's workbook whose rows share customers, contracts, projects, reps and months with others."""
    name = lambda: rng.choice(rng.choice(CUSTOMERS))   # noqa: E731 -- any spelling of any customer
    day = lambda: DAY + dt.timedelta(days=rng.randint(-40, 20))   # noqa: E731
    rep = rng.choice(REPS)
    sheets = {
        "customers": [{"customer": name(), "contact": "王明", "phone": "13800138000", "owner": rng.choice(REPS),
                       "grade": rng.choice(["A类", "B类", "C类"]), "next_follow_up": day()}
                      for _ in range(rng.randint(0, 2))],
        "visits": [{"customer": name(), "date": (d := day()), "visitor": rep, "satisfaction": 4,
                    "next_visit": d + dt.timedelta(days=rng.choice([-1, 20, 60, 200]))}
                   for _ in range(rng.randint(0, 2))],
        "contracts": [{"contract_id": rng.choice(CONTRACTS), "customer": name(), "amount": rng.choice([15, 18, 25]),
                       "submitter": rep, "submitted": dt.date(2024, 3, 1), "step": rng.choice(STEPS),
                       "decision": rng.choice(["同意", "驳回", "待审"]), "decided": day()}
                      for _ in range(rng.randint(0, 2))],
        "negotiations": [{"customer": name(), "date": day(), "clause": "价格", "agreed_amount": rng.choice([15, 18, 25]),
                          "floor": "16万"} for _ in range(rng.randint(0, 1))],
        "pipeline": [{"project_id": rng.choice(PROJECTS), "project": "ERP", "customer": name(), "owner": rep,
                      "stage": (s := rng.choice(["2 接触", "4 已发展", "6 收回全款"])),
                      "win_probability": rng.choice([20, 60, 100]), "amount": 30, "expected_close": day(),
                      "forecast": "已成交" if s.startswith("6") else "争取",
                      "delivered": day() if s.startswith("6") else None}
                     for _ in range(rng.randint(0, 2))],
        "targets": [{"rep": rep, "month": dt.date(2024, rng.choice([3, 4]), 1), "sales_target": 50}
                    for _ in range(rng.randint(0, 1))],
        "needs": [{"customer": name(), "date": day(), "pain_points": "信息分散",
                   "confirmation_sent": rng.choice([None, DAY - dt.timedelta(days=30)])}
                  for _ in range(rng.randint(0, 1))],
        "decision_chain": [{"customer": name(), "date": dt.date(2024, 3, 5), "person": f"{p}总",
                            "role": rng.choice(["决策", "影响"]), "weight": rng.choice([40, 60])}
                           for p in ("王", "李")[: rng.randint(0, 2)]],
        "solution": [{"customer": name(), "module": m, "done": "是", "done_date": dt.date(2024, 3, 6)}
                     for m in rng.sample(["客户痛点分析", "解决方案概述", "实施计划"], rng.randint(0, 2))],
        "objections": [{"customer": name(), "raised": dt.date(2024, 3, 6), "objection": "贵", "owner": rep,
                        "resolve_by": day(), "status": rng.choice(["未解决", "已解决"])}
                       for _ in range(rng.randint(0, 1))],
        # Collections and rebates relate to the contracts by 合同编号 and to the pipeline by customer.
        "collections": [{"contract_id": rng.choice(CONTRACTS), "customer": name(), "milestone": m,
                         "planned_date": day(), "planned_amount": rng.choice([5, 10, 15]),
                         "received_amount": rng.choice([None, 5, 10]), "owner": rep}
                        for m in rng.sample(["预付款", "验收款", "质保金"], rng.randint(0, 2))],
        "rebates": [{"contract_id": rng.choice(CONTRACTS), "customer": name(), "rate": rng.choice([5, 8, 10]),
                     "applicant": rep, "applied": day(), "status": rng.choice(["申请中", "已支付"]),
                     "step": rng.choice(["大客户部经理", "市场营销中心", "总经理"]),
                     "decision": rng.choice(["同意", "待审"])} for _ in range(rng.randint(0, 2))],
    }
    return {form: rows for form, rows in sheets.items() if rows} or {"customers": []}


def edit_sequence(seed: int, tmp_path: Path, steps: int = 8):
    rng = random.Random(seed)
    inbox, store = tmp_path / f"inbox{seed}", tmp_path / f"store{seed}.db"
    inbox.mkdir()
    day = DAY
    files: list[str] = []
    for step in range(steps):
        op = rng.choice(["add", "add", "change", "change", "remove", "day"]) if files else "add"
        if op == "add":
            files.append(f"{rng.choice(REPS)}-{step}.xlsx")
            make_workbook(inbox, random_rows(rng), files[-1])
        elif op == "change":
            make_workbook(inbox, random_rows(rng), rng.choice(files))
        elif op == "remove":
            (inbox / files.pop(rng.randrange(len(files)))).unlink()
        else:
            day += dt.timedelta(days=rng.choice([1, 7, 30]))
        assert_same_as_fresh(inbox, store, tmp_path, day, f"seed {seed} step {step} ({op})")


@pytest.mark.parametrize("seed", range(12))
def test_a_re_merge_equals_a_fresh_merge_after_every_edit(seed, tmp_path):
    edit_sequence(seed, tmp_path, steps=10)


# The declarations drive the re-merge
def test_every_rule_declares_what_it_reads():
    from xltools.forms.config import Config
    from xltools.checks.rules import RULES, Key, Rule
    from xltools.forms.schema import load_schema
    forms = set(load_schema().sheets) | {"*"}
    for code, unit in RULES.items():
        assert isinstance(unit, Rule) and unit.code == code and unit.description, code
        assert set(unit.forms) <= forms and unit.forms, code
        assert all(isinstance(k, Key) for k in unit.relates_by), code
        assert all(hasattr(Config(), s) for s in unit.settings), code


def test_a_rule_relating_rows_by_an_undeclared_key_breaks_the_re_merge(tmp_path, monkeypatch):
    """Without its target-rep key, duplicate-record is not re-checked on the old targets file."""
    from dataclasses import replace

    from xltools.checks import rules
    for code in ("duplicate-row", "duplicate-record"):        # the two rules declaring target-rep
        monkeypatch.setitem(rules.RULES, code, replace(rules.RULES[code], relates_by=(rules.CUSTOMER,)))
    with pytest.raises(AssertionError, match="duplicate-record"):
        test_a_targets_row_duplicated_in_a_new_file(tmp_path)


def test_a_rule_relating_everything_re_checks_every_row(tmp_path, monkeypatch):
    from dataclasses import replace

    from xltools.jobs import merge_check
    from xltools.checks import rules
    everything = replace(rules.RULES["duplicate-row"], relates_by=(rules.EVERYTHING,))
    monkeypatch.setitem(rules.RULES, "duplicate-row", everything)
    loaded = []
    monkeypatch.setattr(merge_check, "_related_records", lambda *a: loaded.append(a) or [])
    test_a_targets_row_duplicated_in_a_new_file(tmp_path)
    assert loaded == []                     # no partial reload: every row was checked


class StrictValues(dict):
    """A reloaded row's values that refuse to read a field the store did not load."""

    def __init__(self, values: dict, unloaded: set[str]):
        super().__init__(values)
        self.unloaded = unloaded

    def get(self, key, default=None):
        assert key not in self.unloaded, f"the rule read {key!r} without declaring it"
        return dict.get(self, key, default)


def test_time_rules_judge_from_the_fields_they_declare(tmp_path):
    """A new day re-checks a time-dependent rule's stored rows with its declared fields only: with just
    those, it must find what it finds in whole rows, on the day and in the months after."""
    from dataclasses import replace

    from xltools.checks.rules import RULES, RuleContext, run_rules
    from xltools.checks.validate import validate
    from xltools.forms.config import Config
    from xltools.forms.schema import load_schema
    from xltools.sample import SampleSpec, generate_inbox

    spec = SampleSpec(reps=3, customers_per_rep=12)
    info = generate_inbox(tmp_path / "inbox", spec)
    records = validate([tmp_path / "inbox"], as_of=info.as_of).records
    schema = load_schema()
    judged = 0
    for unit in (u for u in RULES.values() if u.as_of):
        fields = unit.loads(schema)
        partial = [replace(r, values=StrictValues({k: r.values.get(k) for k in fields[r.form]},
                                                  {f.key for f in schema.sheets[r.form].fields} - set(fields[r.form])))
                   for r in records if r.form in fields]
        for days in (0, 7, 30, 120):
            ctx = RuleContext(schema, Config(), info.as_of + dt.timedelta(days=days))
            skip = set(RULES) - {unit.code}
            whole = [(f.file, f.cell, f.message("zh"), f.message("en")) for f in run_rules(records, ctx, skip)]
            assert [(f.file, f.cell, f.message("zh"), f.message("en")) for f in run_rules(partial, ctx, skip)] == whole
            judged += len(whole)
    assert judged > 50                      # the rules did find things to compare


def test_a_time_rule_must_declare_what_it_reads():
    from xltools.checks.rules.unit import rule
    from xltools.ingest.findings import WARNING
    from xltools.text import Text

    with pytest.raises(ValueError, match="declares no reads"):
        rule("made-up-overdue", WARNING, "d", zh="z", en="e", title=Text("z", "e"), forms=("customers",),
             as_of={"customers": "next_follow_up"})
