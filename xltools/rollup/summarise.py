"""rollup(): the summary of the store's merged rows as of a day, built from its parts.

**as_of** defaults to the as-of date of the latest merge run (so the summary agrees with that merge's
findings), else today. "This month" and "this quarter" are the calendar month and quarter of as_of.
Satisfaction averages after-sales visits dated up to as_of.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from xltools.forms.config import Config
from xltools.ingest.submissions import submissions
from xltools.rollup.accounts import account_analysis
from xltools.rollup.activity import activity
from xltools.rollup.changes import pipeline_changes
from xltools.rollup.commit_accuracy import commit_accuracy
from xltools.rollup.contracts import contract_states, contract_summary
from xltools.rollup.conversion import funnel_conversion
from xltools.rollup.follow_ups import due_follow_ups
from xltools.rollup.frames import mean, month_span, total, within
from xltools.rollup.load import StoreData, latest_run_day, load
from xltools.rollup.model import Summary
from xltools.rollup.objections import objection_summary
from xltools.rollup.pipeline import classify, forecast_by_period, pipeline_totals, top_customers, win_rate
from xltools.rollup.quality import findings_to_fix, money_left_out, quality_by_rep
from xltools.rollup.receivables import collections, rebates
from xltools.rollup.reps import all_visits, rep_rows, visits_to
from xltools.store import open_store
from xltools.store.interface import Store
from xltools.store.locations import is_url


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
        data = load(store)
    as_of = as_of or latest_run_day(data.runs) or dt.date.today()
    return summarise(data, as_of, config, since)


def summarise(data: StoreData, as_of: dt.date, config: Config, since: dt.date | None = None) -> Summary:
    pipe = classify(data.pipeline, config)
    snaps = classify(data.snapshots, config)
    month = month_span(as_of)
    follow_ups = due_follow_ups(data.customers, data.visits, as_of)
    states = contract_states(data.contracts, config)
    held = set(data.held["contracts"]["contract_id"].dropna().astype(str))
    return Summary(
        as_of=as_of,
        pipeline=pipeline_totals(pipe, month),
        closed_won_amount=total(pipe[pipe["won"] & within(pipe["closed_on"], month)]["amount"]),
        forecast=forecast_by_period(pipe, as_of),
        reps=rep_rows(data, pipe, follow_ups, as_of, config),
        commit_accuracy=commit_accuracy(pipe, snaps, as_of, config),
        win_rate=win_rate(pipe),
        top_customers=top_customers(pipe, data.customers),
        objections=objection_summary(data.objections, as_of),
        contracts=contract_summary(contract_states(pd.concat([data.contracts, data.held["contracts"]]), config)
                                   if held else states, as_of, held),
        follow_ups=follow_ups,
        satisfaction_avg=mean(visits_to(data.visits, as_of)["satisfaction"]),
        rebates=rebates(states, data.collections, data.rebates, config),
        collections=collections(data.collections, states, as_of),
        quality=quality_by_rep(data.findings),
        to_fix=findings_to_fix(data.findings),
        changes=pipeline_changes(pipe, snaps, as_of, config, since),
        accounts=account_analysis(data.customers, pipe),
        conversion=funnel_conversion(snaps, as_of),
        activity=activity(data.customers, all_visits(data), data.targets, pipe, data.runs, as_of),
        submissions=submissions(data.files, data.targets, as_of, config.submission_deadline),
        left_out=money_left_out(data.held, data.findings),
        config=config,
    )
