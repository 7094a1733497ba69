"""The consolidation store: every row ever merged, with its lineage, its findings, the run
history and a snapshot of the pipeline at each run.

``Store`` is the interface merge and rollup use; ``SqliteStore`` is the embedded default.
A server database implements the same methods (``open_store`` picks by URL) without
touching merge or rollup. Tables per form are generated from the schema:
``rows_<form>`` holds the form's fields plus lineage and a status (merged, quarantined,
withdrawn).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from .model import Record
from .schema import FieldSpec, Schema, SheetSpec, load_schema
from .values import is_blank

MERGED, QUARANTINED, WITHDRAWN = "merged", "quarantined", "withdrawn"
SCHEMA_VERSION = 1
# Lineage columns start with "_" so they never meet a form's own fields (objections has a 状态 "status").
LINEAGE = ["_file_id", "_sheet", "_row", "_rep", "_status", "_row_hash", "_first_seen", "_last_seen", "_run_id",
           "_columns", "_unread"]
SNAPSHOT_FIELDS = ["project_id", "project", "customer", "owner", "stage", "win_probability", "amount",
                   "expected_close", "forecast"]


class StoreBusy(RuntimeError):
    """Another merge holds the store."""


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


def open_store(location: str | Path, schema: Schema | None = None) -> "SqliteStore":
    """The store at a path (SQLite file). A URL scheme selects another backend."""
    text = str(location)
    if "://" in text:
        raise ValueError(f"unsupported store {text!r}: only SQLite file paths are available here")
    return SqliteStore(Path(text), schema or load_schema())


def _sql_type(f: FieldSpec) -> str:
    return {"int": "INTEGER", "number": "REAL", "percent": "REAL"}.get(f.type, "TEXT")


def _to_sql(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _from_sql(f: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if f.type in ("date", "month"):
        return dt.date.fromisoformat(value)
    return value


def now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")


class SqliteStore:
    def __init__(self, path: Path, schema: Schema):
        self.path, self.schema = path, schema
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        self.db.close()

    # Schema and migrations
    def _migrate(self) -> None:
        """Bring an older store up to SCHEMA_VERSION; new forms' tables and fields are added."""
        with self.transaction():
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            found = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if found and int(found[0]) > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} was written by a newer xltools (store v{found[0]})")
            for statement in filter(str.strip, _BASE_TABLES.split(";")):
                self.db.execute(statement)    # not executescript: it would commit this transaction
            for spec in self.schema.sheets.values():
                self._ensure_form_table(spec)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _ensure_form_table(self, spec: SheetSpec) -> None:
        table = f"rows_{spec.key}"
        cols = ", ".join(f'"{f.key}" {_sql_type(f)}' for f in spec.fields)
        self.db.execute(f"""CREATE TABLE IF NOT EXISTS {table} (
            _id INTEGER PRIMARY KEY, _file_id INTEGER NOT NULL REFERENCES files(id), _sheet TEXT, _row INTEGER,
            _rep TEXT, _status TEXT NOT NULL, _row_hash TEXT, _first_seen TEXT, _last_seen TEXT, _run_id INTEGER,
            _columns TEXT, _unread TEXT, {cols})""")
        self.db.execute(f"CREATE INDEX IF NOT EXISTS {table}_file ON {table}(_file_id)")
        have = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
        for f in spec.fields:
            if f.key not in have:
                self.db.execute(f'ALTER TABLE {table} ADD COLUMN "{f.key}" {_sql_type(f)}')

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # Runs
    def start_run(self, as_of: dt.date, inboxes: list[str]) -> int:
        cur = self.db.execute("INSERT INTO runs (started_at, as_of, inboxes) VALUES (?, ?, ?)",
                              (now(), as_of.isoformat(), json.dumps(inboxes, ensure_ascii=False)))
        return cur.lastrowid

    def finish_run(self, run_id: int, counts: dict[str, Any]) -> None:
        self.db.execute("UPDATE runs SET finished_at=?, counts=? WHERE id=?",
                        (now(), json.dumps(counts, ensure_ascii=False), run_id))

    def runs(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM runs ORDER BY id", self.db)

    # Files
    def files(self) -> dict[tuple[str, str], StoredFile]:
        """Every file ever merged, by (inbox, path relative to the inbox)."""
        rows = self.db.execute("SELECT id, inbox, path, sha256, rep, status, first_seen, last_seen FROM files")
        return {(r[1], r[2]): StoredFile(*r) for r in rows}

    def upsert_file(self, inbox: str, path: str, sha256: str | None, rep: str | None, status: str,
                    run_id: int, reason: str = "") -> int:
        stamp = now()
        self.db.execute("""INSERT INTO files (inbox, path, sha256, rep, status, reason, first_seen, last_seen,
            last_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(inbox, path) DO UPDATE SET
            sha256=excluded.sha256, rep=excluded.rep, status=excluded.status, reason=excluded.reason,
            last_seen=excluded.last_seen, last_run=excluded.last_run""",
                        (inbox, path, sha256, rep, status, reason, stamp, stamp, run_id))
        return self.db.execute("SELECT id FROM files WHERE inbox=? AND path=?", (inbox, path)).fetchone()[0]

    def touch_file(self, file_id: int, run_id: int) -> None:
        """An unchanged file was seen again: its rows are still current."""
        stamp = now()
        self.db.execute("UPDATE files SET last_seen=?, last_run=?, status='active' WHERE id=?",
                        (stamp, run_id, file_id))
        for spec in self.schema.sheets.values():
            self.db.execute(f"UPDATE rows_{spec.key} SET _last_seen=? WHERE _file_id=? AND _status!=?",
                            (stamp, file_id, WITHDRAWN))

    def withdraw_file(self, file_id: int) -> int:
        """A file left the inbox: keep its rows, marked withdrawn. Returns how many."""
        self.db.execute("UPDATE files SET status='withdrawn' WHERE id=?", (file_id,))
        return sum(self.db.execute(f"UPDATE rows_{s} SET _status=? WHERE _file_id=? AND _status!=?",
                                   (WITHDRAWN, file_id, WITHDRAWN)).rowcount for s in self.schema.sheets)

    def prune_file(self, file_id: int) -> int:
        """Delete a withdrawn file's rows for good (``merge --prune``)."""
        n = sum(self.db.execute(f"DELETE FROM rows_{s} WHERE _file_id=?", (file_id,)).rowcount
                for s in self.schema.sheets)
        self.db.execute("DELETE FROM findings WHERE file_id=?", (file_id,))
        self.db.execute("DELETE FROM files WHERE id=?", (file_id,))
        return n

    # Rows
    def replace_rows(self, file_id: int, records: list[Record], run_id: int) -> None:
        """A changed file's rows replace its previous ones; a row seen before keeps its first_seen."""
        stamp = now()
        for spec in self.schema.sheets.values():
            table = f"rows_{spec.key}"
            first_seen = dict(self.db.execute(f"SELECT _row_hash, _first_seen FROM {table} WHERE _file_id=?",
                                              (file_id,)).fetchall())
            self.db.execute(f"DELETE FROM {table} WHERE _file_id=?", (file_id,))
            mine = [r for r in records if r.form == spec.key]
            if not mine:
                continue
            keys = [f.key for f in spec.fields]
            names = ", ".join(LINEAGE + [f'"{k}"' for k in keys])
            marks = ", ".join("?" * (len(LINEAGE) + len(keys)))
            rows = []
            for r in mine:
                digest = row_hash(r, keys)
                r.first_seen = dt.datetime.fromisoformat(first_seen.get(digest, stamp))
                rows.append([file_id, r.sheet, r.row, r.rep, MERGED, digest, r.first_seen.isoformat(sep=" "),
                             stamp, run_id, json.dumps(r.columns), _unread(r, keys)]
                            + [_to_sql(r.values.get(k)) for k in keys])
            self.db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def load_records(self, file_ids: list[int], paths: dict[int, str]) -> list[Record]:
        """Rebuild the current rows of unchanged files, so rules see every file of the inbox."""
        records: list[Record] = []
        for spec in self.schema.sheets.values():
            keys = [f.key for f in spec.fields]
            quoted = ", ".join(f'"{k}"' for k in keys)
            for chunk in _chunks(file_ids):
                records += self._records(spec, keys, quoted, chunk, paths)
        return records

    def _records(self, spec: SheetSpec, keys, quoted, file_ids, paths) -> list[Record]:
        records = []
        marks = ", ".join("?" * len(file_ids))
        sql = (f"SELECT _file_id, _sheet, _row, _rep, _first_seen, _columns, _unread, {quoted} FROM rows_{spec.key} "
               f"WHERE _file_id IN ({marks}) AND _status!=? ORDER BY _id")
        for row in self.db.execute(sql, (*file_ids, WITHDRAWN)):
            values = {k: _from_sql(spec.field(k), v) for k, v in zip(keys, row[7:])}
            raw = {**values, **json.loads(row[6] or "{}")}
            records.append(Record(spec.key, paths[row[0]], row[1], row[2], values, raw,
                                  json.loads(row[5] or "{}"), row[3], dt.datetime.fromisoformat(row[4])))
        return records

    def set_status(self, form: str, file_id: int, rows: list[int], status: str) -> None:
        self.db.executemany(f"UPDATE rows_{form} SET _status=? WHERE _file_id=? AND _row=? AND _status!=?",
                            [(status, file_id, r, WITHDRAWN) for r in rows])

    def reset_status(self, file_ids: list[int]) -> None:
        for chunk in _chunks(file_ids):
            marks = ", ".join("?" * len(chunk))
            for s in self.schema.sheets:
                self.db.execute(f"UPDATE rows_{s} SET _status=? WHERE _file_id IN ({marks}) AND _status=?",
                                (MERGED, *chunk, QUARANTINED))

    def count_status(self) -> dict[str, int]:
        counts = {MERGED: 0, QUARANTINED: 0, WITHDRAWN: 0}
        for s in self.schema.sheets:
            for status, n in self.db.execute(f"SELECT _status, count(*) FROM rows_{s} GROUP BY _status"):
                counts[status] = counts.get(status, 0) + n
        return counts

    # Findings
    def replace_findings(self, run_id: int, origin: str, file_ids: list[int], findings: list[tuple]) -> None:
        """Replace the findings of one origin ("read" or "rule") for the given files.

        Each finding is a tuple in FINDING_COLUMNS order.
        """
        for chunk in _chunks(file_ids):
            marks = ", ".join("?" * len(chunk))
            self.db.execute(f"DELETE FROM findings WHERE origin=? AND file_id IN ({marks})", (origin, *chunk))
        cols = ", ".join(FINDING_COLUMNS)
        self.db.executemany(
            f"INSERT INTO findings (run_id, origin, {cols}) VALUES (?, ?, {', '.join('?' * len(FINDING_COLUMNS))})",
            [(run_id, origin, *f) for f in findings])

    def stored_findings(self, origin: str, file_ids: list[int]) -> list[tuple]:
        """Findings kept from earlier runs, as FINDING_COLUMNS tuples."""
        found: list[tuple] = []
        for chunk in _chunks(file_ids):
            marks = ", ".join("?" * len(chunk))
            found += self.db.execute(f"SELECT {', '.join(FINDING_COLUMNS)} FROM findings WHERE origin=? AND "
                                     f"file_id IN ({marks}) ORDER BY id", (origin, *chunk)).fetchall()
        return found

    # Snapshots
    def snapshot_pipeline(self, run_id: int, as_of: dt.date) -> None:
        """Keep the pipeline as it stands now, for week-over-week comparisons."""
        cols = ", ".join(f'"{k}"' for k in SNAPSHOT_FIELDS)
        self.db.execute("DELETE FROM snapshots WHERE run_id=?", (run_id,))
        self.db.execute(f"INSERT INTO snapshots (run_id, as_of, {cols}) SELECT ?, ?, {cols} FROM rows_pipeline "
                        f"WHERE _status=?", (run_id, as_of.isoformat(), MERGED))

    # Read for reports
    def frame(self, form: str, statuses: tuple[str, ...] = (MERGED,)) -> pd.DataFrame:
        """The rows of one form: its fields, plus lineage columns named with a leading "_"
        (``_file`` is the source path, ``_rep``, ``_sheet``, ``_row``, ``_first_seen`` ...)."""
        marks = ", ".join("?" * len(statuses))
        sql = (f"SELECT r.*, f.path AS _file FROM rows_{form} r JOIN files f ON f.id = r._file_id "
               f"WHERE r._status IN ({marks}) ORDER BY f.path, r._sheet, r._row")
        return pd.read_sql_query(sql, self.db, params=list(statuses))

    def findings(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT f.*, fl.path AS file FROM findings f LEFT JOIN files fl ON fl.id=f.file_id "
                                 "ORDER BY fl.path, f.sheet, f.row", self.db)

    def snapshots(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT s.*, r.started_at FROM snapshots s JOIN runs r ON r.id=s.run_id "
                                 "ORDER BY s.run_id", self.db)

    # Locking
    @contextlib.contextmanager
    def lock(self, wait: float = 30.0) -> Iterator[None]:
        """One merge at a time: a second one waits, then stops with a clear message."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        deadline = time.monotonic() + wait
        with open(lock_path, "a+") as fh:
            while not _try_lock(fh):
                if time.monotonic() > deadline:
                    raise StoreBusy(str(self.path))
                time.sleep(0.2)
            try:
                yield
            finally:
                _unlock(fh)


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    """SQLite limits how many ? a statement may hold."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _unread(record: Record, keys: list[str]) -> str | None:
    """Cells that held something unreadable: rules must not call them empty when rows are reloaded."""
    unread = {k: str(record.raw[k]) for k in keys
              if record.values.get(k) is None and not is_blank(record.raw.get(k))}
    return json.dumps(unread, ensure_ascii=False) if unread else None


def row_hash(record: Record, keys: list[str]) -> str:
    import hashlib
    text = json.dumps([_to_sql(record.values.get(k)) for k in keys], ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _try_lock(fh) -> bool:
    try:
        if os.name == "nt":
            import msvcrt
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fh) -> None:
    if os.name == "nt":
        import msvcrt
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


FINDING_COLUMNS = ["file_id", "form", "sheet", "row", "column_letter", "field", "code", "severity", "customer",
                   "rep", "value", "message_zh", "message_en"]

_BASE_TABLES = """
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started_at TEXT, finished_at TEXT, as_of TEXT,
    inboxes TEXT, counts TEXT);
CREATE TABLE IF NOT EXISTS files (id INTEGER PRIMARY KEY, inbox TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT,
    rep TEXT, status TEXT, reason TEXT, first_seen TEXT, last_seen TEXT, last_run INTEGER, UNIQUE (inbox, path));
CREATE TABLE IF NOT EXISTS findings (id INTEGER PRIMARY KEY, run_id INTEGER, origin TEXT, file_id INTEGER, form TEXT,
    sheet TEXT, row INTEGER, column_letter TEXT, field TEXT, code TEXT, severity TEXT, customer TEXT, rep TEXT,
    value TEXT, message_zh TEXT, message_en TEXT);
CREATE INDEX IF NOT EXISTS findings_file ON findings(file_id);
CREATE TABLE IF NOT EXISTS snapshots (id INTEGER PRIMARY KEY, run_id INTEGER, as_of TEXT, project_id TEXT,
    project TEXT, customer TEXT, owner TEXT, stage TEXT, win_probability REAL, amount REAL, expected_close TEXT,
    forecast TEXT);
"""
