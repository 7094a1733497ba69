"""The command line: each command parses its options, makes one library call and renders
the result. Exit codes: 0 OK, 1 failure or invalid data, 2 bad usage.

One module per group of commands: ``templates``, ``inbox`` (validate, merge, handout), ``rollup``,
``workbooks`` (excel build/setup, doctor) and ``demo``; ``common`` holds the error path and the
shared options. ``xltools.cli:cli`` is the console entry point."""
from __future__ import annotations

import click

from xltools import __version__
from xltools.cli.common import Commands
from xltools.cli.demo import demo
from xltools.cli.inbox import handout, merge, validate
from xltools.cli.rollup import rollup
from xltools.cli.templates import templates
from xltools.cli.workbooks import doctor, excel
from xltools.help_zh import add_chinese_help


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xltools")
@click.option("--debug", is_flag=True, help="Show the full traceback of a failure.")
@click.pass_context
def cli(ctx, debug):
    """xltools: Excel forms for the standard sales process.

    Reps fill the templates; admins validate and merge everyone's files; managers
    read the summary.

    \b
    Example:
        xltools templates build --out workbook_templates
        xltools validate inbox/ --as-of 2024-04-01
        xltools merge inbox/ --store sales.db
        xltools rollup --store sales.db --out summary.xlsx
        xltools demo
    """
    ctx.meta["debug"] = debug


for command in (templates, validate, merge, rollup, handout, excel, doctor, demo):
    cli.add_command(command)
add_chinese_help(cli)
