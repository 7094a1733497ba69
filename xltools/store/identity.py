"""A stored row's identity across versions of its file, and values as the store keeps them.

The identity hash is part of the store's layout: rows keep their first sighting across merges only
while their hash stays the same, so changing how it is computed needs a migration (see ``migrations.py``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

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


def _hash_values(values: list) -> str:
    # The format is part of the store: a row keeps its first_seen across merges only while
    # its hash is the same, so a change here needs a migration (see _v3_identity).
    text = _HASH_JSON.encode(values)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def row_customer_key(spec: SheetSpec, values: dict[str, Any]) -> str | None:
    """The ``_customer_key`` lineage of a row: its customer, normalised for matching; NULL for
    forms without a customer."""
    return customer_key(values.get(spec.customer_field)) if spec.customer_field else None
