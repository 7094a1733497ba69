"""The admin's commands on the inbox: ``xltools validate``, ``merge`` and ``handout``."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from xltools.cli.common import (LANG, as_of_option, config_option, day, load_settings, print_json, progress_bar,
                                require_store, store_location)
from xltools.errors import refuse_inside
from xltools.text import Text

NOTHING_READABLE = Text("没有可读取的工作簿。", "Nothing readable: no workbook could be read.")
MERGE_LABELS = {"run": Text("合并批次 ", "Merge run "), "files": Text("文件：", "Files: "), "rows": Text("行：", "Rows: "),
                "store": Text("库：", "Store: "), "master": Text("总表：", "Master: ")}


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@LANG
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False),
              help="Write a highlighted copy of each input, with a 校验结果 sheet, into this folder.")
@config_option
def validate(paths, as_of, fmt, lang, annotate_dir, config_path):
    """Check rep workbooks (files or folders) against every rule of the sales process.

    Exits 0 when there are no errors (warnings allowed), 1 when there are errors or
    nothing given is a readable workbook.

    \b
    Example:
        xltools validate inbox/ --as-of 2024-04-01
        xltools validate inbox/ --format json > report.json
        xltools validate inbox/ --annotate checked/
    """
    from xltools.checks.validate import validate as run_validate
    from xltools.store.locations import default_store
    config = load_settings(config_path, default_store([Path(p) for p in paths]))
    if annotate_dir:
        refuse_inside("--annotate", Path(annotate_dir), [p for p in paths if Path(p).is_dir()])
    with progress_bar("读取 / reading", quiet=fmt == "json") as progress:
        report = run_validate(paths, day(as_of), config, progress=progress)
    failed = None
    if annotate_dir:
        from xltools.errors import SomeNotWritten
        from xltools.xlsx.annotate import annotate
        try:
            written = annotate(report, Path(annotate_dir), lang)
        except SomeNotWritten as exc:
            written, failed = exc.written, exc
        click.echo("\n".join(str(p) for p in written), err=True)
    if fmt == "json":
        print_json(report.to_dict(lang))
    else:
        click.echo(report.to_text(lang))
    if failed:
        raise failed
    if not any(f.status == "ok" for f in report.files):
        click.echo(NOTHING_READABLE(lang), err=True)
        sys.exit(1)
    sys.exit(0 if report.valid else 1)


@click.command()
@click.argument("inboxes", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--store", "store_path", metavar="PATH|URL", callback=store_location,
              help="SQLite store file (default: xltools.db beside the inbox), or a shared store on a "
                   "server: postgresql://user@host/db (see docs/shared-store.md).")
@click.option("--master", "master_path", type=click.Path(dir_okay=False),
              help="Master workbook to write (default: master.xlsx beside the store).")
@click.option("--targets", "targets_path", type=click.Path(exists=True),
              help="The targets workbook (销售指标.xlsx), or a folder of them, merged with the inbox.")
@click.option("--no-master", is_flag=True, help="Update the store only.")
@as_of_option
@click.option("--prune", is_flag=True, help="Delete the rows of files gone from the inbox instead of withdrawing them.")
@click.option("--allow-shrink", is_flag=True,
              help="Merge even an inbox with no readable workbook or with more than shrink_limit % of its files gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's counts as JSON.")
@LANG
@config_option
def merge(inboxes, store_path, master_path, targets_path, no_master, as_of, prune, allow_shrink, as_json, lang,
          config_path):
    """Consolidate every rep's workbooks into the store and the master workbook.

    Run it again whenever files change: unchanged files are not read again, a changed
    file's rows replace its old ones, and a removed file's rows are kept as withdrawn.
    Rows with errors are kept aside in the master's 待修正 sheet. An inbox with no readable
    workbook, or with more than half its merged files gone, is refused unless --allow-shrink.

    Exits 0 when clean or with warnings only, 1 when errors were reported (rows quarantined)
    or the merge was refused.

    \b
    Example:
        xltools merge inbox/
        xltools merge inbox/ --targets 销售指标.xlsx
        xltools merge inbox/ --store sales.db --master 汇总/master.xlsx --as-of 2024-04-01
        xltools merge 华南/ --store postgresql://admin_south@db.example.com/sales
    """
    from xltools.jobs.merge import Merge
    from xltools.jobs.places import default_master
    from xltools.store.locations import default_store
    from xltools.store.locations import is_url
    inboxes = (*inboxes, targets_path) if targets_path else inboxes
    folders = [Path(p) for p in inboxes]
    store = store_path or default_store(folders)
    config = load_settings(config_path, store)
    for option, output in (("--master", master_path), ("--store", None if is_url(store_path) else store_path)):
        if output:
            refuse_inside(option, Path(output), inboxes)
    merging = Merge(store, config=config, as_of=day(as_of))
    with progress_bar("合并 / merging", quiet=as_json) as progress:
        result = merging.run(inboxes, prune=prune, allow_shrink=allow_shrink, progress=progress)
    if not no_master:
        merging.write_master(result, Path(master_path) if master_path else default_master(store, folders), lang)
    if as_json:
        print_json(result.to_dict(lang))
    else:
        click.echo(_merge_text(result, lang))
    if result.master_error:
        click.echo(result.master_error.message(lang), err=True)
    sys.exit(0 if result.ok and not result.report.errors else 1)


def _merge_text(result, lang: str) -> str:
    from xltools.store.locations import safe_location
    lines = [result.report.to_text(lang), "", (MERGE_LABELS["run"] + str(result.run))(lang),
             (MERGE_LABELS["files"] + result.files.text())(lang), (MERGE_LABELS["rows"] + result.rows.text())(lang),
             (MERGE_LABELS["store"] + str(safe_location(result.store)))(lang)]
    if result.submissions.reps:
        lines.append(result.submissions.to_text(lang))
    if result.master:
        lines.append((MERGE_LABELS["master"] + str(result.master))(lang))
    return "\n".join(lines)


@click.command()
@click.argument("inbox", type=click.Path(exists=True, file_okay=False))
@click.option("--store", "store_path", metavar="PATH|URL", callback=store_location, default="xltools.db",
              show_default=True, help="The store merge wrote: a SQLite file or a postgresql:// URL.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder for the handouts (outside the inbox), laid out as the inbox.")
@LANG
def handout(inbox, store_path, out_dir, lang):
    """Write each rep's next workbook: all their current rows, the latest findings marked at their
    cells and listed on a 待修正 sheet. The rep fixes it and sends it back in place of their old file.

    \b
    Example:
        xltools merge inbox/ --store xltools.db
        xltools handout inbox/ --store xltools.db --out 发回
    """
    from xltools.errors import SomeNotWritten
    from xltools.jobs.handout import handout as write_handouts
    require_store(store_path)
    try:
        written, failed = write_handouts(Path(inbox), store_path, Path(out_dir), lang), None
    except SomeNotWritten as exc:
        written, failed = exc.written, exc
    click.echo("\n".join(str(p) for p in written))
    if failed:
        raise failed
