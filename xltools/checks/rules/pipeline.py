"""Rules of visits, follow-ups and the opportunity pipeline: visit intervals, overdue follow-ups, win
probabilities, stale close dates, won deals, and the stage gates (the funnel's exit conditions)."""
from __future__ import annotations

from collections.abc import Callable, Iterator

from xltools.checks.rules.rows import Rows, customer_of, finding_at, group_by, unreadable
from xltools.checks.rules.unit import CUSTOMER, rule
from xltools.checks.rules.vocabulary import CLOSED_FORECASTS, CLOSED_WON, COMMIT, DONE, WON_STAGE
from xltools.forms.model import Record
from xltools.forms.values import is_blank
from xltools.ingest.findings import ERROR, WARNING, Finding
from xltools.text import Text


def _is_open(record: Record) -> bool | None:
    """Whether an opportunity is still open; None when its stage or forecast is unknown."""
    if record.get("stage") is None or unreadable(record, "forecast"):
        return None
    return record.get("stage") != WON_STAGE and record.get("forecast") not in CLOSED_FORECASTS


# Visits and follow-ups
@rule("visit-interval", WARNING,
       '下次回访时间 - 回访时间 > visit_interval_days[grade], the grade the visitor gave the customer in customer '
       'information (else its first grade there); no grade known -> no finding.',
       zh='{customer}：{grade}客户的回访间隔 {days} 天，超过 {limit} 天',
       en="{customer}: A {grade} customer's next visit is {days} days away, over {limit}",
       title=Text("回访间隔过长", "Visit interval too long"),
       forms=("visits", "customers"), relates_by=(CUSTOMER,), settings=("visit_interval_days",))
def check_visit_interval(rows: Rows) -> Iterator[Finding]:
    limits = rows.ctx.config.visit_interval_days
    for r in rows.of("visits"):
        date, next_visit = r.get("date"), r.get("next_visit")
        grade = rows.grade(r, r.get("visitor") or r.rep)
        if date is None or next_visit is None or grade not in limits or next_visit <= date:
            continue
        days = (next_visit - date).days
        if days > limits[grade]:
            yield finding_at("visit-interval", r, "next_visit", grade=rows.choice("customers", "grade", grade),
                             days=days, limit=limits[grade])


@rule("follow-up-overdue", WARNING,
       "customer information: 下次跟进时间 before as_of; visits: the customer's latest visit (by date, then "
       'row order) has a 下次回访时间 before as_of.',
       zh='{customer}：“{label}” {value} 已过',
       en="{customer}: '{label}' {value} has passed",
       title=Text("跟进逾期", "Follow-up overdue"),
       forms=("customers", "visits"), relates_by=(CUSTOMER.on("visits"),),
       as_of={"customers": "next_follow_up", "visits": "next_visit"}, reads={"visits": ("date",)})
def check_follow_up_overdue(rows: Rows) -> Iterator[Finding]:
    as_of = rows.ctx.as_of
    for r in rows.of("customers"):
        if r.get("next_follow_up") is not None and r.get("next_follow_up") < as_of:
            yield finding_at("follow-up-overdue", r, "next_follow_up", label=rows.label("customers", "next_follow_up"))
    dated = [r for r in rows.of("visits") if r.get("date")]
    for visits in group_by(dated, customer_of).values():
        latest = max(visits, key=lambda r: (r.get("date"), rows.order[id(r)]))
        if latest.get("next_visit") is not None and latest.get("next_visit") < as_of:
            yield finding_at("follow-up-overdue", latest, "next_visit", label=rows.label("visits", "next_visit"))


# Pipeline
@rule("probability-mismatch", WARNING,
       "an open opportunity's 赢率 differs from its stage's default. Closed ones (已成交/丢单, stage 6) are "
       'left to won-inconsistent.',
       zh='赢率 {value}% 与阶段“{stage}”的 {expected}% 不符',
       en="Win probability {value}% differs from {expected}% of stage '{stage}'",
       title=Text("赢率与阶段不符", "Probability differs from stage"),
       forms=("pipeline",), settings=("stage_probability",))
def check_probability(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("pipeline"):
        expected = rows.ctx.config.stage_probability.get(r.get("stage"))
        value = r.get("win_probability")
        if value is None or expected is None or not _is_open(r):
            continue
        if abs(value - expected) > 1e-9:
            yield finding_at("probability-mismatch", r, "win_probability",
                             stage=rows.choice("pipeline", "stage", r.get("stage")), expected=expected)


@rule("close-date-stale", WARNING,
       "an open opportunity's 预计签约时间 is before as_of.",
       zh='进行中的商机预计签约时间 {value} 已过',
       en="The open opportunity's expected close {value} has passed",
       title=Text("预计签约时间已过", "Expected close passed"),
       forms=("pipeline",), as_of={"pipeline": "expected_close"}, reads={"pipeline": ("stage", "forecast")})
def check_close_date(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("pipeline"):
        close = r.get("expected_close")
        if close is not None and close < rows.ctx.as_of and _is_open(r):
            yield finding_at("close-date-stale", r, "expected_close")


@rule("won-inconsistent", ERROR,
       'stage 6 with a 赢率 other than 100 (on that cell), else with a forecast other than 已成交 (on the '
       'forecast cell).',
       zh='阶段“{stage}”需赢率 100% 且预测类别为“已成交”',
       en="Stage '{stage}' needs 100% and forecast Closed",
       title=Text("成交信息不一致", "Won deal inconsistent"),
       forms=("pipeline",))
def check_won(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("pipeline"):
        if r.get("stage") != WON_STAGE:
            continue
        stage = rows.choice("pipeline", "stage", WON_STAGE)
        probability = r.get("win_probability")
        if probability is not None and abs(probability - 100) > 1e-9:
            yield finding_at("won-inconsistent", r, "win_probability", stage=stage)
        elif r.get("forecast") != CLOSED_WON and not unreadable(r, "forecast"):
            yield finding_at("won-inconsistent", r, "forecast", stage=stage)


# Stage gates: the funnel's exit conditions (seed 001). Each gate is a rule of its own with the code
# stage-gate-<gate>; config.stage_gates says from which stage each applies, and switches gates off.


def _stage_numbers(rows: Rows) -> dict[str, int]:
    """Each funnel stage's place in the schema's order (1 确定 -> 1)."""
    return {stage: i for i, stage in enumerate(rows.field("pipeline", "stage").choice_values(), start=1)}


def _stage_number(rows: Rows, stage: str | None) -> int | None:
    return rows.shared(_stage_numbers).get(stage)


def _gated(rows: Rows, gate: str) -> Iterator[Record]:
    """The open opportunities at or beyond the stage from which ``gate`` applies."""
    from_stage = rows.ctx.config.stage_gates.get(gate)
    if not from_stage:
        return
    for r in rows.of("pipeline"):
        stage = _stage_number(rows, r.get("stage"))
        if stage is not None and stage >= from_stage and _is_open(r) and customer_of(r):
            yield r


def _stage_gate(gate: str, description: str, *, zh: str, en: str, title: Text, form: str,
                passed: Callable[[Rows, list[Record]], bool]) -> None:
    """Register the gate requiring, from its stage on, that the customer's rows of ``form`` pass ``passed``."""
    code = f"stage-gate-{gate}"

    @rule(code, WARNING, description + " On the stage cell; only open deals; the stage is set in stage_gates.",
          zh=zh, en=en, title=title, forms=("pipeline", form), relates_by=(CUSTOMER.on("pipeline", form),),
          settings=("stage_gates",))
    def check(rows: Rows) -> Iterator[Finding]:
        evidence = group_by(rows.of(form), customer_of)
        for r in _gated(rows, gate):
            if not passed(rows, evidence.get(customer_of(r), [])):
                yield finding_at(code, r, "stage", project=r.get("project_id") or r.get("project"), client=r.get("customer"),
                                 stage=rows.choice("pipeline", "stage", r.get("stage")))


def _solution_done(rows: Rows, checklist: list[Record]) -> bool:
    done = {r.get("module") for r in checklist if r.get("done") == DONE}
    return done >= set(rows.field("solution", "module").choice_values())


_stage_gate("decision-chain", "an open deal at the gate's stage (default 2 接触) whose customer has no decision chain.",
            zh='商机 {project} 已到阶段“{stage}”，但客户“{client}”没有决策链记录',
            en="Deal {project} is at stage '{stage}' but {client} has no decision chain",
            title=Text("阶段缺决策链", "Stage without a decision chain"),
            form="decision_chain", passed=lambda rows, chain: bool(chain))
_stage_gate("budget", "an open deal at the gate's stage (default 3 有资格) whose customer has no needs-analysis "
            "record with a 预算范围.",
            zh='商机 {project} 已到阶段“{stage}”，但客户“{client}”的需求分析没有预算范围',
            en="Deal {project} is at stage '{stage}' but no needs analysis of {client} gives a budget",
            title=Text("阶段缺预算", "Stage without a budget"),
            form="needs", passed=lambda rows, needs: any(not is_blank(r.get("budget")) for r in needs))
_stage_gate("solution", "an open deal at the gate's stage (default 4 已发展) whose customer's solution checklist "
            "does not have all six modules marked 是.",
            zh='商机 {project} 已到阶段“{stage}”，但客户“{client}”的方案六个模块未全部完成',
            en="Deal {project} is at stage '{stage}' but the proposal for {client} does not have all six "
               "modules done",
            title=Text("阶段缺完整方案", "Stage without a complete proposal"),
            form="solution", passed=_solution_done)


@rule("stage-gate-commit", WARNING,
       "an open deal forecast 承诺 below the gate's stage (default 5 已承诺): a commitment is reliable from 90% "
       "on (seed 002). On the forecast cell.",
       zh='商机 {project} 预测为“承诺”，但阶段“{stage}”尚未达到“{needed}”',
       en="Deal {project} is forecast Commit at stage '{stage}', before '{needed}'",
       title=Text("承诺早于已承诺阶段", "Commit before stage 5"),
       forms=("pipeline",), settings=("stage_gates",))
def check_commit_gate(rows: Rows) -> Iterator[Finding]:
    from_stage = rows.ctx.config.stage_gates.get("commit")
    if not from_stage:
        return
    stages = rows.field("pipeline", "stage").choice_values()
    for r in rows.of("pipeline"):
        stage = _stage_number(rows, r.get("stage"))
        if r.get("forecast") == COMMIT and stage is not None and stage < from_stage:
            yield finding_at("stage-gate-commit", r, "forecast", project=r.get("project_id") or r.get("project"),
                             stage=rows.choice("pipeline", "stage", r.get("stage")),
                             needed=rows.choice("pipeline", "stage", stages[min(from_stage, len(stages)) - 1]))

