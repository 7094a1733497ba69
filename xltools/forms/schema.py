"""The forms of the sales process as objects, loaded from ``forms.yaml``.

Everything else (templates, reading, validation, the store, the docs) asks these
objects; nothing else in the package names a form's columns.
"""
from __future__ import annotations

import re
import unicodedata
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from xltools.text import Lang, Text  # noqa: F401 - re-exported: the schema speaks in Texts

SCHEMA_FILE = Path(__file__).with_name("forms.yaml")
FieldType = Literal["text", "date", "month", "int", "number", "percent", "enum",
                    "phone_or_email", "contract_id"]


def norm_label(text: Any) -> str:
    """Normalise a header or a choice for matching: NFKC, no spaces, case-folded.

    NFKC turns full-width brackets, digits and letters into their ASCII forms.
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


class Choice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    value: str
    en: str | None = None
    aliases: tuple[str, ...] = ()
    probability: float | None = None
    """Default win probability (%) of a funnel stage."""
    role: str | None = None
    """What the code means by this choice (won, closed, decision-maker ...), so it is spelled once."""

    def label(self, lang: Lang) -> str:
        return self.en if lang == "en" and self.en else self.value


class FieldSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    type: FieldType
    label: Text
    help: Text
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    unit: str | None = None
    example: str | int | float | None = None

    @field_validator("example", mode="before")
    @classmethod
    def _plain_example(cls, value):
        # YAML reads 2024-03-12 as a date; keep examples as the text a rep would type.
        return value.isoformat() if hasattr(value, "isoformat") else value

    @field_validator("choices", mode="before")
    @classmethod
    def _plain_choices(cls, value):
        return [{"value": c} if isinstance(c, str) else c for c in value or ()]

    def bounds(self) -> tuple[float | None, float | None]:
        """The allowed range, with the implicit 0-100 of percents."""
        if self.type == "percent":
            return (0 if self.min is None else self.min, 100 if self.max is None else self.max)
        return self.min, self.max

    def choice_values(self) -> list[str]:
        return [c.value for c in self.choices]

    def with_role(self, role: str) -> str:
        """The value of the choice that plays ``role`` (see forms.yaml)."""
        found = [c.value for c in self.choices if c.role == role]
        if len(found) != 1:
            raise ValueError(f"{self.key}: {len(found)} choices have the role {role!r}, not one")
        return found[0]

    @cached_property
    def choice_lookup(self) -> dict[str, str]:
        """Normalised spelling -> canonical value, for every value, English name and alias."""
        lookup: dict[str, str] = {}
        for c in self.choices:
            for spelling in (c.value, c.en, *c.aliases):
                if spelling:
                    lookup.setdefault(norm_label(spelling), c.value)
        return lookup

    def headers(self) -> list[str]:
        return [self.label.zh, self.label.en, *self.aliases]


class Combined(BaseModel):
    """One header that holds several fields, like 企业规模 = "200人/1亿"."""
    model_config = ConfigDict(frozen=True, extra="forbid")
    labels: tuple[str, ...]
    fields: tuple[str, ...]


class SheetSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    name: Text
    fields: tuple[FieldSpec, ...]
    natural_key: tuple[str, ...]
    customer_field: str | None = None
    rep_field: str | None = None
    timely_field: str | None = None
    combined: tuple[Combined, ...] = ()

    def field(self, key: str) -> FieldSpec:
        return self.field_map[key]

    @cached_property
    def field_map(self) -> dict[str, FieldSpec]:
        return {f.key: f for f in self.fields}

    @cached_property
    def header_lookup(self) -> dict[str, str]:
        """Normalised header -> field key (or '+'-joined keys for a combined column)."""
        lookup: dict[str, str] = {}
        for f in self.fields:
            for h in f.headers():
                lookup.setdefault(norm_label(h), f.key)
        for c in self.combined:
            for h in c.labels:
                lookup.setdefault(norm_label(h), "+".join(c.fields))
        return lookup

    @property
    def table_name(self) -> str:
        """The Excel Table's name in templates: survives a rep renaming the sheet."""
        return f"xl_{self.key}"


class FormSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    title: Text
    stage: Text
    sheets: tuple[SheetSpec, ...]
    admin: bool = False


class Schema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: int
    forms: tuple[FormSpec, ...] = Field(min_length=1)

    @cached_property
    def sheets(self) -> dict[str, SheetSpec]:
        """Every sheet of every form by key, in schema order."""
        return {s.key: s for f in self.forms for s in f.sheets}

    def form(self, key: str) -> FormSpec:
        for f in self.forms:
            if f.key == key:
                return f
        raise KeyError(key)

    def form_of(self, sheet_key: str) -> FormSpec:
        return next(f for f in self.forms if any(s.key == sheet_key for s in f.sheets))

    @cached_property
    def sheet_name_lookup(self) -> dict[str, str]:
        """Normalised sheet or form name -> sheet key."""
        lookup: dict[str, str] = {}
        for form in self.forms:
            for s in form.sheets:
                for name in (s.key, s.name.zh, s.name.en):
                    lookup.setdefault(norm_label(name), s.key)
            if len(form.sheets) == 1:
                for name in (form.title.zh, form.title.en):
                    lookup.setdefault(norm_label(name), form.sheets[0].key)
        return lookup

    # Convert
    def to_descriptor(self) -> dict:
        return self.model_dump(mode="json", exclude_defaults=True)

    @classmethod
    def from_descriptor(cls, data: dict) -> "Schema":
        return cls.model_validate(data)


def vocabulary(form: str, key: str, role: str) -> str:
    """The bundled schema's word for a role, e.g. ("pipeline", "forecast", "won") -> 已成交."""
    return load_schema().sheets[form].field(key).with_role(role)


@lru_cache(maxsize=None)
def load_schema(path: str | Path = SCHEMA_FILE) -> Schema:
    """Load and check the forms file (cached: the schema is immutable)."""
    with open(path, encoding="utf-8") as fh:
        return Schema.from_descriptor(yaml.safe_load(fh))
