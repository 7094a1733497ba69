"""Data quality for the manager to chase: errors and warnings per rep, each one about a row, and the pipeline and
contract rows left out of the totals (quarantined) by their first error.
"""
from __future__ import annotations

import pandas as pd

from xltools.rollup.frames import as_text, total
from xltools.rollup.model import LeftOut, QualityFinding, QualityRow
from xltools.text import Text


def money_left_out(held: dict[str, pd.DataFrame], findings: pd.DataFrame) -> list[LeftOut]:
    """Quarantined pipeline and contract rows by their first error (a contract's amount once)."""
    errors = findings[findings["severity"] == "error"].drop_duplicates(["file", "form", "row"])
    reason = {(f, form, int(row)): code for f, form, row, code
              in errors[["file", "form", "row", "code"]].itertuples(index=False) if pd.notna(row)}
    found = []
    for form, rows in held.items():
        rows = rows.assign(code=[reason.get((f, form, int(r)), "") for f, r in zip(rows["_file"], rows["_row"])])
        for code, group in rows.groupby("code", sort=True):
            money = group[~group.duplicated("contract_id") | group["contract_id"].isna()] if form == "contracts" else group
            found.append(LeftOut(form, str(code), len(group), total(money["amount"])))
    return found


def findings_to_fix(findings: pd.DataFrame) -> list[QualityFinding]:
    rows = findings[findings["severity"].isin(["error", "warning"]) & findings["row"].notna()]
    found = [QualityFinding(r["rep"], as_text(r["customer"]), as_text(r["row_key"]), r["code"],
                            Text(r["message_zh"], r["message_en"])) for r in rows.to_dict("records")]
    return sorted(found, key=lambda q: (q.rep, q.customer, q.key, q.code))


def quality_by_rep(findings: pd.DataFrame) -> list[QualityRow]:
    counted = findings[findings["severity"].isin(["error", "warning"])]
    rows = []
    for rep, group in counted.groupby("rep"):
        codes = group["code"].value_counts()
        rows.append(QualityRow(rep, int((group["severity"] == "error").sum()),
                               int((group["severity"] == "warning").sum()),
                               {str(k): int(codes[k]) for k in sorted(codes.index)}))
    return sorted(rows, key=lambda q: q.rep)
