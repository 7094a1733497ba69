"""Each customer's story: how far it got through the standard process, and when each step happened.

Every customer follows the process to some stage -- identified, contacted, qualified, developed,
committed, won (signed, or delivered and paid) or lost -- on working days before as_of, and is
visited at the cadence of its grade.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from xltools.forms.values import add_workdays
from xltools.sample.book import Book, Story
from xltools.sample.dates import next_workday, workday
from xltools.sample.names import GIVEN_NAMES, SURNAMES, phone_number
from xltools.sample.phrases import CONTACT_TITLES, PROJECTS
from xltools.sample.terms import FORECAST_OF_STAGE, LOST, WON

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
# The stage each kind of customer reached.
STAGE_OF_ARC = {"identified": 1, "contacted": 2, "qualified": 3, "developed": 4, "committed": 5,
                "won_small": 5, "won_large": 6}
GRADES = {"won_large": "A类", "won_small": "A类", "committed": "A类", "developed": "A类",
          "qualified": "B类", "contacted": "B类", "identified": "C类", "lost": "C类"}


def half(value: float) -> float:
    """Round down to half a 万元: prices are quoted like 22 or 22.5."""
    return max(0.5, int(value * 2) / 2)


def archetypes(rng: random.Random, count: int) -> list[str]:
    """Every kind of customer once per eight; small samples get the most telling kinds first."""
    arcs = [ARCHETYPES[i % len(ARCHETYPES)] for i in range(count)]
    rng.shuffle(arcs)
    return arcs


def tell_story(book: Book, no: int, company: tuple[str, str, str, str], arc: str) -> Story:
    """How far a customer of kind ``arc`` got, when each step happened, and whom the rep dealt with."""
    rng, as_of = book.rng, book.as_of
    name, short, industry, area = company
    amount = half(rng.uniform(20, 120) if arc == "won_large" else
                  rng.uniform(5, 19.5) if arc == "won_small" else rng.uniform(5, 150))
    path_name = arc if arc != "lost" else rng.choice(("lost3", "lost4"))
    dates = timeline(rng, PHASES[path_name], book.spec.start, book.room)
    stage, forecast = stage_of(arc, path_name)
    grade = GRADES[arc]
    delivered_visit = next_workday(dates["delivered"]) if "delivered" in dates else None
    visits, planned = visit_dates(rng, dates["created"], grade, as_of, delivered_visit)
    surname = rng.choice(SURNAMES)
    return Story(
        no=no, name=name, short=short, industry=industry, area=area, arc=arc, stage=stage,
        forecast=forecast, grade=grade, amount=amount,
        quote=half(amount * rng.uniform(1.08, 1.3)), floor=half(amount * rng.uniform(0.85, 1.0)),
        ask=half(amount * rng.uniform(0.75, 0.95)), dates=dates, visits=visits,
        next_follow_up=planned or workday(as_of + timedelta(days=rng.randint(3, 20))),
        contact=surname + rng.choice(GIVEN_NAMES), title=rng.choice(CONTACT_TITLES),
        phone=phone_number(rng, area), project=short + rng.choice(PROJECTS) + "项目",
        expected_close=expected_close_of(rng, arc, dates, as_of))


def timeline(rng: random.Random, phases: tuple[str, ...], start: date, room: int) -> dict[str, date]:
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
    day = add_workdays(workday(start), rng.randint(0, max(0, room - total)))
    dates = {"created": day}
    for phase, gap in zip(phases, gaps):
        day = add_workdays(day, gap)
        dates[phase] = day
    return dates


def stage_of(arc: str, path_name: str) -> tuple[int, str]:
    """The stage number and the forecast a customer of this kind ends at."""
    if arc == "lost":
        return (3 if path_name == "lost3" else 4), LOST
    stage = STAGE_OF_ARC[arc]
    return stage, WON if arc.startswith("won") else FORECAST_OF_STAGE[stage]


def expected_close_of(rng: random.Random, arc: str, dates: dict[str, date], as_of: date) -> date:
    """Closed deals closed when they did; open ones spread over the coming quarter."""
    if arc == "lost":
        return dates["lost"]
    if arc.startswith("won"):
        return dates["gm"]
    if arc == "committed":
        return workday(as_of + timedelta(days=rng.randint(5, 30)))
    return workday(as_of + timedelta(days=rng.randint(7, 90)))


def visit_dates(rng: random.Random, created: date, grade: str, as_of: date,
                extra: date | None) -> tuple[list[tuple[date, date]], date | None]:
    """Visits at the grade's cadence from first contact to as_of, plus the delivery follow-up.

    Each visit's 下次回访时间 is the next visit; the last one plans a visit on or after
    as_of, within the grade's allowed gap.
    """
    low, high = CADENCE[grade]
    day = workday(created + timedelta(days=rng.randint(1, 6)))
    dates = []
    while day < as_of:
        dates.append(day)
        day = workday(day + timedelta(days=rng.randint(low, high)))
    if not dates:
        return [], None
    if extra and extra < as_of and extra not in dates:
        dates = sorted(dates + [extra])
    return list(zip(dates, dates[1:] + [day])), day
