"""The consolidation store: every row ever merged, with its lineage, its findings, the run
history and a snapshot of the pipeline at each run.

``Store`` is the interface merge, rollup and the master workbook use. It holds every SQL
statement once; the two backends only say how to talk to their database:

* ``SqliteStore`` -- a file beside the inbox, the embedded default (stdlib ``sqlite3``);
* ``PostgresStore`` (``store_pg.py``) -- a shared database server, for several admins
  merging into one place (``psycopg``, installed with ``pip install 'xltools[postgres]'``).

``open_store`` picks the backend: a path (or ``sqlite:///path``) is SQLite, a
``postgresql://`` URL is PostgreSQL. Statements are written with ``?`` placeholders and
types that both databases read the same way (dates as ISO text, JSON as text), so the same
merge gives the same rows and the same summary on either.

Tables per form are generated from the schema: ``rows_<form>`` holds the form's fields
plus lineage columns (``_file_id``, ``_row``, ``_customer_key`` ...) and a status
(merged, quarantined, withdrawn). The layout is versioned: ``MIGRATIONS`` upgrade an older
store in place when it is opened.
"""
from __future__ import annotations

import abc
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import pandas as pd

from xltools import errors
from xltools.atomic import current_umask
from xltools.forms.model import Record, customer_key
from xltools.forms.schema import FieldSpec, Schema, SheetSpec, load_schema
from xltools.forms.values import is_blank

MERGED, QUARANTINED, WITHDRAWN = "merged", "quarantined", "withdrawn"
SCHEMA_VERSION = 6
# Lineage columns start with "_" so they never meet a form's own fields (objections has a 状态 "status").
LINEAGE = ["_file_id", "_sheet", "_row", "_rep", "_status", "_row_hash", "_first_seen", "_last_seen", "_run_id",
           "_columns", "_unread", "_customer_key"]
SNAPSHOT_FIELDS = ["project_id", "project", "customer", "owner", "stage", "win_probability", "amount",
                   "expected_close", "forecast"]
FINDING_COLUMNS = ["file_id", "form", "sheet", "row", "column_letter", "field", "code", "severity", "customer",
                   "rep", "value", "message_zh", "message_en", "row_key"]
POSTGRES_SCHEMES = ("postgresql", "postgres")


class StoreBusy(errors.UserError):
    """Another merge held the store (or the same inbox of it) for longer than the wait."""

    def __init__(self, store: str):
        super().__init__(f"另一个合并正在使用 {store}，请稍后再试。",
                         f"Another merge is using {store}; try again when it has finished.")
        self.store = store


class StoreUnavailable(errors.UserError):
    """The store cannot be opened: no driver, no server, wrong credentials. The message is safe to show."""

    def __init__(self, message: str):
        super().__init__(message, message)


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


# --- Locations --------------------------------------------------------------------------------------------


def is_url(location: str | Path | None) -> bool:
    """True for a database URL (``postgresql://...``), False for a file path."""
    return location is not None and not isinstance(location, Path) and "://" in str(location)


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``, for anything printed, logged or written."""
    scheme, sep, rest = url.partition("://")
    before_query, question, query = rest.partition("?")
    # The last "@" before the query ends the user part, even when the password holds an unescaped "/" or "@".
    userinfo, at, host = before_query.rpartition("@")
    if at and ":" in userinfo:
        before_query = userinfo.split(":", 1)[0] + ":***@" + host
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", query)
    return scheme + sep + before_query + question + query


def safe_location(location: str | Path) -> str | Path:
    """What to show for a store: a path as it is, a URL without its password."""
    return mask_url(str(location)) if is_url(location) else location


def resolve_location(text: str, base: Path) -> str | Path:
    """A store named in a setting (the 设置 sheet, a config file): a URL as it is, a path
    relative to ``base`` (the workbook's folder)."""
    text = text.strip().strip('"')
    if is_url(text):
        return text
    path = Path(os.path.expandvars(os.path.expanduser(text)))
    return path if path.is_absolute() else base / path


def open_store(location: str | Path, schema: Schema | None = None, read_only: bool = False) -> "Store":
    """The store at a path (SQLite file) or a database URL (``postgresql://user@host/db``).

    The store's tables are created, or upgraded to this version's layout, on opening.
    :param read_only: only read (rollup, the summary buttons): nothing is created or
        upgraded, SQLite opens the file read-only, PostgreSQL runs read-only transactions.
    :raises StoreUnavailable: the URL's backend is missing or its server refuses the connection.
    :raises UserError: a damaged or foreign file, a store from a newer version, no permission.
    """
    schema = schema or load_schema()
    if not is_url(location):
        return SqliteStore(Path(location), schema, read_only)
    text = str(location)
    scheme = text.split("://", 1)[0].lower()
    if scheme == "sqlite":                       # sqlite:///relative.db, sqlite:////absolute.db
        return SqliteStore(Path(text.split("://", 1)[1][1:]), schema, read_only)
    if scheme.split("+", 1)[0] in POSTGRES_SCHEMES:
        from xltools.store.postgres import PostgresStore
        return PostgresStore(text, schema, read_only)
    raise ValueError(f"unsupported store {mask_url(text)!r}: use a file path or a postgresql:// URL")


# --- Values -----------------------------------------------------------------------------------------------


_PLAIN = frozenset({type(None), str, float, int})    # stored as they are


def _to_sql(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def now() -> str:
    # Microseconds: two merges in one second must still be told apart (first sightings).
    return dt.datetime.now().isoformat(sep=" ", timespec="microseconds")


def identity_hash(spec: SheetSpec, values: dict[str, Any]) -> str:
    """A row's identity across versions of its file: its natural key (the customer matched
    loosely), so that a rep filling in a later column does not make the row new. A row with
    an empty key is known by its whole content."""
    key = [customer_key(values.get(k)) if k == spec.customer_field else _to_sql(values.get(k))
           for k in spec.natural_key]
    if all(v in (None, "") for v in key):
        key = [_to_sql(values.get(f.key)) for f in spec.fields]
    return _hash_values(key)


# json.dumps with these options would build an encoder per call; the text is the same.
_HASH_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


def _hash_values(values: list) -> str:
    # The format is part of the store: a row keeps its first_seen across merges only while
    # its hash is the same, so a change here needs a migration (see _v3_identity).
    text = _HASH_JSON.encode(values)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def row_customer_key(spec: SheetSpec, values: dict[str, Any]) -> str | None:
    """The ``_customer_key`` lineage of a row: its customer, normalised for matching; NULL for
    forms without a customer."""
    return customer_key(values.get(spec.customer_field)) if spec.customer_field else None


def _unread(record: Record, keys: list[str]) -> str | None:
    """Cells that held something unreadable: rules must not call them empty when rows are reloaded."""
    unread = {k: str(record.raw[k]) for k in keys
              if record.values.get(k) is None and not is_blank(record.raw.get(k))}
    return json.dumps(unread, ensure_ascii=False) if unread else None


class _Shared:
    """Reloaded rows share one object per repeated value (names, dates, column maps), as read
    rows do: the whole inbox's rows must fit in memory for the rules."""

    def __init__(self):
        self.pool: dict[Any, Any] = {}

    def text(self, value: Any) -> Any:
        return self.pool.setdefault(value, value) if isinstance(value, str) and len(value) <= 40 else value

    def parsed(self, text: str, parse: Callable[[str], Any]) -> Any:
        key = ("parsed", text)
        if key not in self.pool:
            self.pool[key] = parse(text)
        return self.pool[key]

    def value(self, f: FieldSpec, value: Any) -> Any:
        if value is None:
            return None
        if f.type in ("date", "month"):
            return self.parsed(value, dt.date.fromisoformat)
        return self.text(value)


def _within(column: str, values: Sequence | None) -> tuple[str, Sequence]:
    """A ``_records`` condition: ``column`` holds one of ``values`` (None: no condition)."""
    return ("", ()) if values is None else (f' AND "{column}" IN ({_marks(values)})', values)


def _chunks(items: Sequence, size: int = 500) -> Iterator[list]:
    """Keep IN (...) lists short: SQLite limits how many ? a statement may hold."""
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _marks(items: Sequence) -> str:
    return ", ".join("?" * len(items))


# --- The interface, once for both databases ---------------------------------------------------------------


class Store(abc.ABC):
    """The consolidation store. Subclasses connect and provide the few dialect hooks below."""

    # Column types, by role. SQLite's INTEGER/REAL are 64-bit; PostgreSQL says so explicitly.
    ID = "INTEGER PRIMARY KEY"
    INT = "INTEGER"
    REAL = "REAL"

    path: Path | str      # the file, or the URL without its password: safe to show
    schema: Schema
    db: Any               # the DB-API connection (sqlite3 or psycopg)

    read_only: bool = False

    def __init__(self, schema: Schema):
        self.schema = schema
        self._in_transaction = False
        try:
            self._check()
            if not self.read_only:
                self._prepare_writing()
                self._migrate()
        except BaseException:
            self.close()            # a refused store leaves no connection (or server session) behind
            raise

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def close(self) -> None:
        self.db.close()

    # Dialect hooks ------------------------------------------------------------------------------------------
    def _run(self, sql: str, params: Sequence = ()) -> Any:
        """Execute one statement written with ? placeholders; returns the cursor."""
        return self.db.execute(sql, params)

    def _run_many(self, sql: str, rows: Iterable[Sequence]) -> None:
        self.db.executemany(sql, rows)

    def _bulk_insert(self, table: str, columns: str, rows: list[Sequence]) -> None:
        """Insert many rows at once (a changed file's rows: up to 100k per sheet)."""
        self._run_many(f"INSERT INTO {table} ({columns}) VALUES ({_marks(rows[0])})", rows)

    @abc.abstractmethod
    def _insert_id(self, sql: str, params: Sequence) -> int:
        """Run an INSERT and return the new row's id."""

    @abc.abstractmethod
    def _tables(self) -> set[str]:
        """The names of the store's tables."""

    @abc.abstractmethod
    def _columns(self, table: str) -> set[str]:
        """The column names of one table."""

    @abc.abstractmethod
    def _indexes(self) -> set[str]:
        """The names of the store's indexes."""

    @abc.abstractmethod
    def _open_transaction(self, write: bool) -> contextlib.AbstractContextManager:
        """A transaction: one that may write, or a read-only one seeing a single state."""

    def _prepare_writing(self) -> None:
        """Called once a store that will be written has passed ``_check``."""

    def _migration_lock(self) -> None:
        """Called first in the migration transaction: concurrent openers upgrade one at a time."""

    def _asc(self, expr: str, text: bool = False) -> str:
        """An ascending ORDER BY term sorting like SQLite does: NULLs first, text by code point."""
        return expr

    @abc.abstractmethod
    def lock(self, keys: Iterable[str] = (), wait: float = 30.0) -> contextlib.AbstractContextManager:
        """Hold the merge lock of ``keys`` (inboxes), or of the whole store when there are none.

        A second holder of the same key waits up to ``wait`` seconds, then gets StoreBusy.
        """

    # Transactions -------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: the statements inside commit together."""
        with self._open_transaction(write=True):
            self._in_transaction = True
            try:
                yield
            finally:
                self._in_transaction = False

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Reads inside see one consistent state, even while another admin's merge commits."""
        if self._in_transaction:
            yield
            return
        with self._open_transaction(write=False):
            self._in_transaction = True
            try:
                yield
            finally:
                self._in_transaction = False

    def _rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return [tuple(r) for r in self._run(sql, params).fetchall()]

    def _frame(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        """A query's rows as a frame, built as pandas.read_sql_query builds it, for every backend."""
        cursor = self._run(sql, params)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns, coerce_float=True)

    def _ddl(self, sql: str) -> str:
        return sql.format(ID=self.ID, INT=self.INT, REAL=self.REAL)

    def _sql_type(self, f: FieldSpec) -> str:
        return {"int": self.INT, "number": self.REAL, "percent": self.REAL}.get(f.type, "TEXT")

    # Schema and migrations ----------------------------------------------------------------------------------
    def version(self) -> int:
        """The layout version the store is at (0: empty)."""
        if "meta" not in self._tables():
            return 0
        found = self._rows("SELECT value FROM meta WHERE key='schema_version'")
        return int(found[0][0]) if found else 0

    def _check(self) -> None:
        """Refuse, before anything is written, a foreign or damaged store or one from a newer
        version; a read-only opener also needs one at this version (it cannot upgrade)."""
        with self.reading():
            version, tables = self.version(), self._tables()
        if version == 0 and tables and "runs" not in tables:
            raise errors.store_corrupt(self.path)
        if version > SCHEMA_VERSION:
            raise errors.store_too_new(self.path, version)
        if self.read_only and version < SCHEMA_VERSION:
            raise errors.store_outdated(self.path)

    def integrity_check(self) -> None:
        """A cheap check that the store is sound, before a run writes into it."""

    def _migrate(self) -> None:
        """Bring the store up to SCHEMA_VERSION, then add the tables and fields of new forms.

        Nothing is written when the store is up to date, so a read-only user can open it.
        """
        with self.transaction():
            self._migration_lock()
            version = self.version()
            if version > SCHEMA_VERSION:
                raise errors.store_too_new(self.path, version)
            for step in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](self)
            tables, indexes = self._tables(), self._indexes()
            for spec in self.schema.sheets.values():
                self._ensure_form_table(spec, tables, indexes)
            if version != SCHEMA_VERSION:
                self._run("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))

    def _ensure_form_table(self, spec: SheetSpec, tables: set[str], indexes: set[str]) -> None:
        """The form's table at the current layout; fields added to the schema become new columns."""
        table = f"rows_{spec.key}"
        if table not in tables:
            cols = ", ".join(f'"{f.key}" {self._sql_type(f)}' for f in spec.fields)
            self._run(self._ddl(f"""CREATE TABLE {table} (
                _id {{ID}}, _file_id {{INT}} NOT NULL REFERENCES files(id), _sheet TEXT, _row {{INT}},
                _rep TEXT, _status TEXT NOT NULL, _row_hash TEXT, _first_seen TEXT, _last_seen TEXT,
                _run_id {{INT}}, _columns TEXT, _unread TEXT, _customer_key TEXT, {cols})"""))
        else:
            have = self._columns(table)
            for f in spec.fields:
                if f.key not in have:
                    self._run(f'ALTER TABLE {table} ADD COLUMN "{f.key}" {self._sql_type(f)}')
        for name, column in ((f"{table}_file", "_file_id"), (f"{table}_customer", "_customer_key")):
            if name not in indexes:
                self._run(f"CREATE INDEX {name} ON {table}({column})")

    def drop_tables(self) -> None:
        """Remove everything the store holds (the demo starts from nothing). The store is closed."""
        with self.transaction():
            tables = self._tables()
            for table in sorted(t for t in tables if t.startswith("rows_")):   # before files: they refer to it
                self._run(f"DROP TABLE {table}")
            for table in ("findings", "snapshots", "files", "runs", "meta"):
                if table in tables:
                    self._run(f"DROP TABLE {table}")
        self.close()

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
                self._insert_rows(spec, file_id, mine, run_id, stamp, first_seen)

    def _insert_rows(self, spec: SheetSpec, file_id: int, records: list[Record], run_id: int, stamp: str,
                     first_seen: dict[str, str]) -> None:
        keys = [f.key for f in spec.fields]
        names = ", ".join(LINEAGE + [f'"{k}"' for k in keys])
        stamp_time = dt.datetime.fromisoformat(stamp)
        dated = [i for i, f in enumerate(spec.fields) if f.type in ("date", "month")]
        columns_json: dict[int, str] = {}          # the column map is shared by a sheet's rows: dump it once
        rows = []
        for r in records:
            values = list(map(r.values.get, keys))
            for i in dated:
                if values[i] is not None:
                    values[i] = _to_sql(values[i])
            if not _PLAIN.issuperset(map(type, values)):     # anything else unusual: one check in C
                values = list(map(_to_sql, values))
            digest = identity_hash(spec, r.values)
            seen = first_seen.get(digest)
            r.first_seen = dt.datetime.fromisoformat(seen) if seen else stamp_time
            if id(r.columns) not in columns_json:
                columns_json[id(r.columns)] = json.dumps(r.columns)
            rows.append([file_id, r.sheet, r.row, r.rep, MERGED, digest, seen or stamp, stamp, run_id,
                         columns_json[id(r.columns)], _unread(r, keys) if r.raw else None,
                         row_customer_key(spec, r.values), *values])
        self._bulk_insert(f"rows_{spec.key}", names, rows)

    def load_records(self, file_ids: list[int], paths: dict[int, str],
                     customer_keys: set[str] | None = None) -> list[Record]:
        """Rebuild the current rows of unchanged files, so rules see every file of the inbox.

        :param customer_keys: only the rows about these customers (``model.customer_key``);
            None for every row.
        """
        if customer_keys is not None and not customer_keys:
            return []
        key_chunks = list(_chunks(sorted(customer_keys))) if customer_keys is not None else [None]
        records: list[Record] = []
        for spec in self.schema.sheets.values():
            if customer_keys is not None and not spec.customer_field:
                continue                        # the form has no customer to match
            for ids in _chunks(file_ids):
                for keys in key_chunks:
                    records += self._records(spec, ids, paths, *_within("_customer_key", keys))
        return records

    def load_matching(self, file_ids: list[int], paths: dict[int, str], form: str, column: str,
                      values: set) -> list[Record]:
        """The current rows of one form of these files whose ``column`` (a field key or
        ``_customer_key``) holds one of ``values``."""
        spec = self.schema.sheets[form]
        return [r for ids in _chunks(file_ids) for some in _chunks(sorted(values, key=str))
                for r in self._records(spec, ids, paths, *_within(column, some))]

    def load_between(self, file_ids: list[int], paths: dict[int, str], form: str, column: str,
                     low: dt.date, high: dt.date) -> list[Record]:
        """The current rows of one form of these files whose date ``column`` lies in [low, high]."""
        spec = self.schema.sheets[form]
        return [r for ids in _chunks(file_ids) for r in self._records(
            spec, ids, paths, f' AND "{column}" BETWEEN ? AND ?', [_to_sql(low), _to_sql(high)])]

    def load_flagged(self, file_ids: list[int], paths: dict[int, str], codes: list[str]) -> list[Record]:
        """The current rows of these files that carry a rule finding of one of ``codes``."""
        if not codes:
            return []
        places: dict[tuple[str, int], list[int]] = {}
        for ids in _chunks(file_ids):
            for form, file_id, row in self._rows(
                    f'SELECT DISTINCT form, file_id, "row" FROM findings WHERE origin=? AND code IN ({_marks(codes)}) '
                    f"AND file_id IN ({_marks(ids)})", ("rule", *codes, *ids)):
                places.setdefault((form, file_id), []).append(row)
        return [r for (form, file_id), rows in places.items() if form in self.schema.sheets
                for some in _chunks(rows) for r in self._records(self.schema.sheets[form], [file_id], paths,
                                                                 *_within("_row", some))]

    def distinct_values(self, file_ids: list[int], form: str, column: str) -> set:
        """The values ``column`` takes in the current rows of one form of these files."""
        return {v for chunk in _chunks(file_ids) for (v,) in self._rows(
            f'SELECT DISTINCT "{column}" FROM rows_{form} WHERE _file_id IN ({_marks(chunk)}) AND _status!=?',
            (*chunk, WITHDRAWN)) if v is not None and v != ""}

    def _records(self, spec: SheetSpec, file_ids: list[int], paths: dict[int, str],
                 condition: str = "", condition_params: Sequence = ()) -> list[Record]:
        """Rows of these files (``condition``: more SQL for the WHERE clause, starting with AND)."""
        keys = [f.key for f in spec.fields]
        quoted = ", ".join(f'"{k}"' for k in keys)
        where = f"_file_id IN ({_marks(file_ids)}) AND _status!=?{condition}"
        params: list[Any] = [*file_ids, WITHDRAWN, *condition_params]
        sql = (f"SELECT _file_id, _sheet, _row, _rep, _first_seen, _columns, _unread, {quoted} "
               f"FROM rows_{spec.key} WHERE {where} ORDER BY _id")
        records = []
        shared = _Shared()
        fields = [spec.field(k) for k in keys]
        for row in self._rows(sql, params):
            values = {f.key: shared.value(f, v) for f, v in zip(fields, row[7:])}
            unread = json.loads(row[6]) if row[6] else {}     # Record.raw: what the unreadable cells held
            records.append(Record(spec.key, paths[row[0]], shared.text(row[1]), row[2], values, unread,
                                  shared.parsed(row[5] or "{}", json.loads), shared.text(row[3]),
                                  shared.parsed(row[4], dt.datetime.fromisoformat)))
        return records

    def set_status(self, form: str, file_id: int, rows: list[int], status: str) -> None:
        self._run_many(f"UPDATE rows_{form} SET _status=? WHERE _file_id=? AND _row=? AND _status!=?",
                       [(status, file_id, r, WITHDRAWN) for r in rows])

    def reset_status(self, file_ids: list[int]) -> None:
        for chunk in _chunks(file_ids):
            for s in self.schema.sheets:
                self._run(f"UPDATE rows_{s} SET _status=? WHERE _file_id IN ({_marks(chunk)}) AND _status=?",
                          (MERGED, *chunk, QUARANTINED))

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
        for chunk in _chunks(file_ids):
            self._run(f"DELETE FROM findings WHERE origin=? AND file_id IN ({_marks(chunk)})", (origin, *chunk))
        self.add_findings(run_id, origin, findings)

    def delete_findings_at(self, origin: str, places: Iterable[tuple[int, str, int]],
                           codes: Sequence[str] | None = None) -> None:
        """Drop the findings of one origin (and of ``codes`` only, if given) at these (file id, form, row) places."""
        only = f" AND code IN ({_marks(codes)})" if codes else ""
        self._run_many(f'DELETE FROM findings WHERE origin=? AND file_id=? AND form=? AND "row"=?{only}',
                       [(origin, *place, *(codes or ())) for place in places])

    def add_findings(self, run_id: int, origin: str, findings: list[tuple]) -> None:
        """Add findings (tuples in FINDING_COLUMNS order) of one origin."""
        cols = ", ".join(FINDING_COLUMNS)
        if findings:
            self._run_many(f"INSERT INTO findings (run_id, origin, {cols}) VALUES (?, ?, {_marks(FINDING_COLUMNS)})",
                           [(run_id, origin, *f) for f in findings])

    def customer_keys(self, file_ids: list[int], forms: Iterable[str] | None = None) -> set[str]:
        """The customers the current rows of these files name (all forms, or the given ones)."""
        keys: set[str] = set()
        for form in forms or self.schema.sheets:
            for chunk in _chunks(file_ids):
                keys |= {k for (k,) in self._rows(f"SELECT DISTINCT _customer_key FROM rows_{form} WHERE _file_id "
                                                  f"IN ({_marks(chunk)}) AND _status!=?", (*chunk, WITHDRAWN)) if k}
        return keys

    def customer_names(self, file_ids: list[int]) -> dict[str, str]:
        """Customer key -> its first registered name, from the current customer-information rows of these files."""
        names: dict[str, str] = {}
        for chunk in _chunks(file_ids):
            for key, name in self._rows(f"SELECT _customer_key, customer FROM rows_customers WHERE _file_id "
                                        f"IN ({_marks(chunk)}) AND _status!=? ORDER BY _file_id, _row",
                                        (*chunk, WITHDRAWN)):
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
        for chunk in _chunks(file_ids):
            found += self._rows(f"SELECT {', '.join(FINDING_COLUMNS)} FROM findings WHERE origin=? AND "
                                f"file_id IN ({_marks(chunk)}) ORDER BY id", (origin, *chunk))
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
                           f"WHERE r._status IN ({_marks(statuses)}) ORDER BY {order}", list(statuses))

    def findings(self) -> pd.DataFrame:
        order = ", ".join([self._asc("fl.path", text=True), self._asc("f.sheet", text=True),
                           self._asc("f.row"), "f.id"])
        return self._frame(f"SELECT f.*, fl.path AS file FROM findings f LEFT JOIN files fl ON fl.id=f.file_id "
                           f"ORDER BY {order}")

    def snapshots(self) -> pd.DataFrame:
        return self._frame("SELECT s.*, r.started_at FROM snapshots s JOIN runs r ON r.id=s.run_id "
                           "ORDER BY s.run_id, s.id")


# --- SQLite -----------------------------------------------------------------------------------------------


class SqliteStore(Store):
    """A store in one SQLite file: the embedded default, nothing to install or run."""

    def __init__(self, path: Path, schema: Schema, read_only: bool = False):
        import sqlite3
        self.path, self.read_only = path, read_only
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".csv"):
            raise errors.store_corrupt(path)          # a workbook given as --store: never touch it
        try:
            if read_only:                             # no -wal/-shm of the reader's, no write at all
                self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60,
                                          isolation_level=None)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                new = not path.exists()
                self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
                if new:                               # SQLite's own 0644 ignores a group-writable umask
                    os.chmod(path, 0o666 & ~current_umask())
        except (sqlite3.Error, OSError) as exc:
            raise (self._user_error(exc) or exc) from exc
        super().__init__(schema)

    def close(self) -> None:
        """A store at rest is left in rollback-journal mode, so a colleague with read rights only
        can read it without creating (and owning) -wal/-shm files. Another open connection keeps WAL.
        A store refused on opening is closed untouched."""
        if self._in_wal:
            with contextlib.suppress(Exception):
                self.db.execute("PRAGMA busy_timeout=100")      # never wait for another store user
                self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.close()

    _in_wal = False

    def _prepare_writing(self) -> None:
        self._wal()
        self._in_wal = True
        self._run("PRAGMA synchronous=NORMAL")
        self._run("PRAGMA foreign_keys=ON")

    def integrity_check(self) -> None:
        # The bookkeeping a run starts from, in milliseconds (the whole file's check takes seconds on a
        # big store); a damaged page elsewhere fails when read, and the run's transaction rolls back.
        for table in ("meta", "runs", "files"):
            if self._rows(f"PRAGMA quick_check({table})")[0][0] != "ok":
                raise errors.store_corrupt(self.path)

    def _run(self, sql: str, params: Sequence = ()) -> Any:
        try:
            return self.db.execute(sql, params)
        except Exception as exc:
            raise (self._user_error(exc) or exc) from exc

    def _run_many(self, sql: str, rows: Iterable[Sequence]) -> None:
        try:
            self.db.executemany(sql, rows)
        except Exception as exc:
            raise (self._user_error(exc) or exc) from exc

    def _user_error(self, exc: Exception) -> errors.UserError | None:
        """SQLite's fault as the user's sentence naming the store file (None: not one of theirs)."""
        if isinstance(exc, OSError):
            return errors.from_os_error(exc, self.path)
        text = str(exc).lower()
        if "not a database" in text or "malformed" in text:
            return errors.store_corrupt(self.path)
        if "disk is full" in text or ("disk i/o" in text and _disk_full(self.path)):
            return errors.disk_full(self.path)
        if "readonly" in text or "unable to open" in text or "permission" in text:
            return (errors.permission_denied(self.path) if self.path.parent.is_dir()
                    else errors.missing_folder(self.path.parent))
        if "locked" in text or "busy" in text:
            return StoreBusy(str(self.path))
        return None

    def _wal(self, wait: float = 60.0) -> None:
        """Readers never block the writer. Switching a new file to WAL while another process
        does the same reports "locked" without waiting for the busy timeout: retry."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self._run("PRAGMA journal_mode=WAL")
                return
            except StoreBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _insert_id(self, sql: str, params: Sequence) -> int:
        return self._run(sql, params).lastrowid

    def _tables(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT name FROM sqlite_master WHERE type='table'")}

    def _columns(self, table: str) -> set[str]:
        return {r[1] for r in self._rows(f"PRAGMA table_info({table})")}

    def _indexes(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT name FROM sqlite_master WHERE type='index'")}

    @contextlib.contextmanager
    def _open_transaction(self, write: bool) -> Iterator[None]:
        # IMMEDIATE takes the write lock at once: two writers never deadlock upgrading a read lock.
        self._run("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield
            self._run("COMMIT")
        except BaseException:
            if self.db.in_transaction:          # a failed COMMIT (full disk) may leave it open
                self.db.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def lock(self, keys: Iterable[str] = (), wait: float = 30.0) -> Iterator[None]:
        """One merge at a time, whatever its inboxes: SQLite has one writer anyway. A second
        merge waits, then stops with a clear message. The lock is a file beside the store."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        deadline = time.monotonic() + wait
        try:
            fh = open(lock_path, "a+")
        except OSError as exc:
            raise (errors.from_os_error(exc, lock_path) or exc) from exc
        with fh:
            while not _try_lock(fh):
                if time.monotonic() > deadline:
                    raise StoreBusy(str(self.path))
                time.sleep(0.2)
            try:
                yield
            finally:
                _unlock(fh)


def _disk_full(path: Path) -> bool:
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except (OSError, AttributeError):
        return False


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


# --- Migrations -------------------------------------------------------------------------------------------
# Each step takes a store at the version before it to its own version, inside the opening
# transaction. A new store runs them all. Form tables missing after the steps are created at
# the current layout by Store._ensure_form_table; steps only change tables that exist.


_V1_BASE_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (id {ID}, started_at TEXT, finished_at TEXT, as_of TEXT,
    inboxes TEXT, counts TEXT);
CREATE TABLE IF NOT EXISTS files (id {ID}, inbox TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT,
    rep TEXT, status TEXT, reason TEXT, first_seen TEXT, last_seen TEXT, last_run {INT}, UNIQUE (inbox, path));
CREATE TABLE IF NOT EXISTS findings (id {ID}, run_id {INT}, origin TEXT, file_id {INT}, form TEXT,
    sheet TEXT, row {INT}, column_letter TEXT, field TEXT, code TEXT, severity TEXT, customer TEXT, rep TEXT,
    value TEXT, message_zh TEXT, message_en TEXT);
CREATE INDEX IF NOT EXISTS findings_file ON findings(file_id);
CREATE TABLE IF NOT EXISTS snapshots (id {ID}, run_id {INT}, as_of TEXT, project_id TEXT,
    project TEXT, customer TEXT, owner TEXT, stage TEXT, win_probability {REAL}, amount {REAL}, expected_close TEXT,
    forecast TEXT);
"""


def _v1_base_tables(store: Store) -> None:
    """v1: the run history, the files, the findings and the pipeline snapshots."""
    for statement in filter(str.strip, _V1_BASE_TABLES.split(";")):
        store._run(store._ddl(statement))    # one by one: sqlite3's executescript would commit


def _v2_customer_key(store: Store) -> None:
    """v2: every row knows its customer (``_customer_key``, indexed), so a change can reload
    just the rows of the customers it touches. Existing rows are filled in from their customer field."""
    tables = store._tables()
    for spec in store.schema.sheets.values():
        table = f"rows_{spec.key}"
        if table not in tables or "_customer_key" in store._columns(table):
            continue
        store._run(f"ALTER TABLE {table} ADD COLUMN _customer_key TEXT")
        _fill_customer_keys(store, spec, table)


def _fill_customer_keys(store: Store, spec, table: str) -> None:
    if spec.customer_field and spec.customer_field in store._columns(table):
        rows = store._rows(f'SELECT _id, "{spec.customer_field}" FROM {table}')
        store._run_many(f"UPDATE {table} SET _customer_key=? WHERE _id=?",
                        [(customer_key(name), row_id) for row_id, name in rows])


def _v3_identity(store: Store) -> None:
    """v3: ``_row_hash`` is a row's identity (its natural key), no longer a hash of its whole
    content, so that editing a row keeps the time it was first seen. Existing rows get their
    identity computed from their stored fields."""
    tables = store._tables()
    for spec in store.schema.sheets.values():
        table = f"rows_{spec.key}"
        if table not in tables:
            continue
        keys = [f.key for f in spec.fields if f.key in store._columns(table)]
        quoted = ", ".join(f'"{k}"' for k in keys)
        rows = store._rows(f"SELECT _id, {quoted} FROM {table}")
        store._run_many(f"UPDATE {table} SET _row_hash=? WHERE _id=?",
                        [(identity_hash(spec, dict(zip(keys, row[1:]))), row[0]) for row in rows])


def _v4_loose_customer_key(store: Store) -> None:
    """v4: customer names match more loosely (cities without 市, industry words: see
    ``customer_key``); every row's ``_customer_key`` and identity are computed again."""
    tables = store._tables()
    for spec in store.schema.sheets.values():
        if f"rows_{spec.key}" in tables:
            _fill_customer_keys(store, spec, f"rows_{spec.key}")
    _v3_identity(store)


def _v5_finding_key(store: Store) -> None:
    """v5: a finding keeps its row's own key (contract, project, or rep and month) beside its
    customer, which is now always the customer's name. Findings stored before keep no key."""
    if "row_key" not in store._columns("findings"):
        store._run("ALTER TABLE findings ADD COLUMN row_key TEXT")


def _v6_file_modified(store: Store) -> None:
    """v6: each file's modification time when merge last read new contents (submission discipline); files
    merged before stay without one until they change."""
    if "modified" not in store._columns("files"):
        store._run("ALTER TABLE files ADD COLUMN modified TEXT")


MIGRATIONS: dict[int, Callable[[Store], None]] = {1: _v1_base_tables, 2: _v2_customer_key, 3: _v3_identity,
                                                  4: _v4_loose_customer_key, 5: _v5_finding_key,
                                                  6: _v6_file_modified}
assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1)), "one migration per schema version"
