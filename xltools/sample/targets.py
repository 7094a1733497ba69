"""The admin's targets workbook (销售指标), written beside the inbox."""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import xlsxwriter

from xltools.forms.schema import load_schema
from xltools.sample.dates import fixed_moment
from xltools.sample.stories import half

MARGIN_SHARE = 0.3      # a margin target of 30% of the sales target


def write_targets(path: Path, reps: list[str], months: list[date], seed: int) -> Path:
    """The admin's 销售指标 workbook: one row per rep and month, the month as text like 2024-03."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{seed}:targets")
    spec = load_schema().sheets["targets"]
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": fixed_moment(months[0] if months else date(2024, 1, 1)),
                         "title": spec.name.zh})
    sheet = book.add_worksheet(spec.name.zh)
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    for col, fld in enumerate(spec.fields):
        sheet.write_string(0, col, fld.label.zh, header)
        sheet.set_column(col, col, 16)
    row = 0
    for rep in reps:
        base = rng.randrange(30, 85, 5)             # a rep's quota moves a little month to month
        for month in months:
            row += 1
            sheet.write_string(row, 0, rep)
            sheet.write_string(row, 1, f"{month:%Y-%m}")
            quota = base + rng.choice((-5, 0, 0, 5, 10))
            sheet.write_number(row, 2, quota)
            sheet.write_number(row, 3, rng.randint(2, 5))
            sheet.write_number(row, 4, rng.randint(15, 25))
            sheet.write_number(row, 5, half(quota * MARGIN_SHARE))
    book.close()
    return path
