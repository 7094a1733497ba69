"""A stored row's identity across versions of its file, and values as the store keeps them.

The identity hash is part of the store's layout: rows keep their first sighting across merges only
while their hash stays the same, so changing how it is computed needs a migration (see ``migrations.py``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Callable, Sequence

from xltools.forms.model import customer_key
from xltools.forms.schema import SheetSpec

PLAIN = frozenset({type(None), str, float, int})    # stored as they are


def to_sql(value: Any) -> Any:
    """A value as the store keeps it: dates as ISO text, the rest as it is."""
    if type(value) in PLAIN:
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def identity_hash(spec: SheetSpec, values: dict[str, Any]) -> str:
    """A row's identity across versions of its file: its natural key (the customer matched
    loosely), so that a rep filling in a later column does not make the row new. A row with
    an empty key is known by its whole content."""
    key = [customer_key(values.get(k)) if k == spec.customer_field else to_sql(values.get(k))
           for k in spec.natural_key]
    if all(v in (None, "") for v in key):
        key = [to_sql(values.get(f.key)) for f in spec.fields]
    return _hash_values(key)


# json.dumps with these options would build an encoder per call; the text is the same.
_HASH_JSON = json.JSONEncoder(ensure_ascii=False, default=str)
_QUOTED = json.encoder.encode_basestring       # a text as _HASH_JSON writes it
_BLANK = (None, "")
_HEX = type(hashlib.sha1()).hexdigest


def identity_hashes(spec: SheetSpec, count: int, column: Callable[[str], Sequence], customers: Sequence | None,
                    contents: Callable[[int], list]) -> list[str]:
    """``identity_hash`` of many rows at once, computed a column at a time: the same texts hashed.

    :param count: how many rows.
    :param column: a field's values as stored (``to_sql``), every row.
    :param customers: the ``customer_key`` of each row's customer (None: the form has no customer field).
    :param contents: the stored values of all the fields of the row at a position: what a row with an
        empty key is known by.
    """
    keys = [customers if k == spec.customer_field else column(k) for k in spec.natural_key]
    if not keys:                   # every row is known by its whole content
        return [_hash_values(contents(i)) for i in range(count)]
    # A key list's JSON text is its values' texts between "[" and "]", joined by ", ".
    texts = map("[{}]".format, map(", ".join, zip(*map(_json_texts, keys))))
    digests = list(map(_HEX, map(hashlib.sha1, map(str.encode, texts))))
    for i in _blank_rows(keys):
        digests[i] = _hash_values(contents(i))
    return digests


def _json_texts(values: Sequence) -> list[str]:
    """Each value as _HASH_JSON writes it in a list."""
    if {str, type(None)}.issuperset(map(type, values)):
        return [_QUOTED(v) if v is not None else "null" for v in values]
    return list(map(_HASH_JSON.encode, values))


def _blank_rows(keys: list[Sequence]) -> list[int]:
    """The positions of the rows whose every key value is None or empty."""
    rows = [i for i, v in enumerate(keys[0]) if v in _BLANK]
    for values in keys[1:]:
        rows = [i for i in rows if values[i] in _BLANK]
    return rows


def _hash_values(values: list) -> str:
    # The format is part of the store: a row keeps its first_seen across merges only while
    # its hash is the same, so a change here needs a migration (see _v3_identity).
    text = _HASH_JSON.encode(values)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()

