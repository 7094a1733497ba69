"""The database underneath a store: what a backend says about its dialect, transactions, and the
store's layout, created or upgraded to ``migrations.SCHEMA_VERSION`` when it is opened.

Statements are written once, with ``?`` placeholders and types both databases read the same way
(dates as ISO text, JSON as text); a backend (``sqlite.py``, ``postgres.py``) only says how to run them.
"""
from __future__ import annotations

import abc
import contextlib
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import pandas as pd

from xltools import errors
from xltools.forms.schema import FieldSpec, Schema, SheetSpec
from xltools.store.migrations import MIGRATIONS, SCHEMA_VERSION


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


def chunks(items: Sequence, size: int = 500) -> Iterator[list]:
    """Keep IN (...) lists short: SQLite limits how many ? a statement may hold."""
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def marks(items: Sequence) -> str:
    return ", ".join("?" * len(items))


class Database(abc.ABC):
    """A store's connection: the dialect hooks a backend provides, transactions, and the layout
    (created or upgraded on opening). ``Store`` builds the store's operations on it."""

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

    def _bulk_insert(self, table: str, columns: list[str], rows: Iterable[Sequence]) -> None:
        """Insert many rows at once (a changed file's rows: up to 100k per sheet), each with a value
        per column, through one prepared statement."""
        self._run_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(columns)})", rows)

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

    def _unindexed(self, column: str) -> str:
        """``column`` in a condition that must not choose the index (a database planning with statistics
        chooses well by itself)."""
        return column

    @abc.abstractmethod
    def lock(self, keys: Iterable[str] = (), wait: float = 30.0) -> contextlib.AbstractContextManager:
        """Hold the merge lock of ``keys`` (inboxes), or of the whole store when there are none.

        A second holder of the same key waits up to ``wait`` seconds, then gets StoreBusy.
        """

    # Transactions -------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: the statements inside commit together."""
        with self._inside(write=True):
            yield

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Reads inside see one consistent state, even while another admin's merge commits."""
        if self._in_transaction:
            yield
            return
        with self._inside(write=False):
            yield

    @contextlib.contextmanager
    def _inside(self, write: bool) -> Iterator[None]:
        with self._open_transaction(write=write):
            self._in_transaction = True
            try:
                yield
            finally:
                self._in_transaction = False

    @contextlib.contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Inside a transaction: the rows of many files are about to be stored (a backend may prepare)."""
        yield

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
        self._ensure_indexes(spec, indexes)

    def _ensure_indexes(self, spec: SheetSpec, indexes: set[str], lookups: Iterable[str] = ()) -> None:
        """A form table's indexes: its rows by file, by customer and by status (the counts), and by each
        of the ``lookups`` fields."""
        table = f"rows_{spec.key}"
        wanted = {f"{table}_file": "_file_id", f"{table}_customer": "_customer_key", f"{table}_status": "_status"}
        have = self._columns(table)
        wanted |= {f"{table}_by_{column}": f'"{column}"' for column in sorted(lookups) if column in have}
        for name, column in wanted.items():
            if name not in indexes:
                self._run(f"CREATE INDEX IF NOT EXISTS {name} ON {table}({column})")

    def index_lookups(self, lookups: dict[str, Iterable[str]]) -> None:
        """Index the fields (form -> field keys) a re-merge looks rows up by: the rules' keys and as-of
        dates, which the caller knows (the store knows nothing of rules). Existing indexes are kept."""
        with self.transaction():
            tables, indexes = self._tables(), self._indexes()
            for form, columns in lookups.items():
                if f"rows_{form}" in tables:
                    self._ensure_indexes(self.schema.sheets[form], indexes, columns)

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
