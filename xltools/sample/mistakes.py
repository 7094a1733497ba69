"""Typical mistakes planted in a rep's workbook, each recorded with its file, sheet, cell and the finding
code validation must report there (SampleInfo.planted). Which rep gets which: plan.MISTAKE_ORDER."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from xltools.forms.config import Config
from xltools.forms.schema import load_schema
from xltools.sample.book import Book, Row, Story
from xltools.sample.dates import workday
from xltools.sample.names import GIVEN_NAMES, MOBILE_PREFIXES, SURNAMES
from xltools.sample.quirks import mobile_rows
from xltools.sample.terms import DECISION_MAKER, GM_STEP, OPEN, REBATE_PENDING, REJECTED, WON_STAGE

FORMULA_TEXT = '=HYPERLINK("http://crm.example.com/feedback/1024","查看客户反馈截图")'


@dataclass
class Mark:
    """A planted mistake before the workbook is written: the row object and the field."""
    sheet: str
    row: Row
    field: str
    code: str


def _pick(book: Book, key: str, field_key: str, test: Callable[[Row], bool] = lambda r: True) -> Row | None:
    """The last row of a sheet that passes ``test`` and whose cell no quirk touched."""
    rows = [r for r in book.tables[key].data() if book.free(r, field_key) and test(r)]
    return rows[-1] if rows else None


def _mark(book: Book, key: str, row: Row | None, field_key: str, code: str, value: Any = None,
          set_value: bool = True) -> list[Mark]:
    if row is None:
        return []
    if set_value:
        row[field_key] = value
    book.touch(row, field_key)
    return [Mark(key, row, field_key, code)]


def _plant_required(book: Book) -> list[Mark]:
    return _mark(book, "customers", _pick(book, "customers", "phone"), "phone", "required", None)


def _plant_format(book: Book) -> list[Mark]:
    mobiles = {id(r) for r in mobile_rows(book)}
    row = _pick(book, "customers", "phone", lambda r: id(r) in mobiles)
    return _mark(book, "customers", row, "phone", "format", row["phone"][:-1] if row else None)


def _plant_enum(book: Book) -> list[Mark]:
    return _mark(book, "customers", _pick(book, "customers", "industry"), "industry", "enum", "互联网")


def _plant_range(book: Book) -> list[Mark]:
    return _mark(book, "visits", _pick(book, "visits", "satisfaction"), "satisfaction", "range", 6)


def _plant_weights(book: Book) -> list[Mark]:
    """The decision maker's weight lowered by 10: the chain adds up to 90. Reported on its first row."""
    row = _pick(book, "decision_chain", "weight", lambda r: r["role"] == DECISION_MAKER)
    return _mark(book, "decision_chain", row, "weight", "weights-sum", row["weight"] - 10 if row else None)


def _contract_of(book: Book, test: Callable[[Story, list[Row]], bool]) -> list[Row]:
    """The rows of the last customer's first contract that passes ``test`` and no quirk touched."""
    for story in reversed(book.stories):
        rows = story.rows.get("contracts")
        if not rows:
            continue
        rows = [r for r in rows if r["contract_id"] == rows[0]["contract_id"]]
        if all(book.free(r, "amount") for r in rows) and test(story, rows):
            return rows
    return []


def _has_agreed_price(story: Story, rows: list[Row]) -> bool:
    """The agreed price was kept in the negotiations sheet (a capped sheet may have dropped it)."""
    return any(r.get("agreed_amount") is not None for r in story.rows.get("negotiations", ()))


def _needs_gm(story: Story, rows: list[Row]) -> bool:
    """The chain reaches the general manager and nobody rejected it."""
    return any(r["step"] == GM_STEP for r in rows) and all(r["decision"] != REJECTED for r in rows)


def _plant_amount_mismatch(book: Book) -> list[Mark]:
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
    return [Mark("contracts", rows[0], "amount", "amount-mismatch")]


def _plant_approval_authority(book: Book) -> list[Mark]:
    """A contract of at least 20 万 whose chain skips 总经理审批."""
    rows = _contract_of(book, _needs_gm)
    gm = [r for r in rows if r["step"] == GM_STEP]
    if not gm:
        return []
    _remove(book.tables["contracts"].rows, gm[0])
    for story in book.stories:
        _remove(story.rows.get("contracts", []), gm[0])
    for row in rows:
        book.touch(row, "amount")
    return [Mark("contracts", rows[0], "amount", "approval-authority")]


def _remove(rows: list, row: Row) -> None:
    """Remove this very row (not merely an equal one)."""
    rows[:] = [r for r in rows if r is not row]


def _plant_objection_overdue(book: Book) -> list[Mark]:
    """An open objection whose 计划解决时间 passed before as_of."""
    row = _pick(book, "objections", "resolve_by", lambda r: r["status"] == OPEN) or \
        _pick(book, "objections", "resolve_by")
    if row is None:
        return []
    row["status"] = OPEN
    # Overdue by over a week, so it also shows in a run dated a week before as_of.
    row["resolve_by"] = max(row["raised"], min(row["raised"] + timedelta(days=5), book.as_of - timedelta(days=10)))
    return _mark(book, "objections", row, "resolve_by", "objection-overdue", set_value=False)


def _plant_stale_close(book: Book) -> list[Mark]:
    """An open opportunity whose 预计签约时间 already passed."""
    open_ids = {id(r) for s in book.stories if s.open for r in s.rows.get("pipeline", ())}
    row = _pick(book, "pipeline", "expected_close", lambda r: id(r) in open_ids)
    day = workday(book.as_of - timedelta(days=book.rng.randint(10, 25)))
    return _mark(book, "pipeline", row, "expected_close", "close-date-stale", day)


def _plant_formula_text(book: Book) -> list[Mark]:
    """Feedback that looks like a formula: it must stay text, never become a live formula."""
    row = _pick(book, "objections", "feedback")
    return _mark(book, "objections", row, "feedback", "formula-text", FORMULA_TEXT)


def _plant_duplicate_claim(book: Book) -> list[Mark]:
    """This rep also lists another rep's customer, by its short name (撞单)."""
    rng = book.rng
    surname = rng.choice(SURNAMES)
    row = {"customer": book.plan.claim, "industry": "其他", "contact": surname + rng.choice(GIVEN_NAMES),
           "title": "采购经理", "phone": rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}",
           "initial_need": "电话沟通中了解到有采购计划", "source": "电话开发", "owner": book.plan.name,
           "grade": "C类", "next_follow_up": workday(book.as_of + timedelta(days=10)),
           "account_type": "A 开拓型"}
    book.tables["customers"].rows.append(row)
    return _mark(book, "customers", row, "customer", "duplicate-claim", set_value=False)


def _plant_unpaid(book: Book) -> list[Mark]:
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
        won_at = "stage" if deal["stage"] == WON_STAGE else "forecast"
        book.touch(deal, won_at)
        return [Mark("collections", row, "planned_date", "collection-overdue"),
                Mark("pipeline", deal, won_at, "won-not-collected")]
    return []


def _plant_rebate_unapproved(book: Book) -> list[Mark]:
    """A rebate already paid while the 总经理 has not decided."""
    for story in reversed(book.stories):
        rows = story.rows.get("rebates")
        if rows and all(book.free(r, "decision") for r in rows):
            rows[-1]["decision"], rows[-1]["decided"] = REBATE_PENDING, None
            book.touch(rows[-1], "decision")
            return [Mark("rebates", rows[0], "status", "rebate-unapproved")]
    return []


MISTAKES: dict[str, Callable[[Book], list[Mark]]] = {
    "required": _plant_required, "format": _plant_format, "enum": _plant_enum, "range": _plant_range,
    "weights-sum": _plant_weights, "amount-mismatch": _plant_amount_mismatch,
    "approval-authority": _plant_approval_authority, "objection-overdue": _plant_objection_overdue,
    "close-date-stale": _plant_stale_close, "formula-text": _plant_formula_text,
    "duplicate-claim": _plant_duplicate_claim, "unpaid": _plant_unpaid, "rebate-unapproved": _plant_rebate_unapproved,
}


def placed(mark: Mark, path: Path, places: dict[str, tuple[dict[int, int], dict[str, str]]]) -> dict:
    """The mistake as SampleInfo.planted lists it: file, sheet, cell, code, field, value."""
    rows, columns = places[mark.sheet]
    return {"file": path, "sheet": load_schema().sheets[mark.sheet].name.zh,
            "cell": f"{columns[mark.field]}{rows[id(mark.row)]}", "code": mark.code, "field": mark.field,
            "value": mark.row.get(mark.field)}
