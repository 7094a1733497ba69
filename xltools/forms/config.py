"""Thresholds of the business rules, with the seeds' values as defaults.

Override any of them with a YAML file (``--config rules.yaml``, or a ``rules.yaml`` beside the
store, which every command picks up by itself), e.g.::

    approval_gm_threshold: 50万
    visit_interval_days: {A类: 14}

Values are read like the forms' cells (``50万``, ``30%``); a mapping overrides only the keys it
names, the others keep their defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import yaml

from xltools.forms.schema import load_schema
from xltools.forms.values import parse_number

CONFIG_NAME = "rules.yaml"
_AMOUNTS = {"approval_gm_threshold"}   # in 万元, so "50万" and "0.5亿" read as the forms read them


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
    collection_tolerance: float = 0.01
    """A contract's planned instalments may miss its amount by this many 万元."""
    won_excludes_retention: bool = False
    """Stage 6 (收回全款) may leave the retention money (质保金) still to come."""
    coverage_healthy: float = 150.0
    """Pipeline coverage (%) below this is flagged."""
    commit_accuracy_range: tuple = (95.0, 110.0)
    """Healthy commit accuracy (%)."""
    stage_gates: dict = field(default_factory=lambda: {"decision-chain": 2, "budget": 3, "solution": 4, "commit": 5})
    """The funnel's exit conditions (seed 001), by the lowest stage each applies at: decision-chain (a decision chain for the customer), budget (a needs analysis with a budget), solution (all six modules 是), commit (forecast 承诺 only from this stage). A gate set to null is off."""
    stall_days: dict = field(default_factory=lambda: {1: 30, 2: 30, 3: 45, 4: 30, 5: 14})
    """An open deal longer than this many days in one stage (by stage number) is stalled."""
    submission_deadline: tuple = (7, 24.0)
    """Reps' weekly deadline for their files ("100% 上交", seed 002): (weekday, 1 = Monday … 7 = Sunday; hour of that day, 24 = midnight at its end, 17.5 = 17:30)."""
    shrink_limit: float = 50.0
    """merge refuses to withdraw more than this share (%) of the store's files of an inbox at once
    (an unmounted share, a half-done sync) unless given --allow-shrink."""
    masters_kept: int = 5
    """Previous master workbooks kept beside it with dated names (master.bak-<date-time>.xlsx)."""
    max_rows: int = 100_000
    """A sheet with a value beyond this row is not read (no rep form is that long): skipped with a note; a form sheet is read up to the limit, with an error. Formatted empty cells do not count."""
    max_columns: int = 200
    """The same for a value beyond this column."""
    max_unzipped_mb: int = 512
    """A workbook whose parts declare more than this unpacked is refused (zip bomb)."""
    max_compression_ratio: int = 200
    """A part that claims to shrink more than this is refused (zip bomb)."""

    def overrides(self) -> dict:
        """The settings that differ from the defaults, as a run records them."""
        default = Config()
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)}


def rebate_rate(amount: float, tiers: tuple = Config().rebate_tiers) -> float:
    """The rebate % of a contract amount (万元): the highest tier whose floor it reaches."""
    rate = 0.0
    for floor, tier_rate in sorted(tiers):
        if amount >= floor:
            rate = float(tier_rate)
    return rate


def load_config(path: str | Path | None = None) -> Config:
    """The defaults, overridden by a YAML file's keys when one is given (mappings key by key)."""
    config = Config()
    if path is None:
        return config
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"unknown settings {data!r}: expected a mapping of setting names")
    known = {f.name for f in fields(Config)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(known)}")
    config = replace(config, **{name: _setting(name, getattr(config, name), raw) for name, raw in data.items()})
    weekday, hour = config.submission_deadline
    if not (1 <= weekday <= 7 and 0 <= hour <= 24):
        raise ValueError(f"submission_deadline: {[weekday, hour]} is not [weekday 1-7, hour 0-24]")
    return config


def config_beside(store: str | Path | None) -> Path | None:
    """The rules.yaml beside a store file, when there is one (a server store has no folder)."""
    if store is None or "://" in str(store):
        return None
    candidate = Path(store).parent / CONFIG_NAME
    return candidate if candidate.is_file() else None


def _setting(name: str, default, raw):
    """One setting's YAML value read against its default: numbers as the forms read them."""
    unit = "万元" if name in _AMOUNTS else None
    if isinstance(default, bool):
        return _switch(name, raw)
    if isinstance(default, dict):
        if not isinstance(raw, dict):
            raise ValueError(f"{name}: expected a mapping like {default}")
        key_type = type(next(iter(default)))
        merged = dict(default)
        for key, value in raw.items():
            key = key_type(key)
            if key not in default:
                raise ValueError(f"{name}: unknown key {key!r}; known: {list(default)}")
            merged[key] = None if value is None and name in _SWITCHED_OFF_BY_NULL else _number(name, value, default[key], unit)
        return merged
    if isinstance(default, tuple):
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"{name}: expected a list like {list(default)}")
        if isinstance(default[0], tuple):      # rebate_tiers: (from 万元, rate %) pairs
            return tuple((_number(name, low, 0.0, "万元"), _number(name, rate, 0.0)) for low, rate in raw)
        return tuple(_number(name, value, like) for value, like in zip(raw, default))
    return _number(name, raw, default, unit)


_SWITCHED_OFF_BY_NULL = {"stage_gates"}    # settings whose entries a null turns off
_SWITCH_WORDS = {"是": True, "否": False, "yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


def _switch(name: str, raw) -> bool:
    if isinstance(raw, bool):
        return raw
    if str(raw).strip().lower() in _SWITCH_WORDS:
        return _SWITCH_WORDS[str(raw).strip().lower()]
    raise ValueError(f"{name}: {raw!r} is not true/false (是/否)")


def _number(name: str, raw, like, unit: str | None = None):
    try:
        value = parse_number(raw, unit)
    except (ValueError, TypeError):
        raise ValueError(f"{name}: {raw!r} is not a number") from None
    if isinstance(like, int):
        if not value.is_integer():
            raise ValueError(f"{name}: {raw!r} is not a whole number")
        return int(value)
    return value
