"""Recognising a form in a sheet: which form it holds (by the template's tag, its name, or its
headers anywhere in the first rows, in any order, Chinese or English, with aliases), where its
header row is, and which column holds which field."""
from __future__ import annotations

import re
from typing import Any

from xltools.ingest.findings import Finding, column_letter
from xltools.forms.model import SheetData
from xltools.forms.schema import Schema, SheetSpec, norm_label
from xltools.forms.values import is_blank, to_text

HEADER_SCAN_ROWS = 10
_REQUIRED_MARK = re.compile(r"(\*|＊|※|\(必填\)|（必填）|必填)$")


def find_form(schema: Schema, name: str, grid: list[list[Any]], tagged: str | None
              ) -> tuple[SheetSpec | None, int]:
    """The form a sheet holds and the index of its header row."""
    named = tagged or schema.sheet_name_lookup.get(norm_label(name))
    candidates = [schema.sheets[named]] if named else list(schema.sheets.values())
    labels = [set(map(_header_key, row)) for row in grid[:HEADER_SCAN_ROWS]]   # once for every candidate
    best: tuple[int, int, SheetSpec | None] = (0, 0, None)
    for spec in candidates:
        for index, keys in enumerate(labels):
            hits = len({spec.header_lookup.get(key) for key in keys} - {None})
            if hits > best[0]:
                best = (hits, index, spec)
    hits, index, spec = best
    if named:                            # the name or metadata decides; headers only locate the row
        return schema.sheets[named], index if hits else 0
    required = sum(f.required for f in spec.fields) if spec else 0
    if spec is None or hits < max(2, (required + 1) // 2):
        return None, 0
    return spec, index


def _header_key(value: Any) -> str:
    return _REQUIRED_MARK.sub("", norm_label(value)) if not is_blank(value) else ""


def map_columns(spec: SheetSpec, name: str, header_row: int, header: list[Any]) -> SheetData:
    """The sheet's columns by field (``header_row`` counted from 1); unknown headers are extra."""
    columns: dict[str, str] = {}
    extra: dict[str, str] = {}
    for index, value in enumerate(header, start=1):
        if is_blank(value):
            continue
        key = spec.header_lookup.get(_header_key(value))
        if key and key not in columns:
            columns[key] = column_letter(index)
        else:
            extra[to_text(value)] = column_letter(index)
    return SheetData(spec.key, name, header_row, columns, extra)


def column_findings(path: str, spec: SheetSpec, sheet: SheetData) -> list[Finding]:
    """Required columns missing, extra columns ignored."""
    mapped = {k for key in sheet.columns for k in key.split("+")}
    findings = [Finding("column-missing", path, spec.key, sheet.sheet, sheet.header_row, field=f.key,
                        params={"label": f.label})
                for f in spec.fields if f.required and f.key not in mapped]
    findings += [Finding("column-extra", path, spec.key, sheet.sheet, sheet.header_row, column=col,
                         value=header, params={"label": header})
                 for header, col in sheet.extra_columns.items()]
    return findings
