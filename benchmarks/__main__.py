"""``python -m benchmarks``: make (or reuse) the corpus, run every case in its own process,
alternating the cases from one repetition to the next, and report medians, peak memory,
the growth with size and the targets, as a table on stdout and as JSON."""
from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import tempfile
from pathlib import Path

from . import report
from .cases import CASES
from .corpus import ensure_corpus
from .runner import CaseFailed, freeze_source, run_case

SCALES = {"tiny": 2, "small": 10, "medium": 50, "large": 200}
# From this many rep files on, the naive script (several minutes a run at 200, saving included) runs once by default.
NAIVE_ONCE_FROM = 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__,
        epilog="examples:\n  python -m benchmarks                      # small: 3, 5, 10 files, a few minutes\n"
               "  python -m benchmarks --scale large        # 50, 100, 200 files (~540k rows)\n"
               "  python -m benchmarks --sizes 10,50,200 --repeat 5 --out results.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", default="small",
                   help="rep files at the largest size: tiny (2), small (10), medium (50), large (200) or a number")
    p.add_argument("--sizes", help="comma-separated numbers of rep files (default: scale/4, scale/2, scale)")
    p.add_argument("--rows-per-sheet", type=int, default=300, help="about this many rows in every form sheet")
    p.add_argument("--repeat", type=int, default=3, help="runs of each case per size; the median is reported")
    p.add_argument("--naive-repeat", type=int,
                   help=f"runs of naive_pandas per size (default: --repeat, but 1 from {NAIVE_ONCE_FROM} files on)")
    p.add_argument("--seed", type=int, default=7, help="corpus seed")
    p.add_argument("--cases", help="comma-separated subset of: " + ", ".join(CASES))
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "xltools-bench",
                   help="where corpora are cached (by files, rows, seed) and cases run")
    p.add_argument("--out", type=Path, help="JSON results (default: WORKDIR/results.json)")
    p.add_argument("--render", type=Path, metavar="JSON", help="print the tables of earlier results; run nothing")
    args = p.parse_args(argv)
    args.sizes = _sizes(args)
    args.cases = _cases(p, args.cases)
    return args


def _sizes(args) -> list[int]:
    if args.sizes:
        return sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    top = SCALES.get(args.scale) or int(args.scale)
    return sorted({max(1, math.ceil(top / 4)), max(1, math.ceil(top / 2)), top})


def _cases(parser, text: str | None) -> list[str]:
    chosen = [c.strip() for c in text.split(",")] if text else list(CASES)
    unknown = set(chosen) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    return [c for c in CASES if c in chosen]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        print(report.render(json.loads(args.render.read_text(encoding="utf-8"))))
        return 0
    started = report.now()
    args.workdir.mkdir(parents=True, exist_ok=True)
    out = args.out or args.workdir / "results.json"
    failures: list[str] = []
    # Every case imports this copy of xltools: edits made to the tree meanwhile are not timed.
    args.source, version = freeze_source(args.workdir)
    source = report.git_head() | {"xltools_hash": version, "frozen_copy": str(args.source)}
    sizes = [run_size(args, files, failures) for files in args.sizes]
    results = assemble(args, sizes, failures) | {"started": started, "source": source}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(report.render(results))
    log(f"JSON written to {out}")
    for failure in failures:
        log(failure)
    return 1 if failures else 0


def run_size(args, files: int, failures: list[str]) -> dict:
    """Every case at one corpus size, ``repeat`` times, in a rotating order."""
    log(f"[{files} files] corpus")
    corpus = ensure_corpus(args.workdir, files, args.rows_per_sheet, args.seed, log=log)
    scratch = args.workdir / "scratch"
    log(f"[{files} files] preparing the full store")
    run_case("prepare", corpus.folder, scratch, args.source)
    naive_repeat = naive_runs(args, files)
    runs: dict[str, list] = {case: [] for case in args.cases}
    for rep in range(args.repeat):
        for case in rotated(args.cases, rep):
            if case == "naive_pandas" and rep >= naive_repeat:
                continue
            try:
                run = run_case(case, corpus.folder, scratch, args.source)
            except CaseFailed as exc:
                failures.append(f"[{files} files] {exc}")
                log(f"[{files} files] run {rep + 1}/{args.repeat} {case:<20} FAILED")
                continue
            runs[case].append(run)
            peak = f"{run.peak_mb:.0f} MB" if run.peak_mb else "-"
            log(f"[{files} files] run {rep + 1}/{args.repeat} {case:<20} {run.seconds:8.2f} s  {peak}")
    corpus.restore()
    cases = {case: report.case_summary(r) for case, r in runs.items() if r}
    return corpus.to_dict() | {"rep_files": files, "cases": cases}


def naive_runs(args, files: int) -> int:
    return args.naive_repeat or (1 if files >= NAIVE_ONCE_FROM else args.repeat)


def rotated(cases: list[str], rep: int) -> list[str]:
    """Round-robin: each repetition starts one case later, so the cases compared in a ratio
    run close together in time, yet no case always runs first or at the same point of a
    repetition on a machine whose speed drifts."""
    shift = rep % len(cases)
    return cases[shift:] + cases[:shift]


def assemble(args, sizes: list[dict], failures: list[str]) -> dict:
    largest = sizes[-1]
    return {
        "suite": "xltools-benchmarks", "format": 1, "date": report.now(),
        "command": "python -m benchmarks " + " ".join(shlex.quote(a) for a in (sys.argv[1:])),
        "machine": report.machine(),
        "settings": {"scale": args.scale, "sizes": args.sizes, "repeat": args.repeat,
                     "naive_repeat": [naive_runs(args, files) for files in args.sizes],
                     "rows_per_sheet": args.rows_per_sheet, "seed": args.seed, "cases": args.cases},
        "sizes": sizes,
        "ratios": report.ratios(largest["cases"], largest["rows"]),
        "growth": report.growth(sizes),
        "failures": failures,
    }


if __name__ == "__main__":
    sys.exit(main())
