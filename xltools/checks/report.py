"""The validation report: what was read, what was found, in a form the CLI, the JSON output,
the annotated copies and the Excel buttons all render from."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from xltools.checks.findings import SEVERITY_WORDS, code_title
from xltools.errors import escape_controls
from xltools.forms.model import Record
from xltools.forms.schema import load_schema
from xltools.forms.values import text_width
from xltools.ingest.findings import ERROR, INFO, WARNING, Finding, finding_order
from xltools.ingest.inbox import FileResult
from xltools.ingest.reps import UNKNOWN as UNKNOWN_REP
from xltools.text import texts

# Forms in the order of the sales process, as the rep's workbook has them.
_FINDING_ORDER = finding_order(load_schema().sheets)


@dataclass
class Report:
    as_of: dt.date
    files: list[FileResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def __post_init__(self):
        self.findings.sort(key=_FINDING_ORDER)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def findings_of(self, path: str) -> list[Finding]:
        return [f for f in self.findings if f.file == path]

    # Convert
    def summary(self) -> dict:
        status = Counter(f.status for f in self.files)
        by_rep: dict[str, Counter] = {}
        for f in self.findings:
            if f.severity != INFO:
                by_rep.setdefault(f.rep or "", Counter())[f.severity] += 1
        return {
            "files": {"total": len(self.files), "read": status["ok"], "skipped": status["skipped"],
                      "unreadable": status["unreadable"], "unchanged": status["unchanged"]},
            "rows": len(self.records),
            "errors": len(self.errors), "warnings": len(self.warnings),
            "by_code": dict(sorted(Counter(f.code for f in self.findings).items())),
            "by_rep": {rep: {"error": c[ERROR], "warning": c[WARNING]} for rep, c in sorted(by_rep.items())},
            "valid": self.valid,
        }

    def to_dict(self, lang: str = "zh") -> dict:
        return {"as_of": self.as_of.isoformat(),
                "files": [f.to_dict(lang) for f in self.files],
                "findings": [f.to_dict(lang) for f in self.findings],
                "summary": self.summary()}

    def to_text(self, lang: str = "zh") -> str:
        """Findings grouped by file, then the totals: what an admin reads in a terminal. Control
        characters from a rep's file are shown as symbols (ESC as ␛): they cannot drive the terminal."""
        severity_width = max(text_width(word(lang)) for word in SEVERITY_WORDS.values())
        lines = []
        for file in self.files:
            found = self.findings_of(file.path)
            if file.status == "ok" and not found:
                continue
            head = f"{file.path}  [{STATUS_WORDS[file.status](lang)}]"
            lines.append(head + (f"  {file.reason(lang)}" if file.reason(lang) else ""))
            for f in found:
                if f.code == "file-unreadable":
                    continue
                where = "!".join(filter(None, [f.sheet, f.cell or (_WORDS["row"](lang) + f" {f.row}" if f.row else None)]))
                lines.append(f"  {_pad(SEVERITY_WORDS[f.severity](lang), severity_width)} {_pad(where, 18)} "
                             f"{f.code:<24} {f.message(lang)}")
        s = self.summary()
        lines.append("")
        lines.append(_WORDS["files"].format(**s["files"])(lang))
        lines.append(_WORDS["totals"].format(rows=s["rows"], errors=s["errors"], warnings=s["warnings"])(lang))
        sep = _WORDS["sep"](lang)
        if s["by_code"]:
            lines.append(_WORDS["by_code"](lang) + sep.join(f"{code_title(k, lang)} {v}" for k, v in s["by_code"].items()))
        error, warning = SEVERITY_WORDS[ERROR](lang), SEVERITY_WORDS[WARNING](lang)
        for rep, c in s["by_rep"].items():
            lines.append(f"  {rep or UNKNOWN_REP(lang)}: {error} {c['error']}{sep}{warning} {c['warning']}")
        return "\n".join(escape_controls(line) for line in lines)


def _pad(text: str, width: int) -> str:
    """``text`` filled to ``width`` terminal columns (a Chinese character takes two)."""
    return text + " " * max(0, width - text_width(text))


# A file's status and the counts of a run, as people read them (JSON keeps the keys).
STATUS_WORDS = texts({
    "ok": ("已读取", "read"), "skipped": ("已跳过", "skipped"), "unreadable": ("无法读取", "unreadable"),
    "unchanged": ("未变化", "unchanged")})
COUNT_WORDS = texts({
    "total": ("共", "total"), "read": ("读取", "read"), "unchanged": ("未变化", "unchanged"),
    "skipped": ("跳过", "skipped"), "unreadable": ("无法读取", "unreadable"), "merged": ("合并", "merged"),
    "quarantined": ("待修正", "quarantined"), "withdrawn": ("撤回", "withdrawn")})


def counts_text(counts: dict, lang: str = "zh") -> str:
    """{"read": 3, "unchanged": 2} as "读取 3，未变化 2" (or "read 3, unchanged 2")."""
    return _WORDS["sep"](lang).join(f"{COUNT_WORDS[k](lang)} {v}" for k, v in counts.items() if k in COUNT_WORDS)


_WORDS = texts({
    "row": ("第", "row"), "by_code": ("按类型：", "By code: "), "sep": ("，", ", "),
    "files": ("文件 {total} 个：读取 {read}，跳过 {skipped}，无法读取 {unreadable}，未变化 {unchanged}",
              "Files {total}: read {read}, skipped {skipped}, unreadable {unreadable}, unchanged {unchanged}"),
    "totals": ("数据行 {rows} 行；错误 {errors} 个，警告 {warnings} 个", "Data rows {rows}; errors {errors}, warnings {warnings}"),
})
