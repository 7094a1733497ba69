"""Account analysis by RAD type, on a small hand-made store (numbers worked out by hand in the comments)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from xltools.forms.model import Record
from xltools.rollup import rollup
from xltools.store import open_store
from xltools.xlsx.summary.tables import summary_tables

AS_OF = dt.date(2024, 4, 10)
R, A, D = "R 保持型", "A 开拓型", "D 发展型"


def account(name, kind, bp, sow, owner="张三"):
    return {"customer": name, "owner": owner, "account_type": kind, "buying_power": bp, "share_of_wallet": sow}


CUSTOMERS = [
    account("华络通信", R, 300, 60),          # untapped 300 × 0.4 = 120
    account("星辰科技", R, 100, 20),          # 80
    account("明月集团", D, 500, 10),          # 450
    account("远山制造", D, 200, None),        # no SOW: untapped unknown
    account("青松医疗", A, 50, 0, "李四"),     # 50
    account("蓝海物流", None, None, None),    # no type
] + [account(f"发展客户{i:02d}", D, 10 * i, 50) for i in range(1, 11)]     # untapped 5 × i
PIPELINE = [
    {"project_id": "P1", "project": "x", "customer": "深圳市华络通信有限公司", "owner": "张三", "stage": "3 有资格",
     "amount": 25, "expected_close": dt.date(2024, 5, 1), "forecast": "争取"},
    {"project_id": "P2", "project": "y", "customer": "明月集团", "owner": "张三", "stage": "2 接触",
     "amount": 40, "expected_close": dt.date(2024, 6, 1)},
    {"project_id": "P3", "project": "z", "customer": "明月集团", "owner": "张三", "stage": "6 收回全款",
     "amount": 99, "expected_close": dt.date(2024, 3, 1), "forecast": "已成交"},        # won: not open
]


def records(form, rows, rep_field):
    return [Record(form, "张三.xlsx", form, i, {k: v for k, v in row.items() if v is not None}, rep=row[rep_field])
            for i, row in enumerate(rows, start=2)]


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("accounts") / "sales.db")
    run = store.start_run(AS_OF, ["inbox"])
    file_id = store.upsert_file("inbox", "张三.xlsx", "张三.xlsx", "张三", "active", run)
    store.replace_rows(file_id, records("customers", CUSTOMERS, "owner") + records("pipeline", PIPELINE, "owner"), run)
    try:
        yield rollup(store, AS_OF)
    finally:
        store.close()


def test_accounts_by_rad_type(summary):
    rows = [(g.type, g.accounts, g.buying_power, g.share_of_wallet, g.untapped, g.open_pipeline)
            for g in summary.accounts.by_type]
    assert rows == [
        (R, 2, 400, pytest.approx((300 * 60 + 100 * 20) / 400), 200, 25),     # SOW weighted by BP: 50%
        (A, 1, 50, 0, 50, 0),
        # 明月 500 + 远山 200 + 10..100 = 1250; SOW over those with both: (500×10 + 550×50) / 1050
        (D, 12, 1250, pytest.approx((500 * 10 + 550 * 50) / 1050), pytest.approx(450 + 275), 40),
        (None, 1, 0, None, 0, 0),
    ]


def test_untapped_wallet_per_account_largest_first(summary):
    untapped = [(a.customer, a.untapped) for a in summary.accounts.untapped]
    assert untapped[:4] == [("明月集团", 450), ("华络通信", 120), ("星辰科技", 80), ("发展客户10", 50)]
    assert "远山制造" not in dict(untapped) and len(untapped) == 14       # 16 accounts, 2 without BP and SOW


def test_top_10_development_accounts(summary):
    top = [a.customer for a in summary.accounts.top_development]
    # By untapped wallet: 明月 450, then 发展客户10..02; 远山 (unknown untapped) and 发展客户01 (5) miss the ten.
    assert top == ["明月集团"] + [f"发展客户{i:02d}" for i in range(10, 1, -1)]


def test_json_and_summary_sheet_carry_the_accounts(summary):
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["accounts"]["by_type"][0]["share_of_wallet"] == 50.0
    tables = {t.name: t for t in summary_tables(summary, "en")}
    assert tables["accounts_by_type"].sheet == "accounts"
    assert tables["accounts_by_type"].rows[0][0] == "R Retention"
    assert tables["top_development"].rows[0][:2] == ["明月集团", "张三"]
