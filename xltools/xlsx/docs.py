"""The forms reference, ``docs/forms.md``, generated from the schema.

``forms_markdown()`` renders it; ``write_docs(path)`` writes it. A test checks the
committed file equals the rendering, so the reference never drifts from the forms.
"""
from __future__ import annotations

from pathlib import Path

from xltools.forms.schema import Choice, FieldSpec, FormSpec, Schema, SheetSpec, load_schema
from xltools.atomic import write_atomically
from xltools.xlsx.templates.build import template_file_name
from xltools.xlsx.templates.sheet_format import ALL_FORMS_TITLE
from xltools.xlsx.templates.validation import allowed_values

DEFAULT_PATH = Path("docs/forms.md")
COLUMNS = ("列名", "Label", "Key", "Type", "Required", "Allowed values / range", "Aliases", "Example")
TYPE_NOTES = {
    "text": "free text",
    "date": "a date, written yyyy-mm-dd",
    "month": "a month, written yyyy-mm",
    "int": "a whole number",
    "number": "a decimal number; with unit 万元 it also takes 22万 or 1亿",
    "percent": "a number from 0 to 100",
    "enum": "one value of a closed list (the template has a dropdown)",
    "phone_or_email": "11-digit mobile starting with 1, landline with area code, or e-mail",
    "contract_id": "HT- followed by year, month and a sequence, like HT-202403001",
}


def forms_markdown(schema: Schema | None = None) -> str:
    schema = schema or load_schema()
    blocks = _preamble(schema)
    for form in schema.forms:
        blocks += _form_blocks(form)
    return "\n\n".join(blocks) + "\n"


def write_docs(path: str | Path = DEFAULT_PATH, schema: Schema | None = None) -> Path:
    """Write the reference to ``path`` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, forms_markdown(schema).encode("utf-8"))
    return path


def _preamble(schema: Schema) -> list[str]:
    types = "\n".join(f"- `{name}`: {note}" for name, note in TYPE_NOTES.items())
    return [
        "# 表单字段说明 / Form fields",
        "Generated from `xltools/forms/forms.yaml` by `xltools templates docs`; do not edit by hand.\n"
        f"Schema version {schema.version}.",
        "Each form has a template in `workbook_templates/` (built by `xltools templates build`); "
        f"`{template_file_name(ALL_FORMS_TITLE.zh)}` holds every form a rep fills. "
        "A header may be written as the Chinese label, the English label or any alias.",
        f"Field types:\n\n{types}",
    ]


def _form_blocks(form: FormSpec) -> list[str]:
    about = f"Stage: {form.stage.zh} / {form.stage.en}. Template: `{template_file_name(form.title.zh)}`."
    if form.admin:
        about += " Kept by the sales admin; not part of the reps' all-in-one workbook."
    blocks = [f"## {form.title.zh} — {form.title.en} (`{form.key}`)", about]
    for sheet in form.sheets:
        blocks += _sheet_blocks(sheet)
    return blocks


def _sheet_blocks(sheet: SheetSpec) -> list[str]:
    table = [_row(COLUMNS), _row(["---"] * len(COLUMNS))]
    table += [_row(_field_cells(field)) for field in sheet.fields]
    blocks = [f"### {sheet.name.zh} — {sheet.name.en} (sheet `{sheet.key}`, table `{sheet.table_name}`)",
              _sheet_roles(sheet), "\n".join(table)]
    for combined in sheet.combined:
        blocks.append(f"Combined column {', '.join(combined.labels)}: one cell holding "
                      f"{' and '.join(f'`{k}`' for k in combined.fields)}, like `200人/1亿`.")
    return blocks


def _sheet_roles(sheet: SheetSpec) -> str:
    roles = [f"One row per {' + '.join(f'`{k}`' for k in sheet.natural_key)}."]
    if sheet.customer_field:
        roles.append(f"Customer: `{sheet.customer_field}`.")
    if sheet.rep_field:
        roles.append(f"Rep: `{sheet.rep_field}`.")
    return " ".join(roles)


def _field_cells(field: FieldSpec) -> list[str]:
    type_text = f"{field.type} ({field.unit})" if field.unit else field.type
    return [field.label.zh, field.label.en, f"`{field.key}`", type_text,
            "✓" if field.required else "", _allowed(field), ", ".join(field.aliases),
            "" if field.example is None else str(field.example)]


def _allowed(field: FieldSpec) -> str:
    if field.choices:
        return "; ".join(_choice_text(c) for c in field.choices)
    return {"date": "yyyy-mm-dd", "month": "yyyy-mm"}.get(field.type) or allowed_values(field, "zh")


def _choice_text(choice: Choice) -> str:
    extras = [e for e in (choice.en if choice.en != choice.value else None,
                          f"{choice.probability:g}%" if choice.probability is not None else None) if e]
    if choice.aliases:
        extras.append("also " + ", ".join(choice.aliases))
    return f"{choice.value} ({'; '.join(extras)})" if extras else choice.value


def _row(cells) -> str:
    return "| " + " | ".join(_escape(c) for c in cells) + " |"


def _escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# The rules reference, docs/rules.md: made from the finding catalogue, the rules' own
# declarations (@rule) and the settings, so it cannot drift from the code.
RULES_PATH = Path("docs/rules.md")
ADDING_A_RULE = (
    "## Adding a rule\n\n"
    "1. Write one function in the module of its subject under `xltools/checks/rules/` decorated with `@rule(code, "
    "severity, description, zh=..., en=..., title=..., forms=..., relates_by=..., settings=..., as_of=..., reads=...)`: "
    "a new code (codes are never renamed), its message templates and short title, the forms it reads, the settings it "
    "reads (defined with their defaults in `xltools/forms/config.py`) and the dates it compares with the as-of day. A "
    "rule with as-of dates also declares `reads`, the other fields it reads of each form (each row's customer and key "
    "are always there): when the day moves, its stored rows are re-checked loaded with those columns only, and a test "
    "fails if it reads another. Declare every key through which it "
    "compares rows of "
    "different files (`CUSTOMER`, `CONTRACT`, `PROJECT`, `TARGET_REP`, or a new `Key`); `EVERYTHING` if it "
    "compares each row with all others. `merge` re-checks after an edit exactly the rows sharing a declared "
    "key value with a changed, added or removed row, so nothing in `merge` changes; the store indexes the fields "
    "of the keys and as-of dates a rule declares when it is next opened.\n"
    "2. Add its tests, and regenerate this page with `xltools templates docs`.")


def rules_markdown() -> str:
    from xltools.ingest.findings import CODES
    from xltools.checks.rules import RULES, related_keys
    blocks = ["# Validation rules", "Generated from `xltools/ingest/findings.py` (codes of reading), the `@rule` "
              "declarations in `xltools/checks/rules/` and `xltools/forms/config.py` by `xltools templates docs`. Codes are "
              "stable: they are never renamed.",
              "## Findings",
              _row(["Code", "Severity", "What it means", "Message (zh)", "Message (en)"]) + "\n" + _row(["---"] * 5)]
    for code in CODES.values():
        meaning = RULES[code.code].description if code.code in RULES else "checked while reading the file"
        blocks[-1] += "\n" + _row([f"`{code.code}`", code.severity, _escape(meaning), _escape(code.message.zh), _escape(code.message.en)])
    blocks += ["## Rules", "What each rule reads. A re-merge re-checks the rows sharing a value of a rule's keys "
               "with a changed row; the As-of column names the dates a rule compares with the day of the run: "
               "when the day moves, those rules are re-run over the rows whose dates it passed (and, for a "
               "*daily* rule, whose message counts the days, the rows it flagged) and the rows related to them.",
               _row(["Rule", "Forms", "Relates rows by", "Settings", "As-of", "Reads on a new day"]) + "\n"
               + _row(["---"] * 6)]
    for unit in RULES.values():
        forms = "all" if unit.forms == ("*",) else ", ".join(f"`{f}`" for f in unit.forms)
        keys = ", ".join(k.title for k in unit.relates_by) or "the row alone"
        settings = ", ".join(f"`{s}`" for s in unit.settings)
        as_of = ", ".join(f"`{form}.{key}`" for form, key in unit.as_of.items()) + (" (daily)" if unit.daily else "")
        loads = unit.loads(load_schema()) if unit.as_of else None
        reads = "; ".join(f"{form}: " + ", ".join(f"`{f}`" for f in fields) for form, fields in loads.items()) if loads else ""
        blocks[-1] += "\n" + _row([f"`{unit.code}`", forms, keys, settings, as_of, reads])
    blocks += ["## Keys", _row(["Key", "What it is"]) + "\n" + _row(["---"] * 2)]
    for key in {k.name: k for k in related_keys()}.values():
        blocks[-1] += "\n" + _row([f"`{key.name}`", _escape(key.description)])
    blocks += ["## Settings", "Override any of them in a `rules.yaml` (a YAML mapping of these names): the one beside "
               "the store is used by every command, `--config FILE` names another. Values are read like the "
               "forms' cells (`50万`); a mapping overrides only the keys it names. A commented example: "
               "[快速上手.md](快速上手.md) §5.",
               _row(["Setting", "Default", "Meaning"]) + "\n" + _row(["---"] * 3)]
    for name, default, meaning in _settings():
        blocks[-1] += "\n" + _row([f"`{name}`", f"`{_escape(default)}`", _escape(meaning)])
    blocks.append(ADDING_A_RULE)
    return "\n\n".join(blocks) + "\n"


def write_rules_docs(path: str | Path = RULES_PATH) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, rules_markdown().encode("utf-8"))
    return path


def _settings() -> list[tuple[str, str, str]]:
    """Each Config field with its default and the docstring written under it."""
    import ast
    import dataclasses

    from xltools.forms import config
    source = Path(config.__file__).read_text(encoding="utf-8")
    cls = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "Config")
    notes, last = {}, None
    for node in cls.body:
        if isinstance(node, ast.AnnAssign):
            last = node.target.id
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and last:
            notes[last] = node.value.value
    defaults = config.Config()
    return [(f.name, repr(getattr(defaults, f.name)), notes.get(f.name, "")) for f in dataclasses.fields(defaults)]
