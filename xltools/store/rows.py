"""A file's records of one form as rows of the form's table, built a column at a time.

Each field's values are taken, converted and checked whole by C-level ``map``, ``set`` and ``zip``,
and the rows' identities hashed the same way (``identity.identity_hashes``): storing costs little
Python per row, which counts when a big inbox stores hundreds of thousands of rows.
"""
from __future__ import annotations

import datetime as dt
import json
from itertools import repeat
from operator import attrgetter
from typing import Any, Iterator, Sequence

from xltools.forms.model import Record, customer_key
from xltools.forms.schema import SheetSpec
from xltools.forms.values import is_blank
from xltools.store.identity import PLAIN, identity_hashes, to_sql

MERGED, QUARANTINED, WITHDRAWN = "merged", "quarantined", "withdrawn"
# Lineage columns start with "_" so they never meet a form's own fields (objections has a 状态 "status").
LINEAGE = ["_file_id", "_sheet", "_row", "_rep", "_status", "_row_hash", "_first_seen", "_last_seen", "_run_id",
           "_columns", "_unread", "_customer_key"]
_DATES = frozenset({dt.date, type(None)})


def table_rows(spec: SheetSpec, file_id: int, records: list[Record], run_id: int, stamp: str,
               first_seen: dict[str, str]) -> Iterator[tuple]:
    """The rows to insert, in ``LINEAGE`` then field order. Each record gets its ``first_seen``: the
    time the store first saw its identity in this file (``first_seen``: identity -> time), else ``stamp``.
    """
    keys = [f.key for f in spec.fields]
    values = [r.values for r in records]
    columns = {k: _stored_column(_column(values, k)) for k in keys}
    customers = _customer_keys(_column(values, spec.customer_field)) if spec.customer_field else None

    def column(key: str) -> Sequence:
        return columns[key] if key in columns else _stored_column(_column(values, key))

    digests = identity_hashes(spec, len(records), column, customers,
                              lambda i: [columns[k][i] for k in keys])
    seen = list(map({h: t for h, t in first_seen.items() if t}.get, digests, repeat(stamp)))
    _mark_first_seen(records, seen)
    return zip(repeat(file_id), map(attrgetter("sheet"), records), map(attrgetter("row"), records),
               map(attrgetter("rep"), records), repeat(MERGED), digests, seen, repeat(stamp), repeat(run_id),
               _column_maps(records), [_unread(r, keys) if r.raw else None for r in records],
               customers or repeat(None), *columns.values())


def _column(values: list[dict[str, Any]], key: str) -> list[Any]:
    """One field's value in every row (None where a row has none)."""
    return list(map(dict.get, values, repeat(key)))


def _stored_column(values: list[Any]) -> list[Any]:
    """A field's values as the store keeps them (``to_sql``): most columns are plain already."""
    kinds = set(map(type, values))
    if PLAIN.issuperset(kinds):
        return values
    if _DATES.issuperset(kinds):                  # a column's dates repeat: each written once
        texts = {day: day.isoformat() for day in set(values) if day is not None}
        texts[None] = None
        return list(map(texts.__getitem__, values))
    return list(map(to_sql, values))


def _customer_keys(names: list[Any]) -> list[str]:
    """``customer_key`` of every row's customer, computed once a name (names repeat all the time)."""
    if not {str, type(None)}.issuperset(map(type, names)):
        return list(map(customer_key, names))
    keys = {name: customer_key(name) for name in set(names)}
    return list(map(keys.__getitem__, names))


def _mark_first_seen(records: list[Record], seen: list[str]) -> None:
    times = {text: dt.datetime.fromisoformat(text) for text in set(seen)}
    for record, text in zip(records, seen):
        record.first_seen = times[text]


def _column_maps(records: list[Record]) -> list[str]:
    """Each row's ``_columns`` (field -> column letter) as JSON: a sheet's rows share one map, dumped once."""
    maps = list(map(attrgetter("columns"), records))
    dumped = {id(m): json.dumps(m) for m in {id(m): m for m in maps}.values()}
    return list(map(dumped.__getitem__, map(id, maps)))


def _unread(record: Record, keys: list[str]) -> str | None:
    """Cells that held something unreadable: rules must not call them empty when rows are reloaded."""
    unread = {k: str(record.raw[k]) for k in keys
              if record.values.get(k) is None and not is_blank(record.raw.get(k))}
    return json.dumps(unread, ensure_ascii=False) if unread else None
