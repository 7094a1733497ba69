"""Run one case in a fresh child process and measure its time and peak memory.

Time is measured inside the child, around the work under test only (see ``cases.clock``):
interpreter start-up, imports and set-up are not part of it.

Memory is measured from outside, for the whole process tree, because ``xltools merge``
reads files in worker processes:

* ``max_process_mb`` -- the kernel's own high-water mark (ru_maxrss from wait4) of the
  largest single process in the tree: exact, but per process, not summed.
* ``peak_mb`` -- the memory of the tree: the child's resident set plus the anonymous
  (heap) resident memory of each of its descendants, sampled every 100 ms from
  /proc/<pid>/status, and never less than ``max_process_mb`` (a spike between two samples
  is caught by the kernel's mark for the largest process at least). Shared libraries a
  forked worker maps are counted once, in the child; heap pages a worker still shares
  copy-on-write with its parent are counted twice, so the figure errs high, not low.
  (/proc/<pid>/status is read rather than smaps, whose page-table walk would cost the
  machine a noticeable share of a CPU while the case runs.)

Both include the case's set-up (a baseline's rows loaded before its clock starts, say).
Outside Linux the sampler finds no /proc and only ``max_process_mb`` is reported.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.1
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    case: str
    seconds: float
    peak_mb: float | None
    max_process_mb: float
    info: dict = field(default_factory=dict)


class CaseFailed(RuntimeError):
    pass


def freeze_source(workdir: Path) -> tuple[Path, str]:
    """A copy of the xltools package as it is now, for every case of this run to import.

    The working tree may change while a long run goes on (someone saves a file, switches a
    branch); timing the copy keeps every run of every size on the same code. Returns the
    folder to put first on the children's import path, and the copy's hash.
    """
    import hashlib

    import xltools

    package = Path(xltools.__file__).parent
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    version = digest.hexdigest()[:16]
    target = Path(workdir) / "source" / version
    if not (target / "xltools" / "__init__.py").exists():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(package, target / "xltools", ignore=shutil.ignore_patterns("__pycache__"))
    return target, version


def run_case(case: str, corpus_folder: Path, scratch: Path, source: Path | None = None) -> Run:
    """Run ``case`` in a new Python process; raise CaseFailed (with its stderr) if it fails.

    :param source: a folder holding the xltools package to import (see ``freeze_source``).
    """
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    out, log = scratch / "result.json", scratch / "child.log"
    command = [sys.executable, "-m", "benchmarks.cases", case, str(corpus_folder), str(scratch), str(out)]
    with open(log, "wb") as sink:
        # cwd is the scratch folder: ``python -m`` puts the cwd first on sys.path, and the
        # checkout's own xltools there would win over the frozen copy.
        child = subprocess.Popen(command, cwd=scratch, stdout=sink, stderr=subprocess.STDOUT,
                                 env=os.environ | {"PYTHONPATH": _pythonpath(source)})
        sampler = TreeSampler(child.pid)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
    if child.returncode != 0 or not out.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise CaseFailed(f"{case} failed (exit {child.returncode}):\n{tail}")
    result = json.loads(out.read_text(encoding="utf-8"))
    largest = _maxrss_mb(usage)
    peak = max(sampler.peak_mb, largest) if sampler.peak_mb is not None else None
    return Run(case, result["seconds"], peak, largest, result.get("info", {}))


def _pythonpath(source: Path | None) -> str:
    """The frozen xltools first, then the checkout (for these benchmarks, and xltools if not frozen)."""
    first = [str(source)] if source else []
    return os.pathsep.join(p for p in (*first, str(ROOT), os.environ.get("PYTHONPATH", "")) if p)


def _maxrss_mb(usage: resource.struct_rusage) -> float:
    # Linux reports KiB, macOS bytes.
    return usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


class TreeSampler(threading.Thread):
    """Samples the memory of a process tree until stopped and keeps the peak: the root's
    resident set plus its descendants' anonymous resident pages."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.supported = Path(f"/proc/{pid}").exists()
        self._done = threading.Event()

    @property
    def peak_mb(self) -> float | None:
        return self.peak_kb / 1024 if self.supported and self.peak_kb else None

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while self.supported and not self._done.is_set():
            root, *descendants = _tree(self.pid)
            total = _status_kb(root, "VmRSS:") + sum(_status_kb(p, "RssAnon:") for p in descendants)
            self.peak_kb = max(self.peak_kb, total)
            self._done.wait(SAMPLE_SECONDS)


def _tree(pid: int) -> list[int]:
    """The process and its descendants (children are listed per thread in /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:              # gone meanwhile, or no children file on this kernel
            continue
    return found


def _status_kb(pid: int, field: str) -> int:
    """One memory line of /proc/<pid>/status, in KiB (0 once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
