"""The handout: each rep's next workbook, after a merge.

It is the rep's personal workbook (see ``personal``) holding all the current rows of the files
they sent (the store's rep of each file), every form in the order the rows were first seen, with the latest findings
highlighted at their cells and listed on a 待修正 sheet with links. The rep keeps working in
this one file, fixes what is marked and sends it back in place of their old file.

It lands at the path of the rep's file in the inbox (under ``out_dir``), so that replacing the
old file by the unchanged handout changes nothing in the store: the rows keep their first-seen
times and the findings stay as they were. A rep with several files gets one handout, at the
path of the file holding most of their rows; the admin removes the others from the inbox.
"""
from __future__ import annotations

import contextlib
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from xltools.xlsx.annotate import copy_path, mark_findings
from xltools.atomic import atomic_path
from xltools.errors import refuse_inside, write_each
from xltools.ingest.findings import Finding
from xltools.jobs.places import inbox_key
from xltools.xlsx.personal import current_rows, frame_values, personal_workbook, reps_of
from xltools.forms.schema import Lang
from xltools.text import Text
from xltools.store import open_store
from xltools.xlsx.templates.build import template_metadata
from xltools.xlsx.templates.sheet_format import FIRST_DATA_ROW

TO_FIX = Text(zh="待修正", en="To fix")


def handout(inbox: str | Path, store: str | Path, out_dir: str | Path, lang: Lang = "zh") -> list[Path]:
    """Write each rep's handout into ``out_dir``, at their file's path in ``inbox``; return the paths.

    :raises UsageError: ``out_dir`` is inside the inbox (a handout would replace a rep's file).
    :raises SomeNotWritten: after every other rep's handout was written, when some could not be.
    """
    inbox, out_dir = Path(inbox), Path(out_dir)
    refuse_inside("--out", out_dir, [inbox])
    with contextlib.closing(open_store(store, read_only=True)) as db:
        frames = current_rows(db, inbox_key(inbox))
        sender = {s.id: s.rep for s in db.files().values()}
        findings = db.findings()
        colleagues = reps_of(db)
        schema = db.schema
    for frame in frames.values():                    # a file's rows go back to whoever sent the file
        frame["_sender"] = frame["_file_id"].map(sender)
    def write(rep: str, path: str, target: Path) -> None:
        mine = {key: frame[frame["_sender"] == rep] for key, frame in frames.items()}
        book = personal_workbook(rep, lang, colleagues,
                                 {key: frame_values(frame, schema.sheets[key]) for key, frame in mine.items()}, schema)
        titles = {key: title for title, key in template_metadata(book).items()}
        mark_findings(book, _placed_findings(findings, mine, titles, schema, path), lang, TO_FIX(lang))
        with atomic_path(target) as tmp:
            book.save(tmp)

    jobs = [(copy_path(out_dir, path), partial(write, rep, path, copy_path(out_dir, path)))
            for rep, path in _rep_files(frames).items()]
    return write_each(jobs, Text("发回工作簿", "handout"))


def _rep_files(frames: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Each sender -> the path (in the inbox) of their file holding most of their rows."""
    rows = pd.concat([f[["_sender", "_file"]] for f in frames.values()], ignore_index=True).dropna()
    counts = rows.groupby(["_sender", "_file"]).size().reset_index(name="n")
    counts = counts.sort_values(["_sender", "n", "_file"], ascending=[True, False, True], kind="stable")
    return dict(counts.drop_duplicates("_sender")[["_sender", "_file"]].itertuples(index=False))


def _placed_findings(findings: pd.DataFrame, mine: dict[str, pd.DataFrame], titles: dict[str, str],
                     schema, path: str) -> list[Finding]:
    """The store's findings about the rep's rows, moved to where those rows now stand."""
    where: dict[tuple[str, str, int], tuple[str, int]] = {}
    for key, frame in mine.items():
        for new_row, (file, sheet, row) in enumerate(frame[["_file", "_sheet", "_row"]].itertuples(index=False),
                                                     start=FIRST_DATA_ROW):
            where[(file, sheet, int(row))] = (key, new_row)
    placed = []
    for f in findings.to_dict("records"):
        row = _int(f["row"])
        found = where.get((f["file"], f["sheet"], row)) if row is not None else None
        if found is None:
            continue                                 # not one of these rows (another rep, a whole file)
        key, new_row = found
        spec = schema.sheets[key]
        field = f["field"] if isinstance(f["field"], str) else None
        column = get_column_letter(list(spec.field_map).index(field) + 1) if field in spec.field_map else None
        placed.append(Finding(f["code"], path, key, titles[key], new_row, column, field,
                              _text(f["customer"]), _plain(f["value"]), _text(f["rep"]), severity=f["severity"],
                              fixed_message=Text(f["message_zh"], f["message_en"]), key=_text(f["row_key"])))
    return placed


def _int(value: Any) -> int | None:
    return None if value is None or value != value else int(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _plain(value: Any) -> Any:
    return None if value is None or value != value else value
