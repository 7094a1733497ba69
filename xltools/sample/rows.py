"""The rows each customer's story leaves in the rep's forms, from first visit to the pipeline.

One builder per sheet (see assemble.BUILDERS); contracts, collections and rebates are in deals.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from xltools.forms.schema import load_schema
from xltools.sample.book import Book, Row, Story
from xltools.sample.dates import workday
from xltools.sample.names import GIVEN_NAMES, SURNAMES
from xltools.sample.phrases import (CATEGORIES, CHAIN_PEOPLE, CHANNELS, INITIAL_NEEDS, LOSS_REASONS, MODULE_CONTENT,
                                    NEW_NEEDS, NEXT_ACTIONS, OBJECTIONS, OPEN_FEEDBACK, PAIN_POINTS, PAYMENT_TERMS,
                                    PLACES, PRESALE_PURPOSES, SOURCES, TERMS, VISIT_FEEDBACK, WIN_REASONS)
from xltools.sample.stories import half
from xltools.sample.terms import (DECISION_MAKER, DONE, LOST, NOT_DONE, OPEN, PRICE, RESOLVED, STAGES, WON,
                                  stage_probability)


def customer_rows(book: Book, st: Story) -> list[Row]:
    """The customer as the rep took it on: contact, grade, next follow-up, account type."""
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


def needs_rows(book: Book, st: Story, day: date | None = None) -> list[Row]:
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


def decision_chain_rows(book: Book, st: Story) -> list[Row]:
    day = st.dates.get("needs")
    if day is None:
        return []
    rng = book.rng
    people = rng.sample(CHAIN_PEOPLE, rng.randint(1, 3))
    weights = _split_weights(rng, len(people))
    boss = rng.choice(SURNAMES)
    rows = [{"customer": st.name, "date": day, "person": f"{boss}总 总经理", "role": DECISION_MAKER,
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


def solution_rows(book: Book, st: Story) -> list[Row]:
    if "solution" not in st.dates:
        return []
    rng = book.rng
    modules = load_schema().sheets["solution"].field("module").choice_values()
    begin, end = st.dates["solution"], st.dates["solution_done"]
    span = max(0, (end - begin).days)
    done_dates = sorted(workday(begin + timedelta(days=rng.randint(0, span))) for _ in modules)
    # A qualified customer's proposal is still being written.
    done_count = rng.randint(2, 5) if st.arc == "qualified" else len(modules)
    rows = []
    for i, (module, done_on) in enumerate(zip(modules, done_dates)):
        done = i < done_count
        rows.append({"customer": st.name, "module": module, "content": MODULE_CONTENT.get(module),
                     "done": DONE if done else NOT_DONE,
                     "owner": book.plan.name if module not in ("核心功能详情", "实施计划") else "售前-赵工",
                     "done_date": done_on if done else None})
    return rows


def objection_rows(book: Book, st: Story) -> list[Row]:
    if "presented" not in st.dates:
        return []
    rng = book.rng
    raised = st.dates["presented"]
    picks = rng.sample(OBJECTIONS, rng.randint(1, 2) if st.arc == "qualified" else rng.randint(1, 3))
    rows = []
    for i, objection in enumerate(picks):
        # A qualified customer's first objection is still open, due after as_of.
        still_open = st.arc == "qualified" and i == 0
        due = (workday(book.as_of + timedelta(days=rng.randint(3, 20))) if still_open else
               st.dates.get("resolved") or min(raised + timedelta(days=rng.randint(2, 5)),
                                               book.as_of - timedelta(days=1)))
        rows.append(_objection_row(book, st, objection, raised, due, still_open))
    return rows


def _objection_row(book: Book, st: Story, objection: tuple, raised: date, due: date,
                   still_open: bool) -> Row:
    category, text, ask, response, feedback = objection
    return {"customer": st.name, "raised": raised, "category": category, "objection": text,
            "customer_ask": ask.format(ask=f"{st.ask:g}"), "response": response, "owner": book.plan.name,
            "resolve_by": due, "feedback": book.rng.choice(OPEN_FEEDBACK) if still_open else feedback,
            "status": OPEN if still_open else RESOLVED}


def negotiation_rows(book: Book, st: Story) -> list[Row]:
    if "nego1" not in st.dates:
        return []
    rng = book.rng
    our_people = f"{book.plan.name}、销售经理"
    their_people = f"{st.contact}{st.title}、采购负责人"
    base = {"customer": st.name, "their_people": their_people, "our_people": our_people}
    rows = [{**base, "date": st.dates["nego1"], "place": rng.choice(PLACES), "clause": PRICE,
             "their_position": f"希望{st.ask:g}万", "our_position": f"报价{st.quote:g}万",
             "floor": f"{st.floor:g}", "agreed": "初步接受报价，待客户内部审批", "agreed_amount": None,
             "open_points": "价格待定"}]
    if "nego2" in st.dates:
        day = st.dates["nego2"]
        rows.append({**base, "date": day, "place": rng.choice(PLACES), "clause": PRICE,
                     "their_position": f"希望{st.ask:g}万", "our_position": f"报价{st.quote:g}万",
                     "floor": f"{st.floor:g}", "agreed": f"{st.amount:g}万", "agreed_amount": st.amount,
                     "open_points": None})
        rows.append({**base, "date": day, "place": rows[-1]["place"], "clause": "付款方式",
                     "their_position": "希望验收后一次付清", "our_position": "签约30%，上线40%，验收30%",
                     "floor": "首付不低于30%", "agreed": rng.choice(PAYMENT_TERMS), "agreed_amount": None,
                     "open_points": "交付时间待定" if st.arc == "committed" else None})
    return rows


def visit_rows(book: Book, st: Story) -> list[Row]:
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


def presale_visit_rows(book: Book, st: Story) -> list[Row]:
    """The first visit, on the day the customer was taken on (no draws: the other sheets keep their numbers)."""
    day = st.dates["created"]
    return [{"customer": st.name, "date": day, "channel": "上门拜访", "contact": f"{st.contact}（{st.title}）",
             "purpose": PRESALE_PURPOSES[st.no % len(PRESALE_PURPOSES)], "content": "介绍公司与产品，了解现有流程",
             "feedback": "愿意进一步沟通", "next_step": "需求调研", "visitor": book.plan.name,
             "next_visit": st.dates.get("needs")}]


def weekly_plan_rows(book: Book, st: Story) -> list[Row]:
    """The week's plan held each visit made to the customer, pre-sale and after, and it was done: one row per
    week and kind (two visits of one week are one planned item)."""
    days = [st.dates["created"]] + [day for day, _ in st.visits if day <= book.as_of]
    weeks = {(day - timedelta(days=day.weekday()), "拜访" if i == 0 else "回访"): None for i, day in enumerate(days)}
    return [{"week": week, "rep": book.plan.name, "customer": st.name, "plan": plan, "status": "已完成"}
            for week, plan in weeks]


def pipeline_rows(book: Book, st: Story) -> list[Row]:
    rng = book.rng
    stage = STAGES[st.stage - 1]
    width = book.id_width()
    won = st.forecast == WON
    return [{
        "project_id": f"XM-{book.spec.start.year}-{book.plan.index + 1:03d}{st.no:0{width}d}",
        "project": st.project, "customer": st.name, "customer_lead": f"{st.contact}（{st.title}）",
        "owner": book.plan.name, "stage": stage,
        "win_probability": 100 if won else 0 if st.forecast == LOST else stage_probability(stage),
        "amount": st.amount, "margin": rng.randrange(20, 50, 5), "cost_budget": half(st.amount * 0.05),
        "category": rng.choice(CATEGORIES), "expected_close": st.expected_close, "forecast": st.forecast,
        "delivered": st.dates.get("delivered"),
        "win_loss_reason": rng.choice(WIN_REASONS) if won else rng.choice(LOSS_REASONS)
        if st.forecast == LOST else None,
    }]


# Benchmark padding (see assemble.EXTRA): more of the same work for sheets that only some customers fill.
def extra_needs(book: Book, st: Story, round_no: int) -> list[Row] | None:
    """A later needs meeting (二期需求), ten days or more after the previous one."""
    first = st.dates.get("needs")
    if first is None:
        return None
    day = workday(first + timedelta(days=10 * round_no + book.rng.randint(0, 5)))
    return needs_rows(book, st, day) if day < book.as_of - timedelta(days=1) else None


def extra_objection(book: Book, st: Story, round_no: int) -> list[Row] | None:
    """Another objection raised a few days after the previous one, and resolved."""
    first = st.dates.get("presented")
    if first is None:
        return None
    raised = workday(first + timedelta(days=5 * round_no + book.rng.randint(0, 2)))
    if raised >= book.as_of:
        return None
    return [_objection_row(book, st, book.rng.choice(OBJECTIONS), raised,
                           raised + timedelta(days=book.rng.randint(2, 6)), still_open=False)]
