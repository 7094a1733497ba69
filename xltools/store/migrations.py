"""The store's layout versions: each step takes a store at the version before it to its own version.

Steps run inside the opening transaction (``Database._migrate``); a new store runs them all. Form tables
missing after the steps are created at the current layout by ``Database._ensure_form_table``, so steps only
change tables that exist.

Adding a version: write ``_v8_what_it_does(store)`` below (it must be safe on a store that already has the
change), add it to ``MIGRATIONS`` and raise ``SCHEMA_VERSION`` to 8.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from xltools.forms.model import customer_key
from xltools.store.identity import identity_hash

if TYPE_CHECKING:
    from xltools.store.base import Database

SCHEMA_VERSION = 7


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


def _v1_base_tables(store: Database) -> None:
    """v1: the run history, the files, the findings and the pipeline snapshots."""
    for statement in filter(str.strip, _V1_BASE_TABLES.split(";")):
        store._run(store._ddl(statement))    # one by one: sqlite3's executescript would commit


def _v2_customer_key(store: Database) -> None:
    """v2: every row knows its customer (``_customer_key``, indexed), so a change can reload
    just the rows of the customers it touches. Existing rows are filled in from their customer field."""
    tables = store._tables()
    for spec in store.schema.sheets.values():
        table = f"rows_{spec.key}"
        if table not in tables or "_customer_key" in store._columns(table):
            continue
        store._run(f"ALTER TABLE {table} ADD COLUMN _customer_key TEXT")
        _fill_customer_keys(store, spec, table)


def _fill_customer_keys(store: Database, spec, table: str) -> None:
    if spec.customer_field and spec.customer_field in store._columns(table):
        rows = store._rows(f'SELECT _id, "{spec.customer_field}" FROM {table}')
        store._run_many(f"UPDATE {table} SET _customer_key=? WHERE _id=?",
                        [(customer_key(name), row_id) for row_id, name in rows])


def _v3_identity(store: Database) -> None:
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


def _v4_loose_customer_key(store: Database) -> None:
    """v4: customer names match more loosely (cities without 市, industry words: see
    ``customer_key``); every row's ``_customer_key`` and identity are computed again."""
    tables = store._tables()
    for spec in store.schema.sheets.values():
        if f"rows_{spec.key}" in tables:
            _fill_customer_keys(store, spec, f"rows_{spec.key}")
    _v3_identity(store)


def _v5_finding_key(store: Database) -> None:
    """v5: a finding keeps its row's own key (contract, project, or rep and month) beside its
    customer, which is now always the customer's name. Findings stored before keep no key."""
    if "row_key" not in store._columns("findings"):
        store._run("ALTER TABLE findings ADD COLUMN row_key TEXT")


def _v6_file_modified(store: Database) -> None:
    """v6: each file's modification time when merge last read new contents (submission discipline); files
    merged before stay without one until they change."""
    if "modified" not in store._columns("files"):
        store._run("ALTER TABLE files ADD COLUMN modified TEXT")


def _v7_lookup_indexes(store: Database) -> None:
    """v7: form tables are indexed by status, for the counts. The fields a re-merge looks rows up by (the
    rules' keys and as-of dates) are indexed by every merge through ``Database.index_lookups``, so a rule
    added later gets its index without a migration."""
    tables, indexes = store._tables(), store._indexes()
    for spec in store.schema.sheets.values():
        if f"rows_{spec.key}" in tables:
            store._ensure_indexes(spec, indexes)


MIGRATIONS: dict[int, Callable[[Database], None]] = {1: _v1_base_tables, 2: _v2_customer_key, 3: _v3_identity,
                                                     4: _v4_loose_customer_key, 5: _v5_finding_key,
                                                     6: _v6_file_modified, 7: _v7_lookup_indexes}
assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1)), "one migration per schema version"
