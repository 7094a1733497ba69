"""Every table of the summary workbook, in the order they are laid out: one module a sheet's subject.

``summary_tables`` is what both the summary file (``workbook.write_summary``) and the live workbook's
button write from.
"""
from __future__ import annotations

from xltools.rollup.model import Summary
from xltools.xlsx.summary.accounts import account_tables
from xltools.xlsx.summary.activity import activity_tables
from xltools.xlsx.summary.changes import changes_tables
from xltools.xlsx.summary.collections import collections_tables
from xltools.xlsx.summary.conversion import conversion_tables
from xltools.xlsx.summary.dashboard import dashboard_tables
from xltools.xlsx.summary.follow_ups import follow_up_tables
from xltools.xlsx.summary.quality import quality_tables
from xltools.xlsx.summary.table import Table, Words


def summary_tables(summary: Summary, lang: str = "zh") -> list[Table]:
    """Every table of the summary workbook, in the order they are laid out."""
    t = Words(lang)
    return [*dashboard_tables(summary, t), *follow_up_tables(summary, t), *quality_tables(summary, t),
            *changes_tables(summary, t), *collections_tables(summary, t), *account_tables(summary, t),
            *conversion_tables(summary, t), *activity_tables(summary, t)]
