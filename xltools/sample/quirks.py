"""What reps really send, all of it still valid: a merged title row, columns in another order, an extra
备注 column, dates and amounts typed as text, full-width digits, grade and stage spelled loosely, a blank
row, short customer names. Which rep does which is dealt out in plan.QUIRK_SLOTS."""
from __future__ import annotations

import re
from datetime import date
from typing import Callable

from xltools.forms.schema import load_schema
from xltools.sample.book import EXTRA_HEADER, Book, Row
from xltools.sample.phrases import REMARKS


def _quirk_title(book: Book) -> None:
    """A title row merged across the header, as reps like to add."""
    schema = load_schema()
    for key, table in book.tables.items():
        form = schema.form_of(key)
        name = form.title.zh if len(form.sheets) == 1 else schema.sheets[key].name.zh
        table.title = f"{name}（{book.plan.region} {book.plan.name}）"


def _quirk_shuffle(book: Book) -> None:
    """Columns in another order: a rep dragged them around."""
    for key, table in book.tables.items():
        order = [f.key for f in load_schema().sheets[key].fields]
        shuffled = order[:]
        while shuffled == order:
            book.rng.shuffle(shuffled)
        table.order = shuffled


def _quirk_blank_row(book: Book) -> None:
    """A blank row left in the data of two sheets."""
    for key in ("customers", "visits"):
        rows = book.tables[key].rows
        if len(rows) >= 3:
            rows.insert(2, None)


def _quirk_extra_column(book: Book) -> None:
    """An extra 备注 column the rep added, filled now and then."""
    for key in ("customers", "pipeline"):
        table = book.tables[key]
        table.extra = True
        for row in table.data()[::3]:
            row[EXTRA_HEADER] = book.rng.choice(REMARKS)


def _quirk_text_dates(book: Book) -> None:
    """Dates typed as text, the two ways reps type them."""
    styles = (lambda d: f"{d.year}年{d.month}月{d.day}日", lambda d: f"{d.year}/{d.month}/{d.day}")
    for key, fld in (("needs", "date"), ("visits", "date"), ("customers", "next_follow_up")):
        for i, row in enumerate(book.tables[key].data()[:2]):
            if isinstance(row.get(fld), date):
                row[fld] = styles[i % 2](row[fld])
                book.touch(row, fld)


def _quirk_amount_text(book: Book) -> None:
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


def mobile_rows(book: Book) -> list[Row]:
    """Customers whose phone is a plain mobile number no quirk has touched yet."""
    return [r for r in book.tables["customers"].data()
            if isinstance(r.get("phone"), str) and re.fullmatch(r"1[3-9]\d{9}", r["phone"])
            and book.free(r, "phone")]


def _quirk_fullwidth_phone(book: Book) -> None:
    """A mobile typed with full-width digits (a Chinese input method left on)."""
    rows = mobile_rows(book)
    if rows:
        rows[0]["phone"] = rows[0]["phone"].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        book.touch(rows[0], "phone")


def _quirk_phone_number(book: Book) -> None:
    """A mobile typed into a number cell: Excel keeps it as 13800138000."""
    rows = mobile_rows(book)
    if rows:
        rows[0]["phone"] = int(rows[0]["phone"])
        book.touch(rows[0], "phone")


def _quirk_grade_spelling(book: Book) -> None:
    """Grades spelled loosely: A, B级, C级."""
    spelled = {"A类": "A", "B类": "B级", "C类": "C级"}
    seen = set()
    for row in book.tables["customers"].data():
        if row["grade"] in spelled and row["grade"] not in seen:
            seen.add(row["grade"])
            row["grade"] = spelled[row["grade"]]
            book.touch(row, "grade")


def _quirk_stage_spelling(book: Book) -> None:
    """Stages typed as the number or the name alone: 3, 有资格."""
    for i, row in enumerate(book.tables["pipeline"].data()[:4]):
        number, name = row["stage"].split(" ", 1)
        row["stage"] = number if i % 2 == 0 else name
        book.touch(row, "stage")


def _quirk_short_names(book: Book) -> None:
    """Later forms name the customer the way the rep says it: 华络通信, not the full name."""
    for story in book.stories:
        for key in ("visits", "objections"):
            for row in story.rows.get(key, ()):
                row["customer"] = story.short
                book.touch(row, "customer")


QUIRKS: dict[str, Callable[[Book], None]] = {
    "title-row": _quirk_title, "column-order": _quirk_shuffle, "blank-row": _quirk_blank_row,
    "extra-column": _quirk_extra_column, "text-dates": _quirk_text_dates, "amount-text": _quirk_amount_text,
    "full-width-phone": _quirk_fullwidth_phone, "phone-as-number": _quirk_phone_number,
    "grade-spelling": _quirk_grade_spelling, "stage-spelling": _quirk_stage_spelling,
    "short-names": _quirk_short_names,
}
