"""run_isolated: one hostile file fails alone; the batch always comes back, in order."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import make_broken as mb  # noqa: E402

from xltools.ingest.sandbox import Outcome, run_isolated  # noqa: E402

# The functions run in worker processes, so they live at module level.


def _name_upper(path: Path) -> str:
    return path.name.upper()


def _abort_on_bad(path: Path) -> str:
    if path.name == "bad":
        os.abort()  # what a Rust abort inside python-calamine looks like from Python
    return path.name


def _allocate_on_bad(path: Path) -> int:
    if path.name == "bad":
        return len(bytearray(10 * 1024**3))
    return 1


def _sleep_on_bad(path: Path) -> str:
    if path.name == "bad":
        time.sleep(60)
    return path.name


def _raise_on_bad(path: Path) -> str:
    if path.name == "bad":
        raise ValueError("sheet '客户' has no header")
    return path.name


def _unpicklable_on_bad(path: Path):
    return (lambda: None) if path.name == "bad" else path.name


def _worker_pid(path: Path) -> int:
    return os.getpid()


def _rows_with_calamine(path: Path) -> list[int]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    return [len(workbook.get_sheet_by_name(name).to_python()) for name in workbook.sheet_names]


def _paths(*names: str) -> list[Path]:
    return [Path(name) for name in names]


def _only_bad_failed(outcomes: list[Outcome], names: list[str]) -> Outcome:
    assert [o.path.name for o in outcomes] == names
    assert [o.ok for o in outcomes] == [name != "bad" for name in names]
    return next(o for o in outcomes if not o.ok)


def test_results_come_back_in_input_order():
    names = [f"file{i:02d}" for i in range(30)]
    progress = []
    outcomes = run_isolated(_name_upper, _paths(*names), workers=3, on_done=lambda done, total: progress.append((done, total)))
    assert [o.value for o in outcomes] == [n.upper() for n in names]
    assert all(o.ok and not o.error.en for o in outcomes)
    assert progress == [(i, 30) for i in range(1, 31)]


def test_workers_are_reused_across_files():
    outcomes = run_isolated(_worker_pid, _paths(*[str(i) for i in range(40)]), workers=2)
    pids = {o.value for o in outcomes}
    assert len(pids) <= 2 and os.getpid() not in pids


def test_abort_fails_only_that_file():
    names = ["a", "b", "bad", "c", "d", "e"]
    failed = _only_bad_failed(run_isolated(_abort_on_bad, _paths(*names), workers=2), names)
    assert "crashed" in failed.error.en and "SIGABRT" in failed.error.en
    assert "崩溃" in failed.error.zh


def test_single_file_is_still_isolated():
    # One file, one worker: the crash still happens in a child, never in this process.
    [outcome] = run_isolated(_abort_on_bad, _paths("bad"), workers=1)
    assert not outcome.ok and "crashed" in outcome.error.en


def test_runaway_allocation_fails_under_the_memory_cap():
    names = ["a", "bad", "b"]
    failed = _only_bad_failed(run_isolated(_allocate_on_bad, _paths(*names), workers=2, memory_mb=512), names)
    assert "memory" in failed.error.en and "512 MB" in failed.error.en and "内存" in failed.error.zh


def test_slow_file_times_out_and_the_batch_returns():
    names = ["a", "bad", "b", "c"]
    started = time.perf_counter()
    outcomes = run_isolated(_sleep_on_bad, _paths(*names), workers=2, timeout=1.0)
    assert time.perf_counter() - started < 10
    failed = _only_bad_failed(outcomes, names)
    assert "took longer than 1 s" in failed.error.en and "1 秒" in failed.error.zh


def test_exception_becomes_a_failed_outcome_with_a_sentence_and_its_message_as_detail():
    names = ["a", "bad", "b"]
    failed = _only_bad_failed(run_isolated(_raise_on_bad, _paths(*names), workers=2), names)
    assert "ValueError" in failed.detail and "sheet '客户' has no header" in failed.detail
    assert "ValueError" not in failed.error.en + failed.error.zh
    assert "save it again" in failed.error.en and "重新保存" in failed.error.zh


def test_value_that_cannot_be_sent_back_fails_that_file_only():
    names = ["a", "bad", "b"]
    failed = _only_bad_failed(run_isolated(_unpicklable_on_bad, _paths(*names), workers=1), names)
    assert failed.error.en


def test_no_files_no_workers():
    assert run_isolated(_name_upper, []) == []


def test_calamine_abort_on_far_cell_does_not_take_the_batch_down(tmp_path):
    # The real case: python-calamine aborts the process on a legal 5 KB file with a value at XFD1048576.
    good = [mb.valid_xlsx(tmp_path, f"rep{i}.xlsx", rows=5) for i in range(3)]
    far = mb.far_cell_xlsx(tmp_path)
    paths = [good[0], far, good[1], good[2]]
    outcomes = run_isolated(_rows_with_calamine, paths, workers=2, memory_mb=512)
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert outcomes[0].value == [6]
    assert "crashed" in outcomes[1].error.en


@pytest.mark.parametrize("workers", [1, 4])
def test_mixed_hostile_batch(workers):
    names = ["a", "bad", "b", "bad", "c"]
    outcomes = run_isolated(_abort_on_bad, _paths(*names), workers=workers)
    assert [o.ok for o in outcomes] == [True, False, True, False, True]
    assert [o.value for o in outcomes if o.ok] == ["a", "b", "c"]
