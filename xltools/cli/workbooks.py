"""The commands for the workbooks with buttons: ``xltools excel build``, ``excel setup`` and ``doctor``."""
from __future__ import annotations

from pathlib import Path

import click

from xltools.cli.common import LANG, print_json
from xltools.text import Text

NO_BOOKS = Text("当前文件夹和 workbook_templates/ 里都没有工作簿：请给出工作簿路径。",
                "No workbook here or in workbook_templates/: name the workbooks.")
BLANK = Text("（空）", "(blank)")
OR_PRESS_CHECK = Text(" 也可以在 Excel 里按“检查设置”。", " Or press 'Check setup' in Excel.")


@click.group()
def excel():
    """The workbooks with buttons: 销售汇总.xlsm (managers) and 合并控制台.xlsm (admins)."""


@excel.command(name="build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="workbook_templates", show_default=True)
@LANG
def excel_build(out_dir, lang):
    """Build both .xlsm workbooks: sheets, the VBA project (xlwings' module and ours) and buttons.

    \b
    Example:
        xltools excel build --out workbook_templates
    """
    from xltools.xlsx.workbooks import build_excel_workbooks
    for path in build_excel_workbooks(Path(out_dir), lang):
        click.echo(str(path))


@excel.command(name="setup")
@click.argument("books", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--for", "platform", type=click.Choice(["win", "mac"]), default=None,
              help="Which key to write: Interpreter_Win or Interpreter_Mac (default: this computer's).")
@LANG
def excel_setup(books, platform, lang):
    """Point the workbooks' xlwings.conf sheet at this Python, and check xlwings' version.

    Without BOOKS: the two workbooks in the current folder, else in workbook_templates/.

    \b
    Example:
        D:\\xltools-venv\\Scripts\\xltools excel setup D:\\销售\\销售汇总.xlsm
    """
    from xltools.atomic import FileInUse
    from xltools.buttons.excel_setup import setup_book

    mismatched = False
    for path in _books(books, lang):
        try:
            result = setup_book(path, platform)
        except FileInUse as exc:
            raise click.ClickException(exc.message(lang)) from exc
        except (ValueError, OSError, KeyError) as exc:
            raise click.ClickException(f"{path}: {exc}") from exc
        click.echo(f"{path}: " + "; ".join(f"{key} = {value or BLANK(lang)}" for key, value in result.written.items()))
        if result.advice():
            mismatched = True
            click.echo("✗ " + result.advice()(lang), err=True)
    if mismatched:
        raise SystemExit(1)


@click.command()
@click.argument("books", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option("--for", "platform", type=click.Choice(["win", "mac"]), default=None,
              help="Which interpreter key to check (default: this computer's).")
@LANG
def doctor(books, as_json, platform, lang):
    """Check what the Excel buttons need: Python, xlwings, xltools, the 设置 sheet's folders and store.

    Without BOOKS: the workbooks in the current folder, else in workbook_templates/. Exits 1 when a check fails.
    """
    from xltools.atomic import FileInUse
    from xltools.buttons.doctor import diagnose, render
    from xltools.xlsx.writers.file import FileBookWriter

    results = {}
    for path in _books(books, lang):
        try:
            results[path] = diagnose(path, FileBookWriter(path), platform)
        except FileInUse as exc:
            raise click.ClickException(exc.message(lang) + OR_PRESS_CHECK(lang)) from exc
    if as_json:
        print_json([{"book": str(path), "checks": [c.to_dict(lang) for c in checks]} for path, checks in results.items()])
    else:
        click.echo("\n\n".join(f"{path}\n{render(checks, lang)}" for path, checks in results.items()))
    if not all(c.ok for checks in results.values() for c in checks):
        raise SystemExit(1)


def _books(books: tuple[str, ...], lang: str) -> list[Path]:
    """The workbooks named, else those in the current folder or workbook_templates/."""
    from xltools.buttons.excel_setup import default_books
    paths = [Path(b) for b in books] or default_books()
    if not paths:
        raise click.ClickException(NO_BOOKS(lang))
    return paths
