"""The Chinese half of ``--help``: each command's and option's Chinese text, shown first, with
the English after it. Kept apart from the commands so their code stays readable; a test checks
that every command and option has its entry here."""
from __future__ import annotations

import inspect

import click

COMMANDS = {
    "": "销售标准流程的 Excel 表单工具（xltools）。销售填写模板；管理员校验、合并所有人的文件；经理看汇总。"
        "第一次使用请读 docs/快速上手.md。",
    "templates": "生成销售填写的空白模板及其说明文档。",
    "templates build": "按表单定义为每张表单各写一个 .xlsx，另加一个包含全部表单的工作簿。",
    "templates docs": "由代码生成参考文档：forms.md（每个字段）和 rules.md（每条规则）。",
    "validate": "按销售流程的每条规则检查销售提交的工作簿（文件或文件夹）。没有错误时退出码为 0（允许警告），有错误时为 1。",
    "merge": "把所有销售的工作簿合并进数据库和合并总表。可以给文件夹，也可以给单个文件。",
    "rollup": "把数据库汇总成经理看的销售汇总：指标、表格和图表。",
    "excel": "带按钮的工作簿：销售汇总.xlsm（经理用）和 合并控制台.xlsm（管理员用）。",
    "excel build": "生成两个 .xlsm 工作簿：工作表、VBA 工程（xlwings 的模块和我们的）以及按钮。",
    "excel setup": "让工作簿的 xlwings.conf 工作表指向本机的 Python，并检查 xlwings 的版本。",
    "doctor": "检查 Excel 按钮所需的一切：Python、xlwings、xltools，以及“设置”工作表里的文件夹和数据库。",
    "handout": "为每位销售写出下一版个人工作簿：数据库里他的全部当前数据行，最新问题在单元格上标出并列在“待修正”工作表。",
    "demo": "用内置的示例数据把整个流程跑一遍：校验、相隔一周合并两次、汇总。",
}

OPTIONS = {
    "--version": "显示版本号后退出。",
    "--debug": "出错时显示完整的错误追踪信息。",
    "--lang": "标签与消息的语言（zh 中文，en 英文）。",
    "--as-of": "按哪一天计算与时间有关的规则（默认今天），格式 YYYY-MM-DD。",
    "--config": "规则设置文件（YAML，见 docs/rules.md）；不给时自动使用库旁的 rules.yaml（如有）。",
    "--format": "输出格式：text 文本，json 供程序读取。",
    "--annotate": "把每个输入文件标好问题的副本（含“校验结果”工作表）写进这个文件夹。",
    "--json": "以 JSON 输出结果。",
    "--for": "检查或写入哪个系统的解释器设置：win 或 mac（默认本机）。",
    "--master": "要写的合并总表（默认：库旁的 master.xlsx）。",
    "--no-master": "只更新数据库，不写合并总表。",
    "--allow-shrink": "收件箱为空，或一次要撤回超过 shrink_limit（默认 50%）的已合并文件时，仍然合并（默认拒绝）。",
    "--prune": "收件箱里已删除的文件，其数据行直接删除，而不是标为撤回。",
    "--since": "与这一天（YYYY-MM-DD）的商机快照比较（默认：截至日期 7 天以前最近的一次，否则最早的一次）。",
    "--into": "填写这个 销售汇总.xlsm 的汇总工作表，保留其中的 VBA 工程和按钮。",
    ("templates build", "--out"): "模板写入的文件夹。",
    ("templates docs", "--out"): "文档写入的文件夹。",
    ("excel build", "--out"): "工作簿写入的文件夹。",
    ("rollup", "--out"): "要写的销售汇总工作簿（默认：库旁的 summary.xlsx；服务器上的库则写在当前文件夹）。",
    ("merge", "--store"): "数据库：SQLite 文件（默认：收件箱文件夹旁的 xltools.db），或服务器上的共享库 postgresql://…",
    ("rollup", "--store"): "由 merge 写出的数据库：SQLite 文件或 postgresql:// 地址（默认：当前文件夹的 xltools.db）。",
    ("demo", "--store"): "合并进哪个数据库（默认：FOLDER 里的 xltools.db）。",
    "--rep": "为这位销售写个人工作簿（可给多次）。",
    "--reps-from": "为这个数据库里的每位销售写个人工作簿。",
    ("templates build", "--store"): "数据库：个人工作簿的“客户信息”预先填入该销售当前的客户，同事姓名取自指标。",
    ("handout", "--store"): "由 merge 写出的数据库：SQLite 文件或 postgresql:// 地址。",
    ("handout", "--out"): "发回给销售的工作簿写入的文件夹。",
    ("merge", "--targets"): "销售指标工作簿（或其所在文件夹），与收件箱一起合并。",
}


def chinese_help(command: str, option: str) -> str | None:
    return OPTIONS.get((command, option)) or OPTIONS.get(option)


def add_chinese_help(group: click.Group, path: str = "") -> None:
    """Put the Chinese text first in the help of ``group``, its commands and their options."""
    for name, command in [(path, group), *((f"{path} {n}".strip(), c) for n, c in group.commands.items())]:
        if isinstance(command, click.Group) and command is not group:
            add_chinese_help(command, name)
            continue
        if name in COMMANDS and command.help and not command.help.startswith(COMMANDS[name]):
            command.help = f"{COMMANDS[name]}\n\n{inspect.cleandoc(command.help)}"
        for param in command.params:
            zh = chinese_help(name, param.opts[0]) if isinstance(param, click.Option) else None
            if zh and not (param.help or "").startswith(zh):
                param.help = f"{zh} / {param.help}" if param.help else zh
