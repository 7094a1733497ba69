"""The 数据质量 sheet: findings per rep and by problem, and each row to fix."""
from __future__ import annotations

from xltools.checks.findings import code_title
from xltools.rollup.model import Summary
from xltools.text import Text
from xltools.xlsx.summary.table import Table, Words


def quality_tables(s: Summary, t: Words) -> list[Table]:
    def ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    per_rep = [[q.rep or t(Text("（未知）", "(unknown)")), q.errors, q.warnings,
                t(Text("、", ", ")).join(f"{code_title(code, t.lang)} {n}" for code, n in ranked(q.by_code))]
               for q in s.quality]
    codes: dict[str, int] = {}
    for q in s.quality:
        for code, n in q.by_code.items():
            codes[code] = codes.get(code, 0) + n
    by_code = [[code_title(code, t.lang), n, code] for code, n in ranked(codes)]
    return [
        Table("quality_reps", t(Text("各销售的数据问题", "Data problems per rep")),
              [t(Text("销售", "Rep")), t(Text("错误", "Errors")), t(Text("警告", "Warnings")), t(Text("问题及数量", "Problems"))],
              per_rep, ["text", "int", "int", "text"], sheet="quality",
              total=[t(Text("合计", "Total")), sum(q.errors for q in s.quality), sum(q.warnings for q in s.quality), ""]),
        Table("quality_codes", t(Text("按问题类型", "By problem")), [t(Text("问题", "Problem")), t(Text("数量", "Count")),
                                                             t(Text("问题代码", "Code"))],
              by_code, ["text", "int", "text"], sheet="quality"),
        Table("quality_rows", t(Text("待修正的行", "Rows to fix")),
              [t(Text("客户", "Customer")), t(Text("销售", "Rep")), t(Text("编号", "Key")), t(Text("问题", "Problem"))],
              [[q.customer, q.rep, q.key, q.message(t.lang)] for q in s.to_fix], ["text"] * 4, sheet="quality"),
    ]
