"""The summary's figures as plain data: ``Summary`` and its parts, each a dataclass the workbook lays out
and ``Summary.to_dict`` turns into JSON.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from xltools.forms.config import Config
from xltools.ingest.submissions import Submissions
from xltools.rollup.frames import pct
from xltools.text import Text

if TYPE_CHECKING:
    from xltools.rollup.accounts import Accounts
    from xltools.rollup.activity import ActivityRow
    from xltools.rollup.changes import Changes
    from xltools.rollup.conversion import Conversion
    from xltools.rollup.receivables import Collections, Rebate


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
    message: Text               # as the merge wrote it


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
    """Each rep's last change and whether it met the weekly deadline (``ingest/submissions.py``)."""
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
        return pct(self.closed_won_amount, sum(targets)) if targets else None

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
