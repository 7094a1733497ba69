"""The benchmark corpus: a folder of rep workbooks made by ``xltools.sample``, cached on disk.

A corpus is identified by (files, rows per sheet, seed) and made deterministically, so two
runs with the same settings time the same bytes. It holds every form, Chinese text, real
dates, 万元 amounts and a few planted mistakes (no broken file: the naive pandas script
would stop at it, and the comparison would be meaningless).

Layout of one corpus folder::

    inbox/          the reps' workbooks (what every case reads)
    指标/           the admin's targets workbook, merged along with the inbox
    original.xlsx   a pristine copy of the one file the re-merge case changes
    changed.xlsx    that file after a week of a rep's edits (xltools.sample.advance_week)
    corpus.json     what was made: counts, sizes, as-of dates, the generator's fingerprint

The generator is fingerprinted by a hash of ``xltools/sample/``'s source: when it changes, a cached
corpus is made again rather than silently timing yesterday's files.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import xltools.sample
from xltools.sample import SampleInfo, SampleSpec, advance_week, generate_inbox

INBOX, ADMIN = "inbox", "指标"
META = "corpus.json"


@dataclasses.dataclass(frozen=True)
class Corpus:
    """A corpus on disk and the facts about it that the report needs."""
    folder: Path
    files: int                 # workbooks merged: the reps' files plus the targets workbook
    rows: int                  # data rows over every sheet of every file
    cells: int                 # non-empty cells, as python-calamine reads them
    bytes: int
    as_of: str                 # the day the sample is "today"
    changed_as_of: str         # a week later: the day of the re-merge
    changed_file: str          # the inbox file the re-merge case swaps for changed.xlsx

    @property
    def inbox(self) -> Path:
        return self.folder / INBOX

    @property
    def admin(self) -> Path:
        return self.folder / ADMIN

    @property
    def inboxes(self) -> list[Path]:
        """What ``xltools merge`` is pointed at, as in the demo: the inbox and the admin's folder."""
        return [self.inbox, self.admin]

    def workbooks(self) -> list[Path]:
        """Every workbook a merge reads, in a stable order (what the baselines read too)."""
        return sorted(self.inbox.rglob("*.xlsx")) + sorted(self.admin.glob("*.xlsx"))

    def restore(self) -> None:
        """Put the pristine version of the re-merge file back (after an interrupted run)."""
        shutil.copyfile(self.folder / "original.xlsx", self.inbox / self.changed_file)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["folder"] = str(self.folder)
        return d


def fingerprint() -> str:
    """A short hash of the generator's source: a corpus is only reused for the same generator."""
    digest = hashlib.sha256()
    package = Path(xltools.sample.__file__).parent
    for module in sorted(package.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()[:12]


def corpus_folder(workdir: Path, files: int, rows_per_sheet: int, seed: int) -> Path:
    return Path(workdir) / f"corpus-{files}x{rows_per_sheet}-seed{seed}"


def ensure_corpus(workdir: Path, files: int, rows_per_sheet: int, seed: int = 7, log=print) -> Corpus:
    """The corpus for these settings, made now unless a matching one is cached in ``workdir``."""
    folder = corpus_folder(workdir, files, rows_per_sheet, seed)
    cached = _load(folder)
    if cached is not None:
        cached.restore()
        return cached
    log(f"  making corpus: {files} rep workbooks x ~{rows_per_sheet} rows per sheet (seed {seed}) ...")
    return _make(folder, files, rows_per_sheet, seed)


def load_corpus(folder: Path) -> Corpus:
    """A corpus made earlier, as it is (the cases' processes use this: they never generate)."""
    corpus = _load(folder, check_generator=False)
    if corpus is None:
        raise FileNotFoundError(f"no benchmark corpus in {folder}")
    return corpus


def _load(folder: Path, check_generator: bool = True) -> Corpus | None:
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.pop("fingerprint", None) != fingerprint() and check_generator:
        return None
    fields = {f.name for f in dataclasses.fields(Corpus)} - {"folder"}
    return Corpus(folder, **{k: v for k, v in meta.items() if k in fields})


def _make(folder: Path, files: int, rows_per_sheet: int, seed: int) -> Corpus:
    shutil.rmtree(folder, ignore_errors=True)
    inbox, admin = folder / INBOX, folder / ADMIN
    spec = SampleSpec(reps=files, rows_per_sheet=rows_per_sheet, mistakes=True, broken_file=False, seed=seed)
    info = generate_inbox(inbox, spec)
    admin.mkdir(parents=True, exist_ok=True)
    shutil.move(info.targets, admin / info.targets.name)
    as_of = info.as_of
    changed = _make_changed_file(folder, info)
    books = sorted(inbox.rglob("*.xlsx")) + sorted(admin.glob("*.xlsx"))
    rows, cells = _count(books)
    size = sum(p.stat().st_size for p in books)
    corpus = Corpus(folder, files + 1, rows, cells, size, as_of.isoformat(), info.as_of.isoformat(),
                    changed.relative_to(inbox).as_posix())
    meta = corpus.to_dict() | {"fingerprint": fingerprint(), "seed": seed, "rows_per_sheet": rows_per_sheet}
    del meta["folder"]
    (folder / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return corpus


def _make_changed_file(folder: Path, info: SampleInfo) -> Path:
    """A week of one rep's edits to one file, kept aside as changed.xlsx; the inbox stays pristine.

    The rep chosen is the first whose file a week of work actually changes.
    """
    for index, path in enumerate(info.files):
        shutil.copyfile(path, folder / "original.xlsx")
        one = dataclasses.replace(info, reps=[info.reps[index]], files=[path],
                                  planted=[m for m in info.planted if Path(m["file"]) == path])
        if advance_week(folder / INBOX, one):
            shutil.move(path, folder / "changed.xlsx")
            shutil.copyfile(folder / "original.xlsx", path)
            info.as_of = one.as_of
            return path
    raise RuntimeError("no rep file changed after a simulated week")


def _count(paths: list[Path]) -> tuple[int, int]:
    """Data rows (non-empty rows below each sheet's first) and non-empty cells of the workbooks."""
    from python_calamine import CalamineWorkbook

    rows = cells = 0
    for path in paths:
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            table = book.get_sheet_by_name(name).to_python()
            filled = [sum(v not in ("", None) for v in row) for row in table]
            cells += sum(filled)
            rows += max(0, sum(n > 0 for n in filled) - 1)
    return rows, cells
