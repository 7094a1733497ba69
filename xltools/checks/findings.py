"""Findings as people read them: the severity words and each code's short title.

The ``Finding`` type and the codes of reading live in ``xltools.ingest.findings``; each rule
declares its own code, message and title with ``@rule`` in ``xltools.checks.rules``.
"""
from __future__ import annotations

from xltools.checks.rules import RULES
from xltools.ingest.findings import CODES, ERROR, INFO, WARNING
from xltools.text import Text

SEVERITY_WORDS = {ERROR: Text("错误", "error"), WARNING: Text("警告", "warning"), INFO: Text("提示", "info")}

TITLES: dict[str, Text] = ({code: c.title for code, c in CODES.items() if code not in RULES}
                           | {code: unit.title for code, unit in RULES.items()})
"""Each code's short title, for a manager's summary: reading's codes, then each rule's."""


def code_title(code: str, lang: str = "zh") -> str:
    """The code's title in ``lang``; an unknown code (from an older store) shows as itself."""
    return TITLES[code](lang) if code in TITLES else code
