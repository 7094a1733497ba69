"""``generate_inbox``: a whole sample inbox, one workbook per rep in region folders, and the targets."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from xltools.sample.assemble import make_workbook
from xltools.sample.dates import stamp_sent
from xltools.sample.plan import RepPlan, plan_inbox
from xltools.sample.spec import TARGETS_NAME, SampleInfo, SampleSpec
from xltools.sample.targets import write_targets
from xltools.sample.writing import write_broken


def generate_inbox(folder: Path, spec: SampleSpec = SampleSpec()) -> SampleInfo:
    """Write a sample inbox into ``folder`` and the targets workbook beside it.

    Existing files of the same names are overwritten; nothing else is removed.
    """
    if spec.reps < 1 or spec.months < 1:
        raise ValueError("a sample needs at least one rep and one month")
    folder = Path(folder)
    plans = plan_inbox(spec, folder)
    planted = [mark for marks in _run_jobs(spec, plans) for mark in marks]
    for order, plan in enumerate(plans):
        stamp_sent(plan.path, spec.as_of, order)
    reps = [p.name for p in plans]
    targets = write_targets(folder.parent / TARGETS_NAME, reps, spec.month_starts, spec.seed)
    broken = write_broken(folder, plans[0]) if spec.broken_file else []
    return SampleInfo(reps, [p.path for p in plans], targets, spec.as_of, planted, broken)


def _run_jobs(spec: SampleSpec, plans: list[RepPlan]) -> list[list[dict]]:
    """Build and write every rep's workbook; in benchmark mode on every core."""
    jobs = [(spec, plan) for plan in plans]
    workers = min(os.cpu_count() or 1, len(plans))
    if spec.rows_per_sheet is None or workers < 2 or len(plans) < 4:
        return [make_workbook(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(make_workbook, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
