"""The two macro-enabled workbooks with buttons, and the layout their buttons fill.

* 销售汇总.xlsm (the manager's): 设置 with the buttons 刷新汇总, 仅刷新汇总 and 检查设置, the summary
  sheets 汇总 / 待跟进 / 数据质量, and ``xlwings.conf``.
* 合并控制台.xlsm (the admin's): 设置 with the buttons 校验, 合并 and 检查设置, and the sheets the
  results land in: 校验结果 (findings), 文件 (every file, linked to its annotated copy)
  and 合并日志 (this merge and the store's earlier ones).

Both are built from code only: openpyxl lays out the sheets, ``vba.add_vba_and_buttons``
adds the VBA project and the buttons. Fixed document and zip times make the build
byte-for-byte reproducible, so the committed copies in workbook_templates/ can be checked
against a rebuild. The hidden sheet ``writers.protocol.STYLE_SHEET`` holds one styled cell per
style key, for FileBookWriter.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from xltools.xlsx import vba
from xltools.text import Text
from xltools.xlsx.summary.layout import SUMMARY_WIDTHS
from xltools.xlsx.summary.table import SUMMARY_SHEETS
from xltools.atomic import write_atomically
from xltools.xlsx.templates.reproducible import BUILD_TIME, workbook_bytes
from xltools.xlsx.writers.protocol import SETTINGS_SHEET, STYLES, STYLE_SHEET, Style

SUMMARY_BOOK = Text(zh="销售汇总", en="Sales summary")
CONSOLE_BOOK = Text(zh="合并控制台", en="Merge console")
SETTINGS_TITLE = Text(zh=SETTINGS_SHEET, en="Settings")
CONF_SHEET = "xlwings.conf"      # the name xlwings' VBA looks for (PROJECT_NAME & ".conf")

CONSOLE_SHEETS = {"findings": Text(zh="校验结果", en="Findings"),
                  "files": Text(zh="文件", en="Files"),
                  "log": Text(zh="合并日志", en="Merge log")}

# Column widths (Excel character units) per sheet key; column A holds names and paths.
WIDTHS = {**SUMMARY_WIDTHS,
          "findings": [8, 30, 14, 10, 22, 60, 20, 10, 20], "files": [36, 10, 10, 28, 8, 8, 8, 40, 12],
          "log": [22, 20, 20, 20, 40, 40, 30]}
FIRST_TABLE_ROW = 4          # rows 1-2 hold the sheet's heading and note
TABLE_GAP = 2                # empty rows between two tables

# A button's caption in English, by macro (vba.BUTTONS holds the Chinese ones).
BUTTON_CAPTIONS_EN = {"RefreshSummary": "Refresh summary", "RefreshSummaryOnly": "Summary only",
                      "ValidateInbox": "Validate", "MergeInbox": "Merge", "CheckSetup": "Check setup"}


# --- 设置 ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    key: str
    label: Text
    help: Text


SETTINGS = {s.key: s for s in [
    Setting("inbox", Text(zh="收件箱文件夹", en="Inbox folder"),
            Text(zh="各销售交来的表格所在的文件夹（含子文件夹），如 D:\\销售\\收件箱。相对路径从本工作簿所在的文件夹算起。",
                 en="Folder holding the reps' workbooks (subfolders included), e.g. D:\\sales\\inbox. "
                    "A relative path starts from this workbook's folder.")),
    Setting("targets", Text(zh="指标文件", en="Targets workbook"),
            Text(zh="可选：销售指标工作簿（或放指标的文件夹），每次与收件箱一起合并；留空则只合并收件箱。",
                 en="Optional: the targets workbook (or a folder of them), merged with the inbox each time; "
                    "blank: the inbox only.")),
    Setting("store", Text(zh="数据库", en="Store"),
            Text(zh="合并结果存放的数据库文件；留空则为收件箱旁的 xltools.db。",
                 en="The store file merges write to; blank: xltools.db beside the inbox folder.")),
    Setting("master", Text(zh="总表", en="Master workbook"),
            Text(zh="合并后写出的总表；留空则为数据库旁的 master.xlsx。",
                 en="The master workbook a merge writes; blank: master.xlsx beside the store.")),
    Setting("annotated", Text(zh="批注副本文件夹", en="Annotated copies folder"),
            Text(zh="标出问题的副本写到这里，可发回给销售；留空则为收件箱旁的“校验批注”文件夹。",
                 en="Copies with every problem marked go here, to send back to reps; blank: "
                    "'annotated' beside the inbox folder.")),
    Setting("as_of", Text(zh="截至日期", en="As-of date"),
            Text(zh="规则和汇总以这一天为准，如 2024-04-10；留空则为今天。",
                 en="The day rules and the summary count from, e.g. 2024-04-10; blank: today.")),
    Setting("config", Text(zh="规则设置文件", en="Rule settings file"),
            Text(zh="可选：改写规则阈值的 YAML 文件（见 docs/rules.md）；留空则用数据库旁的 rules.yaml（如有），否则用默认值。",
                 en="Optional YAML file overriding rule thresholds (see docs/rules.md); blank: the rules.yaml "
                    "beside the store if there is one, else the defaults.")),
    Setting("lang", Text(zh="语言", en="Language"),
            Text(zh="结果用的语言：zh 或 en；留空为 zh。", en="Language of the results: zh or en; blank: zh.")),
]}
BOOK_SETTINGS = {"summary": ["inbox", "targets", "store", "master", "as_of", "config", "lang"],
                 "console": ["inbox", "targets", "store", "master", "annotated", "as_of", "config", "lang"]}
SETTINGS_FIRST_ROW = 5       # row 4 is the header 项目 | 值 | 说明

# xlwings reads its settings from A1 down to the first empty cell of column A (GetConfigFromSheet):
# no header row, one key per row. A key that is present, even blank, hides the same key of the
# per-user xlwings.conf, so only keys whose blank value means "the default" are listed: a blank
# boolean such as "Show Console" would stop RunPython with a type mismatch.
XLWINGS_CONF = [
    ("Interpreter_Win", Text(zh="Windows：python.exe 的完整路径，如 C:\\Users\\张三\\xltools-venv\\Scripts\\python.exe；"
                             "xltools excel setup 会自动填写。留空则用 PATH 里的 python（通常不行）。",
                             en="Windows: full path of python.exe, e.g. C:\\Users\\me\\xltools-venv\\Scripts\\python.exe; "
                                "xltools excel setup fills it in. Blank: python on PATH (rarely works).")),
    ("Interpreter_Mac", Text(zh="macOS：python 的完整路径，如 /Users/zhangsan/xltools-venv/bin/python；xltools excel setup 会自动填写。",
                             en="macOS: full path of python, e.g. /Users/me/xltools-venv/bin/python; xltools excel setup fills it in.")),
    ("PYTHONPATH", Text(zh="只在没有用 pip 安装 xltools 时填写：xltools 源码文件夹（含 xltools 子文件夹的那一层）。",
                        en="Only when xltools is not pip-installed: the source folder that holds the xltools package.")),
    ("Conda Path", Text(zh="使用 Anaconda 时填写其安装文件夹，如 C:\\Users\\张三\\anaconda3；否则留空。",
                        en="With Anaconda: its folder, e.g. C:\\Users\\me\\anaconda3; otherwise blank.")),
    ("Conda Env", Text(zh="使用 Anaconda 时填写环境名，如 xltools；否则留空。",
                       en="With Anaconda: the environment's name, e.g. xltools; otherwise blank.")),
]

_WORDS = {
    "label": Text("项目", "Setting"), "value": Text("值", "Value"), "help": Text("说明", "Help"),
    "not_yet": Text("尚未刷新：在“{settings}”工作表填好设置后，按“{button}”。",
                    "Not refreshed yet: fill in '{settings}', then press '{button}'."),
    "settings_note": Text("填好下面的值，然后按右侧的按钮；按钮不工作时先按“检查设置”。按钮调用本机的 Python（xltools），见 docs/excel.md。",
                          "Fill in the values below, then press a button on the right; if one fails, press "
                          "'Check setup'. The buttons run this computer's Python (xltools); see docs/excel.md."),
}
_CONF_NOTES = (
    Text("xlwings 从 A1 往下读取，直到第一个空行：请不要在上面插入标题或空行。",
         "xlwings reads from A1 down to the first empty row: insert no title or empty row above."),
    Text("第一列是 xlwings 的设置名，第二列填值，第三列是说明。", "Column A: xlwings setting, column B: its value, column C: help."),
    Text("嵌入的 xlwings VBA 版本为 {version}：请安装 xlwings=={version}。",
         "The embedded xlwings VBA is version {version}: install xlwings=={version}."),
    Text("用装有 xltools 的 Python 运行 xltools excel setup，它会填好第二列并检查版本。",
         "Run xltools excel setup with the Python that has xltools: it fills in column B and checks the version."),
)


# --- File names ----------------------------------------------------------------------------------------------


def book_file_name(kind: str, lang: str = "zh") -> str:
    return f"{(SUMMARY_BOOK if kind == 'summary' else CONSOLE_BOOK)(lang)}.xlsm"


# --- Building ----------------------------------------------------------------------------------------------


def build_excel_workbooks(out_dir: str | Path, lang: str = "zh") -> list[Path]:
    """Write 销售汇总.xlsm and 合并控制台.xlsm into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [_build(kind, out_dir / book_file_name(kind, lang), lang) for kind in ("summary", "console")]


def _build(kind: str, target: Path, lang: str) -> Path:
    title = (SUMMARY_BOOK if kind == "summary" else CONSOLE_BOOK)
    buttons = [(Text(caption, BUTTON_CAPTIONS_EN[macro])(lang), macro, entry)
               for caption, macro, entry in vba.BUTTONS[title.zh]]
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "book.xlsx"
        xlsx.write_bytes(workbook_bytes(_skeleton(kind, lang, buttons)))
        xlsm = vba.add_vba_and_buttons(xlsx, Path(tmp) / "book.xlsm", buttons, SETTINGS_TITLE(lang), anchor="E4")
        write_atomically(target, xlsm.read_bytes())
    return target


# The button whose results land on a sheet, when it is not the workbook's first button.
FILLED_BY = {"log": "MergeInbox"}


def _skeleton(kind: str, lang: str, buttons: list[tuple[str, str, str]]) -> Workbook:
    """The workbook's sheets, before VBA and buttons."""
    book = Workbook()
    book.remove(book.active)
    _settings_sheet(book, kind, lang)
    sheets = SUMMARY_SHEETS if kind == "summary" else CONSOLE_SHEETS
    captions = {macro: caption for caption, macro, _entry in buttons}
    for key, name in sheets.items():
        _result_sheet(book, key, name(lang), captions[FILLED_BY.get(key, buttons[0][1])], lang)
    _conf_sheet(book, lang)
    _style_sheet(book)
    title = (SUMMARY_BOOK if kind == "summary" else CONSOLE_BOOK)(lang)
    book.properties.title = title
    book.properties.creator = book.properties.lastModifiedBy = "xltools"
    book.properties.created = book.properties.modified = BUILD_TIME
    book.active = 0
    return book


def _settings_sheet(book: Workbook, kind: str, lang: str) -> None:
    ws = book.create_sheet(SETTINGS_TITLE(lang))
    title = (SUMMARY_BOOK if kind == "summary" else CONSOLE_BOOK)(lang)
    _styled(ws.cell(1, 1, f"{title} · {SETTINGS_TITLE(lang)}"), STYLES["heading"])
    _styled(ws.cell(2, 1, _WORDS["settings_note"](lang)), STYLES["note"])
    for col, label in enumerate([_WORDS[k](lang) for k in ("label", "value", "help")], start=1):
        _styled(ws.cell(SETTINGS_FIRST_ROW - 1, col, label), STYLES["header"])
    for row, key in enumerate(BOOK_SETTINGS[kind], start=SETTINGS_FIRST_ROW):
        setting = SETTINGS[key]
        _styled(ws.cell(row, 1, setting.label(lang)), Style(bold=True))
        ws.cell(row, 2).fill = PatternFill("solid", fgColor="FFF2CC")    # where to type
        ws.cell(row, 3, setting.help(lang)).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 32
        if key == "lang":
            choice = DataValidation(type="list", formula1='"zh,en"', allow_blank=True)
            ws.add_data_validation(choice)
            choice.add(ws.cell(row, 2))
    for col, width in enumerate([18, 44, 60, 3, 20], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.sheet_view.showGridLines = False
    _print_landscape(ws)


def _result_sheet(book: Workbook, key: str, name: str, button: str, lang: str) -> None:
    """A sheet the buttons fill: a heading and a note until the first refresh."""
    ws = book.create_sheet(name)
    _styled(ws.cell(1, 1, name), STYLES["heading"])
    _styled(ws.cell(2, 1, _WORDS["not_yet"](lang).format(settings=SETTINGS_TITLE(lang), button=button)),
            STYLES["note"])
    for col, width in enumerate(WIDTHS[key], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.sheet_view.showGridLines = False
    _print_landscape(ws)


def _print_landscape(ws) -> None:
    """A4 landscape, one page wide."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _conf_sheet(book: Workbook, lang: str) -> None:
    ws = book.create_sheet(CONF_SHEET)
    for row, (key, help_text) in enumerate(XLWINGS_CONF, start=1):
        _styled(ws.cell(row, 1, key), Style(bold=True))
        ws.cell(row, 2).fill = PatternFill("solid", fgColor="FFF2CC")
        ws.cell(row, 3, help_text(lang))
    for row, line in enumerate(_CONF_NOTES, start=1):
        _styled(ws.cell(row, 5, line.format(version=_xlwings_version())(lang)), STYLES["note"])
    for col, width in enumerate([18, 50, 80, 3, 70], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _xlwings_version() -> str:
    return vba.xlwings_vba_version(vba.xlwings_modules()["xlwings"])


def _style_sheet(book: Workbook) -> None:
    """One styled cell per style key, for FileBookWriter (see writers/file.py); hidden."""
    ws = book.create_sheet(STYLE_SHEET)
    for row, (key, style) in enumerate(STYLES.items(), start=1):
        ws.cell(row, 1, key)
        _styled(ws.cell(row, 2, 1234.5), style)
    ws.sheet_state = "hidden"


def _styled(cell, style: Style):
    """Give an openpyxl cell the look that LiveBookWriter sets through xlwings."""
    base = cell.font      # the workbook's default font: keep its name and size unless the style sets one
    cell.font = Font(name=base.name, family=base.family, scheme=base.scheme, size=style.size or base.size,
                     bold=style.bold, italic=style.italic, color=style.color and f"FF{style.color}")
    if style.fill:
        cell.fill = PatternFill("solid", fgColor=f"FF{style.fill}")
    if style.number_format:
        cell.number_format = style.number_format
    if style.wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    return cell
