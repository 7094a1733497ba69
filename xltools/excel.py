"""The Python behind the buttons of 销售汇总.xlsm and 合并控制台.xlsm.

Each button runs one macro of xltools/xlsx/macros/xltools_buttons.bas, and each macro is one line,
``RunPython "import xltools.excel as x; x.<entry>()"``. xlwings then starts Python with
``--wb=<workbook name> --from_xl=1`` on the command line, and ``xw.Book.caller()`` finds
the workbook whose button was pressed. The work itself lives in ``xltools.buttons`` and
runs without Excel; here it is only bound to the open workbook.

To debug an entry from Python with the workbook open in Excel::

    import xlwings as xw
    xw.Book("销售汇总.xlsm").set_mock_caller()
    import xltools.excel as x; x.refresh_summary()
"""
from __future__ import annotations

import xlwings as xw

from xltools.buttons.press import merge_inbox_book, press, refresh_summary_book, rollup_only_book, validate_inbox_book
from xltools.buttons.doctor import check_setup_book
from xltools.xlsx.writers.live import LiveBookWriter


def refresh_summary() -> None:
    """Button 刷新汇总 (销售汇总.xlsm): merge the inbox, then refresh the summary sheets."""
    press(LiveBookWriter(xw.Book.caller()), refresh_summary_book)


def rollup_only() -> None:
    """Button 仅刷新汇总 (销售汇总.xlsm): refresh the summary sheets from the store as it is."""
    press(LiveBookWriter(xw.Book.caller()), rollup_only_book)


def validate_inbox() -> None:
    """Button 校验 (合并控制台.xlsm): check the inbox, write annotated copies, list the findings."""
    press(LiveBookWriter(xw.Book.caller()), validate_inbox_book)


def merge_inbox() -> None:
    """Button 合并 (合并控制台.xlsm): merge the inbox into the store and list the run's results."""
    press(LiveBookWriter(xw.Book.caller()), merge_inbox_book)


def check_setup() -> None:
    """Button 检查设置 (both workbooks): list on 设置 what is set up and what is not, with the fixes."""
    press(LiveBookWriter(xw.Book.caller()), check_setup_book)
