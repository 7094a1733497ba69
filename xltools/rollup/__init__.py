"""The manager's figures as plain data, computed from the consolidated store: ``rollup(store, as_of)``.

Pure pandas over the store's rows (each table is read once); nothing here touches Excel. ``xlsx.summary``
lays the result out as a workbook, and the live Excel book reuses the same tables. Each module holds its
figures and their definitions where the process documents leave room:

- ``summarise.py``: ``rollup()`` itself, the as-of day, and the ``Summary`` built from the parts below;
- ``model.py``: ``Summary`` and its parts as dataclasses, and their JSON;
- ``load.py``: reading the store, typed; ``frames.py``: periods, sums and dates over the frames;
- ``pipeline.py``: open, won and lost, the funnel, the forecast, the win rate, the top customers;
- ``commit_accuracy.py``: week over week, did the committed deals close;
- ``reps.py``: one row per rep against their targets;
- ``contracts.py``, ``objections.py``, ``follow_ups.py``: the approval chain, objections, follow-ups due;
- ``quality.py``: findings to fix and the money left out of the totals;
- ``changes.py``: what moved since a reference snapshot (the weekly review);
- ``receivables.py``: collections and rebates; ``accounts.py``: accounts by RAD type;
- ``activity.py``: visits, new customers, sales and margin against the targets;
- ``conversion.py``: conversion between stages, days per stage, the sales cycle, pipeline growth.

Submissions against the weekly deadline are figured in ``ingest/submissions.py``.
"""
from xltools.rollup.summarise import rollup

__all__ = ["rollup"]
