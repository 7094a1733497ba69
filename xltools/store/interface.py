"""The ``Store`` interface: what merge, rollup and the master workbook ask of a store.

Every row ever merged, with its lineage, its findings, the run history and a snapshot of the pipeline at
each run. Tables per form are generated from the schema: ``rows_<form>`` holds the form's fields plus
lineage columns (``_file_id``, ``_row``, ``_customer_key`` ...) and a status (merged, quarantined,
withdrawn). Each statement is written here once, for every backend (``base.Database``).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import pandas as pd

from xltools.forms.model import Record
from xltools.forms.schema import SheetSpec
from xltools.store.base import Database, chunks, marks
from xltools.store.identity import to_sql
from xltools.store.rows import LINEAGE, MERGED, QUARANTINED, WITHDRAWN, table_rows

SNAPSHOT_FIELDS = ["project_id", "project", "customer", "owner", "stage", "win_probability", "amount",
                   "expected_close", "forecast"]
FINDING_COLUMNS = ["file_id", "form", "sheet", "row", "column_letter", "field", "code", "severity", "customer",
                   "rep", "value", "message_zh", "message_en", "row_key"]


@dataclass
class StoredFile:
    id: int
    inbox: str
    path: str
    sha256: str | None
    rep: str | None
    status: str          # active | withdrawn | unreadable
    first_seen: str
    last_seen: str
    modified: str | None = None    # the file's modification time when merge last read new contents


def now() -> str:
    # Microseconds: two merges in one second must still be told apart (first sightings).
    return dt.datetime.now().isoformat(sep=" ", timespec="microseconds")


class _Shared:
    """Reloaded rows share one object per repeated value (names, dates, column maps), as read
    rows do: the whole inbox's rows must fit in memory for the rules."""

    def __init__(self):
        self.pool: dict[Any, Any] = {}
        self.dates: dict[str, dt.date] = {}

    def text(self, value: Any) -> Any:
        return self.pool.setdefault(value, value) if isinstance(value, str) and len(value) <= 40 else value

    def parsed(self, text: str, parse: Callable[[str], Any]) -> Any:
        key = ("parsed", text)
        if key not in self.pool:
            self.pool[key] = parse(text)
        return self.pool[key]

    def cells(self, row: Sequence, dated: list[int], share_text: bool = True) -> list:
        """A stored row's field values, those at ``dated`` parsed as dates: inline rather than a call a
        value, as a re-merge rebuilds tens of thousands of rows. ``share_text`` False: the texts are
        not pooled (a few rows looked up save no memory by it)."""
        pool = self.pool
        cells = ([pool.setdefault(v, v) if v.__class__ is str and len(v) <= 40 else v for v in row] if share_text
                 else list(row))
        dates = self.dates
        for i in dated:
            if (text := cells[i]) is not None:
                if (day := dates.get(text)) is None:
                    day = dates[text] = dt.date.fromisoformat(text)
                cells[i] = day
        return cells


def _within(column: str, values: Sequence | None) -> tuple[str, Sequence]:
    """A ``_records`` condition: ``column`` holds one of ``values`` (None: no condition)."""
    return ("", ()) if values is None else (f' AND "{column}" IN ({marks(values)})', values)


class Store(Database):
    """The consolidation store. A backend subclasses it, connects, and provides the dialect hooks of
    ``Database``."""

    # Runs ---------------------------------------------------------------------------------------------------
    def start_run(self, as_of: dt.date, inboxes: list[str]) -> int:
        # Everything this run records is stamped with its start: a file first seen in this run
        # and the rows it held then share one time, which is how rules tell them from rows
        # added later.
        self._stamp = now()
        return self._insert_id("INSERT INTO runs (started_at, as_of, inboxes) VALUES (?, ?, ?)",
                               (self._stamp, as_of.isoformat(), json.dumps(inboxes, ensure_ascii=False)))

    def stamp(self) -> str:
        """The current run's time (now, outside a run)."""
        return getattr(self, "_stamp", None) or now()

    def finish_run(self, run_id: int, counts: dict[str, Any]) -> None:
        self._run("UPDATE runs SET finished_at=?, counts=? WHERE id=?",
                  (now(), json.dumps(counts, ensure_ascii=False), run_id))

    def runs(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM runs ORDER BY id")

    # Files --------------------------------------------------------------------------------------------------
    def files(self) -> dict[tuple[str, str], StoredFile]:
        """Every file ever merged, by (inbox, path relative to the inbox)."""
        rows = self._rows("SELECT id, inbox, path, sha256, rep, status, first_seen, last_seen, modified FROM files "
                          "ORDER BY id")
        return {(r[1], r[2]): StoredFile(*r) for r in rows}

    def upsert_file(self, inbox: str, path: str, sha256: str | None, rep: str | None, status: str,
                    run_id: int, reason: str = "", modified: str | None = None) -> int:
        """Record a file read now; ``modified`` (its modification time) is kept when None."""
        stamp = self.stamp()
        self._run("""INSERT INTO files (inbox, path, sha256, rep, status, reason, first_seen, last_seen,
            last_run, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (inbox, path) DO UPDATE SET
            sha256=excluded.sha256, rep=excluded.rep, status=excluded.status, reason=excluded.reason,
            last_seen=excluded.last_seen, last_run=excluded.last_run,
            modified=COALESCE(excluded.modified, files.modified)""",
                  (inbox, path, sha256, rep, status, reason, stamp, stamp, run_id, modified))
        return self._rows("SELECT id FROM files WHERE inbox=? AND path=?", (inbox, path))[0][0]

    def touch_file(self, file_id: int, run_id: int) -> None:
        """An unchanged file was seen again: its rows are still current. A row's last sighting is
        its file's (see ``frame``), so its rows need no update: a re-merge stays cheap."""
        self._run("UPDATE files SET last_seen=?, last_run=?, status='active' WHERE id=?",
                  (self.stamp(), run_id, file_id))

    def withdraw_file(self, file_id: int) -> int:
        """A file left the inbox: keep its rows, marked withdrawn. Returns how many."""
        self._run("UPDATE files SET status='withdrawn' WHERE id=?", (file_id,))
        return sum(self._run(f"UPDATE rows_{s} SET _status=? WHERE _file_id=? AND _status!=?",
                             (WITHDRAWN, file_id, WITHDRAWN)).rowcount for s in self.schema.sheets)

    def prune_file(self, file_id: int) -> int:
        """Delete a withdrawn file's rows for good (``merge --prune``)."""
        n = sum(self._run(f"DELETE FROM rows_{s} WHERE _file_id=?", (file_id,)).rowcount
                for s in self.schema.sheets)
        self._run("DELETE FROM findings WHERE file_id=?", (file_id,))
        self._run("DELETE FROM files WHERE id=?", (file_id,))
        return n

    # Rows ---------------------------------------------------------------------------------------------------
    def replace_rows(self, file_id: int, records: list[Record], run_id: int) -> None:
        """A changed file's rows replace its previous ones; a row seen before keeps its first_seen."""
        stamp = self.stamp()
        by_form: dict[str, list[Record]] = {}
        for r in records:
            by_form.setdefault(r.form, []).append(r)
        for spec in self.schema.sheets.values():
            table = f"rows_{spec.key}"
            first_seen = dict(self._rows(f"SELECT _row_hash, _first_seen FROM {table} WHERE _file_id=?", (file_id,)))
            self._run(f"DELETE FROM {table} WHERE _file_id=?", (file_id,))
            mine = by_form.get(spec.key)
            if mine:
                self._bulk_insert(table, LINEAGE + [f'"{f.key}"' for f in spec.fields],
                                  table_rows(spec, file_id, mine, run_id, stamp, first_seen))

    def load_records(self, file_ids: list[int], paths: dict[int, str],
                     customer_keys: set[str] | None = None) -> list[Record]:
        """Rebuild the current rows of unchanged files, so rules see every file of the inbox.

        :param customer_keys: only the rows about these customers (``model.customer_key``);
            None for every row.
        """
        if customer_keys is not None and not customer_keys:
            return []
        key_chunks = list(chunks(sorted(customer_keys))) if customer_keys is not None else [None]
        records: list[Record] = []
        for spec in self.schema.sheets.values():
            if customer_keys is not None and not spec.customer_field:
                continue                        # the form has no customer to match
            for ids in chunks(file_ids):
                for keys in key_chunks:
                    records += self._records(spec, ids, paths, *_within("_customer_key", keys))
        return records

    def load_matching(self, file_ids: list[int], paths: dict[int, str], form: str, column: str,
                      values: set, fields: list[str] | None = None) -> list[Record]:
        """The current rows of one form of these files whose ``column`` (a field key or
        ``_customer_key``) holds one of ``values``; with ``fields`` only (None: all)."""
        spec = self.schema.sheets[form]
        return [r for ids in chunks(file_ids) for some in chunks(sorted(values, key=str))
                for r in self._records(spec, ids, paths, *_within(column, some), lookup=True, fields=fields)]

    def load_between(self, file_ids: list[int], paths: dict[int, str], form: str, column: str,
                     low: dt.date, high: dt.date, fields: list[str] | None = None) -> list[Record]:
        """The current rows of one form of these files whose date ``column`` lies in [low, high]; with
        ``fields`` only (None: all)."""
        spec = self.schema.sheets[form]
        return [r for ids in chunks(file_ids) for r in self._records(
            spec, ids, paths, f' AND "{column}" BETWEEN ? AND ?', [to_sql(low), to_sql(high)], lookup=True,
            fields=fields)]

    def load_flagged(self, file_ids: list[int], paths: dict[int, str], codes: list[str],
                     fields: dict[str, list[str]] | None = None) -> list[Record]:
        """The current rows of these files that carry a rule finding of one of ``codes``; ``fields``: form ->
        the fields to load (None: all; a form left out: none of its rows)."""
        if not codes:
            return []
        places: dict[tuple[str, int], list[int]] = {}
        for ids in chunks(file_ids):
            for form, file_id, row in self._rows(
                    f'SELECT DISTINCT form, file_id, "row" FROM findings WHERE origin=? AND code IN ({marks(codes)}) '
                    f"AND file_id IN ({marks(ids)})", ("rule", *codes, *ids)):
                places.setdefault((form, file_id), []).append(row)
        return [r for (form, file_id), rows in places.items() if form in (self.schema.sheets if fields is None else fields)
                for some in chunks(rows) for r in self._records(self.schema.sheets[form], [file_id], paths,
                                                                 *_within("_row", some),
                                                                 fields=None if fields is None else fields[form])]

    def distinct_values(self, file_ids: list[int], form: str, column: str) -> set:
        """The values ``column`` takes in the current rows of one form of these files."""
        return {v for chunk in chunks(file_ids) for (v,) in self._rows(
            f'SELECT DISTINCT "{column}" FROM rows_{form} WHERE _file_id IN ({marks(chunk)}) AND _status!=?',
            (*chunk, WITHDRAWN)) if v is not None and v != ""}

    def has_values(self, file_ids: list[int], form: str, column: str) -> bool:
        """Whether ``column`` is filled in any current row of one form of these files."""
        field = next((f for f in self.schema.sheets[form].fields if f.key == column), None)
        text = field is None or self._sql_type(field) == "TEXT"
        filled = f'"{column}" IS NOT NULL' + (f""" AND "{column}" != ''""" if text else "")
        return any(self._rows(f"SELECT 1 FROM rows_{form} WHERE _file_id IN ({marks(chunk)}) AND _status!=? "
                              f"AND {filled} LIMIT 1", (*chunk, WITHDRAWN)) for chunk in chunks(file_ids))

    def _records(self, spec: SheetSpec, file_ids: list[int], paths: dict[int, str],
                 condition: str = "", condition_params: Sequence = (), lookup: bool = False,
                 fields: list[str] | None = None) -> list[Record]:
        """Rows of these files (``condition``: more SQL for the WHERE clause, starting with AND).
        ``lookup``: the condition's column picks the rows through its index, not the files' IN list (SQLite,
        without statistics, would take the longer list's index and read every row of nearly every file).
        ``fields``: load these only; the rows' values hold no other field (a rule reading one would see
        None: the rules declare what they read, and tests hold them to it)."""
        keys = [f.key for f in spec.fields if fields is None or f.key in fields]
        quoted = ", ".join(f'"{k}"' for k in keys)
        files = self._unindexed("_file_id") if lookup else "_file_id"
        where = f"{files} IN ({marks(file_ids)}) AND _status!=?{condition}"
        params: list[Any] = [*file_ids, WITHDRAWN, *condition_params]
        sql = (f"SELECT _file_id, _sheet, _row, _rep, _first_seen, _columns, _unread, {quoted} "
               f"FROM rows_{spec.key} WHERE {where} ORDER BY _id")
        records = []
        shared = _Shared()
        dated = [i for i, f in enumerate(f for f in spec.fields if f.key in keys) if f.type in ("date", "month")]
        lineage: dict[tuple, tuple] = {}    # a file's rows share their sheet, rep, column map and first sighting
        for row in self._rows(sql, params):
            values = dict(zip(keys, shared.cells(row[7:], dated, share_text=not lookup)))
            unread = json.loads(row[6]) if row[6] else {}     # Record.raw: what the unreadable cells held
            key = (row[0], row[1], row[3], row[4], row[5])
            if (place := lineage.get(key)) is None:
                place = lineage[key] = (paths[row[0]], shared.text(row[1]), shared.parsed(row[5] or "{}", json.loads),
                                        shared.text(row[3]), shared.parsed(row[4], dt.datetime.fromisoformat))
            path, sheet, columns, rep, first_seen = place
            records.append(Record(spec.key, path, sheet, row[2], values, unread, columns, rep, first_seen))
        return records

    def set_status(self, form: str, file_id: int, rows: list[int], status: str) -> None:
        self._run_many(f"UPDATE rows_{form} SET _status=? WHERE _file_id=? AND _row=? AND _status!=?",
                       [(status, file_id, r, WITHDRAWN) for r in rows])

    def quarantined(self, file_ids: Iterable[int]) -> set[tuple[int, str, int]]:
        """The (file id, form, row) places of the quarantined rows of these files (few: read by status)."""
        wanted = set(file_ids)
        return {(file_id, form, row) for form in self.schema.sheets for file_id, row in self._rows(
            f"SELECT _file_id, _row FROM rows_{form} WHERE _status=?", (QUARANTINED,)) if file_id in wanted}

    def count_status(self) -> dict[str, int]:
        counts = {MERGED: 0, QUARANTINED: 0, WITHDRAWN: 0}
        for s in self.schema.sheets:
            for status, n in self._rows(f"SELECT _status, count(*) FROM rows_{s} GROUP BY _status"):
                counts[status] = counts.get(status, 0) + n
        return counts

    # Findings -----------------------------------------------------------------------------------------------
    def replace_findings(self, run_id: int, origin: str, file_ids: list[int], findings: list[tuple]) -> None:
        """Replace the findings of one origin ("read" or "rule") for the given files.

        Each finding is a tuple in FINDING_COLUMNS order.
        """
        for chunk in chunks(file_ids):
            self._run(f"DELETE FROM findings WHERE origin=? AND file_id IN ({marks(chunk)})", (origin, *chunk))
        self.add_findings(run_id, origin, findings)

    def delete_findings_at(self, origin: str, places: Iterable[tuple[int, str, int]],
                           codes: Sequence[str] | None = None) -> None:
        """Drop the findings of one origin (and of ``codes`` only, if given) at these (file id, form, row) places.
        The files' findings are read to find them: a re-merge's places run to tens of thousands."""
        places = set(places)
        only = f" AND code IN ({marks(codes)})" if codes else ""
        files = sorted({file_id for file_id, _, _ in places})
        doomed = [i for chunk in chunks(files) for i, *place in self._rows(
            f'SELECT id, file_id, form, "row" FROM findings WHERE origin=? AND file_id IN ({marks(chunk)}){only}',
            (origin, *chunk, *(codes or ()))) if tuple(place) in places]
        for chunk in chunks(doomed):
            self._run(f"DELETE FROM findings WHERE id IN ({marks(chunk)})", chunk)

    def add_findings(self, run_id: int, origin: str, findings: list[tuple]) -> None:
        """Add findings (tuples in FINDING_COLUMNS order) of one origin."""
        cols = ", ".join(FINDING_COLUMNS)
        if findings:
            self._run_many(f"INSERT INTO findings (run_id, origin, {cols}) VALUES (?, ?, {marks(FINDING_COLUMNS)})",
                           [(run_id, origin, *f) for f in findings])

    def customer_keys(self, file_ids: list[int], forms: Iterable[str] | None = None) -> set[str]:
        """The customers the current rows of these files name (all forms, or the given ones)."""
        keys: set[str] = set()
        for form in forms or self.schema.sheets:
            for chunk in chunks(file_ids):
                keys |= {k for (k,) in self._rows(f"SELECT DISTINCT _customer_key FROM rows_{form} WHERE _file_id "
                                                  f"IN ({marks(chunk)}) AND _status!=?", (*chunk, WITHDRAWN)) if k}
        return keys

    def customer_names(self, file_ids: list[int], keys: Iterable[str] | None = None) -> dict[str, str]:
        """Customer key -> its first registered name, from the current customer-information rows of these
        files; for these customer keys only (None: every customer)."""
        names: dict[str, str] = {}
        for chunk in chunks(file_ids):
            for some in [None] if keys is None else chunks(sorted(keys)):
                for key, name in self._rows(
                        f"SELECT _customer_key, customer FROM rows_customers WHERE {self._unindexed('_file_id')} "
                        f"IN ({marks(chunk)}) AND _status!=?{_within('_customer_key', some)[0]} "
                        "ORDER BY _file_id, _row", (*chunk, WITHDRAWN, *_within("_customer_key", some)[1])):
                    if key:
                        names.setdefault(key, name)
        return names

    def last_run(self) -> dict[str, Any] | None:
        """The latest finished merge run: its day, inboxes and counts."""
        found = self._rows("SELECT id, as_of, inboxes, counts FROM runs WHERE finished_at IS NOT NULL "
                           "ORDER BY id DESC LIMIT 1")
        if not found:
            return None
        run_id, as_of, inboxes, counts = found[0]
        return {"id": run_id, "as_of": as_of, "inboxes": json.loads(inboxes or "[]"), "counts": json.loads(counts or "{}")}

    def stored_findings(self, origin: str, file_ids: list[int]) -> list[tuple]:
        """Findings kept from earlier runs, as FINDING_COLUMNS tuples."""
        found: list[tuple] = []
        for chunk in chunks(file_ids):
            found += self._rows(f"SELECT {', '.join(FINDING_COLUMNS)} FROM findings WHERE origin=? AND "
                                f"file_id IN ({marks(chunk)}) ORDER BY id", (origin, *chunk))
        return found

    # Snapshots ----------------------------------------------------------------------------------------------
    def snapshot_pipeline(self, run_id: int, as_of: dt.date) -> None:
        """Keep the pipeline as it stands now, for week-over-week comparisons."""
        cols = ", ".join(f'"{k}"' for k in SNAPSHOT_FIELDS)
        self._run("DELETE FROM snapshots WHERE run_id=?", (run_id,))
        self._run(f"INSERT INTO snapshots (run_id, as_of, {cols}) SELECT ?, ?, {cols} FROM rows_pipeline "
                  f"WHERE _status=? ORDER BY _id", (run_id, as_of.isoformat(), MERGED))

    # Read for reports ---------------------------------------------------------------------------------------
    def frame(self, form: str, statuses: tuple[str, ...] = (MERGED,)) -> pd.DataFrame:
        """The rows of one form: its fields, plus lineage columns named with a leading "_"
        (``_file`` is the source path, ``_rep``, ``_sheet``, ``_row``, ``_first_seen``, and
        ``_last_seen``: the last merge that saw the row, which is its file's last sighting)."""
        order = ", ".join([self._asc("f.path", text=True), self._asc("r._sheet", text=True), "r._row", "r._id"])
        columns = ", ".join(f"r.{c}" for c in ["_id", *LINEAGE] if c != "_last_seen")
        fields = ", ".join(f'r."{f.key}"' for f in self.schema.sheets[form].fields)
        return self._frame(f"SELECT {columns}, f.last_seen AS _last_seen, {fields}, f.path AS _file "
                           f"FROM rows_{form} r JOIN files f ON f.id = r._file_id "
                           f"WHERE r._status IN ({marks(statuses)}) ORDER BY {order}", list(statuses))

    def findings(self) -> pd.DataFrame:
        order = ", ".join([self._asc("fl.path", text=True), self._asc("f.sheet", text=True),
                           self._asc("f.row"), "f.id"])
        return self._frame(f"SELECT f.*, fl.path AS file FROM findings f LEFT JOIN files fl ON fl.id=f.file_id "
                           f"ORDER BY {order}")

    def snapshots(self) -> pd.DataFrame:
        return self._frame("SELECT s.*, r.started_at FROM snapshots s JOIN runs r ON r.id=s.run_id "
                           "ORDER BY s.run_id, s.id")
