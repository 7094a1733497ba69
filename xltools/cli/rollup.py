"""``xltools rollup``: the store rolled up into the manager's summary workbook."""
from __future__ import annotations

from pathlib import Path

import click

from xltools.cli.common import LANG, as_of_option, config_option, day, load_settings, print_json, require_store, \
    store_location


@click.command()
@click.option("--store", "store_path", metavar="PATH|URL", callback=store_location, default="xltools.db",
              show_default=True,
              help="The store merge wrote: a SQLite file or a postgresql:// URL.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="Summary workbook to write (default: summary.xlsx beside the store, or in the "
                   "current folder for a server store).")
@as_of_option
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="Compare the pipeline with the snapshot of this day (YYYY-MM-DD) [default: the latest one "
                   "7+ days before the as-of day, else the earliest].")
@click.option("--json", "as_json", is_flag=True, help="Print the summary model as JSON instead of writing a workbook.")
@click.option("--into", "into_path", type=click.Path(exists=True, dir_okay=False),
              help="Fill the summary sheets of this 销售汇总.xlsm; its VBA project and buttons are kept.")
@LANG
@config_option
def rollup(store_path, out_path, as_of, since, as_json, into_path, lang, config_path):
    """Roll the store up into the manager's summary: KPIs, tables and charts.

    \b
    Example:
        xltools rollup --store xltools.db --out summary.xlsx
        xltools rollup --store xltools.db --as-of 2024-04-01 --json
        xltools rollup --store xltools.db --since 2024-03-25 --out summary.xlsx
        xltools rollup --store postgresql://manager@db.example.com/sales --out summary.xlsx
        xltools rollup --store xltools.db --into 销售汇总.xlsm
    """
    from xltools.rollup import rollup as run_rollup
    from xltools.store.locations import is_url
    from xltools.xlsx.summary.workbook import write_summary
    require_store(store_path)
    config = load_settings(config_path, store_path)
    if into_path:
        from xltools.buttons.press import rollup_into
        click.echo(str(rollup_into(store_path, Path(into_path), day(as_of), config, lang)))
        return
    summary = run_rollup(store_path, day(as_of), config, day(since))
    if as_json:
        print_json(summary.to_dict())
        return
    target = Path(out_path) if out_path else (Path("summary.xlsx") if is_url(store_path)
                                              else Path(store_path).with_name("summary.xlsx"))
    click.echo(str(write_summary(summary, target, lang)))
