"""Rules relating rows of different forms: unknown customers, contract amounts against negotiations,
price floors, needs confirmations, follow-up after delivery, late entries, one customer claimed by two reps."""
from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from xltools.checks.rules.rows import Rows, customer_of, finding_at, first_amount_row, group_by, unreadable
from xltools.checks.rules.unit import ALL_FORMS, CONTRACT, CUSTOMER, CUSTOMER_INFORMATION, rule
from xltools.checks.rules.vocabulary import AMOUNT_TOLERANCE, PRICE
from xltools.forms.model import Record
from xltools.forms.values import add_workdays, clean_text, parse_number
from xltools.ingest.findings import ERROR, WARNING, Finding
from xltools.text import Text


def _parse_floor(text: Any) -> float | None:
    """我方底线 as 万元: "22", "22万", "22万/年"; None when it is not one number."""
    cleaned = clean_text(text)
    for candidate in (cleaned, cleaned.removesuffix("/年").removesuffix("每年")):
        try:
            return parse_number(candidate, "万元")
        except ValueError:
            continue
    return None


# Across forms
@rule("customer-unknown", WARNING,
       'a row of any form but customers/targets names a customer not in customer information; only when '
       'the run has customer rows.',
       zh='客户“{value}”不在客户信息表中{hint}',
       en="Customer '{value}' is not in customer information{hint}",
       title=Text("客户不在客户信息表", "Unknown customer"),
       forms=ALL_FORMS, relates_by=(CUSTOMER, CUSTOMER_INFORMATION))
def check_customer_unknown(rows: Rows) -> Iterator[Finding]:
    if not rows.has_customers:
        return                                # no customer information to compare with
    named = [(r, customer) for form, records in rows.by_form.items()
             if form != "customers" and rows.spec(form).customer_field == "customer"
             for r in records if (customer := customer_of(r))]
    known = rows.registered({customer for _, customer in named})
    for r, customer in named:
        if customer not in known:
            yield finding_at("customer-unknown", r, "customer", hint=rows.shared(_did_you_mean)(customer))


def _did_you_mean(rows: Rows) -> Callable[[str], Text | str]:
    """Customer key -> the registered name closest to it (a typo, a word more or less), else nothing."""
    known = rows.customer_names
    names = sorted(known)                     # once, not once per unknown customer

    @cache
    def hint(key: str) -> Text | str:
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        if not close:
            return ""
        name = known[close[0]]
        return Text(zh=f"，您是否指 {name}？", en=f". Did you mean {name}?")
    return hint


def _latest_prices(rows: Rows) -> dict[str, float]:
    """Customer key -> the latest agreed 价格 amount (by date, then row order)."""
    latest: dict[str, tuple] = {}
    for r in rows.of("negotiations"):
        if r.get("clause") != PRICE or r.get("agreed_amount") is None or r.get("date") is None or not customer_of(r):
            continue
        rank = (r.get("date"), rows.order[id(r)])
        if customer_of(r) not in latest or rank > latest[customer_of(r)][0]:
            latest[customer_of(r)] = (rank, r.get("agreed_amount"))
    return {k: amount for k, (_, amount) in latest.items()}


@rule("amount-mismatch", ERROR,
       "a contract's amount differs (> 1e-6) from the latest 价格 agreement (by date, then row order) with "
       'that customer.',
       zh='{customer}：合同金额 {value} 与谈判共识价格 {other} 不一致',
       en='{customer}: Contract amount {value} differs from the agreed price {other}',
       title=Text("合同金额与谈判不符", "Amount differs from negotiation"),
       forms=("contracts", "negotiations"), relates_by=(CONTRACT, CUSTOMER))
def check_amount_mismatch(rows: Rows) -> Iterator[Finding]:
    prices = _latest_prices(rows)
    for contract in rows.contracts.values():
        first = first_amount_row(contract)
        agreed = prices.get(customer_of(first)) if first else None
        if agreed is not None and abs(first.get("amount") - agreed) > AMOUNT_TOLERANCE:
            yield finding_at("amount-mismatch", first, "amount", other=agreed)


@rule("below-floor", WARNING,
       'a 价格 agreement below 我方底线 (a number like "22", "22万" or "22万/年"; anything else is not compared).',
       zh='{customer}：共识金额 {value} 低于我方底线 {other}，需审批',
       en='{customer}: Agreed {value} is below our floor {other}; needs approval',
       title=Text("低于底线价", "Below our floor"),
       forms=("negotiations",))
def check_below_floor(rows: Rows) -> Iterator[Finding]:
    floors = cache(_parse_floor)              # the same few texts come back row after row
    for r in rows.of("negotiations"):
        agreed = r.get("agreed_amount")
        if r.get("clause") != PRICE or agreed is None or not r.get("floor"):
            continue
        floor = floors(r.get("floor"))
        if floor is not None and agreed < floor:
            yield finding_at("below-floor", r, "agreed_amount", other=floor)


@rule("confirmation-late", WARNING,
       '需求确认函 sent more than confirmation_days after the meeting.',
       zh='{customer}：需求确认函在需求挖掘 {days} 天后才发送（应在 {limit} 天内）',
       en='{customer}: The needs confirmation went out {days} days after the meeting (due within {limit})',
       title=Text("需求确认函迟发", "Needs confirmation late"),
       forms=("needs",), settings=("confirmation_days",))
def check_confirmation(rows: Rows) -> Iterator[Finding]:
    """Sent, but later than allowed."""
    for r, days, limit in _confirmation_delays(rows):
        if r.get("confirmation_sent") is not None:
            yield finding_at("confirmation-late", r, "confirmation_sent", days=days, limit=limit)


@rule("confirmation-missing", WARNING,
       'not sent, and as_of is already past that (days = as_of - date).',
       zh='{customer}：需求挖掘已过 {days} 天仍未发送需求确认函（应在 {limit} 天内）',
       en='{customer}: No needs confirmation sent {days} days after the meeting (due within {limit})',
       title=Text("需求确认函未发", "Needs confirmation missing"),
       forms=("needs",), settings=("confirmation_days",), as_of={"needs": "date"},
       lead=lambda config: config.confirmation_days, daily=True, reads={"needs": ("confirmation_sent",)})
def check_confirmation_missing(rows: Rows) -> Iterator[Finding]:
    """Not sent, and the allowed days have already passed."""
    for r, days, limit in _confirmation_delays(rows):
        if r.get("confirmation_sent") is None:
            yield finding_at("confirmation-missing", r, "confirmation_sent", days=days, limit=limit)


def _confirmation_delays(rows: Rows) -> Iterator[tuple[Record, int, int]]:
    limit = rows.ctx.config.confirmation_days
    for r in rows.of("needs"):
        date, sent = r.get("date"), r.get("confirmation_sent")
        if date is None or unreadable(r, "confirmation_sent"):
            continue
        days = (sent - date).days if sent is not None else (rows.ctx.as_of - date).days
        if days > limit:
            yield r, days, limit


@rule("delivery-followup-missing", WARNING,
       'no visit of the customer from 交付日期 up to delivery_followup_workdays working days (Mon-Fri) after '
       'it, and that window ended before as_of.',
       zh='{customer}：交付（{value}）后 {limit} 个工作日内没有回访',
       en='{customer}: No follow-up visit within {limit} working days of delivery ({value})',
       title=Text("交付后未回访", "No follow-up after delivery"),
       forms=("pipeline", "visits"), relates_by=(CUSTOMER.on("pipeline", "visits"),),
       settings=("delivery_followup_workdays",),
       as_of={"pipeline": "delivered"}, lead=lambda config: 2 * config.delivery_followup_workdays + 4,
       reads={"visits": ("date",)})
def check_delivery_followup(rows: Rows) -> Iterator[Finding]:
    workdays = rows.ctx.config.delivery_followup_workdays
    for r in rows.of("pipeline"):
        delivered = r.get("delivered")
        if delivered is None or not customer_of(r):
            continue
        end = add_workdays(delivered, workdays)
        if end >= rows.ctx.as_of:
            continue                          # the rep still has time
        if not any(delivered <= d <= end for d in rows.visit_dates.get(customer_of(r), ())):
            yield finding_at("delivery-followup-missing", r, "delivered", limit=workdays)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


@rule("entry-late", WARNING,
       'a needs or negotiation row first seen by the store more than entry_hours after the end of the '
       'meeting day (the form has no time of day); ``hours`` rounded up. Rows never stored: skipped.',
       zh='{customer}：{value} 的记录在 {hours} 小时后才录入（应在 {limit} 小时内）',
       en='{customer}: The record of {value} was entered {hours} hours later (due within {limit})',
       title=Text("录入不及时", "Entered late"),
       forms=("needs", "negotiations"), settings=("entry_hours",))
def check_entry_late(rows: Rows) -> Iterator[Finding]:
    limit = rows.ctx.config.entry_hours
    for form in rows.by_form:
        key = rows.spec(form).timely_field
        for r in rows.of(form) if key else ():
            delay = _entry_delay(rows, r, key)
            if delay is not None and delay > dt.timedelta(hours=limit):
                yield finding_at("entry-late", r, key, hours=math.ceil(delay.total_seconds() / 3600), limit=limit)


def _entry_delay(rows: Rows, record: Record, key: str) -> dt.timedelta | None:
    """How long after its meeting day the row was entered; None when not known."""
    date, since = record.get(key), rows.ctx.watched_since.get(record.file)
    # Only a row that appeared in a file the store was already watching has a known entry time.
    if date is None or record.first_seen is None or since is None or record.first_seen <= since:
        return None
    # The form has no time of day: count from the end of the meeting day.
    return _naive(record.first_seen) - dt.datetime.combine(date + dt.timedelta(days=1), dt.time.min)


@rule("duplicate-claim", WARNING,
       "one customer in customer information owned by two or more reps; the first claim stands (the "
       "store's first sighting; between rows first seen together, or without a store, the file modified "
       "earlier, then row order), so an edit never moves it; each other rep's row is reported.",
       zh='客户“{value}”同时由 {reps} 跟进（撞单）',
       en="Customer '{value}' is claimed by {reps}",
       title=Text("撞单", "Duplicate claim"),
       forms=("customers",), relates_by=(CUSTOMER,))
def check_duplicate_claim(rows: Rows) -> Iterator[Finding]:
    claims = [r for r in rows.of("customers") if r.get("owner")]
    for group in group_by(claims, customer_of).values():
        reps = sorted({clean_text(r.get("owner")) for r in group})
        if len(reps) < 2:
            continue
        ranked = sorted(group, key=lambda r: (r.first_seen is None, _naive(r.first_seen) if r.first_seen
                                              else dt.datetime.min, rows.ctx.file_order.get(r.file, math.inf),
                                              rows.order[id(r)]))
        owner = clean_text(ranked[0].get("owner"))
        for r in group:
            if clean_text(r.get("owner")) != owner:
                yield finding_at("duplicate-claim", r, "customer", reps=reps)

