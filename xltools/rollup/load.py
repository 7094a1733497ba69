"""Reading the store for the summary: every table it needs, once, with typed dates and numbers, and each row's
rep (its own owner field, else its file's rep) and customer key.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from xltools.forms.model import customer_key
from xltools.store.interface import QUARANTINED, Store


@dataclass
class StoreData:
    pipeline: pd.DataFrame
    customers: pd.DataFrame
    visits: pd.DataFrame
    presale_visits: pd.DataFrame
    targets: pd.DataFrame
    objections: pd.DataFrame
    contracts: pd.DataFrame
    collections: pd.DataFrame
    rebates: pd.DataFrame
    findings: pd.DataFrame
    held: dict[str, pd.DataFrame]
    """Form -> its quarantined rows (pipeline and contracts: the money left out)."""
    snapshots: pd.DataFrame
    runs: pd.DataFrame
    files: list


# The forms whose amounts make the totals: their dates, numbers and rep field.
_MONEY_FORMS = {"pipeline": (["expected_close", "delivered"], ["amount", "win_probability", "margin"], "owner"),
                "contracts": (["submitted", "decided"], ["amount"], "submitter")}


def load(store: Store) -> StoreData:
    """Read every table the summary needs, once, with typed dates and numbers."""
    files = list(store.files().values())
    active = {f.id for f in files if f.status == "active"}
    findings = store.findings()
    findings = findings[findings["file_id"].isin(active) | findings["file_id"].isna()]
    return StoreData(
        pipeline=_typed(store.frame("pipeline"), *_MONEY_FORMS["pipeline"]),
        customers=_typed(store.frame("customers"), ["next_follow_up"], ["buying_power", "share_of_wallet"], "owner"),
        visits=_typed(store.frame("visits"), ["date", "next_visit"], ["satisfaction"], "visitor"),
        presale_visits=_typed(store.frame("presale_visits"), ["date", "next_visit"], [], "visitor"),
        targets=_typed(store.frame("targets"), ["month"], ["sales_target", "visits", "new_customers",
                                                          "margin_target"], "rep"),
        objections=_typed(store.frame("objections"), ["raised", "resolve_by"], [], "owner"),
        contracts=_typed(store.frame("contracts"), *_MONEY_FORMS["contracts"]),
        collections=_typed(store.frame("collections"), ["planned_date", "received_date"],
                           ["planned_amount", "received_amount"], "owner"),
        rebates=_typed(store.frame("rebates"), ["applied", "decided"], ["rate", "amount"], "applicant"),
        findings=findings.assign(rep=findings["rep"].fillna("").astype(str)),
        snapshots=_typed(store.snapshots(), ["as_of", "expected_close"], ["amount", "win_probability"], "owner"),
        runs=store.runs(),
        held={form: _typed(store.frame(form, (QUARANTINED,)), *typing) for form, typing in _MONEY_FORMS.items()},
        files=files,
    )


def _typed(frame: pd.DataFrame, dates: list[str], numbers: list[str], rep_field: str) -> pd.DataFrame:
    """ISO text to Timestamps, numbers to floats; every row gets a rep and a customer key."""
    frame = frame.copy()
    for col in dates:
        frame[col] = pd.to_datetime(frame[col], errors="coerce", format="ISO8601")
    for col in numbers:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    # The row's own rep (its owner field) wins; the file's rep fills the gaps.
    own = frame[rep_field] if rep_field in frame else pd.Series(None, index=frame.index, dtype=object)
    lineage = frame["_rep"] if "_rep" in frame else pd.Series(None, index=frame.index, dtype=object)
    frame["rep"] = own.where(own.notna() & (own.astype(str) != ""), lineage).fillna("").astype(str)
    if "customer" in frame:
        frame["ckey"] = [customer_key(c) if isinstance(c, str) else "" for c in frame["customer"]]
    frame["order"] = range(len(frame))     # the store's row order, for stable "latest" picks
    return frame


def latest_run_day(runs: pd.DataFrame) -> dt.date | None:
    days = pd.to_datetime(runs["as_of"], errors="coerce", format="ISO8601").dropna() if len(runs) else []
    return max(days).date() if len(days) else None
