"""Run a parsing function over many files in worker processes, so that one file can never take the batch down.

python-calamine aborts the whole process (a Rust abort, not a Python exception) on some legal files,
and any reader can allocate without bound or hang on a hostile one. Here each file is parsed in a
worker process with a cap on its address space, a deadline, and the parent watching:

* a worker that dies (abort, segfault, killed) fails the one file it was reading, and a fresh worker
  takes its place;
* a file that runs past the deadline fails, and its worker is killed;
* an exception, MemoryError included, fails the file and the worker carries on.

Workers are handed one file at a time, so the parent always knows which file a dead worker was
reading: no file is ever rerun, and an innocent file never fails alongside a hostile one. Workers
are reused from file to file: forking one per file would cost too much on a batch of hundreds.
"""
from __future__ import annotations

import faulthandler
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Callable, Sequence

from xltools.text import Text

try:
    import resource
except ImportError:  # Windows: no address-space cap, crash isolation still holds
    resource = None

MB = 1024 * 1024
# How often an idle worker checks that its parent is still alive.
PARENT_CHECK_SECONDS = 1.0


@dataclass
class Outcome:
    path: Path
    ok: bool
    value: Any = None
    error: Text = Text("", "")     # for the rep; empty when ok
    detail: str = ""                # the exception's own words, for the technical report


def run_isolated(func: Callable[[Path], Any], paths: Sequence[Path], workers: int | None = None,
                 timeout: float = 120.0, memory_mb: int = 2048,
                 on_done: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """``func(path)`` for every path, each in a worker process; outcomes in the order of ``paths``.

    ``func`` must be a module-level function (it is pickled where processes are spawned rather than
    forked). ``memory_mb`` caps how much address space a worker may add to what it holds when it
    starts; ``timeout`` is per file, in seconds. ``on_done(done, total)`` is called as files finish.
    """
    paths = [Path(p) for p in paths]
    outcomes: list[Outcome | None] = [None] * len(paths)
    if not paths:
        return []
    size = max(1, min(workers or os.cpu_count() or 1, len(paths)))
    pool = _Pool(func, size, memory_mb, timeout)
    pending = deque(range(len(paths)))
    done = 0
    try:
        while pending or pool.busy():
            pool.hand_out(pending, paths)
            for index, outcome in pool.collect():
                outcomes[index] = outcome
                done += 1
                if on_done:
                    on_done(done, len(paths))
    finally:
        pool.close()
    return outcomes  # type: ignore[return-value]


# --------------------------------------------------------------------------- messages


_CRASHED = Text("读取此文件时程序崩溃（{how}）", "the reader crashed on this file ({how})")
_TIMED_OUT = Text("读取超过 {timeout:g} 秒：已中止", "took longer than {timeout:g} s: stopped")
_OUT_OF_MEMORY = Text("内存不足（上限 {memory_mb} MB）", "ran out of memory (limit {memory_mb} MB)")
_FAILED = Text("读取此文件时出错：请用 Excel 打开后重新保存，或重新发送",
               "the reader failed on this file: open it in Excel and save it again, or ask for it again")


def _failure(path: Path, error: Text, detail: str = "") -> Outcome:
    return Outcome(path, False, error=error, detail=detail)


def _crashed(path: Path, exitcode: int | None) -> Outcome:
    how = f"exit code {exitcode}"
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
    return _failure(path, _CRASHED.format(how=how))


def _timed_out(path: Path, timeout: float) -> Outcome:
    return _failure(path, _TIMED_OUT.format(timeout=timeout))


def _out_of_memory(path: Path, memory_mb: int) -> Outcome:
    return _failure(path, _OUT_OF_MEMORY.format(memory_mb=memory_mb))


def _failed(path: Path, exc: BaseException) -> Outcome:
    # Rust panics (BaseException) land here: a sentence for people, the panic text as the detail.
    return _failure(path, _FAILED, detail=f"{type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- the worker side


def _cap_memory(memory_mb: int) -> None:
    """Cap the address space, on top of what the worker already maps.

    A forked worker starts with its parent's mappings (hundreds of MB once pandas is imported, more
    with many threads), so an absolute cap could leave it no room at all.
    """
    if resource is None or not hasattr(resource, "RLIMIT_AS"):
        return
    try:
        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        mapped = 0
    limit = mapped + memory_mb * MB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_main(func: Callable[[Path], Any], conn: Connection, memory_mb: int) -> None:
    # Ctrl-C goes to the whole process group: let the parent handle it and stop the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A crash here is reported as the file's outcome; a fault handler inherited from the parent
    # (pytest, python -X faulthandler) would only add a Python traceback dump to the terminal.
    faulthandler.disable()
    _cap_memory(memory_mb)
    parent = os.getppid()
    while True:
        # Wake up now and then: an orphaned worker (parent killed) must not wait for ever.
        while not conn.poll(PARENT_CHECK_SECONDS):
            if os.getppid() != parent:
                return
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, path = task
        outcome = _run_one(func, path, memory_mb)
        try:
            conn.send((index, outcome))
        except (OSError, EOFError):
            return  # the parent is gone
        except Exception as exc:  # noqa: BLE001 - pickling fails before anything is sent
            # A value that cannot travel back to the parent is this file's failure, not the worker's.
            conn.send((index, _failed(path, exc)))


def _run_one(func: Callable[[Path], Any], path: Path, memory_mb: int) -> Outcome:
    try:
        return Outcome(path, True, func(path))
    except MemoryError:
        return _out_of_memory(path, memory_mb)
    except BaseException as exc:  # noqa: BLE001 - Rust panics surface as BaseException subclasses
        return _failed(path, exc)


# --------------------------------------------------------------------------- the parent side


class _Worker:
    def __init__(self, context, func: Callable[[Path], Any], memory_mb: int):
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(func, child_conn, memory_mb), daemon=True)
        self.process.start()
        # Only the worker holds its end now, so its death shows as end-of-file here.
        child_conn.close()
        self.task: tuple[int, Path] | None = None
        self.deadline = 0.0

    def give(self, index: int, path: Path, timeout: float) -> None:
        self.task = (index, path)
        self.deadline = time.monotonic() + timeout
        self.conn.send(self.task)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class _Pool:
    """Worker processes, each given one file at a time, replaced when one dies or is killed."""

    def __init__(self, func: Callable[[Path], Any], size: int, memory_mb: int, timeout: float):
        self.func, self.size, self.memory_mb, self.timeout = func, size, memory_mb, timeout
        self.context = _context()
        self.workers: list[_Worker] = []
        self.idle_deaths = 0

    def busy(self) -> bool:
        return any(worker.task for worker in self.workers)

    def hand_out(self, pending: deque, paths: list[Path]) -> None:
        """Give a file to every idle worker, starting workers up to the pool's size."""
        for worker in [w for w in self.workers if w.task is None and not w.process.is_alive()]:
            self._died_idle(worker)
        while pending and len(self.workers) < self.size:
            self.workers.append(_Worker(self.context, self.func, self.memory_mb))
        for worker in self.workers:
            if pending and worker.task is None:
                index = pending.popleft()
                try:
                    worker.give(index, paths[index], self.timeout)
                except OSError:
                    # The worker died before it got the file, so the file is not to blame: retry it.
                    pending.appendleft(index)
                    worker.task = None

    def _died_idle(self, worker: _Worker) -> None:
        # A worker that dies without a file (killed from outside, cannot start) is replaced, up to a
        # point: workers that never live would otherwise be restarted for ever.
        self._replace(worker)
        self.idle_deaths += 1
        if self.idle_deaths > 3 * self.size + 3:
            raise RuntimeError("worker processes keep dying before reading any file")

    def collect(self) -> list[tuple[int, Outcome]]:
        """Wait for results, deaths or the next deadline; return the files that finished."""
        busy = [worker for worker in self.workers if worker.task]
        if not busy:
            return []
        wait_for = max(0.0, min(worker.deadline for worker in busy) - time.monotonic())
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=wait_for))
        finished = []
        for worker in busy:
            if worker.conn in ready or worker.process.sentinel in ready:
                finished.append(self._receive(worker))
            elif time.monotonic() >= worker.deadline:
                index, path = worker.task
                self._replace(worker)
                finished.append((index, _timed_out(path, self.timeout)))
        return finished

    def _receive(self, worker: _Worker) -> tuple[int, Outcome]:
        index, path = worker.task
        try:
            # A worker may send its result and die just after: a result that arrived still counts.
            if worker.conn.poll():
                result = worker.conn.recv()
                worker.task = None
                return result
        except (EOFError, OSError):
            pass
        worker.process.join(timeout=5)
        exitcode = worker.process.exitcode
        self._replace(worker)
        return index, _crashed(path, exitcode)

    def _replace(self, worker: _Worker) -> None:
        """Drop a dead or stuck worker; ``hand_out`` starts a fresh one when files remain."""
        worker.kill()
        self.workers.remove(worker)

    def close(self) -> None:
        """Let idle workers exit; kill busy ones (only left when the batch is interrupted)."""
        idle = [worker for worker in self.workers if worker.task is None]
        for worker in idle:
            try:
                worker.conn.send(None)
            except OSError:
                pass  # already gone
        for worker in idle:
            worker.process.join(timeout=1)
        for worker in self.workers:
            worker.kill()
        self.workers = []


def _context():
    # Forking is fast and needs nothing importable; elsewhere fork is unsafe (macOS) or absent (Windows).
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
