"""The 客户分析 sheet: accounts by RAD type, the top development accounts, the untapped wallet."""
from __future__ import annotations

from xltools.rollup.accounts import TOP_DEVELOPMENT
from xltools.rollup.model import Summary
from xltools.text import Text
from xltools.xlsx.summary.table import Table, Words


def account_tables(s: Summary, t: Words) -> list[Table]:
    """Accounts by RAD type, the TOP 发展型 and the untapped wallet per account (``accounts.py``)."""
    if s.accounts is None:
        return []
    headers = [t(Text("客户", "Customer")), t(Text("跟进人", "Owner")), t(Text("客户类型", "Account type")),
               t(Text("年度采购量(万元)", "Buying power")), t(Text("我方份额(%)", "Share of wallet (%)")),
               t(Text("未开发份额(万元)", "Untapped wallet")), t(Text("在途商机(万元)", "Open pipeline"))]
    formats = ["text", "text", "text", "money", "pct", "money", "money"]

    def rows(accounts):
        return [[a.customer, a.owner, t.choice("customers", "account_type", a.type), a.buying_power,
                 a.share_of_wallet, a.untapped, a.open_pipeline] for a in accounts]
    by_type = [[t.choice("customers", "account_type", g.type) or t(Text("未填类型", "No type")), g.accounts, g.buying_power,
                g.share_of_wallet, g.untapped, g.open_pipeline] for g in s.accounts.by_type]
    return [Table("accounts_by_type", t(Text("按客户类型（RAD）", "Accounts by type (RAD)")),
                  [t(Text("客户类型", "Account type")), t(Text("客户数", "Accounts")), t(Text("年度采购量(万元)", "Buying power")),
                   t(Text("我方份额(%)", "Share of wallet (%)")), t(Text("未开发份额(万元)", "Untapped wallet")),
                   t(Text("在途商机(万元)", "Open pipeline"))],
                  by_type, ["text", "int", "money", "pct", "money", "money"], sheet="accounts"),
            Table("top_development", t(Text(f"TOP {TOP_DEVELOPMENT} 发展型客户（总监直接介入）",
                                            f"Top {TOP_DEVELOPMENT} development accounts (the director's own)")),
                  headers, rows(s.accounts.top_development), formats, sheet="accounts"),
            Table("untapped", t(Text("未开发份额 = 年度采购量 × (1 − 我方份额)", "Untapped wallet = buying power × (1 − share)")),
                  headers, rows(s.accounts.untapped), formats, sheet="accounts")]
