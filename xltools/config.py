"""Thresholds of the business rules, with the seeds' values as defaults.

Override any of them with a YAML file (``--config rules.yaml``), e.g.::

    approval_gm_threshold: 50
    visit_interval_days: {A类: 30, B类: 90, C类: 180}
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import yaml

from .schema import load_schema


def _stage_probabilities() -> dict[str, float]:
    stage = load_schema().sheets["pipeline"].field("stage")
    return {c.value: c.probability for c in stage.choices}


@dataclass(frozen=True)
class Config:
    approval_gm_threshold: float = 20.0
    """Contracts of at least this many 万元 need 总经理审批."""
    visit_interval_days: dict = field(default_factory=lambda: {"A类": 31, "B类": 92, "C类": 183})
    """The longest gap between a visit and the next one, by customer grade."""
    confirmation_days: int = 1
    """需求确认函 within this many days of 需求挖掘时间."""
    entry_hours: int = 24
    """Needs and negotiation records entered within this many hours of the meeting."""
    delivery_followup_workdays: int = 3
    """A follow-up visit within this many working days of delivery."""
    weights_tolerance: float = 0.5
    """Decision-chain weights may miss 100 by this much."""
    stage_probability: dict = field(default_factory=_stage_probabilities)
    """Default win probability (%) of each funnel stage."""
    rebate_tiers: tuple = ((0, 5.0), (20, 8.0), (100, 10.0))
    """(from 万元, rebate %) tiers: below 20 万 5%, 20-100 万 8%, 100 万 and above 10%."""
    coverage_healthy: float = 150.0
    """Pipeline coverage (%) below this is flagged."""
    commit_accuracy_range: tuple = (95.0, 110.0)
    """Healthy commit accuracy (%)."""
    stage_gates: dict = field(default_factory=lambda: {"decision-chain": 2, "budget": 3, "solution": 4, "commit": 5})
    """The funnel's exit conditions (seed 001), by the lowest stage each applies at: decision-chain (a decision chain for the customer), budget (a needs analysis with a budget), solution (all six modules 是), commit (forecast 承诺 only from this stage). A gate left out or null is off."""
    stall_days: dict = field(default_factory=lambda: {1: 30, 2: 30, 3: 45, 4: 30, 5: 14})
    """An open deal longer than this many days in one stage (by stage number) is stalled."""
    max_rows: int = 100_000
    """A sheet with a value beyond this row is not read (no rep form is that long): skipped with a note; a form sheet is read up to the limit, with an error. Formatted empty cells do not count."""
    max_columns: int = 200
    """The same for a value beyond this column."""
    max_unzipped_mb: int = 512
    """A workbook whose parts declare more than this unpacked is refused (zip bomb)."""
    max_compression_ratio: int = 200
    """A part that claims to shrink more than this is refused (zip bomb)."""


def load_config(path: str | Path | None = None) -> Config:
    """The defaults, overridden by a YAML file's keys when one is given."""
    config = Config()
    if path is None:
        return config
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    known = {f.name for f in fields(Config)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(known)}")
    for key in ("rebate_tiers", "commit_accuracy_range"):
        if key in data:
            data[key] = tuple(tuple(x) if isinstance(x, list) else x for x in data[key])
    return replace(config, **data)
