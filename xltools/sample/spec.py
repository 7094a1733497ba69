"""What to generate (``SampleSpec``) and what was generated (``SampleInfo``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from xltools.sample.dates import add_months

TARGETS_NAME = "销售指标.xlsx"
BROKEN_NAME = "损坏文件.xlsx"


@dataclass(frozen=True)
class SampleSpec:
    """What to generate; the same spec always gives the same files."""
    reps: int = 4
    customers_per_rep: int = 8
    months: int = 4
    seed: int = 7
    start: date = date(2024, 1, 1)
    """First month of activity; as_of is start + months."""
    mistakes: bool = True
    """Plant a handful of typical mistakes (listed in SampleInfo.planted)."""
    broken_file: bool = True
    """Add a CSV saved as .xlsx and an Excel owner file ~$name.xlsx."""
    rows_per_sheet: int | None = None
    """Benchmark mode: about this many rows in every form sheet (customers_per_rep is ignored)."""

    @property
    def as_of(self) -> date:
        return add_months(self.start, self.months)

    @property
    def month_starts(self) -> list[date]:
        """The months of activity plus the as_of month (its targets are already set)."""
        return [add_months(self.start, i) for i in range(self.months + 1)]


@dataclass
class SampleInfo:
    """What was generated, and where the planted mistakes are."""
    reps: list[str]
    files: list[Path]
    """The reps' workbooks, in the order of ``reps``."""
    targets: Path | None
    as_of: date
    planted: list[dict]
    """One dict per planted mistake: file, sheet, cell, code, field, value."""
    broken: list[Path] = field(default_factory=list)
    """Files that are not rep workbooks: the CSV in disguise and the owner file."""
