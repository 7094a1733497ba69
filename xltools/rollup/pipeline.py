"""The pipeline's figures: open, weighted and won amounts by stage, the forecast by period, the win rate and
the customers with the most open pipeline.

- **Open** opportunity: stage is not 6 收回全款 and the forecast is neither 已成交 nor 丢单.
  **Won**: forecast 已成交 or stage 6. **Lost**: forecast 丢单.
- A won deal's **closed date** is its 交付日期 when filled, else its 预计签约时间. Closed this
  month = won deals whose closed date falls in the as_of month.
- **Weighted** amount = amount × (the row's 赢率 when filled, else the stage's default) / 100.
- **Funnel** (``pipeline.by_stage``): stages 1-5 hold the open pipeline; the stage-6 row
  holds the deals won this month, whatever stage they were left at, weighted at 100%.
  So stages 1-5 add up to ``open_amount`` and stage 6 equals ``closed_won_amount``.
- **Forecast** categories by period: a won deal counts on its closed date, every other deal
  on its 预计签约时间; a deal without a forecast counts as 管道 (stage 6 as 已成交).
- **Win rate** counts every won and lost deal in the store: won ÷ (won + lost) × 100.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from xltools.forms.config import Config
from xltools.forms.schema import load_schema, vocabulary
from xltools.rollup.frames import as_text, latest, month_span, pct, quarter_label, quarter_span, total, within
from xltools.rollup.model import Forecast, Pipeline, ReasonRow, StageRow, TopCustomer, WinRate

# The business vocabulary, by role in forms.yaml.
WON_STAGE = vocabulary("pipeline", "stage", "won")
COMMIT, UPSIDE, PIPELINE, CLOSED_WON, LOST = (vocabulary("pipeline", "forecast", role)
                                              for role in ("commit", "upside", "pipeline", "won", "lost"))
FORECASTS = [COMMIT, UPSIDE, PIPELINE, CLOSED_WON, LOST]
TOP_CUSTOMERS = 20


def stages() -> list[str]:
    """The funnel stages in order, from the schema."""
    return load_schema().sheets["pipeline"].field("stage").choice_values()


def stage_number(stage: Any) -> int | None:
    """The number a stage starts with (3 for "3 方案报价"); None for a blank or unnumbered stage."""
    match = re.match(r"\s*(\d)", as_text(stage))
    return int(match.group(1)) if match else None


def classify(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Open / won / lost, the probability used, the weighted amount and the closed date."""
    f = frame.copy()
    f["amount"] = f["amount"].fillna(0.0)
    f["won"] = (f["forecast"] == CLOSED_WON) | (f["stage"] == WON_STAGE)
    f["lost"] = (f["forecast"] == LOST) & ~f["won"]
    f["open"] = ~f["won"] & ~f["lost"]
    default = f["stage"].map(lambda s: config.stage_probability.get(s, 0.0)).astype(float)
    f["probability"] = f["win_probability"].fillna(default)
    f["weighted"] = (f["amount"] * f["probability"] / 100).where(f["open"], f["amount"].where(f["won"], 0.0))
    delivered = f["delivered"] if "delivered" in f else pd.Series(pd.NaT, index=f.index)
    f["closed_on"] = delivered.fillna(f["expected_close"]).where(f["won"])
    f["category"] = f["forecast"].where(f["forecast"].isin(FORECASTS), PIPELINE).where(~f["won"], CLOSED_WON)
    f["period_day"] = f["closed_on"].where(f["won"], f["expected_close"])
    return f


def pipeline_totals(pipe: pd.DataFrame, month: tuple) -> Pipeline:
    open_ = pipe[pipe["open"]]
    won_month = pipe[pipe["won"] & within(pipe["closed_on"], month)]
    by_stage = []
    for stage in stages():
        part = won_month if stage == WON_STAGE else open_[open_["stage"] == stage]
        by_stage.append(StageRow(stage, len(part), total(part["amount"]), total(part["weighted"])))
    return Pipeline(total(open_["amount"]), total(open_["weighted"]), len(open_), by_stage)


def forecast_by_period(pipe: pd.DataFrame, as_of: dt.date) -> Forecast:
    def by_category(period) -> dict[str, float]:
        part = pipe[within(pipe["period_day"], period)]
        return {c: total(part[part["category"] == c]["amount"]) for c in FORECASTS}

    return Forecast(f"{as_of:%Y-%m}", quarter_label(as_of), by_category(month_span(as_of)), by_category(quarter_span(as_of)))


def win_rate(pipe: pd.DataFrame) -> WinRate:
    closed = pipe[pipe["won"] | pipe["lost"]].assign(reason=lambda f: f["win_loss_reason"].map(as_text))
    won, lost = int(closed["won"].sum()), int(closed["lost"].sum())
    reasons = [ReasonRow(reason, int(g["won"].sum()), int(g["lost"].sum())) for reason, g in closed.groupby("reason")]
    reasons.sort(key=lambda r: (-(r.won + r.lost), r.reason))
    return WinRate(won, lost, pct(won, won + lost), reasons)


def top_customers(pipe: pd.DataFrame, customers: pd.DataFrame) -> list[TopCustomer]:
    """The customers with the most open pipeline: aggregated in one pass, described only for the top."""
    open_ = pipe[pipe["open"] & (pipe["ckey"] != "")].assign(name=lambda f: f["customer"].map(as_text))
    if open_.empty:
        return []
    totals = open_.groupby("ckey").agg(open_pipeline=("amount", "sum"), weighted=("weighted", "sum"),
                                       projects=("amount", "size"), name=("name", "min"))
    info = latest(customers[customers["ckey"] != ""], ["ckey"]).set_index("ckey")
    totals["name"] = [as_text(info.at[k, "customer"]) if k in info.index else n for k, n in zip(totals.index, totals["name"])]
    top = totals.assign(neg=-totals["open_pipeline"]).sort_values(["neg", "name"], kind="stable").head(TOP_CUSTOMERS)
    return [_top_customer(key, row, open_, info) for key, row in top.iterrows()]


def _top_customer(key: str, row: pd.Series, open_: pd.DataFrame, info: pd.DataFrame) -> TopCustomer:
    known = info.loc[key] if key in info.index else None
    owner = as_text(known["owner"]) if known is not None else "、".join(sorted(set(open_.loc[open_["ckey"] == key, "rep"])))
    return TopCustomer(
        customer=row["name"], owner=owner,
        grade=(as_text(known["grade"]) or None) if known is not None else None,
        buying_power=None if known is None or pd.isna(known["buying_power"]) else float(known["buying_power"]),
        open_pipeline=float(row["open_pipeline"]), weighted_pipeline=float(row["weighted"]),
        projects=int(row["projects"]))
