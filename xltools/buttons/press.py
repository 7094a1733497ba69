"""What each Excel button does, written against ``BookWriter`` so it runs without Excel too.

A job reads the 设置 sheet (``settings``), calls the same library functions as the command line
(merge, rollup, validate, annotate), and only then writes its tables (``sheets``): a failure while
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
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

from xltools.buttons.settings import ButtonError, Settings, book_lang, read_settings
from xltools.buttons.sheets import WriteFailed, stamp, write_result_sheets, write_summary_sheets
from xltools.checks.findings import SEVERITY_WORDS
from xltools.ingest.findings import ERROR, INFO, WARNING
from xltools.checks.report import STATUS_WORDS, Report, counts_text
from xltools.errors import UserError, from_os_error
from xltools.forms.config import Config
from xltools.forms.schema import load_schema
from xltools.text import Text
from xltools.xlsx.summary.table import Table
from xltools.xlsx.writers.file import FileBookWriter
from xltools.xlsx.writers.protocol import BookWriter, Link

Job = Callable[[BookWriter], None]

WRITE_FAILED = Text("写入工作簿时出错：\n{detail}\n\n已写入的工作表可能不完整：请再按一次按钮。",
                    "Writing into the workbook failed:\n{detail}\n\nSheets written so far may be incomplete: "
                    "press the button again.")
UNEXPECTED = Text("出错了，本工作簿未改动：\n{detail}\n\n请把这段文字发给管理员。",
                  "Something went wrong; this workbook was not changed:\n{detail}\n\nPlease send this text to your admin.")
STATUS = {"reading": Text("正在读取 {done}/{total} 个文件…", "Reading {done}/{total} files…"),
          "merging": Text("正在合并…", "Merging…"), "rolling up": Text("正在汇总…", "Rolling up…"),
          "annotating": Text("正在生成批注副本…", "Writing annotated copies…"),
          "writing": Text("正在写入工作簿…", "Writing the workbook…")}
LIST_SEP = Text("、", ", ")


# --- Pressing a button --------------------------------------------------------------------------------------


def press(writer: BookWriter, job: Job) -> bool:
    """Run a button's job; on failure show one message box with the cause. Returns True on success."""
    lang = book_lang(writer)
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
        return WRITE_FAILED.format(detail=f"{type(cause).__name__}: {cause}")(lang)
    return UNEXPECTED.format(detail=f"{type(exc).__name__}: {exc}")(lang)


def _progress(writer: BookWriter, lang: str) -> Callable[[int, int], None]:
    def update(done: int, total: int) -> None:
        writer.status(STATUS["reading"].format(done=done, total=total)(lang))
    return update


def _say(writer: BookWriter, lang: str, step: str) -> None:
    writer.status(STATUS[step](lang))


# --- The jobs ---------------------------------------------------------------------------------------------


def refresh_summary_book(writer: BookWriter) -> None:
    """刷新汇总: merge the inbox into the store, then roll the store up into the summary sheets."""
    from xltools.rollup import rollup

    s = read_settings(writer, "summary")
    result = _merge(writer, s)
    _say(writer, s.lang, "rolling up")
    summary = rollup(result.store, s.as_of, s.config)
    _say(writer, s.lang, "writing")
    write_summary_sheets(writer, summary, s.lang, _merge_note(result, s.lang))
    writer.save()


def rollup_only_book(writer: BookWriter) -> None:
    """仅刷新汇总: roll the store up as it is, without merging."""
    from xltools.rollup import rollup

    s = read_settings(writer, "summary")
    store = s.store_file()
    if isinstance(store, Path) and not store.is_file():
        raise ButtonError(f"还没有数据库 {store}：请先按“刷新汇总”（或运行 xltools merge）。",
                          f"No store at {store} yet: press 'Refresh summary' first (or run xltools merge).")
    _say(writer, s.lang, "rolling up")
    summary = rollup(store, s.as_of, s.config)
    _say(writer, s.lang, "writing")
    write_summary_sheets(writer, summary, s.lang)
    writer.save()


def validate_inbox_book(writer: BookWriter) -> None:
    """校验: check every workbook of the inbox, write annotated copies, list findings and files."""
    from xltools.checks.validate import validate

    s = read_settings(writer, "console")
    inbox, copies = s.inbox_folder(), s.annotated_folder()
    report = validate([inbox], s.as_of, s.config, progress=_progress(writer, s.lang))
    written = _annotate(writer, report, copies, s.lang)
    _say(writer, s.lang, "writing")
    note = stamp(s.lang, Text("校验", "Validated"), s.as_of)
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
    _say(writer, s.lang, "writing")
    note = stamp(s.lang, Text("合并", "Merged"), s.as_of)
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
    from xltools.rollup import rollup

    writer = FileBookWriter(path)
    write_summary_sheets(writer, rollup(store, as_of, config), lang)
    return writer.save()


def _merge(writer: BookWriter, s: Settings):
    """Merge the inbox (and the targets) into the store, then write the master workbook."""
    from xltools.jobs.merge import Merge
    from xltools.jobs.places import default_master

    inbox = s.inbox_folder()
    _say(writer, s.lang, "merging")
    if s.targets is not None and not s.targets.exists():
        raise ButtonError(f"指标文件不存在：{s.targets}", f"The targets workbook does not exist: {s.targets}")
    store = s.store_file()
    merging = Merge(store, config=s.config, as_of=s.as_of)
    result = merging.run([inbox, *filter(None, [s.targets])], progress=_progress(writer, s.lang))
    merging.write_master(result, s.master or default_master(store, [inbox]), s.lang)
    return result


def _annotate(writer: BookWriter, report: Report, folder: Path, lang: str) -> dict[str, Path]:
    """Annotated copies of the files read now; earlier copies of unchanged files are linked too."""
    from xltools.xlsx.annotate import annotate, copy_path

    _say(writer, lang, "annotating")
    annotate(report, folder, lang)
    return {f.path: copy_path(folder, f.path) for f in report.files if copy_path(folder, f.path).is_file()}


def _store_facts(store: str | Path, inbox: Path, lang: str) -> tuple[Table, dict[str, str]]:
    """The store's merge runs as a table, and the rep of each file it holds from ``inbox``.

    A file that did not change since the last merge is not read again, so its rep comes from the store.
    """
    from xltools.jobs.places import inbox_key
    from xltools.store import open_store

    db = open_store(store, read_only=True)
    try:
        runs, files = db.runs(), db.files()
    finally:
        db.close()
    reps = {path: f.rep for (key, path), f in files.items() if key == inbox_key(inbox) and f.rep}
    return _runs_table(runs, lang), reps


# --- The tables a button lists --------------------------------------------------------------------------


RUNS_HEADERS = [Text("批次", "Run"), Text("截至日期", "As of"), Text("开始", "Started"), Text("结束", "Finished"),
                Text("收件箱", "Inboxes"), Text("文件", "Files"), Text("数据行", "Rows")]
FINDINGS_TITLE = Text("发现的问题：错误 {errors} 个，警告 {warnings} 个，提示 {notes} 个",
                      "Findings: {errors} errors, {warnings} warnings, {notes} notes")
FINDINGS_HEADERS = [Text("级别", "Severity"), Text("文件", "File"), Text("工作表", "Sheet"), Text("单元格", "Cell"),
                    Text("代码", "Code"), Text("说明", "Message"), Text("值", "Value"), Text("销售", "Rep"),
                    Text("客户", "Customer"), Text("编号", "Key")]
FILES_TITLE = Text("文件：共 {n} 个", "Files: {n}")
FILES_HEADERS = [Text("文件", "File"), Text("状态", "Status"), Text("销售", "Rep"), Text("表单", "Forms"),
                 Text("行数", "Rows"), Text("错误", "Errors"), Text("警告", "Warnings"), Text("原因", "Reason"),
                 Text("批注副本", "Annotated copy")]
OPEN = Text("打开", "open")
MERGE_TITLE = Text("本次合并（批次 {run}）", "This merge (run {run})")
MERGE_HEADERS = [Text("项目", "Item"), Text("内容", "Value")]
MERGE_ITEMS = [Text("批次", "Run"), Text("截至日期", "As of"), Text("收件箱", "Inbox"), Text("文件", "Files"),
               Text("数据行", "Rows"), Text("问题", "Findings"), Text("数据库", "Store"), Text("总表", "Master"),
               Text("撤回的文件", "Withdrawn files")]
MERGE_FINDINGS = Text("错误 {errors}，警告 {warnings}", "errors {errors}, warnings {warnings}")
NO_MASTER = Text("未写（见设置）", "not written")
MERGE_NOTE = Text(" · 本次合并读取 {read} 个文件（未变化 {unchanged} 个），错误 {errors} 个",
                  " · merge read {read} files ({unchanged} unchanged), {errors} errors")


def _said(texts: list[Text], lang: str) -> list[str]:
    return [text(lang) for text in texts]


def _runs_table(runs, lang: str) -> Table:
    rows = []
    for run in reversed(runs.to_dict("records")):
        counts = json.loads(run["counts"]) if run.get("counts") else {}     # as each run stored them
        rows.append([run["id"], run["as_of"], _time(run["started_at"]), _time(run["finished_at"]),
                     "; ".join(json.loads(run["inboxes"] or "[]")),
                     counts_text(counts.get("files", {}), lang), counts_text(counts.get("rows", {}), lang)])
    return Table("runs", Text("历次合并", "Earlier merges")(lang), _said(RUNS_HEADERS, lang),
                 rows, ["int", "text", "text", "text", "text", "text", "text"], sheet="log")


def _time(stamp: Any) -> str:
    return str(stamp or "")[:19].replace("T", " ")


def _cell_link(copy: Path | None, sheet: str | None, cell: str | None) -> Any:
    """The finding's cell, linked into the annotated copy where there is one."""
    if not cell:
        return cell
    if copy is None or not sheet:
        return cell
    # "[file]'Sheet'!A1" is the form Excel documents for a place in another workbook.
    return Link(f"[{copy}]'{sheet.replace(chr(39), chr(39) * 2)}'!{cell}", cell)



def _findings_table(report: Report, copies: dict[str, Path], lang: str) -> Table:
    rows, flags = [], set()
    for i, f in enumerate(report.findings):
        rows.append([SEVERITY_WORDS[f.severity](lang), f.file, f.sheet, _cell_link(copies.get(f.file), f.sheet, f.cell)
                     or (f.row or None), f.code, f.message(lang), None if f.value is None else str(f.value),
                     f.rep, f.customer, f.key])
        if f.severity == ERROR:
            flags.add((i, 0))
    counts = {k: sum(f.severity == k for f in report.findings) for k in (ERROR, WARNING, INFO)}
    title = FINDINGS_TITLE.format(errors=counts[ERROR], warnings=counts[WARNING], notes=counts[INFO])(lang)
    headers = _said(FINDINGS_HEADERS, lang)
    return Table("findings", title, headers, rows, ["text"] * len(headers), sheet="findings", flags=flags)


def _files_table(report: Report, copies: dict[str, Path], lang: str, reps: dict[str, str] | None = None) -> Table:
    schema = load_schema()
    rows, flags = [], set()
    for i, f in enumerate(report.files):
        found = report.findings_of(f.path)
        copy = copies.get(f.path)
        rows.append([f.path, STATUS_WORDS[f.status](lang), f.rep or (reps or {}).get(f.path),
                     LIST_SEP(lang).join(schema.sheets[k].name(lang) if k in schema.sheets else k for k in f.forms),
                     f.rows if f.status == "ok" else None, sum(x.severity == ERROR for x in found), sum(x.severity == WARNING for x in found),
                     f.reason(lang), Link(str(copy), OPEN(lang)) if copy else None])
        if f.status == "unreadable":
            flags.add((i, 1))
    return Table("files", FILES_TITLE.format(n=len(report.files))(lang), _said(FILES_HEADERS, lang), rows,
                 ["text", "text", "text", "text", "int", "int", "int", "text", "text"], sheet="files", flags=flags)


def _merge_table(result, s: Settings, lang: str) -> Table:
    d = result.to_dict(lang)
    values = [d["run"], s.as_of, str(s.inbox), result.files.text()(lang), result.rows.text()(lang),
              MERGE_FINDINGS.format(errors=d["findings"]["error"], warnings=d["findings"]["warning"])(lang),
              d["store"], d["master_error"] or d["master"] or NO_MASTER(lang),
              LIST_SEP(lang).join(d["withdrawn_files"]) or "—"]
    return Table("merge", MERGE_TITLE.format(run=d["run"])(lang), _said(MERGE_HEADERS, lang),
                 [[item(lang), value] for item, value in zip(MERGE_ITEMS, values)],
                 ["text", "text"], sheet="log", flags={(7, 1)} if d["master_error"] else set())


def _merge_note(result, lang: str) -> str:
    errors = sum(f.severity == ERROR for f in result.report.findings)
    note = MERGE_NOTE.format(read=result.files.read, unchanged=result.files.unchanged, errors=errors)(lang)
    return note + (f" · {result.master_error.message(lang)}" if result.master_error else "")
