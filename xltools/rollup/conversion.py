"""Conversion and velocity of the funnel, from the pipeline snapshots every merge takes.

Definitions (a deal is one 项目编号; each snapshot day counts once, with its latest run; days up to as_of):

- A deal **was at stage n** when some snapshot shows it open at stage n. Of those deals, **reached** counts the
  ones a later snapshot shows at a higher stage or won, **lost** the ones whose last snapshot shows them lost
  without having reached a higher stage. Conversion = reached ÷ deals × 100; loss rate = lost ÷ deals × 100.
  Deals still at stage n are neither.
- **Days per stage**: from the first snapshot showing a deal at stage n to the first showing it beyond; only
  deals that left the stage count (a snapshot dates the move, so weekly merges give weekly precision).
- **Sales cycle**: from a won deal's first sighting to the first snapshot showing it won; deals already won when
  first seen do not count.
- **Pipeline growth**: the open pipeline of each month's last snapshot against the month before's, in percent;
  the documents call 10% good and 5% the minimum (``GROWTH_GOOD``, ``GROWTH_MINIMUM``).
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from xltools.rollup.frames import pct
from xltools.rollup.pipeline import stage_number

GROWTH_GOOD, GROWTH_MINIMUM = 10.0, 5.0
OPEN_STAGES = range(1, 6)


@dataclass
class StageConversion:
    stage: int
    deals: int
    reached: int
    lost: int
    conversion: float | None
    loss_rate: float | None
    avg_days: float | None


@dataclass
class GrowthMonth:
    month: str                       # "2024-04"
    open_pipeline: float
    growth: float | None
    healthy: bool | None             # growth at least GROWTH_MINIMUM


@dataclass
class Conversion:
    by_stage: list[StageConversion]
    avg_cycle_days: float | None
    won_deals: int
    growth: list[GrowthMonth]


def funnel_conversion(snaps: pd.DataFrame, as_of: dt.date) -> Conversion:
    """The funnel's conversion from ``snaps`` (the store's snapshots, classified open/won/lost as ``rollup`` does)."""
    days = _daily(snaps, as_of)
    deals = _histories(days)
    cycles = [c for c in map(_cycle, deals) if c is not None]
    return Conversion([_stage(n, deals) for n in OPEN_STAGES], _mean(cycles), len(cycles), _growth(days))


def _daily(snaps: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The latest run's snapshot of each day up to as_of, each row with its stage number."""
    upto = snaps[snaps["as_of"] <= pd.Timestamp(as_of)]
    latest = upto.groupby("as_of")["run_id"].transform("max")
    days = upto[upto["run_id"] == latest].copy()
    days["n"] = [stage_number(s) for s in days["stage"]]
    days["project_id"] = days["project_id"].fillna("").astype(str)
    return days


class Day(NamedTuple):
    as_of: pd.Timestamp
    n: int              # the stage's number; 0 for a blank or unnumbered stage
    open: bool
    won: bool
    lost: bool


def _histories(days: pd.DataFrame) -> list[list[Day]]:
    """Each deal's days in date order. Plain tuples, not a frame a deal: thousands of deals times five
    stages of pandas selections took seconds."""
    named = days[days["project_id"] != ""].sort_values(["project_id", "as_of"], kind="stable")
    rows = zip(named["project_id"], named["as_of"], named["n"].fillna(0).astype(int),
               named["open"].astype(bool), named["won"].astype(bool), named["lost"].astype(bool))
    return [[Day(*row[1:]) for row in deal] for _, deal in itertools.groupby(rows, key=lambda row: row[0])]


def _stage(n: int, deals: list[list[Day]]) -> StageConversion:
    count = reached = lost = 0
    spells: list[int] = []
    for deal in deals:
        start = next((d for d in deal if d.open and d.n == n), None)
        if start is None:
            continue
        count += 1
        beyond = next((d for d in deal if d.as_of > start.as_of and (d.won or d.n > n)), None)
        if beyond is not None:
            reached += 1
            spells.append((beyond.as_of - start.as_of).days)
        elif deal[-1].lost:
            lost += 1
    return StageConversion(n, count, reached, lost, pct(reached, count), pct(lost, count), _mean(spells))


def _cycle(deal: list[Day]) -> int | None:
    """Days from first sighting to won; None for a deal not won, or already won when first seen (no start known)."""
    won = next((d for d in deal if d.won), None)
    if won is None or deal[0].won:
        return None
    return (won.as_of - deal[0].as_of).days


def _growth(days: pd.DataFrame) -> list[GrowthMonth]:
    if days.empty:
        return []
    month = days["as_of"].dt.strftime("%Y-%m")
    last_day = days.groupby(month)["as_of"].transform("max")
    ends = days[days["as_of"] == last_day]
    totals = ends[ends["open"]].groupby(ends["as_of"].dt.strftime("%Y-%m"))["amount"].sum()
    totals = totals.reindex(sorted(set(month)), fill_value=0.0)
    months, previous = [], None
    for label, amount in totals.items():
        growth = pct(amount - previous, previous) if previous else None
        months.append(GrowthMonth(label, float(amount), growth, None if growth is None else growth >= GROWTH_MINIMUM))
        previous = amount
    return months


def _mean(values: list) -> float | None:
    return sum(values) / len(values) if values else None
