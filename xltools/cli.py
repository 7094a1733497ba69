"""The command line: each command parses its options, makes one library call and renders
the result. Exit codes: 0 OK, 1 failure or invalid data, 2 bad usage.

Every failure is one sentence (``errors.UserError``) naming the path or masked URL, never a
traceback unless ``xltools --debug`` asks for it; an unexpected one says where its trace went."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import tempfile
import traceback
from pathlib import Path

import click

from xltools import __version__
from xltools.forms.config import Config, config_beside, load_config
from xltools.errors import UserError, from_os_error, refuse_inside


def _remember_lang(ctx, param, value: str) -> str:
    ctx.meta["lang"] = value                  # for the error path, which runs outside the command
    return value


LANG = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                    callback=_remember_lang, is_eager=True,
                    help="Language of labels and messages.")


class Failure(click.ClickException):
    """A user-facing failure: the sentence alone on stderr, with its exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


class Commands(click.Group):
    """Turns whatever a command raises into one or two lines (see the module docstring)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.meta.get("debug"):
                raise
            raise _failure(exc, ctx.meta.get("lang", "zh")) from exc


def _failure(exc: Exception, lang: str) -> Failure:
    if isinstance(exc, OSError):
        exc = from_os_error(exc) or exc
    if isinstance(exc, UserError):
        return Failure(exc.message(lang), exc.exit_code)
    trace = _write_trace(exc)
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return Failure(f"出错了（{detail}）。完整信息已写入 {trace}，请发给管理员。" if lang == "zh"
                   else f"Something went wrong ({detail}). The full trace is in {trace}: send it to your admin.")


def _write_trace(exc: Exception) -> str:
    fd, name = tempfile.mkstemp(prefix="xltools-error-", suffix=".txt")
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(traceback.format_exception(exc)))
    return name


def as_of_option(f):
    return click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
                        help="Day that time-dependent rules count from (default: today). YYYY-MM-DD.")(f)


def config_option(f):
    return click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
                        help="YAML file overriding rule thresholds (see docs/rules.md); default: the "
                             "rules.yaml beside the store, when there is one.")(f)


def _config(path: str | None, store: str | Path | None = None) -> Config:
    """The rule settings: --config, else the rules.yaml beside the store (said on stderr), else the
    defaults. A file that cannot be used is a usage error (exit 2) in one line."""
    if path is None and (path := config_beside(store)):
        zh = click.get_current_context().meta.get("lang", "zh") == "zh"
        click.echo(f"设置：使用 {path}" if zh else f"Settings: using {path}", err=True)
    try:
        return load_config(path)
    except Exception as exc:  # noqa: BLE001 - bad YAML, unknown or mistyped keys, an unreadable file
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        lang = click.get_current_context().meta.get("lang", "zh")
        raise Failure(f"--config {path} 有误：{detail}" if lang == "zh" else f"--config {path} is wrong: {detail}",
                      exit_code=2) from exc


def _store_location(ctx, param, value: str | None) -> str | None:
    """--store: a database URL as it is, or a file path (not a folder)."""
    from xltools.store.core import is_url
    if value and not is_url(value) and Path(value).is_dir():
        raise click.BadParameter(f"{value} is a folder: name the store file, e.g. {Path(value) / 'xltools.db'}")
    return value


def _require_store(location: str | None, option: str = "--store") -> None:
    """A usage error naming where the store was looked for, when nothing is there."""
    from xltools.store.core import is_url
    if location and not is_url(location) and not Path(location).exists():
        where = Path(location).resolve()
        lang = click.get_current_context().meta.get("lang", "zh")
        raise Failure(f"在 {where} 没有找到库：merge 把 xltools.db 写在收件箱文件夹旁，请在收件箱的上一级文件夹运行，"
                      f"或用 {option} 指明" if lang == "zh" else
                      f"no store at {where}: merge writes xltools.db beside the inbox folder; run this from the "
                      f"inbox's parent folder or name it with {option}", exit_code=2)


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@contextlib.contextmanager
def progress_bar(label: str, quiet: bool = False):
    """A progress callback drawing a bar on stderr when someone is watching."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    state = {"bar": None, "done": 0}

    def update(done: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(done - state["done"])
        state["done"] = done

    try:
        yield update
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)


def print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


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


# Templates
@cli.group()
def templates():
    """Build the blank workbooks reps fill in, and their docs."""


@templates.command(name="build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="workbook_templates",
              show_default=True, help="Folder to write the templates into.")
@click.option("--rep", "reps", multiple=True, metavar="NAME",
              help="Write this rep's personal all-in-one workbook instead (repeatable).")
@click.option("--store", "store_path", metavar="PATH|URL", callback=_store_location,
              help="With --rep: colleagues' names and the rep's current customers come from this store.")
@click.option("--reps-from", "reps_from", metavar="PATH|URL", callback=_store_location,
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
        _require_store(store_path)
        _require_store(reps_from, "--reps-from")
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


# Validate
@cli.command()
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
    from xltools.jobs.merge import default_store
    from xltools.checks.validate import validate as run_validate
    config = _config(config_path, default_store([Path(p) for p in paths]))
    if annotate_dir:
        refuse_inside("--annotate", Path(annotate_dir), [p for p in paths if Path(p).is_dir()])
    with progress_bar("读取 / reading", quiet=fmt == "json") as progress:
        report = run_validate(paths, _day(as_of), config, progress=progress)
    failed = None
    if annotate_dir:
        from xltools.xlsx.annotate import annotate
        from xltools.errors import SomeNotWritten
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
        click.echo("没有可读取的工作簿。" if lang == "zh" else "Nothing readable: no workbook could be read.", err=True)
        sys.exit(1)
    sys.exit(0 if report.valid else 1)


# Merge
@cli.command()
@click.argument("inboxes", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--store", "store_path", metavar="PATH|URL", callback=_store_location,
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
    from xltools.jobs.merge import default_store, merge as run_merge
    from xltools.store.core import is_url
    inboxes = (*inboxes, targets_path) if targets_path else inboxes
    config = _config(config_path, store_path or default_store([Path(p) for p in inboxes]))
    for option, output in (("--master", master_path), ("--store", None if is_url(store_path) else store_path)):
        if output:
            refuse_inside(option, Path(output), inboxes)
    with progress_bar("合并 / merging", quiet=as_json) as progress:
        result = run_merge(inboxes, store_path, master_path, _day(as_of), config, prune,
                           write_master_file=not no_master, lang=lang, progress=progress,
                           allow_shrink=allow_shrink)
    if as_json:
        print_json(result.to_dict(lang))
    else:
        click.echo(_merge_text(result, lang))
    if result.master_error:
        click.echo(result.master_error.message(lang), err=True)
    sys.exit(0 if result.ok and not result.report.errors else 1)


def _merge_text(result, lang: str) -> str:
    from xltools.checks.report import counts_text
    d = result.to_dict(lang)
    zh = lang == "zh"
    lines = [result.report.to_text(lang), "",
             ("合并批次 " if zh else "Merge run ") + str(d["run"]),
             ("文件：" if zh else "Files: ") + counts_text(d["files"], lang),
             ("行：" if zh else "Rows: ") + counts_text(d["rows"], lang),
             ("库：" if zh else "Store: ") + str(d["store"])]
    if result.submissions.reps:
        lines.append(result.submissions.to_text(lang))
    if d["master"]:
        lines.append(("总表：" if zh else "Master: ") + d["master"])
    return "\n".join(lines)


# Rollup
@cli.command()
@click.option("--store", "store_path", metavar="PATH|URL", callback=_store_location, default="xltools.db",
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
    from xltools.rollup.core import rollup as run_rollup
    from xltools.store.core import is_url
    from xltools.xlsx.summary.workbook import write_summary
    _require_store(store_path)
    config = _config(config_path, store_path)
    if into_path:
        from xltools.buttons.press import rollup_into
        click.echo(str(rollup_into(store_path, Path(into_path), _day(as_of), config, lang)))
        return
    summary = run_rollup(store_path, _day(as_of), config, _day(since))
    if as_json:
        print_json(summary.to_dict())
        return
    target = Path(out_path) if out_path else (Path("summary.xlsx") if is_url(store_path)
                                              else Path(store_path).with_name("summary.xlsx"))
    click.echo(str(write_summary(summary, target, lang)))


# Handout
@cli.command()
@click.argument("inbox", type=click.Path(exists=True, file_okay=False))
@click.option("--store", "store_path", metavar="PATH|URL", callback=_store_location, default="xltools.db",
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
    from xltools.jobs.handout import handout as write_handouts
    _require_store(store_path)
    from xltools.errors import SomeNotWritten
    try:
        written, failed = write_handouts(Path(inbox), store_path, Path(out_dir), lang), None
    except SomeNotWritten as exc:
        written, failed = exc.written, exc
    click.echo("\n".join(str(p) for p in written))
    if failed:
        raise failed


# Excel workbooks with buttons
@cli.group()
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
    from xltools.buttons.excel_setup import default_books, setup_book

    paths = [Path(b) for b in books] or default_books()
    if not paths:
        raise click.ClickException("当前文件夹和 workbook_templates/ 里都没有工作簿：请给出工作簿路径。" if lang == "zh"
                                   else "No workbook here or in workbook_templates/: name the workbooks.")
    mismatched = False
    for path in paths:
        try:
            result = setup_book(path, platform)
        except FileInUse as exc:
            raise click.ClickException(exc.message(lang)) from exc
        except (ValueError, OSError, KeyError) as exc:
            raise click.ClickException(f"{path}: {exc}") from exc
        blank = "（空）" if lang == "zh" else "(blank)"
        click.echo(f"{path}: " + "; ".join(f"{key} = {value or blank}" for key, value in result.written.items()))
        if result.advice():
            mismatched = True
            click.echo("✗ " + result.advice()(lang), err=True)
    if mismatched:
        raise SystemExit(1)


@cli.command()
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
    from xltools.buttons.excel_setup import default_books
    from xltools.xlsx.writers.file import FileBookWriter

    paths = [Path(b) for b in books] or default_books()
    if not paths:
        raise click.ClickException("当前文件夹和 workbook_templates/ 里都没有工作簿：请给出工作簿路径。" if lang == "zh"
                                   else "No workbook here or in workbook_templates/: name the workbooks.")
    results = {}
    for path in paths:
        try:
            results[path] = diagnose(path, FileBookWriter(path), platform)
        except FileInUse as exc:
            raise click.ClickException(exc.message(lang) + (" 也可以在 Excel 里按“检查设置”。" if lang == "zh"
                                                            else " Or press 'Check setup' in Excel.")) from exc
    if as_json:
        print_json([{"book": str(path), "checks": [c.to_dict(lang) for c in checks]} for path, checks in results.items()])
    else:
        click.echo("\n\n".join(f"{path}\n{render(checks, lang)}" for path, checks in results.items()))
    if not all(c.ok for checks in results.values() for c in checks):
        raise SystemExit(1)


# Demo
@cli.command()
@click.argument("folder", type=click.Path(file_okay=False), default="demo")
@click.option("--store", "store_path", metavar="PATH|URL", callback=_store_location,
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
    from xltools.checks.report import counts_text
    zh = lang == "zh"
    s = result.report.summary()
    first, last = result.merges[0], result.merges[-1]
    k = result.summary.to_dict()
    names = {"inbox": ("销售提交的文件", "Reps' workbooks"), "targets": ("销售指标", "Targets"),
             "annotated": ("校验批注副本", "Annotated copies"), "store": ("数据库", "Store"),
             "master": ("合并总表", "Master workbook"), "summary": ("销售汇总", "Summary workbook")}
    lines = [
        ("校验：" if zh else "Validate: ") + (f"{s['files']['total']} 个文件，错误 {s['errors']} 个，警告 {s['warnings']} 个"
                                              if zh else f"{s['files']['total']} files, {s['errors']} errors, {s['warnings']} warnings"),
        ("第一次合并：" if zh else "First merge: ") + counts_text(first.rows, lang),
        (f"每周再合并 {len(result.merges) - 1} 次，最后一次：" if zh else
         f"{len(result.merges) - 1} weekly merges after it, the last: ") + counts_text(last.files, lang) + " | " + counts_text(last.rows, lang),
        ("在途商机 " if zh else "Open pipeline ") + f"{k['pipeline']['open_amount']:,.2f} 万元, "
        + ("加权 " if zh else "weighted ") + f"{k['pipeline']['weighted_amount']:,.2f} 万元",
        "",
    ]
    lines += [f"{names[key][0 if zh else 1]}{'：' if zh else ': '}{path}" for key, path in result.outputs.items()]
    return "\n".join(lines)


from xltools.help_zh import add_chinese_help  # noqa: E402 - once every command above is declared

add_chinese_help(cli)


def main():  # pragma: no cover - console entry
    cli()
