"""The rows read from one form sheet, kept a column per field: compact to carry from a reading
worker to the parent (a list of values pickles far faster than an object per row), and made
into one ``Record`` per row only where the rows are used."""
from __future__ import annotations

import gc
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from xltools.forms.model import Record


@dataclass
class RowTable:
    """The rows of one form sheet, a list of values per field."""
    form: str
    sheet: str
    numbers: list[int]                   # each row's Excel row number
    columns: dict[str, list[Any]]        # field key -> the typed value of every row; None when blank
    unread: dict[int, dict[str, Any]]    # row position -> {field: what an unreadable cell held}
    letters: dict[str, str]              # field key -> column letter
    reps: list[str | None] = field(default_factory=list)   # each row's rep, once assigned

    def records(self, file: str) -> list[Record]:
        """One Record per row. No columns, no records: a row is its values."""
        keys, unread, letters = list(self.columns), self.unread, self.letters
        reps = self.reps or [None] * len(self.numbers)
        rows = zip(*self.columns.values())
        with _collector_paused():
            return [Record(self.form, file, self.sheet, number, dict(zip(keys, values)), unread.get(pos, {}),
                           letters, rep)
                    for pos, (number, rep, values) in enumerate(zip(self.numbers, reps, rows))]

    def record(self, file: str, pos: int) -> Record:
        """The one Record of the row at ``pos``."""
        return Record(self.form, file, self.sheet, self.numbers[pos],
                      {key: values[pos] for key, values in self.columns.items()},
                      self.unread.get(pos, {}), self.letters, self.reps[pos] if self.reps else None)


@contextmanager
def _collector_paused():
    """While many small objects without cycles are made at once: the cyclic garbage collector
    would otherwise walk them again and again, more than doubling the time it takes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def row_shape(tables: list[RowTable]) -> tuple:
    """Each sheet's form, name, row numbers and fields: two workbooks with the same rows have the
    same shape, so only workbooks of one shape need their cells compared."""
    return tuple((table.form, table.sheet, tuple(table.numbers), tuple(sorted(table.columns)))
                 for table in tables if table.columns)


def cells_digest(tables: list[RowTable]) -> str:
    """A digest of every row's form, sheet, row number and values: equal for two workbooks whose
    rows are all the same (a copy re-saved by Excel), whatever their bytes."""
    digest = hashlib.sha256()
    for table in tables:
        if table.columns:           # a sheet with no column mapped has no rows to compare
            cells = sorted((key, repr(values)) for key, values in table.columns.items())
            digest.update(repr((table.form, table.sheet, table.numbers, cells)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()
