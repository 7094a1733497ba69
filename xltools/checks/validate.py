"""validate(): read every workbook given, check every rule, return a Report. Never raises
for bad data: a file that cannot be read is a finding like any other."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

from xltools.forms.config import Config
from xltools.ingest.inbox import Batch, Progress, read_batch
from xltools.checks.report import Report
from xltools.checks.rules import RuleContext, run_rules
from xltools.forms.schema import load_schema


def validate(paths: Iterable[str | Path], as_of: dt.date | None = None, config: Config | None = None,
             progress: Progress | None = None) -> Report:
    """Validate rep workbooks (files or folders, read recursively) together.

    Cross-form and cross-rep rules see every file of the call.

    :param as_of: the day time-dependent rules count from (default: today).
    :param progress: called with (files done, files to read).
    """
    config = config or Config()
    batch = read_batch(paths, config, progress=progress)
    return check_batch(batch, as_of or dt.date.today(), config)


def file_times(batch: Batch) -> dict[str, float]:
    """Each file's modification time: the rules' tie-breaker for "who came first"."""
    return {f.path: f.abspath.stat().st_mtime for f in batch.files if f.abspath.exists()}


def check_batch(batch: Batch, as_of: dt.date, config: Config,
                watched_since: dict[str, dt.datetime] | None = None) -> Report:
    """Run the rules over rows already read (merge reuses this with the store's rows).

    :param watched_since: file -> when the store first saw it (for the timeliness rule).
    """
    times = file_times(batch)
    context = RuleContext(load_schema(), config, as_of, watched_since or {}, file_order=times, file_times=times)
    findings = batch.findings + run_rules(batch.records, context)
    return Report(as_of, batch.files, findings, batch.records)
