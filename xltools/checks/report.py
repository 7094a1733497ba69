"""The validation report: what was read, what was found, in a form the CLI, the JSON output,
the annotated copies and the Excel buttons all render from."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from xltools.errors import escape_controls
from xltools.checks.findings import ERROR, INFO, WARNING, Finding, code_title
from xltools.ingest.inbox import FileResult
from xltools.forms.model import Record
from xltools.ingest.reps import UNKNOWN as UNKNOWN_REP
from xltools.forms.schema import Text, load_schema
from xltools.forms.values import text_width

_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}
_FORM_ORDER = {key: i for i, key in enumerate(load_schema().sheets)}


@dataclass
class Report:
    as_of: dt.date
    files: list[FileResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def __post_init__(self):
        self.findings.sort(key=_finding_order)

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
        t = _WORDS[lang]
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
                where = "!".join(filter(None, [f.sheet, f.cell or (f"{t['row']} {f.row}" if f.row else None)]))
                lines.append(f"  {_pad(t[f.severity], 4)} {_pad(where, 18)} {f.code:<24} {f.message(lang)}")
        s = self.summary()
        lines.append("")
        lines.append(t["files"].format(**s["files"]))
        lines.append(t["totals"].format(rows=s["rows"], errors=s["errors"], warnings=s["warnings"]))
        if s["by_code"]:
            lines.append(t["by_code"] + t["sep"].join(f"{code_title(k, lang)} {v}" for k, v in s["by_code"].items()))
        for rep, c in s["by_rep"].items():
            lines.append(f"  {rep or UNKNOWN_REP(lang)}: {t['error']} {c['error']}{t['sep']}{t['warning']} {c['warning']}")
        return "\n".join(escape_controls(line) for line in lines)


def _pad(text: str, width: int) -> str:
    """``text`` filled to ``width`` terminal columns (a Chinese character takes two)."""
    return text + " " * max(0, width - text_width(text))


def _finding_order(f: Finding):
    # Forms in the order of the sales process, as the rep's workbook has them.
    return (f.file, _FORM_ORDER.get(f.form, -1), f.sheet or "", f.row or 0, _col_order(f.column),
            _SEVERITY_ORDER[f.severity], f.code)


def _col_order(column: str | None) -> tuple[int, str]:
    return (len(column), column) if column else (0, "")


# A file's status and the counts of a run, as people read them (JSON keeps the keys).
STATUS_WORDS = {k: Text(zh=zh, en=en) for k, (zh, en) in {
    "ok": ("已读取", "read"), "skipped": ("已跳过", "skipped"), "unreadable": ("无法读取", "unreadable"),
    "unchanged": ("未变化", "unchanged")}.items()}
COUNT_WORDS = {k: Text(zh=zh, en=en) for k, (zh, en) in {
    "total": ("共", "total"), "read": ("读取", "read"), "unchanged": ("未变化", "unchanged"),
    "skipped": ("跳过", "skipped"), "unreadable": ("无法读取", "unreadable"), "merged": ("合并", "merged"),
    "quarantined": ("待修正", "quarantined"), "withdrawn": ("撤回", "withdrawn")}.items()}


def counts_text(counts: dict, lang: str = "zh") -> str:
    """{"read": 3, "unchanged": 2} as "读取 3，未变化 2" (or "read 3, unchanged 2")."""
    return ("，" if lang == "zh" else ", ").join(f"{COUNT_WORDS[k](lang)} {v}" for k, v in counts.items()
                                                if k in COUNT_WORDS)


_WORDS = {
    "zh": {"error": "错误", "warning": "警告", "info": "提示", "row": "第", "by_code": "按类型：", "sep": "，",
           "files": "文件 {total} 个：读取 {read}，跳过 {skipped}，无法读取 {unreadable}，未变化 {unchanged}",
           "totals": "数据行 {rows} 行；错误 {errors} 个，警告 {warnings} 个"},
    "en": {"error": "ERR", "warning": "WARN", "info": "INFO", "row": "row", "by_code": "By code: ", "sep": ", ",
           "files": "Files {total}: read {read}, skipped {skipped}, unreadable {unreadable}, unchanged {unchanged}",
           "totals": "Data rows {rows}; errors {errors}, warnings {warnings}"},
}
