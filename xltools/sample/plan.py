"""The plan of the inbox: every rep's name, region, customers, quirks and mistakes, decided up front."""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from xltools.sample.names import REGIONS, companies, rep_names
from xltools.sample.spec import SampleSpec

# Which rep (index modulo the number of reps) gets each quirk (see quirks.QUIRKS).
QUIRK_SLOTS = (("blank-row", 0), ("amount-text", 0), ("title-row", 1), ("full-width-phone", 1),
               ("extra-column", 1), ("column-order", 2), ("grade-spelling", 2), ("short-names", 2),
               ("text-dates", 3), ("stage-spelling", 3), ("phone-as-number", 3))
# Dealt out round-robin over the reps (see mistakes.MISTAKES); duplicate-claim goes to a pair of reps
# (see _plan_claim).
MISTAKE_ORDER = ("required", "format", "enum", "range", "weights-sum", "amount-mismatch",
                 "approval-authority", "objection-overdue", "close-date-stale", "formula-text", "unpaid",
                 "rebate-unapproved")


@dataclass
class RepPlan:
    """What a worker needs to build one rep's workbook."""
    index: int                                   # 0-based, the order of SampleInfo.reps
    name: str
    region: str
    path: Path
    customers: list[tuple[str, str, str, str]]   # (full name, short name, industry, area code)
    quirks: tuple[str, ...] = ()
    mistakes: tuple[str, ...] = ()
    claim: str | None = None                     # another rep's customer this rep claims too (撞单)


def plan_inbox(spec: SampleSpec, folder: Path) -> list[RepPlan]:
    """Names, regions, customers, quirks and mistakes of every rep, decided before any rep is built."""
    rng = random.Random(f"{spec.seed}:plan")
    names = rep_names(rng, spec.reps)
    count = spec.rows_per_sheet or spec.customers_per_rep
    customers = companies(rng, spec.reps * count)
    plans = []
    for i, name in enumerate(names):
        region = REGIONS[i % len(REGIONS)]
        plans.append(RepPlan(i, name, region, folder / region / f"{name}.xlsx",
                             customers[i * count:(i + 1) * count]))
    for quirk, slot in QUIRK_SLOTS:
        plans[slot % spec.reps].quirks += (quirk,)
    if spec.mistakes:
        for i, code in enumerate(MISTAKE_ORDER):
            plans[i % spec.reps].mistakes += (code,)
        _plan_claim(rng, plans)
    return plans


def _plan_claim(rng: random.Random, plans: list[RepPlan]) -> None:
    """A rep later in the inbox's walk order claims a customer of an earlier one.

    Validation keeps the first claim by row order, so the planted finding lands on the
    later file's row.
    """
    walk = sorted(plans, key=lambda p: p.path.parts)
    if len(walk) < 2 or not walk[0].customers:
        return
    first, second = walk[0], walk[1]
    second.claim = rng.choice(first.customers)[1]
    second.mistakes += ("duplicate-claim",)
