"""What a merge did: its counts, which say themselves in Chinese and English, and the run's report."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from xltools.atomic import FileInUse
from xltools.ingest.findings import ERROR, WARNING
from xltools.checks.report import COUNT_WORDS, Report
from xltools.ingest.submissions import Submissions
from xltools.store.locations import safe_location
from xltools.text import Text


@dataclass(frozen=True)
class Counts:
    """Named counts, said in field order with the words of ``COUNT_WORDS``: "读取 3，未变化 2"."""

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def text(self) -> Text:
        counts = self.to_dict().items()
        return Text("，".join(f"{COUNT_WORDS[name].zh} {n}" for name, n in counts),
                    ", ".join(f"{COUNT_WORDS[name].en} {n}" for name, n in counts))


@dataclass(frozen=True)
class FileCounts(Counts):
    """The files of the inboxes, by what the merge did with them."""
    total: int = 0
    read: int = 0
    unchanged: int = 0
    skipped: int = 0
    unreadable: int = 0


@dataclass(frozen=True)
class RowCounts(Counts):
    """The rows read by this merge, and the rows it withdrew."""
    read: int = 0
    merged: int = 0
    quarantined: int = 0
    withdrawn: int = 0


@dataclass(frozen=True)
class StoreCounts(Counts):
    """Every row of the store, by its status after the merge."""
    merged: int = 0
    quarantined: int = 0
    withdrawn: int = 0


@dataclass
class MergeResult:
    run: int
    report: Report
    files: FileCounts
    rows: RowCounts
    store_rows: StoreCounts
    store: Path | str
    withdrawn_files: list[str] = field(default_factory=list)
    submissions: Submissions = field(default_factory=Submissions)
    master: Path | None = None              # set by Merge.write_master
    master_error: FileInUse | None = None   # the master was open in Excel and left as it was

    @property
    def ok(self) -> bool:
        """Some file could be read (with --allow-shrink a merge may read none). The CLI also
        exits 1 when the report has errors."""
        return self.files.read + self.files.unchanged > 0 or self.files.unreadable == 0

    def to_dict(self, lang: str = "zh") -> dict:
        findings = self.report.findings
        return {
            "run": self.run, "files": self.files.to_dict(), "rows": self.rows.to_dict(),
            "store_rows": self.store_rows.to_dict(),
            "findings": {"error": sum(f.severity == ERROR for f in findings),
                         "warning": sum(f.severity == WARNING for f in findings),
                         "by_code": dict(sorted(Counter(f.code for f in findings).items()))},
            "store": str(safe_location(self.store)), "master": str(self.master) if self.master else None,
            "master_error": self.master_error.message(lang) if self.master_error else None,
            "withdrawn_files": self.withdrawn_files,
            "submissions": self.submissions.to_dict(),
        }
