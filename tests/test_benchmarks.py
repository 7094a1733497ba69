"""Smoke test of the benchmark suite: it runs end to end at a tiny size and reports every case
and every target. Functional only: the numbers themselves are never asserted on."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_benchmark_suite_reports_every_case_and_ratio(tmp_path):
    from benchmarks.cases import CASES
    from benchmarks.report import TARGETS

    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sizes", "2", "--rows-per-sheet", "20", "--repeat", "1",
         "--workdir", str(tmp_path / "work"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))

    size = results["sizes"][-1]
    assert size["rep_files"] == 2 and size["rows"] > 0
    assert set(size["cases"]) == set(CASES)
    for case in size["cases"].values():
        assert case["median_s"] >= 0 and len(case["runs_s"]) == 1 and case["max_process_mb"] > 0
    naive, savvy = (size["cases"][name]["info"] for name in ("naive_pandas", "savvy_pandas"))
    assert naive["rows"] == savvy["rows"] > 0 and naive["bytes"] > 0 and savvy["bytes"] > 0   # both scripts save
    assert set(results["ratios"]) == {t.key for t in TARGETS}
    for key, ratio in results["ratios"].items():
        assert ratio["value"] is not None, key
        assert ratio["status"] in (("PASS", "MISS") if ratio["target"] is not None else ("info",)), key
    assert set(results["growth"]) == set(CASES)
    assert results["machine"]["cpu_count"] and results["machine"]["packages"]["pandas"]
    for target in TARGETS:                                  # the printed table names every target
        assert target.label in done.stdout
