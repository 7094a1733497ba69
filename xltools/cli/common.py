"""What every command shares: the error path, the common options, the store checks, progress and JSON.

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

from xltools.errors import UserError, from_os_error
from xltools.forms.config import Config, config_beside, load_config
from xltools.text import Text

UNEXPECTED = Text("出错了（{detail}）。完整信息已写入 {trace}，请发给管理员。",
                  "Something went wrong ({detail}). The full trace is in {trace}: send it to your admin.")
SETTINGS_USED = Text("设置：使用 {path}", "Settings: using {path}")
BAD_CONFIG = Text("--config {path} 有误：{detail}", "--config {path} is wrong: {detail}")
NO_STORE = Text("在 {where} 没有找到库：merge 把 xltools.db 写在收件箱文件夹旁，请在收件箱的上一级文件夹运行，或用 {option} 指明",
                "no store at {where}: merge writes xltools.db beside the inbox folder; run this from the "
                "inbox's parent folder or name it with {option}")


def _remember_lang(ctx, param, value: str) -> str:
    ctx.meta["lang"] = value                  # for the error path, which runs outside the command
    return value


LANG = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                    callback=_remember_lang, is_eager=True,
                    help="Language of labels and messages.")


def current_lang() -> str:
    return click.get_current_context().meta.get("lang", "zh")


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
    return Failure(UNEXPECTED.format(detail=detail, trace=trace)(lang))


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


def load_settings(path: str | None, store: str | Path | None = None) -> Config:
    """The rule settings: --config, else the rules.yaml beside the store (said on stderr), else the
    defaults. A file that cannot be used is a usage error (exit 2) in one line."""
    if path is None and (path := config_beside(store)):
        click.echo(SETTINGS_USED.format(path=path)(current_lang()), err=True)
    try:
        return load_config(path)
    except Exception as exc:  # noqa: BLE001 - bad YAML, unknown or mistyped keys, an unreadable file
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Failure(BAD_CONFIG.format(path=path, detail=detail)(current_lang()), exit_code=2) from exc


def store_location(ctx, param, value: str | None) -> str | None:
    """--store: a database URL as it is, or a file path (not a folder)."""
    from xltools.store.locations import is_url
    if value and not is_url(value) and Path(value).is_dir():
        raise click.BadParameter(f"{value} is a folder: name the store file, e.g. {Path(value) / 'xltools.db'}")
    return value


def require_store(location: str | None, option: str = "--store") -> None:
    """A usage error naming where the store was looked for, when nothing is there."""
    from xltools.store.locations import is_url
    if location and not is_url(location) and not Path(location).exists():
        where = Path(location).resolve()
        raise Failure(NO_STORE.format(where=where, option=option)(current_lang()), exit_code=2)


def day(value: dt.datetime | None) -> dt.date | None:
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
