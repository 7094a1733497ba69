"""``xltools demo``: the whole job on built-in sample data, and what it says when done."""
from __future__ import annotations

import click

from xltools.cli.common import LANG, Failure, store_location
from xltools.text import Text, texts

OUTPUTS = texts({"inbox": ("销售提交的文件", "Reps' workbooks"), "targets": ("销售指标", "Targets"),
                 "annotated": ("校验批注副本", "Annotated copies"), "store": ("数据库", "Store"),
                 "master": ("合并总表", "Master workbook"), "summary": ("销售汇总", "Summary workbook")})
VALIDATED = Text("校验：{total} 个文件，错误 {errors} 个，警告 {warnings} 个",
                 "Validate: {total} files, {errors} errors, {warnings} warnings")
FIRST_MERGE = Text("第一次合并：", "First merge: ")
LATER_MERGES = Text("每周再合并 {weeks} 次，最后一次：", "{weeks} weekly merges after it, the last: ")
PIPELINE = Text("在途商机 {open:,.2f} 万元, 加权 {weighted:,.2f} 万元", "Open pipeline {open:,.2f} 万元, weighted {weighted:,.2f} 万元")
COLON = Text("：", ": ")


@click.command()
@click.argument("folder", type=click.Path(file_okay=False), default="demo")
@click.option("--store", "store_path", metavar="PATH|URL", callback=store_location,
              help="Store to merge into (default: xltools.db in FOLDER). A postgresql:// database must be "
                   "empty or hold only earlier demos of FOLDER: the demo empties it first.")
@LANG
def demo(folder, store_path, lang):
    """Run the whole job on built-in sample data: validate, merge twice a week apart, roll up.

    Writes a sample inbox of rep workbooks (with a few typical mistakes and one broken file)
    and a targets workbook into FOLDER, then every output next to them.

    \b
    Example:
        xltools demo
        xltools demo /tmp/xltools-demo --lang en
        xltools demo --store postgresql://xltools@localhost/xltools_demo
    """
    from xltools.jobs.demo import StoreInUse, run_demo
    try:
        result = run_demo(folder, lang=lang, store=store_path)
    except StoreInUse as exc:
        raise Failure(str(exc)) from exc
    click.echo(_demo_text(result, lang))


def _demo_text(result, lang: str) -> str:
    s = result.report.summary()
    first, last = result.merges[0], result.merges[-1]
    pipeline = result.summary.to_dict()["pipeline"]
    lines = [
        VALIDATED.format(total=s["files"]["total"], errors=s["errors"], warnings=s["warnings"]),
        FIRST_MERGE + first.rows.text(),
        LATER_MERGES.format(weeks=len(result.merges) - 1) + last.files.text() + " | " + last.rows.text(),
        PIPELINE.format(open=pipeline["open_amount"], weighted=pipeline["weighted_amount"]),
    ]
    outputs = [OUTPUTS[key] + COLON + str(path) for key, path in result.outputs.items()]
    return "\n".join([line(lang) for line in lines] + [""] + [line(lang) for line in outputs])
