"""One rep's workbook from start to finish: the customers' stories, their rows in every sheet (capped
and topped up in benchmark mode), the rep's quirks and planted mistakes, then the file."""
from __future__ import annotations

import random
from typing import Callable

from xltools.forms.config import Config
from xltools.sample.book import Book, Row, Story, Table, rep_sheets
from xltools.sample.deals import collection_rows, contract_rows, rebate_rows, renewal_rows
from xltools.sample.mistakes import MISTAKES, placed
from xltools.sample.plan import RepPlan
from xltools.sample.quirks import QUIRKS
from xltools.sample.rows import (customer_rows, decision_chain_rows, extra_needs, extra_objection, needs_rows,
                                 negotiation_rows, objection_rows, pipeline_rows, presale_visit_rows, solution_rows,
                                 visit_rows, weekly_plan_rows)
from xltools.sample.spec import SampleSpec
from xltools.sample.stories import archetypes, tell_story
from xltools.sample.terms import CLOSED, FORECAST_OF_STAGE, STAGES, stage_probability
from xltools.sample.writing import write_book

# The rows a story leaves in each sheet.
BUILDERS: dict[str, Callable[[Book, Story], list[Row]]] = {
    "customers": customer_rows, "needs": needs_rows, "decision_chain": decision_chain_rows,
    "solution": solution_rows, "objections": objection_rows, "negotiations": negotiation_rows,
    "contracts": contract_rows, "visits": visit_rows, "pipeline": pipeline_rows,
    "collections": collection_rows, "rebates": rebate_rows,
    "presale_visits": presale_visit_rows, "weekly_plan": weekly_plan_rows,
}
# Benchmark padding: more of the same work for sheets that only some customers fill.
EXTRA = {"needs": extra_needs, "objections": extra_objection, "contracts": renewal_rows,
         # The renewals' instalments and rebates (round n: the n-th renewal, padded above).
         "collections": collection_rows, "rebates": rebate_rows}


def make_workbook(job: tuple[SampleSpec, RepPlan]) -> list[dict]:
    """Build one rep's rows, make them untidy, plant mistakes, write; return the planted list."""
    spec, plan = job
    book = build_book(spec, plan)
    for quirk in plan.quirks:
        QUIRKS[quirk](book)
    marks = [mark for code in plan.mistakes for mark in MISTAKES[code](book)]
    places = write_book(plan.path, book, constant_memory=spec.rows_per_sheet is not None)
    return [placed(mark, plan.path, places) for mark in marks]


def build_book(spec: SampleSpec, plan: RepPlan) -> Book:
    """Every customer's story and the rows it leaves; in benchmark mode each sheet capped and topped up."""
    rng = random.Random(f"{spec.seed}:rep:{plan.index}")
    book = Book(spec, plan, rng, spec.as_of, {key: Table(key) for key in rep_sheets()})
    arcs = archetypes(rng, len(plan.customers))
    book.stories = [tell_story(book, no, company, arc)
                    for no, (company, arc) in enumerate(zip(plan.customers, arcs), start=1)]
    cap = spec.rows_per_sheet
    full: set[str] = set()
    for story in book.stories:
        for key in book.tables:
            if key not in full:
                _add_group(book, key, story, BUILDERS[key](book, story), cap, full)
    if cap:
        _pad(book, cap, full)
        _drop_unvisited_deliveries(book)
        _hold_back_ungated(book)
    return book


def _add_group(book: Book, key: str, story: Story, rows: list[Row], cap: int | None,
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


def _pad(book: Book, cap: int, full: set[str]) -> None:
    """Benchmark mode: top up sheets that only some customers fill, with more of the same work."""
    for key, extra in EXTRA.items():
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


def _drop_unvisited_deliveries(book: Book) -> None:
    """A delivery whose follow-up visit did not fit into a capped sheet is left undelivered."""
    for story in book.stories:
        if "visits" not in story.rows:
            for row in story.rows.get("pipeline", ()):
                row["delivered"] = None


def _hold_back_ungated(book: Book) -> None:
    """An open deal whose decision chain, needs analysis or proposal did not fit into a capped sheet stays
    before the stage gate that needs it (stage-gate-*)."""
    gates = Config().stage_gates
    for story in book.stories:
        missing = [gates[g] for g, key in (("decision-chain", "decision_chain"), ("budget", "needs"),
                                          ("solution", "solution")) if key not in story.rows]
        for row in story.rows.get("pipeline", ()):
            if missing and row["forecast"] not in CLOSED and STAGES.index(row["stage"]) + 1 >= min(missing):
                stage = min(missing) - 1
                row.update(stage=STAGES[stage - 1], win_probability=stage_probability(STAGES[stage - 1]),
                           forecast=FORECAST_OF_STAGE[stage])
