"""``xltools templates``: the blank workbooks reps fill in, and the references generated from the code."""
from __future__ import annotations

from pathlib import Path

import click

from xltools.cli.common import LANG, require_store, store_location


@click.group()
def templates():
    """Build the blank workbooks reps fill in, and their docs."""


@templates.command(name="build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="workbook_templates",
              show_default=True, help="Folder to write the templates into.")
@click.option("--rep", "reps", multiple=True, metavar="NAME",
              help="Write this rep's personal all-in-one workbook instead (repeatable).")
@click.option("--store", "store_path", metavar="PATH|URL", callback=store_location,
              help="With --rep: colleagues' names and the rep's current customers come from this store.")
@click.option("--reps-from", "reps_from", metavar="PATH|URL", callback=store_location,
              help="A personal workbook for every rep of this store.")
@LANG
def templates_build(out_dir: str, reps: tuple[str, ...], store_path: str | None, reps_from: str | None, lang: str):
    """Write one .xlsx per form plus an all-in-one workbook, from the schema; or, with --rep or
    --reps-from, each rep's personal workbook (their name and customers in dropdowns, header protected).

    \b
    Example:
        xltools templates build --out workbook_templates
        xltools templates build --out templates_en --lang en
        xltools templates build --rep 张伟 --rep 李娜 --store xltools.db --out 个人表
        xltools templates build --reps-from xltools.db --store xltools.db --out 个人表
    """
    if reps or reps_from:
        from xltools.xlsx.personal import build_personal
        require_store(store_path)
        require_store(reps_from, "--reps-from")
        paths = build_personal(Path(out_dir), reps, lang, store_path, reps_from)
    else:
        from xltools.xlsx.templates.build import build_templates
        paths = build_templates(Path(out_dir), lang)
    for path in paths:
        click.echo(str(path))


@templates.command(name="docs")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="docs", show_default=True)
def templates_docs(out_dir: str):
    """Write the references generated from the code: forms.md (every field) and rules.md.

    \b
    Example:
        xltools templates docs --out docs
    """
    from xltools.xlsx.docs import write_docs, write_rules_docs
    for path in (write_docs(Path(out_dir) / "forms.md"), write_rules_docs(Path(out_dir) / "rules.md")):
        click.echo(str(path))
