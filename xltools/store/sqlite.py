"""A store in one SQLite file beside the inbox: the embedded default, nothing to install or run.

Writers take a lock file beside the store (one merge at a time) and run in WAL mode; a store at rest is
left in rollback-journal mode, so colleagues with read rights only can read it.
"""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from xltools import errors
from xltools.atomic import current_umask
from xltools.forms.schema import Schema
from xltools.store.base import StoreBusy, marks
from xltools.store.interface import Store


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

    def _unindexed(self, column: str) -> str:
        return f"+{column}"            # SQLite's way of keeping a term from choosing the index

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
    def bulk_load(self) -> Iterator[None]:
        """The indexes of form tables still empty (a first merge) are made once their rows are in, sorted
        once, instead of grown a row at a time; all but the one by file, which storing itself looks rows up
        by (and which grows in order). A failure rolls the transaction back, indexes included. Only here:
        SQLite has one writer at a time, while on a server dropping an index would lock its table against
        the merges of other inboxes."""
        assert self._in_transaction, "bulk_load runs inside a transaction"
        empty = [t for t in (f"rows_{form}" for form in self.schema.sheets)
                 if not self._rows(f"SELECT 1 FROM {t} LIMIT 1")]
        found = self._rows(f"SELECT name, tbl_name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                           f"AND tbl_name IN ({marks(empty)}) ORDER BY name", empty)
        deferred = [(name, sql) for name, table, sql in found if name != f"{table}_file"]
        for name, _ in deferred:
            self._run(f"DROP INDEX {name}")
        yield
        for _, sql in deferred:
            self._run(sql)

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
