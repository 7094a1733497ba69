"""The timed cases. Each runs alone in a fresh Python process (see ``runner``), so its time and
peak memory are its own: no warm caches, imports or leftover objects from another case.

Every case is a module-level function ``case(ctx) -> Timing``. What it must do before the
timed part (copying a store, reading rows for a baseline) happens outside the ``clock``
block; the clock starts when the work under test starts and stops when it is done.

Run one case by hand::

    python -m benchmarks.cases merge_store /path/to/corpus-folder /path/to/scratch result.json
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import Corpus, load_corpus

BASE_STORE = "base.db"          # a full store of the corpus, made once per benchmark run (prepare)
XLS_FOLDER = "xls"              # LibreOffice's .xls copies of the first rep workbooks (prepare)
XLS_FILES = 4


@dataclass
class Context:
    corpus: Corpus
    scratch: Path               # emptied before each case; the case's stores and workbooks go here

    @property
    def base_store(self) -> Path:
        return self.corpus.folder / BASE_STORE

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.corpus.as_of)


@dataclass
class Timing:
    seconds: float = 0.0
    info: dict = field(default_factory=dict)


@contextmanager
def clock(timing: Timing):
    start = time.perf_counter()
    try:
        yield timing
    finally:
        timing.seconds = time.perf_counter() - start


# Baselines ----------------------------------------------------------------------------------------

def naive_pandas(ctx: Context) -> Timing:
    """The script an admin would write: every sheet of every file with pandas+openpyxl, one
    concatenated frame per sheet name, saved as one workbook with openpyxl."""
    return _pandas_script(ctx, read_engine="openpyxl", write_engine="openpyxl", source_column=False)


def savvy_pandas(ctx: Context) -> Timing:
    """The script an admin who knows pandas well would write: the same, read with
    ``engine="calamine"``, a source-file column added, written with xlsxwriter."""
    return _pandas_script(ctx, read_engine="calamine", write_engine="xlsxwriter", source_column=True)


def _pandas_script(ctx: Context, read_engine: str, write_engine: str, source_column: bool) -> Timing:
    import pandas as pd

    target = ctx.scratch / "combined.xlsx"
    timing = Timing()
    with clock(timing):
        parts: dict[str, list] = defaultdict(list)
        for path in ctx.corpus.workbooks():
            for name, frame in pd.read_excel(path, sheet_name=None, engine=read_engine).items():
                parts[name].append(frame.assign(source=path.name) if source_column else frame)
        merged = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
        with pd.ExcelWriter(target, engine=write_engine) as writer:
            for name, frame in merged.items():
                frame.to_excel(writer, sheet_name=name[:31], index=False)
    timing.info = {"frames": len(merged), "rows": sum(len(f) for f in merged.values()),
                   "bytes": target.stat().st_size}
    return timing


def calamine_bare(ctx: Context) -> Timing:
    """The floor for reading: python-calamine's ``to_python()`` of every sheet, one process,
    no interpretation of any cell."""
    from python_calamine import CalamineWorkbook

    timing = Timing()
    cells = 0
    with clock(timing):
        for path in ctx.corpus.workbooks():
            book = CalamineWorkbook.from_path(str(path))
            for name in book.sheet_names:
                cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python())
    timing.info = {"cells": cells}
    return timing


def select_star(ctx: Context) -> Timing:
    """The floor for the rollup: ``SELECT *`` into pandas of every table the rollup reads."""
    import pandas as pd

    db = _copy_store(ctx.base_store, ctx.scratch / "store.db")
    timing = Timing()
    rows = 0
    with clock(timing):
        con = sqlite3.connect(db)
        for table in ROLLUP_TABLES:
            rows += len(pd.read_sql_query(f"SELECT * FROM {table}", con))
        con.close()
    timing.info = {"rows": rows}
    return timing


# The tables xltools.rollup reads (rollup/load.py): six forms, findings, snapshots, runs and files.
ROLLUP_TABLES = ("rows_pipeline", "rows_customers", "rows_visits", "rows_targets", "rows_objections",
                 "rows_contracts", "findings", "snapshots", "runs", "files")


def xlsxwriter_baseline(ctx: Context) -> Timing:
    """The floor for writing the master: xlsxwriter in constant-memory mode writing the cells of
    the master's form sheets (every field, the four lineage columns, the warnings column), with
    the same date and number formats. The rows are read from the store before the clock starts."""
    import xlsxwriter

    sheets = _master_cells(ctx)
    target = ctx.scratch / "baseline.xlsx"
    timing = Timing()
    with clock(timing):
        book = xlsxwriter.Workbook(str(target), {"constant_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "strings_to_numbers": False})
        formats = {"date": book.add_format({"num_format": "yyyy-mm-dd"}),
                   "money": book.add_format({"num_format": "#,##0.00"}),
                   "number": book.add_format({"num_format": "0.##"})}
        for name, header, kinds, rows in sheets:
            ws = book.add_worksheet(name)
            ws.write_row(0, 0, header)
            # One typed writer per column: the fastest way to feed xlsxwriter, no per-cell dispatch.
            writers = [_writer(ws, kind, formats) for kind in kinds]
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row):
                    if value is not None:
                        writers[c](r, c, value)
        book.close()
    timing.info = {"cells": sum(v is not None for *_, rows in sheets for row in rows for v in row),
                   "bytes": target.stat().st_size}
    return timing


def _writer(ws, kind: str | None, formats):
    if kind == "date":
        return lambda r, c, v: ws.write_datetime(r, c, v, formats["date"])
    if kind in ("money", "number"):
        style = formats[kind]
        return lambda r, c, v: ws.write_string(r, c, v) if isinstance(v, str) else ws.write_number(r, c, v, style)
    return lambda r, c, v: ws.write_string(r, c, str(v)) if not isinstance(v, (int, float)) else ws.write_number(r, c, v)


def _master_cells(ctx: Context) -> list[tuple[str, list[str], list, list[list]]]:
    """(sheet name, header, per-column format kind, rows of Python values) for each form sheet."""
    import pandas as pd

    from xltools.forms.schema import load_schema
    from xltools.store import open_store

    db = open_store(_copy_store(ctx.base_store, ctx.scratch / "store.db"))
    flags = _warning_flags(db)
    sheets = []
    for spec in load_schema().sheets.values():
        frame = db.frame(spec.key)
        fields = list(spec.fields)
        kinds = [_format_kind(f) for f in fields] + [None] * 5
        header = [f.label("zh") for f in fields] + ["来源文件", "来源工作表", "来源行", "跟进人", "校验提示"]
        columns = [_python_values(frame[f.key], f.type) for f in fields]
        columns += [frame[c].tolist() for c in ("_file", "_sheet", "_row", "_rep")]
        columns.append([flags.get((file, spec.key, row)) for file, row in zip(frame["_file"], frame["_row"])])
        rows = [[None if isinstance(v, float) and pd.isna(v) else v for v in row] for row in zip(*columns)]
        sheets.append((spec.name("zh")[:31], header, kinds, rows))
    db.close()
    return sheets


def _warning_flags(db) -> dict[tuple, str]:
    """The master's 校验提示 column: the warnings of each row, as stored by the merge."""
    import pandas as pd

    found = db.findings()
    flags: dict[tuple, list[str]] = defaultdict(list)
    for file, form, row, severity, message in zip(found["file"], found["form"], found["row"],
                                                  found["severity"], found["message_zh"]):
        if severity == "warning" and form and pd.notna(row) and row:
            flags[(file, form, int(row))].append(message)
    return {key: "；".join(messages) for key, messages in flags.items()}


def _format_kind(f) -> str | None:
    if f.type in ("date", "month"):
        return "date"
    if f.type in ("int", "number", "percent"):
        return "money" if f.unit == "万元" else "number"
    return None


def _python_values(series, kind: str) -> list:
    if kind in ("date", "month"):
        return [dt.date.fromisoformat(v) if isinstance(v, str) else None for v in series.tolist()]
    return series.tolist()


# xltools ----------------------------------------------------------------------------------------------

def xltools_validate(ctx: Context) -> Timing:
    """``xltools validate``: read every file and run every rule; nothing is stored."""
    from xltools.checks.validate import validate

    timing = Timing()
    with clock(timing):
        report = validate(ctx.corpus.inboxes, as_of=ctx.as_of)
    timing.info = {"records": len(report.records), "findings": len(report.findings)}
    return timing


def merge_store(ctx: Context) -> Timing:
    """``xltools merge`` into a fresh store without the master: read + validate + store."""
    return _merge(ctx, write_master=False)


def merge_master(ctx: Context) -> Timing:
    """``xltools merge`` into a fresh store, master workbook included."""
    return _merge(ctx, write_master=True)


def _merge(ctx: Context, write_master: bool) -> Timing:
    from xltools.jobs.merge import Merge

    timing = Timing()
    with clock(timing):
        merging = Merge(ctx.scratch / "xltools.db", as_of=ctx.as_of)
        result = merging.run(ctx.corpus.inboxes)
        if write_master:
            merging.write_master(result, ctx.scratch / "master.xlsx")
    timing.info = {"files": result.files.to_dict(), "rows": result.rows.to_dict()}
    return timing


def master_only(ctx: Context) -> Timing:
    """``write_master`` alone over a full store (its reads from the store included). The merge
    result it needs comes from a re-merge of the unchanged inbox, before the clock starts."""
    from xltools.xlsx.master import write_master
    from xltools.jobs.merge import Merge
    from xltools.store import open_store

    store = _copy_store(ctx.base_store, ctx.scratch / "xltools.db")
    result = Merge(store, as_of=ctx.as_of).run(ctx.corpus.inboxes)
    target = ctx.scratch / "master.xlsx"
    db = open_store(store)
    timing = Timing()
    try:
        with clock(timing), db.reading():
            write_master(db, target, result, "zh")
    finally:
        db.close()
    timing.info = {"bytes": target.stat().st_size}
    return timing


def remerge_one(ctx: Context) -> Timing:
    """``xltools merge`` (no master) into a full store after one rep changed one file: a week
    of that rep's edits, merged as of a week later (every time-dependent rule moves on too)."""
    return _remerge(ctx, dt.date.fromisoformat(ctx.corpus.changed_as_of))


def remerge_one_same_day(ctx: Context) -> Timing:
    """The same re-merge as of the day of the full store's merge (an admin merging again the
    same day, after one more file came in)."""
    return _remerge(ctx, ctx.as_of)


def _remerge(ctx: Context, as_of: dt.date) -> Timing:
    from xltools.jobs.merge import Merge

    store = _copy_store(ctx.base_store, ctx.scratch / "xltools.db")
    shutil.copyfile(ctx.corpus.folder / "changed.xlsx", ctx.corpus.inbox / ctx.corpus.changed_file)
    timing = Timing()
    try:
        with clock(timing):
            result = Merge(store, as_of=as_of).run(ctx.corpus.inboxes)
    finally:
        ctx.corpus.restore()
    timing.info = {"files": result.files.to_dict(), "rows": result.rows.to_dict()}
    return timing


def rollup(ctx: Context) -> Timing:
    """``xltools rollup`` over the full store: the manager's summary, computed (not written)."""
    from xltools.rollup import rollup as run_rollup

    store = _copy_store(ctx.base_store, ctx.scratch / "xltools.db")
    timing = Timing()
    with clock(timing):
        summary = run_rollup(store, ctx.as_of)
    timing.info = {"reps": len(summary.reps)}
    return timing


def read_xlsx(ctx: Context) -> Timing:
    """Reading the first rep workbooks as .xlsx (sniff and reader, one process): read_xls's reference."""
    return _read_each([original for original, _ in _xls_pairs(ctx)])


def read_xls(ctx: Context) -> Timing:
    """Reading the same workbooks as LibreOffice saved them in the old .xls format."""
    return _read_each([copy for _, copy in _xls_pairs(ctx)])


def _read_each(paths: list[Path]) -> Timing:
    from xltools.ingest.reader import read_workbook
    from xltools.ingest.sniff import sniff

    timing = Timing()
    with clock(timing):
        records = sum(len(read_workbook(path, verdict=sniff(path)).records) for path in paths)
    timing.info = {"files": len(paths), "records": records}
    return timing


def _xls_pairs(ctx: Context) -> list[tuple[Path, Path]]:
    folder = ctx.corpus.folder / XLS_FOLDER
    return [(path, folder / f"{path.stem}.xls") for path in sorted(ctx.corpus.inbox.rglob("*.xlsx"))[:XLS_FILES]]


# The order here is the order of the report's table.
CASES = {f.__name__: f for f in (naive_pandas, savvy_pandas, calamine_bare, xltools_validate, merge_store, merge_master,
                                   master_only, xlsxwriter_baseline, remerge_one, remerge_one_same_day, rollup,
                                   select_star, read_xlsx, read_xls)}


# Preparation -----------------------------------------------------------------------------------------

def prepare(ctx: Context) -> Timing:
    """Not timed for the report: the full store that master_only, remerge_one, rollup and their
    baselines start from, merged from this very inbox (the store keys files by inbox path)."""
    from xltools.jobs.merge import Merge

    ctx.base_store.unlink(missing_ok=True)
    result = Merge(ctx.base_store, as_of=ctx.as_of).run(ctx.corpus.inboxes)
    con = sqlite3.connect(ctx.base_store)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")       # one self-contained file, safe to copy
    con.close()
    _make_xls_copies(ctx)
    return Timing(info={"files": result.files.to_dict(), "rows": result.rows.to_dict(),
                        "store_rows": result.store_rows.to_dict()})


def _make_xls_copies(ctx: Context) -> None:
    """read_xls's files, converted by LibreOffice once per corpus (a real second program writes them)."""
    missing = [original for original, copy in _xls_pairs(ctx) if not copy.exists()]
    if missing:
        profile = (ctx.scratch / "lo-profile").resolve().as_uri()
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to",
                        "xls", "--outdir", str(ctx.corpus.folder / XLS_FOLDER), *map(str, missing)],
                       capture_output=True, timeout=600, check=True)


def _copy_store(source: Path, target: Path) -> Path:
    """A copy of the full store, on disk as a store at rest is: not in the page cache's dirty pages,
    which the first write of the case (switching to WAL syncs the file) would flush on the clock."""
    shutil.copyfile(source, target)
    with open(target, "rb+") as f:
        os.fsync(f.fileno())
    return target


# Entry point of the child process --------------------------------------------------------------------

def main(argv: list[str]) -> int:
    name, folder, scratch, out = argv
    func = prepare if name == "prepare" else CASES[name]
    corpus = load_corpus(Path(folder))
    timing = func(Context(corpus, Path(scratch)))
    import xltools

    info = timing.info | {"xltools_from": str(Path(xltools.__file__).parent)}
    Path(out).write_text(json.dumps({"seconds": timing.seconds, "info": info}, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
