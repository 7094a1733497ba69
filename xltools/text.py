"""The one bilingual text type: every sentence a user reads exists in Chinese and English.

``Text`` is what the schema's labels, the findings, the reports, the errors and the workbooks'
captions are made of; ``text(lang)`` picks the language. Code never branches on ``lang`` itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class Text:
    """A text in both languages."""
    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def format(self, **values) -> Text:
        """Both languages with the same ``{placeholders}`` filled in; a Text value fills each in its own language."""
        return Text(self.zh.format(**_in("zh", values)), self.en.format(**_in("en", values)))

    def __add__(self, other: Text | str) -> Text:
        if isinstance(other, str):
            return Text(self.zh + other, self.en + other)
        return Text(self.zh + other.zh, self.en + other.en)


def _in(lang: Lang, values: dict) -> dict:
    return {key: value(lang) if isinstance(value, Text) else value for key, value in values.items()}


def texts(table: dict[str, tuple[str, str]]) -> dict[str, Text]:
    """A table of ``key: (zh, en)`` pairs as Texts: how word lists are written in one line each."""
    return {key: Text(zh, en) for key, (zh, en) in table.items()}
