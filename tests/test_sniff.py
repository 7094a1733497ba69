"""sniff: every kind of broken or hostile file is refused with a plain reason, before any parser runs."""
from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import make_broken as mb  # noqa: E402

from xltools.forms.config import Config  # noqa: E402
from xltools.ingest.discovery import iter_workbooks, should_skip  # noqa: E402
from xltools.ingest.sniff import sniff  # noqa: E402
from xltools.ingest.verdict import Verdict  # noqa: E402
from xltools.ingest.xml_scan import ensure_defusedxml  # noqa: E402
from xltools.text import Text  # noqa: E402

# builder, expected kind, words the English reason must contain, words the Chinese reason must contain
BROKEN = [
    (mb.empty_file, "empty", ["empty"], ["空"]),
    (mb.truncated_xlsx, "truncated", ["damaged or incomplete", "truncated"], ["不完整", "截断"]),
    (mb.corrupt_xlsx, "corrupt", ["damaged"], ["损坏"]),
    (mb.csv_named_xlsx, "csv", ["CSV", "named .xlsx", "save as .xlsx"], ["CSV", "另存为 .xlsx"]),
    (mb.html_named_xlsx, "html", ["HTML", "named .xlsx"], ["网页", "另存为 .xlsx"]),
    (mb.plain_zip_named_xlsx, "zip", ["a zip file, not an Excel workbook"], ["zip 压缩包"]),
    (mb.docx_named_xlsx, "zip", ["Word document named .xlsx"], ["Word 文档"]),
    (mb.encrypted_xlsx, "encrypted", ["password-protected", "remove the password"], ["密码"]),
    (mb.entity_bomb_xlsx, "bomb", ["XML entity declarations", "unsafe"], ["实体", "安全"]),
]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("build, kind, words_en, words_zh", BROKEN, ids=[b[0].__name__ for b in BROKEN])
def test_broken_file_is_refused_with_a_plain_reason(tmp_path, build, kind, words_en, words_zh):
    path = build(tmp_path)
    before = _sha(path)
    verdict = sniff(path)
    assert verdict.ok is False
    assert verdict.kind == kind
    for word in words_en:
        assert word in verdict.reason.en
    for word in words_zh:
        assert word in verdict.reason.zh
    # The sniff only reads: the rep's file is exactly as it was.
    assert _sha(path) == before


# Limits are per sheet: sniff names the sheet parts beyond them, with the reason; the reader skips them.
FAR = [
    (mb.far_cell_xlsx, ["XFD1048576", "100,000 rows × 200 columns", "delete it"], ["XFD1048576", "删除"]),
    (mb.far_cell_lying_dimension, ["XFD1048576"], ["XFD1048576"]),
    (mb.far_cell_unusual_spelling, ["XFD1048576"], ["XFD1048576"]),
]


def _too_large(verdict: Verdict) -> Text:
    """The reason given for the one sheet beyond the limits."""
    assert verdict.ok and [part for part, _ in verdict.oversize] == ["xl/worksheets/sheet1.xml"]
    return verdict.oversize[0][1]


@pytest.mark.parametrize("build, words_en, words_zh", FAR, ids=[b[0].__name__ for b in FAR])
def test_value_beyond_the_limits_marks_its_sheet_too_large(tmp_path, build, words_en, words_zh):
    reason = _too_large(sniff(build(tmp_path)))
    assert all(word in reason.en for word in words_en) and all(word in reason.zh for word in words_zh)


def test_valid_workbook_is_readable(tmp_path):
    path = mb.valid_xlsx(tmp_path)
    before = _sha(path)
    assert sniff(path) == Verdict(ok=True, kind="xlsx")
    assert _sha(path) == before


def test_lying_dimension_passes_the_sniff(tmp_path):
    # 50 rows under a <dimension> that says A1:C4: nothing unsafe, the reader must ignore the tag.
    assert sniff(mb.dimension_lies_xlsx(tmp_path)).ok


@pytest.mark.parametrize("cell, ok", [("GR100000", True), ("GS1", False), ("A100001", False), ("AAA1", False)])
def test_range_limits_are_the_configured_ones(tmp_path, cell, ok):
    verdict = sniff(mb.far_cell_xlsx(tmp_path, cell=cell))
    assert bool(verdict.oversize) is not ok
    if not ok:
        assert cell in _too_large(verdict).en


def test_range_limits_follow_the_config(tmp_path):
    path = mb.valid_xlsx(tmp_path, rows=30)
    assert not sniff(path).oversize
    assert "20 rows" in _too_large(sniff(path, config=Config(max_rows=20))).en


def test_rows_without_references_are_counted(tmp_path):
    path = mb.rows_without_refs_xlsx(tmp_path, rows=30)
    assert not sniff(path).oversize
    reason = _too_large(sniff(path, config=Config(max_rows=20)))
    assert "row" in reason.en and "行" in reason.zh


@pytest.fixture(scope="module")
def gigabyte_bomb(tmp_path_factory):
    return mb.zip_bomb(tmp_path_factory.mktemp("bomb"), unpacked_mb=1024)


def test_zip_bomb_is_refused_from_the_zip_index(gigabyte_bomb):
    started = time.perf_counter()
    verdict = sniff(gigabyte_bomb)
    elapsed = time.perf_counter() - started
    assert verdict.kind == "bomb" and not verdict.ok
    assert "1,024 MB" in verdict.reason.en and "refused as unsafe" in verdict.reason.en
    assert "1,024 MB" in verdict.reason.zh and "安全" in verdict.reason.zh
    # Nothing was inflated: inflating 1 GiB takes seconds.
    assert elapsed < 0.2


def test_part_that_shrinks_too_much_is_refused(tmp_path):
    # 50 MB is under the 512 MB total, but no spreadsheet part compresses 200-fold.
    verdict = sniff(mb.zip_bomb(tmp_path, unpacked_mb=50))
    assert verdict.kind == "bomb" and "50 MB" in verdict.reason.en


def test_old_xls_is_read_and_recognised_by_content_whatever_its_name(tmp_path):
    assert sniff(mb.old_xls(tmp_path, "renamed.xlsx")) == Verdict(ok=True, kind="xls")


def test_csv_named_csv_is_not_called_disguised(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    verdict = sniff(path)
    assert verdict.kind == "csv" and "named" not in verdict.reason.en and "改名" not in verdict.reason.zh


@pytest.mark.parametrize("content, kind", [
    ("客户名称\t金额\n华北\t1\n".encode("utf-16"), "csv"),  # Excel's "Unicode text" export
    ("客户名称,金额\n华北,1\n".encode("gb18030"), "csv"),  # a CSV saved on Chinese Windows
    (b"<!DOCTYPE html><html><body><table></table></body></html>", "html"),
    (b"<table><tr><td>1</td></tr></table>", "html"),
    (b"just some notes without separators\n", "not-spreadsheet"),
    (b"%PDF-1.7\n" + bytes(range(256)) * 4, "not-spreadsheet"),
    (os.urandom(4096).replace(b"PK", b"pk").replace(b"\xd0\xcf", b"xx"), "not-spreadsheet"),
])
def test_other_content_named_xlsx(tmp_path, content, kind):
    path = tmp_path / "file.xlsx"
    path.write_bytes(content)
    verdict = sniff(path)
    assert verdict.kind == kind and not verdict.ok
    assert verdict.reason.en and verdict.reason.zh


def test_sniff_skips_what_should_skip_skips(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    verdict = sniff(path)
    assert verdict.kind == "skip" and "not a spreadsheet" in verdict.reason.en and "不是电子表格" in verdict.reason.zh


def test_symlink_outside_the_root_is_not_read(tmp_path):
    root, elsewhere = tmp_path / "reps", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    outside = mb.valid_xlsx(elsewhere)
    link = root / "link.xlsx"
    link.symlink_to(outside)
    verdict = sniff(link, root=root)
    assert verdict.kind == "symlink" and "outside the folder" in verdict.reason.en and "文件夹以外" in verdict.reason.zh
    assert sniff(link).ok  # without a root, the operator's own link is followed


def test_sniff_is_fast_on_a_normal_form(tmp_path):
    path = mb.big_xlsx(tmp_path, rows=300, columns=12)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        assert sniff(path).ok
        timings.append(time.perf_counter() - started)
    # A few milliseconds in practice; 200 such files must add well under a second.
    assert min(timings) < 0.02, timings


@pytest.mark.parametrize("name, skipped", [
    ("~$x.xlsx", True), (".hidden.xlsx", True), ("notes.txt", True), ("photo.png", True), ("report.docx", True),
    ("form.xlsx", False), ("FORM.XLSM", False), ("old.xls", False), ("export.csv", False), ("template.xltx", False),
])
def test_should_skip(name, skipped):
    assert (should_skip(Path("some/folder") / name) is not None) is skipped


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """reps/ with forms, junk, a hidden folder and links inside and outside; outside/ next to it."""
    root, outside = tmp_path / "reps", tmp_path / "outside"
    for folder in (root / "b_team", root / "a_team" / "north", root / ".git", outside):
        folder.mkdir(parents=True)
    for path in (root / "a_team" / "north" / "zhang.xlsx", root / "a_team" / "li.xlsx", root / "b_team" / "wang.xlsx",
                 root / ".git" / "inside_hidden.xlsx", root / "~$li.xlsx", root / "notes.txt", outside / "secret.xlsx"):
        path.write_bytes(b"x")
    (root / "link_out.xlsx").symlink_to(outside / "secret.xlsx")
    (root / "link_in.xlsx").symlink_to(root / "b_team" / "wang.xlsx")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    return root, outside


def test_iter_workbooks_walks_sorted_and_never_leaves_the_root(tmp_path):
    root, _ = _tree(tmp_path)
    found = [(str(path.relative_to(root)), reason) for path, top, reason in iter_workbooks([root])]
    assert found == [
        ("a_team/li.xlsx", None),
        ("a_team/north/zhang.xlsx", None),
        ("b_team/wang.xlsx", None),
        ("link_in.xlsx", "link to a file in the folder: read there, not twice"),
        ("link_out.xlsx", "symlink outside the folder"),
        ("linked_dir", "symlink outside the folder"),
        ("loop", "linked folder: not followed"),
        ("notes.txt", "not a spreadsheet (.txt)"),
        ("~$li.xlsx", "Excel's lock file of an open workbook (~$)"),
    ]
    assert {top for _, top, _ in iter_workbooks([root])} == {root}


def test_iter_workbooks_yields_given_files_with_their_folder(tmp_path):
    root, _ = _tree(tmp_path)
    given = root / "a_team" / "li.xlsx"
    missing = root / "nope.xlsx"
    assert list(iter_workbooks([given, missing])) == [
        (given, given.parent, None),
        (missing, root, "no such file or folder"),
    ]


def test_iter_then_sniff_reads_nothing_outside(tmp_path):
    root, _ = _tree(tmp_path)
    mb.valid_xlsx(root / "a_team", "li.xlsx")
    (root / "sneaky.xlsx").symlink_to(tmp_path / "outside" / "secret.xlsx")
    readable = [path.name for path, top, reason in iter_workbooks([root]) if reason is None and sniff(path, top).ok]
    assert readable == ["li.xlsx"]


def test_defusedxml_guards_openpyxl():
    import openpyxl

    assert ensure_defusedxml() is not None
    # openpyxl switches to defusedxml's parsers by itself when the package is importable.
    assert openpyxl.DEFUSEDXML is True
