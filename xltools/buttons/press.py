"""What each Excel button does, written against ``BookWriter`` so it runs without Excel too.

A job reads the 设置 sheet, calls the same library functions as the command line
(merge, rollup, validate, annotate), and only then writes its tables: a failure while
computing leaves every sheet as it was. ``press`` runs a job the way a button does: progress
goes to the status bar and any failure becomes one message box that says what went wrong
in plain words, instead of a Python traceback.

``xltools.excel`` binds these jobs to the open workbook (LiveBookWriter);
``rollup_into`` fills a saved 销售汇总.xlsm from the command line (FileBookWriter) with the
same ``write_summary_sheets``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from xltools.errors import UserError, from_os_error
from xltools.forms.config import Config, config_beside, load_config
from xltools.checks.findings import ERROR, INFO, WARNING
from xltools.checks.report import STATUS_WORDS, Report, counts_text
from xltools.forms.schema import Text, load_schema
from xltools.xlsx.summary.layout import header_height
from xltools.xlsx.summary.table import SUMMARY_SHEETS, Table
from xltools.xlsx.summary.tables import summary_tables
from xltools.xlsx.workbooks import (BOOK_SETTINGS, CONSOLE_SHEETS, FIRST_TABLE_ROW, SETTINGS, SETTINGS_TITLE, TABLE_GAP,
                        WIDTHS)
from xltools.xlsx.writers.file import FileBookWriter
from xltools.xlsx.writers.protocol import BookWriter, Link

Job = Callable[[BookWriter], None]


class ButtonError(UserError):
    """A failure the user can fix, said in both languages."""


class WriteFailed(Exception):
    """Writing into the workbook failed after some sheets may have been written (only possible in Excel)."""


# --- 设置 ----------------------------------------------------------------------------------------------------


@dataclass
class Settings:
    inbox: Path | None
    store: Path | str | None         # a file, or a database address such as postgresql://… as it was typed
    master: Path | None
    annotated: Path | None
    as_of: dt.date
    config: Config
    lang: str
    targets: Path | None = None       # the targets workbook or folder, merged with the inbox

    def inbox_folder(self) -> Path:
        if self.inbox is None:
            raise ButtonError("请在“设置”工作表填写收件箱文件夹。", "Fill in the inbox folder on the Settings sheet.")
        if not self.inbox.is_dir():
            raise ButtonError(f"收件箱文件夹不存在：{self.inbox}", f"The inbox folder does not exist: {self.inbox}")
        return self.inbox

    def store_file(self) -> Path | str:
        """The store named in 设置, or xltools.db beside the inbox, as merge would use."""
        if self.store is not None:
            return self.store
        if self.inbox is None:
            raise ButtonError("请在“设置”工作表填写数据库或收件箱文件夹。",
                              "Fill in the store or the inbox folder on the Settings sheet.")
        from xltools.jobs.merge import default_store
        return default_store([self.inbox])

    def annotated_folder(self) -> Path:
        inbox = self.inbox_folder()
        folder = self.annotated or inbox.resolve().parent / ("校验批注" if self.lang == "zh" else "annotated")
        _outside_inbox(folder, inbox, "批注副本文件夹", "The annotated copies folder")
        return folder


def read_settings(writer: BookWriter, kind: str) -> Settings:
    """The 设置 sheet of a "summary" or "console" workbook, checked and with defaults filled in."""
    raw = writer.read_settings(sheet_name(writer, SETTINGS_TITLE))
    text = {key: raw.get(SETTINGS[key].label.zh, raw.get(SETTINGS[key].label.en, "")) for key in BOOK_SETTINGS[kind]}
    base = writer.base_dir()
    lang = (text.get("lang") or "zh").strip().lower()
    if lang not in ("zh", "en"):
        raise ButtonError(f"“语言”应为 zh 或 en，而不是“{lang}”。", f"Language must be zh or en, not '{lang}'.")
    store = text.get("store", "").strip()
    settings = Settings(inbox=_path(text.get("inbox"), base), store=store if "://" in store else _path(store, base),
                        master=_path(text.get("master"), base), annotated=_path(text.get("annotated"), base),
                        as_of=_day(text.get("as_of", "")), config=Config(), lang=lang,
                        targets=_path(text.get("targets"), base))
    # Blank: the rules.yaml beside the store, as every command picks it up.
    beside = config_beside(settings.store_file()) if settings.store or settings.inbox else None
    settings.config = _config(_path(text.get("config"), base) or beside)
    if settings.master is not None and settings.inbox is not None:
        _outside_inbox(settings.master, settings.inbox, "总表", "The master workbook")
    return settings


def _path(text: str | None, base: Path) -> Path | None:
    if not text or not text.strip():
        return None
    path = Path(os.path.expandvars(os.path.expanduser(text.strip().strip('"'))))
    return path if path.is_absolute() else base / path


def _day(text: str) -> dt.date:
    if not text.strip():
        return dt.date.today()
    found = re.fullmatch(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]0?0:00(?::00)?)?\s*", text)
    try:
        return dt.date(*(int(part) for part in found.groups())) if found else _bad_day(text)
    except ValueError:
        return _bad_day(text)


def _bad_day(text: str):
    raise ButtonError(f"截至日期“{text}”不是日期：请写成 2024-04-10，或留空表示今天。",
                      f"As-of date '{text}' is not a date: write it like 2024-04-10, or leave it blank for today.")


def _config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except (ValueError, OSError) as exc:
        raise ButtonError(f"规则设置文件 {path} 有误：{exc}", f"Rule settings file {path} is wrong: {exc}") from exc


def _outside_inbox(path: Path, inbox: Path, zh: str, en: str) -> None:
    # Anything written inside the inbox would be read back as a rep's workbook next time.
    if path.resolve().is_relative_to(inbox.resolve()):
        raise ButtonError(f"{zh}不能放在收件箱文件夹里：{path}", f"{en} must not be inside the inbox folder: {path}")


def sheet_name(writer: BookWriter, name: Text) -> str:
    """The sheet's name in this workbook, whichever language it was built in."""
    names = writer.sheet_names()
    for candidate in (name.zh, name.en):
        if candidate in names:
            return candidate
    raise ButtonError(f"工作簿里没有“{name.zh}”工作表：请换用 workbook_templates 里的新工作簿。",
                      f"The workbook has no sheet '{name.en}': use a fresh copy from workbook_templates.")


# --- Pressing a button --------------------------------------------------------------------------------------


def press(writer: BookWriter, job: Job) -> bool:
    """Run a button's job; on failure show one message box with the cause. Returns True on success."""
    lang = _book_lang(writer)
    try:
        job(writer)
        return True
    except Exception as exc:  # noqa: BLE001 - whatever happens, the user gets a message box, not a traceback
        if not isinstance(exc, UserError):
            traceback.print_exc(file=sys.stderr)    # for whoever debugs it; the message box has the gist
        writer.alert(" · ".join(["xltools", *([_TITLES[job](lang)] if job in _TITLES else [])]), explain(exc, lang))
        return False
    finally:
        writer.status(None)


def explain(exc: BaseException, lang: str = "zh") -> str:
    """The cause of a failure in plain words."""
    if isinstance(exc, OSError):
        exc = from_os_error(exc) or exc
    if isinstance(exc, UserError):          # the same sentence the command line prints
        return exc.message(lang)
    if isinstance(exc, WriteFailed):
        cause = exc.__cause__
        detail = f"{type(cause).__name__}: {cause}"
        return (f"写入工作簿时出错：\n{detail}\n\n已写入的工作表可能不完整：请再按一次按钮。" if lang == "zh"
                else f"Writing into the workbook failed:\n{detail}\n\nSheets written so far may be incomplete: "
                     "press the button again.")
    detail = f"{type(exc).__name__}: {exc}"
    return (f"出错了，本工作簿未改动：\n{detail}\n\n请把这段文字发给管理员。" if lang == "zh"
            else f"Something went wrong; this workbook was not changed:\n{detail}\n\nPlease send this text to your admin.")


def _book_lang(writer: BookWriter) -> str:
    """The language for messages: 设置's 语言 when it can be read, else the workbook's own."""
    own = "en" if SETTINGS_TITLE.en in writer.sheet_names() else "zh"
    try:
        raw = writer.read_settings(sheet_name(writer, SETTINGS_TITLE))
    except Exception:  # noqa: BLE001 - the job itself reports a broken 设置
        return own
    lang = raw.get(SETTINGS["lang"].label.zh, raw.get(SETTINGS["lang"].label.en, "")).strip().lower()
    return lang if lang in ("zh", "en") else own


def _progress(writer: BookWriter, lang: str) -> Callable[[int, int], None]:
    def update(done: int, total: int) -> None:
        writer.status(f"正在读取 {done}/{total} 个文件…" if lang == "zh" else f"Reading {done}/{total} files…")
    return update


def _say(writer: BookWriter, lang: str, zh: str, en: str) -> None:
    writer.status(zh if lang == "zh" else en)


# --- The jobs ---------------------------------------------------------------------------------------------


def refresh_summary_book(writer: BookWriter) -> None:
    """刷新汇总: merge the inbox into the store, then roll the store up into the summary sheets."""
    from xltools.rollup.core import rollup

    s = read_settings(writer, "summary")
    result = _merge(writer, s)
    _say(writer, s.lang, "正在汇总…", "Rolling up…")
    summary = rollup(result.store, s.as_of, s.config)
    _say(writer, s.lang, "正在写入工作簿…", "Writing the workbook…")
    write_summary_sheets(writer, summary, s.lang, _merge_note(result, s.lang))
    writer.save()


def rollup_only_book(writer: BookWriter) -> None:
    """仅刷新汇总: roll the store up as it is, without merging."""
    from xltools.rollup.core import rollup

    s = read_settings(writer, "summary")
    store = s.store_file()
    if isinstance(store, Path) and not store.is_file():
        raise ButtonError(f"还没有数据库 {store}：请先按“刷新汇总”（或运行 xltools merge）。",
                          f"No store at {store} yet: press 'Refresh summary' first (or run xltools merge).")
    _say(writer, s.lang, "正在汇总…", "Rolling up…")
    summary = rollup(store, s.as_of, s.config)
    _say(writer, s.lang, "正在写入工作簿…", "Writing the workbook…")
    write_summary_sheets(writer, summary, s.lang)
    writer.save()


def validate_inbox_book(writer: BookWriter) -> None:
    """校验: check every workbook of the inbox, write annotated copies, list findings and files."""
    from xltools.checks.validate import validate

    s = read_settings(writer, "console")
    inbox, copies = s.inbox_folder(), s.annotated_folder()
    report = validate([inbox], s.as_of, s.config, progress=_progress(writer, s.lang))
    written = _annotate(writer, report, copies, s.lang)
    _say(writer, s.lang, "正在写入工作簿…", "Writing the workbook…")
    note = _stamp(s.lang, ("校验", "Validated"), s.as_of)
    write_result_sheets(writer, {"findings": _findings_table(report, written, s.lang),
                                 "files": _files_table(report, written, s.lang)}, note, s.lang)
    writer.save()


def merge_inbox_book(writer: BookWriter) -> None:
    """合并: merge the inbox into the store and the master workbook; list findings, files and the log."""
    s = read_settings(writer, "console")
    copies = s.annotated_folder()
    result = _merge(writer, s)
    written = _annotate(writer, result.report, copies, s.lang)
    runs, reps = _store_facts(result.store, s.inbox_folder(), s.lang)
    _say(writer, s.lang, "正在写入工作簿…", "Writing the workbook…")
    note = _stamp(s.lang, ("合并", "Merged"), s.as_of)
    write_result_sheets(writer, {"findings": _findings_table(result.report, written, s.lang),
                                 "files": _files_table(result.report, written, s.lang, reps),
                                 "log": [_merge_table(result, s, s.lang), runs]}, note, s.lang)
    writer.save()


_TITLES: dict[Job, Text] = {refresh_summary_book: Text(zh="刷新汇总", en="Refresh summary"),
                            rollup_only_book: Text(zh="仅刷新汇总", en="Summary only"),
                            validate_inbox_book: Text(zh="校验", en="Validate"),
                            merge_inbox_book: Text(zh="合并", en="Merge")}


def rollup_into(store: str | Path, path: str | Path, as_of: dt.date | None = None, config: Config | None = None,
                lang: str = "zh") -> Path:
    """Fill the summary sheets of a saved 销售汇总.xlsm from the store, keeping its VBA and buttons.

    The command-line twin of the 仅刷新汇总 button: the same tables, written by the same
    ``write_summary_sheets``. ``as_of`` None means the latest merge's day, as ``rollup`` has it.

    :raises FileInUse: the workbook is open in Excel; it is left as it was.
    :raises ButtonError: the workbook lacks the summary sheets.
    """
    from xltools.rollup.core import rollup

    writer = FileBookWriter(path)
    write_summary_sheets(writer, rollup(store, as_of, config), lang)
    return writer.save()


def _merge(writer: BookWriter, s: Settings):
    from xltools.jobs.merge import merge

    inbox = s.inbox_folder()
    _say(writer, s.lang, "正在合并…", "Merging…")
    if s.targets is not None and not s.targets.exists():
        raise ButtonError(f"指标文件不存在：{s.targets}", f"The targets workbook does not exist: {s.targets}")
    return merge([inbox, *filter(None, [s.targets])], s.store, s.master, s.as_of, s.config, lang=s.lang,
                 progress=_progress(writer, s.lang))


def _annotate(writer: BookWriter, report: Report, folder: Path, lang: str) -> dict[str, Path]:
    """Annotated copies of the files read now; earlier copies of unchanged files are linked too."""
    from xltools.xlsx.annotate import annotate, copy_path

    _say(writer, lang, "正在生成批注副本…", "Writing annotated copies…")
    annotate(report, folder, lang)
    return {f.path: copy_path(folder, f.path) for f in report.files if copy_path(folder, f.path).is_file()}


def _store_facts(store: str | Path, inbox: Path, lang: str) -> tuple[Table, dict[str, str]]:
    """The store's merge runs as a table, and the rep of each file it holds from ``inbox``.

    A file that did not change since the last merge is not read again, so its rep comes from the store.
    """
    from xltools.store.core import open_store

    db = open_store(store, read_only=True)
    try:
        runs, files = db.runs(), db.files()
    finally:
        db.close()
    inbox_key = inbox.resolve().as_posix()          # how merge names an inbox in the store
    reps = {path: f.rep for (key, path), f in files.items() if key == inbox_key and f.rep}
    return _runs_table(runs, lang), reps


def _runs_table(runs, lang: str) -> Table:
    zh = lang == "zh"
    rows = []
    for run in reversed(runs.to_dict("records")):
        counts = json.loads(run["counts"]) if run.get("counts") else {}
        rows.append([run["id"], run["as_of"], _time(run["started_at"]), _time(run["finished_at"]),
                     "; ".join(json.loads(run["inboxes"] or "[]")),
                     counts_text(counts.get("files", {}), lang), counts_text(counts.get("rows", {}), lang)])
    return Table("runs", "历次合并" if zh else "Earlier merges",
                 ["批次", "截至日期", "开始", "结束", "收件箱", "文件", "数据行"] if zh else
                 ["Run", "As of", "Started", "Finished", "Inboxes", "Files", "Rows"],
                 rows, ["int", "text", "text", "text", "text", "text", "text"], sheet="log")


def _time(stamp: Any) -> str:
    return str(stamp or "")[:19].replace("T", " ")


# --- Writing ----------------------------------------------------------------------------------------------


def write_summary_sheets(writer: BookWriter, summary, lang: str = "zh", note: str = "") -> None:
    """Replace the summary sheets' content with the tables of ``summary`` (as ``xltools rollup`` makes them)."""
    tables = summary_tables(summary, lang)
    zh = lang == "zh"
    unit = (f"截至 {summary.as_of} · 金额单位：万元 · 刷新于 {_now()}" if zh
            else f"As of {summary.as_of} · amounts in 10k CNY · refreshed {_now()}") + note
    with writer.writing():
        for key, name in SUMMARY_SHEETS.items():
            heading = ("销售管理汇总" if zh else "Sales summary") if key == "summary" else name(lang)
            write_tables(writer, sheet_name(writer, name), key, heading, unit,
                         [t for t in tables if t.sheet == key], lang)


def write_result_sheets(writer: BookWriter, tables: dict[str, Table | list[Table]], note: str, lang: str) -> None:
    """Replace the content of the console's sheets named in ``tables`` (findings, files, log)."""
    with writer.writing():
        for key, content in tables.items():
            name = CONSOLE_SHEETS[key]
            write_tables(writer, sheet_name(writer, name), key, name(lang), note,
                         content if isinstance(content, list) else [content], lang)


def write_tables(writer: BookWriter, sheet: str, key: str, heading: str, note: str, tables: list[Table],
                 lang: str) -> None:
    """A sheet's whole content: heading, then the tables one under another."""
    try:
        writer.clear(sheet, 1)
        writer.write_heading(sheet, heading, note)
        row = FIRST_TABLE_ROW
        for table in tables:
            rows = table.rows or [[("（无）" if lang == "zh" else "(none)")] + [None] * (len(table.headers) - 1)]
            used = writer.write_table(sheet, f"A{row}", table.headers, rows, table.formats, title=table.title,
                                      total=table.total, flags=table.flags,
                                      header_height=header_height(table.headers, WIDTHS[key]))
            row += used + TABLE_GAP
    except Exception as exc:
        raise WriteFailed(sheet) from exc


def _now() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M")


def _stamp(lang: str, verb: tuple[str, str], as_of: dt.date) -> str:
    return (f"{verb[0]}于 {_now()} · 截至 {as_of}" if lang == "zh" else f"{verb[1]} {_now()} · as of {as_of}")


_SEVERITY = {"zh": {ERROR: "错误", WARNING: "警告", INFO: "提示"}, "en": {ERROR: "error", WARNING: "warning", INFO: "info"}}
def _cell_link(copy: Path | None, sheet: str | None, cell: str | None) -> Any:
    """The finding's cell, linked into the annotated copy where there is one."""
    if not cell:
        return cell
    if copy is None or not sheet:
        return cell
    # "[file]'Sheet'!A1" is the form Excel documents for a place in another workbook.
    return Link(f"[{copy}]'{sheet.replace(chr(39), chr(39) * 2)}'!{cell}", cell)


def _findings_table(report: Report, copies: dict[str, Path], lang: str) -> Table:
    zh = lang == "zh"
    rows, flags = [], set()
    for i, f in enumerate(report.findings):
        rows.append([_SEVERITY[lang][f.severity], f.file, f.sheet, _cell_link(copies.get(f.file), f.sheet, f.cell)
                     or (f.row or None), f.code, f.message(lang), None if f.value is None else str(f.value),
                     f.rep, f.customer, f.key])
        if f.severity == ERROR:
            flags.add((i, 0))
    counts = {k: sum(f.severity == k for f in report.findings) for k in (ERROR, WARNING, INFO)}
    title = (f"发现的问题：错误 {counts[ERROR]} 个，警告 {counts[WARNING]} 个，提示 {counts[INFO]} 个" if zh
             else f"Findings: {counts[ERROR]} errors, {counts[WARNING]} warnings, {counts[INFO]} notes")
    headers = (["级别", "文件", "工作表", "单元格", "代码", "说明", "值", "销售", "客户", "编号"] if zh else
               ["Severity", "File", "Sheet", "Cell", "Code", "Message", "Value", "Rep", "Customer", "Key"])
    return Table("findings", title, headers, rows, ["text"] * len(headers), sheet="findings", flags=flags)


def _files_table(report: Report, copies: dict[str, Path], lang: str, reps: dict[str, str] | None = None) -> Table:
    zh = lang == "zh"
    schema = load_schema()
    rows, flags = [], set()
    for i, f in enumerate(report.files):
        found = report.findings_of(f.path)
        copy = copies.get(f.path)
        rows.append([f.path, STATUS_WORDS[f.status](lang), f.rep or (reps or {}).get(f.path),
                     ("、" if zh else ", ").join(schema.sheets[k].name(lang) if k in schema.sheets else k for k in f.forms),
                     f.rows if f.status == "ok" else None, sum(x.severity == ERROR for x in found), sum(x.severity == WARNING for x in found),
                     f.reason(lang), Link(str(copy), "打开" if zh else "open") if copy else None])
        if f.status == "unreadable":
            flags.add((i, 1))
    title = (f"文件：共 {len(report.files)} 个" if zh else f"Files: {len(report.files)}")
    headers = (["文件", "状态", "销售", "表单", "行数", "错误", "警告", "原因", "批注副本"] if zh else
               ["File", "Status", "Rep", "Forms", "Rows", "Errors", "Warnings", "Reason", "Annotated copy"])
    return Table("files", title, headers, rows, ["text", "text", "text", "text", "int", "int", "int", "text", "text"],
                 sheet="files", flags=flags)


def _merge_table(result, s: Settings, lang: str) -> Table:
    zh = lang == "zh"
    d = result.to_dict(lang)
    master = d["master_error"] or d["master"] or ("未写（见设置）" if zh else "not written")
    items = [("批次", "Run", d["run"]), ("截至日期", "As of", s.as_of), ("收件箱", "Inbox", str(s.inbox)),
             ("文件", "Files", counts_text(d["files"], lang)),
             ("数据行", "Rows", counts_text(d["rows"], lang)),
             ("问题", "Findings", (f"错误 {d['findings']['error']}，警告 {d['findings']['warning']}" if zh
                                   else f"errors {d['findings']['error']}, warnings {d['findings']['warning']}")),
             ("数据库", "Store", d["store"]), ("总表", "Master", master),
             ("撤回的文件", "Withdrawn files", ("、" if zh else ", ").join(d["withdrawn_files"]) or "—")]
    return Table("merge", f"本次合并（批次 {d['run']}）" if zh else f"This merge (run {d['run']})",
                 ["项目", "内容"] if zh else ["Item", "Value"],
                 [[zh_label if zh else en_label, value] for zh_label, en_label, value in items],
                 ["text", "text"], sheet="log", flags={(7, 1)} if d["master_error"] else set())


def _merge_note(result, lang: str) -> str:
    d = result.to_dict(lang)
    files, errors = d["files"], d["findings"]["error"]
    note = (f" · 本次合并读取 {files['read']} 个文件（未变化 {files['unchanged']} 个），错误 {errors} 个" if lang == "zh"
            else f" · merge read {files['read']} files ({files['unchanged']} unchanged), {errors} errors")
    return note + (f" · {d['master_error']}" if d["master_error"] else "")
