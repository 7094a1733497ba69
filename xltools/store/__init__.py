"""The consolidation store: every row ever merged, with its lineage, its findings, the run history and a
snapshot of the pipeline at each run.

``open_store`` is the way in: a path (or ``sqlite:///path``) opens a SQLite file, a ``postgresql://`` URL a
shared database server, for several admins merging into one place (``psycopg``, installed with
``pip install 'xltools[postgres]'``). The same merge gives the same rows and the same summary on either.

- ``locations.py``: where a store is (paths, URLs, passwords masked, the default beside the inbox);
- ``interface.py``: the ``Store`` every caller uses: runs, files, rows, findings, snapshots;
- ``base.py``: the database underneath: a backend's dialect hooks, transactions, creating the layout;
- ``sqlite.py``, ``postgres.py``: the two backends;
- ``migrations.py``: the layout versions, each upgrading an older store in place when it is opened;
- ``rows.py``: a file's records as rows of a form table, built a column at a time for storing;
- ``identity.py``: a row's identity across versions of its file.
"""
from __future__ import annotations

from pathlib import Path

from xltools.forms.schema import Schema, load_schema
from xltools.store.interface import Store
from xltools.store.locations import is_url, mask_url
from xltools.store.sqlite import SqliteStore

POSTGRES_SCHEMES = ("postgresql", "postgres")


def open_store(location: str | Path, schema: Schema | None = None, read_only: bool = False) -> Store:
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
