"""rollup(): the numbers of the manager's summary, computed from the consolidated store.

Pure pandas over the store's rows (each table is read once); nothing here touches Excel.
``summary.write_summary`` lays the result out as a workbook, and the live Excel book
reuses the same tables.

Definitions where the process documents leave room:

- **as_of** defaults to the as-of date of the latest merge run (so the summary agrees with
  that merge's findings), else today. "This month" and "this quarter" are the calendar
  month and quarter of as_of.
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
- **Targets**: the rep's 销售指标 for the as_of month. remaining = max(target − closed, 0);
  coverage = open pipeline ÷ remaining × 100 (None without a remaining target), flagged
  below ``config.coverage_healthy``.
- **Commit accuracy** (week over week): the baseline is the latest snapshot whose as_of is
  at least 7 days before as_of (the latest run of that day). Over the window
  (baseline as_of, as_of]: commit = the baseline's open 承诺 amount expected to close in
  the window; closed = the amount won now with a closed date in the window;
  accuracy = closed ÷ commit × 100. The trend repeats this between snapshots 7+ days
  apart, from the snapshots alone (which hold no 交付日期, so 预计签约时间 dates them).
- **Win rate** counts every won and lost deal in the store: won ÷ (won + lost) × 100.
- **Contracts**: the chain is 销售经理审核 → 法务审核 → 总经理审批; 总经理审批 is needed from
  ``config.approval_gm_threshold`` 万元 or when the contract has that row. A contract is
  approved when every needed step is 同意, rejected on any 驳回, else pending at its first
  needed step not yet 同意; days_waiting counts from 提交时间. Cycle time: 提交时间 to the
  last 同意.
- **Follow-ups** (as the follow-up-overdue rule): each customer row's 下次跟进时间, and each
  customer's latest visit's 下次回访时间. Overdue: before as_of; due: as_of to as_of + 7.
- **Objections**: open = 状态 未解决 or blank; overdue = open with 计划解决时间 before as_of.
  A blank category counts as 其他.
- **Visits this month** count pre-sale visits (拜访客户详细资料表) and after-sales visits (客户回访记录表) dated
  in as_of's month up to as_of. Satisfaction averages after-sales visits dated up to as_of. Findings count for
  files still active.
- **Changes** since a reference snapshot (the weekly review: kinds per deal, the open pipeline's
  waterfall, stalled deals, the weekly trend) are defined in ``changes.py``.
- **Accounts** by RAD type (buying power, share of wallet, untapped wallet, TOP 10 发展型) are defined in
  ``accounts.py``.
- **Activity** against the targets' visit, new-customer and sales goals per rep and period: ``activity.py``.
- **Submissions**: each rep's last change against the weekly deadline: ``submissions.py``.
- **Conversion** between stages, days per stage, the sales cycle and the open pipeline's monthly growth, from the
  snapshots, are defined in ``conversion.py``.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from xltools.rollup.accounts import Accounts, account_analysis
from xltools.rollup.activity import ActivityRow, activity
from xltools.forms.config import Config, rebate_rate  # noqa: F401  (rebate_rate: its home was here)
from xltools.rollup.conversion import Conversion, funnel_conversion
from xltools.ingest.submissions import Submissions, submissions
from xltools.forms.model import customer_key
from xltools.forms.schema import load_schema, vocabulary
from xltools.store import open_store
from xltools.store.interface import QUARANTINED, Store
from xltools.store.locations import is_url

if TYPE_CHECKING:
    from xltools.rollup.changes import Changes
    from xltools.rollup.receivables import Collections, Rebate

# The business vocabulary, by role in forms.yaml.
WON_STAGE = vocabulary("pipeline", "stage", "won")
COMMIT, UPSIDE, PIPELINE, CLOSED_WON, LOST = (vocabulary("pipeline", "forecast", role)
                                              for role in ("commit", "upside", "pipeline", "won", "lost"))
FORECASTS = [COMMIT, UPSIDE, PIPELINE, CLOSED_WON, LOST]
APPROVAL_CHAIN = load_schema().sheets["contracts"].field("step").choice_values()
GM_STEP = vocabulary("contracts", "step", "general-manager")
AGREED, REJECTED = vocabulary("contracts", "decision", "agreed"), vocabulary("contracts", "decision", "rejected")
RESOLVED = vocabulary("objections", "status", "resolved")
OTHER_CATEGORY = "其他"
BASELINE_DAYS = 7
DUE_DAYS = 7
TOP_CUSTOMERS = 20
TREND_POINTS = 8


def stages() -> list[str]:
    """The funnel stages in order, from the schema."""
    return load_schema().sheets["pipeline"].field("stage").choice_values()


def objection_categories() -> list[str]:
    return load_schema().sheets["objections"].field("category").choice_values()


# Result
@dataclass
class StageRow:
    stage: str
    count: int
    amount: float
    weighted_amount: float


@dataclass
class Pipeline:
    open_amount: float
    weighted_amount: float
    open_count: int
    by_stage: list[StageRow]


@dataclass
class Forecast:
    month_label: str                  # "2024-04"
    quarter_label: str                # "2024Q2"
    month: dict[str, float]           # forecast category -> amount, in FORECASTS order
    quarter: dict[str, float]


@dataclass
class RepRow:
    rep: str
    customers_a: int
    customers_b: int
    customers_c: int
    visits_this_month: int
    overdue_follow_ups: int
    open_pipeline: float
    weighted_pipeline: float
    commit: float
    closed_this_month: float
    target: float | None
    attainment: float | None
    remaining_target: float | None
    coverage: float | None
    coverage_flag: bool
    avg_satisfaction: float | None
    open_objections: int
    overdue_objections: int
    errors: int
    warnings: int


@dataclass
class Slip:
    project_id: str
    customer: str
    owner: str
    amount: float
    was: dt.date | None
    now: dt.date | None


@dataclass
class LostDeal:
    project_id: str
    customer: str
    owner: str
    amount: float
    was: str                          # the forecast category at the baseline
    reason: str


@dataclass
class TrendPoint:
    as_of: dt.date
    commit: float
    closed: float


@dataclass
class CommitAccuracy:
    value: float | None
    healthy: bool | None
    baseline_run: int | None
    baseline_as_of: dt.date | None
    commit: float                     # the baseline's 承诺 due in the window
    closed: float                     # won in the window
    slipped: list[Slip] = field(default_factory=list)
    lost: list[LostDeal] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)


@dataclass
class ReasonRow:
    reason: str
    won: int
    lost: int


@dataclass
class WinRate:
    won: int
    lost: int
    rate: float | None
    reasons: list[ReasonRow]


@dataclass
class TopCustomer:
    customer: str
    owner: str
    grade: str | None
    buying_power: float | None
    open_pipeline: float
    weighted_pipeline: float
    projects: int


@dataclass
class ObjectionType:
    category: str
    count: int
    open: int


@dataclass
class OverdueObjection:
    customer: str
    category: str
    objection: str
    owner: str
    raised: dt.date | None
    resolve_by: dt.date
    days_overdue: int


@dataclass
class Objections:
    by_type: list[ObjectionType]
    overdue: list[OverdueObjection]


@dataclass
class PendingContract:
    contract_id: str
    customer: str
    submitter: str
    amount: float
    step: str
    submitted: dt.date | None
    days_waiting: int | None
    quarantined: bool = False
    """Some of its rows have errors: listed here, but out of the totals (see ``left_out``)."""


@dataclass
class LeftOut:
    """Rows of one form left out of the totals (quarantined) for one reason: their first error."""
    form: str                         # pipeline | contracts
    code: str
    rows: int
    amount: float                     # 万元; a contract's amount counted once


@dataclass
class Contracts:
    pending: list[PendingContract]
    approved: int
    rejected: int
    cycle_days_avg: float | None


@dataclass
class OverdueFollowUp:
    rep: str
    customer: str
    due: dt.date
    kind: str                         # customer | visit
    days_overdue: int


@dataclass
class DueFollowUp:
    rep: str
    customer: str
    due: dt.date
    kind: str
    days_left: int


@dataclass
class FollowUps:
    overdue: list[OverdueFollowUp]
    due_7d: list[DueFollowUp]


@dataclass
class QualityRow:
    rep: str
    errors: int
    warnings: int
    by_code: dict[str, int]


@dataclass
class QualityFinding:
    """One error or warning about a row, for the manager to chase: whose, which customer, which row."""
    rep: str
    customer: str               # "" where the row has none
    key: str                    # the contract, project, or rep and month; "" where it has none
    code: str
    message: dict[str, str]     # by language, as the merge wrote it


@dataclass
class Summary:
    as_of: dt.date
    pipeline: Pipeline
    closed_won_amount: float
    forecast: Forecast
    reps: list[RepRow]
    commit_accuracy: CommitAccuracy
    win_rate: WinRate
    top_customers: list[TopCustomer]
    objections: Objections
    contracts: Contracts
    follow_ups: FollowUps
    satisfaction_avg: float | None
    rebates: list[Rebate]
    """On money received (``receivables.py``)."""
    quality: list[QualityRow]
    collections: Collections | None = None
    """Contracted, received, receivable and overdue money (``receivables.py``); always set by ``rollup``."""
    changes: Changes | None = None
    """What moved since the reference snapshot (the weekly review); always set by ``rollup``."""
    accounts: Accounts | None = None
    """Accounts by RAD type (``accounts.py``); always set by ``rollup``."""
    activity: list[ActivityRow] = field(default_factory=list)
    """Visits, new customers, closed and margin against the targets per rep, by month, quarter, year (``activity.py``)."""
    to_fix: list[QualityFinding] = field(default_factory=list)
    """Each error and warning about a row (the 数据质量 sheet lists them), by rep, customer and key."""
    conversion: Conversion | None = None
    """Stage-to-stage conversion, days per stage, sales cycle, pipeline growth (``conversion.py``); set by ``rollup``."""
    left_out: list[LeftOut] = field(default_factory=list)
    """Pipeline and contract rows out of the totals (quarantined), by reason; listed in the master's 待修正."""
    submissions: Submissions = field(default_factory=Submissions)
    """Each rep's last change and whether it met the weekly deadline (``submissions.py``)."""
    config: Config = field(default_factory=Config)
    """The thresholds the numbers were computed with (the labels name them); not in ``to_dict``."""

    def to_dict(self) -> dict:
        """JSON-ready: dates as ISO text, floats rounded to 2 places; adds the team's attainment."""
        plain = {k: v for k, v in _plain_fields(self).items() if k != "config"}
        return _plain({**plain, "attainment": self.attainment, "submissions": self.submissions.to_dict()})

    @property
    def attainment(self) -> float | None:
        """The team's closed this month ÷ the sum of its targets × 100."""
        targets = [r.target for r in self.reps if r.target]
        return _pct(self.closed_won_amount, sum(targets)) if targets else None

    @property
    def overdue_follow_ups(self) -> int:
        return len(self.follow_ups.overdue)


def _plain_fields(value: Any) -> dict:
    return {f.name: getattr(value, f.name) for f in fields(value)}


def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return _plain(_plain_fields(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) else excel_round(value)
    return value


def excel_round(value: float, places: int = 2) -> float:
    """Rounded as Excel shows it with 0.00 (half away from zero, on the 15 digits Excel keeps), so
    the JSON says what the summary workbook shows: 151.125 is 151.13, where round() gives 151.12."""
    exact = Decimal(f"{value:.15g}").quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return float(exact)


# Entry point
def rollup(store: Store | str | Path, as_of: dt.date | None = None, config: Config | None = None,
           since: dt.date | None = None) -> Summary:
    """Compute the summary of the store's merged rows as of a day.

    :param store: an open store, or the path or URL of one (opened and closed here).
    :param as_of: the day the summary is for; default: the latest merge run's as-of date.
    :param since: the day of the reference snapshot for the pipeline changes (``changes.py``).
    :raises FileNotFoundError: no store at that path (a summary never creates one).
    """
    if not hasattr(store, "frame"):
        if not is_url(store) and not Path(store).is_file():
            raise FileNotFoundError(f"no store at {store}")
        db = open_store(store, read_only=True)
        try:
            return rollup(db, as_of, config, since)
        finally:
            db.close()
    config = config or Config()
    with store.reading():                   # one consistent state, even while a merge commits
        data = _load(store)
    as_of = as_of or _latest_run_day(data.runs) or dt.date.today()
    return _summarise(data, as_of, config, since)


@dataclass
class _Data:
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


def _load(store: Store) -> _Data:
    """Read every table the summary needs, once, with typed dates and numbers."""
    files = list(store.files().values())
    active = {f.id for f in files if f.status == "active"}
    findings = store.findings()
    findings = findings[findings["file_id"].isin(active) | findings["file_id"].isna()]
    return _Data(
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


def _latest_run_day(runs: pd.DataFrame) -> dt.date | None:
    days = pd.to_datetime(runs["as_of"], errors="coerce", format="ISO8601").dropna() if len(runs) else []
    return max(days).date() if len(days) else None


def _summarise(data: _Data, as_of: dt.date, config: Config, since: dt.date | None = None) -> Summary:
    from xltools.rollup.changes import pipeline_changes      # changes.py and receivables.py build on this module's helpers
    from xltools.rollup.receivables import collections, rebates
    pipe = _classify(data.pipeline, config)
    snaps = _classify(data.snapshots, config)
    month = _month(as_of)
    follow_ups = _follow_ups(data.customers, data.visits, as_of)
    states = _contract_states(data.contracts, config)
    held = set(data.held["contracts"]["contract_id"].dropna().astype(str))
    return Summary(
        as_of=as_of,
        pipeline=_pipeline(pipe, month),
        closed_won_amount=_sum(pipe[pipe["won"] & _within(pipe["closed_on"], month)]["amount"]),
        forecast=_forecast(pipe, as_of),
        reps=_reps(data, pipe, follow_ups, as_of, config),
        commit_accuracy=_commit_accuracy(pipe, snaps, as_of, config),
        win_rate=_win_rate(pipe),
        top_customers=_top_customers(pipe, data.customers),
        objections=_objections(data.objections, as_of),
        contracts=_contracts(_contract_states(pd.concat([data.contracts, data.held["contracts"]]), config)
                             if held else states, as_of, held),
        follow_ups=follow_ups,
        satisfaction_avg=_mean(_visits_to(data.visits, as_of)["satisfaction"]),
        rebates=rebates(states, data.collections, data.rebates, config),
        collections=collections(data.collections, states, as_of),
        quality=_quality(data.findings),
        to_fix=_to_fix(data.findings),
        changes=pipeline_changes(pipe, snaps, as_of, config, since),
        accounts=account_analysis(data.customers, pipe),
        conversion=funnel_conversion(snaps, as_of),
        activity=activity(data.customers, _all_visits(data), data.targets, pipe, data.runs, as_of),
        submissions=submissions(data.files, data.targets, as_of, config.submission_deadline),
        left_out=_left_out(data.held, data.findings),
        config=config,
    )


# Periods
def _month(day: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(day.year, day.month, 1)
    return start, start + pd.offsets.MonthEnd(0)


def _quarter(day: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return start, start + pd.offsets.QuarterEnd(0)


def _within(dates: pd.Series, period: tuple) -> pd.Series:
    """Inclusive at both ends; a missing date is in no period."""
    start, end = (pd.Timestamp(p) for p in period)
    return (dates >= start) & (dates <= end)


def _after_until(dates: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    """In the window (start, end]: a snapshot's own day belongs to the previous window."""
    return (dates > pd.Timestamp(start)) & (dates <= pd.Timestamp(end))


# Small numeric helpers: plain Python values, never numpy scalars
def _sum(values: pd.Series) -> float:
    return float(values.fillna(0).sum())


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def _pct(part: float, whole: float | None) -> float | None:
    return part / whole * 100 if whole else None


def _day(value: Any) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()


def _latest(frame: pd.DataFrame, by: list[str], sort: list[str] | None = None) -> pd.DataFrame:
    """The last row of each group, by ``sort`` then store order."""
    return frame.sort_values((sort or []) + ["order"], kind="stable").drop_duplicates(by, keep="last")


# Pipeline
def _classify(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
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


def _pipeline(pipe: pd.DataFrame, month: tuple) -> Pipeline:
    open_ = pipe[pipe["open"]]
    won_month = pipe[pipe["won"] & _within(pipe["closed_on"], month)]
    by_stage = []
    for stage in stages():
        part = won_month if stage == WON_STAGE else open_[open_["stage"] == stage]
        by_stage.append(StageRow(stage, len(part), _sum(part["amount"]), _sum(part["weighted"])))
    return Pipeline(_sum(open_["amount"]), _sum(open_["weighted"]), len(open_), by_stage)


def _forecast(pipe: pd.DataFrame, as_of: dt.date) -> Forecast:
    def by_category(period) -> dict[str, float]:
        part = pipe[_within(pipe["period_day"], period)]
        return {c: _sum(part[part["category"] == c]["amount"]) for c in FORECASTS}

    quarter = f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}"
    return Forecast(f"{as_of:%Y-%m}", quarter, by_category(_month(as_of)), by_category(_quarter(as_of)))


def _win_rate(pipe: pd.DataFrame) -> WinRate:
    closed = pipe[pipe["won"] | pipe["lost"]].assign(reason=lambda f: f["win_loss_reason"].map(_text))
    won, lost = int(closed["won"].sum()), int(closed["lost"].sum())
    reasons = [ReasonRow(reason, int(g["won"].sum()), int(g["lost"].sum())) for reason, g in closed.groupby("reason")]
    reasons.sort(key=lambda r: (-(r.won + r.lost), r.reason))
    return WinRate(won, lost, _pct(won, won + lost), reasons)


def _top_customers(pipe: pd.DataFrame, customers: pd.DataFrame) -> list[TopCustomer]:
    """The customers with the most open pipeline: aggregated in one pass, described only for the top."""
    open_ = pipe[pipe["open"] & (pipe["ckey"] != "")].assign(name=lambda f: f["customer"].map(_text))
    if open_.empty:
        return []
    totals = open_.groupby("ckey").agg(open_pipeline=("amount", "sum"), weighted=("weighted", "sum"),
                                       projects=("amount", "size"), name=("name", "min"))
    info = _latest(customers[customers["ckey"] != ""], ["ckey"]).set_index("ckey")
    totals["name"] = [_text(info.at[k, "customer"]) if k in info.index else n for k, n in zip(totals.index, totals["name"])]
    top = totals.assign(neg=-totals["open_pipeline"]).sort_values(["neg", "name"], kind="stable").head(TOP_CUSTOMERS)
    return [_top_customer(key, row, open_, info) for key, row in top.iterrows()]


def _top_customer(key: str, row: pd.Series, open_: pd.DataFrame, info: pd.DataFrame) -> TopCustomer:
    known = info.loc[key] if key in info.index else None
    owner = _text(known["owner"]) if known is not None else "、".join(sorted(set(open_.loc[open_["ckey"] == key, "rep"])))
    return TopCustomer(
        customer=row["name"], owner=owner,
        grade=(_text(known["grade"]) or None) if known is not None else None,
        buying_power=None if known is None or pd.isna(known["buying_power"]) else float(known["buying_power"]),
        open_pipeline=float(row["open_pipeline"]), weighted_pipeline=float(row["weighted"]),
        projects=int(row["projects"]))


# Commit accuracy
def _commit_accuracy(pipe: pd.DataFrame, snaps: pd.DataFrame, as_of: dt.date, config: Config) -> CommitAccuracy:
    trend = _trend(snaps, _weekly_snapshots(snaps, as_of))
    baseline = _baseline(snaps, as_of)
    if baseline is None:
        return CommitAccuracy(None, None, None, None, 0.0, 0.0, trend=trend)
    run, day = baseline
    base = snaps[snaps["run_id"] == run]
    commit = _commit_due(base, day, as_of)
    closed = _sum(pipe[pipe["won"] & _after_until(pipe["closed_on"], day, as_of)]["amount"])
    value = _pct(closed, commit)
    low, high = config.commit_accuracy_range
    return CommitAccuracy(value, None if value is None else low <= value <= high, int(run), day, commit, closed,
                          _slipped(base, pipe), _lost_since(base, pipe), trend)


def _snapshot_days(snaps: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Snapshot day -> its latest run, for days up to as_of (several runs a day count once)."""
    return snaps[snaps["as_of"] <= pd.Timestamp(as_of)].groupby("as_of")["run_id"].max().sort_index()


def _baseline(snaps: pd.DataFrame, as_of: dt.date) -> tuple[int, dt.date] | None:
    """The latest snapshot taken at least BASELINE_DAYS before as_of (by its as_of)."""
    days = _snapshot_days(snaps, as_of - dt.timedelta(days=BASELINE_DAYS))
    return (int(days.iloc[-1]), days.index[-1].date()) if len(days) else None


def _weekly_snapshots(snaps: pd.DataFrame, as_of: dt.date) -> list[tuple[int, dt.date]]:
    """(run, day) of the latest snapshot up to as_of, then each one 7+ days before the last; oldest first."""
    days = _snapshot_days(snaps, as_of)
    chain: list[tuple[int, dt.date]] = []
    for day, run in reversed(list(days.items())):
        day = day.date()
        if not chain or day <= chain[-1][1] - dt.timedelta(days=BASELINE_DAYS):
            chain.append((int(run), day))
    # Keep enough snapshots for TREND_POINTS windows.
    return list(reversed(chain[: TREND_POINTS + 1]))


def _commit_due(snap: pd.DataFrame, start: dt.date, end: dt.date) -> float:
    committed = snap[snap["open"] & (snap["forecast"] == COMMIT) & _after_until(snap["expected_close"], start, end)]
    return _sum(committed["amount"])


def _trend(snaps: pd.DataFrame, chain: list[tuple[int, dt.date]]) -> list[TrendPoint]:
    points = []
    for (run_before, before), (run_after, after) in zip(chain, chain[1:]):
        later = snaps[snaps["run_id"] == run_after]
        closed = later[later["won"] & _after_until(later["expected_close"], before, after)]
        points.append(TrendPoint(after, _commit_due(snaps[snaps["run_id"] == run_before], before, after),
                                 _sum(closed["amount"])))
    return points[-TREND_POINTS:]


def _by_project(frame: pd.DataFrame) -> pd.DataFrame:
    return _latest(frame[frame["project_id"].notna()], ["project_id"]).set_index("project_id")


def _then_and_now(base: pd.DataFrame, pipe: pd.DataFrame) -> pd.DataFrame:
    """Projects in both the baseline and now; the baseline's columns end in ``_then``."""
    return _by_project(base).merge(_by_project(pipe), left_index=True, right_index=True, suffixes=("_then", ""))


def _slipped(base: pd.DataFrame, pipe: pd.DataFrame) -> list[Slip]:
    both = _then_and_now(base, pipe)
    moved = both[both["open"] & (both["expected_close"] > both["expected_close_then"])]
    slips = [Slip(str(pid), _text(r["customer"]), r["rep"], float(r["amount"]),
                  _day(r["expected_close_then"]), _day(r["expected_close"])) for pid, r in moved.iterrows()]
    return sorted(slips, key=lambda s: (-s.amount, s.project_id))


def _lost_since(base: pd.DataFrame, pipe: pd.DataFrame) -> list[LostDeal]:
    both = _then_and_now(base, pipe)
    gone = both[both["lost"] & ~both["lost_then"]]
    deals = [LostDeal(str(pid), _text(r["customer"]), r["rep"], float(r["amount"]), r["category_then"],
                      _text(r["win_loss_reason"])) for pid, r in gone.iterrows()]
    return sorted(deals, key=lambda d: (-d.amount, d.project_id))


# Reps
@dataclass
class _RepFrames:
    """The rows each per-rep column counts, already cut to as_of's month where it matters."""
    customers: pd.DataFrame            # one row per rep and customer
    visits: pd.DataFrame               # visits up to as_of
    visits_month: pd.DataFrame         # pre-sale and after-sales visits in as_of's month up to as_of
    open: pd.DataFrame
    won_month: pd.DataFrame
    objections: pd.DataFrame           # open ones, with an ``overdue`` column
    findings: pd.DataFrame
    targets: pd.Series                 # rep -> this month's target
    overdue_follow_ups: pd.Series      # rep -> count

    def names(self) -> list[str]:
        frames = (self.customers, self.visits, self.open, self.won_month, self.objections, self.findings)
        return sorted(({n for f in frames for n in f["rep"]} | set(self.targets.index)) - {""})


def _rep_frames(data: _Data, pipe: pd.DataFrame, follow_ups: FollowUps, as_of: dt.date) -> _RepFrames:
    month = _month(as_of)
    visits, every_visit = _visits_to(data.visits, as_of), _visits_to(_all_visits(data), as_of)
    targets = _latest(data.targets[_within(data.targets["month"], month)], ["rep"])
    return _RepFrames(
        customers=_latest(data.customers[data.customers["ckey"] != ""], ["rep", "ckey"]),
        visits=visits, visits_month=every_visit[_within(every_visit["date"], month)],
        open=pipe[pipe["open"]], won_month=pipe[pipe["won"] & _within(pipe["closed_on"], month)],
        objections=_open_objections(data.objections, as_of), findings=data.findings,
        targets=targets.set_index("rep")["sales_target"].dropna(),
        overdue_follow_ups=pd.Series([f.rep for f in follow_ups.overdue], dtype=object).value_counts())


def _reps(data: _Data, pipe: pd.DataFrame, follow_ups: FollowUps, as_of: dt.date, config: Config) -> list[RepRow]:
    frames = _rep_frames(data, pipe, follow_ups, as_of)
    split = _RepSplit()
    return [_rep_row(rep, frames, config, lambda frame: split(frame, rep)) for rep in frames.names()]


class _RepSplit:
    """Each frame split by rep once, not filtered again for every rep."""

    def __init__(self):
        self.parts: dict[int, tuple[pd.DataFrame, dict[str, pd.DataFrame]]] = {}

    def __call__(self, frame: pd.DataFrame, rep: str) -> pd.DataFrame:
        if id(frame) not in self.parts:
            self.parts[id(frame)] = (frame, dict(tuple(frame.groupby("rep", sort=False))))
        return self.parts[id(frame)][1].get(rep, frame.iloc[0:0])


def _rep_row(rep: str, f: _RepFrames, config: Config, mine) -> RepRow:
    target = float(f.targets[rep]) if rep in f.targets.index else None
    closed, open_amount = _sum(mine(f.won_month)["amount"]), _sum(mine(f.open)["amount"])
    remaining = max(target - closed, 0.0) if target is not None else None
    coverage = _pct(open_amount, remaining)
    grades = mine(f.customers)["grade"].value_counts()
    objections, severities = mine(f.objections), mine(f.findings)["severity"]
    return RepRow(
        rep=rep, customers_a=int(grades.get("A类", 0)), customers_b=int(grades.get("B类", 0)),
        customers_c=int(grades.get("C类", 0)), visits_this_month=len(mine(f.visits_month)),
        overdue_follow_ups=int(f.overdue_follow_ups.get(rep, 0)),
        open_pipeline=open_amount, weighted_pipeline=_sum(mine(f.open)["weighted"]),
        commit=_sum(mine(f.open)["amount"].where(mine(f.open)["forecast"] == COMMIT)), closed_this_month=closed,
        target=target, attainment=_pct(closed, target), remaining_target=remaining, coverage=coverage,
        coverage_flag=coverage is not None and coverage < config.coverage_healthy,
        avg_satisfaction=_mean(mine(f.visits)["satisfaction"]),
        open_objections=len(objections), overdue_objections=int(objections["overdue"].sum()),
        errors=int((severities == "error").sum()), warnings=int((severities == "warning").sum()))


def _all_visits(data: _Data) -> pd.DataFrame:
    """Every visit a rep made: pre-sale (拜访客户详细资料表) and after-sales (客户回访记录表)."""
    columns = ["date", "rep", "ckey"]
    return pd.concat([data.visits[columns], data.presale_visits[columns]], ignore_index=True)


def _visits_to(visits: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Visits that happened: a visit dated after as_of is a plan, not a visit."""
    return visits[visits["date"] <= pd.Timestamp(as_of)]


# Objections
def _open_objections(objections: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    open_ = objections[objections["status"] != RESOLVED].copy()
    open_["overdue"] = open_["resolve_by"] < pd.Timestamp(as_of)
    return open_


def _objections(objections: pd.DataFrame, as_of: dt.date) -> Objections:
    category = objections["category"].where(objections["category"].notna(), OTHER_CATEGORY)
    is_open = objections["status"] != RESOLVED
    by_type = [ObjectionType(c, int((category == c).sum()), int(((category == c) & is_open).sum()))
               for c in objection_categories()]
    overdue = [OverdueObjection(_text(r["customer"]), _text(r["category"]) or OTHER_CATEGORY, _text(r["objection"]),
                                r["rep"], _day(r["raised"]), _day(r["resolve_by"]),
                                (as_of - _day(r["resolve_by"])).days)
               for _, r in _open_objections(objections, as_of).query("overdue").iterrows()]
    overdue.sort(key=lambda o: (-o.days_overdue, o.customer, o.objection))
    return Objections(by_type, overdue)


# Contracts
@dataclass
class _Contract:
    contract_id: str
    customer: str
    submitter: str
    amount: float
    submitted: dt.date | None
    state: str                        # approved | rejected | pending
    step: str | None                  # the pending step
    approved_on: dt.date | None


def _contract_states(contracts: pd.DataFrame, config: Config) -> list[_Contract]:
    """Each contract's approval state, from its rows in chain order (plain records: a
    contract has a handful of rows, and there are thousands of contracts)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    ordered = contracts[contracts["contract_id"].notna()].sort_values(["contract_id", "order"], kind="stable")
    for row in ordered.to_dict("records"):
        groups[str(row["contract_id"])].append(row)
    return [_contract_state(cid, rows, config) for cid, rows in sorted(groups.items())]


def _contract_state(cid: str, rows: list[dict], config: Config) -> _Contract:
    amounts = [r["amount"] for r in rows if pd.notna(r["amount"])]
    amount = float(amounts[0]) if amounts else 0.0
    decisions = {r["step"]: (r["decision"], _day(r["decided"])) for r in rows}
    needed = APPROVAL_CHAIN[:2] + ([GM_STEP] if amount >= config.approval_gm_threshold or GM_STEP in decisions
                                   else [])
    waiting = next((s for s in needed if decisions.get(s, (None,))[0] != AGREED), None)
    state = "rejected" if any(d == REJECTED for d, _ in decisions.values()) else "pending" if waiting else "approved"
    agreed = [day for d, day in decisions.values() if d == AGREED and day]
    customers = [r["customer"] for r in rows if pd.notna(r["customer"])]
    submitted = [r["submitted"] for r in rows if pd.notna(r["submitted"])]
    return _Contract(cid, _text(customers[0]) if customers else "", rows[0]["rep"], amount,
                     _day(min(submitted)) if submitted else None, state, waiting,
                     max(agreed) if agreed and state == "approved" else None)


def _contracts(states: list[_Contract], as_of: dt.date, held: set[str] = frozenset()) -> Contracts:
    """Contracts awaiting approval, quarantined ones too (flagged): the general manager must see them."""
    pending = [PendingContract(c.contract_id, c.customer, c.submitter, c.amount, c.step, c.submitted,
                               (as_of - c.submitted).days if c.submitted else None, c.contract_id in held)
               for c in states if c.state == "pending"]
    pending.sort(key=lambda p: (-(p.days_waiting or 0), p.contract_id))
    cycles = [(c.approved_on - c.submitted).days for c in states
              if c.state == "approved" and c.approved_on and c.submitted]
    return Contracts(pending, sum(c.state == "approved" for c in states), sum(c.state == "rejected" for c in states),
                     sum(cycles) / len(cycles) if cycles else None)


# Money left out
def _left_out(held: dict[str, pd.DataFrame], findings: pd.DataFrame) -> list[LeftOut]:
    """Quarantined pipeline and contract rows by their first error (a contract's amount once)."""
    errors = findings[findings["severity"] == "error"].drop_duplicates(["file", "form", "row"])
    reason = {(f, form, int(row)): code for f, form, row, code
              in errors[["file", "form", "row", "code"]].itertuples(index=False) if pd.notna(row)}
    found = []
    for form, rows in held.items():
        rows = rows.assign(code=[reason.get((f, form, int(r)), "") for f, r in zip(rows["_file"], rows["_row"])])
        for code, group in rows.groupby("code", sort=True):
            money = group[~group.duplicated("contract_id") | group["contract_id"].isna()] if form == "contracts" else group
            found.append(LeftOut(form, str(code), len(group), _sum(money["amount"])))
    return found


# Follow-ups
def _follow_ups(customers: pd.DataFrame, visits: pd.DataFrame, as_of: dt.date) -> FollowUps:
    soon = as_of + dt.timedelta(days=DUE_DAYS)
    horizon = pd.Timestamp(soon)          # later dates are neither due nor overdue: skip them early
    due = [(r["rep"], _text(r["customer"]), _day(r["next_follow_up"]), "customer")
           for r in customers[customers["next_follow_up"] <= horizon].to_dict("records")]
    latest = _latest(visits[visits["date"].notna() & (visits["ckey"] != "")], ["ckey"], ["date"])
    due += [(r["rep"], _text(r["customer"]), _day(r["next_visit"]), "visit")
            for r in latest[latest["next_visit"] <= horizon].to_dict("records")]
    due.sort(key=lambda d: (d[0], d[2], d[1], d[3]))
    return FollowUps(
        overdue=[OverdueFollowUp(rep, cust, day, kind, (as_of - day).days) for rep, cust, day, kind in due
                 if day < as_of],
        due_7d=[DueFollowUp(rep, cust, day, kind, (day - as_of).days) for rep, cust, day, kind in due
                if as_of <= day <= soon])


# Data quality
def _to_fix(findings: pd.DataFrame) -> list[QualityFinding]:
    rows = findings[findings["severity"].isin(["error", "warning"]) & findings["row"].notna()]
    found = [QualityFinding(r["rep"], _text(r["customer"]), _text(r["row_key"]), r["code"],
                            {"zh": r["message_zh"], "en": r["message_en"]}) for r in rows.to_dict("records")]
    return sorted(found, key=lambda q: (q.rep, q.customer, q.key, q.code))


def _quality(findings: pd.DataFrame) -> list[QualityRow]:
    counted = findings[findings["severity"].isin(["error", "warning"])]
    rows = []
    for rep, group in counted.groupby("rep"):
        codes = group["code"].value_counts()
        rows.append(QualityRow(rep, int((group["severity"] == "error").sum()),
                               int((group["severity"] == "warning").sum()),
                               {str(k): int(codes[k]) for k in sorted(codes.index)}))
    return sorted(rows, key=lambda q: q.rep)
