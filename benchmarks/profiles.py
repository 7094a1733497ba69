"""Where the time goes: ``python -m benchmarks.profiles --files 50``.

Under cProfile, on the benchmark corpus of that size (made if missing):

1. a full merge (no master) into a fresh store, split into its phases;
2. re-merges of that store after one changed file, the same day and a week later;
3. the workers' side of reading, redone in this one process: sniffing, parsing, and the
   pickling that carries each result back to the parent;
4. the rollup over the full store: loading its tables, then computing the summary;
5. with ``--memory``, a merge under tracemalloc: the Python memory held by the rows once they
   are read and once the rules have run, and the lines that allocated most of it.

cProfile slows Python-heavy code more than C code: read the shares, not the seconds.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pickle
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from .corpus import ensure_corpus

# (label, function name as cProfile records it, file it lives in); missing ones print "-".
MERGE_PHASES = [
    ("merge, in all", "run", "merge.py"),
    ("read_batch: hash, hand out, collect", "read_batch", "inbox.py"),
    ("  waiting on the reading workers", "run_isolated", "sandbox.py"),
    ("store rows (replace_rows)", "replace_rows", "interface.py"),
    ("check: stored rows + rules + findings", "check", "merge_check.py"),
    ("  load stored rows (load_records)", "load_records", "interface.py"),
    ("  rules (run_rules)", "run_rules", "unit.py"),
    ("  quarantine statuses", "_quarantine", "merge_check.py"),
    ("pipeline snapshot", "snapshot_pipeline", "interface.py"),
    ("result counts", "_result", "merge.py"),
]
ROLLUP_PHASES = [
    ("rollup, in all", "rollup", "summarise.py"),
    ("load tables (load)", "load", "load.py"),
    ("  rows into frames (Store._frame)", "_frame", "base.py"),
    ("  typing columns (_typed)", "_typed", "load.py"),
    ("compute the summary (summarise)", "summarise", "summarise.py"),
    ("  per-rep rows (rep_rows)", "rep_rows", "reps.py"),
]


def profile_merge(corpus, store: Path, top: int) -> None:
    from xltools.jobs.merge import Merge

    stats, wall = _profiled(Merge(store, as_of=dt.date.fromisoformat(corpus.as_of)).run, corpus.inboxes)
    print(f"== full merge of {corpus.files} workbooks ({corpus.rows:,} rows): {wall:.1f} s under cProfile")
    _phases(stats, MERGE_PHASES, top)


def profile_remerges(corpus, store: Path, top: int) -> None:
    """One changed file, merged the same day, then (the file changed back) a week later."""
    from xltools.jobs.merge import Merge

    same_day, week_later = (dt.date.fromisoformat(d) for d in (corpus.as_of, corpus.changed_as_of))
    shutil.copyfile(corpus.folder / "changed.xlsx", corpus.inbox / corpus.changed_file)
    try:
        stats, wall = _profiled(Merge(store, as_of=same_day).run, corpus.inboxes)
    finally:
        corpus.restore()
    print(f"\n== re-merge after one changed file, same as-of day: {wall:.1f} s under cProfile")
    _phases(stats, MERGE_PHASES, top)
    stats, wall = _profiled(Merge(store, as_of=week_later).run, corpus.inboxes)
    print(f"\n== re-merge after one changed file, as of a week later: {wall:.1f} s under cProfile")
    _phases(stats, MERGE_PHASES, top)


def profile_rollup(corpus, store: Path, top: int) -> None:
    from xltools.rollup import rollup

    stats, wall = _profiled(rollup, store, dt.date.fromisoformat(corpus.changed_as_of))
    print(f"\n== rollup over the store: {wall:.1f} s under cProfile")
    _phases(stats, ROLLUP_PHASES, top)


def _profiled(func, *args, **kwargs) -> tuple[pstats.Stats, float]:
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(func, *args, **kwargs)
    return pstats.Stats(profiler), time.perf_counter() - start


def _phases(stats: pstats.Stats, phases: list[tuple[str, str, str]], top: int) -> None:
    total = _cumulative(stats, phases[0][1], phases[0][2])
    print(f"{'phase (this process)':<40}{'cumulative s':>14}{'share':>8}")
    for label, func, file in phases:
        seconds = _cumulative(stats, func, file)
        share = f"{seconds / total:>8.0%}" if seconds is not None and total else ""
        print(f"{label:<40}" + (f"{seconds:>14.2f}{share}" if seconds is not None else f"{'-':>14}"))
    print(f"\ntop {top} functions by own time:")
    stats.sort_stats("tottime").print_stats(top)


def profile_reading(corpus, top: int) -> None:
    """The workers' side, in-process: sniff, parse, and pickle each result as a pipe would."""
    from xltools.forms.config import Config
    from xltools.ingest.reader import read_workbook
    from xltools.ingest.sniff import sniff

    config = Config()
    paths = corpus.workbooks()
    clocks = {"sniff": 0.0, "read_workbook": 0.0, "pickle.dumps": 0.0, "pickle.loads": 0.0}
    sent = 0
    profiler = cProfile.Profile()
    for path in paths:
        clocks["sniff"] += _timed(sniff, path, config=config)[0]
        seconds, read = _timed(profiler.runcall, read_workbook, path, config=config)
        clocks["read_workbook"] += seconds
        seconds, blob = _timed(pickle.dumps, read, protocol=pickle.HIGHEST_PROTOCOL)
        clocks["pickle.dumps"] += seconds
        clocks["pickle.loads"] += _timed(pickle.loads, blob)[0]
        sent += len(blob)
    print(f"\n== reading the {len(paths)} workbooks in one process (what the workers do between them):")
    for name, seconds in clocks.items():
        print(f"  {name:<16}{seconds:>8.2f} s")
    print(f"  pickled results {sent / 1e6:>8.1f} MB")
    print(f"\ntop {top} functions of read_workbook by own time:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def profile_memory(corpus, scratch: Path, top: int) -> None:
    """Python-level memory of a merge at its two heaviest moments (tracemalloc: C allocations of
    SQLite or calamine are not seen; numpy's are)."""
    import tracemalloc

    from xltools.jobs import merge as merge_module, merge_check

    marks: list[tuple[str, int, tracemalloc.Snapshot]] = []

    def marked(label, func):
        def wrapper(*args, **kwargs):
            value = func(*args, **kwargs)
            marks.append((label, tracemalloc.get_traced_memory()[0], tracemalloc.take_snapshot()))
            return value
        return wrapper

    # Snapshots right after the rows are read, and right after the rules ran over them.
    wrapped = {(merge_module, "read_batch"): "after read_batch (every row read)",
               (merge_check, "run_rules"): "after run_rules (rules run)"}
    originals = {(module, name): getattr(module, name) for module, name in wrapped}
    for (module, name), func in originals.items():
        setattr(module, name, marked(wrapped[module, name], func))
    tracemalloc.start(1)
    try:
        merge_module.Merge(scratch / "memory.db", as_of=dt.date.fromisoformat(corpus.as_of)).run(corpus.inboxes)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        for (module, name), func in originals.items():
            setattr(module, name, func)
    print(f"\n== Python memory of a merge of {corpus.rows:,} rows (tracemalloc), peak {peak / 1e6:.0f} MB")
    for label, current, snapshot in marks:
        print(f"{label}: {current / 1e6:.0f} MB held, {current / corpus.rows:.0f} bytes per corpus row")
        for stat in snapshot.statistics("lineno")[:top]:
            frame = stat.traceback[0]
            print(f"  {stat.size / 1e6:8.1f} MB {stat.count:>9,} blocks  {frame.filename}:{frame.lineno}")


def _timed(func, *args, **kwargs):
    start = time.perf_counter()
    value = func(*args, **kwargs)
    return time.perf_counter() - start, value


def _cumulative(stats: pstats.Stats, name: str, file: str) -> float | None:
    found = [ct for (path, _, func), (_, _, _, ct, _) in stats.stats.items()
             if func == name and path.endswith(file)]
    return sum(found) if found else None


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profiles", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--files", type=int, default=50, help="rep files in the corpus")
    p.add_argument("--rows-per-sheet", type=int, default=300)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--top", type=int, default=25, help="functions listed per profile")
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "xltools-bench")
    p.add_argument("--memory", action="store_true", help="also trace the Python memory of a merge (slow)")
    args = p.parse_args()
    corpus = ensure_corpus(args.workdir, args.files, args.rows_per_sheet, args.seed)
    scratch = Path(tempfile.mkdtemp(prefix="profile-", dir=args.workdir))
    try:
        store = scratch / "xltools.db"
        profile_merge(corpus, store, args.top)
        profile_remerges(corpus, store, args.top)
        profile_reading(corpus, args.top)
        profile_rollup(corpus, store, args.top)
        if args.memory:
            profile_memory(corpus, scratch, min(args.top, 12))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
