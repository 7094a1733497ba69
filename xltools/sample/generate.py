"""Sample rep workbooks: realistic, deterministic, and as untidy as the real ones.

``generate_inbox(folder, spec)`` writes one workbook per rep into region sub-folders of
``folder`` (the inbox), e.g. ``inbox/华南区/张伟.xlsx``, each holding every rep form as a
sheet with the schema's Chinese sheet names and headers. Every customer follows the
standard process to some stage -- identified, contacted, qualified, developed,
committed, won (signed, or delivered and paid) or lost -- and leaves the rows that stage
leaves in each form: a needs meeting with its decision chain, the six-module solution
checklist, objections, price rounds, the contract's approval chain, visits at the
cadence of the customer's grade and one opportunity in the pipeline. The admin's
targets workbook is written beside the inbox (``folder.parent / "销售指标.xlsx"``).

What reps really send is mimicked on purpose (see ``_QUIRKS``): a merged title row, a
different column order, an extra 备注 column, dates and amounts typed as text,
full-width digits, grade and stage spelled loosely, a blank row, short customer names.
All of it is valid: a clean sample (``mistakes=False``) validates without errors or
warnings. With ``mistakes=True`` a handful of typical mistakes is planted, each listed
in ``SampleInfo.planted`` with its file, sheet, cell and finding code.

Determinism: only ``random.Random`` seeded from ``spec.seed`` is used, never the clock;
workbooks are written by xlsxwriter with a fixed creation date, so the same spec gives
byte-identical files. Benchmark mode (``rows_per_sheet``) writes with xlsxwriter's
constant_memory and one process per core; each rep draws from its own seeded stream,
so the result does not depend on the number of processes.

``advance_week`` then plays a week of work on the files in place, the way reps would.
"""
from __future__ import annotations

import os
import random
import re
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import xlsxwriter
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from xltools.forms.config import Config, rebate_rate
from xltools.forms.model import customer_key
from xltools.ingest.reader import WorkbookRead, read_workbook
from xltools.forms.schema import load_schema
from xltools.forms.values import add_workdays

Row = dict[str, Any]
TARGETS_NAME = "销售指标.xlsx"
BROKEN_NAME = "损坏文件.xlsx"
EXTRA_HEADER = "备注"
DATE_FORMAT = "yyyy-mm-dd"
END_MARGIN = 5           # the last event of a story lies this many days before as_of
FORMULA_TEXT = '=HYPERLINK("http://crm.example.com/feedback/1024","查看客户反馈截图")'

# Names ---------------------------------------------------------------------------------------
REP_NAMES = ("张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷",
             "徐强", "孙丽", "马超", "朱琳", "胡斌", "郭鹏", "何雪", "林峰", "罗娟", "高飞")
REGIONS = ("华南区", "华东区", "华北区", "西南区", "华中区", "西北区", "东北区")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
GIVEN_NAMES = ("明", "强", "静", "磊", "敏", "军", "勇", "杰", "娟", "涛", "超", "霞", "平", "刚", "建华",
               "晓东", "丽华", "志强", "海燕", "春梅", "建军", "文博", "思远", "雨欣", "子轩", "浩然",
               "佳怡", "俊杰", "欣怡", "国栋", "秀英", "玉兰", "志伟", "明辉", "晓燕", "红梅")
# (city prefix of the full name, area code of its landlines)
CITIES = (("深圳市", "0755"), ("广州市", "020"), ("上海", "021"), ("北京", "010"), ("杭州市", "0571"),
          ("南京市", "025"), ("成都市", "028"), ("武汉市", "027"), ("苏州市", "0512"), ("东莞市", "0769"),
          ("佛山市", "0757"), ("厦门市", "0592"), ("长沙市", "0731"), ("西安市", "029"))
# Company cores are two characters, 华络 or 恒通; none is a province or ends a place name.
CORE_FIRST = "华恒瑞鼎博天中新金宏安嘉永联卓云智润银星海信凯泰兴浩正德晨飞通远明启盈汇"
CORE_SECOND = "络通丰盛远成科锐桥达泰禾信创越帆泽辰纳和业宇航拓源峰恒利华睿尚"
INDUSTRY_WORDS = {"通信": "信息技术", "科技": "信息技术", "软件": "信息技术", "信息": "信息技术",
                  "制造": "制造业", "机械": "制造业", "电子": "制造业", "物流": "服务业", "咨询": "服务业",
                  "商贸": "零售", "医疗": "医疗", "医药": "医疗", "教育": "教育", "能源": "能源",
                  "电力": "能源", "投资": "金融", "水务": "政府及公共事业", "环保": "其他"}
COMPANY_FORMS = ("有限公司",) * 6 + ("股份有限公司",) * 2 + ("集团有限公司",)
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "186", "187",
                   "188", "189", "177", "199", "133", "153", "180", "181")
MAIL_USERS = ("wangming", "lijing", "zhanglei", "chenjie", "liuyang", "zhaomin", "sunli", "zhouqiang")
MAIL_DOMAINS = ("163.com", "qq.com", "126.com", "sina.com")

# Texts reps write ----------------------------------------------------------------------------
CONTACT_TITLES = ("总经理", "副总经理", "采购总监", "IT经理", "信息中心主任", "运营总监", "财务总监")
# Decision chain: the decision maker first, then who else usually sits at the table.
CHAIN_PEOPLE = (("采购总监", "采购"), ("IT经理", "技术把关"), ("运营总监", "使用"), ("财务总监", "影响"),
                ("副总经理", "影响"), ("信息中心主任", "技术把关"), ("业务主管", "使用"))
PAIN_POINTS = (("客户信息分散在个人电脑，跟进不及时", "统一客户数据库", "管理层希望看到销售漏斗"),
               ("报价审批慢，平均需要一周", "线上审批流程", "希望减少对个人经验的依赖"),
               ("库存数据不准，经常缺货", "实时库存看板", "希望降低资金占用"),
               ("多个系统数据不通，重复录入", "与ERP对接", "为明年上市做合规准备"),
               ("售后响应慢，客户投诉多", "工单系统", "希望提升客户满意度排名"),
               ("月底对账靠手工，容易出错", "自动对账", "希望财务人员转向分析工作"),
               ("设备故障停机频繁，维护靠经验", "设备预测性维护", "希望降低维护人力"))
INITIAL_NEEDS = ("需要提升客户管理效率", "希望实现移动办公", "想了解数字化转型方案", "现有系统到期需要替换",
                 "需要降低运营成本", "需要提升数据安全")
SOURCES = ("行业展会", "企业信息平台", "客户转介绍", "线上推广", "电话开发", "其他")
PROJECTS = ("CRM系统", "数据中台", "ERP升级", "智能仓储", "视频会议系统", "网络安全加固", "供应链协同平台",
            "设备物联网平台", "财务共享中心", "客服工单系统")
CATEGORIES = ("软件", "硬件", "服务", "集成")
TERMS = ("1年", "2年", "3年")
MODULE_CONTENT = {"客户痛点分析": "结合调研结果列出三大痛点", "解决方案概述": "整体架构与实施范围",
                  "核心功能详情": "逐项对应客户需求的功能说明", "价值量化": "测算效率提升与成本节约",
                  "实施计划": "分阶段里程碑与人员安排", "成功案例": "两家同行业客户案例"}
# (category, objection, the customer's ask, our response, feedback once resolved)
OBJECTIONS = (("价格", "报价高于预算", "希望价格降到{ask}万", "说明价值，提供分期付款", "客户接受分期方案"),
              ("实施周期", "上线周期太长", "希望3个月内上线", "分期上线，先上核心模块", "客户认可分期上线"),
              ("功能", "缺少移动端审批", "需要手机上能审批", "先用微信小程序过渡，下版本提供", "客户同意过渡方案"),
              ("竞争对手", "竞品报价更低", "希望对标竞品价格", "对比总体拥有成本与服务", "客户认可我方服务优势"),
              ("服务", "担心售后响应慢", "要求4小时响应", "承诺本地团队驻场支持", "客户接受服务承诺"),
              ("其他", "需要集团总部审批", "等待集团决策", "协助准备集团汇报材料", "总部已同意立项"))
OPEN_FEEDBACK = ("客户还在内部讨论", "等待客户回复", "客户要求补充材料")
PLACES = ("客户会议室", "线上会议", "我司会议室", "客户总部")
PAYMENT_TERMS = ("签约30%，上线40%，验收30%", "3期付款", "首付50%，验收后付清")
CONTRACT_KINDS = ("软件服务合同", "产品销售合同", "工程实施合同", "框架协议")
APPROVAL_COMMENTS = ("同意", "同意，注意回款节点", "条款已审核，同意", "同意，按标准流程执行")
CHANNELS = ("电话回访", "上门拜访", "视频会议", "微信", "邮件")
VISIT_FEEDBACK = ("对方案整体认可", "项目推进顺利", "关注价格和付款方式", "希望加快培训", "系统运行稳定，希望增加报表",
                  "对实施团队满意", "使用中遇到导出问题，已现场解决")
NEW_NEEDS = (None, None, "增加移动端报表", "对接OA系统", "增加用户数")
NEXT_ACTIONS = ("提交报表方案", "安排培训", "发送报价单", "约总经理面谈", "准备技术交流", "跟进付款进度", "整理需求清单")
WIN_REASONS = ("方案贴合需求，服务响应快", "老客户转介绍，信任度高", "实施周期短于竞品")
LOSS_REASONS = ("价格高于竞品", "客户预算冻结", "客户选择了现有供应商", "项目被总部叫停")
REMARKS = ("重点客户", "老板亲自跟进", "需要售前支持", "预算已批")

# The process -------------------------------------------------------------------------------
# How far each kind of customer got, in the order small samples take them.
ARCHETYPES = ("won_large", "committed", "qualified", "won_small", "developed", "contacted", "lost",
              "identified")
_UP_TO_PRESENTED = ("needs", "solution", "solution_done", "presented")
PHASES = {
    "identified": (),
    "contacted": ("needs",),
    "qualified": _UP_TO_PRESENTED,
    "developed": _UP_TO_PRESENTED + ("resolved", "nego1"),
    "lost3": _UP_TO_PRESENTED + ("resolved", "lost"),
    "lost4": _UP_TO_PRESENTED + ("resolved", "nego1", "lost"),
    "committed": _UP_TO_PRESENTED + ("resolved", "nego1", "nego2", "submitted", "manager"),
    "won_small": _UP_TO_PRESENTED + ("resolved", "nego1", "nego2", "submitted", "manager", "legal", "gm"),
    "won_large": _UP_TO_PRESENTED + ("resolved", "nego1", "nego2", "submitted", "manager", "legal", "gm",
                                     "delivered"),
}
# Days from the previous phase to this one.
GAPS = {"needs": (3, 10), "solution": (3, 7), "solution_done": (3, 12), "presented": (1, 5),
        "resolved": (2, 8), "nego1": (3, 10), "nego2": (4, 10), "submitted": (1, 4), "manager": (1, 2),
        "legal": (1, 3), "gm": (1, 3), "delivered": (7, 25), "lost": (3, 10)}
# Days between visits by grade; the longest plus a weekend stays inside Config.visit_interval_days.
CADENCE = {"A类": (14, 27), "B类": (30, 80), "C类": (60, 150)}
# The forecast a rep gives an open deal at each stage number.
FORECAST_OF_STAGE = {1: "管道", 2: "管道", 3: "争取", 4: "争取", 5: "承诺"}   # 承诺 from stage 5 on (stage-gate-commit)
GRADES = {"won_large": "A类", "won_small": "A类", "committed": "A类", "developed": "A类",
          "qualified": "B类", "contacted": "B类", "identified": "C类", "lost": "C类"}


# The API -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SampleSpec:
    """What to generate; the same spec always gives the same files."""
    reps: int = 4
    customers_per_rep: int = 8
    months: int = 4
    seed: int = 7
    start: date = date(2024, 1, 1)
    """First month of activity; as_of is start + months."""
    mistakes: bool = True
    """Plant a handful of typical mistakes (listed in SampleInfo.planted)."""
    broken_file: bool = True
    """Add a CSV saved as .xlsx and an Excel owner file ~$name.xlsx."""
    rows_per_sheet: int | None = None
    """Benchmark mode: about this many rows in every form sheet (customers_per_rep is ignored)."""

    @property
    def as_of(self) -> date:
        return _add_months(self.start, self.months)

    @property
    def month_starts(self) -> list[date]:
        """The months of activity plus the as_of month (its targets are already set)."""
        return [_add_months(self.start, i) for i in range(self.months + 1)]


@dataclass
class SampleInfo:
    """What was generated, and where the planted mistakes are."""
    reps: list[str]
    files: list[Path]
    """The reps' workbooks, in the order of ``reps``."""
    targets: Path | None
    as_of: date
    planted: list[dict]
    """One dict per planted mistake: file, sheet, cell, code, field, value."""
    broken: list[Path] = field(default_factory=list)
    """Files that are not rep workbooks: the CSV in disguise and the owner file."""


def generate_inbox(folder: Path, spec: SampleSpec = SampleSpec()) -> SampleInfo:
    """Write a sample inbox into ``folder`` and the targets workbook beside it.

    Existing files of the same names are overwritten; nothing else is removed.
    """
    if spec.reps < 1 or spec.months < 1:
        raise ValueError("a sample needs at least one rep and one month")
    folder = Path(folder)
    plans = _plan(spec, folder)
    planted = [mark for marks in _run_jobs(spec, plans) for mark in marks]
    for order, plan in enumerate(plans):
        _sent(plan.path, spec.as_of, order)
    reps = [p.name for p in plans]
    targets = write_targets(folder.parent / TARGETS_NAME, reps, spec.month_starts, spec.seed)
    broken = _write_broken(folder, plans[0]) if spec.broken_file else []
    return SampleInfo(reps, [p.path for p in plans], targets, spec.as_of, planted, broken)


MARGIN_SHARE = 0.3      # a margin target of 30% of the sales target


def write_targets(path: Path, reps: list[str], months: list[date], seed: int) -> Path:
    """The admin's 销售指标 workbook: one row per rep and month, the month as text like 2024-03."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{seed}:targets")
    spec = load_schema().sheets["targets"]
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": _fixed_moment(months[0] if months else date(2024, 1, 1)),
                         "title": spec.name.zh})
    sheet = book.add_worksheet(spec.name.zh)
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    for col, fld in enumerate(spec.fields):
        sheet.write_string(0, col, fld.label.zh, header)
        sheet.set_column(col, col, 16)
    row = 0
    for rep in reps:
        base = rng.randrange(30, 85, 5)             # a rep's quota moves a little month to month
        for month in months:
            row += 1
            sheet.write_string(row, 0, rep)
            sheet.write_string(row, 1, f"{month:%Y-%m}")
            quota = base + rng.choice((-5, 0, 0, 5, 10))
            sheet.write_number(row, 2, quota)
            sheet.write_number(row, 3, rng.randint(2, 5))
            sheet.write_number(row, 4, rng.randint(15, 25))
            sheet.write_number(row, 5, _half(quota * MARGIN_SHARE))
    book.close()
    return path


# Dates -------------------------------------------------------------------------------------
def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, min(day.day, 28))


def _workday(day: date) -> date:
    """The day itself, or the Monday after a weekend: reps meet customers on working days."""
    return day + timedelta(days=(7 - day.weekday()) if day.weekday() >= 5 else 0)


def _next_workday(day: date) -> date:
    return _workday(day + timedelta(days=1))


def _workdays_between(first: date, end: date) -> int:
    """Working days from ``first`` up to, not including, ``end``."""
    return sum((first + timedelta(days=i)).weekday() < 5 for i in range(max(0, (end - first).days)))


def _sent(path: Path, as_of: date, order: int) -> None:
    """The file's modification time: sent the day before as_of (in time for a Sunday deadline when as_of is a
    Monday), one minute apart in the reps' order, never the clock's, so submissions read alike on every run."""
    moment = datetime.combine(as_of - timedelta(days=1), datetime.min.time()) + timedelta(hours=10, minutes=order)
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def _fixed_moment(day: date) -> datetime:
    """The workbooks' creation stamp: from the spec, never the clock, so files are reproducible."""
    return datetime(day.year, day.month, day.day, 9, 0, 0)


def _half(value: float) -> float:
    """Round down to half a 万元: prices are quoted like 22 or 22.5."""
    return max(0.5, int(value * 2) / 2)


# Planning the inbox ------------------------------------------------------------------------
@dataclass
class _RepPlan:
    """What a worker needs to build one rep's workbook."""
    index: int                                   # 0-based, the order of SampleInfo.reps
    name: str
    region: str
    path: Path
    customers: list[tuple[str, str, str, str]]   # (full name, short name, industry, area code)
    quirks: tuple[str, ...] = ()
    mistakes: tuple[str, ...] = ()
    claim: str | None = None                     # another rep's customer this rep claims too (撞单)


def _plan(spec: SampleSpec, folder: Path) -> list[_RepPlan]:
    """Names, regions, customers, quirks and mistakes of every rep, decided before any rep is built."""
    rng = random.Random(f"{spec.seed}:plan")
    names = _rep_names(rng, spec.reps)
    count = spec.rows_per_sheet or spec.customers_per_rep
    companies = _companies(rng, spec.reps * count)
    plans = []
    for i, name in enumerate(names):
        region = REGIONS[i % len(REGIONS)]
        plans.append(_RepPlan(i, name, region, folder / region / f"{name}.xlsx",
                              companies[i * count:(i + 1) * count]))
    for quirk, slot in _QUIRK_SLOTS:
        plans[slot % spec.reps].quirks += (quirk,)
    if spec.mistakes:
        for i, code in enumerate(_MISTAKE_ORDER):
            plans[i % spec.reps].mistakes += (code,)
        _plan_claim(rng, plans)
    return plans


def _plan_claim(rng: random.Random, plans: list[_RepPlan]) -> None:
    """A rep later in the inbox's walk order claims a customer of an earlier one.

    Validation keeps the first claim by row order, so the planted finding lands on the
    later file's row.
    """
    walk = sorted(plans, key=lambda p: p.path.parts)
    if len(walk) < 2 or not walk[0].customers:
        return
    first, second = walk[0], walk[1]
    second.claim = rng.choice(first.customers)[1]
    second.mistakes += ("duplicate-claim",)


def _rep_names(rng: random.Random, count: int) -> list[str]:
    names = list(REP_NAMES[:count])
    taken = set(names)
    while len(names) < count:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def _companies(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """Distinct customers: no two share a matching key, so nobody claims another's by accident."""
    seen: set[str] = set()
    out = []
    while len(out) < count:
        core = rng.choice(CORE_FIRST) + rng.choice(CORE_SECOND)
        word = rng.choice(list(INDUSTRY_WORDS))
        short = core + word
        if short in seen:
            short = core + rng.choice(CORE_SECOND) + word      # a third character when the pair is taken
        city, area = rng.choice(CITIES)
        full = city + short + rng.choice(COMPANY_FORMS)
        if short in seen or not customer_key(full) == customer_key(short) == short:
            continue
        seen.add(short)
        out.append((full, short, INDUSTRY_WORDS[word], area))
    return out


def _run_jobs(spec: SampleSpec, plans: list[_RepPlan]) -> list[list[dict]]:
    """Build and write every rep's workbook; in benchmark mode on every core."""
    jobs = [(spec, plan) for plan in plans]
    workers = min(os.cpu_count() or 1, len(plans))
    if spec.rows_per_sheet is None or workers < 2 or len(plans) < 4:
        return [_make_workbook(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_make_workbook, jobs, chunksize=max(1, len(jobs) // (workers * 4))))


def _make_workbook(job: tuple[SampleSpec, _RepPlan]) -> list[dict]:
    """Build one rep's rows, make them untidy, plant mistakes, write; return the planted list."""
    spec, plan = job
    book = _build_book(spec, plan)
    for quirk in plan.quirks:
        _QUIRKS[quirk](book)
    marks = [mark for code in plan.mistakes for mark in _MISTAKES[code](book)]
    places = _write_book(plan.path, book, constant_memory=spec.rows_per_sheet is not None)
    return [_placed(mark, plan.path, places) for mark in marks]


# One customer's story ----------------------------------------------------------------------
@dataclass
class _Story:
    no: int
    name: str
    short: str
    industry: str
    area: str
    arc: str                       # an ARCHETYPES entry
    stage: int
    forecast: str
    grade: str
    amount: float                  # the price finally agreed (万元)
    quote: float
    floor: float
    ask: float
    dates: dict[str, date]
    visits: list[tuple[date, date]]    # (visit date, next visit)
    next_follow_up: date
    contact: str
    title: str
    phone: str
    project: str
    expected_close: date
    rows: dict[str, list[Row]] = field(default_factory=dict)   # the rows kept in each sheet

    @property
    def open(self) -> bool:
        return self.forecast not in ("已成交", "丢单")


@dataclass
class _Table:
    key: str
    rows: list[Row | None] = field(default_factory=list)      # None: a blank row left in the data
    order: list[str] | None = None                            # column order; None: the schema's
    title: str | None = None                                  # a merged title row above the headers
    extra: bool = False                                       # an extra 备注 column at the end

    def columns(self) -> list[str]:
        keys = self.order or [f.key for f in load_schema().sheets[self.key].fields]
        return keys + [EXTRA_HEADER] if self.extra else keys

    def data(self) -> list[Row]:
        return [r for r in self.rows if r is not None]


@dataclass
class _Book:
    spec: SampleSpec
    plan: _RepPlan
    rng: random.Random
    as_of: date
    tables: dict[str, _Table]
    stories: list[_Story] = field(default_factory=list)
    touched: set[tuple[int, str]] = field(default_factory=set)   # cells a quirk changed
    contracts: int = 0

    @cached_property
    def room(self) -> int:
        """Working days from the start in which every story's events fit (the last before as_of)."""
        return _workdays_between(_workday(self.spec.start), self.as_of - timedelta(days=END_MARGIN)) - 1

    def touch(self, row: Row, key: str) -> None:
        self.touched.add((id(row), key))

    def free(self, row: Row, key: str) -> bool:
        return (id(row), key) not in self.touched

    def id_width(self) -> int:
        return max(3, len(str(len(self.plan.customers) * 3)))


def _rep_sheets() -> list[str]:
    schema = load_schema()
    return [s.key for f in schema.forms if not f.admin for s in f.sheets]


def _stage_values() -> list[str]:
    return load_schema().sheets["pipeline"].field("stage").choice_values()


def _build_book(spec: SampleSpec, plan: _RepPlan) -> _Book:
    rng = random.Random(f"{spec.seed}:rep:{plan.index}")
    book = _Book(spec, plan, rng, spec.as_of, {key: _Table(key) for key in _rep_sheets()})
    arcs = _archetypes(rng, len(plan.customers))
    book.stories = [_story(book, no, company, arc)
                    for no, (company, arc) in enumerate(zip(plan.customers, arcs), start=1)]
    cap = spec.rows_per_sheet
    full: set[str] = set()
    for story in book.stories:
        for key in book.tables:
            if key not in full:
                _add_group(book, key, story, _BUILDERS[key](book, story), cap, full)
    if cap:
        _pad(book, cap, full)
        _drop_unvisited_deliveries(book)
        _hold_back_ungated(book)
    return book


def _add_group(book: _Book, key: str, story: _Story, rows: list[Row], cap: int | None,
               full: set[str]) -> bool:
    """Keep a customer's rows of one sheet whole; a sheet that would overflow takes no more."""
    if not rows:
        return False
    table = book.tables[key]
    if cap is not None and len(table.rows) + len(rows) > cap:
        full.add(key)
        return False
    table.rows.extend(rows)
    story.rows.setdefault(key, []).extend(rows)
    return True


def _pad(book: _Book, cap: int, full: set[str]) -> None:
    """Benchmark mode: top up sheets that only some customers fill, with more of the same work."""
    for key, extra in _EXTRA.items():
        round_no = 0
        while key not in full and round_no < 20:
            round_no += 1
            added = False
            for story in book.stories:
                if key in full:
                    break
                added |= _add_group(book, key, story, extra(book, story, round_no) or [], cap, full)
            if not added:
                break


def _drop_unvisited_deliveries(book: _Book) -> None:
    """A delivery whose follow-up visit did not fit into a capped sheet is left undelivered."""
    for story in book.stories:
        if "visits" not in story.rows:
            for row in story.rows.get("pipeline", ()):
                row["delivered"] = None


def _hold_back_ungated(book: _Book) -> None:
    """An open deal whose decision chain, needs analysis or proposal did not fit into a capped sheet stays
    before the stage gate that needs it (stage-gate-*)."""
    gates = Config().stage_gates
    stages = _stage_values()
    for story in book.stories:
        missing = [gates[g] for g, key in (("decision-chain", "decision_chain"), ("budget", "needs"),
                                          ("solution", "solution")) if key not in story.rows]
        for row in story.rows.get("pipeline", ()):
            if missing and row["forecast"] not in ("已成交", "丢单") and stages.index(row["stage"]) + 1 >= min(missing):
                stage = min(missing) - 1
                row.update(stage=stages[stage - 1], win_probability=_stage_probability(stages[stage - 1]),
                           forecast=FORECAST_OF_STAGE[stage])


def _archetypes(rng: random.Random, count: int) -> list[str]:
    """Every kind of customer once per eight; small samples get the most telling kinds first."""
    arcs = [ARCHETYPES[i % len(ARCHETYPES)] for i in range(count)]
    rng.shuffle(arcs)
    return arcs


def _story(book: _Book, no: int, company: tuple[str, str, str, str], arc: str) -> _Story:
    rng, as_of = book.rng, book.as_of
    name, short, industry, area = company
    amount = _half(rng.uniform(20, 120) if arc == "won_large" else
                   rng.uniform(5, 19.5) if arc == "won_small" else rng.uniform(5, 150))
    path_name = arc if arc != "lost" else rng.choice(("lost3", "lost4"))
    dates = _timeline(rng, PHASES[path_name], book.spec.start, book.room)
    stage, forecast = _stage_of(rng, arc, path_name)
    grade = GRADES[arc]
    delivered_visit = _next_workday(dates["delivered"]) if "delivered" in dates else None
    visits, planned = _visit_dates(rng, dates["created"], grade, as_of, delivered_visit)
    surname = rng.choice(SURNAMES)
    return _Story(
        no=no, name=name, short=short, industry=industry, area=area, arc=arc, stage=stage,
        forecast=forecast, grade=grade, amount=amount,
        quote=_half(amount * rng.uniform(1.08, 1.3)), floor=_half(amount * rng.uniform(0.85, 1.0)),
        ask=_half(amount * rng.uniform(0.75, 0.95)), dates=dates, visits=visits,
        next_follow_up=planned or _workday(as_of + timedelta(days=rng.randint(3, 20))),
        contact=surname + rng.choice(GIVEN_NAMES), title=rng.choice(CONTACT_TITLES),
        phone=_phone(rng, area), project=short + rng.choice(PROJECTS) + "项目",
        expected_close=_expected_close(rng, arc, dates, as_of))


def _timeline(rng: random.Random, phases: tuple[str, ...], start: date, room: int) -> dict[str, date]:
    """The date of each phase a customer went through: distinct working days, all before as_of.

    Gaps are counted in working days so that weekends never make two phases fall on one
    day; ``room`` is the number of working days available from ``start``.
    """
    gaps = [max(1, round(rng.randint(*GAPS[p]) * 5 / 7)) for p in phases]
    total = sum(gaps)
    if total > room:            # a short sample: squeeze the phases, keeping each at least a day
        n = len(gaps)
        gaps = [1 + (g - 1) * max(0, room - n) // max(1, total - n) for g in gaps]
        total = sum(gaps)
    day = add_workdays(_workday(start), rng.randint(0, max(0, room - total)))
    dates = {"created": day}
    for phase, gap in zip(phases, gaps):
        day = add_workdays(day, gap)
        dates[phase] = day
    return dates


def _stage_of(rng: random.Random, arc: str, path_name: str) -> tuple[int, str]:
    if arc == "lost":
        return (3 if path_name == "lost3" else 4), "丢单"
    return {"identified": (1, "管道"), "contacted": (2, "管道"), "qualified": (3, "争取"),
            "developed": (4, "争取"), "committed": (5, "承诺"),
            "won_small": (5, "已成交"), "won_large": (6, "已成交")}[arc]


def _expected_close(rng: random.Random, arc: str, dates: dict[str, date], as_of: date) -> date:
    """Closed deals closed when they did; open ones spread over the coming quarter."""
    if arc == "lost":
        return dates["lost"]
    if arc.startswith("won"):
        return dates["gm"]
    if arc == "committed":
        return _workday(as_of + timedelta(days=rng.randint(5, 30)))
    return _workday(as_of + timedelta(days=rng.randint(7, 90)))


def _visit_dates(rng: random.Random, created: date, grade: str, as_of: date,
                 extra: date | None) -> tuple[list[tuple[date, date]], date | None]:
    """Visits at the grade's cadence from first contact to as_of, plus the delivery follow-up.

    Each visit's 下次回访时间 is the next visit; the last one plans a visit on or after
    as_of, within the grade's allowed gap.
    """
    low, high = CADENCE[grade]
    day = _workday(created + timedelta(days=rng.randint(1, 6)))
    dates = []
    while day < as_of:
        dates.append(day)
        day = _workday(day + timedelta(days=rng.randint(low, high)))
    if not dates:
        return [], None
    if extra and extra < as_of and extra not in dates:
        dates = sorted(dates + [extra])
    return list(zip(dates, dates[1:] + [day])), day


def _phone(rng: random.Random, area: str) -> str:
    """Mostly mobiles; some landlines with the city's area code, some e-mail addresses."""
    kind = rng.random()
    if kind < 0.12:
        digits = 8 if len(area) == 3 else rng.choice((7, 8))
        return f"{area}-{rng.randint(2, 8)}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
    if kind < 0.2:
        return f"{rng.choice(MAIL_USERS)}{rng.randint(1, 99)}@{rng.choice(MAIL_DOMAINS)}"
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"


# Rows of each form -------------------------------------------------------------------------
def _customer_rows(book: _Book, st: _Story) -> list[Row]:
    rng = book.rng
    employees = rng.choice((60, 120, 200, 350, 500, 800, 1200, 2000, 5000))
    revenue = round(employees * rng.randint(20, 80), -2)
    won = st.arc.startswith("won")
    return [{
        "customer": st.name, "industry": st.industry, "employees": employees, "revenue": revenue,
        "contact": st.contact, "title": st.title, "phone": st.phone,
        "initial_need": rng.choice(INITIAL_NEEDS), "source": rng.choice(SOURCES), "owner": book.plan.name,
        "grade": st.grade, "next_follow_up": st.next_follow_up,
        "account_type": "R 保持型" if won else "D 发展型" if st.stage >= 4 and st.open else "A 开拓型",
        "buying_power": round(revenue * rng.uniform(0.005, 0.02), -1) or 10,
        "share_of_wallet": rng.randrange(20, 65, 5) if won else rng.randrange(0, 20, 5),
    }]


def _needs_rows(book: _Book, st: _Story, day: date | None = None) -> list[Row]:
    day = day or st.dates.get("needs")
    if day is None:
        return []
    rng = book.rng
    pain, explicit, implicit = rng.choice(PAIN_POINTS)
    low = max(1, int(st.amount * 0.8))
    return [{
        "customer": st.name, "date": day,
        "participants": f"客户{st.title}{st.contact}等；我方{book.plan.name}、售前工程师",
        "pain_points": pain, "explicit_needs": explicit, "implicit_needs": implicit,
        "budget": f"{low}-{low + max(2, int(st.amount * 0.4))}", "expected_term": rng.choice(TERMS),
        # The confirmation goes out the next working day; a Friday meeting gets it the same day.
        "confirmation_sent": day + timedelta(days=1) if day.weekday() < 4 else day,
    }]


def _decision_chain_rows(book: _Book, st: _Story) -> list[Row]:
    day = st.dates.get("needs")
    if day is None:
        return []
    rng = book.rng
    people = rng.sample(CHAIN_PEOPLE, rng.randint(1, 3))
    weights = _split_weights(rng, len(people))
    boss = rng.choice(SURNAMES)
    rows = [{"customer": st.name, "date": day, "person": f"{boss}总 总经理", "role": "决策",
             "weight": weights[0]}]
    surnames = rng.sample(SURNAMES.replace(boss, ""), len(people))
    for (title, role), weight, surname in zip(people, weights[1:], surnames):
        rows.append({"customer": st.name, "date": day, "person": f"{surname}{rng.choice(GIVEN_NAMES)} {title}",
                     "role": role, "weight": weight})
    return rows


def _split_weights(rng: random.Random, others: int) -> list[int]:
    """The decision maker's weight first and the largest, the rest in steps of 5; together exactly 100."""
    first = rng.choice({1: (60, 70), 2: (50, 60), 3: (40, 50)}[others])
    parts = [5] * others
    for _ in range((100 - first) // 5 - others):
        room = [i for i, part in enumerate(parts) if part + 5 < first]
        parts[rng.choice(room)] += 5
    return [first] + parts


def _solution_rows(book: _Book, st: _Story) -> list[Row]:
    if "solution" not in st.dates:
        return []
    rng = book.rng
    modules = load_schema().sheets["solution"].field("module").choice_values()
    begin, end = st.dates["solution"], st.dates["solution_done"]
    span = max(0, (end - begin).days)
    done_dates = sorted(_workday(begin + timedelta(days=rng.randint(0, span))) for _ in modules)
    # A qualified customer's proposal is still being written.
    done_count = rng.randint(2, 5) if st.arc == "qualified" else len(modules)
    rows = []
    for i, (module, done_on) in enumerate(zip(modules, done_dates)):
        done = i < done_count
        rows.append({"customer": st.name, "module": module, "content": MODULE_CONTENT.get(module),
                     "done": "是" if done else "否",
                     "owner": book.plan.name if module not in ("核心功能详情", "实施计划") else "售前-赵工",
                     "done_date": done_on if done else None})
    return rows


def _objection_rows(book: _Book, st: _Story) -> list[Row]:
    if "presented" not in st.dates:
        return []
    rng = book.rng
    raised = st.dates["presented"]
    picks = rng.sample(OBJECTIONS, rng.randint(1, 2) if st.arc == "qualified" else rng.randint(1, 3))
    rows = []
    for i, objection in enumerate(picks):
        # A qualified customer's first objection is still open, due after as_of.
        still_open = st.arc == "qualified" and i == 0
        due = (_workday(book.as_of + timedelta(days=rng.randint(3, 20))) if still_open else
               st.dates.get("resolved") or min(raised + timedelta(days=rng.randint(2, 5)),
                                               book.as_of - timedelta(days=1)))
        rows.append(_objection_row(book, st, objection, raised, due, still_open))
    return rows


def _objection_row(book: _Book, st: _Story, objection: tuple, raised: date, due: date,
                   still_open: bool) -> Row:
    category, text, ask, response, feedback = objection
    return {"customer": st.name, "raised": raised, "category": category, "objection": text,
            "customer_ask": ask.format(ask=f"{st.ask:g}"), "response": response, "owner": book.plan.name,
            "resolve_by": due, "feedback": book.rng.choice(OPEN_FEEDBACK) if still_open else feedback,
            "status": "未解决" if still_open else "已解决"}


def _negotiation_rows(book: _Book, st: _Story) -> list[Row]:
    if "nego1" not in st.dates:
        return []
    rng = book.rng
    our_people = f"{book.plan.name}、销售经理"
    their_people = f"{st.contact}{st.title}、采购负责人"
    base = {"customer": st.name, "their_people": their_people, "our_people": our_people}
    rows = [{**base, "date": st.dates["nego1"], "place": rng.choice(PLACES), "clause": "价格",
             "their_position": f"希望{st.ask:g}万", "our_position": f"报价{st.quote:g}万",
             "floor": f"{st.floor:g}", "agreed": "初步接受报价，待客户内部审批", "agreed_amount": None,
             "open_points": "价格待定"}]
    if "nego2" in st.dates:
        day = st.dates["nego2"]
        rows.append({**base, "date": day, "place": rng.choice(PLACES), "clause": "价格",
                     "their_position": f"希望{st.ask:g}万", "our_position": f"报价{st.quote:g}万",
                     "floor": f"{st.floor:g}", "agreed": f"{st.amount:g}万", "agreed_amount": st.amount,
                     "open_points": None})
        rows.append({**base, "date": day, "place": rows[-1]["place"], "clause": "付款方式",
                     "their_position": "希望验收后一次付清", "our_position": "签约30%，上线40%，验收30%",
                     "floor": "首付不低于30%", "agreed": rng.choice(PAYMENT_TERMS), "agreed_amount": None,
                     "open_points": "交付时间待定" if st.arc == "committed" else None})
    return rows


def _contract_rows(book: _Book, st: _Story, submitted: date | None = None,
                   kind: str | None = None) -> list[Row]:
    """The approval chain: 销售经理审核 → 法务审核 → 总经理审批 (from the threshold on)."""
    submitted = submitted or st.dates.get("submitted")
    if submitted is None:
        return []
    rng = book.rng
    book.contracts += 1
    width = book.id_width()
    contract_id = f"HT-{submitted:%Y%m}{book.plan.index + 1:03d}{book.contracts:0{width}d}"
    steps = load_schema().sheets["contracts"].field("step").choice_values()
    if st.amount < Config().approval_gm_threshold:
        steps = steps[:2]
    decided = _approval_dates(rng, st, submitted, len(steps))
    kind = kind or rng.choice(CONTRACT_KINDS)
    approvers = {"销售经理审核": f"{book.plan.region[:2]}销售经理", "法务审核": "法务部刘律师",
                 "总经理审批": "陈总"}
    rows = []
    for step, day in zip(steps, decided):
        rows.append({"contract_id": contract_id, "customer": st.name, "amount": st.amount, "kind": kind,
                     "submitter": book.plan.name, "submitted": submitted, "step": step,
                     "approver": approvers.get(step), "comment": rng.choice(APPROVAL_COMMENTS) if day else None,
                     "decision": "同意" if day else "待审", "decided": day})
    return rows


def _approval_dates(rng: random.Random, st: _Story, submitted: date, steps: int) -> list[date | None]:
    """Decision dates in chain order; a committed customer's contract still waits after the manager."""
    if st.arc == "committed":
        return [st.dates["manager"]] + [None] * (steps - 1)
    if st.arc.startswith("won") and submitted == st.dates.get("submitted"):
        phases = ("manager", "legal", "gm")[:steps]
        return [st.dates[p] for p in phases]
    day, out = submitted, []
    for _ in range(steps):                      # a renewal: decided step by step after submission
        day = _workday(day + timedelta(days=rng.randint(1, 3)))
        out.append(day)
    return out


def _visit_rows(book: _Book, st: _Story) -> list[Row]:
    rng = book.rng
    delivered = st.dates.get("delivered")
    follow_up = next((day for day, _ in st.visits if delivered and day > delivered), None)
    rows = []
    for day, next_visit in st.visits:
        rows.append({"customer": st.name, "date": day,
                     # The first visit and the one after delivery are made in person.
                     "channel": "上门拜访" if not rows or day == follow_up else rng.choice(CHANNELS),
                     "visitor": book.plan.name,
                     "feedback": "交付完成，客户确认验收" if day == follow_up else rng.choice(VISIT_FEEDBACK),
                     "satisfaction": rng.choice((3, 4, 4, 5, 5, 5)), "new_needs": rng.choice(NEW_NEEDS),
                     "next_action": rng.choice(NEXT_ACTIONS), "owner": book.plan.name, "next_visit": next_visit})
    return rows


PRESALE_PURPOSES = ("了解客户现状", "介绍公司与方案", "确认需求与预算")


def _presale_visit_rows(book: _Book, st: _Story) -> list[Row]:
    """The first visit, on the day the customer was taken on (no draws: the other sheets keep their numbers)."""
    day = st.dates["created"]
    return [{"customer": st.name, "date": day, "channel": "上门拜访", "contact": f"{st.contact}（{st.title}）",
             "purpose": PRESALE_PURPOSES[st.no % len(PRESALE_PURPOSES)], "content": "介绍公司与产品，了解现有流程",
             "feedback": "愿意进一步沟通", "next_step": "需求调研", "visitor": book.plan.name,
             "next_visit": st.dates.get("needs")}]


def _weekly_plan_rows(book: _Book, st: _Story) -> list[Row]:
    """The week's plan held each visit made to the customer, pre-sale and after, and it was done: one row per
    week and kind (two visits of one week are one planned item)."""
    days = [st.dates["created"]] + [day for day, _ in st.visits if day <= book.as_of]
    weeks = {(day - timedelta(days=day.weekday()), "拜访" if i == 0 else "回访"): None for i, day in enumerate(days)}
    return [{"week": week, "rep": book.plan.name, "customer": st.name, "plan": plan, "status": "已完成"}
            for week, plan in weeks]


def _pipeline_rows(book: _Book, st: _Story) -> list[Row]:
    rng = book.rng
    stages = _stage_values()
    probability = {c.value: c.probability for c in load_schema().sheets["pipeline"].field("stage").choices}
    stage = stages[st.stage - 1]
    width = book.id_width()
    won = st.forecast == "已成交"
    return [{
        "project_id": f"XM-{book.spec.start.year}-{book.plan.index + 1:03d}{st.no:0{width}d}",
        "project": st.project, "customer": st.name, "customer_lead": f"{st.contact}（{st.title}）",
        "owner": book.plan.name, "stage": stage,
        "win_probability": 100 if won else 0 if st.forecast == "丢单" else probability[stage],
        "amount": st.amount, "margin": rng.randrange(20, 50, 5), "cost_budget": _half(st.amount * 0.05),
        "category": rng.choice(CATEGORIES), "expected_close": st.expected_close, "forecast": st.forecast,
        "delivered": st.dates.get("delivered"),
        "win_loss_reason": rng.choice(WIN_REASONS) if won else rng.choice(LOSS_REASONS)
        if st.forecast == "丢单" else None,
    }]


# Collections: a won deal is fully paid (stage 6 means 收回全款), in these shares of its amount.
INSTALMENTS = (("预付款", 0.3, 0.1), ("进度款", 0.4, 0.4), ("验收款", 0.2, 0.7), ("质保金", 0.1, 0.95))
REBATE_STEPS = ("大客户部经理", "市场营销中心", "总经理")


def _signed(st: _Story, index: int = 0) -> tuple[str, date] | None:
    """The id of a won deal's ``index``-th contract (0: the first, then renewals) and the day its last
    approval came; None when there is no such contract or it is still waiting."""
    by_id: dict[str, list[Row]] = {}
    for r in st.rows.get("contracts", []):
        by_id.setdefault(r["contract_id"], []).append(r)
    if st.forecast != "已成交" or index >= len(by_id):
        return None
    contract_id, rows = list(by_id.items())[index]
    if any(r["decided"] is None for r in rows):
        return None
    return contract_id, max(r["decided"] for r in rows)


def _collection_rows(book: _Book, st: _Story, index: int = 0) -> list[Row]:
    """Each instalment due at its share of the time from signing to as_of, received that day in full."""
    signed = _signed(st, index)
    if signed is None:
        return []
    contract_id, day = signed
    span = (book.as_of - day).days
    rows, left = [], st.amount
    for i, (milestone, share, when) in enumerate(INSTALMENTS):
        planned = round(left if i == len(INSTALMENTS) - 1 else st.amount * share, 2)
        left = round(left - planned, 2)
        due = day + timedelta(days=int(span * when))
        rows.append({"contract_id": contract_id, "customer": st.name, "milestone": milestone,
                     "planned_date": due, "planned_amount": planned, "received_date": due,
                     "received_amount": planned, "invoiced": due, "owner": book.plan.name})
    return rows


def _rebate_rows(book: _Book, st: _Story, index: int = 0) -> list[Row]:
    """A rebate at the contract's tier, applied for on signing, approved by all three steps, paid."""
    signed = _signed(st, index)
    if signed is None:
        return []
    contract_id, day = signed
    rate = rebate_rate(st.amount)
    return [{"contract_id": contract_id, "customer": st.name, "rate": rate,
             "amount": round(st.amount * rate / 100, 2), "applicant": book.plan.name, "applied": day,
             "status": "已支付", "step": step, "decision": "同意", "decided": day} for step in REBATE_STEPS]


_BUILDERS: dict[str, Callable[[_Book, _Story], list[Row]]] = {
    "customers": _customer_rows, "needs": _needs_rows, "decision_chain": _decision_chain_rows,
    "solution": _solution_rows, "objections": _objection_rows, "negotiations": _negotiation_rows,
    "contracts": _contract_rows, "visits": _visit_rows, "pipeline": _pipeline_rows,
    "collections": _collection_rows, "rebates": _rebate_rows,
    "presale_visits": _presale_visit_rows, "weekly_plan": _weekly_plan_rows,
}


# Benchmark padding: more of the same work for sheets that only some customers fill.
def _extra_needs(book: _Book, st: _Story, round_no: int) -> list[Row] | None:
    """A later needs meeting (二期需求), ten days or more after the previous one."""
    first = st.dates.get("needs")
    if first is None:
        return None
    day = _workday(first + timedelta(days=10 * round_no + book.rng.randint(0, 5)))
    return _needs_rows(book, st, day) if day < book.as_of - timedelta(days=1) else None


def _extra_objection(book: _Book, st: _Story, round_no: int) -> list[Row] | None:
    first = st.dates.get("presented")
    if first is None:
        return None
    raised = _workday(first + timedelta(days=5 * round_no + book.rng.randint(0, 2)))
    if raised >= book.as_of:
        return None
    return [_objection_row(book, st, book.rng.choice(OBJECTIONS), raised,
                           raised + timedelta(days=book.rng.randint(2, 6)), still_open=False)]


def _extra_contract(book: _Book, st: _Story, round_no: int) -> list[Row] | None:
    """A renewal at the agreed annual price, after the first contract was approved."""
    if not st.arc.startswith("won"):
        return None
    submitted = _workday(st.dates["gm"] + timedelta(days=14 * round_no + book.rng.randint(0, 4)))
    if submitted + timedelta(days=10) >= book.as_of:
        return None
    return _contract_rows(book, st, submitted, kind="软件服务合同")


_EXTRA = {"needs": _extra_needs, "objections": _extra_objection, "contracts": _extra_contract,
          # The renewals' instalments and rebates (round n: the n-th renewal, padded above).
          "collections": _collection_rows, "rebates": _rebate_rows}


# What reps really send (all still valid) ---------------------------------------------------
def _quirk_title(book: _Book) -> None:
    """A title row merged across the header, as reps like to add."""
    schema = load_schema()
    for key, table in book.tables.items():
        form = schema.form_of(key)
        name = form.title.zh if len(form.sheets) == 1 else schema.sheets[key].name.zh
        table.title = f"{name}（{book.plan.region} {book.plan.name}）"


def _quirk_shuffle(book: _Book) -> None:
    """Columns in another order: a rep dragged them around."""
    for key, table in book.tables.items():
        order = [f.key for f in load_schema().sheets[key].fields]
        shuffled = order[:]
        while shuffled == order:
            book.rng.shuffle(shuffled)
        table.order = shuffled


def _quirk_blank_row(book: _Book) -> None:
    for key in ("customers", "visits"):
        rows = book.tables[key].rows
        if len(rows) >= 3:
            rows.insert(2, None)


def _quirk_extra_column(book: _Book) -> None:
    for key in ("customers", "pipeline"):
        table = book.tables[key]
        table.extra = True
        for row in table.data()[::3]:
            row[EXTRA_HEADER] = book.rng.choice(REMARKS)


def _quirk_text_dates(book: _Book) -> None:
    """Dates typed as text, the two ways reps type them."""
    styles = (lambda d: f"{d.year}年{d.month}月{d.day}日", lambda d: f"{d.year}/{d.month}/{d.day}")
    for key, fld in (("needs", "date"), ("visits", "date"), ("customers", "next_follow_up")):
        for i, row in enumerate(book.tables[key].data()[:2]):
            if isinstance(row.get(fld), date):
                row[fld] = styles[i % 2](row[fld])
                book.touch(row, fld)


def _quirk_amount_text(book: _Book) -> None:
    """Amounts typed as text with the unit: 22万."""
    rows = book.tables["pipeline"].data()
    if rows:
        rows[0]["amount"] = f"{rows[0]['amount']:g}万"
        book.touch(rows[0], "amount")
    contract = book.tables["contracts"].data()
    if contract:
        first_id = contract[0]["contract_id"]
        for row in contract:
            if row["contract_id"] == first_id:      # every row of the contract, so they still agree
                row["amount"] = f"{row['amount']:g}万"
                book.touch(row, "amount")


def _mobile_rows(book: _Book) -> list[Row]:
    return [r for r in book.tables["customers"].data()
            if isinstance(r.get("phone"), str) and re.fullmatch(r"1[3-9]\d{9}", r["phone"])
            and book.free(r, "phone")]


def _quirk_fullwidth_phone(book: _Book) -> None:
    rows = _mobile_rows(book)
    if rows:
        rows[0]["phone"] = rows[0]["phone"].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        book.touch(rows[0], "phone")


def _quirk_phone_number(book: _Book) -> None:
    """A mobile typed into a number cell: Excel keeps it as 13800138000."""
    rows = _mobile_rows(book)
    if rows:
        rows[0]["phone"] = int(rows[0]["phone"])
        book.touch(rows[0], "phone")


def _quirk_grade_spelling(book: _Book) -> None:
    spelled = {"A类": "A", "B类": "B级", "C类": "C级"}
    seen = set()
    for row in book.tables["customers"].data():
        if row["grade"] in spelled and row["grade"] not in seen:
            seen.add(row["grade"])
            row["grade"] = spelled[row["grade"]]
            book.touch(row, "grade")


def _quirk_stage_spelling(book: _Book) -> None:
    """Stages typed as the number or the name alone: 3, 有资格."""
    for i, row in enumerate(book.tables["pipeline"].data()[:4]):
        number, name = row["stage"].split(" ", 1)
        row["stage"] = number if i % 2 == 0 else name
        book.touch(row, "stage")


def _quirk_short_names(book: _Book) -> None:
    """Later forms name the customer the way the rep says it: 华络通信, not the full name."""
    for story in book.stories:
        for key in ("visits", "objections"):
            for row in story.rows.get(key, ()):
                row["customer"] = story.short
                book.touch(row, "customer")


_QUIRKS: dict[str, Callable[[_Book], None]] = {
    "title-row": _quirk_title, "column-order": _quirk_shuffle, "blank-row": _quirk_blank_row,
    "extra-column": _quirk_extra_column, "text-dates": _quirk_text_dates, "amount-text": _quirk_amount_text,
    "full-width-phone": _quirk_fullwidth_phone, "phone-as-number": _quirk_phone_number,
    "grade-spelling": _quirk_grade_spelling, "stage-spelling": _quirk_stage_spelling,
    "short-names": _quirk_short_names,
}
# Which rep (index modulo the number of reps) gets each quirk.
_QUIRK_SLOTS = (("blank-row", 0), ("amount-text", 0), ("title-row", 1), ("full-width-phone", 1),
                ("extra-column", 1), ("column-order", 2), ("grade-spelling", 2), ("short-names", 2),
                ("text-dates", 3), ("stage-spelling", 3), ("phone-as-number", 3))


# Planted mistakes --------------------------------------------------------------------------
@dataclass
class _Mark:
    """A planted mistake before the workbook is written: the row object and the field."""
    sheet: str
    row: Row
    field: str
    code: str


def _pick(book: _Book, key: str, field_key: str, test: Callable[[Row], bool] = lambda r: True) -> Row | None:
    """The last row of a sheet that passes ``test`` and whose cell no quirk touched."""
    rows = [r for r in book.tables[key].data() if book.free(r, field_key) and test(r)]
    return rows[-1] if rows else None


def _mark(book: _Book, key: str, row: Row | None, field_key: str, code: str, value: Any = None,
          set_value: bool = True) -> list[_Mark]:
    if row is None:
        return []
    if set_value:
        row[field_key] = value
    book.touch(row, field_key)
    return [_Mark(key, row, field_key, code)]


def _plant_required(book: _Book) -> list[_Mark]:
    return _mark(book, "customers", _pick(book, "customers", "phone"), "phone", "required", None)


def _plant_format(book: _Book) -> list[_Mark]:
    mobiles = {id(r) for r in _mobile_rows(book)}
    row = _pick(book, "customers", "phone", lambda r: id(r) in mobiles)
    return _mark(book, "customers", row, "phone", "format", row["phone"][:-1] if row else None)


def _plant_enum(book: _Book) -> list[_Mark]:
    return _mark(book, "customers", _pick(book, "customers", "industry"), "industry", "enum", "互联网")


def _plant_range(book: _Book) -> list[_Mark]:
    return _mark(book, "visits", _pick(book, "visits", "satisfaction"), "satisfaction", "range", 6)


def _plant_weights(book: _Book) -> list[_Mark]:
    """The decision maker's weight lowered by 10: the chain adds up to 90. Reported on its first row."""
    row = _pick(book, "decision_chain", "weight", lambda r: r["role"] == "决策")
    return _mark(book, "decision_chain", row, "weight", "weights-sum", row["weight"] - 10 if row else None)


def _contract_of(book: _Book, test: Callable[[_Story, list[Row]], bool]) -> list[Row]:
    """The rows of the last customer's first contract that passes ``test`` and no quirk touched."""
    for story in reversed(book.stories):
        rows = story.rows.get("contracts")
        if not rows:
            continue
        rows = [r for r in rows if r["contract_id"] == rows[0]["contract_id"]]
        if all(book.free(r, "amount") for r in rows) and test(story, rows):
            return rows
    return []


def _has_agreed_price(story: _Story, rows: list[Row]) -> bool:
    """The agreed price was kept in the negotiations sheet (a capped sheet may have dropped it)."""
    return any(r.get("agreed_amount") is not None for r in story.rows.get("negotiations", ()))


def _needs_gm(story: _Story, rows: list[Row]) -> bool:
    return any(r["step"] == "总经理审批" for r in rows) and all(r["decision"] != "驳回" for r in rows)


def _plant_amount_mismatch(book: _Book) -> list[_Mark]:
    """Every row of the contract says one amount, just not the agreed one."""
    rows = _contract_of(book, _has_agreed_price)
    if not rows:
        return []
    agreed = rows[0]["amount"]
    threshold = Config().approval_gm_threshold
    # Stay on the same side of the GM threshold, so only the amount is wrong.
    wrong = agreed + 1 if agreed >= threshold or agreed + 1 < threshold else agreed - 1
    for row in rows:
        row["amount"] = wrong
        book.touch(row, "amount")
    # The instalments were planned from the contract as written: only the price agreement disagrees.
    plan = [r for r in book.tables["collections"].rows if r["contract_id"] == rows[0]["contract_id"]]
    if plan:
        plan[-1]["planned_amount"] = plan[-1]["received_amount"] = round(plan[-1]["planned_amount"] + wrong - agreed, 2)
    return [_Mark("contracts", rows[0], "amount", "amount-mismatch")]


def _plant_approval_authority(book: _Book) -> list[_Mark]:
    """A contract of at least 20 万 whose chain skips 总经理审批."""
    rows = _contract_of(book, _needs_gm)
    gm = [r for r in rows if r["step"] == "总经理审批"]
    if not gm:
        return []
    _remove(book.tables["contracts"].rows, gm[0])
    for story in book.stories:
        _remove(story.rows.get("contracts", []), gm[0])
    for row in rows:
        book.touch(row, "amount")
    return [_Mark("contracts", rows[0], "amount", "approval-authority")]


def _remove(rows: list, row: Row) -> None:
    """Remove this very row (not merely an equal one)."""
    rows[:] = [r for r in rows if r is not row]


def _plant_objection_overdue(book: _Book) -> list[_Mark]:
    """An open objection whose 计划解决时间 passed before as_of."""
    row = _pick(book, "objections", "resolve_by", lambda r: r["status"] == "未解决") or \
        _pick(book, "objections", "resolve_by")
    if row is None:
        return []
    row["status"] = "未解决"
    # Overdue by over a week, so it also shows in a run dated a week before as_of.
    row["resolve_by"] = max(row["raised"], min(row["raised"] + timedelta(days=5), book.as_of - timedelta(days=10)))
    return _mark(book, "objections", row, "resolve_by", "objection-overdue", set_value=False)


def _plant_stale_close(book: _Book) -> list[_Mark]:
    """An open opportunity whose 预计签约时间 already passed."""
    open_ids = {id(r) for s in book.stories if s.open for r in s.rows.get("pipeline", ())}
    row = _pick(book, "pipeline", "expected_close", lambda r: id(r) in open_ids)
    day = _workday(book.as_of - timedelta(days=book.rng.randint(10, 25)))
    return _mark(book, "pipeline", row, "expected_close", "close-date-stale", day)


def _plant_formula_text(book: _Book) -> list[_Mark]:
    """Feedback that looks like a formula: it must stay text, never become a live formula."""
    row = _pick(book, "objections", "feedback")
    return _mark(book, "objections", row, "feedback", "formula-text", FORMULA_TEXT)


def _plant_duplicate_claim(book: _Book) -> list[_Mark]:
    """This rep also lists another rep's customer, by its short name (撞单)."""
    rng = book.rng
    surname = rng.choice(SURNAMES)
    row = {"customer": book.plan.claim, "industry": "其他", "contact": surname + rng.choice(GIVEN_NAMES),
           "title": "采购经理", "phone": rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}",
           "initial_need": "电话沟通中了解到有采购计划", "source": "电话开发", "owner": book.plan.name,
           "grade": "C类", "next_follow_up": _workday(book.as_of + timedelta(days=10)),
           "account_type": "A 开拓型"}
    book.tables["customers"].rows.append(row)
    return _mark(book, "customers", row, "customer", "duplicate-claim", set_value=False)


def _plant_unpaid(book: _Book) -> list[_Mark]:
    """A won deal whose 验收款 came in only half, past its date: late, and stage 6 not fully paid."""
    for story in reversed(book.stories):
        plan, deals = story.rows.get("collections"), story.rows.get("pipeline")
        contracts = story.rows.get("contracts", [])
        if not plan or not deals or not all(book.free(r, "amount") for r in contracts):
            continue
        row = plan[2]
        if row["planned_date"] >= book.as_of or not book.free(row, "received_amount"):
            continue
        row["received_amount"] = round(row["planned_amount"] / 2, 2)
        book.touch(row, "received_amount")
        deal = deals[0]
        won_at = "stage" if deal["stage"] == _stage_values()[-1] else "forecast"
        book.touch(deal, won_at)
        return [_Mark("collections", row, "planned_date", "collection-overdue"),
                _Mark("pipeline", deal, won_at, "won-not-collected")]
    return []


def _plant_rebate_unapproved(book: _Book) -> list[_Mark]:
    """A rebate already paid while the 总经理 has not decided."""
    for story in reversed(book.stories):
        rows = story.rows.get("rebates")
        if rows and all(book.free(r, "decision") for r in rows):
            rows[-1]["decision"], rows[-1]["decided"] = "待审", None
            book.touch(rows[-1], "decision")
            return [_Mark("rebates", rows[0], "status", "rebate-unapproved")]
    return []


_MISTAKES: dict[str, Callable[[_Book], list[_Mark]]] = {
    "required": _plant_required, "format": _plant_format, "enum": _plant_enum, "range": _plant_range,
    "weights-sum": _plant_weights, "amount-mismatch": _plant_amount_mismatch,
    "approval-authority": _plant_approval_authority, "objection-overdue": _plant_objection_overdue,
    "close-date-stale": _plant_stale_close, "formula-text": _plant_formula_text,
    "duplicate-claim": _plant_duplicate_claim, "unpaid": _plant_unpaid, "rebate-unapproved": _plant_rebate_unapproved,
}
# Dealt out round-robin over the reps; duplicate-claim goes to a pair of reps (see _plan_claim).
_MISTAKE_ORDER = ("required", "format", "enum", "range", "weights-sum", "amount-mismatch",
                  "approval-authority", "objection-overdue", "close-date-stale", "formula-text", "unpaid",
                  "rebate-unapproved")


def _placed(mark: _Mark, path: Path, places: dict[str, tuple[dict[int, int], dict[str, str]]]) -> dict:
    rows, columns = places[mark.sheet]
    return {"file": path, "sheet": load_schema().sheets[mark.sheet].name.zh,
            "cell": f"{columns[mark.field]}{rows[id(mark.row)]}", "code": mark.code, "field": mark.field,
            "value": mark.row.get(mark.field)}


# Writing -----------------------------------------------------------------------------------
def _write_book(path: Path, book: _Book, constant_memory: bool) -> dict[str, tuple[dict[int, int], dict[str, str]]]:
    """Write every sheet; return, per sheet, {id(row): Excel row} and {field: column letter}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    workbook.set_properties({"created": _fixed_moment(book.spec.start), "author": book.plan.name,
                             "company": book.plan.region})
    formats = {"header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
               "title": workbook.add_format({"bold": True, "font_size": 14, "align": "center"}),
               "date": workbook.add_format({"num_format": DATE_FORMAT})}
    places = {key: _write_table(workbook, table, formats) for key, table in book.tables.items()}
    workbook.close()
    return places


def _write_table(workbook, table: _Table, formats: dict) -> tuple[dict[int, int], dict[str, str]]:
    spec = load_schema().sheets[table.key]
    sheet = workbook.add_worksheet(spec.name.zh)
    columns = table.columns()
    headers = [spec.field(k).label.zh if k in spec.field_map else k for k in columns]
    r = 0
    if table.title:
        sheet.merge_range(0, 0, 0, len(columns) - 1, table.title, formats["title"])
        r = 1
    for c, header in enumerate(headers):
        sheet.set_column(c, c, min(30, max(10, 2 * len(header) + 2)))
        sheet.write_string(r, c, header, formats["header"])
    sheet.freeze_panes(r + 1, 0)
    rows_at: dict[int, int] = {}
    for row in table.rows:
        r += 1
        if row is None:
            continue
        rows_at[id(row)] = r + 1
        for c, key in enumerate(columns):
            _write_cell(sheet, r, c, row.get(key), formats["date"])
    return rows_at, {k: get_column_letter(i + 1) for i, k in enumerate(columns)}


def _write_cell(sheet, r: int, c: int, value: Any, date_format) -> None:
    """Type by type: a text starting with '=' stays text (write() would make it a formula)."""
    if value is None:
        return
    if isinstance(value, str):
        sheet.write_string(r, c, value)
    elif isinstance(value, date):
        sheet.write_datetime(r, c, value, date_format)
    else:
        sheet.write_number(r, c, value)


def _write_broken(folder: Path, first: _RepPlan) -> list[Path]:
    """A CSV someone saved as .xlsx, and the owner file Excel leaves beside an open workbook."""
    csv = folder / BROKEN_NAME
    csv.parent.mkdir(parents=True, exist_ok=True)
    csv.write_bytes("\ufeff客户名称,联系人,联系方式\r\n深圳市华络通信有限公司,王明,13800138000\r\n".encode("utf-8"))
    owner = first.path.with_name("~$" + first.path.name)
    user = "sales01"                 # the Windows user who has the workbook open
    owner.write_bytes(bytes([len(user)]) + user.encode().ljust(53) + bytes([len(user), 0])
                      + user.encode("utf-16-le").ljust(110, b" "))
    return [csv, owner]


# A week of work ----------------------------------------------------------------------------
def advance_week(folder: Path, info: SampleInfo, days: int = 7) -> list[Path]:
    """Play ``days`` of the reps' work on their files in place; return the files changed.

    Reps add the visits that fell due (with their next visit), push due follow-ups, close
    objections due that week and move close dates that would pass. Across the team one
    deal moves a stage, one committed deal closes 已成交 (its pending approvals granted),
    one expected close slips, one deal is lost 丢单, one follow-on deal is added and one deal's
    row is cleared (removed). One rep (of three or more) does
    nothing that week, so the next validation has overdue items to show. Rows holding a
    planted mistake are left as they are. ``info.as_of`` moves on by ``days``.

    The files are those of ``info`` found in ``folder``, which may be a copy of the inbox.
    """
    week = _Week(info.as_of, info.as_of + timedelta(days=days),
                 random.Random(f"advance:{info.as_of.isoformat()}:{days}:{len(info.files)}"))
    files = [_in_folder(folder, p) for p in info.files]
    idle = week.rng.choice(files) if len(files) >= 3 else None
    for path in files:
        if path != idle:
            week.files[path] = read_workbook(path)
    week.keep = {(_in_folder(folder, m["file"]), m["sheet"], m["cell"]) for m in info.planted}
    for path in week.files:
        _due_visits(week, path)
        _due_objections(week, path)
        _due_closes(week, path)
    _pipeline_events(week)
    changed = [p for p in files if week.edits.get(p) or week.appends.get(p)]
    for order, path in enumerate(changed):
        _apply_edits(path, week.edits.get(path, {}), week.appends.get(path, []))
        _sent(path, week.new_as_of, order)
    info.as_of = week.new_as_of
    return changed


@dataclass
class _Week:
    as_of: date
    new_as_of: date
    rng: random.Random
    files: dict[Path, WorkbookRead] = field(default_factory=dict)
    keep: set[tuple[Path, str, str]] = field(default_factory=set)          # cells with a planted mistake
    edits: dict[Path, dict[tuple[str, str], Any]] = field(default_factory=lambda: defaultdict(dict))
    appends: dict[Path, list[tuple[str, dict[str, Any]]]] = field(default_factory=lambda: defaultdict(list))

    def records(self, path: Path, form: str) -> list:
        return [r for r in self.files[path].records if r.form == form]

    def kept(self, path: Path, record, key: str | None = None) -> bool:
        """Whether the row (or only its cell of ``key``) holds a planted mistake, left for the rep."""
        if key is not None:
            return (path, record.sheet, f"{record.columns.get(key)}{record.row}") in self.keep
        return any((path, record.sheet, f"{col}{record.row}") in self.keep for col in record.columns.values())

    def change(self, path: Path, record, key: str, value: Any) -> None:
        self.edits[path][(record.sheet, f"{record.columns[key]}{record.row}")] = value

    def weekday_in_week(self, day: date) -> date | None:
        """``day`` or the next working day, if it still falls inside the week."""
        day = _workday(max(day, self.as_of))
        return day if day < self.new_as_of else None


def _in_folder(folder: Path, path: Path) -> Path:
    """A rep's workbook (<region>/<rep>.xlsx) inside ``folder``."""
    return Path(folder).joinpath(*Path(path).parts[-2:])


def _grades(week: _Week, path: Path) -> dict[str, str]:
    return {customer_key(r.get("customer")): r.get("grade") for r in week.records(path, "customers")
            if r.get("customer") and r.get("grade")}


def _due_visits(week: _Week, path: Path) -> None:
    """Visit every customer whose next visit fell due this week and plan the one after."""
    grades = _grades(week, path)
    latest: dict[str, Any] = {}
    for r in week.records(path, "visits"):
        key = customer_key(r.get("customer") or "")
        if key and r.get("date") and (key not in latest or r.get("date") >= latest[key].get("date")):
            latest[key] = r
    planned: dict[str, date] = {}
    for key, last in latest.items():
        due = last.get("next_visit")
        day = week.weekday_in_week(due) if due and due < week.new_as_of else None
        while day is not None:
            low, high = CADENCE.get(grades.get(key), CADENCE["B类"])
            next_visit = _workday(day + timedelta(days=week.rng.randint(low, high)))
            week.appends[path].append((last.sheet, _visit_values(week, last, day, next_visit)))
            planned[key] = next_visit
            day = week.weekday_in_week(next_visit) if next_visit < week.new_as_of else None
    for r in week.records(path, "customers"):
        due = r.get("next_follow_up")
        if due and due < week.new_as_of and not week.kept(path, r, "next_follow_up"):
            key = customer_key(r.get("customer"))
            week.change(path, r, "next_follow_up",
                        planned.get(key) or _workday(week.new_as_of + timedelta(days=week.rng.randint(7, 21))))


def _visit_values(week: _Week, last, day: date, next_visit: date) -> dict[str, Any]:
    rng = week.rng
    values = {"customer": last.get("customer"), "date": day, "channel": rng.choice(CHANNELS),
              "visitor": last.get("visitor"), "feedback": rng.choice(VISIT_FEEDBACK),
              "satisfaction": rng.choice((4, 5)), "next_action": rng.choice(NEXT_ACTIONS),
              "owner": last.get("owner") or last.get("visitor"), "next_visit": next_visit}
    return {last.columns[k]: v for k, v in values.items() if k in last.columns}


def _due_objections(week: _Week, path: Path) -> None:
    for r in week.records(path, "objections"):
        due = r.get("resolve_by")
        if r.get("status") in (None, "未解决") and due and due < week.new_as_of and not week.kept(path, r):
            week.change(path, r, "status", "已解决")
            week.change(path, r, "feedback", "客户接受应答方案")


def _open_deals(week: _Week, path: Path) -> list:
    return [r for r in week.records(path, "pipeline")
            if r.get("stage") and r.get("stage") != _stage_values()[-1]
            and r.get("forecast") not in ("已成交", "丢单") and not week.kept(path, r)]


def _due_closes(week: _Week, path: Path) -> None:
    """An open deal whose close date would pass this week gets a new one: it has not closed yet."""
    for r in _open_deals(week, path):
        close = r.get("expected_close")
        if close and close < week.new_as_of:
            week.change(path, r, "expected_close", _workday(week.new_as_of + _slip(week.rng)))


def _slip(rng: random.Random) -> timedelta:
    return timedelta(days=rng.randint(21, 45))


def _pipeline_events(week: _Week) -> None:
    """One deal won (a committed one due this week if any), one committed for next week, one moved up
    a stage, one close date slipped, one lost, one new, one removed: in different files if possible."""
    stages = _stage_values()
    taken: set[tuple[Path, int]] = set()
    used_files: set[Path] = set()

    def pick(test: Callable[[Any], bool]) -> tuple[Path, Any] | None:
        candidates = [(p, r) for p in week.files for r in _open_deals(week, p)
                      if (p, r.row) not in taken and test(r) and not _has_planted_rows(week, p, r)]
        week.rng.shuffle(candidates)
        candidates.sort(key=lambda pr: pr[0] in used_files)     # stable: other files first
        if not candidates:
            return None
        path, record = candidates[0]
        taken.add((path, record.row))
        used_files.add(path)
        return path, record

    def due_this_week(r) -> bool:
        return r.get("expected_close") is not None and week.as_of < r.get("expected_close") <= week.new_as_of

    won = pick(lambda r: r.get("stage") == stages[4] and due_this_week(r)) or pick(lambda r: r.get("stage") == stages[4])
    if won:
        _close_won(week, *won)
    committed = pick(lambda r: r.get("stage") == stages[4])
    if committed:                 # the rep commits a deal for next week: next week's commit accuracy has a base
        path, r = committed
        week.change(path, r, "forecast", "承诺")
        week.change(path, r, "expected_close", _workday(week.new_as_of + timedelta(days=week.rng.randint(1, 4))))
    # Preferably 4 → 5: a deal reaches commitment each week as one is won.
    moved = pick(lambda r: r.get("stage") == stages[3]) or pick(lambda r: r.get("stage") in stages[:4])
    if moved:
        _move_stage(week, *moved)
    slipped = pick(lambda r: r.get("expected_close") is not None)
    if slipped:
        path, r = slipped
        later = max(r.get("expected_close"), week.new_as_of) + _slip(week.rng)
        week.change(path, r, "expected_close", _workday(later))
    lost = pick(lambda r: r.get("stage") in stages[1:4])
    if lost:
        path, r = lost
        week.change(path, r, "forecast", "丢单")
        week.change(path, r, "win_probability", 0)
        week.change(path, r, "win_loss_reason", week.rng.choice(LOSS_REASONS))
    follow_on = pick(lambda r: r.get("project_id") and r.get("customer"))
    if follow_on:
        _new_deal(week, *follow_on)
    removed = pick(lambda r: True)
    if removed:                   # the rep clears the deal's row: it is gone from the file
        path, r = removed
        for key in r.columns:
            week.change(path, r, key, None)


def _has_planted_rows(week: _Week, path: Path, deal) -> bool:
    """Whether the deal's customer has a planted mistake anywhere in the file: leave it to the rep."""
    key = customer_key(deal.get("customer") or "")
    return any(week.kept(path, r) and customer_key(r.get("customer") or "") == key
               for r in week.files[path].records)


def _close_won(week: _Week, path: Path, deal) -> None:
    """The customer signs: pending approvals are granted this week and the deal is 已成交."""
    # The day after the last merge: a deal signed on the merge day itself was in last week's figures.
    day = week.weekday_in_week(week.as_of + timedelta(days=1)) or week.new_as_of
    key = customer_key(deal.get("customer"))
    for r in week.records(path, "contracts"):
        if customer_key(r.get("customer") or "") == key and r.get("decision") == "待审":
            week.change(path, r, "decision", "同意")
            week.change(path, r, "decided", day)
            week.change(path, r, "comment", "同意")
    week.change(path, deal, "forecast", "已成交")
    week.change(path, deal, "win_probability", 100)
    week.change(path, deal, "expected_close", day)
    week.change(path, deal, "win_loss_reason", week.rng.choice(WIN_REASONS))


def _new_deal(week: _Week, path: Path, deal) -> None:
    """A follow-on deal with the same customer: a new row at stage 1, under the file's next project id."""
    ids = [r.get("project_id") for r in week.records(path, "pipeline") if r.get("project_id")]
    prefix, digits = re.match(r"(.*?)(\d+)$", max(ids)).groups()      # one prefix and width per file
    stage = _stage_values()[0]
    values = {**{key: deal.get(key) for key in deal.columns}, "delivered": None, "win_loss_reason": None,
              "project_id": f"{prefix}{int(digits) + 1:0{len(digits)}d}", "project": f"{deal.get('project')}二期",
              "stage": stage, "win_probability": _stage_probability(stage), "forecast": FORECAST_OF_STAGE[1],
              "amount": round(float(deal.get("amount") or 10) * week.rng.uniform(0.3, 0.8), 1),
              "expected_close": _workday(week.new_as_of + timedelta(days=week.rng.randint(60, 120)))}
    week.appends[path].append((deal.sheet, {deal.columns[k]: v for k, v in values.items() if k in deal.columns}))


def _stage_probability(stage: str) -> float:
    return {c.value: c.probability for c in load_schema().sheets["pipeline"].field("stage").choices}[stage]


def _move_stage(week: _Week, path: Path, deal) -> None:
    stages = _stage_values()
    stage = stages[stages.index(deal.get("stage")) + 1]
    week.change(path, deal, "stage", stage)
    week.change(path, deal, "win_probability", _stage_probability(stage))
    week.change(path, deal, "forecast", FORECAST_OF_STAGE[stages.index(stage) + 1])


def _apply_edits(path: Path, edits: dict[tuple[str, str], Any], appends: list[tuple[str, dict[str, Any]]]) -> None:
    """Change the cells and append the rows with openpyxl, then replace the file in one move."""
    workbook = load_workbook(path)
    for (sheet, ref), value in edits.items():
        _set_cell(workbook[sheet][ref], value)
    for sheet, values in appends:
        ws = workbook[sheet]
        row = ws.max_row + 1
        for column, value in values.items():
            _set_cell(ws[f"{column}{row}"], value)
    tmp = path.with_name(f".~tmp-{path.name}")
    try:
        workbook.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _set_cell(cell, value: Any) -> None:
    cell.value = value
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
