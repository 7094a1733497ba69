"""The end-to-end demo: a realistic sample inbox, validated, merged four times a week apart
(the reps' files edited between merges), and rolled up into the manager's summary -- what
``xltools demo`` and ``make demo`` run."""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from xltools.xlsx.annotate import annotate
from xltools.jobs.merge import Merge
from xltools.jobs.merge_result import MergeResult
from xltools.checks.report import Report
from xltools.rollup import rollup
from xltools.rollup.model import Summary
from xltools.sample import SampleSpec, advance_week, generate_inbox
from xltools.store import open_store
from xltools.store.locations import safe_location
from xltools.xlsx.summary.workbook import write_summary
from xltools.checks.validate import validate


WEEKS = 4
"""Weekly merges the demo runs."""


class StoreInUse(RuntimeError):
    """The store given to the demo holds real merges: the demo will not empty it."""


@dataclass
class DemoResult:
    folder: Path
    inbox: Path
    targets: Path
    report: Report
    merges: list[MergeResult] = field(default_factory=list)
    summary: Summary | None = None
    outputs: dict[str, Path] = field(default_factory=dict)


def run_demo(folder: str | Path, spec: SampleSpec | None = None, lang: str = "zh",
             store: str | Path | None = None) -> DemoResult:
    """Make the sample in ``folder`` (replacing an earlier demo there) and run the whole job.

    :param store: where to merge (default: xltools.db in ``folder``); a ``postgresql://`` URL
        must name an empty database, or one holding only earlier demos of ``folder``.
    :raises StoreInUse: the server store holds merges of other folders.
    """
    folder = Path(folder)
    spec = spec or SampleSpec()
    if store is not None:
        _empty_store(store, folder)
    inbox, admin = folder / "inbox", folder / "指标"
    for old in (inbox, admin, folder / "校验批注"):
        shutil.rmtree(old, ignore_errors=True)
    for old in ("xltools.db", "xltools.db-wal", "xltools.db-shm", "master.xlsx", "master.bak.xlsx", "summary.xlsx",
                "销售指标.xlsx"):
        (folder / old).unlink(missing_ok=True)
    info = generate_inbox(inbox, spec)
    admin.mkdir(parents=True, exist_ok=True)
    targets = Path(shutil.move(info.targets, admin / info.targets.name))   # the admin's own folder
    store, master = store or folder / "xltools.db", folder / "master.xlsx"
    report = validate([inbox, admin], as_of=info.as_of)
    result = DemoResult(folder, inbox, targets, report)
    annotate(report, folder / "校验批注", lang)
    result.merges.append(_merge([inbox, admin], store, master, info.as_of, lang))
    for _ in range(WEEKS - 1):               # the trend charts and the changes sheet need some history
        advance_week(inbox, info)            # reps update their files; info.as_of moves a week on
        result.merges.append(_merge([inbox, admin], store, master, info.as_of, lang))
    result.summary = rollup(store, info.as_of)
    summary_path = write_summary(result.summary, folder / "summary.xlsx", lang)
    result.outputs = {"inbox": inbox, "targets": targets, "annotated": folder / "校验批注",
                      "store": safe_location(store), "master": master, "summary": summary_path}
    return result


def _merge(inboxes: list[Path], store: str | Path, master: Path, as_of, lang: str) -> MergeResult:
    merging = Merge(store, as_of=as_of)
    result = merging.run(inboxes)
    merging.write_master(result, master, lang)
    return result


def _empty_store(store: str | Path, folder: Path) -> None:
    """Start a store named by the user from nothing, as the demo does with its own file. Only a
    store whose every merge was of this folder's inboxes (earlier demos) is emptied."""
    db = open_store(store)
    here = Path(os.path.abspath(folder))
    merged = {inbox for text in db.runs()["inboxes"] for inbox in json.loads(text or "[]")}
    others = sorted(i for i in merged if not Path(os.path.abspath(i)).is_relative_to(here))
    if others:
        db.close()
        raise StoreInUse(f"{db.path} holds merges of {others[0]}: give the demo an empty database")
    db.drop_tables()
