"""When something goes wrong on a shared folder: modes colleagues can open, one sentence per
fault with its exit code, and nothing lost or changed (issue 13)."""
from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).parent))
from factory import make_workbook  # noqa: E402

from xltools import atomic  # noqa: E402
from xltools.cli import cli  # noqa: E402
from xltools.store import open_store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2024-04-01"
ESC_PHONE = "1380013_x001B_[2J8000"          # how Excel stores "1380013\x1b[2J8000" in the file


def good(name, owner="张三", **kw):
    return {"customer": name, "contact": "王明", "phone": "13800138000", "owner": owner, "grade": "B类",
            "next_follow_up": dt.date(2024, 4, 20), **kw}


@pytest.fixture
def inbox(tmp_path):
    return make_inbox(tmp_path)


def make_inbox(folder: Path) -> Path:
    box = folder / "inbox"
    make_workbook(box, {"customers": [good("华络通信"), good("恒通物流")]}, "张三.xlsx")
    make_workbook(box, {"customers": [good("瑞丰制造", owner="李四")]}, "李四.xlsx")
    return box


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line(result) -> str:
    """The failure's message: a single line, no traceback."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output and len(lines) == 1, result.output
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# --- 1. Modes ------------------------------------------------------------------------------------------------


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o002, 0o664)])
def test_every_output_gets_the_mode_a_plain_open_gives(inbox, tmp_path, umask, mask, expected):
    umask(mask)
    out = tmp_path / "out"
    assert invoke("merge", inbox, "--store", out / "s.db", "--as-of", AS_OF).exit_code == 0
    assert invoke("merge", inbox, "--store", out / "s.db", "--as-of", AS_OF).exit_code == 0   # keeps a master
    assert invoke("rollup", "--store", out / "s.db", "--out", out / "summary.xlsx").exit_code == 0
    assert invoke("validate", inbox, "--annotate", out / "checked", "--as-of", AS_OF).exit_code == 0
    outputs = ["s.db", "s.db.lock", "master.xlsx", atomic.backups(out / "master.xlsx")[0].name, "summary.xlsx",
               "checked/张三.xlsx"]
    assert {name: oct(mode(out / name)) for name in outputs} == {name: oct(expected) for name in outputs}
    assert not list(out.glob(".~tmp-*"))


def test_an_existing_output_keeps_its_mode_and_group(inbox, tmp_path, umask):
    store, master = tmp_path / "s.db", tmp_path / "master.xlsx"
    assert invoke("merge", inbox, "--store", store, "--as-of", AS_OF).exit_code == 0
    os.chmod(master, 0o660)
    os.chown(master, -1, 100) if os.geteuid() == 0 else None
    group = master.stat().st_gid
    umask(0o077)                                        # would give 0600 to a new file
    assert invoke("merge", inbox, "--store", store, "--as-of", AS_OF).exit_code == 0
    assert (mode(master), master.stat().st_gid) == (0o660, group)


def test_rollup_into_keeps_the_workbooks_mode(inbox, tmp_path, umask):
    book = tmp_path / "销售汇总.xlsm"
    shutil.copy(ROOT / "workbook_templates" / book.name, book)
    os.chmod(book, 0o640)
    assert invoke("merge", inbox, "--store", tmp_path / "s.db", "--as-of", AS_OF).exit_code == 0
    umask(0o077)
    assert invoke("rollup", "--store", tmp_path / "s.db", "--into", book).exit_code == 0
    assert mode(book) == 0o640 and book.read_bytes() != (ROOT / "workbook_templates" / book.name).read_bytes()


# --- 2. Read-only places, as a user without rights ------------------------------------------------------------

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def as_nobody(*args, cwd: Path) -> subprocess.CompletedProcess:
    """xltools run by an unprivileged user (with a Python it can read: the system's, and our packages)."""
    site = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{site}", "LANG": "C.UTF-8", "HOME": str(cwd)}
    return subprocess.run([*NOBODY, "/usr/bin/python3", "-m", "xltools", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def nobody():
    """A folder the unprivileged user can reach (pytest's own are private to root)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run as another user")
    folder = Path(tempfile.mkdtemp(prefix="xltools-shared-"))
    os.chmod(folder, 0o755)
    probe = as_nobody("--version", cwd=folder)
    if probe.returncode != 0:
        shutil.rmtree(folder)
        pytest.skip(f"the unprivileged user cannot run xltools here: {probe.stderr.strip()[-200:]}")
    yield folder
    shutil.rmtree(folder)


def test_a_colleague_with_read_rights_rolls_up_without_touching_the_store(nobody):
    inbox = make_inbox(nobody)
    share = nobody / "share"
    assert invoke("merge", inbox, "--store", share / "s.db", "--as-of", AS_OF).exit_code == 0
    os.chmod(share, 0o755)                              # readable, not writable, by the colleague
    before = snapshot(share)
    out = nobody / "mine"
    out.mkdir(mode=0o777)
    os.chmod(out, 0o777)
    done = as_nobody("rollup", "--store", share / "s.db", "--out", out / "summary.xlsx", cwd=nobody)
    assert done.returncode == 0, done.stderr
    assert snapshot(share) == before                    # no -wal/-shm of the colleague's, nothing changed
    assert invoke("merge", inbox, "--store", share / "s.db", "--as-of", AS_OF).exit_code == 0   # admin goes on


def test_merging_into_a_read_only_folder_is_one_sentence(nobody):
    inbox = make_inbox(nobody)
    share = nobody / "share"
    assert invoke("merge", inbox, "--store", share / "s.db", "--as-of", AS_OF).exit_code == 0
    os.chmod(share, 0o755)
    before = snapshot(share)
    os.chmod(inbox.parent, 0o755)
    done = as_nobody("merge", inbox, "--store", share / "s.db", "--lang", "en", cwd=nobody)
    assert done.returncode == 1
    assert done.stdout == "" and done.stderr.strip().splitlines() == [
        f"Permission denied: {share / 's.db'}. Ask for read/write rights there or use another folder."]
    assert snapshot(share) == before


def test_writing_a_summary_into_a_read_only_folder_is_one_sentence(nobody):
    inbox = make_inbox(nobody)
    assert invoke("merge", inbox, "--store", nobody / "s.db", "--as-of", AS_OF).exit_code == 0
    locked = nobody / "locked"
    locked.mkdir(mode=0o755)
    done = as_nobody("rollup", "--store", nobody / "s.db", "--out", locked / "summary.xlsx", "--lang", "en",
                     cwd=nobody)
    assert (done.returncode, done.stderr.strip()) == (
        1, f"Permission denied: {locked / 'summary.xlsx'}. Ask for read/write rights there or use another folder.")
    assert list(locked.iterdir()) == []


# --- 3. A full disk ------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs: a real full disk. Skipped where mounting is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (the simulated ENOSPC test still runs)")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path) -> None:
    with open(disk / "filler", "wb") as fh, pytest.raises(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()


def test_a_full_disk_keeps_the_old_master(small_disk, inbox):
    master = small_disk / "master.xlsx"
    assert invoke("merge", inbox, "--store", small_disk / "s.db", "--as-of", AS_OF).exit_code == 0
    before = master.read_bytes()
    make_workbook(inbox, {"customers": [good(f"客户{i}", owner="王五") for i in range(400)]}, "王五.xlsx")
    fill(small_disk)
    result = invoke("merge", inbox, "--store", small_disk / "s.db", "--lang", "en", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert one_line(result).startswith("The disk is full: ")
    assert master.read_bytes() == before
    assert not list(small_disk.glob(".~tmp-*"))
    (small_disk / "filler").unlink()
    assert invoke("merge", inbox, "--store", small_disk / "s.db", "--as-of", AS_OF).exit_code == 0


def test_a_full_disk_while_writing_a_workbook_is_one_sentence(inbox, tmp_path, monkeypatch):
    target = tmp_path / "summary.xlsx"
    target.write_bytes(b"old summary")
    assert invoke("merge", inbox, "--store", tmp_path / "s.db", "--as-of", AS_OF).exit_code == 0

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    result = invoke("rollup", "--store", tmp_path / "s.db", "--out", target, "--lang", "en")
    assert (result.exit_code, one_line(result)) == (
        1, f"The disk is full: {target} was not written (the old file is intact). Free some space and retry.")
    assert target.read_bytes() == b"old summary"
    assert not list(tmp_path.glob(".~tmp-*"))


# --- 4. Damaged, foreign and newer stores ---------------------------------------------------------------------


def newer_store(path: Path, wal: bool = False) -> Path:
    open_store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    if wal:                                       # as a newer xltools may leave it: a merge must not switch it back
        db.execute("PRAGMA journal_mode=WAL")
    db.close()
    return path


@pytest.mark.parametrize("kind, expected", [
    ("garbage.db", "{path} is not an xltools store or is damaged; nothing was changed. "
                   "Check --store names the right file, or restore it from a backup."),
    ("book.xlsx", "{path} is not an xltools store or is damaged; nothing was changed. "
                  "Check --store names the right file, or restore it from a backup."),
    ("foreign.db", "{path} is not an xltools store or is damaged; nothing was changed. "
                   "Check --store names the right file, or restore it from a backup."),
    ("newer.db", "{path} was written by a newer xltools (store v99); nothing was changed. Upgrade xltools."),
])
@pytest.mark.parametrize("command", ["merge", "rollup"])
def test_a_store_we_cannot_use_is_left_byte_identical(inbox, tmp_path, kind, expected, command):
    path = tmp_path / "stores" / kind
    path.parent.mkdir()
    if kind == "garbage.db":
        path.write_bytes(os.urandom(5000))
    elif kind == "book.xlsx":
        make_workbook(path.parent, {"customers": [good("华络通信")]}, kind)
    elif kind == "foreign.db":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE invoices (id INTEGER, amount REAL)")
    else:
        # A read-only reader of a store left in WAL mode cannot avoid SQLite's -wal/-shm files;
        # xltools leaves its stores in rollback mode, so only the merge meets a WAL one here.
        newer_store(path, wal=command == "merge")
    before = snapshot(path.parent)
    args = (["merge", inbox, "--no-master"] if command == "merge" else ["rollup", "--json"])
    result = invoke(*args, "--store", path, "--lang", "en")
    assert (result.exit_code, one_line(result)) == (1, expected.format(path=path))
    assert snapshot(path.parent) == before


# --- 5. A killed merge ----------------------------------------------------------------------------------------

# Where the child merge kills itself: (module, class or "", function, only when an argument contains).
KILL_AT = {
    "reading": ("xltools.jobs.merge", "", "read_batch", ""),
    "storing rows": ("xltools.store.interface", "Store", "replace_rows", ""),
    "finishing the run": ("xltools.store.interface", "Store", "finish_run", ""),
    "writing the master": ("xltools.xlsx.master", "", "write_master", ""),
    "moving the master into place": ("xltools.atomic", "", "_settle", "master.xlsx"),
}
_KILLED_CHILD = """
import importlib, os, signal, sys
module, cls, name, when = sys.argv[1:5]
holder = importlib.import_module(module)
holder = getattr(holder, cls) if cls else holder
original = getattr(holder, name)
def killed(*args, **kwargs):
    if not when or any(when in str(a) for a in args):
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
setattr(holder, name, killed)
from xltools.cli import cli
cli(sys.argv[5:])
"""


def merge_killed_at(point: str, inbox: Path, store: Path) -> int:
    """Run a merge in a child process that kills itself (-9) when it reaches ``point``."""
    args = [*KILL_AT[point], "merge", inbox, "--store", store, "--as-of", AS_OF]
    return subprocess.run([sys.executable, "-c", _KILLED_CHILD, *map(str, args)], cwd=ROOT, capture_output=True,
                          timeout=300).returncode


def store_state(store: Path) -> tuple:
    db = open_store(store, read_only=True)
    try:
        runs = db.runs()
        return (len(runs), int(runs["finished_at"].isna().sum()), db.count_status())
    finally:
        db.close()


@pytest.mark.parametrize("point", list(KILL_AT))
def test_a_merge_killed_anywhere_leaves_the_store_as_before_and_remerges_cleanly(inbox, tmp_path, point):
    store, clean = tmp_path / "out" / "s.db", tmp_path / "clean" / "s.db"
    assert invoke("merge", inbox, "--store", store, "--as-of", AS_OF).exit_code == 0
    make_workbook(inbox, {"customers": [good("新客户", owner="王五")]}, "王五.xlsx")
    before = store_state(store)
    assert merge_killed_at(point, inbox, store) == -signal.SIGKILL
    if point in ("reading", "storing rows", "finishing the run"):
        assert store_state(store) == before          # no unfinished run, no half-stored file
    again = invoke("merge", inbox, "--store", store, "--as-of", AS_OF, "--json")
    assert again.exit_code == 0, again.output
    assert not list(store.parent.glob(".~tmp-*"))      # the killed run's temporary files are gone
    assert invoke("merge", inbox, "--store", clean, "--as-of", AS_OF).exit_code == 0
    assert store_state(store)[1:] == store_state(clean)[1:]
    assert json.loads(again.output)["store_rows"] == open_store(clean, read_only=True).count_status()


def test_a_stale_temporary_file_is_removed_but_one_being_written_is_kept(tmp_path):
    stale = tmp_path / ".~tmp-master.xlsx-abc.xlsx"
    stale.write_bytes(b"half a workbook")
    with atomic.atomic_path(tmp_path / "other.xlsx") as busy:
        busy.write_bytes(b"being written")
        atomic.write_atomically(tmp_path / "master.xlsx", b"new")
        assert not stale.exists() and busy.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx", "other.xlsx"]


# --- 6. Inputs are never written ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["inbox", "inbox/checked"])
def test_annotate_into_the_inbox_is_refused(inbox, where):
    (inbox / "~$张三.xlsx").write_bytes(b"\0owner")      # Excel's lock file of an open workbook
    before = snapshot(inbox)
    target = inbox.parent / where
    result = invoke("validate", inbox, "--annotate", target, "--lang", "en")
    assert (result.exit_code, one_line(result)) == (
        2, f"--annotate {target} is inside the inbox being read ({inbox}): it would overwrite or mix with "
           "the reps' files. Choose another place.")
    assert snapshot(inbox) == before


def test_annotate_over_an_input_file_is_refused(inbox):
    before = snapshot(inbox)
    result = invoke("validate", inbox / "张三.xlsx", "--annotate", inbox, "--lang", "en")
    assert result.exit_code == 2
    assert one_line(result).startswith(f"--annotate {inbox} is inside the inbox being read ({inbox})")
    assert snapshot(inbox) == before


def test_a_master_inside_the_inbox_is_refused(inbox):
    before = snapshot(inbox)
    result = invoke("merge", inbox, "--master", inbox / "master.xlsx", "--lang", "en")
    assert result.exit_code == 2 and one_line(result).startswith(f"--master {inbox / 'master.xlsx'} is inside")
    assert snapshot(inbox) == before


def test_a_lock_file_in_the_inbox_never_crashes_annotate(inbox, tmp_path):
    (inbox / "~$张三.xlsx").write_bytes(b"\0owner")
    result = invoke("validate", inbox, "--annotate", tmp_path / "checked", "--as-of", AS_OF)
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert sorted(p.name for p in (tmp_path / "checked").iterdir()) == ["张三.xlsx", "李四.xlsx"]


# --- 7. Control characters ------------------------------------------------------------------------------------


def test_a_control_character_in_a_failing_cell(inbox, tmp_path):
    make_workbook(inbox, {"customers": [good("华络通信", phone=ESC_PHONE)]}, "张三.xlsx")
    result = invoke("validate", inbox, "--annotate", tmp_path / "checked", "--as-of", AS_OF, "--lang", "en")
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "1380013␛[2J8000" in result.output
    copies = tmp_path / "checked"
    assert sorted(p.name for p in copies.iterdir()) == ["张三.xlsx", "李四.xlsx"]    # every copy written
    results = CalamineWorkbook.from_path(str(copies / "张三.xlsx")).get_sheet_by_name("Validation results")
    assert "1380013\x1b[2J8000" in [row[5] for row in results.to_python()]        # Excel reads the value back
    assert openpyxl.load_workbook(copies / "李四.xlsx")                            # and opens the others


def test_a_copy_that_cannot_be_written_never_stops_the_others(inbox, tmp_path):
    copies = tmp_path / "checked"
    copies.mkdir()
    (copies / "~$张三.xlsx").write_bytes(b"\0owner")       # the admin has last week's copy open in Excel
    (copies / "张三.xlsx").write_bytes(b"last week")
    result = invoke("validate", inbox, "--annotate", copies, "--as-of", AS_OF, "--lang", "en")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Could not write the annotated copy {copies / '张三.xlsx'}: {copies / '张三.xlsx'} is open in Excel and "
        "was not replaced (the old file is intact). Close it and retry.")
    assert (copies / "张三.xlsx").read_bytes() == b"last week"
    assert openpyxl.load_workbook(copies / "李四.xlsx")


# --- 8. The error path itself ---------------------------------------------------------------------------------


def test_an_unexpected_failure_is_one_line_naming_the_trace_file(inbox, tmp_path, monkeypatch):
    import xltools.jobs.merge

    def broken(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(xltools.jobs.merge.Merge, "run", broken)
    result = invoke("merge", inbox, "--store", tmp_path / "s.db", "--lang", "en")
    line = one_line(result)
    assert result.exit_code == 1 and line.startswith("Something went wrong (KeyError: 'surprise'). The full trace is in ")
    trace = Path(line.split("The full trace is in ")[1].split(":")[0])
    assert "Traceback" in trace.read_text(encoding="utf-8") and "surprise" in trace.read_text(encoding="utf-8")
    trace.unlink()
    debug = CliRunner().invoke(cli, ["--debug", "merge", str(inbox), "--store", str(tmp_path / "s.db")])
    assert isinstance(debug.exception, KeyError)        # --debug lets the traceback through


def test_the_buttons_show_the_same_sentence(tmp_path):
    from xltools.buttons.press import explain
    path = newer_store(tmp_path / "newer.db")
    with pytest.raises(RuntimeError) as raised:
        open_store(path)
    assert explain(raised.value, "en") == (f"{path} was written by a newer xltools (store v99); nothing was changed. "
                                           "Upgrade xltools.")
    assert explain(PermissionError(errno.EACCES, "denied", str(tmp_path / "x.xlsx")), "zh").startswith(
        f"没有权限访问 {tmp_path / 'x.xlsx'}")


@pytest.mark.parametrize("text, detail", [("approval_gm_threshold: [1\n", "while parsing a flow sequence"),
                                          ("- a list\n", "unknown settings"),
                                          ("approval_threshold: 5\n", "unknown settings ['approval_threshold']")])
def test_a_bad_config_is_one_usage_line(inbox, tmp_path, text, detail):
    config = tmp_path / "rules.yaml"
    config.write_text(text, encoding="utf-8")
    result = invoke("validate", inbox, "--config", config, "--lang", "en")
    line = one_line(result)
    assert result.exit_code == 2 and line.startswith(f"--config {config} is wrong: ") and detail in line


# --- 9. A PostgreSQL server stopped mid-merge -----------------------------------------------------------------

PG_SCRIPT = ROOT / ".ci" / "postgres"


@pytest.fixture
def private_pg():
    """A PostgreSQL server of this test's own, which it may stop and restart."""
    pytest.importorskip("psycopg", reason="needs the postgres extra: pip install 'xltools[postgres]'")
    folder = Path(tempfile.mkdtemp(prefix="xltools-pg-"))
    started = subprocess.run([str(PG_SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("CI"):
            pytest.fail(f"cannot start PostgreSQL: {started.stderr}")
        pytest.skip(f"cannot start PostgreSQL here: {started.stderr.strip()[-200:]}")
    url = started.stdout.strip().split("=", 1)[1]
    yield url, folder
    subprocess.run([str(PG_SCRIPT), "stop", str(folder)], timeout=120)
    shutil.rmtree(folder, ignore_errors=True)


def pg_database(url: str, name: str) -> str:
    import psycopg
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def test_a_server_stopped_mid_merge_leaves_the_store_as_before(private_pg, inbox, tmp_path, monkeypatch):
    from xltools.store.interface import Store
    from xltools.store.locations import mask_url
    url, folder = private_pg
    store, clean = pg_database(url, "shared"), pg_database(url, "clean")
    assert invoke("merge", inbox, "--store", store, "--as-of", AS_OF, "--no-master").exit_code == 0
    make_workbook(inbox, {"customers": [good("新客户", owner="王五")]}, "王五.xlsx")
    before = pg_state(store)
    original = Store.snapshot_pipeline

    def server_stops(self, *args):
        subprocess.run([str(PG_SCRIPT), "stop", str(folder)], check=True, timeout=120)
        return original(self, *args)

    monkeypatch.setattr(Store, "snapshot_pipeline", server_stops)
    result = invoke("merge", inbox, "--store", store, "--as-of", AS_OF, "--no-master", "--lang", "en")
    line = one_line(result)
    assert result.exit_code == 1
    assert line.startswith(f"Lost the connection to the store server {mask_url(store)}")
    assert line.endswith("this run wrote nothing. Retry later.") and url.split(":")[2].split("@")[0] not in line
    monkeypatch.undo()
    subprocess.run([str(PG_SCRIPT), "restart", str(folder)], check=True, timeout=120)
    assert pg_state(store) == before
    again = invoke("merge", inbox, "--store", store, "--as-of", AS_OF, "--no-master", "--json")
    assert again.exit_code == 0, again.output
    assert invoke("merge", inbox, "--store", clean, "--as-of", AS_OF, "--no-master").exit_code == 0
    assert json.loads(again.output)["store_rows"] == pg_state(clean)[2]


def pg_state(url: str) -> tuple:
    db = open_store(url, read_only=True)
    try:
        runs = db.runs()
        return len(runs), int(runs["finished_at"].isna().sum()), db.count_status()
    finally:
        db.close()


def test_a_store_damaged_inside_is_refused_before_anything_is_written(inbox, tmp_path):
    store = tmp_path / "out" / "s.db"
    assert invoke("merge", inbox, "--store", store, "--as-of", AS_OF, "--no-master").exit_code == 0
    data = bytearray(store.read_bytes())
    page = 4096
    data[page: len(data)] = os.urandom(len(data) - page)       # every page but the header's
    store.write_bytes(bytes(data))
    before = snapshot(store.parent)
    result = invoke("merge", inbox, "--store", store, "--as-of", AS_OF, "--lang", "en")
    assert (result.exit_code, one_line(result)) == (
        1, f"{store} is not an xltools store or is damaged; nothing was changed. "
           "Check --store names the right file, or restore it from a backup.")
    assert snapshot(store.parent) == before
