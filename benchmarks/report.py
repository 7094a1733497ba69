"""Turn the runs into results: medians, the target ratios, the growth verdicts; print them as
fixed-width tables and keep them as JSON, so the numbers can be compared run to run."""
from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .runner import Run

# Time per row may vary by this factor across sizes and still count as linear growth.
LINEAR_SPREAD = 1.5
# The size the memory target is stated for.
MEMORY_TARGET_ROWS = 420_000


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    numerator: str            # a case name, or "peak_mb:<case>" for a memory figure
    denominator: str | None
    limit: float | None       # None: reported for information, no target
    at_least: bool            # True: value must be >= limit; False: value must be <= limit
    unit: str = "x"


TARGETS = [
    Target("merge_vs_naive", "merge_store speed-up over naive_pandas", "naive_pandas", "merge_store", 10.0, True),
    Target("master_vs_naive", "merge_master speed-up over naive_pandas", "naive_pandas", "merge_master", 10.0, True),
    Target("master_vs_savvy", "merge_master speed-up over savvy_pandas", "savvy_pandas", "merge_master", 3.0, True),
    Target("merge_vs_calamine", "merge_store / calamine_bare", "merge_store", "calamine_bare", 2.5, False),
    Target("validate_vs_calamine", "xltools_validate / calamine_bare", "xltools_validate", "calamine_bare", 2.0,
           False),
    Target("master_vs_xlsxwriter", "master_only / xlsxwriter_baseline", "master_only", "xlsxwriter_baseline",
           1.0, False),
    Target("remerge_vs_merge", "remerge_one / merge_store", "remerge_one", "merge_store", 0.05, False, "%"),
    Target("remerge_same_day_vs_merge", "remerge_one_same_day / merge_store (info)", "remerge_one_same_day",
           "merge_store", None, False, "%"),
    Target("rollup_vs_select", "rollup / select_star", "rollup", "select_star", 3.0, False),
    Target("xls_vs_xlsx", "read_xls / read_xlsx", "read_xls", "read_xlsx", 2.0, False),
    Target("merge_peak_mb", "merge_store peak memory (MB)", "peak_mb:merge_store", None, 500.0, False, "MB"),
]


# Results --------------------------------------------------------------------------------------

def case_summary(runs: list[Run]) -> dict:
    seconds = [r.seconds for r in runs]
    peaks = [r.peak_mb for r in runs if r.peak_mb is not None]
    return {
        "median_s": statistics.median(seconds), "min_s": min(seconds), "max_s": max(seconds),
        "runs_s": seconds,
        "peak_mb": max(peaks) if peaks else None,
        "max_process_mb": max(r.max_process_mb for r in runs),
        "peak_mb_runs": [r.peak_mb for r in runs],
        "info": runs[-1].info,
    }


def ratios(cases: dict[str, dict], rows: int) -> dict[str, dict]:
    """Every target, evaluated on the medians of one size."""
    return {t.key: _evaluate(t, cases, rows) for t in TARGETS}


def _evaluate(t: Target, cases: dict[str, dict], rows: int) -> dict:
    value = _value(t, cases)
    entry = {"label": t.label, "value": value, "target": t.limit, "at_least": t.at_least, "unit": t.unit}
    if value is None:
        return entry | {"status": "N/A", "miss_factor": None}
    if t.limit is None:
        return entry | {"status": "info", "miss_factor": None}
    ok = value >= t.limit if t.at_least else value <= t.limit
    miss = None if ok else (t.limit / value if t.at_least else value / t.limit)
    entry |= {"status": "PASS" if ok else "MISS", "miss_factor": miss}
    if t.unit == "MB" and rows < MEMORY_TARGET_ROWS:
        entry["note"] = f"measured at {rows:,} rows; the target is stated for {MEMORY_TARGET_ROWS:,}"
    return entry


def _value(t: Target, cases: dict[str, dict]) -> float | None:
    if t.numerator.startswith("peak_mb:"):
        case = cases.get(t.numerator.split(":", 1)[1])
        return None if case is None else (case["peak_mb"] or case["max_process_mb"])
    top, bottom = cases.get(t.numerator), cases.get(t.denominator)
    if not top or not bottom or not bottom["median_s"]:
        return None
    return top["median_s"] / bottom["median_s"]


def growth(sizes: list[dict]) -> dict[str, dict]:
    """Milliseconds per 1,000 corpus rows for each case at each size, and whether that stays flat.

    ``spread`` is the largest factor by which the time per row at a larger size exceeds the time
    per row at a smaller one: 1.0 or less is linear (or better, as fixed costs spread out).
    """
    out = {}
    for case in sizes[-1]["cases"]:
        per_row = [s["cases"][case]["median_s"] * 1e6 / s["rows"] if case in s["cases"] else None for s in sizes]
        known = [v for v in per_row if v]
        spread = max([later / earlier for i, earlier in enumerate(known) for later in known[i + 1:]], default=1.0)
        verdict = "n/a" if len(known) < 2 else ("linear" if spread <= LINEAR_SPREAD else "worse than linear")
        out[case] = {"ms_per_1k_rows": per_row, "spread": spread, "verdict": verdict}
    return out


# Where it ran ----------------------------------------------------------------------------------

def machine() -> dict:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in
                     ("xltools", "pandas", "openpyxl", "python-calamine", "xlsxwriter", "numpy")},
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_head() -> dict:
    """The commit of the checkout (the timed code may add uncommitted edits: see xltools_hash)."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                              capture_output=True, text=True, timeout=10).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "xltools"], cwd=Path(__file__).parent,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        head, dirty = None, None
    return {"git_head": head, "uncommitted_xltools_edits": dirty}


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


# Text tables --------------------------------------------------------------------------------------

def render(results: dict) -> str:
    """The whole report as plain fixed-width text (also what docs/performance.md quotes)."""
    parts = [_heading(results)]
    for size in results["sizes"]:
        parts.append(_times_table(size))
    parts.append(_growth_table(results))
    parts.append(_targets_table(results))
    return "\n\n".join(parts) + "\n"


def _heading(results: dict) -> str:
    m, s = results["machine"], results["settings"]
    pk = m["packages"]
    return "\n".join([
        "xltools benchmarks, " + (f"{results['started']} to " if results.get("started") else "") + results["date"],
        f"machine: {m['cpu_model']}, {m['cpu_count']} CPUs, {m['memory_gb']} GB, {m['platform']}",
        f"python {m['python']}; pandas {pk['pandas']}, openpyxl {pk['openpyxl']}, "
        f"python-calamine {pk['python-calamine']}, xlsxwriter {pk['xlsxwriter']}",
        f"command: {results['command']}",
        f"repeat {s['repeat']} (naive_pandas {_naive_runs(s)}), ~{s['rows_per_sheet']} rows per sheet, "
        f"seed {s['seed']}; times are medians; peak MB = the case's whole process tree",
    ] + _source_line(results))


def _naive_runs(settings: dict) -> str:
    runs = settings["naive_repeat"]
    if isinstance(runs, list):
        return ", ".join(f"{n} at {files} files" for n, files in zip(runs, settings["sizes"]))
    return str(runs)


def _source_line(results: dict) -> list[str]:
    source = results.get("source", {})
    edits = " + uncommitted edits" if source.get("uncommitted_xltools_edits") else ""
    return [f"xltools timed: commit {source.get('git_head')}{edits}, source hash {source.get('xltools_hash')}"]


def _times_table(size: dict) -> str:
    title = (f"{size['files']} workbooks ({size['files'] - 1} reps + targets): {size['rows']:,} rows, "
             f"{size['cells']:,} cells, {size['bytes'] / 1e6:.1f} MB")
    head = f"{'case':<22}{'median s':>10}{'min s':>9}{'max s':>9}{'runs':>6}{'peak MB':>9}{'max proc MB':>13}"
    lines = [title, head, "-" * len(head)]
    for name, c in size["cases"].items():
        peak = f"{c['peak_mb']:.0f}" if c["peak_mb"] is not None else "-"
        lines.append(f"{name:<22}{c['median_s']:>10.2f}{c['min_s']:>9.2f}{c['max_s']:>9.2f}{len(c['runs_s']):>6}"
                     f"{peak:>9}{c['max_process_mb']:>13.0f}")
    return "\n".join(lines)


def _growth_table(results: dict) -> str:
    sizes = results["sizes"]
    labels = [f"{s['rows']:,} rows" for s in sizes]
    head = f"{'ms per 1k rows':<22}" + "".join(f"{label:>14}" for label in labels) + f"{'spread':>9}  verdict"
    lines = [head, "-" * (len(head) + 10)]
    for name, g in results["growth"].items():
        cells = "".join(f"{v:>14.1f}" if v else f"{'-':>14}" for v in g["ms_per_1k_rows"])
        lines.append(f"{name:<22}{cells}{g['spread']:>8.2f}x  {g['verdict']}")
    lines.append(f"spread: the largest rise in time per row from a smaller size to a larger one; "
                 f"linear up to {LINEAR_SPREAD}x")
    return "\n".join(lines)


def _targets_table(results: dict) -> str:
    size = results["sizes"][-1]
    head = f"{'target (at ' + format(size['rows'], ',') + ' rows)':<42}{'measured':>11}{'target':>11}  status"
    lines = [head, "-" * (len(head) + 16)]
    for r in results["ratios"].values():
        status = r["status"] + (f" by {r['miss_factor']:.1f}x" if r["status"] == "MISS" else "")
        lines.append(f"{r['label']:<42}{_fmt(r['value'], r['unit']):>11}"
                     f"{_limit(r):>11}  {status}")
        if r.get("note"):
            lines.append(f"{'':<4}({r['note']})")
    return "\n".join(lines)


def _limit(r: dict) -> str:
    if r["target"] is None:
        return "-"
    return (">= " if r["at_least"] else "<= ") + _fmt(r["target"], r["unit"])


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.2f}x"
