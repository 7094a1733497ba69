"""Account analysis by RAD type (seed 001): what each kind of account buys, what share of it is ours, and where
the untapped wallet is.

Definitions:

- An **account** is a customer of customer information (matched by ``customer_key``; its latest row describes it).
  Its type is 客户类型: R 保持型 (retention), A 开拓型 (acquisition) or D 发展型 (development); a customer without
  one counts under "no type" (``type`` None).
- **Share of wallet** of a group = Σ BP × SOW ÷ Σ BP over its accounts with both filled (BP-weighted).
- **Untapped wallet** of an account = BP × (1 − SOW); None when either is blank.
- **Open pipeline** = the open deals' amount of the account (as ``rollup`` classifies them).
- **TOP 10 发展型**: the development accounts with the most untapped wallet, then buying power: the director
  looks after them in person ("总监直接介入 TOP10 D 类客户").
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from xltools.forms.schema import load_schema, vocabulary

TOP_DEVELOPMENT = 10
DEVELOPMENT = vocabulary("customers", "account_type", "development")


def account_types() -> list[str]:
    return load_schema().sheets["customers"].field("account_type").choice_values()


@dataclass
class AccountType:
    type: str | None
    accounts: int
    buying_power: float
    share_of_wallet: float | None
    untapped: float
    open_pipeline: float


@dataclass
class Account:
    customer: str
    owner: str
    type: str | None
    buying_power: float | None
    share_of_wallet: float | None
    untapped: float | None
    open_pipeline: float


@dataclass
class Accounts:
    by_type: list[AccountType]
    """One row per RAD type in schema order, then the accounts without a type when there are any."""
    untapped: list[Account]
    """Every account with a known untapped wallet, the largest first."""
    top_development: list[Account]


def account_analysis(customers: pd.DataFrame, pipe: pd.DataFrame) -> Accounts:
    """The RAD tables from the store's customer rows (typed as ``rollup`` does) and its classified pipeline."""
    accounts = _accounts(customers, pipe)
    with_untapped = sorted((a for a in accounts if a.untapped is not None), key=lambda a: (-a.untapped, a.customer))
    development = sorted((a for a in accounts if a.type == DEVELOPMENT),
                         key=lambda a: (-(a.untapped or 0), -(a.buying_power or 0), a.customer))
    types = account_types() + ([None] if any(a.type is None for a in accounts) else [])
    return Accounts([_by_type(t, [a for a in accounts if a.type == t]) for t in types], with_untapped,
                    development[:TOP_DEVELOPMENT])


def _accounts(customers: pd.DataFrame, pipe: pd.DataFrame) -> list[Account]:
    known = customers[customers["ckey"] != ""].sort_values("order", kind="stable").drop_duplicates("ckey", keep="last")
    open_by_customer = pipe[pipe["open"]].groupby("ckey")["amount"].sum()
    return [_account(row, float(open_by_customer.get(row["ckey"], 0.0))) for row in known.to_dict("records")]


def _account(row: dict, open_pipeline: float) -> Account:
    bp, sow = _number(row.get("buying_power")), _number(row.get("share_of_wallet"))
    untapped = bp * (1 - sow / 100) if bp is not None and sow is not None else None
    return Account(str(row["customer"]).strip(), _str(row.get("owner")), _str(row.get("account_type")) or None,
                   bp, sow, untapped, open_pipeline)


def _by_type(account_type: str | None, accounts: list[Account]) -> AccountType:
    both = [a for a in accounts if a.untapped is not None]
    wallet = sum(a.buying_power for a in both)
    share = sum(a.buying_power * a.share_of_wallet for a in both) / wallet if wallet else None
    return AccountType(account_type, len(accounts), sum(a.buying_power or 0 for a in accounts), share,
                       sum(a.untapped for a in both), sum(a.open_pipeline for a in accounts))


def _number(value) -> float | None:
    number = pd.to_numeric(value, errors="coerce")
    return None if pd.isna(number) else float(number)


def _str(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()
