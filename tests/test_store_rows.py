"""Rows built a column at a time for storing (``store/rows.py``) are what the per-row definitions
give: each value as ``to_sql`` stores it, each identity as ``identity_hash`` computes it, whatever
mix of values, blanks and types a column holds."""
from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from xltools.forms.model import Record, customer_key
from xltools.forms.schema import load_schema
from xltools.store.identity import identity_hash, to_sql
from xltools.store.rows import LINEAGE, table_rows

SCHEMA = load_schema()
STAMP = "2024-04-01 09:00:00.000001"

cells = st.one_of(
    st.none(), st.just(""), st.sampled_from(["深圳市华络通信有限公司", "华络通信", "HT-202403001", 'a"b\\c\n']),
    st.text(max_size=6), st.integers(-10, 10), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(), st.datetimes())


def records_of(form: str, rows: list[dict]) -> list[Record]:
    letters = {f.key: "A" for f in SCHEMA.sheets[form].fields}
    return [Record(form, "a.xlsx", "Sheet", 2 + i, values, {}, letters, "张伟") for i, values in enumerate(rows)]


def expected_row(form: str, record: Record, first_seen: dict[str, str]) -> tuple:
    """The row as the store built it one row at a time."""
    spec = SCHEMA.sheets[form]
    digest = identity_hash(spec, record.values)
    customer = customer_key(record.values.get(spec.customer_field)) if spec.customer_field else None
    return (7, record.sheet, record.row, record.rep, "merged", digest, first_seen.get(digest) or STAMP, STAMP, 3,
            json.dumps(record.columns), None, customer, *(to_sql(record.values.get(f.key)) for f in spec.fields))


def same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x == y or (x != x and y != y) for x, y in zip(a, b))   # NaN is itself


@settings(max_examples=60, deadline=None)
@given(form=st.sampled_from(sorted(SCHEMA.sheets)), data=st.data())
def test_rows_built_by_column_are_the_rows_built_one_at_a_time(form, data):
    spec = SCHEMA.sheets[form]
    keys = [f.key for f in spec.fields]
    rows = data.draw(st.lists(st.fixed_dictionaries({}, optional={k: cells for k in keys}), min_size=1, max_size=8))
    records = records_of(form, rows)
    seen_before = {identity_hash(spec, rows[0]): "2024-03-01 08:00:00"}
    built = list(table_rows(spec, 7, records, 3, STAMP, seen_before))
    assert len(built[0]) == len(LINEAGE) + len(keys)
    for row, record in zip(built, records):
        assert same(row, expected_row(form, record, seen_before))
        assert record.first_seen == dt.datetime.fromisoformat(row[LINEAGE.index("_first_seen")])
