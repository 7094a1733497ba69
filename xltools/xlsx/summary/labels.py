"""Labels that name a threshold, built from the values that decide it (the config, the rollup's constants).

A manager who overrides a threshold in the config sees the new value in every title and caption.
"""
from __future__ import annotations

from xltools.rollup.model import Summary
from xltools.text import Text
from xltools.xlsx.summary.table import Words


def label_number(value: float) -> str:
    """A threshold as a label shows it: 150, 95.5."""
    return f"{value:g}"


def coverage_threshold(s: Summary) -> str:
    return label_number(s.config.coverage_healthy)


def commit_band(s: Summary) -> str:
    low, high = s.config.commit_accuracy_range
    return f"{label_number(low)}–{label_number(high)}%"


def rebate_tiers_text(tiers: tuple, t: Words) -> str:
    """Rebate tiers in words: "20 万以下 5%，20–100 万 8%，100 万及以上 10%"."""
    tiers = sorted(tiers)
    parts = []
    for i, (floor, rate) in enumerate(tiers):
        upper = tiers[i + 1][0] if i + 1 < len(tiers) else None
        low, high = label_number(floor), label_number(upper) if upper is not None else None
        if upper is None:
            span = t(Text(f"{low} 万及以上", f"{low} and above")) if floor else t(Text("全部", "all"))
        elif not floor:
            span = t(Text(f"{high} 万以下", f"below {high}"))
        else:
            span = t(Text(f"{low}–{high} 万", f"{low}–{high}"))
        parts.append(t(Text(f"{span} {label_number(rate)}%", f"{span}: {label_number(rate)}%")))
    return t(Text("，", ", ")).join(parts)

