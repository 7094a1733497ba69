"""Business rules: what ``validate`` checks beyond one cell's type and format.

``run_rules(records, ctx)`` takes every row of every file of one run, so rules that
compare forms, files and reps see them all; ``run_rules(..., skip={...})`` leaves rules out.

Each rule is one unit: a function decorated with ``@rule`` (``unit.py``), which declares the one
finding code it emits with its severity, zh/en message templates and short title, what it checks,
the forms and settings it reads, the dates it compares with the as-of day, and the keys through
which it relates rows of different files (``CUSTOMER``, ``CONTRACT`` ...).
docs/rules.md is generated from these declarations, and ``merge`` re-checks after an edit
exactly the rows that share a declared key value with a changed row, so a rule that
relates rows by a key it does not declare would make a re-merge differ from a full merge.

The rules live by subject: ``per_form`` (required values, duplicates, decision chains, proposals,
dates, objections), ``contracts`` (the approval chain), ``pipeline`` (visits, follow-ups, deals,
stage gates), ``across_forms`` (customers, prices, confirmations, delivery, entry, claims) and
``collections_and_rebates``; ``rows`` holds what they all read, ``vocabulary`` the choice values
they test for. A rule runs over every row of the run, so what several rules derive alike (the
natural-key groups, the decision chains ...) is computed once per run with ``rows.shared(fn)``. They register in the order imported below: that order is the registry's (docs/rules.md
lists the rules in it), so a new rule goes at the end of its subject's module.

To add a rule: write one ``@rule`` function in its subject's module (a new code, never a renamed
one; declare every key through which it compares rows, ``EVERYTHING`` if it compares each row with
all others, and the dates it compares with the as-of day), add its tests, and run ``xltools
templates docs``. Nothing in ``merge`` changes. Settings stay in ``config.Config``, with
their defaults and docs; a rule names the ones it reads.

A rule never speaks about a value it needs that is missing or unreadable: the
``required``, ``type`` and ``enum`` findings already point at that cell, and the rule
speaks once the rep fixes it. Customers are matched across forms with
``model.customer_key`` (深圳市华络通信有限公司 and 华络通信 are one customer). "First" and
"latest" follow the order of ``records``.

Findings come back sorted by ``ingest.findings.finding_order``: file, form (schema order), sheet,
row, column, severity and code.
"""
from xltools.checks.rules.rows import RuleContext
from xltools.checks.rules.unit import (CONTRACT, CUSTOMER, EVERYTHING, RULES, Key, Rule, key_values, lookup_columns,
                                       related_keys, rule, run_rules)
from xltools.checks.rules.vocabulary import CLOSED_FORECASTS, GM_STEP, WON_STAGE

# The rules, in the registry's order.
from xltools.checks.rules import per_form, contracts, pipeline, across_forms, collections_and_rebates  # noqa: E402,F401,I001

__all__ = ["CLOSED_FORECASTS", "CONTRACT", "CUSTOMER", "EVERYTHING", "GM_STEP", "RULES", "WON_STAGE", "Key", "Rule",
           "RuleContext", "key_values", "lookup_columns", "related_keys", "rule", "run_rules"]
