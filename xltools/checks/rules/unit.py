"""What makes a rule one unit: the ``@rule`` declaration, the registry it fills, the keys through which
rules relate rows of different files, and ``run_rules``, which runs the registered rules over one run's rows."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from xltools.checks.rules.rows import Rows, RuleContext, customer_of
from xltools.forms.config import Config
from xltools.forms.model import ROW_KEY_FIELDS, Record
from xltools.forms.schema import Schema
from xltools.ingest.findings import CODES, Code, Finding, finding_order
from xltools.text import Text


@dataclass(frozen=True, eq=False)
class Key:
    """A value through which a rule relates rows of different files (e.g. one contract's rows).

    ``fields`` maps each form to the field holding the key; None: every form's customer field,
    compared by ``customer_key``.
    """
    name: str
    description: str
    fields: dict[str, str] | None = None
    presence: bool = False
    """Relates every row with whether these fields are filled anywhere at all, not with equal values."""
    only: tuple[str, ...] | None = None
    """Relates the rows of these forms only (see ``on``)."""

    def on(self, *forms: str) -> "Key":
        """The same key relating the rows of these forms only."""
        return replace(self, only=forms)

    @property
    def title(self) -> str:
        return f"{self.name} ({', '.join(self.only)})" if self.only else self.name

    def columns(self, schema: Schema) -> dict[str, str]:
        """Form -> the field to match, ``CUSTOMER_KEY`` for the normalised customer."""
        if self.fields is None:
            found = {k: CUSTOMER_KEY for k, s in schema.sheets.items() if s.customer_field}
        else:
            found = dict(self.fields)
        return {k: v for k, v in found.items() if self.only is None or k in self.only}


CUSTOMER_KEY = "_customer_key"
CUSTOMER = Key("customer", "the customer named by any form, compared by customer_key")
CONTRACT = Key("contract", "合同编号 of contract approval, collections and rebate applications",
               {"contracts": "contract_id", "collections": "contract_id", "rebates": "contract_id"})
PROJECT = Key("project", "项目编号 of the opportunity pipeline", {"pipeline": "project_id"})
TARGET_REP = Key("target-rep", "the rep of a targets row (covers rep + month)", {"targets": "rep"})
CUSTOMER_INFORMATION = Key("customer-information", "whether customer information has any row at all",
                           {"customers": "customer"}, presence=True)
EVERYTHING = Key("everything", "each row with every other: any change re-checks all rows", {})
ALL_FORMS = ("*",)


@dataclass(frozen=True)
class Rule:
    """One business rule and what it declares about itself."""
    code: str
    description: str
    check: Callable[[Rows], Iterable[Finding]]
    forms: tuple[str, ...]
    relates_by: tuple[Key, ...] = ()
    settings: tuple[str, ...] = ()
    as_of: dict[str, str] = field(default_factory=dict)
    """Form -> the date field compared with the as-of day; empty when the day does not matter."""
    lead: Callable[[Config], int] = lambda config: 0
    """How many days after that date the verdict can still change."""
    daily: bool = False
    """The finding counts the days up to the as-of day: its text changes every day."""
    reads: dict[str, tuple[str, ...]] | None = None
    """Form -> the fields a time-dependent rule reads besides each row's customer, key and as-of date: a new
    day re-checks its rows loaded with these columns only. None: every field."""

    def loads(self, schema: Schema) -> dict[str, list[str]] | None:
        """Form -> the fields to load to re-check this rule's rows (None: every field of every form)."""
        if self.reads is None or self.forms == ALL_FORMS:
            return None
        keys = [key.columns(schema) for key in self.relates_by]
        found = {}
        for form in self.forms:
            spec = schema.sheets[form]
            wanted = {spec.customer_field, *ROW_KEY_FIELDS, self.as_of.get(form), *self.reads.get(form, ()),
                      *(columns.get(form) for columns in keys)}
            found[form] = [f.key for f in spec.fields if f.key in wanted]
        return found

    @property
    def forms_read(self) -> set[str] | None:
        """The forms the rule reads; None: every form."""
        return None if self.forms == ALL_FORMS else set(self.forms)

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    @property
    def title(self) -> Text:
        return CODES[self.code].title

    def __call__(self, rows: Rows) -> Iterable[Finding]:
        return self.check(rows)


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, description: str, *, zh: str, en: str, forms: tuple[str, ...],
         title: Text | None = None, relates_by: tuple[Key, ...] = (),
         settings: tuple[str, ...] = (), as_of: dict[str, str] | None = None,
         lead: Callable[[Config], int] | None = None, daily: bool = False,
         reads: dict[str, tuple[str, ...]] | None = None) -> Callable:
    """Declare the decorated function as the rule emitting ``code``, with that code's severity,
    zh/en message templates (``{value}``, ``{customer}`` and the finding's params fill them) and
    short title (for a manager's summary; every rule has one)."""
    if code in CODES:
        raise ValueError(f"finding code {code!r} is declared twice")
    if title is None:
        raise ValueError(f"rule {code!r} declares no title")
    if as_of and reads is None:
        raise ValueError(f"rule {code!r} compares dates with the as-of day but declares no reads")
    CODES[code] = Code(code, severity, Text(zh, en), title)

    def register(check: Callable[[Rows], Iterable[Finding]]) -> Callable:
        RULES[code] = Rule(code, description, check, forms, relates_by, settings, as_of or {},
                           lead or (lambda config: 0), daily, reads)
        return check
    return register


def related_keys() -> list[Key]:
    """Every key some rule relates rows by, each once (a key on some forms only counts as the whole key
    when another rule relates rows by the whole key)."""
    keys = list(dict.fromkeys(k for r in RULES.values() for k in r.relates_by))
    whole = {k.name for k in keys if k.only is None}
    return [k for k in keys if k.only is None or k.name not in whole]


def key_values(records: Iterable[Record], schema: Schema, keys: Iterable[Key]) -> dict[Key, set]:
    """The values each key takes in these rows (empty ones left out)."""
    found: dict[Key, set] = {k: set() for k in keys}
    columns = [(k.columns(schema), values) for k, values in found.items()]     # once, not once a row
    for r in records:
        for by_form, values in columns:
            column = by_form.get(r.form)
            if column is not None:
                v = customer_of(r) if column == CUSTOMER_KEY else r.get(column)
                if v is not None and v != "":
                    values.add(v)
    return found


def lookup_columns(schema: Schema) -> dict[str, set[str]]:
    """Form -> the fields a re-merge looks its stored rows up by: every key's field (the customer is looked
    up by ``_customer_key``) and every date a rule compares with the as-of day. The store indexes them."""
    found: dict[str, set[str]] = {}
    for key in related_keys():
        if not key.presence:
            for form, column in key.columns(schema).items():
                found.setdefault(form, set()).add(column)
    for unit in RULES.values():
        for form, column in unit.as_of.items():
            found.setdefault(form, set()).add(column)
    return {form: columns - {CUSTOMER_KEY} for form, columns in found.items() if columns - {CUSTOMER_KEY}}


def run_rules(records: list[Record], ctx: RuleContext, skip: Iterable[str] = (), ordered: bool = True) -> list[Finding]:
    """Every rule's findings over all rows of one run, sorted by place unless not ``ordered``; ``skip`` names
    rules to leave out."""
    skip = set(skip)
    unknown = skip - set(RULES)
    if unknown:
        raise ValueError(f"unknown rules {sorted(unknown)}; known: {sorted(RULES)}")
    rows = Rows(records, ctx)
    findings: list[Finding] = []
    for code, unit in RULES.items():
        if code not in skip:
            findings.extend(unit(rows))
    return sorted(findings, key=finding_order(ctx.schema.sheets)) if ordered else findings
